//! The items of a tenant's partition that each hold a spec (the fields as
//! the API takes them, JSON) and a sealed signing secret, under a
//! per-tenant cap of [`Slots`]: alert rules and digest subscriptions. Their
//! stores (`alerts::store`, `digests::store`) read the items into their own
//! types; this module writes, replaces, reads and deletes them.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::slots::Slots;
use super::{Item, StoreError, attr_s, key_map, unless_condition_failed};

/// One tenant's spec items: partition `pk`, sort key the item's id.
pub struct SpecItems<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    pk: String,
    slots: Slots<'a>,
    /// What an item is, for logs ("rule", "subscription").
    kind: &'static str,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

impl<'a> SpecItems<'a> {
    pub fn new(
        client: &'a aws_sdk_dynamodb::Client,
        table: &'a str,
        pk: String,
        slots: Slots<'a>,
        kind: &'static str,
    ) -> Self {
        SpecItems { client, table, pk, slots, kind }
    }

    pub fn key(&self, id: &str) -> Item {
        key_map(self.pk.clone(), id.to_owned())
    }

    /// The error of a stored item that cannot be read.
    pub fn malformed(&self, id: &str, message: impl Into<String>) -> StoreError {
        StoreError::Malformed { key: format!("{}/{id}", self.pk), message: message.into() }
    }

    /// The spec of `item`, as stored.
    pub fn spec_json<'i>(&self, item: &'i Item) -> Result<&'i str, StoreError> {
        attr_s(item, "spec")
            .ok_or_else(|| self.malformed(attr_s(item, "sk").unwrap_or_default(), "no spec"))
    }

    /// Every item, by id.
    pub async fn all(&self) -> Result<Vec<Item>, StoreError> {
        super::query_partition(self.client, self.table, &self.pk).await
    }

    /// One item (a consistent read).
    pub async fn get(&self, id: &str) -> Result<Option<Item>, StoreError> {
        super::get_consistent(self.client, self.table, self.key(id)).await
    }

    /// Stores a new item if the tenant keeps fewer than `cap` (a slot taken
    /// first, so parallel requests cannot pass the cap; freed again if the
    /// write fails): `spec` and the secret's attribute, `created_at` and `updated_at` at
    /// `at`, and `extra` attributes. Whether it was stored.
    pub async fn create_capped(
        &self,
        id: &str,
        cap: usize,
        spec: &impl serde::Serialize,
        (secret_name, secret_value): (&str, AttributeValue),
        at: &str,
        extra: &[(&str, &str)],
    ) -> Result<bool, StoreError> {
        let ids = || async {
            Ok(self
                .all()
                .await?
                .iter()
                .filter_map(|i| attr_s(i, "sk").map(str::to_owned))
                .collect())
        };
        if !self.slots.take_or_reclaim(id, cap, ids).await? {
            return Ok(false);
        }
        let spec = serde_json::to_string(spec).map_err(|e| self.malformed(id, e.to_string()))?;
        let mut put = self
            .client
            .put_item()
            .table_name(self.table)
            .item("pk", s(self.pk.clone()))
            .item("sk", s(id))
            .item("spec", s(spec))
            .item(secret_name, secret_value)
            .item("created_at", s(at))
            .item("updated_at", s(at))
            .condition_expression("attribute_not_exists(pk)");
        for (name, value) in extra {
            put = put.item(*name, s(*value));
        }
        if let Err(e) = put.send().await {
            if let Err(free) = self.slots.free(id).await {
                tracing::warn!(error = %free, kind = self.kind, "a slot stays taken until reclaimed");
            }
            return Err(StoreError::dynamo("PutItem", e));
        }
        Ok(true)
    }

    /// Replaces an item's spec (everything else stays); the item as it is
    /// now, `None` when there is no such item.
    pub async fn replace_spec(
        &self,
        id: &str,
        spec: &impl serde::Serialize,
        at: &str,
    ) -> Result<Option<Item>, StoreError> {
        let spec = serde_json::to_string(spec).map_err(|e| self.malformed(id, e.to_string()))?;
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key(id)))
            .update_expression("SET spec = :spec, updated_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":spec", s(spec))
            .expression_attribute_values(":at", s(at))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        Ok(unless_condition_failed(result)?.and_then(|out| out.attributes))
    }

    /// Deletes an item and frees its slot; whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(self.table)
            .set_key(Some(self.key(id)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DeleteItem", e))?;
        let existed = out.attributes.is_some();
        if existed {
            self.slots.free(id).await?;
        }
        Ok(existed)
    }
}
