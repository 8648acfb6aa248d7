//! The dashboard widgets: recent orders, top customers, sales goals.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use sales_shared::auth::Principal;
use sales_shared::http::jobs::defer;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::params::Params;
use sales_shared::queries::customers::top_customers as ranked_customers;
use sales_shared::queries::dashboard::{recent_orders as latest_orders, sales_goals as goals};

/// `GET /dashboard/widgets/recent-orders`: the latest placed orders of all
/// time by `ordered_at`, cancelled included.
pub async fn recent_orders(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "recent-orders").await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let limit = params.limit()?;
    let after = view.after(&params)?;
    let page = latest_orders(&view.reader, after.as_deref(), limit).await?;
    view.respond_page(&params, page).await
}

/// `GET /dashboard/widgets/top-customers` (`period`, default month); a
/// custom range over the read budget: 202 with a job.
pub async fn top_customers(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "top-customers").await?;
    let params =
        Params::parse(query.as_deref(), &["period", "from_date", "to_date", "limit", "cursor"])?;
    let (_, period) = params.period(view.today)?;
    let limit = params.limit()?;
    let start = view.position(&params)?;
    // A custom range reads its cover's rankings until the rows are exact,
    // within the read budget; past it, a job answers.
    match ranked_customers(&view.reader, period, start, limit, ctx.sync_read_budget).await? {
        Some(page) => view.respond_page(&params, page).await,
        None => defer(&ctx, &view, &principal, &uri, period).await,
    }
}

/// `GET /dashboard/widgets/sales-goals`: this month's target and progress.
pub async fn sales_goals(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "sales-goals").await?;
    Params::parse(query.as_deref(), &[])?;
    view.respond(goals(&view.reader, view.today).await?).await
}
