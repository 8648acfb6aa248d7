//! The orders Lambda's router: order performance metrics, high-value
//! orders and orders by status. Handlers are thin: parse, authorize, call
//! the query of `sales_shared::queries::orders`, respond.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use sales_shared::auth::Principal;
use sales_shared::http::jobs::defer_over_budget;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::money::to_cents;
use sales_shared::params::Params;
use sales_shared::queries::budget;
use sales_shared::queries::orders::{
    HighValueQuery, PerformanceQuery, high_value_orders, order_performance, orders_by_status,
};
use sales_shared::records::{OrderStatus, StrEnum};

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
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "order-performance-metrics").await?;
    let params =
        Params::parse(query.as_deref(), &["from_date", "to_date", "sales_rep_id", "limit"])?;
    let period = params.date_range(view.today)?;
    let rep = params.id("sales_rep_id")?;
    let limit = params.limit()?;
    let query = PerformanceQuery { period, sales_rep: rep, limit };
    // One rep's customers are counted from the rep's customer items.
    let size = budget::rep_customers(&view.reader, period, rep).await?;
    if let Some(job) = defer_over_budget(&ctx, &view, &principal, size, &uri, period).await? {
        return Ok(job);
    }
    view.respond(order_performance(&view.reader, query).await?).await
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
    let query = HighValueQuery { period, minimum_cents: minimum, status, limit };
    let page = high_value_orders(&view.reader, query, view.position(&params)?).await?;
    view.respond_page(&params, page).await
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
    view.respond(orders_by_status(&view.reader, period).await?).await
}
