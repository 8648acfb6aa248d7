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
use sales_shared::exports::job_store::{Created, JobStore};
use sales_shared::exports::jobs::{
    ExportSpec, Job, JobLink, JobMessage, JobState, JobView, is_job_id, new_job_id,
    valid_idempotency_key,
};
use sales_shared::exports::run::{Dataset, Request, Unwatched, export, object_key};
use sales_shared::http::exports::{
    EXPORT_PARAMETERS, ExportOut, body_params, dataset_param, export_spec, rows_in_range,
    see_other, wants_json,
};
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

/// The `Retry-After` of a job refused at the tenant's cap: jobs of a few
/// hundred thousand rows take tens of seconds.
const JOB_CAP_RETRY_AFTER_SECONDS: u32 = 30;

/// How long a job may stay `queued` before a repeated request (same
/// `Idempotency-Key`) sends its message again.
const REQUEUE_AFTER: chrono::Duration = chrono::Duration::seconds(60);

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
    let view = ctx.view(&principal, dataset.name(), Scope::Export).await?;
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
    let exported = export(&view.reader, &ctx.exports(), &request, &key, &mut Unwatched).await?;
    tracing::info!(
        tenant = %principal.tenant_id, key = %exported.key, rows = exported.rows, bytes = exported.bytes,
        items_read = view.reader.items_read(), "export written"
    );
    let link = ctx.exports().link(&exported.key, &exported.filename, view.now).await?;
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

fn store<'a>(ctx: &'a ApiContext, principal: &'a Principal) -> JobStore<'a> {
    JobStore::new(&ctx.dynamo, &ctx.export_jobs_table, &principal.tenant_id)
}

/// The job's view, with a fresh link once it has a file.
async fn view_of(ctx: &ApiContext, view: &TenantView<'_>, job: &Job) -> Result<JobView, ApiError> {
    let link = match (&job.object_key, &job.filename) {
        (Some(key), Some(filename)) => {
            let link = ctx.exports().link(key, filename, view.now).await?;
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
    let Some(queue) = &ctx.export_queue else {
        return Err(ApiError::Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "export_jobs_unavailable",
            message: "export jobs are not configured here (SALES_EXPORT_QUEUE_URL)".into(),
        });
    };
    // Job bookkeeping runs on the wall clock (TTL, the file's lifecycle),
    // not the API's pinned one.
    let now = chrono::Utc::now();
    let job = Job::queued(new_job_id(now), spec, now);
    let store = store(ctx, principal);
    let queue_failed = |message: String| {
        tracing::error!(tenant = %principal.tenant_id, error = %message, "queueing an export job failed");
        ApiError::Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "queue_unavailable",
            message: "the export could not be queued; try again".into(),
        }
    };
    let cap = ctx.export_jobs_per_tenant;
    if !store.take_slot(&job.id, cap, now).await? {
        // A repeat of an earlier request still finds its job.
        let repeat = match &idempotency_key {
            Some(key) => store.by_key(key, &job).await?,
            None => None,
        };
        let Some(Created::Existing(existing)) = repeat else {
            tracing::info!(tenant = %principal.tenant_id, cap, "export job refused: the tenant's jobs are at the cap");
            return Err(ApiError::TooMany {
                code: "too_many_export_jobs",
                message: format!(
                    "at most {cap} export jobs may be queued or running at once: try again when one has finished"
                ),
                retry_after: JOB_CAP_RETRY_AFTER_SECONDS,
            });
        };
        let out = view_of(ctx, view, &existing).await?;
        let location = out.status_url.clone();
        return Ok(made(view.respond(out).await?, StatusCode::ACCEPTED, &location));
    }
    let created = match store.create(&job, idempotency_key.as_deref()).await {
        Ok(Created::New(job)) => Created::New(job),
        // The slot was taken for a job that is not made.
        other => {
            store.free_slot(&job.id).await;
            other?
        }
    };
    let job = match created {
        Created::New(job) => {
            let message = JobMessage { tenant: principal.tenant_id.clone(), job: job.id.clone() };
            if let Err(error) = queue.send(&message).await {
                let message = error.to_string();
                // No job without its message: fail it (freeing its slot),
                // and free the key so that a retry with it makes a new job.
                store
                    .fail(&job.id, 0, "the job could not be queued; request it again", now)
                    .await?;
                if let Some(key) = &idempotency_key {
                    store.release_key(key).await?;
                }
                return Err(queue_failed(message));
            }
            tracing::info!(tenant = %principal.tenant_id, job = %job.id, "export job queued");
            job
        }
        // A repeat of a job still queued a while after it was made: its
        // message may have been lost (the request that made it died between
        // the two writes); send it again (a second message for a job is
        // harmless: the claim lets one run start).
        Created::Existing(job)
            if job.state == JobState::Queued && now - job.created_at > REQUEUE_AFTER =>
        {
            let message = JobMessage { tenant: principal.tenant_id.clone(), job: job.id.clone() };
            queue.send(&message).await.map_err(|e| queue_failed(e.to_string()))?;
            tracing::info!(tenant = %principal.tenant_id, job = %job.id, "export job queued again");
            job
        }
        Created::Existing(job) => job,
        Created::KeyReused => {
            return Err(ApiError::Refused {
                status: StatusCode::CONFLICT,
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was used for a different export request".into(),
            });
        }
    };
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

/// `GET /exports/{id}`.
async fn show(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, "export-job", Scope::Export).await?;
    Params::parse(query.as_deref(), &[])?;
    let missing = || ApiError::Missing("no such export job");
    if !is_job_id(&id) {
        return Err(missing());
    }
    let job = store(&ctx, &principal).get(&id, chrono::Utc::now()).await?.ok_or_else(missing)?;
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
    let rows = store(&ctx, &principal)
        .list(view.after(&params)?.as_deref(), limit + 1, chrono::Utc::now())
        .await?;
    let page = ListPage::of_keyed(rows, limit, NoTotals {});
    let mut out = Vec::with_capacity(page.data.len());
    for job in &page.data {
        out.push(view_of(&ctx, &view, job).await?);
    }
    view.respond_page(&params, page.map(|_| out)).await
}
