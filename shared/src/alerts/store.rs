//! Alert rules and their history in the alerts table (`SALES_ALERTS_TABLE`,
//! `AlertsTable` in the template; docs/data-model.md, "Alerts"):
//!
//! | pk | sk | item |
//! |---|---|---|
//! | `{tenant}#rules` | `{rule id}` | a rule: `spec` (its JSON), `secret`, `state`, `last_value`, `last_evaluated_at`, `created_at`, `updated_at` |
//! | `{tenant}#events#{rule id}` | `{occurred_at}#{event id}` | an event: `event` (the body sent), `deliveries` (each attempt's outcome), `expires_at` (TTL) |
//!
//! Keys are built and read here only.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::machine::{AlertEvent, RuleState};
use super::rule::{RuleSpec, UrlPolicy, parse_rule};
use crate::store::aggregates::{attr_s, key_map};
pub use crate::store::timestamp;
use crate::store::{StoreError, unless_condition_failed};

/// How long a rule's events are kept.
pub const EVENT_RETENTION_DAYS: i64 = 90;

type Item = HashMap<String, AttributeValue>;

/// The alerts table's keys.
mod keys {
    pub fn rules(tenant: &str) -> String {
        format!("{tenant}#rules")
    }

    pub fn events(tenant: &str, rule_id: &str) -> String {
        format!("{tenant}#events#{rule_id}")
    }

    pub fn event(occurred_at: &str, event_id: &str) -> String {
        format!("{occurred_at}#{event_id}")
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: String,
    #[serde(flatten)]
    pub spec: RuleSpec,
    pub state: RuleState,
    #[serde(serialize_with = "crate::money::json::opt_number")]
    pub last_value: Option<Decimal>,
    pub last_evaluated_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub secret: String,
}

/// One delivery attempt's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Attempt {
    pub attempt: u32,
    pub at: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed, when it did.
    pub error: Option<String>,
}

/// An event's delivery to one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Delivery {
    /// `webhook` or `sns`.
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    pub delivered: bool,
    pub attempts: Vec<Attempt>,
}

/// A rule's event as `GET /alerts/{id}/events` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    #[serde(flatten)]
    pub event: serde_json::Value,
    pub deliveries: Vec<Delivery>,
}

/// The alerts table of one tenant.
pub struct AlertStore<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    tenant: &'a str,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

impl<'a> AlertStore<'a> {
    pub fn new(client: &'a aws_sdk_dynamodb::Client, table: &'a str, tenant: &'a str) -> Self {
        AlertStore { client, table, tenant }
    }

    fn rule_key(&self, id: &str) -> Item {
        key_map(keys::rules(self.tenant), id.to_owned())
    }

    fn malformed(&self, key: &str, message: impl Into<String>) -> StoreError {
        StoreError::Malformed {
            key: format!("{}/{key}", keys::rules(self.tenant)),
            message: message.into(),
        }
    }

    fn rule_of(&self, item: &Item) -> Result<Rule, StoreError> {
        let id = attr_s(item, "sk").unwrap_or_default().to_owned();
        let spec_json = attr_s(item, "spec").ok_or_else(|| self.malformed(&id, "no spec"))?;
        let spec = parse_rule(spec_json.as_bytes(), UrlPolicy::AllowLoopbackHttp)
            .map_err(|e| self.malformed(&id, format!("{}: {}", e.field, e.message)))?;
        Ok(Rule {
            spec,
            state: attr_s(item, "state").and_then(RuleState::parse).unwrap_or(RuleState::Ok),
            last_value: attr_s(item, "last_value").and_then(|v| v.parse().ok()),
            last_evaluated_at: attr_s(item, "last_evaluated_at").map(str::to_owned),
            created_at: attr_s(item, "created_at").unwrap_or_default().to_owned(),
            updated_at: attr_s(item, "updated_at").unwrap_or_default().to_owned(),
            secret: attr_s(item, "secret").unwrap_or_default().to_owned(),
            id,
        })
    }

    /// How many rules the tenant has.
    pub async fn count_rules(&self) -> Result<usize, StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(keys::rules(self.tenant)))
            .select(Select::Count)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        Ok(usize::try_from(out.count).unwrap_or(0))
    }

    /// Every rule, by id (at most [`super::rule::MAX_RULES_PER_TENANT`]).
    pub async fn rules(&self) -> Result<Vec<Rule>, StoreError> {
        let items =
            crate::store::query_partition(self.client, self.table, &keys::rules(self.tenant))
                .await?;
        items.iter().map(|item| self.rule_of(item)).collect()
    }

    pub async fn rule(&self, id: &str) -> Result<Option<Rule>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table)
            .set_key(Some(self.rule_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("GetItem", e))?;
        out.item.as_ref().map(|item| self.rule_of(item)).transpose()
    }

    /// Stores a new rule (state `ok`, never evaluated).
    pub async fn create(
        &self,
        id: &str,
        spec: &RuleSpec,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Rule, StoreError> {
        let spec_json =
            serde_json::to_string(spec).map_err(|e| self.malformed(id, e.to_string()))?;
        let at = timestamp(now);
        self.client
            .put_item()
            .table_name(self.table)
            .item("pk", s(keys::rules(self.tenant)))
            .item("sk", s(id))
            .item("spec", s(spec_json))
            .item("secret", s(secret))
            .item("state", s(RuleState::Ok.as_str()))
            .item("created_at", s(at.clone()))
            .item("updated_at", s(at.clone()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem", e))?;
        Ok(Rule {
            id: id.to_owned(),
            spec: spec.clone(),
            state: RuleState::Ok,
            last_value: None,
            last_evaluated_at: None,
            created_at: at.clone(),
            updated_at: at,
            secret: secret.to_owned(),
        })
    }

    /// Replaces a rule's fields (its state, secret and history stay);
    /// `None` when there is no such rule.
    pub async fn replace(
        &self,
        id: &str,
        spec: &RuleSpec,
        now: DateTime<Utc>,
    ) -> Result<Option<Rule>, StoreError> {
        let spec_json =
            serde_json::to_string(spec).map_err(|e| self.malformed(id, e.to_string()))?;
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.rule_key(id)))
            .update_expression("SET spec = :spec, updated_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":spec", s(spec_json))
            .expression_attribute_values(":at", s(timestamp(now)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match unless_condition_failed(result)? {
            Some(out) => out.attributes.as_ref().map(|item| self.rule_of(item)).transpose(),
            None => Ok(None),
        }
    }

    /// Deletes a rule; whether it existed. Its events expire by TTL.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(self.table)
            .set_key(Some(self.rule_key(id)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DeleteItem", e))?;
        Ok(out.attributes.is_some())
    }

    /// Moves a rule from `from` to `to` and notes the value, only if it is
    /// still in `from` (two evaluations never both send the same edge).
    /// Whether this call made the move.
    pub async fn record_evaluation(
        &self,
        id: &str,
        from: RuleState,
        to: RuleState,
        value: Decimal,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.rule_key(id)))
            .update_expression("SET #state = :to, last_value = :value, last_evaluated_at = :at")
            .condition_expression(
                "attribute_exists(pk) AND (#state = :from OR attribute_not_exists(#state))",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":value", s(value.normalize().to_string()))
            .expression_attribute_values(":at", s(timestamp(at)))
            .send()
            .await;
        Ok(unless_condition_failed(result)?.is_some())
    }

    /// Keeps an event and its deliveries in the rule's history.
    pub async fn record_event(
        &self,
        event: &AlertEvent,
        deliveries: &[Delivery],
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(event)
            .map_err(|e| self.malformed(&event.rule_id, e.to_string()))?;
        let deliveries = serde_json::to_string(deliveries)
            .map_err(|e| self.malformed(&event.rule_id, e.to_string()))?;
        let expires = event.occurred_at.timestamp().saturating_add(EVENT_RETENTION_DAYS * 86_400);
        self.client
            .put_item()
            .table_name(self.table)
            .item("pk", s(keys::events(self.tenant, &event.rule_id)))
            .item("sk", s(keys::event(&timestamp(event.occurred_at), &event.id)))
            .item("event", s(body))
            .item("deliveries", s(deliveries))
            .item("expires_at", AttributeValue::N(expires.to_string()))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem", e))?;
        Ok(())
    }

    /// The rule's events newest first: up to `limit` after the sort key
    /// `after`, each with its sort key (for the next page's cursor).
    pub async fn events(
        &self,
        rule_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, StoredEvent)>, StoreError> {
        let pk = keys::events(self.tenant, rule_id);
        let start = after
            .map(|sk| HashMap::from([("pk".to_owned(), s(pk.clone())), ("sk".to_owned(), s(sk))]));
        let out = self
            .client
            .query()
            .table_name(self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk.clone()))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        out.items
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let sk = attr_s(item, "sk").unwrap_or_default().to_owned();
                let bad =
                    |m: String| StoreError::Malformed { key: format!("{pk}/{sk}"), message: m };
                let event = serde_json::from_str(attr_s(item, "event").unwrap_or_default())
                    .map_err(|e| bad(e.to_string()))?;
                let deliveries = serde_json::from_str(attr_s(item, "deliveries").unwrap_or("[]"))
                    .map_err(|e| bad(e.to_string()))?;
                Ok((sk.clone(), StoredEvent { event, deliveries }))
            })
            .collect()
    }
}
