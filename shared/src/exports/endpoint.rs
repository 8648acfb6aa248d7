//! `GET /orders/export` and `GET /invoices/export`: the shared handler.
//! Requires `sales:export`; answers `303 See Other` to a presigned link, or
//! `{"data": {url, expires_at, rows, bytes, format}}` for
//! `Accept: application/json`.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde::Serialize;

use super::Format;
use super::run::{Dataset, Request, export};
use super::tables::INVOICE_STATUSES;
use crate::auth::{Principal, Scope};
use crate::http::{ApiContext, ApiError};
use crate::params::Params;
use crate::records::{OrderStatus, StrEnum};

#[derive(Debug, Serialize)]
pub struct ExportOut {
    pub url: String,
    pub expires_at: String,
    pub rows: u64,
    pub bytes: u64,
    pub format: &'static str,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("application/json")))
}

pub async fn export_endpoint(
    ctx: Arc<ApiContext>,
    principal: Principal,
    headers: HeaderMap,
    query: Option<String>,
    dataset: Dataset,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, dataset.name(), Scope::Export).await?;
    let params = Params::parse(query.as_deref(), &["format", "from_date", "to_date", "status"])?;
    let format = match params.get("format") {
        None => return Err(ApiError::parameter("format", "`format` is required: csv, excel or pdf")),
        Some(text) => Format::parse(text).ok_or_else(|| {
            ApiError::parameter("format", format!("`format` must be one of csv, excel, pdf, got `{text}`"))
        })?,
    };
    let range = params.date_range(view.today)?;
    let order_statuses: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
    let statuses: &[&str] = match dataset {
        Dataset::Orders => &order_statuses,
        Dataset::Invoices => &INVOICE_STATUSES,
    };
    let status = params.one_of("status", statuses)?;
    let request = Request {
        dataset,
        format,
        tenant: &principal.tenant_id,
        range,
        status,
        currency: &view.settings.currency,
        today: view.today,
        now: view.now,
    };
    let exported = export(&view.reader, &ctx.exports(), &request).await?;
    tracing::info!(
        tenant = %principal.tenant_id, key = %exported.key, rows = exported.rows, bytes = exported.bytes,
        items_read = view.reader.items_read(), "export written"
    );
    if wants_json(&headers) {
        let out = ExportOut {
            url: exported.link.url,
            expires_at: exported.link.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            rows: exported.rows,
            bytes: exported.bytes,
            format: format.name(),
        };
        return view.respond(out).await;
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    let location = header::HeaderValue::from_str(&exported.link.url)
        .map_err(|e| ApiError::Export(super::ExportError::S3 { operation: "presign", message: e.to_string() }))?;
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// The route of an export endpoint, for the orders and invoices routers.
pub fn export_route(dataset: Dataset) -> axum::routing::MethodRouter<Arc<ApiContext>> {
    axum::routing::get(
        move |axum::extract::State(ctx): axum::extract::State<Arc<ApiContext>>,
              principal: Principal,
              headers: HeaderMap,
              axum::extract::RawQuery(query): axum::extract::RawQuery| {
            export_endpoint(ctx, principal, headers, query, dataset)
        },
    )
}
