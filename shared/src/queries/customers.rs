//! `/dashboard/customer-analytics` and the top-customers widget.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::QueryError;
use crate::calendar::{calendar_bucket_of, epoch};
use crate::envelope::NoTotals;
use crate::figures::customers::{
    CustomerSets, customer_since, lifetime_value, purchase_frequency_of_counts, segmentation,
    segmentation_of_counts,
};
use crate::figures::kpis::{
    AnalyticsTopCustomer, CustomerAnalytics, TopCustomer, analytics_top_customers, name_customers,
};
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

/// Customer analytics of a period at `today`.
///
/// A calendar period ending today or later with no order dated after it
/// reads derived counts, the lifetime-value histogram (lifetime values now
/// are those through its end) and its ranking. Any other range reads the
/// customers active in it (distinct customers do not add across buckets),
/// their order days and lifetime through the end; purchase frequency comes
/// from the dated counts, lifetime values from the histogram when they are
/// today's.
pub async fn customer_analytics(
    reader: &AggregateReader<'_>,
    query: AnalyticsQuery,
    today: NaiveDate,
) -> Result<CustomerAnalytics, StoreError> {
    let AnalyticsQuery { period, limit, vip_lifetime_revenue } = query;
    let current = period.to >= today && !reader.dated_after(family::ORDERS, period.to).await?;
    let through = reader.sum_through(family::CUSTOMER_COUNTS, period.to).await?;
    let mut out = match calendar_bucket_of(period).filter(|_| current) {
        Some(bucket) => {
            let counts = reader.bucket_counts(&bucket).await?;
            let orders = reader.sum(family::ORDERS, period).await?;
            let ranked = reader.top_customers(&bucket, None, limit).await?;
            let ids: Vec<i64> = ranked.iter().map(|(_, id, _)| *id).collect();
            let (days, lifetime) = reader.customer_histories(&ids, period.to).await?;
            CustomerAnalytics {
                customer_segmentation: segmentation_of_counts(&counts, &orders),
                customer_lifetime_value: reader.lifetime_values().await?,
                purchase_frequency: purchase_frequency_of_counts(&through),
                top_customers: ranked
                    .iter()
                    .map(|(_, id, totals)| AnalyticsTopCustomer {
                        customer: TopCustomer::of(*id, totals),
                        customer_since: days.get(id).and_then(customer_since),
                        lifetime_value: lifetime.get(id).map_or(Decimal::ZERO, |t| t.revenue()),
                    })
                    .collect(),
            }
        }
        None => {
            let sets = reader.customer_sets(None, period).await?;
            let lifetime = if current {
                reader.lifetime_values().await?
            } else {
                let everyone = CustomerSets {
                    through: reader.customers(None, DateRange::new(epoch(), period.to)).await?,
                    ..Default::default()
                };
                lifetime_value(&everyone)
            };
            CustomerAnalytics {
                customer_segmentation: segmentation(&sets, vip_lifetime_revenue),
                customer_lifetime_value: lifetime,
                purchase_frequency: purchase_frequency_of_counts(&through),
                top_customers: analytics_top_customers(&sets, limit),
            }
        }
    };
    let ids: Vec<i64> = out.top_customers.iter().map(|c| c.customer.customer_id).collect();
    let names = reader.customer_names(&ids).await?;
    name_customers(out.top_customers.iter_mut().map(|c| &mut c.customer), &names);
    Ok(out)
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
