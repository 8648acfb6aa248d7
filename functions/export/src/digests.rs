//! The digest scheduler: hourly (EventBridge), it runs every tenant's due
//! digests at that moment (`sales_shared::digests::deliver::run_tenant`).
//! With a digest queue (`SALES_DIGEST_QUEUE_URL`, as in AWS) the schedule
//! only fans out, one SQS message per tenant `{"tenant", "at"}` with the
//! moment fixed when sent, and the same function consumes them, so one
//! tenant's digests never wait on another's. Without one (local runs,
//! `salesctl digests run`) the run sends every tenant's itself.
//!
//! The feedback function reads SES's bounce and complaint notifications
//! (through SNS) and suppresses the addresses (`run_feedback`).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::SnsEvent;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use sales_shared::config::{Clock, Config};
use sales_shared::digests::DigestError;
use sales_shared::digests::deliver::{DigestContext, RunOutcome, run_tenant};
use sales_shared::digests::feedback::read_notification;
use sales_shared::digests::store::DigestStore;
use sales_shared::queue::{Queue, QueueError, each_message};
use sales_shared::store::StoreError;
use sales_shared::store::aggregates::tenants;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The scheduler's clients, built once per process.
pub struct SchedulerContext {
    pub digests: DigestContext,
    pub clock: Clock,
    /// The per-tenant fan-out (`SALES_DIGEST_QUEUE_URL`).
    pub queue: Option<Queue>,
}

impl SchedulerContext {
    pub async fn from_config(config: &Config) -> Self {
        SchedulerContext {
            digests: DigestContext::from_config(config).await,
            clock: config.clock(),
            queue: Queue::at(config, config.digest_queue_url.as_ref()).await,
        }
    }
}

/// One tenant's run at one moment: the body of a fan-out message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRun {
    pub tenant: String,
    pub at: DateTime<Utc>,
}

/// What the digest scheduler is invoked with.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DigestEvent {
    /// The hourly schedule (detail `{}`), or an operator's run of a given
    /// moment (detail `{"at": "2026-03-30T07:00:00Z"}`).
    Schedule(EventBridgeEvent<RunDetail>),
    /// The fan-out queue's messages, one tenant each.
    Queue(SqsEvent),
}

/// The detail of a schedule event: the moment to run, else now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
}

/// What the digest scheduler fails on.
#[derive(Debug, thiserror::Error)]
pub enum DigestRunError {
    #[error("queueing the tenants' digests failed: {0}")]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("digests failed for {0:?}")]
    Failed(Vec<String>),
    #[error("encoding the answer failed: {0}")]
    Answer(#[source] serde_json::Error),
}

/// The handler: a queue event runs the tenants its messages name; the
/// schedule fans out when there is a queue, else runs every tenant.
pub async fn run(ctx: &SchedulerContext, event: DigestEvent) -> Result<Value, DigestRunError> {
    match event {
        DigestEvent::Queue(event) => {
            let run_one = |_: SqsMessage, job: TenantRun| async move {
                match run_tenant(&ctx.digests, &job.tenant, job.at).await {
                    Ok(outcomes) => {
                        log_outcomes(&outcomes);
                        true
                    }
                    Err(e) => {
                        tracing::error!(tenant = job.tenant, error = %e, "digests failed");
                        false
                    }
                }
            };
            let answer = each_message(event, "a tenant digest run", run_one).await;
            serde_json::to_value(answer).map_err(DigestRunError::Answer)
        }
        DigestEvent::Schedule(schedule) => {
            let at = schedule.detail.at.unwrap_or_else(|| ctx.clock.now());
            match &ctx.queue {
                Some(queue) => {
                    let jobs: Vec<TenantRun> = tenant_list(ctx)
                        .await?
                        .into_iter()
                        .map(|tenant| TenantRun { tenant, at })
                        .collect();
                    queue.send_all(&jobs).await?;
                    tracing::info!(tenants = jobs.len(), %at, "digest runs queued");
                    Ok(json!({ "queued": jobs.len() }))
                }
                None => {
                    let outcomes = run_all(ctx, None, at).await?;
                    serde_json::to_value(outcomes).map_err(DigestRunError::Answer)
                }
            }
        }
    }
}

async fn tenant_list(ctx: &SchedulerContext) -> Result<Vec<String>, StoreError> {
    tenants(&ctx.digests.dynamo, &ctx.digests.aggregates_table).await
}

fn log_outcomes(outcomes: &[RunOutcome]) {
    for o in outcomes {
        tracing::info!(
            tenant = o.tenant,
            subscription = o.subscription,
            period = o.period,
            sent = o.sent,
            suppressed = o.suppressed,
            failed = o.failed,
            "digest sent"
        );
    }
}

/// The digests due at `at` of `tenant`, or of every registered tenant; one
/// tenant's failure does not stop the others and fails the run at the end
/// (a retry sends only what was not: the periods are claimed).
pub async fn run_all(
    ctx: &SchedulerContext,
    tenant: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Vec<RunOutcome>, DigestRunError> {
    let tenants = match tenant {
        Some(t) => vec![t.to_owned()],
        None => tenant_list(ctx).await?,
    };
    let mut outcomes = Vec::new();
    let mut failed = Vec::new();
    for tenant in tenants {
        match run_tenant(&ctx.digests, &tenant, at).await {
            Ok(sent) => {
                log_outcomes(&sent);
                outcomes.extend(sent);
            }
            Err(e) => {
                tracing::error!(tenant, error = %e, "digests failed");
                failed.push(tenant);
            }
        }
    }
    if failed.is_empty() { Ok(outcomes) } else { Err(DigestRunError::Failed(failed)) }
}

/// The feedback function's handler: each SNS message's permanent bounces
/// and complaints suppress their addresses for every digest of the tenant.
/// A message that is not SES's is logged and dropped (SNS would only
/// redeliver it).
pub async fn run_feedback(
    dynamo: &aws_sdk_dynamodb::Client,
    alerts_table: &str,
    now: DateTime<Utc>,
    event: SnsEvent,
) -> Result<usize, DigestError> {
    let mut suppressed = 0;
    for record in event.records {
        for feedback in read_notification(&record.sns.message) {
            let why = feedback.why;
            DigestStore::new(dynamo, alerts_table, &feedback.tenant)
                .suppress(&feedback.address, why, None, now)
                .await?;
            tracing::info!(tenant = feedback.tenant, why = why.as_str(), "address suppressed");
            suppressed += 1;
        }
    }
    Ok(suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_and_queue_events_are_told_apart() {
        let scheduled = json!({
            "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-03-29T07:00:00Z",
            "region": "eu-west-1", "resources": [], "detail": {}
        });
        let event: DigestEvent = serde_json::from_value(scheduled).unwrap();
        assert!(matches!(event, DigestEvent::Schedule(e) if e.detail.at.is_none()));
        let rerun = json!({"source": "op", "detail-type": "Digest run",
            "detail": {"at": "2026-03-30T07:00:00Z"}});
        let event: DigestEvent = serde_json::from_value(rerun).unwrap();
        let DigestEvent::Schedule(e) = event else { panic!("a schedule read as SQS") };
        assert_eq!(e.detail.at.unwrap().to_rfc3339(), "2026-03-30T07:00:00+00:00");
        let queued = json!({"Records": [{"messageId": "m1",
            "body": "{\"tenant\":\"t\",\"at\":\"2026-03-30T07:00:00Z\"}"}]});
        let event: DigestEvent = serde_json::from_value(queued).unwrap();
        assert!(matches!(event, DigestEvent::Queue(e) if e.records.len() == 1));
    }
}
