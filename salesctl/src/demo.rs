//! `salesctl demo-data`: a deterministic, realistic demo data set as JSON
//! Lines in the record contract of `sales_shared::records`.
//!
//! One tenant in New York sells hardware, software and services to 120
//! business customers: `months` of orders ending on `today`, with
//! seasonality and growth; invoices paid at once, in instalments, late or
//! never (overdue, written off); payments that fail and are retried, are
//! refunded or disputed. The same options always give the same bytes: every
//! random choice comes from a ChaCha8 stream seeded with `seed`, and amounts
//! are exact decimals built from integer cents.
//!
//! Lines come in an order the loader takes in one pass: tenant settings,
//! customers, products, sales reps, sales targets, marketing spend, then
//! orders, invoices and payments by date. Every record is version 1 and its
//! `updated_at` is its latest timestamp. Nothing happens after the end of
//! `today` (UTC); only plans (due dates, promised delivery dates, evidence
//! due dates) may lie ahead of it.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::{Decimal, RoundingStrategy};
use sales_shared::records::{
    DisputeStatus, FailureReason, Gateway, InvoiceStatus, OrderSource, OrderStatus, PaymentMethod,
    PaymentStatus, RecordType,
};
use serde::Serialize;

mod billing;
mod catalogue;
mod chance;
mod orders;
mod output;
mod plans;
pub mod scale;
#[cfg(test)]
mod tests;

use billing::*;
use catalogue::*;
use chance::*;
use orders::*;
use output::*;
use plans::*;

/// Counts of what was generated, by record type name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoStats {
    pub lines: usize,
    pub by_type: BTreeMap<&'static str, usize>,
}

/// What to generate. Build it with [`DemoOptions::new`]: `today` should be
/// the tenant's current date, which the default cannot know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    pub tenant: String,
    /// The last day of the data set (a New York date); nothing happens after it.
    pub today: NaiveDate,
    /// Calendar months of history, the current (partial) one included.
    pub months: u32,
    pub orders_per_month: u32,
    pub seed: u64,
}

const DEFAULT_TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2025, 12, 17) {
    Some(date) => date,
    None => panic!("invalid default date"),
};

impl DemoOptions {
    /// The default size and seed for a tenant and the day the data ends on.
    pub fn new(tenant: impl Into<String>, today: NaiveDate) -> Self {
        DemoOptions { tenant: tenant.into(), today, ..DemoOptions::default() }
    }
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            tenant: "demo".into(),
            today: DEFAULT_TODAY,
            months: 14,
            orders_per_month: 400,
            seed: 2025,
        }
    }
}

/// Why a fresh load stopped.
#[derive(Debug, thiserror::Error)]
pub enum FreshLoadError {
    #[error("reading {0}: {1}")]
    Read(std::path::PathBuf, io::Error),
    #[error("{0}")]
    Rejected(crate::load::LineRejection),
    #[error(transparent)]
    Store(#[from] sales_shared::store::StoreError),
}

/// Writes a generated file into the source table of `tenant`, which has no
/// records yet ([`is_loaded`] is false): every line validated by the
/// loader's own checks ([`crate::load::Loader::validate_all`]), then
/// written in batches, several at a time, without the loader's one-by-one
/// version condition (nothing is there to keep). Returns how many records
/// were written.
pub async fn write_fresh(
    config: &sales_shared::config::Config,
    tenant: &str,
    path: &std::path::Path,
    visible: bool,
) -> Result<usize, FreshLoadError> {
    let bytes = std::fs::read(path).map_err(|e| FreshLoadError::Read(path.to_owned(), e))?;
    let dynamo = sales_shared::aws::dynamodb(config).await;
    let loader = crate::load::Loader {
        dynamo: &dynamo,
        source_table: &config.source_table,
        tenant,
        progress: false,
    };
    let currency = sales_shared::records::TenantSettings::default().currency;
    let records = loader.validate_all(path, &bytes, currency).map_err(FreshLoadError::Rejected)?;
    let bar =
        crate::progress::bar(visible, records.len() as u64, "writing source records", "records");
    let written = crate::bulk::write_sources(
        &dynamo,
        &config.source_table,
        &records,
        crate::bulk::DEFAULT_CONCURRENCY,
        &|n| bar.inc(n as u64),
    )
    .await?;
    bar.finish_and_clear();
    Ok(written)
}

/// Whether `tenant` already has records: its settings record (the first
/// line the generator writes) is in the source table.
pub async fn is_loaded(
    config: &sales_shared::config::Config,
    tenant: &str,
) -> Result<bool, sales_shared::store::StoreError> {
    let dynamo = sales_shared::aws::dynamodb(config).await;
    let key = sales_shared::records::RecordKey {
        tenant_id: tenant.to_owned(),
        record_type: sales_shared::records::RecordType::TenantSettings,
        id: 1,
    };
    Ok(sales_shared::store::source::get(&dynamo, &config.source_table, &key).await?.is_some())
}

/// Writes a deterministic, realistic data set as JSON Lines, one record per
/// line, in an order that loads correctly (tenant_settings first, then
/// customers, products, sales reps, targets, spend, then orders, invoices and
/// payments in time order). Fails with `InvalidInput` for a bad tenant id,
/// `months` outside 1..=240 or more than 100 000 orders a month.
pub fn generate(options: &DemoOptions, out: &mut dyn Write) -> io::Result<DemoStats> {
    check_tenant(&options.tenant)?;
    if options.orders_per_month > MAX_ORDERS_PER_MONTH {
        return Err(invalid(format!("orders per month must be at most {MAX_ORDERS_PER_MONTH}")));
    }
    let clock = Clock::new(options.today, options.months)?;
    let seed = options.seed;
    let customers = customers(&mut stream(seed, 1), &clock);
    let orders = orders(&mut stream(seed, 2), &clock, &customers, options.orders_per_month);
    let billing = billing(&mut stream(seed, 3), &clock, &customers, &orders);
    let plans = monthly_plans(&mut stream(seed, 4), &clock, &orders, options.orders_per_month);

    let mut writer = RecordWriter {
        out: io::BufWriter::new(out),
        tenant: &options.tenant,
        line: Vec::new(),
        stats: DemoStats::default(),
    };
    writer.reference_data(&clock, &customers, &plans)?;
    writer.activity(&orders, &billing)?;
    writer.out.flush()?;
    Ok(writer.stats)
}
