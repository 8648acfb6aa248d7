//! The dashboard Lambda's router: `GET /api/v1/sales/dashboard`.

pub mod overview;

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use sales_shared::auth::{Principal, Scope};
use sales_shared::http::{ApiContext, ApiError, Envelope, Meta, not_found};
use sales_shared::params::Params;
use sales_shared::periods::local_today;
use sales_shared::store::aggregates::{AggregateReader, family, measure};

use crate::overview::{Dashboard, DashboardInputs, PeriodTotals, compute};

/// The routes, for mounting beside other functions' routes locally.
pub fn routes() -> Router<Arc<ApiContext>> {
    Router::new().route("/api/v1/sales/dashboard", get(dashboard))
}

/// The function's whole router.
pub fn router(ctx: Arc<ApiContext>) -> Router {
    routes().fallback(not_found).with_state(ctx)
}

async fn dashboard(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Json<Envelope<Dashboard>>, ApiError> {
    principal.require(Scope::Read)?;
    let params = Params::parse(query.as_deref(), &["period", "from_date", "to_date", "compare_to_previous"])?;
    let compare = params.bool("compare_to_previous")?.unwrap_or(false);
    let reader = AggregateReader::new(&ctx.dynamo, &ctx.aggregates_table, &principal.tenant_id);
    let settings = reader.settings().await?;
    let now = ctx.clock.now();
    let today = local_today(now, settings.tz());
    let (kind, period) = params.period(today)?;

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
        today: Some(today),
        daily_orders: reader.daily(family::ORDERS, period).await?,
        payments: reader.sum(family::PAYMENTS, period).await?,
        invoices: reader.sum(family::INVOICES, period).await?,
        outstanding_cents: outstanding,
        open_invoices: reader.open_invoices().await?,
        previous,
    };
    let data = compute(&inputs);
    let meta = Meta::new(now, reader.watermark().await?);
    tracing::info!(items_read = reader.items_read(), tenant = %principal.tenant_id, "dashboard served");
    Ok(Json(Envelope { data, meta }))
}
