//! Digest subscriptions, their sends and the suppressed addresses, in the
//! alerts table (`SALES_ALERTS_TABLE`; docs/data-model.md, "Digests"):
//!
//! | pk | sk | item |
//! |---|---|---|
//! | `{tenant}#subscriptions` | `{subscription id}` | a subscription: `spec` (its JSON), `sealed_secret` (its webhooks' signing secret, as a rule's), `created_at`, `updated_at` |
//! | `{tenant}#subscription-slots` | `subscriptions` | `ids`: the ids that cap the tenant's subscriptions (`store::slots`) |
//! | `{tenant}#digest-sends#{subscription id}` | `{period}` | one period's send: `status` (`sending`, `sent`), `claimed_at`, `delivery` (its JSON: each recipient's and channel's outcome), `expires_at` (TTL) |
//! | `{tenant}#suppressed` | `{address}` or `{address}#{subscription id}` | an address that bounced or complained (every digest of the tenant), or that unsubscribed from one subscription: `reason`, `at` |
//!
//! A period is claimed with one conditional write, so two runs (a repeated
//! schedule, a queue that delivers twice) send it once. A claim whose
//! sender died is taken again after [`STALE_CLAIM_MINUTES`]: the recipients
//! it had sent to are kept in `delivery` after each send and skipped.
//! Keys are built and read here only.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::subscription::{SubscriptionSpec, parse_subscription};
use crate::alerts::rule::UrlPolicy;
use crate::alerts::sealed::StoredSecret;
use crate::alerts::store::Delivery;
use crate::store::slots::Slots;
use crate::store::spec_items::SpecItems;
use crate::store::{Item, StoreError, attr_s, key_map, timestamp, unless_condition_failed};

/// Most subscriptions a tenant keeps.
pub const MAX_SUBSCRIPTIONS_PER_TENANT: usize = 50;
/// A claim not finished within this long is taken again by the next run.
pub const STALE_CLAIM_MINUTES: i64 = 15;
/// How long a send is kept in the subscription's history.
pub const SEND_RETENTION_DAYS: i64 = 400;
/// The prefix of a subscription's id (`sub_` and 32 hex digits).
pub const SUBSCRIPTION_ID_PREFIX: &str = "sub";

/// The alerts table's digest keys.
mod keys {
    pub fn subscriptions(tenant: &str) -> String {
        format!("{tenant}#subscriptions")
    }

    pub fn subscription_slots(tenant: &str) -> String {
        format!("{tenant}#subscription-slots")
    }

    pub fn sends(tenant: &str, subscription: &str) -> String {
        format!("{tenant}#digest-sends#{subscription}")
    }

    pub fn suppressed(tenant: &str) -> String {
        format!("{tenant}#suppressed")
    }

    /// An address suppressed for every digest of the tenant.
    pub fn address(address: &str) -> String {
        address.to_ascii_lowercase()
    }

    /// An address unsubscribed from one subscription.
    pub fn unsubscribed(address: &str, subscription: &str) -> String {
        format!("{}#{subscription}", address.to_ascii_lowercase())
    }
}

/// Whether `id` has the form of a subscription id.
pub fn is_subscription_id(id: &str) -> bool {
    crate::alerts::is_id_of(SUBSCRIPTION_ID_PREFIX, id)
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscription {
    pub id: String,
    #[serde(flatten)]
    pub spec: SubscriptionSpec,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub secret: StoredSecret,
}

impl Subscription {
    /// When it was created (a digest due before is not sent).
    pub fn created(&self) -> DateTime<Utc> {
        self.created_at.parse().unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// What happened to one recipient of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// SES took the message.
    Sent,
    /// The address bounced or complained before: not sent.
    Suppressed,
    /// The address unsubscribed from this subscription: not sent.
    Unsubscribed,
    /// SES refused it.
    Failed,
}

/// One recipient's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientOutcome {
    pub address: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One period's send, as `GET /subscriptions/{id}/deliveries` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRecord {
    pub period: String,
    pub digest: String,
    /// `sending` while claimed, `sent` when every recipient and channel
    /// had its attempt.
    pub status: String,
    /// When the digest was due (UTC).
    pub due_at: String,
    pub claimed_at: String,
    #[serde(default)]
    pub sent_at: Option<String>,
    /// `attached` (the PDF in the message) or `link` (a presigned link,
    /// over the attachment limit); `none` without recipients.
    #[serde(default)]
    pub attachment: String,
    #[serde(default)]
    pub recipients: Vec<RecipientOutcome>,
    #[serde(default)]
    pub channels: Vec<Delivery>,
}

impl SendRecord {
    /// The addresses SES already took (a resumed claim skips them).
    pub fn sent_to(&self) -> BTreeSet<String> {
        self.recipients
            .iter()
            .filter(|r| r.outcome == Outcome::Sent)
            .map(|r| r.address.clone())
            .collect()
    }
}

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// A permanent bounce: the address does not take mail.
    Bounce,
    /// The recipient marked a digest as spam.
    Complaint,
    /// The recipient unsubscribed from one subscription.
    Unsubscribed,
}

impl Suppression {
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::Bounce => "bounce",
            Suppression::Complaint => "complaint",
            Suppression::Unsubscribed => "unsubscribed",
        }
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// The digest side of one tenant's alerts table.
pub struct DigestStore<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    tenant: &'a str,
}

impl<'a> DigestStore<'a> {
    pub fn new(client: &'a aws_sdk_dynamodb::Client, table: &'a str, tenant: &'a str) -> Self {
        DigestStore { client, table, tenant }
    }

    /// The subscriptions' items (`spec`, the sealed secret, the cap).
    fn subscription_items(&self) -> SpecItems<'a> {
        let slots = Slots::new(
            self.client,
            self.table,
            keys::subscription_slots(self.tenant),
            "subscriptions",
        );
        SpecItems::new(
            self.client,
            self.table,
            keys::subscriptions(self.tenant),
            slots,
            "subscription",
        )
    }

    fn malformed(&self, key: &str, message: impl Into<String>) -> StoreError {
        self.subscription_items().malformed(key, message)
    }

    fn subscription_of(&self, item: &Item) -> Result<Subscription, StoreError> {
        let id = attr_s(item, "sk").unwrap_or_default().to_owned();
        let json = self.subscription_items().spec_json(item)?;
        let spec = parse_subscription(json.as_bytes(), UrlPolicy::Stored)
            .map_err(|e| self.malformed(&id, e.to_string()))?;
        Ok(Subscription {
            spec,
            created_at: attr_s(item, "created_at").unwrap_or_default().to_owned(),
            updated_at: attr_s(item, "updated_at").unwrap_or_default().to_owned(),
            secret: StoredSecret::of_item(item).unwrap_or(StoredSecret::Plain(String::new())),
            id,
        })
    }

    /// Every subscription of the tenant, by id.
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let items = self.subscription_items().all().await?;
        items.iter().map(|item| self.subscription_of(item)).collect()
    }

    pub async fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        let item = self.subscription_items().get(id).await?;
        item.as_ref().map(|item| self.subscription_of(item)).transpose()
    }

    /// Stores a new subscription if the tenant keeps fewer than `cap` (a
    /// slot taken first, so parallel requests cannot pass it); `None` when
    /// it keeps `cap` already.
    pub async fn create_capped(
        &self,
        id: &str,
        spec: &SubscriptionSpec,
        secret: &StoredSecret,
        now: DateTime<Utc>,
        cap: usize,
    ) -> Result<Option<Subscription>, StoreError> {
        let at = timestamp(now);
        let items = self.subscription_items();
        if !items.create_capped(id, cap, spec, secret.attribute(), &at, &[]).await? {
            return Ok(None);
        }
        Ok(Some(Subscription {
            id: id.to_owned(),
            spec: spec.clone(),
            created_at: at.clone(),
            updated_at: at,
            secret: secret.clone(),
        }))
    }

    /// Replaces a subscription's fields (its secret and history stay);
    /// `None` when there is no such subscription.
    pub async fn replace(
        &self,
        id: &str,
        spec: &SubscriptionSpec,
        now: DateTime<Utc>,
    ) -> Result<Option<Subscription>, StoreError> {
        let item = self.subscription_items().replace_spec(id, spec, &timestamp(now)).await?;
        item.as_ref().map(|item| self.subscription_of(item)).transpose()
    }

    /// Deletes a subscription and frees its slot; whether it existed. Its
    /// sends expire by TTL.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.subscription_items().delete(id).await
    }

    /// Claims `record.period` of subscription `id` for this run: a new
    /// claim, or one left `sending` for [`STALE_CLAIM_MINUTES`]. The
    /// record the claim starts from (a stale claim's progress kept) when
    /// this run got it; `None` when the period is sent or being sent.
    pub async fn claim(
        &self,
        id: &str,
        record: &SendRecord,
        now: DateTime<Utc>,
    ) -> Result<Option<SendRecord>, StoreError> {
        let stale = now - chrono::Duration::minutes(STALE_CLAIM_MINUTES);
        let expires = now.timestamp().saturating_add(SEND_RETENTION_DAYS * 86_400);
        let fresh = serde_json::to_string(record).map_err(|e| self.malformed(id, e.to_string()))?;
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(key_map(keys::sends(self.tenant, id), record.period.clone())))
            .update_expression(
                "SET #status = :sending, claimed_at = :now, expires_at = :expires, \
                 delivery = if_not_exists(delivery, :fresh)",
            )
            .condition_expression(
                "attribute_not_exists(pk) OR (#status = :sending AND claimed_at < :stale)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":now", s(timestamp(now)))
            .expression_attribute_values(":stale", s(timestamp(stale)))
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .expression_attribute_values(":fresh", s(fresh))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let Some(out) = unless_condition_failed(result)? else { return Ok(None) };
        let item = out.attributes.unwrap_or_default();
        let mut claimed: SendRecord =
            serde_json::from_str(attr_s(&item, "delivery").unwrap_or("{}"))
                .map_err(|e| self.malformed(&record.period, e.to_string()))?;
        claimed.status = "sending".to_owned();
        claimed.claimed_at = timestamp(now);
        Ok(Some(claimed))
    }

    /// Saves a claimed send's progress (and `status`), only while this run
    /// holds the claim (`claimed_at` unchanged); whether it still did.
    pub async fn record(&self, id: &str, record: &SendRecord) -> Result<bool, StoreError> {
        let json = serde_json::to_string(record).map_err(|e| self.malformed(id, e.to_string()))?;
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(key_map(keys::sends(self.tenant, id), record.period.clone())))
            .update_expression("SET #status = :status, delivery = :delivery")
            .condition_expression("claimed_at = :mine")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(record.status.clone()))
            .expression_attribute_values(":delivery", s(json))
            .expression_attribute_values(":mine", s(record.claimed_at.clone()))
            .send()
            .await;
        Ok(unless_condition_failed(result)?.is_some())
    }

    /// A subscription's sends, newest period first, after the period
    /// `after`: (period, send).
    pub async fn sends(
        &self,
        id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, SendRecord)>, StoreError> {
        let pk = keys::sends(self.tenant, id);
        crate::store::newest_first(self.client, self.table, &pk, after, limit)
            .await?
            .iter()
            .map(|item| {
                let sk = attr_s(item, "sk").unwrap_or_default().to_owned();
                let mut record: SendRecord = serde_json::from_str(
                    attr_s(item, "delivery").unwrap_or("{}"),
                )
                .map_err(|e| StoreError::Malformed {
                    key: format!("{pk}/{sk}"),
                    message: e.to_string(),
                })?;
                record.status = attr_s(item, "status").unwrap_or_default().to_owned();
                Ok((sk, record))
            })
            .collect()
    }

    /// Suppresses `address`: for every digest of the tenant (a bounce or a
    /// complaint), or for subscription `only` (an unsubscribe).
    pub async fn suppress(
        &self,
        address: &str,
        why: Suppression,
        only: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sk = match only {
            Some(subscription) => keys::unsubscribed(address, subscription),
            None => keys::address(address),
        };
        self.client
            .put_item()
            .table_name(self.table)
            .item("pk", s(keys::suppressed(self.tenant)))
            .item("sk", s(sk))
            .item("reason", s(why.as_str()))
            .item("at", s(timestamp(now)))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem", e))?;
        Ok(())
    }

    /// Which of `addresses` subscription `id` must not send to, and why.
    pub async fn suppressed(
        &self,
        id: &str,
        addresses: &[String],
    ) -> Result<HashMap<String, Outcome>, StoreError> {
        let pk = keys::suppressed(self.tenant);
        let mut wanted = Vec::new();
        for address in addresses {
            wanted.push((pk.clone(), keys::address(address)));
            wanted.push((pk.clone(), keys::unsubscribed(address, id)));
        }
        let found = crate::store::batch_get_items(self.client, self.table, wanted, true).await?;
        let mut out = HashMap::new();
        for item in &found {
            let sk = attr_s(item, "sk").unwrap_or_default();
            let (address, outcome) = match sk.split_once('#') {
                Some((address, _)) => (address, Outcome::Unsubscribed),
                None => (sk, Outcome::Suppressed),
            };
            // A tenant-wide suppression says more than an unsubscribe.
            let entry = out.entry(address.to_owned()).or_insert(outcome);
            if outcome == Outcome::Suppressed {
                *entry = outcome;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_ids_have_their_form() {
        assert!(is_subscription_id(&crate::alerts::new_id(SUBSCRIPTION_ID_PREFIX)));
        assert!(!is_subscription_id(&crate::alerts::new_id("rule")));
        assert!(!is_subscription_id("sub_12"));
    }

    #[test]
    fn a_resumed_send_skips_only_the_addresses_ses_took() {
        let outcome = |address: &str, outcome| RecipientOutcome {
            address: address.into(),
            outcome,
            message_id: None,
            error: None,
        };
        let record = SendRecord {
            recipients: vec![
                outcome("a@example.com", Outcome::Sent),
                outcome("b@example.com", Outcome::Failed),
                outcome("c@example.com", Outcome::Suppressed),
            ],
            ..SendRecord::default()
        };
        assert_eq!(record.sent_to(), BTreeSet::from(["a@example.com".to_owned()]));
    }
}
