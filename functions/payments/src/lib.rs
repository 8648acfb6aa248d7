//! The payments Lambda's router: payment statistics and the failed and
//! disputed payment reports. Handlers are thin: parse, authorize, read
//! aggregates and index rows, call `sales_shared::metrics::payments`, respond.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use rust_decimal::Decimal;
use sales_shared::auth::Principal;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::metrics::cents_to_decimal;
use sales_shared::metrics::payments::{
    DisputeRow, dispute_row, failed_meta, statistics as payment_statistics,
};
use sales_shared::money::json;
use sales_shared::params::Params;
use sales_shared::records::{PaymentMethod, PaymentStatus, StrEnum};
use sales_shared::store::aggregates::family;
use serde::Serialize;

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
    let measures = view.reader.sum(&family::payments_of(method, status), period).await?;
    view.respond(payment_statistics(period, &measures)).await
}

#[derive(Debug, Serialize)]
struct Customer {
    id: i64,
    company_name: String,
    email: Option<String>,
}

#[derive(Debug, Serialize)]
struct FailedRow {
    id: i64,
    payment_number: String,
    #[serde(serialize_with = "json::money")]
    amount: Decimal,
    method: String,
    failure_reason: String,
    failed_at: String,
    retry_count: i64,
    can_retry: bool,
    customer: Customer,
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
    let meta = failed_meta(&view.reader.sum(family::PAYMENTS, period).await?);
    // Key-based paging: each page reads about its rows per partition of
    // the range's cover, however deep.
    let page = view
        .reader
        .failed_payments_page(period, view.after(&params)?.as_deref(), limit + 1)
        .await?;
    let (rows, next) = view.key_page(&params, page, limit);
    let ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    let customers = view.reader.customer_info(&ids).await?;
    let data: Vec<FailedRow> = rows
        .into_iter()
        .map(|r| {
            let customer = customers.get(&r.customer_id);
            FailedRow {
                id: r.payment_id,
                payment_number: r.payment_number,
                amount: cents_to_decimal(r.amount_cents),
                method: r.method,
                failure_reason: r.failure_reason,
                failed_at: r.failed_at,
                retry_count: r.retry_count,
                can_retry: r.can_retry,
                customer: Customer {
                    id: r.customer_id,
                    company_name: customer.map(|(c, _)| c.company_name.clone()).unwrap_or_default(),
                    email: customer.and_then(|(c, _)| c.email.clone()),
                },
            }
        })
        .collect();
    view.respond_list(data, meta, next).await
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
    let meta = sales_shared::reports::disputed_meta(&view.reader, view.today).await?;
    // Key-based paging: a page reads its rows and one more.
    let page = view.reader.open_disputes_page(view.after(&params)?.as_deref(), limit + 1).await?;
    let (page, next) = view.key_page(&params, page, limit);
    let data: Vec<DisputeRow> = page.iter().map(|d| dispute_row(d, view.today)).collect();
    view.respond_list(data, meta, next).await
}
