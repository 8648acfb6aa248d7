//! `/dashboard/performance`: the KPIs of a period (also the alert
//! evaluator's `days_sales_outstanding` and `customer_retention_rate`).

use chrono::NaiveDate;

use crate::calendar::{Grain, bucket_key, calendar_bucket_of, epoch, previous_calendar_bucket};
use crate::figures::customers::CustomerCounts;
use crate::figures::get;
use crate::figures::kpis::{
    CashCycles, CustomerKpiInputs, KpiInputs, Performance, Receivables, average_lifetime_value,
    performance as kpis, retention_of_counts,
};
use crate::layout::{family, measure};
use crate::periods::{DateRange, PeriodKind};
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// The KPIs of `period` (of kind `kind`, whose previous period is the
/// comparison).
pub async fn performance(
    reader: &AggregateReader<'_>,
    kind: PeriodKind,
    period: DateRange,
) -> Result<Performance, StoreError> {
    let previous = kind.previous(period);
    let orders = reader.sum(family::ORDERS, period).await?;
    let previous_orders = reader.sum(family::ORDERS, previous).await?;
    let invoices = reader.sum(family::INVOICES, period).await?;
    let marketing_spend = reader.monthly_amounts(family::MARKETING_SPEND).await?;
    let cycles = reader.sum(family::CASH_CYCLES, period).await?;
    let inputs = KpiInputs {
        period,
        orders: &orders,
        previous_orders: &previous_orders,
        invoices: &invoices,
        receivables: receivables(reader, period).await?,
        customers: customer_kpis(reader, period, previous).await?,
        marketing_spend: &marketing_spend,
        cash_cycles: CashCycles {
            count: get(&cycles, measure::CYCLES),
            days: get(&cycles, measure::CYCLE_DAYS),
        },
    };
    Ok(kpis(&inputs))
}

/// Receivables at the edges of a period (opening, closing, closing not yet due).
async fn receivables(
    reader: &AggregateReader<'_>,
    period: DateRange,
) -> Result<Receivables, StoreError> {
    let ar_through = |day: NaiveDate| async move {
        Ok::<_, StoreError>(get(
            &reader.sum_through(family::INVOICES, day).await?,
            measure::AR_CHANGE,
        ))
    };
    let opening = match period.from.pred_opt() {
        Some(day) if day >= epoch() => ar_through(day).await?,
        _ => 0,
    };
    let current = reader.aging_totals(period.to).await?.amounts.first().copied().unwrap_or(0);
    Ok(Receivables { opening, closing: ar_through(period.to).await?, closing_current: current })
}

/// The customer figures of the KPIs: a calendar period's derived counts
/// (retention against the bucket before); any other range from new
/// customers and returns over its cover and the previous range's.
/// Lifetime value and recurring revenue are dated sums for every period.
async fn customer_kpis(
    reader: &AggregateReader<'_>,
    period: DateRange,
    previous: DateRange,
) -> Result<CustomerKpiInputs, StoreError> {
    let revenue = get(&reader.sum_through(family::ORDERS, period.to).await?, measure::REVENUE);
    let buyers =
        get(&reader.sum_through(family::CUSTOMER_COUNTS, period.to).await?, measure::BUYERS);
    let month = bucket_key(Grain::Month, period.to);
    let recurring = get(&reader.bucket_counts(&month).await?, measure::RECURRING_REVENUE);
    let (counts, retention) = match (calendar_bucket_of(period), previous_calendar_bucket(period)) {
        (Some(bucket), Some((before, dates))) if dates == previous => {
            let now = reader.bucket_counts(&bucket).await?;
            let before = reader.bucket_counts(&before).await?;
            let retained = get(&now, measure::RETAINED);
            (
                CustomerCounts::from_measures(&now),
                retention_of_counts(get(&before, measure::UNIQUE_CUSTOMERS), retained),
            )
        }
        // Any other range: distinct customers from the returning-customer
        // index (the previous range ends the day before this one starts).
        _ => {
            let counts = reader.customer_counts_in(period).await?;
            let before = reader.customer_counts_in(previous).await?;
            let retained = reader.returns_before(period, period.from).await?
                - reader.returns_before(period, previous.from).await?;
            (counts, retention_of_counts(before.unique, retained))
        }
    };
    Ok(CustomerKpiInputs {
        counts,
        lifetime_value: average_lifetime_value(revenue, buyers),
        retention,
        recurring_revenue_cents: recurring,
    })
}
