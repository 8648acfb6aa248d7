//! The export worker: runs the jobs its queue names (an SQS event, one
//! message per job), noting the rows written as it goes; a failed export
//! marks the job failed with the reason and leaves no file (the multipart
//! upload is aborted). Locally, [`drain_queue`] plays the part of Lambda's
//! SQS poller (`salesctl serve` runs it in a loop, the tests once).

use std::time::{Duration, Instant};

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::Utc;
use sales_shared::auth::{Principal, Scope};
use sales_shared::exports::job_store::JobStore;
use sales_shared::exports::jobs::{Job, JobMessage, MAX_ATTEMPTS, RESPONSE_FORMAT};
use sales_shared::exports::run::{Progress, Request, export};
use sales_shared::exports::upload::{MultipartUpload, attachment};
use sales_shared::periods::local_today;
use sales_shared::queue::{Queue, QueueError, batch_response};
use sales_shared::store::StoreError;
use sales_shared::store::aggregates::AggregateReader;

use crate::ReportContext;

/// How often a running job's row count is written.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// What a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded {
        rows: u64,
        bytes: u64,
    },
    Failed(String),
    /// Nothing to do: no such job, or already final (a repeated message).
    Skipped(&'static str),
}

/// Writes the row count of a running job at most every [`PROGRESS_EVERY`].
struct JobProgress<'a> {
    store: &'a JobStore<'a>,
    id: &'a str,
    attempt: u32,
    last: Instant,
}

impl Progress for JobProgress<'_> {
    async fn rows(&mut self, rows: u64) {
        if self.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last = Instant::now();
        if let Err(err) = self.store.progress(self.id, self.attempt, rows).await {
            tracing::warn!(job = self.id, error = %err, "noting a job's progress failed");
        }
    }
}

/// Runs one job. Errors are the job table's (the message is retried);
/// an export's failure is the job's outcome.
pub async fn run_job(ctx: &ReportContext, tenant: &str, id: &str) -> Result<Outcome, StoreError> {
    let store = JobStore::new(&ctx.dynamo, &ctx.export_jobs_table, tenant);
    let now = Utc::now();
    let Some(job) = store.claim(id, now).await? else {
        return match store.get(id, now).await? {
            None => Ok(Outcome::Skipped("no such job")),
            Some(job) if job.state.is_final() => Ok(Outcome::Skipped("already finished")),
            Some(job) if job.attempts < MAX_ATTEMPTS => {
                Ok(Outcome::Skipped("running in another run"))
            }
            Some(job) => {
                let reason = format!(
                    "the export stopped {MAX_ATTEMPTS} times before finishing (time-outs?)"
                );
                store.fail(id, job.attempts, &reason, now).await?;
                Ok(Outcome::Failed(reason))
            }
        };
    };
    let attempt = job.attempts;
    if let Some(request) = job.spec.request.clone() {
        return run_answer(ctx, &store, tenant, &job, &request).await;
    }
    let (Some(dataset), Some(format)) = (job.spec.dataset(), job.spec.format()) else {
        let reason = "the job's request is not one this version runs".to_owned();
        store.fail(id, attempt, &reason, Utc::now()).await?;
        return Ok(Outcome::Failed(reason));
    };
    let reader = AggregateReader::new(&ctx.dynamo, &ctx.aggregates_table, tenant);
    let settings = reader.settings().await?;
    let now = ctx.clock.now();
    let request = Request {
        dataset,
        format,
        tenant,
        range: job.spec.range(),
        status: job.spec.status.as_deref(),
        currency: &settings.currency,
        today: local_today(now, settings.tz()),
        now,
    };
    let key = job.object_key(tenant, format);
    let mut progress = JobProgress { store: &store, id, attempt, last: Instant::now() };
    tracing::info!(tenant, job = id, attempt = job.attempts, "export job running");
    match export(&reader, &ctx.destination, &request, &key, &mut progress).await {
        Ok(done) => {
            if !store
                .succeed(id, attempt, done.rows, done.bytes, &done.key, &done.filename, Utc::now())
                .await?
            {
                // Another run took the job over (this one outlived the
                // staleness limit); its outcome stands.
                tracing::warn!(tenant, job = id, attempt, "export job taken over by a later run");
                return Ok(Outcome::Skipped("taken over by a later run"));
            }
            tracing::info!(
                tenant,
                job = id,
                rows = done.rows,
                bytes = done.bytes,
                "export job succeeded"
            );
            Ok(Outcome::Succeeded { rows: done.rows, bytes: done.bytes })
        }
        Err(err) => {
            tracing::error!(tenant, job = id, error = %err, "export job failed");
            let reason = err.for_tenant();
            store.fail(id, attempt, &reason, Utc::now()).await?;
            Ok(Outcome::Failed(reason))
        }
    }
}

/// Runs a deferred answer: the request through its route, as the tenant
/// with `sales:read`, and its JSON written to the job's file.
async fn run_answer(
    ctx: &ReportContext,
    store: &JobStore<'_>,
    tenant: &str,
    job: &Job,
    request: &str,
) -> Result<Outcome, StoreError> {
    let (id, attempt) = (job.id.as_str(), job.attempts);
    tracing::info!(tenant, job = id, request, "deferred answer running");
    let (key, filename) = (job.response_key(tenant), job.filename(RESPONSE_FORMAT));
    let written = match answer(ctx, tenant, request).await {
        Ok(body) => write_answer(ctx, &key, &filename, body).await,
        Err(reason) => Err(reason),
    };
    match written {
        Ok(bytes) => {
            if !store.succeed(id, attempt, 1, bytes, &key, &filename, Utc::now()).await? {
                return Ok(Outcome::Skipped("taken over by a later run"));
            }
            Ok(Outcome::Succeeded { rows: 1, bytes })
        }
        Err(reason) => {
            tracing::error!(tenant, job = id, error = %reason, "deferred answer failed");
            store.fail(id, attempt, &reason, Utc::now()).await?;
            Ok(Outcome::Failed(reason))
        }
    }
}

/// The body of a `GET` of `request` (path and query) answered as `tenant`
/// with `sales:read`; a refusal (4xx, 5xx) is the job's failure.
async fn answer(ctx: &ReportContext, tenant: &str, request: &str) -> Result<Vec<u8>, String> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut http = axum::http::Request::get(request)
        .body(axum::body::Body::empty())
        .map_err(|e| format!("the job's request is not a request: {e}"))?;
    http.extensions_mut().insert(Principal {
        tenant_id: tenant.to_owned(),
        scopes: vec![Scope::Read.as_str().to_owned()],
    });
    let Some(answers) = &ctx.answers else {
        return Err("this worker does not answer requests (ReportContext::worker)".to_owned());
    };
    let response = answers.clone().oneshot(http).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading the answer failed: {e}"))?
        .to_bytes();
    if !status.is_success() {
        return Err(format!("the request answered {status}: {}", String::from_utf8_lossy(&body)));
    }
    Ok(body.to_vec())
}

/// Writes a deferred answer's JSON to `key`: its size.
async fn write_answer(
    ctx: &ReportContext,
    key: &str,
    filename: &str,
    body: Vec<u8>,
) -> Result<u64, String> {
    let mut upload = MultipartUpload::start(
        &ctx.destination.s3,
        &ctx.destination.bucket,
        key,
        "application/json",
        &attachment(filename),
    )
    .await
    .map_err(|e| e.for_tenant())?;
    if let Err(err) = upload.part(body).await {
        upload.abort().await;
        return Err(err.for_tenant());
    }
    upload.finish().await.map_err(|e| e.for_tenant())
}

/// The worker's handler: an SQS event's messages, one job each; answers
/// the partial batch response, naming the messages to retry (the job
/// table could not be read or written).
pub async fn run_messages(ctx: &ReportContext, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        let Ok(message) =
            serde_json::from_str::<JobMessage>(record.body.as_deref().unwrap_or_default())
        else {
            // Not ours: retrying would not change it (the queue's
            // redrive policy moves it aside after its receives).
            tracing::error!(message_id = id, "not an export job message");
            failures.push(id);
            continue;
        };
        match run_job(ctx, &message.tenant, &message.job).await {
            Ok(outcome) => {
                tracing::info!(tenant = %message.tenant, job = %message.job, ?outcome, "export job message done")
            }
            Err(err) => {
                tracing::error!(tenant = %message.tenant, job = %message.job, error = %err, "export job message failed");
                failures.push(id);
            }
        }
    }
    batch_response(failures)
}

/// Runs the queue's jobs until it is empty, as Lambda's SQS poller would
/// (`Queue::drain`); returns how many messages were handled.
pub async fn drain_queue(
    ctx: &ReportContext,
    queue: &Queue,
    wait: Duration,
) -> Result<usize, QueueError> {
    queue.drain(wait, &mut |event| Box::pin(run_messages(ctx, event))).await
}
