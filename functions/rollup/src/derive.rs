//! Figures derived from the *state* of an entity rather than from one
//! record: "the customer bought in this bucket" (distinct customers), "the
//! customer's first order day" (new customers), "the customer's rank by
//! revenue in this bucket" (top customers). Additive measures cannot say
//! these, and reading every entity at request time grows with the tenant.
//!
//! A *state item* is an additive item the contributions already keep per
//! entity (`customer_sales` per customer and calendar bucket,
//! `customer_days` per customer). [`derive`] is a pure function of one
//! state item's measures; a change to state items adds
//! `derive(after) - derive(before)` ([`change`]). The rollup reads the state
//! items a transaction touches (consistently) and conditions each on the
//! update count it read ([`STATE_VERSION`]), so a concurrent writer makes
//! the transaction fail and retry from a fresh read. `rebuild` derives the
//! same from the final states ([`complete`]), so `verify` compares derived
//! items with every other.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use sales_shared::buckets::calendar_bucket_keys;
use sales_shared::store::aggregates::{Measure, Measures, family, key_map, measure, measures_pk, ranking};

use crate::contrib::{Delta, Item, ItemKey};

pub use sales_shared::store::aggregates::STATE_VERSION;

/// What a state item is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State<'k> {
    /// `customer_sales` of one customer in one calendar bucket.
    Sales { tenant: &'k str, bucket: &'k str, customer: i64 },
    /// `customer_days` of one customer: placed orders per local day.
    OrderDays { tenant: &'k str },
    /// `customer_invoices` of one customer in one calendar bucket.
    Invoiced { tenant: &'k str, bucket: &'k str, customer: i64 },
    /// `customer_ar` of one customer: open balances by due date.
    Receivable { tenant: &'k str, customer: i64 },
}

/// The shard-partitioned, id-keyed families (`{family}#{shard}` / id).
fn sharded_entity<'k>(family: &'k str, name: &str, sk: &'k str) -> Option<i64> {
    let shard = family.strip_prefix(name)?.strip_prefix('#')?;
    shard.parse::<i64>().ok()?;
    sk.parse().ok()
}

fn state_of(key: &ItemKey) -> Option<State<'_>> {
    let (pk, sk) = key;
    let (tenant, family) = pk.split_once('#')?;
    if family == family::CUSTOMER_SALES || family == family::CUSTOMER_INVOICES {
        let (bucket, id) = sk.rsplit_once('#')?;
        let customer = id.parse().ok()?;
        return Some(if family == family::CUSTOMER_SALES {
            State::Sales { tenant, bucket, customer }
        } else {
            State::Invoiced { tenant, bucket, customer }
        });
    }
    if sharded_entity(family, family::CUSTOMER_DAYS, sk).is_some() {
        return Some(State::OrderDays { tenant });
    }
    let customer = sharded_entity(family, family::CUSTOMER_AR, sk)?;
    Some(State::Receivable { tenant, customer })
}

/// Whether derived figures depend on this item.
pub fn is_state(key: &ItemKey) -> bool {
    state_of(key).is_some()
}

/// The most items a change to this state item can add to a transaction:
/// counters, and a ranking entry's put and delete.
pub fn reserve(key: &ItemKey) -> usize {
    match state_of(key) {
        Some(State::Sales { .. }) => 3,
        Some(State::Invoiced { .. } | State::Receivable { .. }) => 2,
        // The five calendar buckets of the old and the new first day.
        Some(State::OrderDays { .. }) => 10,
        None => 0,
    }
}

/// What one state item derives.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Derived {
    /// Counters, added like any measure.
    pub adds: BTreeMap<ItemKey, Measures>,
    /// Whole items (ranking entries).
    pub items: BTreeMap<ItemKey, Item>,
}

fn value(measures: &Measures, name: &str) -> Measure {
    measures.get(name).copied().unwrap_or(0)
}

/// The figures derived from one state item with these measures.
pub fn derive(key: &ItemKey, measures: &Measures) -> Derived {
    let mut out = Derived::default();
    match state_of(key) {
        Some(State::Sales { tenant, bucket, customer }) => {
            if value(measures, measure::PLACED) <= 0 {
                return out;
            }
            let counts = (measures_pk(tenant, family::CUSTOMER_COUNTS), bucket.to_owned());
            out.adds.insert(counts, Measures::from([(measure::UNIQUE_CUSTOMERS.to_owned(), 1)]));
            let revenue = value(measures, measure::REVENUE);
            let pk = measures_pk(tenant, &family::bucketed(family::TOP_CUSTOMERS, bucket));
            let sk = ranking::sk(revenue, customer);
            let mut item = key_map(pk.clone(), sk.clone());
            item.insert("customer_id".into(), AttributeValue::N(customer.to_string()));
            for name in [measure::PLACED, measure::REVENUE_BEARING, measure::REVENUE] {
                item.insert(name.into(), AttributeValue::N(value(measures, name).to_string()));
            }
            out.items.insert((pk, sk), item);
        }
        Some(State::OrderDays { tenant }) => {
            let first =
                measures.iter().filter(|(_, n)| **n > 0).filter_map(|(name, _)| measure::day_of_order_day(name)).min();
            if let Some(first) = first {
                for bucket in calendar_bucket_keys(first) {
                    let counts = (measures_pk(tenant, family::CUSTOMER_COUNTS), bucket);
                    out.adds.insert(counts, Measures::from([(measure::NEW_CUSTOMERS.to_owned(), 1)]));
                }
            }
        }
        Some(State::Invoiced { tenant, bucket, customer }) => {
            if value(measures, "count") <= 0 {
                return out;
            }
            let pk = measures_pk(tenant, &family::bucketed(family::TOP_INVOICED, bucket));
            out.items.extend([ranking_item(pk, value(measures, "invoiced"), customer, measures)]);
        }
        Some(State::Receivable { tenant, customer }) => {
            if value(measures, measure::ISSUED_INVOICES) <= 0 {
                return out;
            }
            let open: Measure = measures
                .iter()
                .filter(|(name, v)| **v > 0 && measure::day_of_due(name).is_some())
                .map(|(_, v)| *v)
                .sum();
            let pk = measures_pk(tenant, family::AR_CUSTOMERS);
            out.items.extend([ranking_item(pk, open, customer, measures)]);
        }
        None => {}
    }
    out
}

/// A ranking entry by `value` carrying the state's nonzero measures.
fn ranking_item(pk: String, value: Measure, customer: i64, measures: &Measures) -> (ItemKey, Item) {
    let sk = ranking::sk(value, customer);
    let mut item = key_map(pk.clone(), sk.clone());
    item.insert("customer_id".into(), AttributeValue::N(customer.to_string()));
    for (name, v) in measures.iter().filter(|(_, v)| **v != 0) {
        item.insert(name.clone(), AttributeValue::N(v.to_string()));
    }
    ((pk, sk), item)
}

/// `derive(after) - derive(before)` of one state item, as writes.
pub fn change(key: &ItemKey, before: &Measures, after: &Measures) -> Delta {
    let (old, new) = (derive(key, before), derive(key, after));
    let mut delta = Delta::default();
    for (sign, derived) in [(-1, &old), (1, &new)] {
        for (key, measures) in &derived.adds {
            let entry = delta.adds.entry(key.clone()).or_default();
            for (name, v) in measures {
                *entry.entry(name.clone()).or_default() += sign * v;
            }
        }
    }
    for measures in delta.adds.values_mut() {
        measures.retain(|_, v| *v != 0);
    }
    delta.adds.retain(|_, m| !m.is_empty());
    for key in old.items.keys() {
        if !new.items.contains_key(key) {
            delta.deletes.insert(key.clone());
        }
    }
    for (key, item) in new.items {
        if old.items.get(&key) != Some(&item) {
            delta.puts.insert(key, item);
        }
    }
    delta
}

/// `after = before + adds`, additions saturating like every delta.
pub fn after(before: &Measures, adds: &Measures) -> Measures {
    let mut out = before.clone();
    for (name, v) in adds {
        let total = out.entry(name.clone()).or_default();
        *total = total.saturating_add(*v);
    }
    out
}

/// The derived writes of a group's merged delta, given each state item's
/// measures before it (`before`; empty when the item does not exist).
pub fn for_delta(merged: &Delta, before: impl Fn(&ItemKey) -> Measures) -> Delta {
    let mut derived = Delta::default();
    for (key, adds) in merged.adds.iter().filter(|(key, _)| is_state(key)) {
        let old = before(key);
        derived.merge(&change(key, &old, &after(&old, adds)));
    }
    derived
}

/// Adds to a whole state (the sum of every record's contribution, as
/// `rebuild` computes it) what its state items derive.
pub fn complete(total: &mut Delta) {
    let derived = for_delta(total, |_| Measures::new());
    total.merge(&derived);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pk: &str, sk: &str) -> ItemKey {
        (pk.to_owned(), sk.to_owned())
    }

    fn m(pairs: &[(&str, Measure)]) -> Measures {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn a_customer_bucket_counts_once_and_ranks_by_revenue() {
        let state = key("t#customer_sales", "M#2025-12#00000000000000000042");
        assert!(is_state(&state));
        let d = derive(&state, &m(&[("placed", 2), ("revenue_bearing", 1), ("revenue", 1050)]));
        assert_eq!(d.adds[&key("t#customer_counts", "M#2025-12")]["unique_customers"], 1);
        let (rank_key, item) = d.items.iter().next().unwrap();
        assert_eq!(rank_key.0, "t#top_customers#M#2025-12");
        assert_eq!(ranking::id_of(&rank_key.1), Some(42));
        assert_eq!(item["revenue"], AttributeValue::N("1050".into()));
        // Only cancelled orders: still a customer of the bucket (revenue 0).
        assert_eq!(derive(&state, &m(&[("placed", 1)])).items.len(), 1);
        // Nothing placed (a draft, or every order moved away): nothing.
        assert_eq!(derive(&state, &m(&[("placed", 0), ("revenue", 0)])), Derived::default());
    }

    #[test]
    fn a_second_order_moves_the_ranking_entry_and_keeps_the_count() {
        let state = key("t#customer_sales", "Y#2025#00000000000000000007");
        let one = m(&[("placed", 1), ("revenue_bearing", 1), ("revenue", 100)]);
        let two = m(&[("placed", 2), ("revenue_bearing", 2), ("revenue", 300)]);
        let delta = change(&state, &one, &two);
        assert!(delta.adds.is_empty(), "still one customer in the bucket");
        assert_eq!(delta.deletes.iter().map(|k| ranking::id_of(&k.1)).collect::<Vec<_>>(), vec![Some(7)]);
        assert_eq!(delta.puts.len(), 1);
        // First order: +1 customer; the last one removed: -1 and no entry.
        assert_eq!(
            change(&state, &Measures::new(), &one).adds[&key("t#customer_counts", "Y#2025")]["unique_customers"],
            1
        );
        let gone = change(&state, &one, &Measures::new());
        assert_eq!(gone.adds[&key("t#customer_counts", "Y#2025")]["unique_customers"], -1);
        assert_eq!((gone.puts.len(), gone.deletes.len()), (0, 1));
    }

    #[test]
    fn the_first_order_day_makes_a_customer_new_in_its_buckets() {
        let state = key("t#customer_days#3", "00000000000000000011");
        assert!(is_state(&state));
        let later = m(&[("d20251217", 1)]);
        let earlier = m(&[("d20251217", 1), ("d20240102", 1)]);
        let delta = change(&state, &later, &earlier);
        let counts = |bucket: &str| delta.adds.get(&key("t#customer_counts", bucket)).map(|m| m["new_customers"]);
        assert_eq!(counts("D#2025-12-17"), Some(-1));
        assert_eq!(counts("W#2025-W51"), Some(-1));
        assert_eq!(counts("D#2024-01-02"), Some(1));
        assert_eq!(counts("Y#2024"), Some(1));
        assert_eq!(delta.adds.len(), 10);
        // An order on a later day changes nothing derived.
        assert!(change(&state, &later, &m(&[("d20251217", 1), ("d20251220", 2)])).adds.is_empty());
        assert!(!is_state(&key("t#customer_sales@rep=3", "M#2025-12#00000000000000000001")));
        assert!(!is_state(&key("t#orders", "M#2025-12")));
    }

    #[test]
    fn customers_rank_by_open_balance_and_by_amount_invoiced() {
        let ar = key("t#customer_ar#2", "00000000000000000010");
        assert!(is_state(&ar));
        let d = derive(&ar, &m(&[("issued", 3), ("due20251201", 5000), ("due20251215", 2500), ("due20251101", 0)]));
        let (rank_key, item) = d.items.iter().next().unwrap();
        assert_eq!(rank_key.0, "t#ar_customers");
        assert_eq!(rank_key.1, ranking::sk(7500, 10));
        assert_eq!(item["due20251215"], AttributeValue::N("2500".into()));
        assert!(!item.contains_key("due20251101"), "zero balances are left out");
        // Everything settled: still ranked (at zero), for `include_paid`.
        let settled = derive(&ar, &m(&[("issued", 3)]));
        assert_eq!(settled.items.keys().next().unwrap().1, ranking::sk(0, 10));
        assert_eq!(derive(&ar, &m(&[("issued", 0)])), Derived::default());

        let invoices = key("t#customer_invoices", "Q#2025-Q4#00000000000000000010");
        let d = derive(&invoices, &m(&[("count", 2), ("invoiced", 900), ("paid", 400)]));
        let (rank_key, item) = d.items.iter().next().unwrap();
        assert_eq!(rank_key.0, "t#top_invoiced#Q#2025-Q4");
        assert_eq!(ranking::id_of(&rank_key.1), Some(10));
        assert_eq!(item["paid"], AttributeValue::N("400".into()));
        assert!(d.adds.is_empty());
    }

    #[test]
    fn complete_derives_from_whole_states() {
        let mut total = Delta::default();
        total.adds.insert(key("t#customer_sales", "D#2025-12-17#00000000000000000001"), m(&[("placed", 1)]));
        total.adds.insert(key("t#customer_sales", "D#2025-12-17#00000000000000000002"), m(&[("placed", 3)]));
        complete(&mut total);
        assert_eq!(total.adds[&key("t#customer_counts", "D#2025-12-17")]["unique_customers"], 2);
        assert_eq!(total.puts.len(), 2);
    }
}
