//! A per-tenant cap that holds under parallel requests: the ids that hold
//! a slot (a tenant's rules, its queued and running export jobs) kept as a
//! string set in one item. A slot is taken with one conditional update
//! (`ADD ids :id` if `size(ids) < :cap`), so parallel requests serialize on
//! the item and at most `cap` of them get one, where counting the holders
//! and then writing would let them all through. A slot is freed when what
//! holds it ends. An id whose holder ended without freeing it (a process
//! that died between the two writes) costs a slot until the cap is next
//! reached: then the caller names the ids that still hold
//! ([`Slots::reclaim`]) and the others are dropped, unless taken within
//! [`RECLAIM_GRACE_SECONDS`] (their holder may be being written by a
//! parallel request: the slot is taken before the holder is made). The
//! time a slot was taken sits beside the set, one attribute per id
//! (`taken_at:{id}`), written and removed in the same updates.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::{StoreError, unless_condition_failed};

/// A slot taken this recently is kept even if its holder is not found.
pub const RECLAIM_GRACE_SECONDS: i64 = 60;

/// The attribute holding when `id` took its slot.
fn taken_at_attribute(id: &str) -> String {
    format!("taken_at:{id}")
}

/// One tenant's slots of one kind: the item `pk`/`sk` of a table.
pub struct Slots<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    pk: String,
    sk: &'static str,
}

impl<'a> Slots<'a> {
    pub fn new(
        client: &'a aws_sdk_dynamodb::Client,
        table: &'a str,
        pk: String,
        sk: &'static str,
    ) -> Self {
        Slots { client, table, pk, sk }
    }

    fn key(&self) -> super::Item {
        super::Item::from([
            ("pk".to_owned(), AttributeValue::S(self.pk.clone())),
            ("sk".to_owned(), AttributeValue::S(self.sk.to_owned())),
        ])
    }

    /// Takes a slot for `id` if fewer than `cap` are held (an id that
    /// holds one already keeps it); whether it got one.
    pub async fn take(&self, id: &str, cap: usize, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key()))
            .update_expression("ADD ids :id SET #taken_at = if_not_exists(#taken_at, :now)")
            .expression_attribute_names("#taken_at", taken_at_attribute(id))
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .condition_expression(
                "attribute_not_exists(ids) OR size(ids) < :cap OR contains(ids, :one)",
            )
            .expression_attribute_values(":id", AttributeValue::Ss(vec![id.to_owned()]))
            .expression_attribute_values(":one", AttributeValue::S(id.to_owned()))
            .expression_attribute_values(":cap", AttributeValue::N(cap.to_string()))
            .send()
            .await;
        Ok(unless_condition_failed(result)?.is_some())
    }

    /// Takes a slot for `id` as [`Slots::take`] does, for holders whose
    /// ids `all_ids` lists: the item is seeded from them when it does not
    /// exist yet (holders made before slots were), and at the cap the
    /// slots of ids no longer listed are reclaimed and the take tried once
    /// more. Slots run on the wall clock (a pinned API clock stands still).
    pub async fn take_or_reclaim<Ids>(
        &self,
        id: &str,
        cap: usize,
        all_ids: impl Fn() -> Ids,
    ) -> Result<bool, StoreError>
    where
        Ids: std::future::Future<Output = Result<Vec<String>, StoreError>>,
    {
        if self.holders().await?.is_none() {
            self.seed(&all_ids().await?).await?;
        }
        let wall = chrono::Utc::now();
        if self.take(id, cap, wall).await? {
            return Ok(true);
        }
        let existing = async |held: &[String]| {
            let ids = all_ids().await?;
            Ok(held.iter().filter(|id| ids.contains(id)).cloned().collect())
        };
        Ok(self.reclaim(wall, existing).await? && self.take(id, cap, wall).await?)
    }

    /// Frees the slot `id` holds (nothing if it holds none).
    pub async fn free(&self, id: &str) -> Result<(), StoreError> {
        self.drop_ids(&[id.to_owned()]).await
    }

    /// The ids that hold a slot; `None` when none do (DynamoDB keeps no
    /// empty set), or the set was never written: the caller may seed it
    /// from what exists.
    pub async fn holders(&self) -> Result<Option<Vec<String>>, StoreError> {
        Ok(self.item().await?.and_then(|item| ids_of(&item)))
    }

    async fn item(&self) -> Result<Option<super::Item>, StoreError> {
        super::get_consistent(self.client, self.table, self.key()).await
    }

    /// Writes the set from the ids that hold slots already when it holds
    /// none (what existed before the cap was kept this way); nothing if
    /// any id holds a slot by then.
    pub async fn seed(&self, ids: &[String]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key()))
            .update_expression("ADD ids :ids")
            .condition_expression("attribute_not_exists(ids)")
            .expression_attribute_values(":ids", AttributeValue::Ss(ids.to_vec()))
            .send()
            .await;
        unless_condition_failed(result).map(|_| ())
    }

    /// When the cap is reached: keeps the holders `still_held` says hold,
    /// drops the others; whether any was dropped (a slot may be free now).
    pub async fn reclaim(
        &self,
        now: DateTime<Utc>,
        still_held: impl AsyncFnOnce(&[String]) -> Result<Vec<String>, StoreError>,
    ) -> Result<bool, StoreError> {
        let Some(item) = self.item().await? else {
            return Ok(false);
        };
        let holders = ids_of(&item).unwrap_or_default();
        let held = still_held(&holders).await?;
        let stale: Vec<String> = holders
            .into_iter()
            .filter(|id| !held.contains(id))
            .filter(|id| {
                taken_at(&item, id).is_none_or(|at| now.timestamp() - at > RECLAIM_GRACE_SECONDS)
            })
            .collect();
        if stale.is_empty() {
            return Ok(false);
        }
        tracing::warn!(pk = %self.pk, ?stale, "slots held by what no longer exists: freed");
        self.drop_ids(&stale).await?;
        Ok(true)
    }

    async fn drop_ids(&self, ids: &[String]) -> Result<(), StoreError> {
        let mut update = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key()))
            .expression_attribute_values(":ids", AttributeValue::Ss(ids.to_vec()));
        let mut removed = Vec::with_capacity(ids.len());
        for (n, id) in ids.iter().enumerate() {
            update = update.expression_attribute_names(format!("#t{n}"), taken_at_attribute(id));
            removed.push(format!("#t{n}"));
        }
        update
            .update_expression(format!("DELETE ids :ids REMOVE {}", removed.join(", ")))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("UpdateItem", e))?;
        Ok(())
    }
}

/// The ids of the set, if it holds any.
fn ids_of(item: &super::Item) -> Option<Vec<String>> {
    match item.get("ids") {
        Some(AttributeValue::Ss(ids)) => Some(ids.clone()),
        _ => None,
    }
}

/// When `id` took its slot (seconds since the epoch), if noted.
fn taken_at(item: &super::Item, id: &str) -> Option<i64> {
    match item.get(&taken_at_attribute(id)) {
        Some(AttributeValue::N(at)) => at.parse().ok(),
        _ => None,
    }
}
