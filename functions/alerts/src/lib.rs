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
use sales_shared::alerts::deliver::{Deliverer, RetryPolicy, Topic};
use sales_shared::alerts::evaluate::{Evaluation, Evaluator};
use sales_shared::alerts::rule::{MAX_RULES_PER_TENANT, RuleSpec, UrlPolicy, parse_rule};
use sales_shared::alerts::signature::new_secret;
use sales_shared::alerts::store::{AlertStore, Rule};
use sales_shared::auth::{Principal, Scope};
use sales_shared::config::{Clock, Config};
use sales_shared::envelope::NoTotals;
use sales_shared::http::{ApiContext, ApiError, TenantView, made};
use sales_shared::paging::ListPage;
use sales_shared::params::Params;
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

fn url_policy(ctx: &ApiContext) -> UrlPolicy {
    if ctx.local { UrlPolicy::AllowLoopbackHttp } else { UrlPolicy::HttpsOnly }
}

fn spec_of(ctx: &ApiContext, body: &[u8]) -> Result<RuleSpec, ApiError> {
    parse_rule(body, url_policy(ctx)).map_err(|e| ApiError::parameter(&e.field, e.message))
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
    let spec = spec_of(&ctx, &body)?;
    let store = store(&ctx, &principal);
    if store.count_rules().await? >= MAX_RULES_PER_TENANT {
        return Err(ApiError::Refused {
            status: StatusCode::CONFLICT,
            code: "rule_limit",
            message: format!(
                "a tenant keeps at most {MAX_RULES_PER_TENANT} rules: delete one first"
            ),
        });
    }
    let secret = new_secret().map_err(|_| ApiError::Internal)?;
    let id = sales_shared::alerts::new_id(sales_shared::alerts::RULE_ID_PREFIX);
    let rule = store.create(&id, &spec, &secret, view.now).await?;
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
    let spec = spec_of(&ctx, &body)?;
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

/// What the evaluator needs; built once per process.
pub struct EvaluatorContext {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub aggregates_table: String,
    pub alerts_table: String,
    pub deliverer: Deliverer,
    pub clock: Clock,
}

impl EvaluatorContext {
    pub async fn from_config(config: &Config) -> Self {
        let topic = match &config.alerts_topic_arn {
            Some(arn) => {
                let shared = sales_shared::aws::sdk_config(config).await;
                let mut builder = aws_sdk_sns::config::Builder::from(&shared);
                if let Some(endpoint) = &config.sns_endpoint {
                    builder = builder.endpoint_url(endpoint);
                }
                Some(Topic {
                    client: aws_sdk_sns::Client::from_conf(builder.build()),
                    arn: arn.clone(),
                })
            }
            None => None,
        };
        EvaluatorContext {
            dynamo: sales_shared::aws::dynamodb(config).await,
            aggregates_table: config.aggregates_table.clone(),
            alerts_table: config.alerts_table.clone(),
            deliverer: Deliverer { http: Default::default(), topic, retry: RetryPolicy::default() },
            clock: config.clock(),
        }
    }

    pub fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            dynamo: &self.dynamo,
            aggregates_table: &self.aggregates_table,
            alerts_table: &self.alerts_table,
            deliverer: &self.deliverer,
        }
    }
}

/// Evaluates one tenant's rules.
pub async fn evaluate_tenant(
    ctx: &EvaluatorContext,
    tenant: &str,
) -> Result<Evaluation, sales_shared::store::StoreError> {
    ctx.evaluator().tenant(tenant, ctx.clock.now()).await
}

/// The scheduled run: every tenant of the registry, one after another; a
/// tenant that fails is logged and the run fails at the end (the
/// evaluator's error alarm), after the others were evaluated.
pub async fn evaluate_all(ctx: &EvaluatorContext) -> Result<(), String> {
    let tenants = sales_shared::store::aggregates::tenants(&ctx.dynamo, &ctx.aggregates_table)
        .await
        .map_err(|e| e.to_string())?;
    let mut failed = Vec::new();
    for tenant in &tenants {
        match evaluate_tenant(ctx, tenant).await {
            Ok(evaluation) => {
                let events = evaluation.rules.iter().filter(|r| r.event.is_some()).count();
                tracing::info!(tenant, rules = evaluation.rules.len(), events, "alerts evaluated");
            }
            Err(e) => {
                tracing::error!(tenant, error = %e, "alert evaluation failed");
                failed.push(tenant.clone());
            }
        }
    }
    match failed.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "alert evaluation failed for {} of {} tenants: {}",
            failed.len(),
            tenants.len(),
            failed.join(", ")
        )),
    }
}
