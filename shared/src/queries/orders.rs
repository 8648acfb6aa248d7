//! `/orders` by status, `/orders/performance-metrics` and high-value orders.

use std::collections::BTreeMap;

use super::QueryError;
use crate::calendar::calendar_bucket_of;
use crate::figures::customers::CustomerCounts;
use crate::figures::orders::{
    Extremes, HighValueMeta, HighValueOrder, HighValueSplit, OrderRow, PerformanceInputs,
    PerformanceMetrics, StatusGroup, by_status, high_value_meta, high_value_meta_of,
    high_value_of_status, performance_metrics,
};
use crate::figures::{Keyed, get};
use crate::layout::{amount_key, family, measure};
use crate::paging::{CursorMismatch, ListPage, Position};
use crate::periods::DateRange;
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// Every status with its count and total value over `period`, drafts
/// included.
pub async fn orders_by_status(
    reader: &AggregateReader<'_>,
    period: DateRange,
) -> Result<Keyed<StatusGroup>, StoreError> {
    Ok(by_status(&reader.sum(family::ORDERS, period).await?))
}

/// Each rep's measures (`placed`, `revenue_bearing`, `revenue`) from the
/// summed `rep_orders` measures.
fn rep_sums(summed: &crate::layout::Measures) -> BTreeMap<i64, crate::layout::Measures> {
    let mut out: BTreeMap<i64, crate::layout::Measures> = BTreeMap::new();
    for (name, v) in summed {
        if let Some((id, measure)) = measure::rep_measure_of(name) {
            out.entry(id).or_default().insert(measure.to_owned(), *v);
        }
    }
    out
}

/// What `/orders/performance-metrics` asks for.
#[derive(Debug, Clone, Copy)]
pub struct PerformanceQuery {
    pub period: DateRange,
    pub sales_rep: Option<i64>,
    /// Rows of `top_sales_reps`.
    pub limit: usize,
}

/// Order performance metrics of a period, of all reps or one.
pub async fn order_performance(
    reader: &AggregateReader<'_>,
    query: PerformanceQuery,
) -> Result<PerformanceMetrics, StoreError> {
    let PerformanceQuery { period, sales_rep: rep, limit } = query;
    let orders_family = rep.map_or_else(|| family::ORDERS.to_owned(), family::orders_of_rep);
    // The order-value sketch is kept in day and month items only.
    let orders = reader.sum_without_years(&orders_family, period).await?;
    let (highest_cents, lowest_cents) =
        reader.order_extremes(period, |o| rep.is_none() || o.sales_rep_id == rep).await?;
    // Every rep's sums: one read of the cover.
    let mut sums = rep_sums(&reader.sum(family::REP_ORDERS, period).await?);
    let reps = reader
        .sales_reps()
        .await?
        .into_iter()
        .filter(|(id, _)| rep.is_none_or(|only| only == *id))
        .map(|(id, r)| (id, r.name, sums.remove(&id).unwrap_or_default()))
        .collect();
    Ok(performance_metrics(PerformanceInputs {
        period,
        orders,
        extremes: Extremes { highest_cents, lowest_cents },
        customers: customer_counts(reader, rep, period).await?,
        reps,
        limit,
    }))
}

/// The period's customer counts: of all reps, one derived item for a
/// calendar period, new customers and returns over the cover of any other
/// range; of one rep, counted from the rep's customers of the period
/// (docs/data-model.md).
async fn customer_counts(
    reader: &AggregateReader<'_>,
    rep: Option<i64>,
    period: DateRange,
) -> Result<CustomerCounts, StoreError> {
    match (calendar_bucket_of(period), rep) {
        (Some(bucket), None) => reader.customer_counts(&bucket).await,
        (None, None) => reader.customer_counts_in(period).await,
        (_, Some(_)) => Ok(CustomerCounts::of(&reader.customer_sets(rep, period).await?)),
    }
}

/// What `/orders/high-value` asks for.
#[derive(Debug, Clone, Copy)]
pub struct HighValueQuery<'q> {
    pub period: DateRange,
    pub minimum_cents: i64,
    pub status: Option<&'q str>,
    pub limit: usize,
}

/// A page of the period's orders of at least the minimum, largest first,
/// with `meta` over every matching order (not the page), from `start`.
///
/// Without a status (the revenue-bearing orders): a page merged from the
/// amount index (key-paged), and `meta` from the period's high-value bands
/// plus the orders from the minimum up to the next band edge, when it is
/// not one. With a status: every order of the period from the minimum up
/// (offset-paged).
pub async fn high_value_orders(
    reader: &AggregateReader<'_>,
    query: HighValueQuery<'_>,
    start: Option<Position>,
) -> Result<ListPage<Vec<HighValueOrder>, HighValueMeta>, QueryError> {
    let HighValueQuery { period, minimum_cents: minimum, status, limit } = query;
    // Day and month items: the high-value bands are not in year items.
    let orders = reader.sum_without_years(family::ORDERS, period).await?;
    let revenue = get(&orders, measure::REVENUE);
    let page: ListPage<Vec<OrderRow>, HighValueMeta> = match status {
        None => {
            let after = Position::key(start)?
                .map(|key| amount_key::parse(&key).ok_or(CursorMismatch))
                .transpose()?;
            let read = reader.high_value_page(period, minimum, after, limit).await?;
            let split = HighValueSplit::of(minimum);
            let (count, value) = split.bands(&orders);
            let (more, more_value) =
                reader.order_totals_between(period, minimum, split.below_cents).await?;
            let meta = high_value_meta_of(count + more, value + more_value, revenue);
            ListPage::of_keyed(read, limit, meta)
        }
        Some(status) => {
            let offset = Position::offset(start)?;
            let read = reader.orders_from_amount(period, minimum).await?;
            let matching = high_value_of_status(read, minimum, status);
            let meta = high_value_meta(&matching, revenue);
            ListPage::of_ranked(matching, offset, limit, meta)
        }
    };
    let customer_ids: Vec<i64> = page.data.iter().map(|o| o.customer_id).collect();
    let customers = reader.customer_names(&customer_ids).await?;
    let reps: BTreeMap<i64, String> = if page.data.iter().any(|o| o.sales_rep_id.is_some()) {
        reader.sales_reps().await?.into_iter().map(|(id, r)| (id, r.name)).collect()
    } else {
        BTreeMap::new()
    };
    let rep_name = |id| reps.get(&id).cloned().unwrap_or_default();
    Ok(page.map(|rows| {
        rows.into_iter()
            .map(|o| {
                let customer = customers.get(&o.customer_id).cloned().unwrap_or_default();
                HighValueOrder::of(o, customer, rep_name)
            })
            .collect()
    }))
}
