//! Queueing an export job from any API function: the export endpoints'
//! large files, and answers over the read budget (`SALES_SYNC_READ_BUDGET`)
//! that a job writes as JSON (docs/api.md, "Answers over the read budget").

use axum::http::StatusCode;
use axum::response::Response;

use super::{ApiContext, ApiError, TenantView, made};
use crate::auth::Principal;
use crate::exports::job_store::{Created, JobStore};
use crate::exports::jobs::{ExportSpec, Job, JobMessage, JobState, JobView, new_job_id};
use crate::periods::DateRange;

/// The `Retry-After` of a job refused at the tenant's cap: jobs of a few
/// hundred thousand rows take tens of seconds.
const JOB_CAP_RETRY_AFTER_SECONDS: u32 = 30;

/// How long a job may stay `queued` before a repeated request (same
/// `Idempotency-Key`) sends its message again.
const REQUEUE_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// The tenant's job table.
pub fn job_store<'a>(ctx: &'a ApiContext, principal: &'a Principal) -> JobStore<'a> {
    JobStore::new(&ctx.dynamo, &ctx.export_jobs_table, &principal.tenant_id)
}

/// Makes a job (or finds the one an earlier request with the same key
/// made) and queues its message, within the tenant's cap of jobs queued
/// or running.
pub async fn queue_job(
    ctx: &ApiContext,
    principal: &Principal,
    spec: ExportSpec,
    idempotency_key: Option<String>,
) -> Result<Job, ApiError> {
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
    let store = job_store(ctx, principal);
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
        return Ok(existing);
    }
    let created = match store.create(&job, idempotency_key.as_deref()).await {
        Ok(Created::New(job)) => Created::New(job),
        // The slot was taken for a job that is not made.
        other => {
            store.free_slot(&job.id).await;
            other?
        }
    };
    match created {
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
            Ok(job)
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
            Ok(job)
        }
        Created::Existing(job) => Ok(job),
        Created::KeyReused => Err(ApiError::Refused {
            status: StatusCode::CONFLICT,
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used for a different export request".into(),
        }),
    }
}

/// A request's answer when it would read more than the read budget: a
/// `202` with a job that writes the same JSON (`None` within the budget,
/// and always for the worker, whose budget is unlimited). `items` is the
/// request's size learnt from a bounded read; `range` the days it is
/// about, shown in the job's `request`.
pub async fn defer_over_budget(
    ctx: &ApiContext,
    view: &TenantView<'_>,
    principal: &Principal,
    items: u64,
    uri: &axum::http::Uri,
    range: DateRange,
) -> Result<Option<Response>, ApiError> {
    if items <= ctx.sync_read_budget {
        return Ok(None);
    }
    tracing::info!(tenant = %principal.tenant_id, items, budget = ctx.sync_read_budget, "over the read budget");
    Ok(Some(defer(ctx, view, principal, uri, range).await?))
}

/// The `202` of a request that stopped at the read budget, or learnt it
/// would pass it: a job that writes its JSON answer.
pub async fn defer(
    ctx: &ApiContext,
    view: &TenantView<'_>,
    principal: &Principal,
    uri: &axum::http::Uri,
    range: DateRange,
) -> Result<Response, ApiError> {
    let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    tracing::info!(tenant = %principal.tenant_id, request = path_and_query, "answer queued as a job");
    let job = queue_job(ctx, principal, ExportSpec::response(path_and_query, range), None).await?;
    let out = JobView::new(&job, None);
    let location = out.status_url.clone();
    Ok(made(view.respond(out).await?, StatusCode::ACCEPTED, &location))
}
