//! `/payments/statistics` and the failed and disputed payment reports.

use chrono::NaiveDate;

use crate::calendar::epoch;
use crate::figures::payments::{
    DisputeRow, DisputedMeta, FailedMeta, FailedRow, PaymentStatistics, dispute_row,
    disputed_meta_of, failed_meta, statistics,
};
use crate::layout::family;
use crate::paging::ListPage;
use crate::periods::DateRange;
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// Payment statistics of a period, of every payment or those of one
/// `method` and/or `status`.
pub async fn payment_statistics(
    reader: &AggregateReader<'_>,
    period: DateRange,
    method: Option<&str>,
    status: Option<&str>,
) -> Result<PaymentStatistics, StoreError> {
    Ok(statistics(period, &reader.sum(&family::payments_of(method, status), period).await?))
}

/// A page of the period's failed payments, newest `failed_at` first, after
/// the key `after`, with their customers: key-paged, so each page reads
/// about its rows per partition of the range's cover, however deep.
pub async fn failed_payments(
    reader: &AggregateReader<'_>,
    period: DateRange,
    after: Option<&str>,
    limit: usize,
) -> Result<ListPage<Vec<FailedRow>, FailedMeta>, StoreError> {
    let meta = failed_meta(&reader.sum(family::PAYMENTS, period).await?);
    let read = reader.failed_payments_page(period, after, limit + 1).await?;
    let page = ListPage::of_keyed(read, limit, meta);
    let ids: Vec<i64> = page.data.iter().map(|r| r.customer_id).collect();
    let customers = reader.customer_info(&ids).await?;
    Ok(page.map(|rows| {
        rows.into_iter()
            .map(|r| {
                let customer = customers.get(&r.customer_id).map(|(c, _)| c);
                FailedRow::of(r, customer)
            })
            .collect()
    }))
}

/// `meta` of `/payments/disputed`: the open disputes' totals (urgent when
/// evidence is due within 3 days of `today`) and the outcomes of all time.
pub async fn disputed_meta(
    reader: &AggregateReader<'_>,
    today: NaiveDate,
) -> Result<DisputedMeta, StoreError> {
    let all_time = DateRange::new(epoch(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(today));
    let urgent_by = today.checked_add_signed(chrono::Duration::days(3)).unwrap_or(today);
    let totals = reader.open_dispute_totals(urgent_by).await?;
    Ok(disputed_meta_of(&totals, &reader.sum(family::DISPUTES, all_time).await?))
}

/// A page of the open disputes by evidence due date, after the key
/// `after` (a page reads its rows and one more), with the disputes' `meta`.
pub async fn disputed_payments(
    reader: &AggregateReader<'_>,
    today: NaiveDate,
    after: Option<&str>,
    limit: usize,
) -> Result<ListPage<Vec<DisputeRow>, DisputedMeta>, StoreError> {
    let meta = disputed_meta(reader, today).await?;
    let read = reader.open_disputes_page(after, limit + 1).await?;
    let page = ListPage::of_keyed(read, limit, meta);
    Ok(page.map(|rows| rows.iter().map(|d| dispute_row(d, today)).collect()))
}
