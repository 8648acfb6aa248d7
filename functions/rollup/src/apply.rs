//! Applying changes exactly once in effect. Each source record has a ledger
//! item holding the stream sequence number of its last applied change. A
//! group of changes commits its coalesced aggregate deltas in one DynamoDB
//! transaction together with the ledger items of its records, each
//! conditioned on the ledger being older than the change. A replayed,
//! duplicated or retried change fails its condition and is dropped, so any
//! at-least-once delivery pattern leaves the aggregates as if each change
//! was applied once.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, Put, TransactWriteItem, Update,
};
use sales_shared::layout::{Measures, ledger_key};
use sales_shared::records::RecordKey;
use sales_shared::store::StoreError;
use sales_shared::store::aggregates::{LedgerEntry, measures_of, read_ledgers};
use sales_shared::store::batch_get_items;
use sales_shared::store::key_map;

use crate::contributions::{Delta, ItemKey};
use crate::derive::{self, DeriveSettings, STATE_VERSION};

/// DynamoDB's limit of items in one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;
const MAX_ATTEMPTS: u32 = 8;

/// A change ready to apply.
#[derive(Debug, Clone)]
pub struct PreparedChange {
    pub key: RecordKey,
    /// Padded stream sequence number.
    pub sequence: String,
    /// Version of the record after the change (the old one for removals).
    pub version: i64,
    pub delta: Delta,
    /// The tenant settings derived figures depend on (`derive`).
    pub settings: DeriveSettings,
}

/// Changes split into transactions, in order. A change too large for one
/// transaction forms a group of its own and is applied in parts (see
/// [`apply_in_parts`]).
#[derive(Debug, Default)]
pub struct Grouping {
    pub groups: Vec<Vec<PreparedChange>>,
}

/// The most derived writes (`derive`) the state items of a delta can add.
fn reserved(delta: &Delta) -> usize {
    delta.adds.keys().map(derive::reserve).sum()
}

/// Whether a change needs more items than one transaction holds (its
/// aggregate items, what they may derive and its ledger entry).
pub fn is_oversized(change: &PreparedChange) -> bool {
    change.delta.item_count() + reserved(&change.delta) + 1 > MAX_TRANSACTION_ITEMS
}

/// Splits changes, in order, into groups that each fit one transaction and
/// hold each record at most once; an oversized change goes alone.
pub fn group_changes(changes: Vec<PreparedChange>) -> Grouping {
    let mut groups: Vec<Vec<PreparedChange>> = Vec::new();
    let mut current: Vec<PreparedChange> = Vec::new();
    let mut keys: HashSet<(String, String)> = HashSet::new();
    let mut records: HashSet<RecordKey> = HashSet::new();
    // Derived writes the group's state items may add.
    let mut reserve = 0;
    for change in changes {
        if is_oversized(&change) {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
                keys.clear();
                records.clear();
            }
            groups.push(vec![change]);
            reserve = 0;
            continue;
        }
        let own: HashSet<(String, String)> = change.delta.keys().cloned().collect();
        let new_keys: Vec<&ItemKey> = own.iter().filter(|k| !keys.contains(*k)).collect();
        let new_reserve: usize = new_keys.iter().map(|k| derive::reserve(k)).sum();
        let fits = keys.len() + reserve + records.len() + new_keys.len() + new_reserve
            < MAX_TRANSACTION_ITEMS;
        if !current.is_empty() && (!fits || records.contains(&change.key)) {
            groups.push(std::mem::take(&mut current));
            keys.clear();
            records.clear();
            reserve = 0;
        }
        reserve += own.iter().filter(|k| !keys.contains(*k)).map(derive::reserve).sum::<usize>();
        keys.extend(own);
        records.insert(change.key.clone());
        current.push(change);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    Grouping { groups }
}

fn build_err(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Malformed { key: "transaction".into(), message: e.to_string() }
}

/// The ledger entry of an applied change, conditioned on the ledger being
/// older than the change.
fn ledger_put(
    table: &str,
    change: &PreparedChange,
    condition: &str,
    mut values: HashMap<String, AttributeValue>,
) -> Result<TransactWriteItem, StoreError> {
    let entry = LedgerEntry { sequence: change.sequence.clone(), version: change.version };
    let ledger = entry.item(&change.key);
    values.insert(":seq".into(), AttributeValue::S(change.sequence.clone()));
    Ok(TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(ledger))
                .condition_expression(condition)
                .set_expression_attribute_values(Some(values))
                .build()
                .map_err(build_err)?,
        )
        .build())
}

/// The writes of a delta: one `ADD` update per coalesced bucket item, index
/// puts and deletes, in a fixed order (the parts of an oversized change are
/// cut from this list, so every attempt cuts the same parts).
///
/// A state item read before the transaction (`states`) also counts the
/// update and is conditioned on the count read: what was derived from it
/// holds only if nobody wrote it in between.
fn delta_items(
    table: &str,
    delta: &Delta,
    states: &StateReads,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut items = Vec::new();
    for (key, measures) in &delta.adds {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut clauses = Vec::new();
        for (i, (name, value)) in measures.iter().enumerate() {
            names.insert(format!("#m{i}"), name.clone());
            values.insert(format!(":v{i}"), AttributeValue::N(value.to_string()));
            clauses.push(format!("#m{i} :v{i}"));
        }
        let mut condition = None;
        if let Some(state) = states.get(key) {
            names.insert("#sv".into(), STATE_VERSION.into());
            values.insert(":one".into(), AttributeValue::N("1".into()));
            clauses.push("#sv :one".into());
            condition = Some(match &state.version {
                Some(version) => {
                    values.insert(":read".into(), AttributeValue::N(version.clone()));
                    "#sv = :read"
                }
                None => "attribute_not_exists(#sv)",
            });
        }
        items.push(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(table)
                        .set_key(Some(key_map(key.0.clone(), key.1.clone())))
                        .update_expression(format!("ADD {}", clauses.join(", ")))
                        .set_condition_expression(condition.map(str::to_owned))
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(Some(values))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
    }
    for item in delta.puts.values() {
        items.push(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(table)
                        .set_item(Some(item.clone()))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
    }
    for (pk, sk) in &delta.deletes {
        items.push(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(table)
                        .set_key(Some(key_map(pk.clone(), sk.clone())))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
    }
    Ok(items)
}

/// A state item as read before a transaction: its measures and update
/// count (`None`: never counted, or absent).
#[derive(Debug, Clone, Default)]
pub struct StateRead {
    pub measures: Measures,
    pub version: Option<String>,
}

/// State items by key.
pub type StateReads = HashMap<ItemKey, StateRead>;

/// Reads the state items among a delta's updates, consistently.
pub async fn read_states(
    client: &Client,
    table: &str,
    delta: &Delta,
) -> Result<StateReads, StoreError> {
    let keys: Vec<ItemKey> = delta.adds.keys().filter(|k| derive::is_state(k)).cloned().collect();
    if keys.is_empty() {
        return Ok(StateReads::new());
    }
    let mut states: StateReads = keys.iter().map(|k| (k.clone(), StateRead::default())).collect();
    for item in batch_get_items(client, table, keys, true).await? {
        let text =
            |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        let version = item.get(STATE_VERSION).and_then(|v| v.as_n().ok()).cloned();
        states
            .insert((text("pk"), text("sk")), StateRead { measures: measures_of(&item)?, version });
    }
    Ok(states)
}

/// The writes of a delta over state items read in `states`: its own, then
/// what they derive.
fn state_writes(
    table: &str,
    delta: &Delta,
    states: &StateReads,
    settings: &HashMap<String, DeriveSettings>,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let derived = derive::for_delta(
        delta,
        |key| states.get(key).map(|s| s.measures.clone()).unwrap_or_default(),
        |tenant| settings.get(tenant).copied().unwrap_or_default(),
    );
    let mut items = delta_items(table, delta, states)?;
    items.extend(delta_items(table, &derived, &StateReads::new())?);
    Ok(items)
}

/// The transaction requests of a group: ledger puts with their conditions,
/// then the coalesced deltas' writes (`merged`, see [`merged`]) and what
/// their state items derive (`states`: the state items as read before).
pub fn transaction_items(
    table: &str,
    group: &[PreparedChange],
    merged: &Delta,
    states: &StateReads,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let mut items = Vec::new();
    for change in group {
        items.push(ledger_put(
            table,
            change,
            "attribute_not_exists(seq) OR seq < :seq",
            HashMap::new(),
        )?);
    }
    items.extend(state_writes(table, merged, states, &settings_of(group))?);
    Ok(items)
}

/// The derivation settings of each tenant of a group.
fn settings_of(group: &[PreparedChange]) -> HashMap<String, DeriveSettings> {
    group.iter().map(|c| (c.key.tenant_id.clone(), c.settings)).collect()
}

/// The coalesced delta of a group.
pub fn merged(group: &[PreparedChange]) -> Delta {
    let mut merged = Delta::default();
    for change in group {
        merged.merge(&change.delta);
    }
    merged
}

/// Whether a failed transaction may succeed when tried again.
fn retryable(
    err: &aws_sdk_dynamodb::error::SdkError<
        TransactWriteItemsError,
        aws_sdk_dynamodb::config::http::HttpResponse,
    >,
) -> bool {
    err.as_service_error().is_some_and(|e| {
        e.is_transaction_canceled_exception()
            || e.is_provisioned_throughput_exceeded_exception()
            || e.is_throttling_exception()
            || e.is_request_limit_exceeded()
            || e.is_transaction_in_progress_exception()
            || e.is_internal_server_error()
    })
}

async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(25 * 2u64.pow(attempt.min(6)))).await;
}

/// Applies an oversized change in parts of at most 99 writes, each in one
/// transaction with the record's ledger entry.
/// While parts remain the ledger holds `pseq` (the change in progress) and
/// `parts` (how many are applied), each part conditioned on the count it
/// follows, so a retry, a replay or a concurrent delivery resumes at the
/// first part not applied and never applies one twice; the last part
/// writes `seq` and drops the progress. Readers may see a change half
/// applied for the moments between its parts.
///
/// An invoice paid on many days is the usual case: each payment day adds
/// receivable items to the invoice and customer families.
///
/// State items (`derive`) and what they derive go together in a first part
/// of their own, derived from a consistent read of them made just before
/// it; the other writes are cut into the same parts on every attempt.
pub async fn apply_in_parts(
    client: &Client,
    table: &str,
    change: &PreparedChange,
) -> Result<usize, StoreError> {
    let (mut state_delta, mut plain) = (Delta::default(), change.delta.clone());
    state_delta.adds = plain
        .adds
        .iter()
        .filter(|(k, _)| derive::is_state(k))
        .map(|(k, m)| (k.clone(), m.clone()))
        .collect();
    plain.adds.retain(|k, _| !derive::is_state(k));
    let writes = delta_items(table, &plain, &StateReads::new())?;
    let plain_parts: Vec<&[TransactWriteItem]> = writes.chunks(MAX_TRANSACTION_ITEMS - 1).collect();
    let has_state = !state_delta.adds.is_empty();
    let (pk, sk) = ledger_key(&change.key);
    let mut attempt = 0;
    loop {
        let ledger = read_ledger_progress(client, table, (&pk, &sk)).await?;
        if ledger.applied.as_deref().is_some_and(|seq| seq >= change.sequence.as_str()) {
            return Ok(0);
        }
        let done = match &ledger.pending {
            Some((seq, done)) if *seq == change.sequence => *done,
            _ => 0,
        };
        let mut parts: Vec<Vec<TransactWriteItem>> = Vec::new();
        if has_state {
            parts.push(if done == 0 {
                let states = read_states(client, table, &state_delta).await?;
                state_writes(
                    table,
                    &state_delta,
                    &states,
                    &settings_of(std::slice::from_ref(change)),
                )?
            } else {
                Vec::new()
            });
        }
        parts.extend(plain_parts.iter().map(|p| p.to_vec()));
        let mut failed = None;
        for (index, part) in parts.iter().enumerate().skip(done) {
            let last = index + 1 == parts.len();
            let mut items = part.clone();
            items.push(progress_write(table, change, (&pk, &sk), index, last)?);
            if let Err(err) =
                client.transact_write_items().set_transact_items(Some(items)).send().await
            {
                failed = Some(err);
                break;
            }
        }
        let Some(err) = failed else { return Ok(1) };
        attempt += 1;
        if !retryable(&err) || attempt >= MAX_ATTEMPTS {
            return Err(StoreError::dynamo("TransactWriteItems", err));
        }
        tracing::debug!(attempt, "part of an oversized change not applied; re-reading the ledger");
        backoff(attempt).await;
    }
}

/// A ledger entry with a change in progress.
#[derive(Debug, Default)]
struct LedgerProgress {
    /// `seq` of the last change applied whole.
    applied: Option<String>,
    /// `pseq` and `parts` of a change applied in part.
    pending: Option<(String, usize)>,
}

async fn read_ledger_progress(
    client: &Client,
    table: &str,
    (pk, sk): (&str, &str),
) -> Result<LedgerProgress, StoreError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key_map(pk.to_owned(), sk.to_owned())))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| StoreError::dynamo("GetItem", e))?;
    let item = out.item.unwrap_or_default();
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let parts = item.get("parts").and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<usize>().ok());
    Ok(LedgerProgress { applied: text("seq"), pending: text("pseq").zip(parts) })
}

/// The ledger write of part `index` of an oversized change: progress for
/// every part but the last, the applied entry for the last.
fn progress_write(
    table: &str,
    change: &PreparedChange,
    (pk, sk): (&str, &str),
    index: usize,
    last: bool,
) -> Result<TransactWriteItem, StoreError> {
    let newer = "(attribute_not_exists(seq) OR seq < :seq)";
    let follows = if index == 0 {
        format!("{newer} AND (attribute_not_exists(pseq) OR pseq <> :seq)")
    } else {
        format!("{newer} AND pseq = :seq AND parts = :done")
    };
    let mut values = HashMap::new();
    if index > 0 {
        values.insert(":done".to_owned(), AttributeValue::N(index.to_string()));
    }
    if last {
        return ledger_put(table, change, &follows, values);
    }
    values.insert(":seq".to_owned(), AttributeValue::S(change.sequence.clone()));
    values.insert(":next".to_owned(), AttributeValue::N((index + 1).to_string()));
    Ok(TransactWriteItem::builder()
        .update(
            Update::builder()
                .table_name(table)
                .set_key(Some(key_map(pk.to_owned(), sk.to_owned())))
                .update_expression("SET pseq = :seq, parts = :next")
                .condition_expression(follows)
                .set_expression_attribute_values(Some(values))
                .build()
                .map_err(build_err)?,
        )
        .build())
}

/// Applies one group, dropping changes the ledger shows as applied.
/// Returns how many changes took effect.
pub async fn apply_group(
    client: &Client,
    table: &str,
    group: Vec<PreparedChange>,
) -> Result<usize, StoreError> {
    if let [change] = group.as_slice()
        && is_oversized(change)
    {
        return apply_in_parts(client, table, change).await;
    }
    let mut pending = group;
    let mut attempt = 0;
    loop {
        let keys: Vec<&RecordKey> = pending.iter().map(|c| &c.key).collect();
        let applied = read_ledgers(client, table, &keys).await?;
        pending.retain(|c| applied.get(&c.key).is_none_or(|entry| entry.sequence < c.sequence));
        if pending.is_empty() {
            return Ok(0);
        }
        let merged = merged(&pending);
        let states = read_states(client, table, &merged).await?;
        let items = transaction_items(table, &pending, &merged, &states)?;
        if items.len() > MAX_TRANSACTION_ITEMS {
            // More derived writes than the grouping reserved: one change
            // at a time, and a change too large alone in parts.
            if let [change] = pending.as_slice() {
                return apply_in_parts(client, table, change).await;
            }
            let mut applied = 0;
            for change in pending {
                applied += Box::pin(apply_group(client, table, vec![change])).await?;
            }
            return Ok(applied);
        }
        match client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => return Ok(pending.len()),
            Err(err) => {
                attempt += 1;
                if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                    err.as_service_error()
                {
                    let reasons = cancelled.cancellation_reasons();
                    let codes: Vec<&str> =
                        reasons.iter().filter_map(CancellationReason::code).collect();
                    tracing::debug!(?codes, attempt, "transaction cancelled; re-reading ledger");
                }
                if !retryable(&err) || attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::dynamo("TransactWriteItems", err));
                }
                backoff(attempt).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sales_shared::records::RecordType;

    fn change(id: i64, items: usize) -> PreparedChange {
        let mut delta = Delta::default();
        for i in 0..items {
            delta
                .adds
                .insert(("t#orders".into(), format!("D#{i}")), [("placed".to_owned(), 1)].into());
        }
        PreparedChange {
            key: RecordKey { tenant_id: "t".into(), record_type: RecordType::Order, id },
            sequence: format!("{id:040}"),
            version: 1,
            delta,
            settings: DeriveSettings::default(),
        }
    }

    #[test]
    fn groups_fit_a_transaction_and_hold_a_record_once() {
        // Shared items are counted once: 60 changes touching the same 3 items.
        let g = group_changes((1..=60).map(|id| change(id, 3)).collect());
        assert_eq!(g.groups.len(), 1);
        // The same record twice goes to a second group.
        let g = group_changes(vec![change(1, 3), change(2, 3), change(1, 3)]);
        assert_eq!(g.groups.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 1]);
        // 99 distinct items + ledger = 100 fit; a second one does not join.
        let mut wide = change(2, 0);
        for i in 0..99 {
            wide.delta.adds.insert(("t#x".into(), format!("K#{i}")), [("n".to_owned(), 1)].into());
        }
        let g = group_changes(vec![change(1, 1), wide.clone()]);
        assert_eq!(g.groups.len(), 2);
    }

    #[test]
    fn an_oversized_change_goes_alone_and_the_rest_group_around_it() {
        let g = group_changes(vec![
            change(1, 3),
            change(2, 3),
            change(3, 100),
            change(4, 3),
            change(5, 3),
        ]);
        let ids: Vec<Vec<i64>> =
            g.groups.iter().map(|g| g.iter().map(|c| c.key.id).collect()).collect();
        assert_eq!(ids, vec![vec![1, 2], vec![3], vec![4, 5]]);
        assert!(is_oversized(&g.groups[1][0]));
        assert!(!is_oversized(&change(6, 99)));
    }
}
