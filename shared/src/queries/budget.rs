//! What a request that still reads per customer or per invoice will read,
//! learnt from bounded reads (a cover of counts, the aging totals at a
//! date) before it reads: over `SALES_SYNC_READ_BUDGET` items, the API
//! answers 202 with a job instead (docs/api.md, "Answers over the read
//! budget"). Each size is 0 for a request the data model bounds.

use chrono::NaiveDate;

use super::customers::AnalyticsQuery;
use super::invoices::{AgingQuery, StatisticsQuery};
use crate::calendar::{calendar_bucket_of, epoch, is_month_key};
use crate::layout::{Measure, family, measure};
use crate::periods::DateRange;
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

fn items(n: Measure) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The `customer_sales` items of `range`'s cover (one per customer active
/// in each bucket of the cover): what reading the range's customers costs,
/// and an upper bound of their `customer_days` items.
async fn customer_items(reader: &AggregateReader<'_>, range: DateRange) -> Result<u64, StoreError> {
    let counts = reader.sum(family::CUSTOMER_COUNTS, range).await?;
    Ok(items(counts.get(measure::UNIQUE_CUSTOMERS).copied().unwrap_or(0)))
}

/// The invoices issued in `range` (at least the `customer_invoices` items
/// of its cover).
async fn invoice_items(reader: &AggregateReader<'_>, range: DateRange) -> Result<u64, StoreError> {
    let issued = reader.sum(family::INVOICES, range).await?;
    Ok(items(issued.get(measure::ISSUED).copied().unwrap_or(0)))
}

/// Customer analytics of a period that ends before the latest data: the
/// customers with an order after its end, and their histories (a period
/// ending at the latest data reads sums, and its top customers stop at
/// the budget themselves).
pub async fn customer_analytics(
    reader: &AggregateReader<'_>,
    query: &AnalyticsQuery,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    let period = query.period;
    if period.to >= today && !reader.dated_after(family::ORDERS, period.to).await? {
        return Ok(0);
    }
    let (Some(last), Some(next)) = (reader.last_dated(family::ORDERS).await?, period.to.succ_opt())
    else {
        return Ok(0);
    };
    if last < next {
        return Ok(0);
    }
    Ok(customer_items(reader, DateRange::new(next, last)).await?.saturating_mul(2))
}

/// Order performance metrics of one sales rep: the rep's customers of the
/// range and their histories (at most every customer's).
pub async fn rep_customers(
    reader: &AggregateReader<'_>,
    period: DateRange,
    rep: Option<i64>,
) -> Result<u64, StoreError> {
    if rep.is_none() {
        return Ok(0);
    }
    Ok(customer_items(reader, period).await?.saturating_mul(2))
}

/// Invoice statistics other than a calendar month: with `customer_id`,
/// the customer's invoices open today and at the aging date; of all
/// customers, the amounts invoiced per customer over the range, read when
/// the threshold algorithm would read more (the answer of
/// [`super::invoices::TopInvoiced`]'s fallback).
pub async fn invoice_statistics(
    reader: &AggregateReader<'_>,
    query: &StatisticsQuery,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    if query.customer.is_some() {
        let open = |day| async move { Ok::<_, StoreError>(reader.aging_totals(day).await?.open) };
        return Ok(items(
            open(today).await?.saturating_add(open(query.period.to.min(today)).await?),
        ));
    }
    if calendar_bucket_of(query.period).is_some_and(|b| is_month_key(&b)) {
        return Ok(0);
    }
    invoice_items(reader, query.period).await
}

/// The aging report off its derived ranking (another date, a customer, other
/// buckets): the invoices open at its date, and with `include_paid` the
/// customers billed by then.
pub async fn aging_report(
    reader: &AggregateReader<'_>,
    query: &AgingQuery,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    let ranked = query.customer.is_none() && query.buckets.is_standard() && query.as_of == today;
    if ranked && !reader.invoice_events_after(query.as_of).await? {
        return Ok(0);
    }
    let mut size = items(reader.aging_totals(query.as_of).await?.open);
    if query.include_paid {
        let through = DateRange::new(epoch(), query.as_of);
        size = size.saturating_add(invoice_items(reader, through).await?);
    }
    Ok(size)
}
