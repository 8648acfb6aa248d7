//! The events side of a tenant's alerts: an edge claimed with its event
//! and outbox entry in one transaction, the outbox the deliveries work
//! from, each round's outcome, and the rules' event history.

use super::*;

impl<'a> AlertStore<'a> {
    /// Moves a rule from `from` to `to` as [`Self::record_evaluation`]
    /// does and, in the same transaction, keeps `event` (pending, to
    /// `channels`) and its outbox entry. Whether this call made the move;
    /// the entry when it did.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim_edge(
        &self,
        id: &str,
        from: RuleState,
        to: RuleState,
        value: Decimal,
        event: &AlertEvent,
        channels: &[Channel],
    ) -> Result<Option<OutboxEntry>, StoreError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
        let bad = |e: &dyn std::fmt::Display| self.malformed(id, e.to_string());
        let body = serde_json::to_string(event).map_err(|e| bad(&e))?;
        let channels_json = serde_json::to_string(channels).map_err(|e| bad(&e))?;
        let deliveries: Vec<Delivery> = channels.iter().map(Delivery::untried).collect();
        let deliveries = serde_json::to_string(&deliveries).map_err(|e| bad(&e))?;
        let event_key = keys::event(&timestamp(event.occurred_at), &event.id);
        let expires = event.occurred_at.timestamp().saturating_add(EVENT_RETENTION_DAYS * 86_400);
        let built = |e: aws_sdk_dynamodb::error::BuildError| bad(&e);
        let claim = Update::builder()
            .table_name(self.table)
            .set_key(Some(self.rule_key(id)))
            .update_expression(MOVE_STATE)
            .condition_expression(MOVE_CONDITION)
            .expression_attribute_names("#state", "state")
            .set_expression_attribute_values(Some(move_values(from, to, value, event.occurred_at)))
            .build()
            .map_err(built)?;
        let keep = Put::builder()
            .table_name(self.table)
            .item("pk", s(keys::events(self.tenant, id)))
            .item("sk", s(event_key.clone()))
            .item("event", s(body))
            .item("channels", s(channels_json))
            .item("deliveries", s(deliveries))
            .item("status", s(DeliveryStatus::Pending.as_str()))
            .item("expires_at", AttributeValue::N(expires.to_string()))
            .build()
            .map_err(built)?;
        let entry = Put::builder()
            .table_name(self.table)
            .item("pk", s(keys::outbox(self.tenant)))
            .item("sk", s(keys::outbox_entry(id, &event_key)))
            .item("queued_at", s(timestamp(event.occurred_at)))
            .item("expires_at", AttributeValue::N(expires.to_string()))
            .build()
            .map_err(built)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(claim).build())
            .transact_items(TransactWriteItem::builder().put(keep).build())
            .transact_items(TransactWriteItem::builder().put(entry).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(OutboxEntry {
                rule_id: id.to_owned(),
                event: event_key,
                queued_at: Some(event.occurred_at),
            })),
            // The rule moved (another evaluation claimed the edge) or went.
            Err(e)
                if e.as_service_error().is_some_and(|se| {
                    se.is_transaction_canceled_exception()
                        && format!("{se:?}").contains("ConditionalCheckFailed")
                }) =>
            {
                Ok(None)
            }
            Err(e) => Err(StoreError::dynamo("TransactWriteItems", e)),
        }
    }

    /// The tenant's events still to deliver.
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let items =
            crate::store::query_partition(self.client, self.table, &keys::outbox(self.tenant))
                .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let sk = attr_s(item, "sk")?;
                let (rule_id, event) = keys::outbox_parts(sk)?;
                let queued_at = attr_s(item, "queued_at")
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc));
                Some(OutboxEntry { rule_id: rule_id.into(), event: event.into(), queued_at })
            })
            .collect())
    }

    /// Notes that `entry` was queued again at `at`.
    pub async fn requeued(&self, entry: &OutboxEntry, at: DateTime<Utc>) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(key_map(
                keys::outbox(self.tenant),
                keys::outbox_entry(&entry.rule_id, &entry.event),
            )))
            .update_expression("SET queued_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(timestamp(at)))
            .send()
            .await;
        unless_condition_failed(result).map(|_| ())
    }

    /// An event to deliver, if it is still kept.
    pub async fn pending_event(
        &self,
        rule_id: &str,
        event_key: &str,
    ) -> Result<Option<PendingEvent>, StoreError> {
        let key = key_map(keys::events(self.tenant, rule_id), event_key.to_owned());
        let Some(item) = crate::store::get_consistent(self.client, self.table, key).await? else {
            return Ok(None);
        };
        let bad = |m: String| StoreError::Malformed {
            key: format!("{}/{event_key}", keys::events(self.tenant, rule_id)),
            message: m,
        };
        let channels: Vec<Channel> =
            serde_json::from_str(attr_s(&item, "channels").unwrap_or("[]"))
                .map_err(|e| bad(e.to_string()))?;
        let mut deliveries: Vec<Delivery> =
            serde_json::from_str(attr_s(&item, "deliveries").unwrap_or("[]"))
                .map_err(|e| bad(e.to_string()))?;
        deliveries.resize_with(channels.len(), Delivery::default);
        for (delivery, channel) in deliveries.iter_mut().zip(&channels) {
            if delivery.channel.is_empty() {
                *delivery = Delivery::untried(channel);
            }
        }
        Ok(Some(PendingEvent {
            rule_id: rule_id.to_owned(),
            key: event_key.to_owned(),
            body: attr_s(&item, "event").unwrap_or_default().to_owned(),
            channels,
            deliveries,
            // An event kept before outboxes existed was delivered then.
            status: attr_s(&item, "status")
                .and_then(DeliveryStatus::parse)
                .unwrap_or(DeliveryStatus::Delivered),
        }))
    }

    /// Keeps what a delivery round did; when `status` is final, in one
    /// transaction with the removal of the event's outbox entry.
    pub async fn record_round(
        &self,
        event: &PendingEvent,
        deliveries: &[Delivery],
        status: DeliveryStatus,
    ) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
        let bad = |e: &dyn std::fmt::Display| self.malformed(&event.rule_id, e.to_string());
        let deliveries = serde_json::to_string(deliveries).map_err(|e| bad(&e))?;
        let update = Update::builder()
            .table_name(self.table)
            .set_key(Some(key_map(keys::events(self.tenant, &event.rule_id), event.key.clone())))
            .update_expression("SET deliveries = :d, #status = :s")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":d", s(deliveries))
            .expression_attribute_values(":s", s(status.as_str()))
            .build()
            .map_err(|e| bad(&e))?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        if status != DeliveryStatus::Pending {
            let remove = Delete::builder()
                .table_name(self.table)
                .set_key(Some(key_map(
                    keys::outbox(self.tenant),
                    keys::outbox_entry(&event.rule_id, &event.key),
                )))
                .build()
                .map_err(|e| bad(&e))?;
            items.push(TransactWriteItem::builder().delete(remove).build());
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("TransactWriteItems", e))?;
        Ok(())
    }

    /// Removes an outbox entry whose event is gone or already final.
    pub async fn forget(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(self.table)
            .set_key(Some(key_map(
                keys::outbox(self.tenant),
                keys::outbox_entry(&entry.rule_id, &entry.event),
            )))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DeleteItem", e))?;
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
        crate::store::newest_first(self.client, self.table, &pk, after, limit)
            .await?
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
