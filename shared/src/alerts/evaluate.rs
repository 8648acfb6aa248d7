//! One evaluation of a tenant's rules: each enabled rule's metric over its
//! period (the tenant's calendar, today in its time zone), the condition,
//! the state machine, and on an edge the event delivered and kept.
//!
//! The edge is claimed before delivery with a conditional write on the
//! rule's state, so two evaluations running at once never both send it;
//! an evaluation that dies between the claim and the delivery loses that
//! event (at most once), and the history says nothing was delivered.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::deliver::Deliverer;
use super::figures::Figures;
use super::machine::{AlertEvent, EventType, PeriodOut, step};
use super::store::{AlertStore, Rule};
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// What one evaluation did, rule by rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub tenant_id: String,
    pub rules: Vec<RuleOutcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleOutcome {
    pub rule_id: String,
    pub name: String,
    #[serde(serialize_with = "crate::money::json::number")]
    pub value: Decimal,
    pub holds: bool,
    /// The event sent, if the state changed.
    pub event: Option<EventType>,
    /// Channels that took the event.
    pub delivered: usize,
    pub failed: usize,
}

/// Where an evaluation reads and writes.
pub struct Evaluator<'a> {
    pub dynamo: &'a aws_sdk_dynamodb::Client,
    pub aggregates_table: &'a str,
    pub alerts_table: &'a str,
    pub deliverer: &'a Deliverer,
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
            let claimed = store.record_evaluation(&rule.id, rule.state, next, value, at).await?;
            let mut outcome = RuleOutcome {
                rule_id: rule.id.clone(),
                name: rule.spec.name.clone(),
                value,
                holds,
                event: None,
                delivered: 0,
                failed: 0,
            };
            if let (true, Some(kind)) = (claimed, event) {
                let event = alert_event(tenant, &rule, kind, period, value, at);
                let deliveries =
                    self.deliverer.deliver(&rule.spec.channels, &rule.secret, &event).await;
                outcome.delivered = deliveries.iter().filter(|d| d.delivered).count();
                outcome.failed = deliveries.len() - outcome.delivered;
                store.record_event(&event, &deliveries).await?;
                outcome.event = Some(kind);
            }
            outcomes.push(outcome);
        }
        Ok(Evaluation { tenant_id: tenant.to_owned(), rules: outcomes })
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
