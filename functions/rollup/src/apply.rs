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
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, Delete, Put, TransactWriteItem, Update};
use sales_shared::records::RecordKey;
use sales_shared::store::StoreError;
use sales_shared::store::aggregates::{key_map, ledger_key, read_ledgers};

use crate::contrib::Delta;

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
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("change of {0:?} writes more than {MAX_TRANSACTION_ITEMS} aggregate items")]
    TooLarge(RecordKey),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Changes split into transactions, and the first change that fits none.
#[derive(Debug, Default)]
pub struct Grouping {
    pub groups: Vec<Vec<PreparedChange>>,
    /// Index (in the input) and reason of the first change too large for
    /// one transaction; it and every later change are left out.
    pub too_large: Option<(usize, ApplyError)>,
}

/// Splits changes, in order, into groups that each fit one transaction and
/// hold each record at most once.
pub fn group_changes(changes: Vec<PreparedChange>) -> Grouping {
    let mut groups: Vec<Vec<PreparedChange>> = Vec::new();
    let mut current: Vec<PreparedChange> = Vec::new();
    let mut keys: HashSet<(String, String)> = HashSet::new();
    let mut records: HashSet<RecordKey> = HashSet::new();
    let mut too_large = None;
    for (index, change) in changes.into_iter().enumerate() {
        let own: HashSet<(String, String)> = change.delta.keys().cloned().collect();
        if own.len() + 1 > MAX_TRANSACTION_ITEMS {
            too_large = Some((index, ApplyError::TooLarge(change.key)));
            break;
        }
        let new_keys = own.iter().filter(|k| !keys.contains(*k)).count();
        let fits = keys.len() + records.len() + new_keys < MAX_TRANSACTION_ITEMS;
        if !current.is_empty() && (!fits || records.contains(&change.key)) {
            groups.push(std::mem::take(&mut current));
            keys.clear();
            records.clear();
        }
        keys.extend(own);
        records.insert(change.key.clone());
        current.push(change);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    Grouping { groups, too_large }
}

/// The transaction requests of a group: ledger puts with their conditions,
/// one `ADD` update per coalesced bucket item, index puts and deletes.
pub fn transaction_items(table: &str, group: &[PreparedChange]) -> Result<Vec<TransactWriteItem>, StoreError> {
    let build_err = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Malformed {
        key: "transaction".into(),
        message: e.to_string(),
    };
    let mut merged = Delta::default();
    let mut items = Vec::new();
    for change in group {
        merged.merge(&change.delta);
        let (pk, sk) = ledger_key(&change.key);
        let mut ledger = key_map(pk, sk);
        ledger.insert("seq".into(), AttributeValue::S(change.sequence.clone()));
        ledger.insert("version".into(), AttributeValue::N(change.version.to_string()));
        items.push(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(table)
                        .set_item(Some(ledger))
                        .condition_expression("attribute_not_exists(seq) OR seq < :seq")
                        .expression_attribute_values(":seq", AttributeValue::S(change.sequence.clone()))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
    }
    for ((pk, sk), measures) in merged.adds {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut clauses = Vec::new();
        for (i, (name, value)) in measures.iter().enumerate() {
            names.insert(format!("#m{i}"), name.clone());
            values.insert(format!(":v{i}"), AttributeValue::N(value.to_string()));
            clauses.push(format!("#m{i} :v{i}"));
        }
        items.push(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(table)
                        .set_key(Some(key_map(pk, sk)))
                        .update_expression(format!("ADD {}", clauses.join(", ")))
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(Some(values))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
    }
    for (_, item) in merged.puts {
        items.push(
            TransactWriteItem::builder()
                .put(Put::builder().table_name(table).set_item(Some(item)).build().map_err(build_err)?)
                .build(),
        );
    }
    for (pk, sk) in merged.deletes {
        items.push(
            TransactWriteItem::builder()
                .delete(Delete::builder().table_name(table).set_key(Some(key_map(pk, sk))).build().map_err(build_err)?)
                .build(),
        );
    }
    Ok(items)
}

/// Applies one group, dropping changes the ledger shows as applied.
/// Returns how many changes took effect.
pub async fn apply_group(client: &Client, table: &str, group: Vec<PreparedChange>) -> Result<usize, StoreError> {
    let mut pending = group;
    let mut attempt = 0;
    loop {
        let keys: Vec<&RecordKey> = pending.iter().map(|c| &c.key).collect();
        let applied = read_ledgers(client, table, &keys).await?;
        pending.retain(|c| applied.get(&c.key).is_none_or(|entry| entry.sequence < c.sequence));
        if pending.is_empty() {
            return Ok(0);
        }
        let items = transaction_items(table, &pending)?;
        match client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => return Ok(pending.len()),
            Err(err) => {
                attempt += 1;
                let service = err.as_service_error();
                let retryable = service.is_some_and(|e| {
                    e.is_transaction_canceled_exception()
                        || e.is_provisioned_throughput_exceeded_exception()
                        || e.is_throttling_exception()
                        || e.is_request_limit_exceeded()
                        || e.is_transaction_in_progress_exception()
                        || e.is_internal_server_error()
                });
                if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = service {
                    let reasons = cancelled.cancellation_reasons();
                    let codes: Vec<&str> = reasons.iter().filter_map(CancellationReason::code).collect();
                    tracing::debug!(?codes, attempt, "transaction cancelled; re-reading ledger");
                }
                if !retryable || attempt >= MAX_ATTEMPTS {
                    return Err(StoreError::dynamo("TransactWriteItems", err));
                }
                let backoff = Duration::from_millis(25 * 2u64.pow(attempt.min(6)));
                tokio::time::sleep(backoff).await;
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
            delta.adds.insert(("t#orders".into(), format!("D#{i}")), [("placed".to_owned(), 1)].into());
        }
        PreparedChange {
            key: RecordKey { tenant_id: "t".into(), record_type: RecordType::Order, id },
            sequence: format!("{id:040}"),
            version: 1,
            delta,
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
        assert!(g.too_large.is_none());
    }

    #[test]
    fn an_oversized_change_stops_the_grouping_there() {
        let g = group_changes(vec![change(1, 3), change(2, 100), change(3, 3)]);
        assert_eq!(g.groups.len(), 1);
        assert_eq!(g.groups[0].len(), 1);
        assert!(matches!(g.too_large, Some((1, ApplyError::TooLarge(_)))));
    }
}
