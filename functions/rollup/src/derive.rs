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
use chrono::{Datelike, NaiveDate};
use sales_shared::calendar::{Grain, bucket_key, bucket_keys, calendar_buckets, is_month_key};
use sales_shared::figures::customers::{
    DayTotals as Day, day_totals, ending_now, lifetime_entry, vip_cents,
};
use sales_shared::layout::{
    Measure, Measures, entity_key, family, lifetime, measure, measures_pk, ranking, returns,
    tenant_and_family,
};
use sales_shared::periods::{DateRange, month_range};
use sales_shared::store::key_map;

use crate::contributions::{Delta, Item, ItemKey};

pub use sales_shared::layout::STATE_VERSION;

/// The tenant settings derived figures depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeriveSettings {
    /// `vip_lifetime_revenue`, in cents.
    pub vip_cents: Measure,
}

impl DeriveSettings {
    pub fn of(settings: &sales_shared::records::TenantSettings) -> Self {
        DeriveSettings { vip_cents: vip_cents(settings.vip_lifetime_revenue) }
    }
}

impl Default for DeriveSettings {
    fn default() -> Self {
        DeriveSettings::of(&sales_shared::records::TenantSettings::default())
    }
}

/// What a state item is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State<'k> {
    /// `customer_sales` of one customer in one calendar bucket.
    Sales { tenant: &'k str, bucket: &'k str, customer: i64 },
    /// `customer_days` of one customer: placed orders per local day.
    OrderDays { tenant: &'k str, customer: i64 },
    /// `customer_invoices` of one customer in one calendar bucket.
    Invoiced { tenant: &'k str, bucket: &'k str, customer: i64 },
    /// `customer_ar` of one customer: open balances by due date.
    Receivable { tenant: &'k str, customer: i64 },
    /// `order_cash` of one order: its date and its invoices' paid dates.
    OrderCash { tenant: &'k str },
}

/// The shard-partitioned, id-keyed families (`{family}#{shard}` / id).
fn sharded_entity<'k>(family: &'k str, name: &str, sk: &'k str) -> Option<i64> {
    family::shard_of(family, name)?;
    sk.parse().ok()
}

fn state_of(key: &ItemKey) -> Option<State<'_>> {
    let (pk, sk) = key;
    let (tenant, family) = tenant_and_family(pk)?;
    if family == family::CUSTOMER_SALES || family == family::CUSTOMER_INVOICES {
        let (bucket, customer) = (entity_key::prefix_of(sk)?, entity_key::id_of(sk)?);
        return Some(if family == family::CUSTOMER_SALES {
            State::Sales { tenant, bucket, customer }
        } else {
            State::Invoiced { tenant, bucket, customer }
        });
    }
    if let Some(customer) = sharded_entity(family, family::CUSTOMER_DAYS, sk) {
        return Some(State::OrderDays { tenant, customer });
    }
    if sharded_entity(family, family::ORDER_CASH, sk).is_some() {
        return Some(State::OrderCash { tenant });
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
    // What a usual change derives; a group whose derived writes pass the
    // transaction's size anyway is applied change by change (`apply`), so
    // these only keep that rare.
    match state_of(key) {
        // A ranking entry's put and delete (its counter is shared).
        Some(State::Sales { .. } | State::Invoiced { .. }) => 2,
        // Two rankings: by open balance and by amount invoiced.
        Some(State::Receivable { .. }) => 4,
        // The order day's calendar buckets (returning, VIP), its month, the
        // dated buyer counts, the lifetime histogram, its return's D/M/Y
        // items of one or two years, the first and last order days' D/M/Y
        // (ranges ending now), and the lifetime ranking's put and delete.
        Some(State::OrderDays { .. }) => 30,
        // D/M/Y of the order date.
        Some(State::OrderCash { .. }) => 3,
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
pub fn derive(key: &ItemKey, measures: &Measures, settings: &DeriveSettings) -> Derived {
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
        Some(State::OrderDays { tenant, customer }) => {
            order_days(&mut out, tenant, customer, measures, settings)
        }
        Some(State::OrderCash { tenant }) => {
            let dates = |kind: char| {
                measures.iter().filter(|(_, n)| **n > 0).filter_map(move |(name, _)| {
                    measure::order_cash_of(name).filter(|(k, _)| *k == kind).map(|(_, day)| day)
                })
            };
            // A placed order (one date) with an invoice paid by payments:
            // the latest such payment day.
            if let (Some(ordered), Some(paid)) = (dates('o').max(), dates('p').max()) {
                let pk = measures_pk(tenant, family::CASH_CYCLES);
                for sk in bucket_keys(ordered) {
                    let cycle = Measure::from((paid - ordered).num_days());
                    let m = Measures::from([
                        (measure::CYCLES.to_owned(), 1),
                        (measure::CYCLE_DAYS.to_owned(), cycle),
                    ]);
                    out.adds.insert((pk.clone(), sk), m);
                }
            }
        }
        Some(State::Invoiced { tenant, bucket, customer }) => {
            // Ranked per month only (invoice statistics default to the
            // month; other ranges read the customers): each ranking costs
            // two writes per invoice change.
            let ranked = is_month_key(bucket);
            if value(measures, measure::INVOICE_COUNT) <= 0 || !ranked {
                return out;
            }
            let pk = measures_pk(tenant, &family::bucketed(family::TOP_INVOICED, bucket));
            out.items.extend([ranking_item(
                pk,
                value(measures, measure::INVOICED),
                customer,
                measures,
            )]);
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
            // By amount invoiced, carrying only it: payments leave it be.
            let invoiced = value(measures, measure::INVOICED);
            let pk = measures_pk(tenant, family::TOP_INVOICED_LIFETIME);
            let only = Measures::from([(measure::INVOICED.to_owned(), invoiced)]);
            out.items.extend([ranking_item(pk, invoiced, customer, &only)]);
        }
        None => {}
    }
    out
}

/// What a customer's orders per day derive (`customer_counts`): new,
/// returning and VIP customers of each calendar bucket, recurring revenue
/// per month, the dated counts of buyers, their orders, repeat buyers
/// and the gaps between purchases; and each return after the first order
/// day, by its previous order day (`customer_returns`).
fn order_days(
    out: &mut Derived,
    tenant: &str,
    customer: i64,
    measures: &Measures,
    settings: &DeriveSettings,
) {
    let days = day_totals(measures);
    customer_returns(out, tenant, &days);
    let lifetime = days.values().fold(Day::default(), |acc, d| acc.plus(d));
    if lifetime.placed > 0 {
        out.items.extend([lifetime_ranking_entry(tenant, customer, lifetime)]);
    }
    let pk = measures_pk(tenant, family::CUSTOMER_COUNTS);
    let mut add = |sk: &str, name: &str, v: Measure| {
        if v != 0 {
            let entry = out.adds.entry((pk.clone(), sk.to_owned())).or_default();
            *entry.entry(name.to_owned()).or_default() += v;
        }
    };
    let sum_in = |range: DateRange| {
        days.range(range.from..=range.to).fold(Day::default(), |acc, (_, d)| acc.plus(d))
    };
    let placed: Vec<(NaiveDate, Measure)> =
        days.iter().filter(|(_, d)| d.placed > 0).map(|(k, d)| (*k, d.placed)).collect();
    let Some(&(first, _)) = placed.first() else { return };
    for (day, name, v) in ending_now(&days, settings.vip_cents) {
        for sk in bucket_keys(day) {
            add(&sk, name, v);
        }
    }
    for (key, range) in calendar_buckets(first) {
        let inside = sum_in(range);
        add(&key, measure::NEW_CUSTOMERS, 1);
        add(&key, measure::NEW_REVENUE, inside.revenue);
        add(&key, measure::NEW_BEARING, inside.bearing);
    }
    // Every calendar bucket with a placed order, with its grain.
    let mut active: BTreeMap<String, (usize, DateRange)> = BTreeMap::new();
    for (day, _) in &placed {
        for (grain, (key, range)) in calendar_buckets(*day).into_iter().enumerate() {
            active.insert(key, (grain, range));
        }
    }
    for (key, (grain, range)) in &active {
        let before = range.from.pred_opt().map(|day| calendar_buckets(day)[*grain].0.clone());
        if before.is_some_and(|b| active.contains_key(&b)) {
            add(key, measure::RETAINED, 1);
        }
        let lifetime: Measure = days.range(..=range.to).map(|(_, d)| d.revenue).sum();
        if lifetime >= settings.vip_cents {
            let inside = sum_in(*range);
            add(key, measure::VIP_CUSTOMERS, 1);
            add(key, measure::VIP_REVENUE, inside.revenue);
            add(key, measure::VIP_BEARING, inside.bearing);
        }
    }
    // Revenue of a month after a month with a revenue-bearing order.
    let mut months: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for (day, d) in &days {
        let month = months.entry(month_range(day.year(), day.month()).from).or_default();
        month.bearing += d.bearing;
        month.revenue += d.revenue;
    }
    for (month, d) in &months {
        let before = month.pred_opt().map(|day| month_range(day.year(), day.month()).from);
        if before.and_then(|b| months.get(&b)).is_some_and(|b| b.bearing > 0) {
            add(&bucket_key(Grain::Month, *month), measure::RECURRING_REVENUE, d.revenue);
        }
    }
    // Dated by the later of the event and the first revenue-bearing day:
    // summed through E, they cover the customers with such an order by E.
    let Some(first_bearing) = days.iter().find(|(_, d)| d.bearing > 0).map(|(day, _)| *day) else {
        return;
    };
    let mut dated = |day: NaiveDate, name: &str, v: Measure| {
        for sk in bucket_keys(day.max(first_bearing)) {
            add(&sk, name, v);
        }
    };
    dated(first_bearing, measure::BUYERS, 1);
    let mut seen: Measure = 0;
    let mut last: Option<NaiveDate> = None;
    for (day, n) in &placed {
        dated(*day, measure::BUYER_ORDERS, *n);
        if seen < 2 && seen + n >= 2 {
            dated(*day, measure::REPEAT_BUYERS, 1);
        }
        seen += n;
        // One gap from the previous order day, and gaps of 0 between the
        // orders of one day.
        if let Some(previous) = last {
            dated(*day, measure::GAPS, 1);
            dated(*day, measure::GAP_DAYS, Measure::from((*day - previous).num_days()));
        }
        dated(*day, measure::GAPS, n - 1);
        last = Some(*day);
    }
    if let Some(value) = lifetime_entry(&days) {
        lifetime_value(out, tenant, value);
    }
}

/// The customer's entry in the ranking by lifetime revenue.
fn lifetime_ranking_entry(tenant: &str, customer: i64, lifetime: Day) -> (ItemKey, Item) {
    let (pk, sk) =
        (measures_pk(tenant, family::TOP_LIFETIME), ranking::sk(lifetime.revenue, customer));
    let mut item = key_map(pk.clone(), sk.clone());
    item.insert("customer_id".into(), AttributeValue::N(customer.to_string()));
    for (name, v) in [
        (measure::PLACED, lifetime.placed),
        (measure::REVENUE_BEARING, lifetime.bearing),
        (measure::REVENUE, lifetime.revenue),
    ] {
        item.insert(name.into(), AttributeValue::N(v.to_string()));
    }
    ((pk, sk), item)
}

/// Each placed order day after a customer's first, by the previous one
/// (`customer_returns`).
fn customer_returns(out: &mut Derived, tenant: &str, days: &BTreeMap<NaiveDate, Day>) {
    let placed: Vec<NaiveDate> =
        days.iter().filter(|(_, d)| d.placed > 0).map(|(day, _)| *day).collect();
    for pair in placed.windows(2) {
        for (family, sk, name) in returns::contributions(pair[0], pair[1]) {
            let entry = out.adds.entry((measures_pk(tenant, &family), sk)).or_default();
            *entry.entry(name).or_default() += 1;
        }
    }
}

/// A buyer's lifetime revenue in the histogram (`lifetime_values`).
fn lifetime_value(out: &mut Derived, tenant: &str, value: Measure) {
    let pk = measures_pk(tenant, family::LIFETIME_VALUES);
    for (sk, name, v) in lifetime::contributions(value) {
        *out.adds.entry((pk.clone(), sk)).or_default().entry(name).or_default() += v;
    }
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
pub fn change(
    key: &ItemKey,
    before: &Measures,
    after: &Measures,
    settings: &DeriveSettings,
) -> Delta {
    let (old, new) = (derive(key, before, settings), derive(key, after, settings));
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
pub fn for_delta(
    merged: &Delta,
    before: impl Fn(&ItemKey) -> Measures,
    settings: impl Fn(&str) -> DeriveSettings,
) -> Delta {
    let mut derived = Delta::default();
    for (key, adds) in merged.adds.iter().filter(|(key, _)| is_state(key)) {
        let old = before(key);
        let tenant = tenant_and_family(&key.0).map_or("", |(t, _)| t);
        derived.merge(&change(key, &old, &after(&old, adds), &settings(tenant)));
    }
    derived
}

/// Adds to a whole state (the sum of every record's contribution, as
/// `rebuild` computes it) what its state items derive.
pub fn complete(total: &mut Delta, settings: &DeriveSettings) {
    let derived = for_delta(total, |_| Measures::new(), |_| *settings);
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
        let d = derive(
            &state,
            &m(&[("placed", 2), ("revenue_bearing", 1), ("revenue", 1050)]),
            &DeriveSettings::default(),
        );
        assert_eq!(d.adds[&key("t#customer_counts", "M#2025-12")]["unique_customers"], 1);
        let (rank_key, item) = d.items.iter().next().unwrap();
        assert_eq!(rank_key.0, "t#top_customers#M#2025-12");
        assert_eq!(ranking::id_of(&rank_key.1), Some(42));
        assert_eq!(item["revenue"], AttributeValue::N("1050".into()));
        // Only cancelled orders: still a customer of the bucket (revenue 0).
        assert_eq!(derive(&state, &m(&[("placed", 1)]), &DeriveSettings::default()).items.len(), 1);
        // Nothing placed (a draft, or every order moved away): nothing.
        assert_eq!(
            derive(&state, &m(&[("placed", 0), ("revenue", 0)]), &DeriveSettings::default()),
            Derived::default()
        );
    }

    #[test]
    fn a_second_order_moves_the_ranking_entry_and_keeps_the_count() {
        let state = key("t#customer_sales", "Y#2025#00000000000000000007");
        let one = m(&[("placed", 1), ("revenue_bearing", 1), ("revenue", 100)]);
        let two = m(&[("placed", 2), ("revenue_bearing", 2), ("revenue", 300)]);
        let delta = change(&state, &one, &two, &DeriveSettings::default());
        assert!(delta.adds.is_empty(), "still one customer in the bucket");
        assert_eq!(
            delta.deletes.iter().map(|k| ranking::id_of(&k.1)).collect::<Vec<_>>(),
            vec![Some(7)]
        );
        assert_eq!(delta.puts.len(), 1);
        // First order: +1 customer; the last one removed: -1 and no entry.
        assert_eq!(
            change(&state, &Measures::new(), &one, &DeriveSettings::default()).adds
                [&key("t#customer_counts", "Y#2025")]["unique_customers"],
            1
        );
        let gone = change(&state, &one, &Measures::new(), &DeriveSettings::default());
        assert_eq!(gone.adds[&key("t#customer_counts", "Y#2025")]["unique_customers"], -1);
        assert_eq!((gone.puts.len(), gone.deletes.len()), (0, 1));
    }

    #[test]
    fn the_first_order_day_makes_a_customer_new_in_its_buckets() {
        let state = key("t#customer_days#3", "00000000000000000011");
        assert!(is_state(&state));
        let later = m(&[("d20251217", 1)]);
        let earlier = m(&[("d20251217", 1), ("d20240102", 1)]);
        let delta = change(&state, &later, &earlier, &DeriveSettings::default());
        let new = |bucket: &str| {
            delta
                .adds
                .get(&key("t#customer_counts", bucket))
                .and_then(|m| m.get("new_customers"))
                .copied()
        };
        assert_eq!(new("D#2025-12-17"), Some(-1));
        assert_eq!(new("W#2025-W51"), Some(-1));
        assert_eq!(new("D#2024-01-02"), Some(1));
        assert_eq!(new("Y#2024"), Some(1));
        // An order on a later day: no new customer anywhere.
        let more = change(
            &state,
            &later,
            &m(&[("d20251217", 1), ("d20251220", 2)]),
            &DeriveSettings::default(),
        );
        assert!(more.adds.values().all(|m| !m.contains_key("new_customers")));
        assert!(!is_state(&key("t#customer_sales@rep=3", "M#2025-12#00000000000000000001")));
        assert!(!is_state(&key("t#orders", "M#2025-12")));
    }

    #[test]
    fn returning_vip_recurring_and_dated_buyer_counts_by_hand() {
        let state = key("t#customer_days#1", "00000000000000000009");
        // Nov 28: a cancelled order (placed, no revenue); Dec 2: two orders
        // of 600.00 together; Dec 3: one of 500.00. VIP from 1 000.00.
        let days = m(&[
            ("d20251128", 1),
            ("d20251202", 2),
            ("r20251202", 2),
            ("v20251202", 60000),
            ("d20251203", 1),
            ("r20251203", 1),
            ("v20251203", 50000),
        ]);
        let settings = DeriveSettings { vip_cents: 100_000 };
        let d = derive(&state, &days, &settings);
        let at = |sk: &str, name: &str| {
            d.adds.get(&key("t#customer_counts", sk)).and_then(|m| m.get(name)).copied()
        };
        // New in November (its first order), not in December.
        assert_eq!(at("M#2025-11", "new_customers"), Some(1));
        assert_eq!(at("M#2025-11", "new_revenue"), None);
        assert_eq!(at("M#2025-12", "new_customers"), None);
        // Returning: December after November; Dec 3 after Dec 2; not Dec 2.
        assert_eq!(at("M#2025-12", "retained_customers"), Some(1));
        assert_eq!(at("D#2025-12-03", "retained_customers"), Some(1));
        assert_eq!(at("D#2025-12-02", "retained_customers"), None);
        // VIP once lifetime revenue reaches 1 000.00: on Dec 3 (1 100.00),
        // and December as a whole, with December's revenue.
        assert_eq!(at("D#2025-12-02", "vip_customers"), None);
        assert_eq!(at("D#2025-12-03", "vip_customers"), Some(1));
        assert_eq!(at("M#2025-12", "vip_revenue"), Some(110_000));
        assert_eq!(at("M#2025-12", "vip_revenue_bearing"), Some(3));
        // No revenue-bearing order in November: no recurring revenue.
        assert_eq!(at("M#2025-12", "recurring_revenue"), None);
        // Dated from Dec 2 (first revenue-bearing day): one buyer, all four
        // placed orders, a repeat buyer, gaps 4 (Nov 28 -> Dec 2), 0, 1.
        assert_eq!(at("D#2025-12-02", "buyers"), Some(1));
        assert_eq!(at("M#2025-12", "buyer_orders"), Some(4));
        assert_eq!(at("D#2025-12-02", "repeat_buyers"), Some(1));
        assert_eq!(at("M#2025-12", "gaps"), Some(3));
        assert_eq!(at("M#2025-12", "gap_days"), Some(5));
        assert_eq!(at("M#2025-11", "buyer_orders"), None);
    }

    #[test]
    fn customers_rank_by_open_balance_and_by_amount_invoiced() {
        let ar = key("t#customer_ar#2", "00000000000000000010");
        assert!(is_state(&ar));
        let d = derive(
            &ar,
            &m(&[("issued", 3), ("due20251201", 5000), ("due20251215", 2500), ("due20251101", 0)]),
            &DeriveSettings::default(),
        );
        let (rank_key, item) = d.items.iter().next().unwrap();
        assert_eq!(rank_key.0, "t#ar_customers");
        assert_eq!(rank_key.1, ranking::sk(7500, 10));
        assert_eq!(item["due20251215"], AttributeValue::N("2500".into()));
        assert!(!item.contains_key("due20251101"), "zero balances are left out");
        // Everything settled: still ranked (at zero), for `include_paid`.
        let settled = derive(&ar, &m(&[("issued", 3)]), &DeriveSettings::default());
        assert_eq!(settled.items.keys().next().unwrap().1, ranking::sk(0, 10));
        assert_eq!(
            derive(&ar, &m(&[("issued", 0)]), &DeriveSettings::default()),
            Derived::default()
        );

        let invoices = key("t#customer_invoices", "M#2025-12#00000000000000000010");
        let d = derive(
            &invoices,
            &m(&[("count", 2), ("invoiced", 900), ("paid", 400)]),
            &DeriveSettings::default(),
        );
        let (rank_key, item) = d.items.iter().next().unwrap();
        assert_eq!(rank_key.0, "t#top_invoiced#M#2025-12");
        assert_eq!(ranking::id_of(&rank_key.1), Some(10));
        assert_eq!(item["paid"], AttributeValue::N("400".into()));
        assert!(d.adds.is_empty());
        let day = key("t#customer_invoices", "D#2025-12-01#00000000000000000010");
        assert_eq!(
            derive(&day, &m(&[("count", 2), ("invoiced", 900)]), &DeriveSettings::default()),
            Derived::default()
        );
    }

    #[test]
    fn complete_derives_from_whole_states() {
        let mut total = Delta::default();
        total.adds.insert(
            key("t#customer_sales", "D#2025-12-17#00000000000000000001"),
            m(&[("placed", 1)]),
        );
        total.adds.insert(
            key("t#customer_sales", "D#2025-12-17#00000000000000000002"),
            m(&[("placed", 3)]),
        );
        complete(&mut total, &DeriveSettings::default());
        assert_eq!(total.adds[&key("t#customer_counts", "D#2025-12-17")]["unique_customers"], 2);
        assert_eq!(total.puts.len(), 2);
    }
}
