//! The dashboard overview, revenue by period and by product, the
//! sales-goals and recent-orders widgets.

use chrono::{Datelike, NaiveDate};

use crate::calendar::month_key;
use crate::envelope::NoTotals;
use crate::figures::dashboard::{Dashboard, DashboardInputs, PeriodTotals, compute};
use crate::figures::get;
use crate::figures::orders::RecentOrder;
use crate::figures::revenue::{
    RevenueByPeriod, RevenueByProduct, RevenueGrain, SalesGoals, name_products, revenue_by_period,
    sales_goals as goals, sum_days, sums_days,
};
use crate::layout::{Measures, family, measure};
use crate::paging::ListPage;
use crate::periods::{DateRange, PeriodKind};
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// The dashboard overview of `period` (of kind `kind`) at `today`; with
/// `compare`, against the previous period of that kind.
pub async fn overview(
    reader: &AggregateReader<'_>,
    kind: PeriodKind,
    period: DateRange,
    today: NaiveDate,
    compare: bool,
) -> Result<Dashboard, StoreError> {
    let previous = if compare {
        let range = kind.previous(period);
        Some(PeriodTotals {
            orders: reader.sum(family::ORDERS, range).await?,
            invoices: reader.sum(family::INVOICES, range).await?,
        })
    } else {
        None
    };
    let outstanding =
        get(&reader.sum_through(family::INVOICES, period.to).await?, measure::AR_CHANGE);
    Ok(compute(&DashboardInputs {
        kind: Some(kind),
        period: Some(period),
        orders: reader.sum(family::ORDERS, period).await?,
        daily_orders: reader.daily_orders(period).await?,
        payments: reader.sum(family::PAYMENTS, period).await?,
        invoices: reader.sum(family::INVOICES, period).await?,
        outstanding_cents: outstanding,
        open: reader.open_in_period(period, today).await?,
        previous,
    }))
}

/// Revenue by `grain` bucket over `range` (buckets clipped to it).
pub async fn revenue(
    reader: &AggregateReader<'_>,
    grain: RevenueGrain,
    range: DateRange,
) -> Result<RevenueByPeriod, StoreError> {
    let buckets = grain.buckets(range);
    let rows: Vec<(String, Measures)> = if sums_days(grain) {
        sum_days(buckets, &reader.daily_orders(range).await?)
    } else {
        let mut rows = Vec::with_capacity(buckets.len());
        for (label, bucket) in buckets {
            rows.push((label, reader.sum(family::ORDERS, bucket).await?));
        }
        rows
    };
    Ok(revenue_by_period(grain, &rows))
}

/// Revenue and units by product over `range`, the first `limit` by
/// revenue, with SKUs and names.
pub async fn revenue_by_product(
    reader: &AggregateReader<'_>,
    range: DateRange,
    limit: usize,
) -> Result<RevenueByProduct, StoreError> {
    let measures = reader.sum_shards(family::PRODUCT_SALES, range).await?;
    let mut ranked = crate::figures::revenue::revenue_by_product(&measures, limit);
    let ids: Vec<i64> = ranked.by_product.iter().map(|p| p.product_id).collect();
    name_products(&mut ranked, &reader.products(&ids).await?);
    Ok(ranked)
}

/// This month's sales target and the progress towards it at `today`.
pub async fn sales_goals(
    reader: &AggregateReader<'_>,
    today: NaiveDate,
) -> Result<SalesGoals, StoreError> {
    let target =
        reader.monthly_amounts(family::SALES_TARGETS).await?.get(&month_key(today)).copied();
    let first = today.with_day(1).unwrap_or(today);
    let month_to_date = reader.sum(family::ORDERS, DateRange::new(first, today)).await?;
    Ok(goals(today, target, get(&month_to_date, measure::REVENUE)))
}

/// A page of the latest placed orders of all time by `ordered_at`
/// (cancelled included), after the key `after`: key-paged, so a page
/// reads its rows and one more however deep it is.
pub async fn recent_orders(
    reader: &AggregateReader<'_>,
    after: Option<&str>,
    limit: usize,
) -> Result<ListPage<Vec<RecentOrder>, NoTotals>, StoreError> {
    let read = reader.recent_orders(after, limit + 1).await?;
    let page = ListPage::of_keyed(read, limit, NoTotals {});
    let ids: Vec<i64> = page.data.iter().map(|r| r.customer_id).collect();
    let names = reader.customer_names(&ids).await?;
    Ok(page.map(|rows| {
        rows.into_iter()
            .map(|row| {
                let name = names.get(&row.customer_id).cloned().unwrap_or_default();
                RecentOrder::of(row, name)
            })
            .collect()
    }))
}
