//! The invoices Lambda's router: invoice statistics and the receivables
//! aging report. Handlers are thin: parse, authorize, call the query of
//! `sales_shared::queries::invoices`, respond.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use sales_shared::auth::Principal;
use sales_shared::calendar::epoch;
use sales_shared::figures::aging::{AgeBy, Buckets};
use sales_shared::http::jobs::{defer, defer_over_budget};
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::params::Params;
use sales_shared::periods::DateRange;
use sales_shared::queries::budget;
use sales_shared::queries::invoices::{
    AgingQuery, StatisticsQuery, TopInvoiced, aging_page, invoice_statistics,
};

/// Every route of the function: its path and its (GET) handler. (`/invoices/export`
/// is the export API's: `functions/export`.)
fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); 2] {
    [
        ("/api/v1/sales/invoices/statistics", get(statistics)),
        ("/api/v1/sales/invoices/aging-report", get(aging)),
    ]
}

sales_shared::http_function_routes!(table);

/// `GET /invoices/statistics` (`from_date`, `to_date`, `customer_id`;
/// `limit` for `top_customers_by_invoices`).
async fn statistics(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "invoice-statistics").await?;
    let params =
        Params::parse(query.as_deref(), &["from_date", "to_date", "customer_id", "limit"])?;
    let period = params.date_range(view.today)?;
    let customer = params.id("customer_id")?;
    let limit = params.limit()?;
    let query = StatisticsQuery { period, customer, limit };
    // The customers' ranking of a range: by the threshold algorithm while
    // it reads less than every customer of the range would; past that,
    // from every customer within the read budget, or a job.
    let size = budget::invoice_statistics(&view.reader, &query, view.today).await?;
    if customer.is_some()
        && let Some(job) = defer_over_budget(&ctx, &view, &principal, size, &uri, period).await?
    {
        return Ok(job);
    }
    let threshold = TopInvoiced::Threshold { max_items: size.min(ctx.sync_read_budget) };
    for top in [threshold, TopInvoiced::EveryCustomer] {
        if top == TopInvoiced::EveryCustomer
            && let Some(job) =
                defer_over_budget(&ctx, &view, &principal, size, &uri, period).await?
        {
            return Ok(job);
        }
        if let Some(answer) = invoice_statistics(&view.reader, query, view.today, top).await? {
            return view.respond(answer).await;
        }
    }
    defer(&ctx, &view, &principal, &uri, period).await
}

/// The `buckets` and `age_by` options.
fn bucket_options(params: &Params) -> Result<Buckets, ApiError> {
    let age_by = match params.one_of("age_by", &["due_date", "issue_date"])? {
        Some("issue_date") => AgeBy::IssueDate,
        _ => AgeBy::DueDate,
    };
    let Some(text) = params.get("buckets") else {
        return Ok(Buckets::default().with_age_by(age_by));
    };
    let limits = text
        .split(',')
        .map(|part| part.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ApiError::parameter(
                "buckets",
                format!("`buckets` must list whole day limits such as 30,60,90, got `{text}`"),
            )
        })?;
    Buckets::new(limits, age_by)
        .map_err(|rule| ApiError::parameter("buckets", format!("`buckets` {rule}")))
}

/// `GET /invoices/aging-report` (`as_of_date` default today, `customer_id`,
/// `include_paid`, `buckets`, `age_by`; `limit`/`cursor` page `by_customer`).
async fn aging(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "aging-report").await?;
    let params = Params::parse(
        query.as_deref(),
        &["as_of_date", "customer_id", "include_paid", "buckets", "age_by", "limit", "cursor"],
    )?;
    let as_of = params.date("as_of_date")?.unwrap_or(view.today);
    if as_of < epoch() {
        return Err(ApiError::parameter("as_of_date", "`as_of_date` must be 1970-01-01 or later"));
    }
    let customer = params.id("customer_id")?;
    let include_paid = params.bool("include_paid")?.unwrap_or(false);
    let buckets = bucket_options(&params)?;
    let limit = params.limit()?;
    let query = AgingQuery { as_of, customer, include_paid, buckets };
    let size = budget::aging_report(&view.reader, &query, view.today).await?;
    let day = DateRange::new(as_of, as_of);
    if let Some(job) = defer_over_budget(&ctx, &view, &principal, size, &uri, day).await? {
        return Ok(job);
    }
    let page = aging_page(&view.reader, &query, view.today, view.position(&params)?, limit).await?;
    view.respond_page(&params, page).await
}
