//! The layout of the aggregates table as data: measure types, partition
//! and sort keys, families and measure names, each encoded and parsed here
//! and nowhere else (docs/data-model.md). Pure: the store reads and writes
//! items with these keys, the metrics read measures by these names, and
//! neither depends on the other for them.

use std::collections::BTreeMap;

use crate::records::RecordKey;

/// One additive measure: a count, cents or days. 128 bits so that sums of
/// ten million records at the largest amounts the records allow (10^14
/// cents each) stay exact; DynamoDB numbers hold 38 digits, more than any
/// such sum needs.
pub type Measure = i128;

/// Additive measures of one bucket: name to integer (counts, cents, days).
pub type Measures = BTreeMap<String, Measure>;

/// Measures per entity id (a customer's items of a range, summed).
pub type EntityMeasures = BTreeMap<i64, Measures>;

/// Families of measures (the second part of the partition key).
pub mod family;

/// Sort keys of the amount index (`orders_by_amount`): an order's total
/// zero-padded to 15 digits, then its id, so that keys sort by amount, then
/// id.
pub mod amount_key;

/// Sort keys of items named by an entity's id (a customer, order, product
/// shard, invoice ...): the id zero-padded to 20 digits so that keys sort by
/// id, alone or after a bucket, a date or an instant. The rollup writes
/// them and the readers parse them only through here.
pub mod entity_key;

/// Partitions and keys of the closing-date index (`invoices_by_close`):
/// each invoice under its issue year, month and day, keyed by its close
/// date, so that the invoices open at any date are read exactly.
pub mod close_index;

/// The returning-customer index (`customer_returns`): each order day
/// after a customer's first, with the customer's previous order day, so
/// that distinct, returning and retained customers of any range are sums
/// over its cover.
pub mod returns;

/// Sort keys of ranking items: the value inverted so that an ascending
/// query lists the largest first, then the id, so that ties come out by id
/// ascending.
pub mod ranking;

/// The lifetime-value histogram (`lifetime_values`): a radix tree over
/// each value's bits, three items deep, so that no item grows with the
/// customers.
/// - `bin#{bits}`: per bit length, the count and sum (`n{sub}`, `s{sub}`)
///   of the values by their leading 6 bits;
/// - `val#{bits}#{sub}`: the count and sum of that sub's values by their
///   leading 12 bits (`n{mid}`, `s{mid}`);
/// - `val#{bits}#{sub}#{mid}`: the count of each exact value (`v{cents}`),
///   at most 2^(bits - 12) of them.
///
/// A value is written to one item of each level; the bit lengths' totals
/// are the sums of their `bin#` items (one query reads them all).
pub mod lifetime;

/// The attribute of a state item counting its updates (`rollup::derive`):
/// a transaction that derives from a state item is conditioned on the
/// count it read. Not a measure: readers skip names starting with `_`.
pub const STATE_VERSION: &str = "_v";

/// Fixed-width base-62 numbers (`0-9a-zA-Z`) for the measure names that
/// carry a number and fill an item by the hundred (the order-value sketch,
/// the open-invoice steps): these items are paid by the KB on every write,
/// and three characters say what six or seven would in decimal.
mod compact;

/// Measure names, shared by the rollup (writer) and the API (reader).
pub mod measure;

pub fn measures_pk(tenant: &str, family: &str) -> String {
    format!("{tenant}#{family}")
}

/// The tenant and the rest (family, with its slice, shard or bucket) of a
/// [`measures_pk`]: tenant ids hold no `#`.
pub fn tenant_and_family(pk: &str) -> Option<(&str, &str)> {
    pk.split_once('#')
}

/// The first characters of every partition key of a tenant.
pub fn tenant_prefix(tenant: &str) -> String {
    measures_pk(tenant, "")
}

/// Whether a tenant's partition holds aggregates (not its ledger entries
/// nor its watermark).
pub fn is_aggregate_pk(pk: &str) -> bool {
    tenant_and_family(pk).is_some_and(|(_, family)| family != META && !family.starts_with(LEDGER))
}

/// The partitions of the ledger (`{tenant}#ledger#...`) and of the
/// watermark (`{tenant}#meta`).
const LEDGER: &str = "ledger#";
const META: &str = "meta";

/// The ledger item of a source record: the last applied stream sequence
/// number and record version.
pub fn ledger_key(key: &RecordKey) -> (String, String) {
    let family = format!("{LEDGER}{}#{}", key.record_type.as_str(), key.id);
    (measures_pk(&key.tenant_id, &family), "L".to_owned())
}

pub fn settings_key(tenant: &str) -> (String, String) {
    (format!("{tenant}#settings"), "S".to_owned())
}

/// The registry of tenants with data (`pk = tenants`, `sk = tenant`): the
/// scheduled reports run for each. No tenant's keys collide with it (they
/// all hold a `#`).
pub const TENANTS_PK: &str = "tenants";

pub fn tenant_registry_key(tenant: &str) -> (String, String) {
    (TENANTS_PK.to_owned(), tenant.to_owned())
}

pub fn watermark_key(tenant: &str) -> (String, String) {
    (measures_pk(tenant, META), "watermark".to_owned())
}

/// Stream sequence numbers padded so that string order is numeric order.
pub fn padded_sequence(sequence_number: &str) -> String {
    format!("{sequence_number:0>40}")
}

/// Adds `other` into `into`. Stored values hold at most 38 digits, so a
/// read sums far fewer than the items it would take to pass `i128`; the
/// addition saturates rather than panics all the same.
pub fn add_measures(into: &mut Measures, other: &Measures) {
    for (k, v) in other {
        let total = into.entry(k.clone()).or_default();
        *total = total.saturating_add(*v);
    }
}

#[cfg(test)]
mod tests;
