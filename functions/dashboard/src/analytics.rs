//! `GET /dashboard/customer-analytics` and `GET /dashboard/performance`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use sales_shared::auth::Principal;
use sales_shared::http::jobs::{defer, defer_over_budget};
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::params::Params;
use sales_shared::queries::budget;
use sales_shared::queries::customers::{AnalyticsQuery, customer_analytics as analytics};
use sales_shared::queries::kpis::performance as kpis;

/// `GET /dashboard/customer-analytics` (`period`, default month; `limit`
/// for `top_customers`); over the read budget, 202 with a job.
pub async fn customer_analytics(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "customer-analytics").await?;
    let params = Params::parse(query.as_deref(), &["period", "from_date", "to_date", "limit"])?;
    let (_, period) = params.period(view.today)?;
    let query = AnalyticsQuery {
        period,
        limit: params.limit()?,
        vip_lifetime_revenue: view.settings.vip_lifetime_revenue,
    };
    let size = budget::customer_analytics(&view.reader, &query, view.today).await?;
    if let Some(job) = defer_over_budget(&ctx, &view, &principal, size, &uri, period).await? {
        return Ok(job);
    }
    match analytics(&view.reader, query, view.today, ctx.sync_read_budget).await? {
        Some(answer) => view.respond(answer).await,
        None => defer(&ctx, &view, &principal, &uri, period).await,
    }
}

/// `GET /dashboard/performance` (`period`, default month).
pub async fn performance(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "performance").await?;
    let params = Params::parse(query.as_deref(), &["period", "from_date", "to_date"])?;
    let (kind, period) = params.period(view.today)?;
    view.respond(kpis(&view.reader, kind, period).await?).await
}
