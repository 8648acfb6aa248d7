//! JSON output: records written as JSON Lines with serde_json.
//!
//! Each record is its type's own fields (`Serialize`, with the helpers
//! below for money and timestamps) flattened after the common ones
//! (`type`, `tenant_id`, `id`, `version`, `updated_at`). Measured against
//! the hand-written writer this replaced: docs/performance.md, "Demo data
//! writer".

use serde::Serializer;

use super::*;

/// Serde helpers of the record contract's formats.
pub(super) mod json {
    use super::*;

    /// Money as a string with exactly two decimals (rounded half away from
    /// zero).
    pub(in super::super) fn money<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&super::money(*value))
    }

    pub(in super::super) fn money_option<S: Serializer>(
        value: &Option<Decimal>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        or_null(value, s, money)
    }

    /// RFC 3339 in UTC with `Z`, whole seconds.
    pub(in super::super) fn timestamp<S: Serializer>(value: &Ts, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    pub(in super::super) fn timestamp_option<S: Serializer>(
        value: &Option<Ts>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        or_null(value, s, timestamp)
    }

    /// `null` for `None`, else the value as `write` writes it.
    fn or_null<T, S: Serializer>(
        value: &Option<T>,
        s: S,
        write: impl FnOnce(&T, S) -> Result<S::Ok, S::Error>,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => write(value, s),
            None => s.serialize_none(),
        }
    }
}

/// One line: the common fields, then the record type's own.
#[derive(Serialize)]
struct Line<'a, B> {
    #[serde(rename = "type")]
    record_type: &'a str,
    tenant_id: &'a str,
    id: i64,
    version: i64,
    #[serde(serialize_with = "json::timestamp")]
    updated_at: Ts,
    #[serde(flatten)]
    body: &'a B,
}

#[derive(Serialize)]
pub(super) struct TenantSettings {
    pub(super) time_zone: &'static str,
    pub(super) currency: &'static str,
    #[serde(serialize_with = "json::money")]
    pub(super) vip_lifetime_revenue: Decimal,
}

/// Orders, invoices and payments in the order of their dates.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Activity {
    Order(usize),
    Invoice(usize),
    Payment(usize),
}

pub(super) struct RecordWriter<'a> {
    pub(super) out: io::BufWriter<&'a mut dyn Write>,
    pub(super) tenant: &'a str,
    pub(super) line: Vec<u8>,
    pub(super) stats: DemoStats,
}

impl RecordWriter<'_> {
    /// One record, version 1, as a line.
    pub(super) fn write(
        &mut self,
        record_type: RecordType,
        id: i64,
        updated_at: Ts,
        body: &impl Serialize,
    ) -> io::Result<()> {
        let record_type = record_type.as_str();
        self.line.clear();
        let line = Line { record_type, tenant_id: self.tenant, id, version: 1, updated_at, body };
        serde_json::to_writer(&mut self.line, &line)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.stats.lines += 1;
        *self.stats.by_type.entry(record_type).or_default() += 1;
        Ok(())
    }

    pub(super) fn reference_data(
        &mut self,
        clock: &Clock,
        customers: &[Customer],
        plans: &MonthlyPlans,
    ) -> io::Result<()> {
        let set_up_at = at_local(clock.start - days(1000), 9 * HOUR);
        let settings = TenantSettings {
            time_zone: TIME_ZONE_NAME,
            currency: CURRENCY,
            vip_lifetime_revenue: cents(1_000_000),
        };
        self.write(RecordType::TenantSettings, 1, set_up_at, &settings)?;
        for (index, customer) in customers.iter().enumerate() {
            self.write(RecordType::Customer, id(index), customer.created_at, customer)?;
        }
        for (index, product) in PRODUCTS.iter().enumerate() {
            self.write(RecordType::Product, id(index), set_up_at, product)?;
        }
        for (index, rep) in SALES_REPS.iter().enumerate() {
            self.write(RecordType::SalesRep, id(index), set_up_at, rep)?;
        }
        for (index, target) in plans.targets.iter().enumerate() {
            self.write(RecordType::SalesTarget, id(index), target.updated_at, target)?;
        }
        for (index, spend) in plans.spend.iter().enumerate() {
            self.write(RecordType::MarketingSpend, id(index), spend.updated_at, spend)?;
        }
        Ok(())
    }

    pub(super) fn activity(&mut self, orders: &[Order], billing: &Billing) -> io::Result<()> {
        let mut timeline: Vec<(Ts, Activity)> = Vec::new();
        timeline.extend(orders.iter().enumerate().map(|(i, o)| (o.ordered_at, Activity::Order(i))));
        let invoices = billing.invoices.iter().enumerate();
        timeline.extend(
            invoices
                .map(|(i, inv)| (inv.issued_at.unwrap_or(inv.touched_at), Activity::Invoice(i))),
        );
        timeline.extend(
            billing.payments.iter().enumerate().map(|(i, p)| (p.created_at, Activity::Payment(i))),
        );
        timeline.sort();
        for (_, activity) in timeline {
            match activity {
                Activity::Order(i) => {
                    self.write(RecordType::Order, id(i), orders[i].updated_at(), &orders[i])?
                }
                Activity::Invoice(i) => {
                    let invoice = &billing.invoices[i];
                    self.write(RecordType::Invoice, id(i), invoice.updated_at(), invoice)?;
                }
                Activity::Payment(i) => {
                    let payment = &billing.payments[i];
                    self.write(RecordType::Payment, id(i), payment.updated_at(), payment)?;
                }
            }
        }
        Ok(())
    }
}
