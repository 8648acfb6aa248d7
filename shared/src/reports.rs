//! Reads that gather a figure set's inputs from the aggregates (shared by
//! the HTTP handlers and the scheduled reports), and the monthly management
//! report.

#[cfg(feature = "exports")]
pub mod management;
pub mod performance;
#[cfg(feature = "s3")]
pub mod stored;

use crate::metrics::dashboard::{DashboardInputs, PeriodTotals};
use crate::periods::{DateRange, PeriodKind};
use crate::store::StoreError;
use crate::store::aggregates::{AggregateReader, family, measure};

/// Everything the dashboard overview needs for a period.
pub async fn dashboard_inputs(
    reader: &AggregateReader<'_>,
    kind: PeriodKind,
    period: DateRange,
    today: chrono::NaiveDate,
    compare: bool,
) -> Result<DashboardInputs, StoreError> {
    let previous = if compare {
        let range = kind.previous(period);
        Some(PeriodTotals {
            orders: reader.sum(family::ORDERS, range).await?,
            invoices: reader.sum(family::INVOICES, range).await?,
        })
    } else {
        None
    };
    let outstanding = reader
        .sum_through(family::INVOICES, period.to)
        .await?
        .get(measure::AR_CHANGE)
        .copied()
        .unwrap_or(0);
    Ok(DashboardInputs {
        kind: Some(kind),
        period: Some(period),
        orders: reader.sum(family::ORDERS, period).await?,
        daily_orders: reader.daily_orders(period).await?,
        payments: reader.sum(family::PAYMENTS, period).await?,
        invoices: reader.sum(family::INVOICES, period).await?,
        outstanding_cents: outstanding,
        open: reader.open_in_period(period, today).await?,
        previous,
    })
}

/// `meta` of `/payments/disputed`: the open disputes' totals (urgent when
/// evidence is due within 3 days of `today`) and the outcomes of all time.
pub async fn disputed_meta(
    reader: &AggregateReader<'_>,
    today: chrono::NaiveDate,
) -> Result<crate::metrics::payments::DisputedMeta, StoreError> {
    let all_time = DateRange::new(
        crate::buckets::epoch(),
        chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(today),
    );
    let urgent_by = today.checked_add_signed(chrono::Duration::days(3)).unwrap_or(today);
    let totals = reader.open_dispute_totals(urgent_by).await?;
    Ok(crate::metrics::payments::disputed_meta_of(
        &totals,
        &reader.sum(family::DISPUTES, all_time).await?,
    ))
}
