//! The export function group: the export API (`api`, files within the
//! request and export jobs), the export worker (`jobs`) and, here, the
//! scheduled export: on its EventBridge schedule (the 1st of each
//! month), every registered tenant's management report of the previous
//! month (tenant-local) to S3. The schedule's event is EventBridge's
//! `Scheduled Event`; an EventBridge event whose detail is
//! `{"month": "YYYY-MM"}` reruns a given month (`SchedulerEvent`); reruns
//! overwrite the same keys.
//!
//! With a report queue (`SALES_REPORT_QUEUE_URL`, as in AWS) the schedule
//! only fans out: one SQS message per tenant, `{"tenant", "month"}` with
//! the month fixed when sent, and the same function consumes them (an SQS
//! event), one tenant per message, reporting the messages that failed so
//! that only those are retried (then dead-lettered). Without one (local
//! runs, `salesctl report`) the scheduled run writes every tenant's report
//! itself.

pub mod api;
pub mod digests;
pub mod jobs;
pub mod subscriptions;

/// The export API function's routes: exports, export jobs, digest
/// subscriptions and the unsubscribe link.
pub fn api_routes() -> axum::Router<std::sync::Arc<sales_shared::http::ApiContext>> {
    api::routes().merge(subscriptions::routes())
}

/// The paths [`api_routes`] serves.
pub fn api_paths() -> Vec<&'static str> {
    [api::paths(), subscriptions::paths()].concat()
}

/// The export API function's whole router ([`api_routes`] with the shared
/// fallbacks and limits).
pub fn api_router(ctx: std::sync::Arc<sales_shared::http::ApiContext>) -> axum::Router {
    sales_shared::http::router::api_router(api_routes(), ctx)
}

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use sales_shared::config::{Clock, Config};
use sales_shared::exports::ExportError;
use sales_shared::exports::run::Destination;
use sales_shared::periods::{DateRange, local_today};
use sales_shared::queue::{Queue, QueueError, batch_response};
use sales_shared::records::TenantSettings;
use sales_shared::reports::management::{parse_month, previous_month, write_management_report};
use sales_shared::store::StoreError;
use sales_shared::store::aggregates::{AggregateReader, tenants};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Clients and names of the scheduled export and the worker, built once
/// per process.
pub struct ReportContext {
    pub dynamo: aws_sdk_dynamodb::Client,
    /// The exports bucket: reports, job files and answers.
    pub destination: Destination,
    pub aggregates_table: String,
    /// Export jobs (the worker).
    pub export_jobs_table: String,
    pub clock: Clock,
    /// The per-tenant fan-out queue (`SALES_REPORT_QUEUE_URL`).
    pub queue: Option<Queue>,
    /// The routes whose answers may be deferred to a job (dashboard,
    /// orders, invoices), with no read budget: the worker's only
    /// ([`ReportContext::worker`]), so the other binaries do not link them.
    pub answers: Option<axum::Router>,
}

/// The routes of the functions whose answers go over the read budget,
/// served without one (the job answers what the request could not).
async fn answers_router(config: &Config) -> axum::Router {
    let unlimited = Config { sync_read_budget: u64::MAX, ..config.clone() };
    let api = sales_shared::http::ApiContext::from_config(&unlimited).await;
    dashboard::routes().merge(orders::routes()).merge(invoices::routes()).with_state(api)
}

/// One tenant's report of one month: the body of a fan-out message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantReport {
    pub tenant: String,
    /// `YYYY-MM`.
    pub month: String,
}

/// What the report scheduler fails on: its event, the fan-out queue, the
/// tenant registry, or a tenant's report.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("not an SQS event: {0}")]
    Event(#[source] serde_json::Error),
    #[error("not a tenant report message: {0}")]
    Message(#[source] serde_json::Error),
    #[error("month `{0}` is not YYYY-MM")]
    Month(String),
    #[error("queueing the tenants' reports failed: {0}")]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Report(#[from] ExportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reports failed for {0:?}")]
    Failed(Vec<String>),
    #[error("encoding the batch response failed: {0}")]
    Answer(#[source] serde_json::Error),
}

impl ReportContext {
    pub async fn from_config(config: &Config) -> Self {
        ReportContext {
            dynamo: sales_shared::aws::dynamodb(config).await,
            destination: Destination::from_config(config).await,
            aggregates_table: config.aggregates_table.clone(),
            export_jobs_table: config.export_jobs_table.clone(),
            clock: config.clock(),
            queue: Queue::at(config, config.report_queue_url.as_ref()).await,
            answers: None,
        }
    }

    /// The export worker's context: also the routes it answers deferred
    /// requests through.
    pub async fn worker(config: &Config) -> Self {
        ReportContext {
            answers: Some(answers_router(config).await),
            ..Self::from_config(config).await
        }
    }
}

/// What the report scheduler is invoked with.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SchedulerEvent {
    /// The monthly schedule (EventBridge's `Scheduled Event`, detail `{}`)
    /// or an operator's rerun (detail `{"month": "YYYY-MM"}`).
    Schedule(EventBridgeEvent<ReportDetail>),
    /// The fan-out queue's messages, one tenant each.
    Queue(SqsEvent),
}

/// The detail of a scheduler event: the month to (re)write, else the
/// month before each tenant's today.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
}

impl SchedulerEvent {
    /// An operator's rerun of `month` (`YYYY-MM`), as EventBridge would
    /// deliver it: what `aws lambda invoke` and the tests send.
    pub fn rerun(month: Option<&str>) -> Self {
        let mut event = EventBridgeEvent::<ReportDetail>::default();
        event.source = "sales-analytics.operator".to_owned();
        event.detail_type = "Management report rerun".to_owned();
        event.detail = ReportDetail { month: month.map(str::to_owned) };
        SchedulerEvent::Schedule(event)
    }
}

/// The month an event's detail asks for, if any.
pub fn requested_month(detail: &ReportDetail) -> Result<Option<DateRange>, SchedulerError> {
    let text = detail.month.as_deref();
    text.map(|t| parse_month(t).ok_or_else(|| SchedulerError::Month(t.to_owned()))).transpose()
}

/// The month a scheduled report covers unless one is asked for: the month
/// before the tenant's today.
fn default_month(now: chrono::DateTime<chrono::Utc>, settings: &TenantSettings) -> DateRange {
    previous_month(local_today(now, settings.tz()))
}

/// The month of a tenant's report: `month` when asked for, else its default.
async fn month_of(
    ctx: &ReportContext,
    tenant: &str,
    month: Option<DateRange>,
) -> Result<DateRange, SchedulerError> {
    if let Some(month) = month {
        return Ok(month);
    }
    let settings =
        AggregateReader::new(&ctx.dynamo, &ctx.aggregates_table, tenant).settings().await?;
    Ok(default_month(ctx.clock.now(), &settings))
}

/// Writes one tenant's report of `month` (default: the month before the
/// tenant's today); returns the keys written.
pub async fn report_for_tenant(
    ctx: &ReportContext,
    tenant: &str,
    month: Option<DateRange>,
) -> Result<Vec<String>, ExportError> {
    let reader = AggregateReader::new(&ctx.dynamo, &ctx.aggregates_table, tenant);
    let settings = reader.settings().await?;
    let now = ctx.clock.now();
    let month = month.unwrap_or_else(|| default_month(now, &settings));
    write_management_report(&reader, &ctx.destination, tenant, &settings, month, now).await
}

/// The function's handler: an SQS event writes the reports its messages
/// name; the schedule (or a rerun) fans out through the queue when there
/// is one, else writes every report.
pub async fn run(ctx: &ReportContext, event: SchedulerEvent) -> Result<Value, SchedulerError> {
    let schedule = match event {
        SchedulerEvent::Queue(event) => {
            let answer = run_messages(ctx, event).await;
            return serde_json::to_value(answer).map_err(SchedulerError::Answer);
        }
        SchedulerEvent::Schedule(schedule) => schedule,
    };
    let month = requested_month(&schedule.detail)?;
    match &ctx.queue {
        Some(queue) => fan_out(ctx, queue, month).await,
        None => run_all(ctx, month).await,
    }
}

/// One message per registered tenant, with its month fixed now (a message
/// retried after the month turns still names the same month).
async fn fan_out(
    ctx: &ReportContext,
    queue: &Queue,
    month: Option<DateRange>,
) -> Result<Value, SchedulerError> {
    let mut jobs = Vec::new();
    for tenant in tenants(&ctx.dynamo, &ctx.aggregates_table).await? {
        let month = month_of(ctx, &tenant, month).await?;
        jobs.push(TenantReport { tenant, month: month.from.format("%Y-%m").to_string() });
    }
    queue.send_all(&jobs).await?;
    tracing::info!(tenants = jobs.len(), "management reports queued");
    Ok(json!({ "queued": jobs }))
}

/// Writes the report of each message; answers the SQS partial batch
/// response (`ReportBatchItemFailures`): the messages that failed, which
/// alone are retried.
async fn run_messages(ctx: &ReportContext, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        let outcome = match serde_json::from_str::<TenantReport>(
            record.body.as_deref().unwrap_or_default(),
        ) {
            Ok(job) => match parse_month(&job.month) {
                Some(month) => report_for_tenant(ctx, &job.tenant, Some(month))
                    .await
                    .map(|keys| (job.tenant, keys))
                    .map_err(SchedulerError::from),
                None => Err(SchedulerError::Month(job.month)),
            },
            Err(e) => Err(SchedulerError::Message(e)),
        };
        match outcome {
            Ok((tenant, keys)) => tracing::info!(tenant, ?keys, "management report written"),
            Err(err) => {
                tracing::error!(message_id = id, error = %err, "management report failed");
                failures.push(id);
            }
        }
    }
    batch_response(failures)
}

/// Every registered tenant in this run; one tenant's failure does not stop
/// the others, and fails the run at the end (so it is retried).
async fn run_all(ctx: &ReportContext, month: Option<DateRange>) -> Result<Value, SchedulerError> {
    let mut written = Vec::new();
    let mut failed = Vec::new();
    for tenant in tenants(&ctx.dynamo, &ctx.aggregates_table).await? {
        match report_for_tenant(ctx, &tenant, month).await {
            Ok(keys) => {
                tracing::info!(tenant, ?keys, "management report written");
                written.extend(keys);
            }
            Err(err) => {
                tracing::error!(tenant, error = %err, "management report failed");
                failed.push(tenant);
            }
        }
    }
    if !failed.is_empty() {
        return Err(SchedulerError::Failed(failed));
    }
    Ok(json!({ "written": written }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month_of_event(event: Value) -> Result<Option<DateRange>, SchedulerError> {
        match serde_json::from_value(event).map_err(SchedulerError::Event)? {
            SchedulerEvent::Schedule(event) => requested_month(&event.detail),
            SchedulerEvent::Queue(_) => panic!("an EventBridge event read as SQS"),
        }
    }

    #[test]
    fn months_from_events() {
        // What EventBridge delivers for the monthly rule.
        let scheduled = json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-12-01T13:00:00Z",
            "region": "eu-west-1", "resources": ["arn:aws:events:eu-west-1:123456789012:rule/r"],
            "detail": {}
        });
        assert_eq!(month_of_event(scheduled).unwrap(), None);
        let rerun = serde_json::to_value(match SchedulerEvent::rerun(Some("2025-12")) {
            SchedulerEvent::Schedule(event) => event,
            SchedulerEvent::Queue(_) => unreachable!(),
        })
        .unwrap();
        assert_eq!(month_of_event(rerun).unwrap().unwrap().days(), 31);
        let bad = json!({"source": "s", "detail-type": "t", "detail": {"month": "December"}});
        assert!(matches!(month_of_event(bad), Err(SchedulerError::Month(_))));
        // Not an EventBridge event: no source nor detail type.
        assert!(month_of_event(json!({"detail": {"month": "2025-12"}})).is_err());
    }

    #[test]
    fn queue_messages_are_sqs_events() {
        let event = json!({"Records": [{"messageId": "m1", "body": "{}"}]});
        let event: SchedulerEvent = serde_json::from_value(event).unwrap();
        assert!(matches!(event, SchedulerEvent::Queue(e) if e.records.len() == 1));
    }
}
