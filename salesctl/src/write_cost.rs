//! The rollup's write cost, priced the way DynamoDB prices transactional
//! writes: 2 WCU per started KB of the larger of an item's size before and
//! after the write, sizes tracked as the writes grow them. Used by the
//! rollup and read-cost benches.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use rollup::apply::PreparedChange;
use rollup::contributions::{Delta, ItemKey};
use rollup::derive;
use sales_shared::layout::{family, ledger_key, tenant_and_family};

/// DynamoDB's size of one attribute.
pub fn attribute_size(name: &str, value: &AttributeValue) -> usize {
    name.len()
        + match value {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
            AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
            _ => 8,
        }
}

pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| attribute_size(k, v)).sum()
}

/// Transactional write units of a write to an item of `bytes`.
pub fn wcu(bytes: usize) -> u64 {
    2 * bytes.div_ceil(1024).max(1) as u64
}

fn number_size(name: &str, value: i128) -> usize {
    attribute_size(name, &AttributeValue::N(value.to_string()))
}

/// Transactions, items and WCU spent, and the item sizes the writes leave.
#[derive(Debug, Default)]
pub struct WriteCost {
    pub changes: u64,
    pub transactions: u64,
    pub items: u64,
    pub wcu: u64,
    /// Per bucket item: its measures and its current size in bytes.
    pub measures: HashMap<ItemKey, (HashMap<String, i128>, usize)>,
    /// Per whole item (index entries, copies): its size in bytes.
    pub item_sizes: HashMap<ItemKey, usize>,
    /// Items and WCU per family (the partition key without the tenant,
    /// bucket, shard or slice).
    pub by_family: std::collections::BTreeMap<String, (u64, u64)>,
    /// The same per family and grain of a bucket item (`orders M`), or per
    /// family alone for other items.
    pub by_grain: std::collections::BTreeMap<String, (u64, u64)>,
}

/// The family of a partition key: `t#orders@rep=3` -> `orders`,
/// `t#top_customers#M#2025-12` -> `top_customers`.
fn family_of(pk: &str) -> String {
    family::base_of(tenant_and_family(pk).map_or(pk, |(_, rest)| rest)).to_owned()
}

/// `orders M` for a month item of `orders` (or of a slice of it), the
/// family alone for an item that is not a calendar bucket.
fn grain_of(pk: &str, sk: &str) -> String {
    let family = family_of(pk);
    match sales_shared::calendar::grain_letter_of(sk) {
        Some(grain) => format!("{family} {grain}"),
        None => family,
    }
}

impl WriteCost {
    /// Prices one group's transaction (its ledger puts and merged delta).
    fn count(&mut self, (pk, sk): &ItemKey, units: u64) {
        self.wcu += units;
        for (map, name) in
            [(&mut self.by_family, family_of(pk)), (&mut self.by_grain, grain_of(pk, sk))]
        {
            let entry = map.entry(name).or_default();
            entry.0 += 1;
            entry.1 += units;
        }
    }

    pub fn apply(&mut self, group: &[PreparedChange]) {
        let mut merged = Delta::default();
        for change in group {
            merged.merge(&change.delta);
            let (pk, sk) = ledger_key(&change.key);
            self.wcu += wcu(pk.len() + sk.len() + 4 + 3 + change.sequence.len() + 7 + 4);
        }
        // What the group's state items derive, from the states the
        // earlier writes left.
        let settings = group.first().map(|c| c.settings).unwrap_or_default();
        let derived = derive::for_delta(
            &merged,
            |key| {
                let values = self.measures.get(key).map(|(values, _)| values);
                values.map(|v| v.iter().map(|(k, v)| (k.clone(), *v)).collect()).unwrap_or_default()
            },
            |_| settings,
        );
        merged.merge(&derived);
        self.changes += group.len() as u64;
        self.transactions += 1;
        self.items += (group.len() + merged.item_count()) as u64;
        for (key, adds) in merged.adds {
            let keys_size = 2 + key.0.len() + 2 + key.1.len();
            let (values, size) =
                self.measures.entry(key.clone()).or_insert_with(|| (HashMap::new(), keys_size));
            let before = *size;
            for (name, v) in adds {
                let old = values.get(&name).copied();
                let new = old.unwrap_or(0).saturating_add(v);
                *size -= old.map_or(0, |o| number_size(&name, o));
                *size += number_size(&name, new);
                values.insert(name, new);
            }
            let units = wcu(before.max(*size));
            self.count(&key, units);
        }
        for (key, item) in merged.puts {
            let after = item_size(&item);
            let before = self.item_sizes.insert(key.clone(), after).unwrap_or(0);
            self.count(&key, wcu(before.max(after)));
        }
        for key in merged.deletes {
            let units = wcu(self.item_sizes.remove(&key).unwrap_or(0));
            self.count(&key, units);
        }
    }
}
