//! The layout of the aggregates table as data: measure types, partition
//! and sort keys, families and measure names, each encoded and parsed here
//! and nowhere else (docs/data-model.md). Pure: the store reads and writes
//! items with these keys, the metrics read measures by these names, and
//! neither depends on the other for them.

use std::collections::BTreeMap;

use crate::records::{RecordKey, StrEnum};

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
pub mod family {
    pub const ORDERS: &str = "orders";
    pub const PAYMENTS: &str = "payments";
    pub const INVOICES: &str = "invoices";
    /// Copies of customers, products, sales reps, monthly targets and
    /// marketing spend, one item per record (`sk` = id or month).
    pub const CUSTOMERS: &str = "customers";
    pub const PRODUCTS: &str = "products";
    pub const SALES_REPS: &str = "sales_reps";
    pub const SALES_TARGETS: &str = "sales_targets";
    pub const MARKETING_SPEND: &str = "marketing_spend";

    /// Per-entity measures: one item per entity and bucket, `pk =
    /// {tenant}#customer_sales`, `sk = {bucket}#{id:020}` (`Y#2025#…`), so an
    /// item never grows with the number of customers, and a range is read
    /// with the cover's few queries. Read back per customer (`EntityMeasures`).
    /// Products use 8 shards as ids (`p{id}_{what}` measures in each).
    pub const CUSTOMER_SALES: &str = "customer_sales";
    pub const CUSTOMER_INVOICES: &str = "customer_invoices";
    pub const PRODUCT_SALES: &str = "product_sales";
    /// One undated item per customer (`sk` = id, 20 digits) counting their
    /// placed orders per local order day (`d{YYYYMMDD}`): first order date,
    /// gaps between purchases.
    pub const CUSTOMER_DAYS: &str = "customer_days";
    /// Derived from the state items above (`rollup::derive`), per calendar
    /// bucket (`D#`, `W#`, `M#`, `Q#`, `Y#`): `unique_customers` (customers
    /// with a placed order in the bucket) and `new_customers` (first placed
    /// order ever in the bucket).
    pub const CUSTOMER_COUNTS: &str = "customer_counts";
    /// Derived ranking items, one partition per calendar bucket
    /// (`top_customers#M#2025-12`), `sk` from [`super::ranking::sk`]:
    /// the bucket's customers by revenue, descending, ids ascending.
    pub const TOP_CUSTOMERS: &str = "top_customers";
    /// Invoices open at any date, as dated steps (`contributions::receivables`),
    /// by local date at D/M/Y: `open_*` measures (count, balance, total,
    /// issue days) and `overdue{k}_*` (count, balance) for each of
    /// [`super::measure::AGING_THRESHOLDS`]: summed through A, the invoices
    /// open at A, and those at least k days past due.
    pub const AGING: &str = "aging";
    /// The same steps by local *issue* date (`D#` and `M#` items only),
    /// each measure named by the date of its step
    /// ([`super::measure::open_step`]): the invoices of a period open (and
    /// overdue) at any date.
    pub const INVOICES_OPEN: &str = "invoices_open";
    /// One state item per customer (`sk` = id, 20 digits; partitions
    /// sharded like `customer_days`): the balance of their open invoices
    /// by due date (`due{YYYYMMDD}`) and their issued invoices
    /// (`issued`), after every event.
    pub const CUSTOMER_AR: &str = "customer_ar";
    /// One state item per order (`sk` = id, 20 digits; sharded): the
    /// local order date of a placed order (`o{YYYYMMDD}`) and the dates
    /// its invoices were paid by payments (`p{YYYYMMDD}`): the join of
    /// order-to-cash, made when either side is written.
    pub const ORDER_CASH: &str = "order_cash";
    /// Derived from `order_cash`, by local order date (D/M/Y):
    /// `cycles` (orders with a paid invoice) and `cycle_days`.
    pub const CASH_CYCLES: &str = "cash_cycles";
    /// Derived from `customer_days`: the lifetime revenue of every
    /// customer with a revenue-bearing order, as a histogram of three
    /// levels ([`super::lifetime`]), so that the exact median and the sum
    /// of the top tenth read the `bin#` items and a few items below them.
    pub const LIFETIME_VALUES: &str = "lifetime_values";
    /// Open disputes by local evidence due date (D/M/Y): `open_disputes`,
    /// `open_dispute_amount`, `needs_response`: totals over all dates, and
    /// the urgent ones through today + 3.
    pub const OPEN_DISPUTES_DUE: &str = "open_disputes_due";
    /// Derived ranking of customers by open balance (one partition).
    pub const AR_CUSTOMERS: &str = "ar_customers";
    /// Derived ranking of customers by amount invoiced, per calendar bucket.
    pub const TOP_INVOICED: &str = "top_invoiced";
    /// Placed orders and revenue per local day in one item per month
    /// (`M#YYYY-MM`, measures [`super::measure::daily`]): a trend of any
    /// length reads an item per month.
    pub const DAILY_ORDERS: &str = "daily_orders";
    /// The rep slice of `customer_sales` (`sales_rep_id` filter).
    pub fn customer_sales_of_rep(rep_id: i64) -> String {
        format!("{CUSTOMER_SALES}@rep={rep_id}")
    }
    /// `product_sales` items: one per shard of product ids and bucket, with
    /// measures `p{id}_units`, `p{id}_revenue`.
    pub const PRODUCT_SHARDS: i64 = 8;
    /// `customer_days` items are spread over this many partitions by id.
    pub const ENTITY_SHARDS: i64 = 8;
    pub fn sharded(family: &str, id: i64) -> String {
        format!("{family}#{}", id.rem_euclid(ENTITY_SHARDS))
    }
    /// Dispute outcomes by local dispute date.
    pub const DISPUTES: &str = "disputes";
    /// Index items: placed orders by amount (one partition per day, month
    /// and year bucket: `orders_by_amount#D#2025-12-01`), the latest placed
    /// orders, failed payments by bucket, open disputes by evidence due
    /// date, and invoices by the local date their balance reached zero
    /// (`9999-12-31` while open).
    pub const ORDERS_BY_AMOUNT: &str = "orders_by_amount";
    pub const RECENT_ORDERS: &str = "recent_orders";
    pub const FAILED_PAYMENTS: &str = "failed_payments";
    pub const OPEN_DISPUTES: &str = "open_disputes";
    pub const INVOICES_BY_CLOSE: &str = "invoices_by_close";
    /// Every order (drafts included) and every issued invoice by local date,
    /// one partition per month (`orders_by_date#2025-12`): exports.
    pub const ORDERS_BY_DATE: &str = "orders_by_date";
    pub const INVOICES_BY_ISSUE: &str = "invoices_by_issue";
    /// Close date of invoices still open.
    pub const STILL_OPEN: &str = "9999-12-31";
    pub fn bucketed(family: &str, bucket_key: &str) -> String {
        format!("{family}#{bucket_key}")
    }

    /// The `orders` measures of one sales rep's orders (`sales_rep_id` filter).
    pub fn orders_of_rep(rep_id: i64) -> String {
        format!("orders@rep={rep_id}")
    }
    /// The `invoices` measures of one customer's invoices (`customer_id` filter).
    pub fn invoices_of_customer(customer_id: i64) -> String {
        format!("invoices@customer={customer_id}")
    }
    /// The `payments` measures of one method, one status, or both.
    pub fn payments_of(method: Option<&str>, status: Option<&str>) -> String {
        match (method, status) {
            (Some(m), Some(s)) => format!("payments@method={m}@status={s}"),
            (Some(m), None) => format!("payments@method={m}"),
            (None, Some(s)) => format!("payments@status={s}"),
            (None, None) => PAYMENTS.to_owned(),
        }
    }
}

/// Sort keys of items named by an entity's id (a customer, order, product
/// shard, invoice ...): the id zero-padded to 20 digits so that keys sort by
/// id, alone or after a bucket, a date or an instant. The rollup writes
/// them and the readers parse them only through here.
pub mod entity_key {
    use std::fmt::Display;

    /// `{id:020}`: a copy or the state item of one entity.
    pub fn sk(id: i64) -> String {
        format!("{id:020}")
    }

    /// The id of an [`sk`], or of any key ending in `#{id:020}`.
    pub fn id_of(sk: &str) -> Option<i64> {
        sk.rsplit_once('#').map_or(sk, |(_, id)| id).parse().ok()
    }

    /// `{prefix}#{id:020}`: an entity under a bucket key (`M#2025-12`), a
    /// local date or an instant, so that a key range of prefixes holds
    /// their entities in order.
    pub fn under(prefix: impl Display, id: i64) -> String {
        format!("{prefix}#{id:020}")
    }

    /// The first and last key of the entities under the prefixes from
    /// `first` through `last` (inclusive).
    pub fn range_under(first: impl Display, last: impl Display) -> (String, String) {
        (first_under(first), format!("{last}#~"))
    }

    /// The first key of the entities under `prefix` (and of any prefix
    /// after it).
    pub fn first_under(prefix: impl Display) -> String {
        format!("{prefix}#")
    }

    /// The prefix of an [`under`] key (what comes before its id).
    pub fn prefix_of(sk: &str) -> Option<&str> {
        Some(sk.rsplit_once('#')?.0)
    }

    /// A bound just after `sk` and before the next id under its prefix.
    pub fn just_after(sk: &str) -> String {
        format!("{sk}~")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn keys_round_trip_and_sort_by_prefix_then_id() {
            assert_eq!(sk(42), "00000000000000000042");
            assert_eq!(id_of(&sk(42)), Some(42));
            assert_eq!(id_of(&under("M#2025-12", 7)), Some(7));
            assert_eq!(id_of(&under("2025-12-01T10:00:00Z", -3)), Some(-3));
            assert_eq!(id_of("M#2025-12#x"), None);
            let mut keys = [under("M#2025-12", 10), under("M#2025-11", 99), under("M#2025-12", 9)];
            keys.sort();
            assert_eq!(keys.iter().filter_map(|k| id_of(k)).collect::<Vec<_>>(), [99, 9, 10]);
            let (first, last) = range_under("M#2025-11", "M#2025-11");
            assert!(
                keys.iter()
                    .filter(|k| (first.as_str()..=last.as_str()).contains(&k.as_str()))
                    .count()
                    == 1
            );
            let key = under("2025-12-01T10:00:00Z", 5);
            assert_eq!(prefix_of(&key), Some("2025-12-01T10:00:00Z"));
            assert!(key < just_after(&key) && just_after(&key) < under("2025-12-01T10:00:00Z", 6));
            assert!(just_after(&key) < range_under("", "2025-12-01T10:00:00Z").1);
            let (first, last) = range_under("D#2025-12-01", "D#2025-12-31");
            assert!(first < under("D#2025-12-01", 0) && under("D#2025-12-31", i64::MAX) < last);
            assert!(under("D#2025-11-30", i64::MAX) < first && last < under("D#2026-01-01", 0));
        }
    }
}

/// Sort keys of ranking items: the value inverted so that an ascending
/// query lists the largest first, then the id, so that ties come out by id
/// ascending.
pub mod ranking {
    use super::Measure;

    /// Values are clamped to +-10^30 (far past any sum the record limits
    /// allow) so that every key has the same width.
    const LIMIT: Measure = 1_000_000_000_000_000_000_000_000_000_000;

    /// `{10^30 - value, 31 digits}#{id, 20 digits}`.
    pub fn sk(value: Measure, id: i64) -> String {
        let inverted = LIMIT - value.clamp(-LIMIT, LIMIT);
        super::entity_key::under(format_args!("{inverted:031}"), id)
    }

    /// The id of a ranking key.
    pub use super::entity_key::id_of;

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn keys_sort_by_value_descending_then_id() {
            let mut keys = [sk(5, 2), sk(7, 9), sk(5, 1), sk(0, 3), sk(-4, 1), sk(Measure::MAX, 8)];
            keys.sort();
            let ids: Vec<i64> = keys.iter().filter_map(|k| id_of(k)).collect();
            assert_eq!(ids, vec![8, 9, 1, 2, 3, 1]);
        }
    }
}

#[cfg(test)]
mod measure_name_tests {
    use super::measure::*;

    #[test]
    fn partition_keys_round_trip() {
        let pk = super::measures_pk("acme-1", "orders@rep=3");
        assert_eq!(super::tenant_and_family(&pk), Some(("acme-1", "orders@rep=3")));
        let pk = super::measures_pk("t", &super::family::sharded(super::family::CUSTOMER_DAYS, 11));
        assert_eq!(super::tenant_and_family(&pk), Some(("t", "customer_days#3")));
        assert_eq!(super::tenant_and_family("tenants"), None);
        assert!(super::is_aggregate_pk(&super::measures_pk("t", "orders")));
        assert!(!super::is_aggregate_pk(&super::watermark_key("t").0));
        assert!(
            super::tenant_prefix("t").starts_with("t#")
                && pk.starts_with(&super::tenant_prefix("t"))
        );
    }

    #[test]
    fn compact_names_round_trip() {
        for index in [Some(0), Some(1151), Some(3843), Some(3844), Some(-5), None] {
            assert_eq!(order_value_bin_of(&order_value_bin(index)), Some(index), "{index:?}");
        }
        assert_eq!(order_value_bin(Some(1151)).len(), 3);
        for name in ["placed", "status_open", "hv3n", "fd3", "o", "oabc"] {
            assert_eq!(order_value_bin_of(name), None, "{name}");
        }
        for day in ["1970-01-01", "2025-12-07", "2622-01-01", "1969-12-31", "3000-01-01"] {
            let day: chrono::NaiveDate = day.parse().unwrap();
            for step in OpenStep::ALL {
                assert_eq!(
                    open_step_of(&open_step(step, day)),
                    Some((step, day)),
                    "{step:?} {day}"
                );
            }
        }
        let day: chrono::NaiveDate = "2025-12-07".parse().unwrap();
        assert_eq!(open_step(OpenStep::OverdueBalance, day), "ob5jv");
        assert_eq!(open_step_of("x5jv"), None);
        assert_eq!(fulfillment_days_bin(-2), "fd-2");
        assert_eq!(days_to_pay_bin(11), "dp11");
    }

    #[test]
    fn product_measures_round_trip() {
        for (id, figure) in [
            (4, ProductFigure::Units),
            (-2, ProductFigure::Revenue),
            (i64::MAX, ProductFigure::Units),
        ] {
            assert_eq!(product_of(&product(id, figure)), Some((id, figure)));
        }
        assert_eq!(product(4, ProductFigure::Units), "p4_units");
        assert_eq!(product_of("p4_price"), None);
        assert_eq!(product_of("placed"), None);
    }

    #[test]
    fn high_value_bands_follow_a_1_2_5_series() {
        assert_eq!(high_value_edge(0), Some(HIGH_VALUE_FLOOR));
        assert_eq!(
            (high_value_edge(1), high_value_edge(2), high_value_edge(3)),
            (Some(200_000), Some(500_000), Some(1_000_000))
        );
        assert_eq!(high_value_edge(HIGH_VALUE_BANDS - 1), Some(100_000_000_000_000));
        assert_eq!(high_value_edge(HIGH_VALUE_BANDS), None);
        assert_eq!(high_value_band(99_999), None);
        assert_eq!(high_value_band(100_000), Some(0));
        assert_eq!(high_value_band(999_999), Some(2));
        assert_eq!(high_value_band(1_000_000), Some(3));
        assert_eq!(high_value_band(i128::MAX), Some(HIGH_VALUE_BANDS - 1));
        for k in 0..HIGH_VALUE_BANDS {
            assert_eq!(high_value_of(&high_value_count(k)), Some((k, 'n')));
            assert_eq!(high_value_of(&high_value_value(k)), Some((k, 'v')));
            let edge = i128::from(high_value_edge(k).unwrap());
            assert_eq!(high_value_band(edge), Some(k));
            assert_eq!(high_value_band(edge - 1), k.checked_sub(1));
        }
        assert_eq!(high_value_of("hv28n"), None);
        assert_eq!(high_value_of("hvxn"), None);
    }

    #[test]
    fn measure_names_round_trip() {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 7).unwrap();
        for step in OpenStep::ALL {
            assert_eq!(open_step_of(&open_step(step, day)), Some((step, day)));
        }
        assert_eq!(open_step(OpenStep::OverdueBalance, day), "ob5jv");
        assert_eq!(open_step_of("x5jv"), None);
        assert_eq!(day_of_due(&due_on(day)), Some(day));
        assert_eq!(daily_of(&daily(Daily::Revenue, day)), Some((Daily::Revenue, 7)));
        assert_eq!(daily_of(&daily(Daily::Placed, day)), Some((Daily::Placed, 7)));
        assert_eq!(daily_of("revenue_bearing"), None);
        assert_eq!(day_of_order_day(&order_day(day)), Some(day));
    }
}

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
pub mod lifetime {
    use super::Measure;

    /// Levels of the tree, the exact values' level included.
    pub const DEPTH: usize = 3;

    /// Leading bits of a value that name its sub-bin: 32 sub-bins per bin,
    /// so that a `bin#` item (count and sum per sub-bin) stays under 1 KB,
    /// the unit of a write; as many more for the next level.
    const SUB_BITS: u32 = 6;

    /// The bit length of a value (0 for zero and below).
    pub fn bits(value: Measure) -> Measure {
        Measure::from(128 - value.max(0).leading_zeros())
    }

    /// The path of a value through the tree: its bit length, leading 6
    /// bits and leading 12 bits (all of it when shorter), then the value.
    pub fn path(value: Measure) -> [Measure; DEPTH + 1] {
        let bits = bits(value);
        let leading = |n: u32| value >> (bits as u32).saturating_sub(n);
        [bits, leading(SUB_BITS), leading(2 * SUB_BITS), value]
    }

    /// The sort key of the item that counts the next step of `prefix`
    /// (a path's first 1 to [`DEPTH`] steps); `None` for any other length.
    pub fn level_sk(prefix: &[Measure]) -> Option<String> {
        match *prefix {
            [bits] => Some(format!("{BIN}{bits:03}")),
            [bits, sub] => Some(format!("val#{bits:03}#{sub:03}")),
            [bits, sub, mid] => Some(format!("val#{bits:03}#{sub:03}#{mid:04}")),
            _ => None,
        }
    }

    /// The prefix of the top level's keys.
    const BIN: &str = "bin#";

    /// The key range holding every `bin#` item (first, last).
    pub fn bins_range() -> (&'static str, &'static str) {
        (BIN, "bin#~")
    }

    /// The bit length a `bin#` item counts.
    pub fn bits_of(sk: &str) -> Option<Measure> {
        sk.strip_prefix(BIN)?.parse().ok()
    }

    /// The measures one value adds to the tree, per level: (sort key,
    /// measure, amount).
    pub fn contributions(value: Measure) -> Vec<(String, String, Measure)> {
        let path = path(value);
        let mut out = Vec::with_capacity(2 * DEPTH);
        for depth in 1..=DEPTH {
            let Some(sk) = level_sk(&path[..depth]) else { continue };
            let step = path[depth];
            if depth == DEPTH {
                out.push((sk, format!("v{step}"), 1));
            } else {
                out.push((sk.clone(), format!("n{step}"), 1));
                out.push((sk, format!("s{step}"), value));
            }
        }
        out
    }

    /// (`'n' | 's' | 'v'`, number) of a histogram measure.
    pub fn parse(name: &str) -> Option<(char, Measure)> {
        let kind = name.chars().next().filter(|c| matches!(c, 'n' | 's' | 'v'))?;
        Some((kind, name[1..].parse().ok()?))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn values_fall_in_ordered_paths() {
            assert_eq!(path(0), [0, 0, 0, 0]);
            assert_eq!(path(50), [6, 50, 50, 50]);
            assert_eq!(path(200), [8, 50, 200, 200]);
            assert_eq!(path(1_000_000), [20, 1_000_000 >> 14, 1_000_000 >> 8, 1_000_000]);
            // Every step grows with the value.
            let mut last = path(0);
            for v in [1, 2, 255, 256, 257, 1000, 4095, 4096, 4097, 10_000_000, 10_000_001] {
                let p = path(v);
                assert!(p >= last, "{v}");
                last = p;
            }
        }

        #[test]
        fn levels_are_named_and_parsed_back() {
            assert_eq!(level_sk(&[17]).as_deref(), Some("bin#017"));
            assert_eq!(bits_of("bin#017"), Some(17));
            assert_eq!((bits_of("val#017#040"), bits_of("bin#x")), (None, None));
            assert_eq!(level_sk(&[17, 40]).as_deref(), Some("val#017#040"));
            assert_eq!(level_sk(&[17, 40, 2600]).as_deref(), Some("val#017#040#2600"));
            assert_eq!(level_sk(&[]), None);
            assert_eq!(level_sk(&[1, 2, 3, 4]), None);
            let (first, last) = bins_range();
            assert!(first < "bin#017" && "bin#017" < last && last < "val#");
            let adds = contributions(100_000);
            assert_eq!(adds.len(), 5);
            assert_eq!(adds[0], ("bin#017".to_owned(), "n48".to_owned(), 1));
            assert_eq!(adds[1], ("bin#017".to_owned(), "s48".to_owned(), 100_000));
            assert_eq!(adds[2], ("val#017#048".to_owned(), "n3125".to_owned(), 1));
            assert_eq!(adds[4], ("val#017#048#3125".to_owned(), "v100000".to_owned(), 1));
            for (_, name, n) in adds {
                let (kind, _) = parse(&name).unwrap();
                assert!(kind == 's' || n == 1);
            }
            assert_eq!(parse("s-3"), Some(('s', -3)));
            assert_eq!(parse("x1"), None);
        }
    }
}

/// The attribute of a state item counting its updates (`rollup::derive`):
/// a transaction that derives from a state item is conditioned on the
/// count it read. Not a measure: readers skip names starting with `_`.
pub const STATE_VERSION: &str = "_v";

/// Fixed-width base-62 numbers (`0-9a-zA-Z`) for the measure names that
/// carry a number and fill an item by the hundred (the order-value sketch,
/// the open-invoice steps): these items are paid by the KB on every write,
/// and three characters say what six or seven would in decimal.
mod compact {
    const DIGITS: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// `n` in exactly `width` base-62 digits, or `None` when it does not fit.
    pub fn encode(n: i64, width: u32) -> Option<String> {
        if n < 0 || n >= 62_i64.checked_pow(width)? {
            return None;
        }
        let mut out = vec![b'0'; width as usize];
        let mut rest = n;
        for slot in out.iter_mut().rev() {
            *slot = DIGITS[(rest % 62) as usize];
            rest /= 62;
        }
        String::from_utf8(out).ok()
    }

    /// The number of `width` base-62 digits.
    pub fn decode(text: &str, width: usize) -> Option<i64> {
        if text.len() != width {
            return None;
        }
        text.bytes().try_fold(0_i64, |n, b| {
            let digit = DIGITS.iter().position(|d| *d == b)?;
            Some(n * 62 + digit as i64)
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trips_within_the_width() {
            for n in [0, 1, 9, 10, 61, 62, 3843, 20_429, 238_327] {
                let width = if n < 3844 { 2 } else { 3 };
                assert_eq!(decode(&encode(n, width).unwrap(), width as usize), Some(n), "{n}");
            }
            assert_eq!(encode(0, 2).as_deref(), Some("00"));
            assert_eq!(encode(3843, 2).as_deref(), Some("ZZ"));
            assert_eq!((encode(3844, 2), encode(-1, 3)), (None, None));
            assert_eq!((decode("0-", 2), decode("abc", 2), decode("", 0)), (None, None, Some(0)));
        }
    }
}

/// Measure names, shared by the rollup (writer) and the API (reader).
pub mod measure {
    /// Ages (days past due) of the `aging` family's thresholds: the
    /// standard aging buckets' lower limits.
    pub const AGING_THRESHOLDS: [i64; 4] = [1, 31, 61, 91];
    pub const OPEN_COUNT: &str = "open_count";
    pub const OPEN_BALANCE: &str = "open_balance";
    pub const OPEN_TOTAL: &str = "open_total";
    pub const OPEN_ISSUE_DAYS: &str = "open_issue_days";
    /// `overdue{k}_count`, `overdue{k}_balance`.
    pub fn overdue(k: i64, what: &str) -> String {
        format!("overdue{k}_{what}")
    }

    /// What an `invoices_open` step counts.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum OpenStep {
        Count,
        Balance,
        PartiallyPaid,
        OverdueCount,
        OverdueBalance,
        OverduePartiallyPaid,
    }

    impl OpenStep {
        pub const ALL: [OpenStep; 6] = [
            OpenStep::Count,
            OpenStep::Balance,
            OpenStep::PartiallyPaid,
            OpenStep::OverdueCount,
            OpenStep::OverdueBalance,
            OpenStep::OverduePartiallyPaid,
        ];
        fn code(self) -> &'static str {
            match self {
                OpenStep::Count => "n",
                OpenStep::Balance => "b",
                OpenStep::PartiallyPaid => "p",
                OpenStep::OverdueCount => "on",
                OpenStep::OverdueBalance => "ob",
                OpenStep::OverduePartiallyPaid => "op",
            }
        }
    }

    /// `{code}{days since 1970-01-01, 3 base-62 digits}`: an
    /// `invoices_open` step on `day` (`ob5jv` is 2025-12-07; days before
    /// 1970 or after 2622: `{code}_{days}`). These items hold a measure per
    /// step date, and every byte is paid on each write.
    pub fn open_step(step: OpenStep, day: chrono::NaiveDate) -> String {
        let days = (day - crate::buckets::epoch()).num_days();
        match super::compact::encode(days, 3) {
            Some(days) => format!("{}{days}", step.code()),
            None => format!("{}_{days}", step.code()),
        }
    }

    /// The step and date of an `invoices_open` measure.
    pub fn open_step_of(name: &str) -> Option<(OpenStep, chrono::NaiveDate)> {
        let (code, days) = match name.split_once('_') {
            Some((code, days)) => (code, days.parse().ok()?),
            None => {
                let split = name.len().checked_sub(3).filter(|at| name.is_char_boundary(*at))?;
                (&name[..split], super::compact::decode(&name[split..], 3)?)
            }
        };
        let step = OpenStep::ALL.into_iter().find(|s| s.code() == code)?;
        let day = crate::buckets::epoch().checked_add_signed(chrono::Duration::days(days))?;
        Some((step, day))
    }

    /// `due{YYYYMMDD}`: a customer's open balance due on a day (`customer_ar`).
    pub fn due_on(day: chrono::NaiveDate) -> String {
        day.format("due%Y%m%d").to_string()
    }
    pub fn day_of_due(name: &str) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::parse_from_str(name.strip_prefix("due")?, "%Y%m%d").ok()
    }
    /// A customer's invoices issued in a bucket (`customer_invoices`, with
    /// `invoiced`, `paid`, `paid_by_payments`, `paid_on_time`).
    pub const INVOICE_COUNT: &str = "count";
    /// Issued, not cancelled invoices of a customer (`customer_ar`).
    pub const ISSUED_INVOICES: &str = "issued";

    /// What a `daily_orders` measure counts.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Daily {
        Placed,
        Revenue,
    }

    /// `placed_{DD}` / `revenue_{DD}` in the month's item.
    pub fn daily(what: Daily, day: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let name = match what {
            Daily::Placed => "placed",
            Daily::Revenue => "revenue",
        };
        format!("{name}_{:02}", day.day())
    }

    /// The measure and day of the month of a `daily_orders` measure.
    pub fn daily_of(name: &str) -> Option<(Daily, u32)> {
        let (what, day) = name.rsplit_once('_')?;
        let what = match what {
            "placed" => Daily::Placed,
            "revenue" => Daily::Revenue,
            _ => return None,
        };
        Some((what, day.parse().ok()?))
    }

    /// `order_cash` measures: the order's date, an invoice's paid date.
    pub fn ordered_on(day: chrono::NaiveDate) -> String {
        day.format("o%Y%m%d").to_string()
    }
    pub fn cash_paid_on(day: chrono::NaiveDate) -> String {
        day.format("p%Y%m%d").to_string()
    }
    /// `('o' | 'p', day)` of an `order_cash` measure.
    pub fn order_cash_of(name: &str) -> Option<(char, chrono::NaiveDate)> {
        let kind = name.chars().next().filter(|c| matches!(c, 'o' | 'p'))?;
        Some((kind, chrono::NaiveDate::parse_from_str(&name[1..], "%Y%m%d").ok()?))
    }
    pub const CYCLES: &str = "cycles";
    pub const CYCLE_DAYS: &str = "cycle_days";

    /// `open_disputes_due` measures.
    pub const OPEN_DISPUTES: &str = "open_disputes";
    pub const OPEN_DISPUTE_AMOUNT: &str = "open_dispute_amount";
    pub const NEEDS_RESPONSE: &str = "needs_response";

    /// Derived customer counts (`customer_counts`).
    pub const UNIQUE_CUSTOMERS: &str = "unique_customers";
    pub const NEW_CUSTOMERS: &str = "new_customers";
    /// Per calendar bucket: revenue and revenue-bearing orders (in the
    /// bucket) of its new customers; customers also active in the bucket
    /// before; customers active in it whose lifetime revenue through its
    /// last day reaches the tenant's VIP threshold, with their revenue and
    /// revenue-bearing orders in it.
    pub const NEW_REVENUE: &str = "new_revenue";
    pub const NEW_BEARING: &str = "new_revenue_bearing";
    pub const RETAINED: &str = "retained_customers";
    pub const VIP_CUSTOMERS: &str = "vip_customers";
    pub const VIP_REVENUE: &str = "vip_revenue";
    pub const VIP_BEARING: &str = "vip_revenue_bearing";
    /// Per month: revenue from customers with a revenue-bearing order in
    /// the month before.
    pub const RECURRING_REVENUE: &str = "recurring_revenue";
    /// Dated (D/M/Y, summed through a date E): customers with a
    /// revenue-bearing order by E (`buyers`, dated by their first), their
    /// placed orders by E (`buyer_orders`, each dated by the later of its
    /// day and the customer's first revenue-bearing day), those with two
    /// placed orders by E (`repeat_buyers`), and the gaps between
    /// consecutive placed orders (`gaps`, `gap_days`, dated likewise).
    pub const BUYERS: &str = "buyers";
    pub const BUYER_ORDERS: &str = "buyer_orders";
    pub const REPEAT_BUYERS: &str = "repeat_buyers";
    pub const GAPS: &str = "gaps";
    pub const GAP_DAYS: &str = "gap_days";
    /// Orders by local order date.
    pub const PLACED: &str = "placed";
    pub const REVENUE_BEARING: &str = "revenue_bearing";
    pub const REVENUE: &str = "revenue";
    pub const CONFIRMED: &str = "confirmed";
    pub const SHIPPED: &str = "shipped";
    /// High-value bands of revenue-bearing orders (`orders` day and month
    /// items only, not per rep; summed with `sum_without_years`):
    /// band `k` holds the orders with `edge(k) <= total < edge(k + 1)`,
    /// edges in a 1-2-5 series of cents from [`HIGH_VALUE_FLOOR`], as
    /// `hv{k}n` (count) and `hv{k}v` (value). The count and value of the
    /// orders of at least any edge are sums of whole bands.
    pub const HIGH_VALUE_FLOOR: i64 = 100_000;
    /// How many bands: the last edge is 10^14 cents, past every amount
    /// the record limits allow.
    pub const HIGH_VALUE_BANDS: usize = 28;
    /// The lower edge of band `k` in cents (`None` past the last band).
    pub fn high_value_edge(k: usize) -> Option<i64> {
        if k >= HIGH_VALUE_BANDS {
            return None;
        }
        let mantissa = [1, 2, 5][k % 3];
        10i64.checked_pow(5 + (k / 3) as u32).and_then(|p| p.checked_mul(mantissa))
    }
    /// The band of a total in cents (`None` below the floor).
    pub fn high_value_band(cents: super::Measure) -> Option<usize> {
        (0..HIGH_VALUE_BANDS)
            .rev()
            .find(|k| high_value_edge(*k).is_some_and(|edge| super::Measure::from(edge) <= cents))
    }
    /// `hv{k}n`: the orders of band `k`.
    pub fn high_value_count(k: usize) -> String {
        format!("hv{k}n")
    }
    /// `hv{k}v`: the value of the orders of band `k`.
    pub fn high_value_value(k: usize) -> String {
        format!("hv{k}v")
    }
    /// `(band, 'n' | 'v')` of a high-value band measure.
    pub fn high_value_of(name: &str) -> Option<(usize, char)> {
        let rest = name.strip_prefix("hv")?;
        let what = rest.chars().last().filter(|c| matches!(c, 'n' | 'v'))?;
        let k: usize = rest[..rest.len() - 1].parse().ok()?;
        (k < HIGH_VALUE_BANDS).then_some((k, what))
    }
    /// Count by current status: `status_{name}` (orders and payments).
    pub fn status(name: &str) -> String {
        format!("status_{name}")
    }
    /// Orders: sum of `total_amount` by current status (`status_{name}_value`).
    pub fn status_value(name: &str) -> String {
        format!("status_{name}_value")
    }
    /// Placed orders of a customer on a local day: `d{YYYYMMDD}`.
    pub fn order_day(day: chrono::NaiveDate) -> String {
        day.format("d%Y%m%d").to_string()
    }
    /// Revenue-bearing orders (`r{YYYYMMDD}`) and their revenue
    /// (`v{YYYYMMDD}`) of a customer on a local day (`customer_days`).
    pub fn bearing_day(day: chrono::NaiveDate) -> String {
        day.format("r%Y%m%d").to_string()
    }
    pub fn revenue_day(day: chrono::NaiveDate) -> String {
        day.format("v%Y%m%d").to_string()
    }
    /// What a `customer_days` measure counts, and its day.
    pub fn customer_day_of(name: &str) -> Option<(char, chrono::NaiveDate)> {
        let kind = name.chars().next().filter(|c| matches!(c, 'd' | 'r' | 'v'))?;
        Some((kind, chrono::NaiveDate::parse_from_str(&name[1..], "%Y%m%d").ok()?))
    }
    pub fn day_of_order_day(name: &str) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::parse_from_str(name.strip_prefix('d')?, "%Y%m%d").ok()
    }
    /// Payments by local creation date.
    pub const CAPTURED: &str = "captured";
    pub const PROCESSED: &str = "processed";
    pub const REFUNDED: &str = "refunded";
    pub const FEES: &str = "fees";
    /// Invoices by local issue date.
    pub const ISSUED: &str = "issued";
    pub const BILLABLE: &str = "billable";
    pub const INVOICED: &str = "invoiced";
    pub const PAID: &str = "paid";
    pub const WRITTEN_OFF: &str = "written_off";
    pub const PAID_BY_PAYMENTS: &str = "paid_by_payments";
    pub const DAYS_TO_PAY: &str = "days_to_pay";
    /// Invoices by the local date their payments reached the total.
    pub const PAID_OFF: &str = "paid_off";
    /// Change of open receivables on a local date (prefix sums give the
    /// balance at the end of any day).
    pub const AR_CHANGE: &str = "ar_change";

    /// Orders by channel: `source_{source}_placed`, `source_{source}_revenue`.
    pub fn source_placed(source: &str) -> String {
        format!("source_{source}_placed")
    }
    pub fn source_revenue(source: &str) -> String {
        format!("source_{source}_revenue")
    }
    /// Shipped placed orders; days from local order date to local ship
    /// date: their sum and an exact histogram `fd{n}`.
    pub const FULFILLED: &str = "fulfilled";
    pub const FULFILLMENT_DAYS: &str = "fulfillment_days";
    pub fn fulfillment_days_bin(days: i64) -> String {
        format!("{FULFILLMENT_DAYS_BINS}{days}")
    }
    /// The prefix of the fulfillment-days histogram: `fd{days}` (short:
    /// the `orders` items are paid by the KB on every order change).
    pub const FULFILLMENT_DAYS_BINS: &str = "fd";
    /// Revenue-bearing orders not shipped yet.
    pub const PENDING_FULFILLMENT: &str = "pending_fulfillment";
    /// Placed orders with both `delivered_at` and a promised date, and those
    /// delivered on a local date <= the promise.
    pub const DELIVERY_PROMISED: &str = "delivery_promised";
    pub const DELIVERED_ON_TIME: &str = "delivered_on_time";
    /// Placed orders with `delivered_at`, and those without a fulfillment error.
    pub const DELIVERED: &str = "delivered";
    pub const DELIVERED_ACCURATE: &str = "delivered_accurate";
    /// Revenue-bearing orders delivered, and those returned.
    pub const REVENUE_BEARING_DELIVERED: &str = "revenue_bearing_delivered";
    pub const REVENUE_BEARING_RETURNED: &str = "revenue_bearing_returned";

    /// The order-value sketch's bin `index` (`sketch`): `o` and two base-62
    /// digits (`oiP`), `o_{index}` past them (never, within the record
    /// limits), `oz` for amounts of zero and below. Several hundred fill a
    /// month's `orders` item, paid by the KB on every order change.
    pub fn order_value_bin(index: Option<i64>) -> String {
        match index.map(|i| (i, super::compact::encode(i, 2))) {
            None => ORDER_VALUE_ZERO.to_owned(),
            Some((_, Some(digits))) => format!("o{digits}"),
            Some((i, None)) => format!("o_{i}"),
        }
    }
    const ORDER_VALUE_ZERO: &str = "oz";

    /// The bin of an order-value sketch measure: `Some(None)` for the zero
    /// bin, `None` for any other measure.
    pub fn order_value_bin_of(name: &str) -> Option<Option<i64>> {
        if name == ORDER_VALUE_ZERO {
            return Some(None);
        }
        let rest = name.strip_prefix('o')?;
        match rest.strip_prefix('_') {
            Some(decimal) => decimal.parse().ok().map(Some),
            None => super::compact::decode(rest, 2).map(Some),
        }
    }

    /// What a `product_sales` measure holds for one product.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ProductFigure {
        Units,
        Revenue,
    }

    /// `p{id}_units`, `p{id}_revenue`: one product's figures in its
    /// `product_sales` shard item.
    pub fn product(id: i64, figure: ProductFigure) -> String {
        match figure {
            ProductFigure::Units => format!("p{id}_units"),
            ProductFigure::Revenue => format!("p{id}_revenue"),
        }
    }

    /// The product and figure of a `product_sales` measure.
    pub fn product_of(name: &str) -> Option<(i64, ProductFigure)> {
        let (id, what) = name.strip_prefix('p')?.split_once('_')?;
        let figure = match what {
            "units" => ProductFigure::Units,
            "revenue" => ProductFigure::Revenue,
            _ => return None,
        };
        Some((id.parse().ok()?, figure))
    }

    /// Captured payments by method: count, amount, fees.
    pub fn method_captured(method: &str) -> String {
        format!("method_{method}_captured")
    }
    pub fn method_amount(method: &str) -> String {
        format!("method_{method}_amount")
    }
    pub fn method_fees(method: &str) -> String {
        format!("method_{method}_fees")
    }
    /// Payments by gateway: all, captured, failed, response-time sum and count.
    pub fn gateway(gateway: &str, what: &str) -> String {
        format!("gateway_{gateway}_{what}")
    }
    /// Captured payments with a processing time: sum (ms) and count.
    pub const PROCESSING_MS: &str = "processing_ms";
    pub const PROCESSING_TIMED: &str = "processing_timed";
    /// Failed payments: amount, retryable count and amount, and count per
    /// reason (`reason_{reason}`, a missing reason counted as `other`).
    pub const FAILED_AMOUNT: &str = "failed_amount";
    pub const RETRYABLE: &str = "retryable";
    pub const RETRYABLE_AMOUNT: &str = "retryable_amount";
    pub fn failure_reason(reason: &str) -> String {
        format!("reason_{reason}")
    }

    /// Invoices by local issue date, paid by payments: exact histogram of
    /// days to pay, and those paid on or before the due date.
    pub fn days_to_pay_bin(days: i64) -> String {
        format!("{DAYS_TO_PAY_BINS}{days}")
    }
    /// The prefix of the days-to-pay histogram: `dp{days}`.
    pub const DAYS_TO_PAY_BINS: &str = "dp";
    pub const PAID_ON_TIME: &str = "paid_on_time";
    /// Cancelled invoices by local issue date; drafts by local `updated_at` date.
    pub const CANCELLED: &str = "cancelled";
    pub const DRAFTS: &str = "drafts";

    /// Dispute outcome counts and amounts: `dispute_{status}`, `dispute_{status}_amount`.
    pub fn dispute(status: &str) -> String {
        format!("dispute_{status}")
    }
    pub fn dispute_amount(status: &str) -> String {
        format!("dispute_{status}_amount")
    }
}

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
