//! Recomputing a tenant's aggregates from the source table, comparing them
//! with the live ones, and writing the difference.
//!
//! The expected state is the sum of every current record's contribution
//! (the same pure function the stream applies); the live state is read from
//! the aggregates table. Measures equal to zero are treated as absent (an
//! `ADD` that nets to zero leaves a zero attribute behind).
//!
//! Rebuild while the stream is paused and drained: a change applied by the
//! rollup between reading the source and writing the aggregates would be
//! lost or counted twice.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use sales_shared::layout::{
    Measures, family, is_aggregate_pk, measures_pk, settings_key, tenant_and_family, tenant_prefix,
};
use sales_shared::records::{
    PaymentMethod, PaymentStatus, RecordBody, RecordType, SourceRecord, StrEnum, TenantSettings,
};
use sales_shared::store::aggregates::measures_of;
use sales_shared::store::key_map;
use sales_shared::store::source::{self, WRITE_SHARDS};
use sales_shared::store::{StoreError, query_partition};

use crate::contributions::{Contribution, Delta, Item, ItemKey, checked_contribution};

/// Measure families always checked; slices and shards are added from what
/// the records name.
pub const MEASURE_FAMILIES: [&str; 12] = [
    family::ORDERS,
    family::REP_ORDERS,
    family::PAYMENTS,
    family::INVOICES,
    family::DISPUTES,
    family::AGING,
    family::INVOICES_OPEN,
    family::DAILY_ORDERS,
    family::CUSTOMER_COUNTS,
    family::CASH_CYCLES,
    family::LIFETIME_VALUES,
    family::OPEN_DISPUTES_DUE,
];
/// Families of whole items (copies and indexes), by name or prefix.
const ITEM_FAMILIES: [&str; 10] = [
    family::AR_CUSTOMERS,
    family::TOP_LIFETIME,
    family::TOP_INVOICED_LIFETIME,
    family::CUSTOMERS,
    family::PRODUCTS,
    family::SALES_REPS,
    family::SALES_TARGETS,
    family::MARKETING_SPEND,
    family::RECENT_ORDERS,
    family::OPEN_DISPUTES,
];
const BUCKETED_ITEM_FAMILIES: [&str; 7] = [
    family::INVOICES_BY_CLOSE,
    family::TOP_INVOICED,
    family::ORDERS_BY_AMOUNT,
    family::FAILED_PAYMENTS,
    family::ORDERS_BY_DATE,
    family::INVOICES_BY_ISSUE,
    family::TOP_CUSTOMERS,
];

/// Whether a partition holds whole items rather than measures.
fn holds_items(tenant: &str, pk: &str) -> bool {
    let Some((_, family)) = tenant_and_family(pk).filter(|(t, _)| *t == tenant) else {
        return false;
    };
    pk == settings_key(tenant).0
        || ITEM_FAMILIES.contains(&family)
        || family::split_bucketed(family).is_some_and(|(f, _)| BUCKETED_ITEM_FAMILIES.contains(&f))
}

/// A tenant's aggregates, normalized for comparison.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AggregateState {
    pub measures: BTreeMap<ItemKey, Measures>,
    pub items: BTreeMap<ItemKey, Item>,
}

/// One item that differs.
#[derive(Debug, Clone, PartialEq)]
pub enum Difference {
    Measures { key: ItemKey, expected: Option<Measures>, live: Option<Measures> },
    Item { key: ItemKey, expected: Option<Item>, live: Option<Item> },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Measures { key, expected, live } => {
                write!(f, "{} {}: expected {:?}, live {:?}", key.0, key.1, expected, live)
            }
            Difference::Item { key, expected, live } => {
                write!(
                    f,
                    "{} {}: expected {:?}, live {:?}",
                    key.0,
                    key.1,
                    expected.is_some(),
                    live.is_some()
                )
            }
        }
    }
}

/// Every current record (tombstones included) of a tenant, from the 9 × 8
/// partitions of the source table. `progress` is told each page's size.
pub async fn source_records(
    client: &Client,
    source_table: &str,
    tenant: &str,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<SourceRecord>, StoreError> {
    let mut records = Vec::new();
    for record_type in RecordType::ALL {
        for shard in 0..WRITE_SHARDS {
            let pk = source::shard_partition(tenant, *record_type, shard);
            let items = query_partition(client, source_table, &pk).await?;
            progress(items.len());
            for item in items {
                // An item that cannot be read contributes nothing, as in
                // the stream (which dead-letters it).
                match source::decode(item) {
                    Ok(record) => records.push(record),
                    Err(err) => tracing::warn!(error = %err, "unreadable source item left out"),
                }
            }
        }
    }
    Ok(records)
}

/// The tenant settings among `records` (the defaults when none).
pub fn settings_of(records: &[SourceRecord]) -> TenantSettings {
    records
        .iter()
        .find_map(|r| match &r.body {
            Some(RecordBody::TenantSettings(s)) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// What the aggregates of a tenant must be, given its current records.
pub fn expected_state(tenant: &str, records: &[SourceRecord]) -> AggregateState {
    let settings = settings_of(records);
    let mut total = Delta::default();
    for record in records {
        // A version the stream refuses contributes nothing here either.
        let Ok(contribution) = checked_contribution(record, &settings) else { continue };
        total.merge(&Delta::between(tenant, &Contribution::default(), &contribution));
    }
    crate::derive::complete(&mut total, &crate::derive::DeriveSettings::of(&settings));
    AggregateState { measures: total.adds, items: total.puts }
}

fn item_key(item: &Item) -> ItemKey {
    let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    (s("pk"), s("sk"))
}

/// Partition keys worth reading for a tenant: the fixed families, every
/// partition the expected state holds, every payment slice and every
/// entity shard.
pub fn partitions(tenant: &str, expected: &AggregateState) -> BTreeSet<String> {
    let mut pks: BTreeSet<String> = MEASURE_FAMILIES
        .iter()
        .chain(ITEM_FAMILIES.iter())
        .map(|f| measures_pk(tenant, f))
        .collect();
    pks.insert(settings_key(tenant).0);
    pks.extend(expected.measures.keys().chain(expected.items.keys()).map(|(pk, _)| pk.clone()));
    for shard in 0..family::ENTITY_SHARDS {
        pks.insert(measures_pk(tenant, &family::sharded(family::CUSTOMER_DAYS, shard)));
        pks.insert(measures_pk(tenant, &family::sharded(family::CUSTOMER_AR, shard)));
        pks.insert(measures_pk(tenant, &family::sharded(family::ORDER_CASH, shard)));
    }
    for method in PaymentMethod::ALL {
        pks.insert(measures_pk(tenant, &family::payments_of(Some(method.as_str()), None)));
        for status in PaymentStatus::ALL {
            pks.insert(measures_pk(tenant, &family::payments_of(None, Some(status.as_str()))));
            pks.insert(measures_pk(
                tenant,
                &family::payments_of(Some(method.as_str()), Some(status.as_str())),
            ));
        }
    }
    pks
}

/// Every partition of the aggregates table that holds the tenant's items
/// (one Scan of keys; ledger and watermark left out): so `verify` and
/// `rebuild` also see stale partitions no current record names.
pub async fn live_partitions(
    client: &Client,
    aggregates_table: &str,
    tenant: &str,
) -> Result<BTreeSet<String>, StoreError> {
    let prefix = tenant_prefix(tenant);
    let mut items = client
        .scan()
        .table_name(aggregates_table)
        .projection_expression("pk")
        .filter_expression("begins_with(pk, :p)")
        .expression_attribute_values(":p", AttributeValue::S(prefix))
        .into_paginator()
        .items()
        .send();
    let mut pks = BTreeSet::new();
    while let Some(item) = items.try_next().await.map_err(|e| StoreError::dynamo("Scan", e))? {
        if let Some(pk) = item.get("pk").and_then(|v| v.as_s().ok())
            && is_aggregate_pk(pk)
        {
            pks.insert(pk.clone());
        }
    }
    Ok(pks)
}

/// The live aggregates of a tenant in the given partitions (ledger and
/// watermark left out).
pub async fn live_state(
    client: &Client,
    aggregates_table: &str,
    tenant: &str,
    pks: &BTreeSet<String>,
) -> Result<AggregateState, StoreError> {
    let mut state = AggregateState::default();
    for pk in pks {
        let whole = holds_items(tenant, pk);
        for item in query_partition(client, aggregates_table, pk).await? {
            let key = item_key(&item);
            if whole {
                state.items.insert(key, item);
                continue;
            }
            let mut measures = measures_of(&item)?;
            measures.retain(|_, v| *v != 0);
            if !measures.is_empty() {
                state.measures.insert(key, measures);
            }
        }
    }
    Ok(state)
}

/// Every item that differs, in key order.
pub fn differences(expected: &AggregateState, live: &AggregateState) -> Vec<Difference> {
    let mut out = Vec::new();
    let keys: BTreeSet<&ItemKey> = expected.measures.keys().chain(live.measures.keys()).collect();
    for key in keys {
        let (e, l) = (expected.measures.get(key), live.measures.get(key));
        if e != l {
            out.push(Difference::Measures {
                key: key.clone(),
                expected: e.cloned(),
                live: l.cloned(),
            });
        }
    }
    let keys: BTreeSet<&ItemKey> = expected.items.keys().chain(live.items.keys()).collect();
    for key in keys {
        let (e, l) = (expected.items.get(key), live.items.get(key));
        if e != l {
            out.push(Difference::Item { key: key.clone(), expected: e.cloned(), live: l.cloned() });
        }
    }
    out
}

fn measures_item(key: &ItemKey, measures: &Measures) -> Item {
    let mut item = key_map(key.0.clone(), key.1.clone());
    for (name, value) in measures {
        item.insert(name.clone(), AttributeValue::N(value.to_string()));
    }
    item
}

/// Writes the expected state over the differing items (25 per request,
/// unprocessed items retried). Returns the number of items written.
pub async fn write_differences(
    client: &Client,
    aggregates_table: &str,
    differences: &[Difference],
    progress: &(dyn Fn(usize) + Sync),
) -> Result<usize, StoreError> {
    let requests: Vec<WriteRequest> = differences
        .iter()
        .map(|d| {
            let (key, put) = match d {
                Difference::Measures { key, expected, .. } => {
                    (key, expected.as_ref().map(|m| measures_item(key, m)))
                }
                Difference::Item { key, expected, .. } => (key, expected.clone()),
            };
            let built = match put {
                Some(item) => PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|p| WriteRequest::builder().put_request(p).build()),
                None => DeleteRequest::builder()
                    .set_key(Some(key_map(key.0.clone(), key.1.clone())))
                    .build()
                    .map(|d| WriteRequest::builder().delete_request(d).build()),
            };
            built.map_err(|e| StoreError::Malformed {
                key: format!("{} {}", key.0, key.1),
                message: e.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    for chunk in requests.chunks(25) {
        let mut pending = chunk.to_vec();
        let mut attempt = 0u32;
        while !pending.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(aggregates_table, pending)
                .send()
                .await
                .map_err(|e| StoreError::dynamo("BatchWriteItem", e))?;
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(aggregates_table))
                .unwrap_or_default();
            if !pending.is_empty() {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(25 * 2u64.pow(attempt.min(6)))).await;
            }
        }
        progress(chunk.len());
    }
    Ok(requests.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sales_shared::records::parse_record;

    fn order(id: i64, amount: &str) -> SourceRecord {
        parse_record(
            &serde_json::json!({
                "type": "order", "tenant_id": "t", "id": id, "version": 1, "updated_at": "2025-01-01T00:00:00Z",
                "order_number": "O", "customer_id": 1, "source": "api", "status": "completed", "currency": "USD",
                "total_amount": amount, "ordered_at": "2025-01-05T12:00:00Z"
            })
            .to_string(),
        )
        .unwrap()
    }

    #[test]
    fn expected_state_sums_contributions_and_differences_name_items() {
        let expected = expected_state("t", &[order(1, "1.50"), order(2, "2.25")]);
        let day = ("t#orders".to_owned(), "D#2025-01-05".to_owned());
        assert_eq!(expected.measures[&day]["revenue"], 375);
        let orders_items = expected.measures.keys().filter(|(pk, _)| pk == "t#orders").count();
        assert_eq!(orders_items, 3, "day, month and year buckets");
        let customer = ("t#customer_sales".to_owned(), format!("Y#2025#{:020}", 1));
        assert_eq!(expected.measures[&customer]["revenue"], 375);
        let mut live = expected.clone();
        assert!(differences(&expected, &live).is_empty());
        live.measures.get_mut(&day).unwrap().insert("revenue".into(), 374);
        let diffs = differences(&expected, &live);
        assert_eq!(diffs.len(), 1);
        assert!(diffs[0].to_string().contains("D#2025-01-05"));
        let mut tombstoned = order(2, "2.25");
        tombstoned.body = None;
        let after_delete = expected_state("t", &[order(1, "1.50"), tombstoned]);
        assert_eq!(after_delete.measures[&day]["revenue"], 150);
    }
}
