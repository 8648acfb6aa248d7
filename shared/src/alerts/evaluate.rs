//! One evaluation of a tenant's rules: each enabled rule's metric over its
//! period (the tenant's calendar, today in its time zone), the condition,
//! the state machine, and on an edge the event claimed for delivery.
//!
//! The edge is claimed with a conditional write on the rule's state, in
//! one transaction with the event and its outbox entry, so two
//! evaluations running at once never both claim it, and a claimed event
//! is delivered even if everything after the claim fails: the evaluation
//! hands back the entries (`super::outbox` delivers them), and the
//! entries that waited too long are handed back again by a later one.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::figures::Figures;
use super::machine::{AlertEvent, EventType, PeriodOut, step};
use super::outbox;
use super::store::{AlertStore, OutboxEntry, Rule};
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// What one evaluation did, rule by rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub tenant_id: String,
    pub rules: Vec<RuleOutcome>,
    /// What to deliver: this evaluation's events, and earlier ones whose
    /// delivery waited too long (`outbox::REQUEUE_AFTER`).
    #[serde(skip)]
    pub deliveries: Vec<OutboxEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleOutcome {
    pub rule_id: String,
    pub name: String,
    #[serde(serialize_with = "crate::money::json::number")]
    pub value: Decimal,
    pub holds: bool,
    /// The event claimed, if the state changed.
    pub event: Option<EventType>,
    /// Its id (the `id` of the body every channel gets).
    pub event_id: Option<String>,
    /// Channels that took the event (when delivered in this process).
    pub delivered: usize,
    /// Channels that did not (when delivered in this process).
    pub failed: usize,
}

/// Where an evaluation reads and writes.
pub struct Evaluator<'a> {
    pub dynamo: &'a aws_sdk_dynamodb::Client,
    pub aggregates_table: &'a str,
    pub alerts_table: &'a str,
}

impl Evaluator<'_> {
    /// Evaluates every enabled rule of `tenant`; `now` fixes the tenant's
    /// today (the local stack's pinned clock included).
    pub async fn tenant(&self, tenant: &str, now: DateTime<Utc>) -> Result<Evaluation, StoreError> {
        let reader = AggregateReader::new(self.dynamo, self.aggregates_table, tenant);
        let store = AlertStore::new(self.dynamo, self.alerts_table, tenant);
        let settings = reader.settings().await?;
        let today = crate::periods::local_today(now, settings.tz());
        let mut figures = Figures::new(&reader, today);
        let mut outcomes = Vec::new();
        let mut deliveries = Vec::new();
        for rule in store.rules().await?.into_iter().filter(|r| r.spec.enabled) {
            let kind = rule.spec.period.kind();
            let period = kind.containing(today);
            let value = figures.value(rule.spec.metric, kind, period).await?;
            let previous = match rule.spec.condition.op.is_change() {
                true => Some(figures.value(rule.spec.metric, kind, kind.previous(period)).await?),
                false => None,
            };
            let holds = rule.spec.condition.holds(value, previous);
            let (next, event) = step(rule.state, holds);
            // The real time: when the evaluation happened and was sent.
            let at = Utc::now();
            let mut outcome = RuleOutcome {
                rule_id: rule.id.clone(),
                name: rule.spec.name.clone(),
                value,
                holds,
                event: None,
                event_id: None,
                delivered: 0,
                failed: 0,
            };
            match event {
                None => {
                    store.record_evaluation(&rule.id, rule.state, next, value, at).await?;
                }
                Some(kind) => {
                    let event = alert_event(tenant, &rule, kind, period, value, at);
                    let claimed = store
                        .claim_edge(&rule.id, rule.state, next, value, &event, &rule.spec.channels)
                        .await?;
                    if let Some(entry) = claimed {
                        outcome.event = Some(kind);
                        outcome.event_id = Some(event.id.clone());
                        deliveries.push(entry);
                    }
                }
            }
            outcomes.push(outcome);
        }
        let mut stale = outbox::stale_entries(&store, Utc::now()).await?;
        stale.retain(|entry| !deliveries.contains(entry));
        deliveries.extend(stale);
        Ok(Evaluation { tenant_id: tenant.to_owned(), rules: outcomes, deliveries })
    }
}

fn alert_event(
    tenant: &str,
    rule: &Rule,
    kind: EventType,
    period: crate::periods::DateRange,
    value: Decimal,
    at: DateTime<Utc>,
) -> AlertEvent {
    AlertEvent {
        id: super::new_id("evt"),
        kind,
        rule_id: rule.id.clone(),
        tenant_id: tenant.to_owned(),
        metric: rule.spec.metric,
        period: PeriodOut { from: period.from, to: period.to },
        value,
        condition: rule.spec.condition,
        occurred_at: at,
    }
}
