//! KPI alerts: the rules API (`/api/v1/sales/alerts`, scope
//! `sales:alerts`) and the evaluation of every tenant's rules that the
//! schedule runs. Handlers parse, authorize, call
//! `sales_shared::alerts`, respond.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use std::time::Duration;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use sales_shared::alerts::deliver::{Deliverer, RetryPolicy, Topic};
use sales_shared::alerts::evaluate::{Evaluation, Evaluator};
use sales_shared::alerts::outbox::{self, DeliveryMessage};
use sales_shared::alerts::rule::{MAX_RULES_PER_TENANT, RuleSpec, UrlPolicy, parse_rule};
use sales_shared::alerts::sealed::SecretBox;
use sales_shared::alerts::signature::new_secret;
use sales_shared::alerts::store::DeliveryStatus;
use sales_shared::alerts::store::{AlertStore, Rule};
use sales_shared::auth::{Principal, Scope};
use sales_shared::config::{Clock, Config};
use sales_shared::envelope::NoTotals;
use sales_shared::http::{ApiContext, ApiError, TenantView, made};
use sales_shared::outbound::Outbound;
use sales_shared::paging::ListPage;
use sales_shared::params::Params;
use sales_shared::queue::{Queue, QueueError, each_message, receive_count};
use sales_shared::store::StoreError;
use serde::Serialize;

/// Every route of the function: its path and its handlers.
fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); 3] {
    [
        ("/api/v1/sales/alerts", get(list).post(create)),
        ("/api/v1/sales/alerts/{id}", get(show).put(replace).delete(remove)),
        ("/api/v1/sales/alerts/{id}/events", get(events)),
    ]
}

sales_shared::http_function_routes!(table);

/// A rule from a request body: its fields, and its webhooks' hosts as they
/// resolve now, under the egress policy.
async fn spec_of(ctx: &ApiContext, body: &[u8]) -> Result<RuleSpec, ApiError> {
    let spec = parse_rule(body, UrlPolicy::Egress(&ctx.egress))
        .map_err(|e| ApiError::parameter(&e.field, e.rule))?;
    sales_shared::alerts::check_channel_hosts(&spec.channels, &ctx.egress)
        .await
        .map_err(|e| ApiError::parameter(&e.field, e.rule))?;
    Ok(spec)
}

fn store<'a>(ctx: &'a ApiContext, principal: &'a Principal) -> AlertStore<'a> {
    AlertStore::new(&ctx.dynamo, &ctx.alerts_table, &principal.tenant_id)
}

/// A rule id as this API issues them; anything else names no rule.
fn rule_id(id: &str) -> Result<&str, ApiError> {
    if sales_shared::alerts::is_rule_id(id) { Ok(id) } else { Err(no_rule()) }
}

fn no_rule() -> ApiError {
    ApiError::Missing("no such alert rule")
}

/// A new rule with its signing secret (shown this once).
#[derive(Serialize)]
struct Created<'a> {
    #[serde(flatten)]
    rule: &'a Rule,
    secret: &'a str,
}

/// `POST /alerts`: 201 with the rule and its `secret`, `Location` its URL.
async fn create(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, "alerts", Scope::Alerts).await?;
    Params::parse(query.as_deref(), &[])?;
    let spec = spec_of(&ctx, &body).await?;
    let store = store(&ctx, &principal);
    let secret = new_secret().map_err(|_| ApiError::Internal)?;
    let id = sales_shared::alerts::new_id(sales_shared::alerts::RULE_ID_PREFIX);
    let sealed = ctx.secrets.seal(&secret, &principal.tenant_id, &id).await?;
    let created = store.create_capped(&id, &spec, &sealed, view.now, MAX_RULES_PER_TENANT).await?;
    let Some(rule) = created else {
        return Err(ApiError::Refused {
            status: StatusCode::CONFLICT,
            code: "rule_limit",
            message: format!(
                "a tenant keeps at most {MAX_RULES_PER_TENANT} rules: delete one first"
            ),
        });
    };
    let response = view.respond(Created { rule: &rule, secret: &secret }).await?;
    Ok(made(response, StatusCode::CREATED, &format!("/api/v1/sales/alerts/{id}")))
}

/// `GET /alerts` (`limit`, `cursor`): the tenant's rules by id.
async fn list(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, "alerts", Scope::Alerts).await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let (limit, offset) = (params.limit()?, view.offset(&params)?);
    let rules = store(&ctx, &principal).rules().await?;
    view.respond_page(&params, ListPage::of_ranked(rules, offset, limit, NoTotals {})).await
}

async fn rule_view<'a>(
    ctx: &'a ApiContext,
    principal: &'a Principal,
) -> Result<TenantView<'a>, ApiError> {
    ctx.view(principal, "alert", Scope::Alerts).await
}

/// `GET /alerts/{id}`.
async fn show(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = rule_view(&ctx, &principal).await?;
    Params::parse(query.as_deref(), &[])?;
    let rule = store(&ctx, &principal).rule(rule_id(&id)?).await?.ok_or_else(no_rule)?;
    view.respond(rule).await
}

/// `PUT /alerts/{id}`: the rule's fields replaced (state, secret and
/// history kept).
async fn replace(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let view = rule_view(&ctx, &principal).await?;
    Params::parse(query.as_deref(), &[])?;
    let id = rule_id(&id)?;
    let spec = spec_of(&ctx, &body).await?;
    let rule = store(&ctx, &principal).replace(id, &spec, view.now).await?.ok_or_else(no_rule)?;
    view.respond(rule).await
}

/// `DELETE /alerts/{id}`: 204.
async fn remove(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    rule_view(&ctx, &principal).await?;
    Params::parse(query.as_deref(), &[])?;
    match store(&ctx, &principal).delete(rule_id(&id)?).await? {
        true => Ok(StatusCode::NO_CONTENT.into_response()),
        false => Err(no_rule()),
    }
}

/// `GET /alerts/{id}/events` (`limit`, `cursor`): newest first.
async fn events(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.view(&principal, "alert-events", Scope::Alerts).await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let limit = params.limit()?;
    let id = rule_id(&id)?;
    let store = store(&ctx, &principal);
    store.rule(id).await?.ok_or_else(no_rule)?;
    let rows = store.events(id, view.after(&params)?.as_deref(), limit + 1).await?;
    view.respond_page(&params, ListPage::of_keyed(rows, limit, NoTotals {})).await
}

/// What the evaluator and the deliverer need; built once per process.
pub struct EvaluatorContext {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub aggregates_table: String,
    pub alerts_table: String,
    pub deliverer: Deliverer,
    pub clock: Clock,
    /// The per-tenant fan-out (`SALES_ALERT_EVALUATION_QUEUE_URL`); unset,
    /// the schedule evaluates every tenant in its own run.
    pub evaluation_queue: Option<Queue>,
    /// Claimed events to deliver (`SALES_ALERT_DELIVERY_QUEUE_URL`);
    /// unset, they are delivered in the evaluating process.
    pub delivery_queue: Option<Queue>,
    /// How long one tenant's evaluation may take.
    pub tenant_deadline: Duration,
}

/// Default limit of one tenant's evaluation: its rules' figures and claims
/// (delivery is not part of it).
pub const TENANT_DEADLINE: Duration = Duration::from_secs(60);

impl EvaluatorContext {
    pub async fn from_config(config: &Config) -> Self {
        let topic = match &config.alerts_topic_arn {
            Some(arn) => {
                Some(Topic { client: sales_shared::aws::sns(config).await, arn: arn.clone() })
            }
            None => None,
        };
        let delivery_queue = Queue::at(config, config.alert_delivery_queue_url.as_ref()).await;
        let retry = match delivery_queue {
            Some(_) => RetryPolicy::default(),
            None => RetryPolicy::in_process(),
        };
        EvaluatorContext {
            dynamo: sales_shared::aws::dynamodb(config).await,
            aggregates_table: config.aggregates_table.clone(),
            alerts_table: config.alerts_table.clone(),
            deliverer: Deliverer {
                http: Outbound::new(config.egress.clone()),
                topic,
                retry,
                secrets: SecretBox::from_config(config).await,
            },
            clock: config.clock(),
            evaluation_queue: Queue::at(config, config.alert_evaluation_queue_url.as_ref()).await,
            delivery_queue,
            tenant_deadline: TENANT_DEADLINE,
        }
    }

    pub fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            dynamo: &self.dynamo,
            aggregates_table: &self.aggregates_table,
            alerts_table: &self.alerts_table,
        }
    }

    fn store<'a>(&'a self, tenant: &'a str) -> AlertStore<'a> {
        AlertStore::new(&self.dynamo, &self.alerts_table, tenant)
    }
}

/// Why a tenant's evaluation did not finish.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Queue(#[from] QueueError),
    #[error("the evaluation took longer than {0:?}")]
    Deadline(Duration),
}

/// Evaluates one tenant's rules and delivers their events in this process
/// (every event at once, each channel's rounds until it ends), filling in
/// what each channel did: `salesctl alerts evaluate` and the tests.
pub async fn evaluate_tenant(
    ctx: &EvaluatorContext,
    tenant: &str,
) -> Result<Evaluation, EvaluationError> {
    let mut evaluation = evaluate_within_deadline(ctx, tenant).await?;
    let store = ctx.store(tenant);
    let delivered = evaluation
        .deliveries
        .iter()
        .map(|entry| outbox::deliver_in_process(&store, &ctx.deliverer, tenant, entry));
    let outcomes = futures::future::try_join_all(delivered).await?;
    for (entry, outcome) in evaluation.deliveries.iter().zip(outcomes) {
        if let Some(rule) = evaluation.rules.iter_mut().find(|r| {
            r.rule_id == entry.rule_id
                && r.event_id.as_deref().is_some_and(|id| entry.event.ends_with(id))
        }) {
            rule.delivered = outcome.delivered;
            rule.failed = outcome.undelivered;
        }
    }
    Ok(evaluation)
}

/// One tenant's evaluation, within [`EvaluatorContext::tenant_deadline`].
async fn evaluate_within_deadline(
    ctx: &EvaluatorContext,
    tenant: &str,
) -> Result<Evaluation, EvaluationError> {
    let evaluator = ctx.evaluator();
    tokio::time::timeout(ctx.tenant_deadline, evaluator.tenant(tenant, ctx.clock.now()))
        .await
        .map_err(|_| EvaluationError::Deadline(ctx.tenant_deadline))?
        .map_err(EvaluationError::from)
}

/// Evaluates one tenant's rules and hands their events to the delivery
/// queue (in AWS), or delivers them in this process (no queue).
pub async fn evaluate_and_dispatch(
    ctx: &EvaluatorContext,
    tenant: &str,
) -> Result<Evaluation, EvaluationError> {
    let Some(queue) = &ctx.delivery_queue else {
        return evaluate_tenant(ctx, tenant).await;
    };
    let evaluation = evaluate_within_deadline(ctx, tenant).await?;
    let messages: Vec<DeliveryMessage> = evaluation
        .deliveries
        .iter()
        .map(|entry| DeliveryMessage { tenant: tenant.to_owned(), entry: entry.clone() })
        .collect();
    queue.send_all(&messages).await?;
    Ok(evaluation)
}

/// The schedule: one message per registered tenant on the evaluation
/// queue, so that no tenant's evaluation waits for another's (each is
/// its own receive, with its own deadline). Without a queue (locally),
/// every tenant is evaluated here, all at once, each within its deadline;
/// a tenant that fails is logged and fails the run at the end.
pub async fn run_schedule(ctx: &EvaluatorContext) -> Result<Vec<Evaluation>, String> {
    let tenants = sales_shared::store::aggregates::tenants(&ctx.dynamo, &ctx.aggregates_table)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(queue) = &ctx.evaluation_queue {
        let messages: Vec<TenantEvaluation> =
            tenants.iter().map(|tenant| TenantEvaluation { tenant: tenant.clone() }).collect();
        queue.send_all(&messages).await.map_err(|e| e.to_string())?;
        tracing::info!(tenants = tenants.len(), "alert evaluations queued");
        return Ok(Vec::new());
    }
    let runs = tenants.iter().map(|tenant| async move {
        let result = evaluate_and_dispatch(ctx, tenant).await;
        (tenant, result)
    });
    let mut evaluations = Vec::new();
    let mut failed = Vec::new();
    for (tenant, result) in futures::future::join_all(runs).await {
        match result {
            Ok(evaluation) => {
                log_evaluation(&evaluation);
                evaluations.push(evaluation);
            }
            Err(e) => {
                tracing::error!(tenant, error = %e, "alert evaluation failed");
                failed.push(tenant.clone());
            }
        }
    }
    match failed.is_empty() {
        true => Ok(evaluations),
        false => Err(format!(
            "alert evaluation failed for {} of {} tenants: {}",
            failed.len(),
            tenants.len(),
            failed.join(", ")
        )),
    }
}

fn log_evaluation(evaluation: &Evaluation) {
    let events = evaluation.rules.iter().filter(|r| r.event.is_some()).count();
    tracing::info!(
        tenant = %evaluation.tenant_id,
        rules = evaluation.rules.len(),
        events,
        deliveries = evaluation.deliveries.len(),
        "alerts evaluated"
    );
}

/// What the alert evaluator is invoked with.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum EvaluatorEvent {
    /// The evaluation schedule (EventBridge's `Scheduled Event`; its detail
    /// is not read).
    Schedule(EventBridgeEvent),
    /// The evaluation queue's messages, one tenant each.
    Queue(SqsEvent),
}

/// The alert evaluator's handler: the schedule fans out (or, without a
/// queue, evaluates every tenant); the queue's messages are evaluated.
pub async fn run_evaluator(
    ctx: &EvaluatorContext,
    event: EvaluatorEvent,
) -> Result<serde_json::Value, String> {
    match event {
        EvaluatorEvent::Schedule(_) => {
            run_schedule(ctx).await?;
            Ok(serde_json::Value::Null)
        }
        EvaluatorEvent::Queue(event) => {
            serde_json::to_value(run_evaluations(ctx, event).await).map_err(|e| e.to_string())
        }
    }
}

/// One message of the evaluation queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TenantEvaluation {
    pub tenant: String,
}

/// The evaluation queue's handler: each message's tenant evaluated, all at
/// once, each within its deadline; the messages that failed are named
/// for a retry (then the dead-letter queue).
pub async fn run_evaluations(ctx: &EvaluatorContext, event: SqsEvent) -> SqsBatchResponse {
    let evaluate = |_: SqsMessage, message: TenantEvaluation| async move {
        match evaluate_and_dispatch(ctx, &message.tenant).await {
            Ok(evaluation) => {
                log_evaluation(&evaluation);
                true
            }
            Err(e) => {
                tracing::error!(tenant = %message.tenant, error = %e, "alert evaluation failed");
                false
            }
        }
    };
    each_message(event, "an alert evaluation message", evaluate).await
}

/// The delivery queue's handler: one round per message, all at once (the
/// message's receive count is the round). A round that leaves channels to
/// retry pushes the message's next receive back by the backoff and names
/// it; an ended delivery is acknowledged.
pub async fn run_deliveries(ctx: &EvaluatorContext, event: SqsEvent) -> SqsBatchResponse {
    let deliver = |record: SqsMessage, message: DeliveryMessage| async move {
        let round = receive_count(&record);
        let store = ctx.store(&message.tenant);
        match outbox::deliver_round(&store, &ctx.deliverer, &message.tenant, &message.entry, round)
            .await
        {
            Ok(outcome) if outcome.status == DeliveryStatus::Pending => {
                let wait = outbox::visibility_after(&ctx.deliverer, round);
                if let (Some(queue), Some(receipt)) = (&ctx.delivery_queue, &record.receipt_handle)
                    && let Err(e) = queue.delay(receipt, wait).await
                {
                    tracing::warn!(error = %e, "the retry's backoff could not be set");
                }
                tracing::info!(tenant = %message.tenant, round, wait, ?outcome, "alert delivery to retry");
                false
            }
            Ok(outcome) => {
                tracing::info!(tenant = %message.tenant, round, ?outcome, "alert delivery ended");
                true
            }
            Err(e) => {
                tracing::error!(tenant = %message.tenant, error = %e, "alert delivery failed");
                false
            }
        }
    };
    each_message(event, "an alert delivery message", deliver).await
}

#[cfg(test)]
mod tests {
    use super::EvaluatorEvent;
    use serde_json::json;

    #[test]
    fn the_schedule_and_the_queue_are_told_apart_by_type() {
        let scheduled = json!({
            "version": "0", "id": "0b1c", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012",
            "time": "2026-12-06T10:00:00Z", "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/alerts"], "detail": {}
        });
        let event: EvaluatorEvent = serde_json::from_value(scheduled).unwrap();
        assert!(matches!(event, EvaluatorEvent::Schedule(e) if e.detail_type == "Scheduled Event"));
        let queued = json!({"Records": [{"messageId": "m1", "body": "{\"tenant\": \"t\"}"}]});
        let event: EvaluatorEvent = serde_json::from_value(queued).unwrap();
        assert!(matches!(event, EvaluatorEvent::Queue(e) if e.records.len() == 1));
        assert!(serde_json::from_value::<EvaluatorEvent>(json!({"detail": {}})).is_err());
    }
}
