//! The export API (scope `sales:export`): `GET /orders/export` and
//! `GET /invoices/export` write a file within the request when the range
//! holds at most `SALES_EXPORT_SYNC_MAX_ROWS` rows and answer 303 to it,
//! else answer 202 with an export job, as `POST /exports` does;
//! `GET /exports/{id}` follows a job, `GET /exports` lists them. Handlers
//! parse, authorize, call `sales_shared::exports`, respond.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use sales_shared::auth::{Principal, Scope};
use sales_shared::envelope::NoTotals;
use sales_shared::exports::Dataset;
use sales_shared::exports::jobs::{
    ExportSpec, Job, JobLink, JobView, is_job_id, valid_idempotency_key,
};
use sales_shared::exports::run::{Request, Unwatched, export, object_key};
use sales_shared::http::exports::{
    EXPORT_PARAMETERS, ExportOut, body_params, dataset_param, export_spec, rows_in_range,
    see_other, wants_json,
};
use sales_shared::http::jobs::{job_store, queue_job};
use sales_shared::http::{ApiContext, ApiError, TenantView, made};
use sales_shared::paging::ListPage;
use sales_shared::params::Params;

/// Every route of the function: its path and its handlers.
fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); 4] {
    [
        ("/api/v1/sales/orders/export", export_route(Dataset::Orders)),
        ("/api/v1/sales/invoices/export", export_route(Dataset::Invoices)),
        ("/api/v1/sales/exports", get(list).post(create)),
        ("/api/v1/sales/exports/{id}", get(show)),
    ]
}

sales_shared::http_function_routes!(table);

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// `GET /{dataset}/export`.
fn export_route(dataset: Dataset) -> MethodRouter<Arc<ApiContext>> {
    get(
        move |State(ctx): State<Arc<ApiContext>>,
              principal: Principal,
              headers: HeaderMap,
              RawQuery(query)| {
            export_now_or_later(ctx, principal, headers, query, dataset)
        },
    )
}

/// `GET .../export`: the file now (303, or its link as JSON), or a job
/// (202) when the range holds more rows than a request should write.
async fn export_now_or_later(
    ctx: Arc<ApiContext>,
    principal: Principal,
    headers: HeaderMap,
    query: Option<String>,
    dataset: Dataset,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, dataset.as_str(), Scope::Export).await?;
    let params = Params::parse(query.as_deref(), &EXPORT_PARAMETERS)?;
    let spec = export_spec(&params, dataset, view.today)?;
    let key = idempotency_key(&headers)?;
    let rows = rows_in_range(&view.reader, dataset, spec.range(), spec.status.as_deref()).await?;
    if rows > ctx.export_sync_max_rows {
        tracing::info!(tenant = %principal.tenant_id, rows, limit = ctx.export_sync_max_rows, "export queued as a job");
        return start_job(&ctx, &view, &principal, spec, key).await;
    }
    let format = spec.format().ok_or(ApiError::Internal)?;
    let request = Request {
        dataset,
        format,
        tenant: &principal.tenant_id,
        range: spec.range(),
        status: spec.status.as_deref(),
        currency: &view.settings.currency,
        today: view.today,
        now: view.now,
    };
    let key = object_key(&principal.tenant_id, dataset, view.now, format);
    let exported = export(&view.reader, &ctx.exports, &request, &key, &mut Unwatched).await?;
    tracing::info!(
        tenant = %principal.tenant_id, key = %exported.key, rows = exported.rows, bytes = exported.bytes,
        items_read = view.reader.items_read(), "export written"
    );
    let link = ctx.exports.link(&exported.key, &exported.filename, view.now).await?;
    if wants_json(&headers) {
        return view.respond(ExportOut::new(exported, link, format)).await;
    }
    see_other(&link.url)
}

/// The `Idempotency-Key` header, if given and well-formed.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if valid_idempotency_key(key) => Ok(Some(key.to_owned())),
        _ => Err(ApiError::parameter(
            "Idempotency-Key",
            "`Idempotency-Key` must be 1 to 255 visible ASCII characters",
        )),
    }
}

/// The job's view, with a fresh link once it has a file.
async fn view_of(ctx: &ApiContext, view: &TenantView<'_>, job: &Job) -> Result<JobView, ApiError> {
    let link = match (&job.object_key, &job.filename) {
        (Some(key), Some(filename)) => {
            let link = ctx.exports.link(key, filename, view.now).await?;
            Some(JobLink { url: link.url, expires_at: link.expires_at })
        }
        _ => None,
    };
    Ok(JobView::new(job, link))
}

/// Makes a job (or finds the one an earlier request with the same key
/// made) and queues it: 202, `Location` its status.
async fn start_job(
    ctx: &ApiContext,
    view: &TenantView<'_>,
    principal: &Principal,
    spec: ExportSpec,
    idempotency_key: Option<String>,
) -> Result<Response, ApiError> {
    let job = queue_job(ctx, principal, spec, idempotency_key).await?;
    let out = view_of(ctx, view, &job).await?;
    let location = out.status_url.clone();
    Ok(made(view.respond(out).await?, StatusCode::ACCEPTED, &location))
}

/// The fields of `POST /exports`.
const JOB_FIELDS: [&str; 5] = ["dataset", "format", "from_date", "to_date", "status"];

/// `POST /exports`: 202 with the job.
async fn create(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, "exports", Scope::Export).await?;
    Params::parse(query.as_deref(), &[])?;
    let params = body_params(&body, &JOB_FIELDS)?;
    let dataset = dataset_param(params.get("dataset"))?;
    let spec = export_spec(&params, dataset, view.today)?;
    let key = idempotency_key(&headers)?;
    start_job(&ctx, &view, &principal, spec, key).await
}

/// `GET /exports/{id}`: with `sales:export`, any job; with `sales:read`
/// only, the jobs answering a request over the read budget.
async fn show(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    // Neither scope: the export scope is the one named missing.
    let read_only =
        principal.require(Scope::Export).is_err() && principal.require(Scope::Read).is_ok();
    let scope = if read_only { Scope::Read } else { Scope::Export };
    let view = ctx.view(&principal, "export-job", scope).await?;
    Params::parse(query.as_deref(), &[])?;
    let missing = || ApiError::Missing("no such export job");
    if !is_job_id(&id) {
        return Err(missing());
    }
    let job =
        job_store(&ctx, &principal).get(&id, chrono::Utc::now()).await?.ok_or_else(missing)?;
    if job.spec.request.is_none() {
        principal.require(Scope::Export)?;
    }
    let out = view_of(&ctx, &view, &job).await?;
    view.respond(out).await
}

/// `GET /exports`: the tenant's jobs, newest first, key-paged.
async fn list(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, "exports", Scope::Export).await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let limit = params.limit()?;
    let rows = job_store(&ctx, &principal)
        .list(view.after(&params)?.as_deref(), limit + 1, chrono::Utc::now())
        .await?;
    let page = ListPage::of_keyed(rows, limit, NoTotals {});
    let mut out = Vec::with_capacity(page.data.len());
    for job in &page.data {
        out.push(view_of(&ctx, &view, job).await?);
    }
    view.respond_page(&params, page.map(|_| out)).await
}
