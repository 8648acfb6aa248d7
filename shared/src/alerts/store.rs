//! Alert rules and their history in the alerts table (`SALES_ALERTS_TABLE`,
//! `AlertsTable` in the template; docs/data-model.md, "Alerts"):
//!
//! | pk | sk | item |
//! |---|---|---|
//! | `{tenant}#rules` | `{rule id}` | a rule: `spec` (its JSON), `sealed_secret` (its signing secret sealed with the KMS key: `alerts::sealed`; `secret` in plain text when no key is configured), `state`, `last_value`, `last_evaluated_at`, `created_at`, `updated_at` |
//! | `{tenant}#events#{rule id}` | `{occurred_at}#{event id}` | an event: `event` (the body sent), `channels` (the rule's channels when it happened), `deliveries` (each channel's attempts), `status` (`pending`, `delivered`, `failed`), `expires_at` (TTL) |
//! | `{tenant}#rule-slots` | `rules` | `ids`: the ids of the tenant's rules, which cap them (`store::slots`) |
//! | `{tenant}#outbox` | `{rule id}#{occurred_at}#{event id}` | an event still to deliver: `queued_at` |
//!
//! An edge is claimed in one transaction with its event and its outbox
//! entry, so an event claimed is never lost: the entry stays until its
//! delivery ends, and an evaluation queues again the entries that waited
//! too long (at-least-once; receivers drop repeats by the event `id`).
//! Keys are built and read here only.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::machine::{AlertEvent, RuleState};
use super::rule::{Channel, RuleSpec, UrlPolicy, parse_rule};
use super::sealed::StoredSecret;
use crate::store::slots::Slots;
use crate::store::spec_items::SpecItems;
pub use crate::store::timestamp;
use crate::store::{StoreError, unless_condition_failed};
use crate::store::{attr_s, key_map};

/// How long a rule's events are kept.
pub const EVENT_RETENTION_DAYS: i64 = 90;

use crate::store::Item;

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

    /// The item that caps a tenant's rules (`store::slots`).
    pub fn rule_slots(tenant: &str) -> String {
        format!("{tenant}#rule-slots")
    }

    pub fn outbox(tenant: &str) -> String {
        format!("{tenant}#outbox")
    }

    pub fn outbox_entry(rule_id: &str, event_key: &str) -> String {
        format!("{rule_id}#{event_key}")
    }

    /// The rule id and event key of an outbox entry's sort key.
    pub fn outbox_parts(sk: &str) -> Option<(&str, &str)> {
        sk.split_once('#')
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
    pub secret: StoredSecret,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Delivery {
    /// `webhook` or `sns`.
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    pub delivered: bool,
    pub attempts: Vec<Attempt>,
}

impl Delivery {
    /// A channel not tried yet.
    pub fn untried(channel: &Channel) -> Self {
        let url = match channel {
            Channel::Webhook { url } => Some(url.clone()),
            Channel::Sns => None,
        };
        Delivery { channel: channel.kind().into(), url, delivered: false, attempts: Vec::new() }
    }
}

/// A rule's event as `GET /alerts/{id}/events` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    #[serde(flatten)]
    pub event: serde_json::Value,
    pub deliveries: Vec<Delivery>,
}

/// Where an event's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Some channel may still take it.
    Pending,
    /// Every channel took it.
    Delivered,
    /// Delivery ended with some channel that never took it.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(DeliveryStatus::Pending),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// An event to deliver, as claimed: its body, the channels it goes to
/// and what each has taken so far.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEvent {
    pub rule_id: String,
    /// Its sort key (`{occurred_at}#{event id}`).
    pub key: String,
    /// The body every channel gets, as sent.
    pub body: String,
    pub channels: Vec<Channel>,
    /// One per channel, in the order of `channels`.
    pub deliveries: Vec<Delivery>,
    pub status: DeliveryStatus,
}

/// An outbox entry: an event still to deliver, and when it was last queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OutboxEntry {
    pub rule_id: String,
    pub event: String,
    #[serde(skip)]
    pub queued_at: Option<DateTime<Utc>>,
}

/// The alerts table of one tenant.
pub struct AlertStore<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    tenant: &'a str,
}

mod events;

/// A rule's state move, made only from the state the evaluation read
/// (`record_evaluation`, and `claim_edge` in its transaction).
const MOVE_STATE: &str = "SET #state = :to, last_value = :value, last_evaluated_at = :at";
const MOVE_CONDITION: &str =
    "attribute_exists(pk) AND (#state = :from OR attribute_not_exists(#state))";

fn move_values(
    from: RuleState,
    to: RuleState,
    value: Decimal,
    at: DateTime<Utc>,
) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (":to".to_owned(), s(to.as_str())),
        (":from".to_owned(), s(from.as_str())),
        (":value".to_owned(), s(value.normalize().to_string())),
        (":at".to_owned(), s(timestamp(at))),
    ])
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

impl<'a> AlertStore<'a> {
    pub fn new(client: &'a aws_sdk_dynamodb::Client, table: &'a str, tenant: &'a str) -> Self {
        AlertStore { client, table, tenant }
    }

    /// The rules' items (`spec`, the sealed secret, the 100-rule cap).
    fn rule_items(&self) -> SpecItems<'a> {
        let slots = Slots::new(self.client, self.table, keys::rule_slots(self.tenant), "rules");
        SpecItems::new(self.client, self.table, keys::rules(self.tenant), slots, "rule")
    }

    fn rule_key(&self, id: &str) -> Item {
        self.rule_items().key(id)
    }

    fn malformed(&self, key: &str, message: impl Into<String>) -> StoreError {
        self.rule_items().malformed(key, message)
    }

    fn rule_of(&self, item: &Item) -> Result<Rule, StoreError> {
        let id = attr_s(item, "sk").unwrap_or_default().to_owned();
        let spec_json = self.rule_items().spec_json(item)?;
        let spec = parse_rule(spec_json.as_bytes(), UrlPolicy::Stored)
            .map_err(|e| self.malformed(&id, format!("{}: {}", e.field, e.rule)))?;
        Ok(Rule {
            spec,
            state: attr_s(item, "state").and_then(RuleState::parse).unwrap_or(RuleState::Ok),
            last_value: attr_s(item, "last_value").and_then(|v| v.parse().ok()),
            last_evaluated_at: attr_s(item, "last_evaluated_at").map(str::to_owned),
            created_at: attr_s(item, "created_at").unwrap_or_default().to_owned(),
            updated_at: attr_s(item, "updated_at").unwrap_or_default().to_owned(),
            secret: StoredSecret::of_item(item).unwrap_or(StoredSecret::Plain(String::new())),
            id,
        })
    }

    /// Stores a new rule (state `ok`, never evaluated) if the tenant keeps
    /// fewer than `cap` (a slot taken first, so parallel requests cannot
    /// pass the cap); `None` when it keeps `cap` already.
    pub async fn create_capped(
        &self,
        id: &str,
        spec: &RuleSpec,
        secret: &StoredSecret,
        now: DateTime<Utc>,
        cap: usize,
    ) -> Result<Option<Rule>, StoreError> {
        let at = timestamp(now);
        let state = [("state", RuleState::Ok.as_str())];
        if !self.rule_items().create_capped(id, cap, spec, secret.attribute(), &at, &state).await? {
            return Ok(None);
        }
        Ok(Some(Rule {
            id: id.to_owned(),
            spec: spec.clone(),
            state: RuleState::Ok,
            last_value: None,
            last_evaluated_at: None,
            created_at: at.clone(),
            updated_at: at,
            secret: secret.clone(),
        }))
    }

    /// Every rule, by id (at most [`super::rule::MAX_RULES_PER_TENANT`]).
    pub async fn rules(&self) -> Result<Vec<Rule>, StoreError> {
        self.rule_items().all().await?.iter().map(|item| self.rule_of(item)).collect()
    }

    pub async fn rule(&self, id: &str) -> Result<Option<Rule>, StoreError> {
        self.rule_items().get(id).await?.as_ref().map(|item| self.rule_of(item)).transpose()
    }

    /// Replaces a rule's fields (its state, secret and history stay);
    /// `None` when there is no such rule.
    pub async fn replace(
        &self,
        id: &str,
        spec: &RuleSpec,
        now: DateTime<Utc>,
    ) -> Result<Option<Rule>, StoreError> {
        let item = self.rule_items().replace_spec(id, spec, &timestamp(now)).await?;
        item.as_ref().map(|item| self.rule_of(item)).transpose()
    }

    /// Deletes a rule and frees its slot; whether it existed. Its events
    /// expire by TTL.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.rule_items().delete(id).await
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
            .update_expression(MOVE_STATE)
            .condition_expression(MOVE_CONDITION)
            .expression_attribute_names("#state", "state")
            .set_expression_attribute_values(Some(move_values(from, to, value, at)))
            .send()
            .await;
        Ok(unless_condition_failed(result)?.is_some())
    }
}
