//! The orders Lambda's router: order performance metrics, high-value
//! orders and orders by status. Handlers are thin: parse, authorize, read
//! aggregates and index rows, call `sales_shared::metrics::orders`, respond.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sales_shared::auth::Principal;
use sales_shared::buckets::calendar_bucket_of;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::metrics::customers::CustomerCounts;
use sales_shared::metrics::get as measure_of;
use sales_shared::metrics::orders::{
    Extremes, HighValueSplit, PerformanceInputs, by_status, high_value_meta, high_value_meta_of,
    high_value_of_status, performance_metrics,
};
use sales_shared::money::{from_cents, json, to_cents};
use sales_shared::params::Params;
use sales_shared::periods::DateRange;
use sales_shared::records::{OrderStatus, StrEnum};
use sales_shared::store::StoreError;
use sales_shared::store::aggregates::{AggregateReader, family, measure};
use sales_shared::store::high_value::parse_amount_key;
use serde::Serialize;

/// Every route of the function: its path and its (GET) handler. (`/orders/export`
/// is the export API's: `functions/export`.)
fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); 3] {
    [
        ("/api/v1/sales/orders", get(orders_grouped)),
        ("/api/v1/sales/orders/performance-metrics", get(performance)),
        ("/api/v1/sales/orders/high-value", get(high_value)),
    ]
}

sales_shared::http_function_routes!(table);

/// `GET /orders/performance-metrics` (`from_date`, `to_date`,
/// `sales_rep_id`; `limit` for `top_sales_reps`).
async fn performance(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "order-performance-metrics").await?;
    let params =
        Params::parse(query.as_deref(), &["from_date", "to_date", "sales_rep_id", "limit"])?;
    let period = params.date_range(view.today)?;
    let rep = params.id("sales_rep_id")?;
    let limit = params.limit()?;
    let reader = &view.reader;
    let orders_family = rep.map_or_else(|| family::ORDERS.to_owned(), family::orders_of_rep);
    // The order-value sketch is kept in day and month items only.
    let orders = reader.sum_without_years(&orders_family, period).await?;
    let (highest_cents, lowest_cents) =
        reader.order_extremes(period, |o| rep.is_none() || o.sales_rep_id == rep).await?;
    let all_reps = reader.sales_reps().await?;
    let mut reps = Vec::new();
    for (id, r) in all_reps.into_iter().filter(|(id, _)| rep.is_none_or(|only| only == *id)) {
        reps.push((id, r.name, reader.sum(&family::orders_of_rep(id), period).await?));
    }
    let inputs = PerformanceInputs {
        period,
        orders,
        extremes: Extremes { highest_cents, lowest_cents },
        customers: customer_counts(reader, rep, period).await?,
        reps,
        limit,
    };
    view.respond(performance_metrics(inputs)).await
}

/// The period's customer counts: one derived item for a calendar period
/// of all reps; otherwise counted from the period's customers (a rep's
/// customers, or distinct customers over an arbitrary range, need them:
/// docs/data-model.md).
async fn customer_counts(
    reader: &AggregateReader<'_>,
    rep: Option<i64>,
    period: DateRange,
) -> Result<CustomerCounts, StoreError> {
    match calendar_bucket_of(period) {
        Some(bucket) if rep.is_none() => reader.customer_counts(&bucket).await,
        _ => Ok(CustomerCounts::of(&reader.customer_sets(rep, period).await?)),
    }
}

#[derive(Debug, Serialize)]
struct Party {
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct HighValueOrder {
    id: i64,
    order_number: String,
    customer: Party,
    #[serde(serialize_with = "json::money")]
    total_amount: Decimal,
    order_date: NaiveDate,
    status: String,
    sales_rep: Option<Party>,
}

const DEFAULT_MINIMUM: i64 = 1_000_000;

/// `GET /orders/high-value` (`minimum_amount` default 10000, `status`,
/// `from_date`, `to_date`, `limit`, `cursor`).
async fn high_value(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "high-value-orders").await?;
    let params = Params::parse(
        query.as_deref(),
        &["minimum_amount", "status", "from_date", "to_date", "limit", "cursor"],
    )?;
    let period = params.date_range(view.today)?;
    let minimum = params
        .amount("minimum_amount")?
        .map(|m| {
            to_cents(m).ok_or_else(|| {
                ApiError::parameter("minimum_amount", "`minimum_amount` is too large")
            })
        })
        .transpose()?
        .unwrap_or(DEFAULT_MINIMUM);
    let statuses: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
    let status = params.one_of("status", &statuses)?;
    let limit = params.limit()?;
    // Day and month items: the high-value bands are not in year items.
    let orders = view.reader.sum_without_years(family::ORDERS, period).await?;
    let revenue = measure_of(&orders, measure::REVENUE);
    let (rows, meta, next) = match status {
        // Revenue-bearing orders: a page merged from the amount index, and
        // `meta` from the period's high-value bands (plus the orders from
        // the minimum up to the next band edge, when it is not one).
        None => {
            let after = view
                .after(&params)?
                .map(|key| {
                    parse_amount_key(&key).ok_or_else(|| {
                        ApiError::parameter("cursor", "`cursor` is not a cursor of this list")
                    })
                })
                .transpose()?;
            let page = view.reader.high_value_page(period, minimum, after, limit).await?;
            let split = HighValueSplit::of(minimum);
            let (count, value) = split.bands(&orders);
            let (more, more_value) =
                view.reader.order_totals_between(period, minimum, split.below_cents).await?;
            let meta = high_value_meta_of(count + more, value + more_value, revenue);
            let (rows, next) = view.key_page(&params, page, limit);
            (rows, meta, next)
        }
        // One status: every order of the period from the minimum up.
        Some(status) => {
            let offset = view.offset(&params)?;
            let read = view.reader.orders_from_amount(period, minimum).await?;
            let matching = high_value_of_status(read, minimum, status);
            let meta = high_value_meta(&matching, revenue);
            let (rows, next) = view.page(&params, matching, offset, limit);
            (rows, meta, next)
        }
    };
    let customer_ids: Vec<i64> = rows.iter().map(|o| o.customer_id).collect();
    let customers = view.reader.customer_names(&customer_ids).await?;
    let reps: BTreeMap<i64, String> = if rows.iter().any(|o| o.sales_rep_id.is_some()) {
        view.reader.sales_reps().await?.into_iter().map(|(id, r)| (id, r.name)).collect()
    } else {
        BTreeMap::new()
    };
    let data: Vec<HighValueOrder> = rows
        .into_iter()
        .map(|o| HighValueOrder {
            id: o.order_id,
            order_number: o.order_number,
            customer: Party {
                id: o.customer_id,
                company_name: Some(customers.get(&o.customer_id).cloned().unwrap_or_default()),
                name: None,
            },
            total_amount: from_cents(o.total_cents),
            order_date: o.ordered_on,
            status: o.status,
            sales_rep: o.sales_rep_id.map(|id| Party {
                id,
                company_name: None,
                name: Some(reps.get(&id).cloned().unwrap_or_default()),
            }),
        })
        .collect();
    view.respond_list(data, meta, next).await
}

/// `GET /orders?group_by=status` (`from_date`, `to_date`): every status
/// with its count and total value, drafts included.
async fn orders_grouped(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "orders-by-status").await?;
    let params = Params::parse(query.as_deref(), &["group_by", "from_date", "to_date"])?;
    if params.one_of("group_by", &["status"])?.is_none() {
        return Err(ApiError::parameter(
            "group_by",
            "`group_by` is required; the only grouping is `status`",
        ));
    }
    let period = params.date_range(view.today)?;
    let orders = view.reader.sum(family::ORDERS, period).await?;
    view.respond(by_status(&orders)).await
}
