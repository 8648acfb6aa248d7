//! The dashboard Lambda's router: the overview, the widgets, revenue
//! reporting, customer analytics and the KPIs. Handlers are thin: parse,
//! authorize, call one query of `sales_shared::queries`, respond.

pub mod analytics;
pub mod revenue;
pub mod widgets;

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use sales_shared::auth::Principal;
use sales_shared::envelope::NoTotals;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::paging::ListPage;
use sales_shared::params::Params;
use sales_shared::queries::dashboard::overview;

/// Every route of the function: its path and its (GET) handler.
fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); 8] {
    [
        ("/api/v1/sales/dashboard", get(dashboard)),
        ("/api/v1/sales/dashboard/widgets/recent-orders", get(widgets::recent_orders)),
        ("/api/v1/sales/dashboard/widgets/top-customers", get(widgets::top_customers)),
        ("/api/v1/sales/dashboard/widgets/sales-goals", get(widgets::sales_goals)),
        ("/api/v1/sales/dashboard/revenue", get(revenue::revenue)),
        ("/api/v1/sales/dashboard/customer-analytics", get(analytics::customer_analytics)),
        ("/api/v1/sales/dashboard/performance", get(analytics::performance)),
        ("/api/v1/sales/reports", get(reports)),
    ]
}

sales_shared::http_function_routes!(table);

async fn dashboard(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "dashboard").await?;
    let params = Params::parse(
        query.as_deref(),
        &["period", "from_date", "to_date", "compare_to_previous"],
    )?;
    let compare = params.bool("compare_to_previous")?.unwrap_or(false);
    let (kind, period) = params.period(view.today)?;
    view.respond(overview(&view.reader, kind, period, view.today, compare).await?).await
}

/// `GET /api/v1/sales/reports`: the tenant's scheduled management reports,
/// newest month first, each with a fresh presigned link (`sales:export`).
async fn reports(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, "reports", sales_shared::auth::Scope::Export).await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let (limit, offset) = (params.limit()?, view.offset(&params)?);
    let all =
        sales_shared::reports::stored::list_reports(&ctx.exports, &principal.tenant_id, view.now)
            .await?;
    let page = ListPage::of_ranked(all, offset, limit, NoTotals {});
    view.respond_page(&params, page).await
}
