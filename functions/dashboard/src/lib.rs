//! The dashboard Lambda's router: the overview, the widgets, revenue
//! reporting, customer analytics and the KPIs. Handlers are thin: parse,
//! authorize, read aggregates, call the pure computations of
//! `sales_shared::metrics`, respond.

pub mod analytics;
pub mod overview;
pub mod revenue;
pub mod widgets;

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use sales_shared::auth::Principal;
use sales_shared::http::{ApiContext, ApiError, not_found};
use sales_shared::params::Params;
use sales_shared::store::aggregates::{family, measure};

use crate::overview::{DashboardInputs, PeriodTotals, compute};

/// The routes, for mounting beside other functions' routes locally.
pub fn routes() -> Router<Arc<ApiContext>> {
    Router::new()
        .route("/api/v1/sales/dashboard", get(dashboard))
        .route("/api/v1/sales/dashboard/widgets/recent-orders", get(widgets::recent_orders))
        .route("/api/v1/sales/dashboard/widgets/top-customers", get(widgets::top_customers))
        .route("/api/v1/sales/dashboard/widgets/sales-goals", get(widgets::sales_goals))
        .route("/api/v1/sales/dashboard/revenue", get(revenue::revenue))
        .route("/api/v1/sales/dashboard/customer-analytics", get(analytics::customer_analytics))
        .route("/api/v1/sales/dashboard/performance", get(analytics::performance))
}

/// The function's whole router.
pub fn router(ctx: Arc<ApiContext>) -> Router {
    routes().fallback(not_found).with_state(ctx)
}

async fn dashboard(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "dashboard").await?;
    let params = Params::parse(query.as_deref(), &["period", "from_date", "to_date", "compare_to_previous"])?;
    let compare = params.bool("compare_to_previous")?.unwrap_or(false);
    let (kind, period) = params.period(view.today)?;
    let reader = &view.reader;

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
        reader.sum_through(family::INVOICES, period.to).await?.get(measure::AR_CHANGE).copied().unwrap_or(0);
    let inputs = DashboardInputs {
        kind: Some(kind),
        period: Some(period),
        today: Some(view.today),
        daily_orders: reader.daily(family::ORDERS, period).await?,
        payments: reader.sum(family::PAYMENTS, period).await?,
        invoices: reader.sum(family::INVOICES, period).await?,
        outstanding_cents: outstanding,
        open_invoices: reader.invoices_open_at(view.today).await?.into_iter().map(|(i, _)| i).collect(),
        previous,
    };
    view.respond(compute(&inputs)).await
}
