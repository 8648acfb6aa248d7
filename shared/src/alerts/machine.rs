//! A rule's state machine and the event body it sends. A rule is `ok` or
//! `triggered`; an evaluation where the condition holds moves `ok` to
//! `triggered` (event `alert.triggered`), one where it does not moves
//! `triggered` back to `ok` (`alert.resolved`), and an evaluation that
//! leaves the state as it was sends nothing. A new rule starts `ok`, so a
//! condition that already holds fires on the first evaluation.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::rule::{Condition, Metric};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleState {
    Ok,
    Triggered,
}

impl RuleState {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Ok => "ok",
            RuleState::Triggered => "triggered",
        }
    }

    pub fn parse(text: &str) -> Option<RuleState> {
        match text {
            "ok" => Some(RuleState::Ok),
            "triggered" => Some(RuleState::Triggered),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventType {
    #[serde(rename = "alert.triggered")]
    Triggered,
    #[serde(rename = "alert.resolved")]
    Resolved,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Triggered => "alert.triggered",
            EventType::Resolved => "alert.resolved",
        }
    }
}

/// The state after an evaluation, and the event to send if it changed.
pub fn step(state: RuleState, holds: bool) -> (RuleState, Option<EventType>) {
    match (state, holds) {
        (RuleState::Ok, true) => (RuleState::Triggered, Some(EventType::Triggered)),
        (RuleState::Triggered, false) => (RuleState::Ok, Some(EventType::Resolved)),
        (state, _) => (state, None),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeriodOut {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The JSON body of a delivery (webhook and SNS alike).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub rule_id: String,
    pub tenant_id: String,
    pub metric: Metric,
    pub period: PeriodOut,
    #[serde(serialize_with = "crate::money::json::number")]
    pub value: Decimal,
    pub condition: Condition,
    #[serde(serialize_with = "rfc3339_millis")]
    pub occurred_at: DateTime<Utc>,
}

fn rfc3339_millis<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rule::Op;
    use rust_decimal_macros::dec;

    #[test]
    fn fires_once_on_each_edge_and_stays_quiet_between() {
        let mut state = RuleState::Ok;
        let mut sent = Vec::new();
        for holds in [true, true, true, false, false, true] {
            let (next, event) = step(state, holds);
            state = next;
            sent.extend(event);
        }
        assert_eq!(sent, vec![EventType::Triggered, EventType::Resolved, EventType::Triggered]);
        assert_eq!(state, RuleState::Triggered);
        assert_eq!(step(RuleState::Ok, false), (RuleState::Ok, None));
    }

    #[test]
    fn the_body_has_the_documented_fields() {
        let event = AlertEvent {
            id: "evt_1".into(),
            kind: EventType::Triggered,
            rule_id: "rule_1".into(),
            tenant_id: "acme".into(),
            metric: Metric::CollectionRate,
            period: PeriodOut {
                from: "2026-12-01".parse().unwrap(),
                to: "2026-12-31".parse().unwrap(),
            },
            value: dec!(72.50),
            condition: Condition { op: Op::Lt, value: dec!(80) },
            occurred_at: "2026-12-01T10:15:00Z".parse().unwrap(),
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({
                "id": "evt_1", "type": "alert.triggered", "rule_id": "rule_1", "tenant_id": "acme",
                "metric": "collection_rate", "period": {"from": "2026-12-01", "to": "2026-12-31"},
                "value": 72.5, "condition": {"op": "lt", "value": 80},
                "occurred_at": "2026-12-01T10:15:00.000Z"
            })
        );
    }
}
