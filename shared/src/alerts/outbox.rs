//! Delivery of claimed events, apart from their evaluation: a tenant's
//! evaluation claims an edge together with its event and an outbox entry
//! (`AlertStore::claim_edge`) and hands the entry on; a delivery round
//! (`deliver_round`) tries every channel that has not taken the event yet,
//! at once, keeps the attempts and ends the entry when every channel took
//! it, none may do better, or the rounds are spent.
//!
//! In AWS each entry is one message of the alert delivery queue and each
//! receive of it one round; a round that leaves channels to retry pushes
//! the message's next receive back by the policy's backoff. Locally
//! (`deliver_in_process`) the rounds run in the calling process, every
//! event at once. Either way delivery is at least once: an entry whose
//! message was lost is queued again by a later evaluation
//! ([`REQUEUE_AFTER`]), and receivers drop repeats by the event's `id`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::deliver::Deliverer;
use super::store::{AlertStore, DeliveryStatus, OutboxEntry};
use crate::store::StoreError;

/// An outbox entry older than this (queued, and its delivery not ended)
/// is queued again by the tenant's next evaluation: its message was lost,
/// or dead-lettered after the function failed. Longer than every round's
/// backoff together, so a delivery in progress is not doubled.
pub const REQUEUE_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// One message of the alert delivery queue: a tenant's outbox entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub tenant: String,
    #[serde(flatten)]
    pub entry: OutboxEntry,
}

/// What a round left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundOutcome {
    pub status: DeliveryStatus,
    /// Channels that have taken the event.
    pub delivered: usize,
    /// Channels that have not (yet).
    pub undelivered: usize,
}

/// One delivery round of `entry`, the `round`-th (1-based); the last one
/// the policy allows ends the delivery whatever it gives. An entry whose
/// event is gone or already ended is removed.
pub async fn deliver_round(
    store: &AlertStore<'_>,
    deliverer: &Deliverer,
    tenant: &str,
    entry: &OutboxEntry,
    round: u32,
) -> Result<RoundOutcome, StoreError> {
    let Some(event) = store.pending_event(&entry.rule_id, &entry.event).await? else {
        store.forget(entry).await?;
        let ended = RoundOutcome { status: DeliveryStatus::Failed, delivered: 0, undelivered: 0 };
        return Ok(ended);
    };
    let counts = |deliveries: &[super::store::Delivery], status| RoundOutcome {
        status,
        delivered: deliveries.iter().filter(|d| d.delivered).count(),
        undelivered: deliveries.iter().filter(|d| !d.delivered).count(),
    };
    if event.status != DeliveryStatus::Pending {
        store.forget(entry).await?;
        return Ok(counts(&event.deliveries, event.status));
    }
    let deliveries = match store.rule(&entry.rule_id).await? {
        Some(rule) => {
            let signs =
                event.channels.iter().any(|c| matches!(c, super::rule::Channel::Webhook { .. }));
            let secret = match signs {
                true => deliverer.secrets.open(&rule.secret, tenant, &rule.id).await?,
                false => String::new(),
            };
            deliverer.round(&event.channels, &event.deliveries, &secret, tenant, &event.body).await
        }
        // The rule was deleted since: nothing signs the event any more.
        None => event.deliveries.clone(),
    };
    let status = if deliveries.iter().all(|d| d.delivered) {
        DeliveryStatus::Delivered
    } else if round >= deliverer.retry.attempts || !deliveries.iter().any(|d| d.wants_retry()) {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Pending
    };
    store.record_round(&event, &deliveries, status).await?;
    Ok(counts(&deliveries, status))
}

/// Delivers `entry` in this process: rounds until it ends, waiting the
/// policy's backoff between them.
pub async fn deliver_in_process(
    store: &AlertStore<'_>,
    deliverer: &Deliverer,
    tenant: &str,
    entry: &OutboxEntry,
) -> Result<RoundOutcome, StoreError> {
    let mut round = 1;
    loop {
        let outcome = deliver_round(store, deliverer, tenant, entry, round).await?;
        if outcome.status != DeliveryStatus::Pending {
            return Ok(outcome);
        }
        tokio::time::sleep(deliverer.retry.backoff(round)).await;
        round += 1;
    }
}

/// The entries of the tenant's outbox that waited longer than
/// [`REQUEUE_AFTER`] since they were last queued, marked queued at `now`.
pub async fn stale_entries(
    store: &AlertStore<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut stale = Vec::new();
    for entry in store.outbox().await? {
        if entry.queued_at.is_none_or(|at| now - at >= REQUEUE_AFTER) {
            store.requeued(&entry, now).await?;
            stale.push(entry);
        }
    }
    Ok(stale)
}

/// How long SQS should keep a message invisible after round `round` left
/// channels to retry: the policy's backoff, within SQS's 12-hour limit.
pub fn visibility_after(deliverer: &Deliverer, round: u32) -> u32 {
    let wait: Duration = deliverer.retry.backoff(round);
    u32::try_from(wait.as_secs()).unwrap_or(u32::MAX).clamp(1, 43_200)
}
