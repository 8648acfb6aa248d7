//! `/dashboard/customer-analytics` and the top-customers widget.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::QueryError;
use crate::calendar::calendar_bucket_of;
use crate::envelope::NoTotals;
use crate::figures::customers::{
    CustomerTotals, SegmentSums, customer_since, past_end_correction, purchase_frequency_of_counts,
    segmentation_of_sums, vip_cents,
};
use crate::figures::kpis::{AnalyticsTopCustomer, CustomerAnalytics, TopCustomer, name_customers};
use crate::layout::add_measures;
use crate::layout::family;
use crate::paging::{ListPage, Position};
use crate::periods::DateRange;
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// What `/dashboard/customer-analytics` asks for.
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsQuery {
    pub period: DateRange,
    /// Rows of `top_customers`.
    pub limit: usize,
    /// The tenant's lifetime revenue from which a customer is a VIP.
    pub vip_lifetime_revenue: Decimal,
}

/// Customer analytics of a period at `today`; `None` when its top
/// customers would read more than `max_items` items.
///
/// A period ending today or later with no order dated after it reads
/// sums: a calendar bucket its derived counts and its ranking; any other
/// range the counts and sums of its cover (new customers' lifetimes by
/// first day, today's VIPs by last day) and its top customers by the
/// threshold algorithm. Lifetime values are the histogram's (lifetimes
/// now are those through its end). Any other period reads the customers
/// active in it (distinct customers do not add across buckets), their
/// order days, and the lifetimes through its end of every customer
/// (docs/data-model.md, "What still reads per entity"); purchase frequency
/// comes from the dated counts.
pub async fn customer_analytics(
    reader: &AggregateReader<'_>,
    query: AnalyticsQuery,
    today: NaiveDate,
    max_items: u64,
) -> Result<Option<CustomerAnalytics>, StoreError> {
    let AnalyticsQuery { period, limit, vip_lifetime_revenue } = query;
    let current = period.to >= today && !reader.dated_after(family::ORDERS, period.to).await?;
    let through = reader.sum_through(family::CUSTOMER_COUNTS, period.to).await?;
    let mut out = match calendar_bucket_of(period).filter(|_| current) {
        Some(bucket) => {
            let counts = reader.bucket_counts(&bucket).await?;
            let orders = reader.sum(family::ORDERS, period).await?;
            let ranked = reader.top_customers(&bucket, None, limit).await?;
            let ranked = ranked.into_iter().map(|(_, id, totals)| (id, totals)).collect();
            CustomerAnalytics {
                customer_segmentation: segmentation_of_sums(
                    &SegmentSums::of_bucket(&counts),
                    &orders,
                ),
                customer_lifetime_value: reader.lifetime_values().await?,
                purchase_frequency: purchase_frequency_of_counts(&through),
                top_customers: with_histories(reader, ranked, period.to).await?,
            }
        }
        _ => {
            // The cover's sums, which hold every customer's days to the
            // latest data, corrected by the customers with an order after
            // the end (none for a range ending at the latest data).
            let after = match current {
                true => Vec::new(),
                false => reader.days_of_customers_after(period.to).await?,
            };
            let correction = past_end_correction(&after, period, vip_cents(vip_lifetime_revenue));
            let (counts, mut summed) = reader.range_counts(period).await?;
            add_measures(&mut summed, &correction.measures);
            let orders = reader.sum(family::ORDERS, period).await?;
            let Some(ranked) = reader.top_customers_in(period, limit, max_items).await? else {
                return Ok(None);
            };
            CustomerAnalytics {
                customer_segmentation: segmentation_of_sums(
                    &SegmentSums::ending_now(counts, &summed),
                    &orders,
                ),
                customer_lifetime_value: reader
                    .lifetime_values_corrected(&correction.lifetimes)
                    .await?,
                purchase_frequency: purchase_frequency_of_counts(&through),
                top_customers: with_histories(reader, ranked, period.to).await?,
            }
        }
    };
    let ids: Vec<i64> = out.top_customers.iter().map(|c| c.customer.customer_id).collect();
    let names = reader.customer_names(&ids).await?;
    name_customers(out.top_customers.iter_mut().map(|c| &mut c.customer), &names);
    Ok(Some(out))
}

/// Ranked customers with their first order date and lifetime value through
/// `end` (one `customer_days` read each).
async fn with_histories(
    reader: &AggregateReader<'_>,
    ranked: Vec<(i64, CustomerTotals)>,
    end: NaiveDate,
) -> Result<Vec<AnalyticsTopCustomer>, StoreError> {
    let ids: Vec<i64> = ranked.iter().map(|(id, _)| *id).collect();
    let (days, lifetime) = reader.customer_histories(&ids, end).await?;
    Ok(ranked
        .iter()
        .map(|(id, totals)| AnalyticsTopCustomer {
            customer: TopCustomer::of(*id, totals),
            customer_since: days.get(id).and_then(customer_since),
            lifetime_value: lifetime.get(id).map_or(Decimal::ZERO, |t| t.revenue()),
        })
        .collect())
}

/// A page of the period's customers by revenue, from `start`: a calendar
/// period's derived ranking (key-paged), or for any other range the first
/// rows by the threshold algorithm over its cover's rankings
/// (offset-paged); `None` when that would read more than `max_items`.
pub async fn top_customers(
    reader: &AggregateReader<'_>,
    period: DateRange,
    start: Option<Position>,
    limit: usize,
    max_items: u64,
) -> Result<Option<ListPage<Vec<TopCustomer>, NoTotals>>, QueryError> {
    let mut page = match calendar_bucket_of(period) {
        Some(bucket) => {
            let after = Position::key(start)?;
            let ranked = reader.top_customers(&bucket, after.as_deref(), limit + 1).await?;
            let rows =
                ranked.into_iter().map(|(key, id, totals)| (key, TopCustomer::of(id, &totals)));
            ListPage::of_keyed(rows.collect(), limit, NoTotals {})
        }
        None => {
            let offset = Position::offset(start)?;
            let first = offset.saturating_add(limit).saturating_add(1);
            let Some(rows) = reader.top_customers_in(period, first, max_items).await? else {
                return Ok(None);
            };
            let rows = rows.iter().map(|(id, totals)| TopCustomer::of(*id, totals)).collect();
            ListPage::of_ranked(rows, offset, limit, NoTotals {})
        }
    };
    let ids: Vec<i64> = page.data.iter().map(|r| r.customer_id).collect();
    name_customers(&mut page.data, &reader.customer_names(&ids).await?);
    Ok(Some(page))
}
