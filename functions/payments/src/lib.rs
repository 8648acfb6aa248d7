//! The payments Lambda's router: payment statistics and the failed and
//! disputed payment reports. Handlers are thin: parse, authorize, call the
//! query of `sales_shared::queries::payments`, respond.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use sales_shared::auth::Principal;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::params::Params;
use sales_shared::queries::payments::{disputed_payments, failed_payments, payment_statistics};
use sales_shared::records::{PaymentMethod, PaymentStatus, StrEnum};

/// Every route of the function: its path and its (GET) handler.
fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); 3] {
    [
        ("/api/v1/sales/payments/statistics", get(statistics)),
        ("/api/v1/sales/payments/failed", get(failed)),
        ("/api/v1/sales/payments/disputed", get(disputed)),
    ]
}

sales_shared::http_function_routes!(table);

/// `GET /payments/statistics` (`from_date`, `to_date`, `method`, `status`).
async fn statistics(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "payment-statistics").await?;
    let params = Params::parse(query.as_deref(), &["from_date", "to_date", "method", "status"])?;
    let period = params.date_range(view.today)?;
    let methods: Vec<&str> = PaymentMethod::ALL.iter().map(|m| m.as_str()).collect();
    let statuses: Vec<&str> = PaymentStatus::ALL.iter().map(|s| s.as_str()).collect();
    let method = params.one_of("method", &methods)?;
    let status = params.one_of("status", &statuses)?;
    view.respond(payment_statistics(&view.reader, period, method, status).await?).await
}

/// `GET /payments/failed` (`from_date`, `to_date`, `limit`, `cursor`):
/// the period's failed payments, newest `failed_at` first.
async fn failed(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "failed-payments").await?;
    let params = Params::parse(query.as_deref(), &["from_date", "to_date", "limit", "cursor"])?;
    let period = params.date_range(view.today)?;
    let limit = params.limit()?;
    let after = view.after(&params)?;
    let page = failed_payments(&view.reader, period, after.as_deref(), limit).await?;
    view.respond_page(&params, page).await
}

/// `GET /payments/disputed` (`limit`, `cursor`): open disputes by
/// evidence due date; outcome counts over all time.
async fn disputed(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "disputed-payments").await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let limit = params.limit()?;
    let after = view.after(&params)?;
    let page = disputed_payments(&view.reader, view.today, after.as_deref(), limit).await?;
    view.respond_page(&params, page).await
}
