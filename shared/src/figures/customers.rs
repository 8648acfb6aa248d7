//! Customer figures from the per-customer measures (`customer_sales`
//! shards: `c{id}_placed`, `c{id}_revenue_bearing`, `c{id}_revenue`) summed
//! over the period and through its end, each customer's first order date,
//! and
//! from each customer's placed orders per local day (`customer_days`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{average, get, json as fixed, median_of, percent};
use crate::figures::{cents_to_decimal, decimal, to_count};
use crate::layout::{EntityMeasures, Measure, Measures, measure};
use crate::money::json;

/// One customer's totals over some range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerTotals {
    pub placed: Measure,
    pub revenue_bearing: Measure,
    pub revenue_cents: Measure,
}

impl CustomerTotals {
    pub fn revenue(&self) -> Decimal {
        cents_to_decimal(self.revenue_cents)
    }
    pub fn average_order_value(&self) -> Decimal {
        average(self.revenue(), self.revenue_bearing)
    }
}

/// Customer id -> totals, from summed `customer_sales` measures.
pub type CustomerMap = BTreeMap<i64, CustomerTotals>;

/// Per-customer totals from each customer's summed `customer_sales`
/// measures; customers with nothing left (all zero) are dropped.
pub fn per_customer(customers: &EntityMeasures) -> CustomerMap {
    customers
        .iter()
        .map(|(id, m)| {
            let totals = CustomerTotals {
                placed: get(m, measure::PLACED),
                revenue_bearing: get(m, measure::REVENUE_BEARING),
                revenue_cents: get(m, measure::REVENUE),
            };
            (*id, totals)
        })
        .filter(|(_, t)| *t != CustomerTotals::default())
        .collect()
}

/// A customer's placed orders per local day (`customer_days` item).
pub type OrderDays = BTreeMap<NaiveDate, Measure>;

/// Reads a `customer_days` item's measures.
pub fn order_days(measures: &Measures) -> OrderDays {
    measures
        .iter()
        .filter_map(|(name, n)| Some((measure::day_of_order_day(name)?, *n)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// A customer's orders of one local day (`customer_days`): placed and
/// revenue-bearing orders, revenue in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayTotals {
    pub placed: Measure,
    pub bearing: Measure,
    pub revenue: Measure,
}

impl DayTotals {
    pub fn plus(self, other: &DayTotals) -> DayTotals {
        DayTotals {
            placed: self.placed.saturating_add(other.placed),
            bearing: self.bearing.saturating_add(other.bearing),
            revenue: self.revenue.saturating_add(other.revenue),
        }
    }
}

/// A customer's days, from their `customer_days` item's measures.
pub fn day_totals(measures: &Measures) -> BTreeMap<NaiveDate, DayTotals> {
    let mut days: BTreeMap<NaiveDate, DayTotals> = BTreeMap::new();
    for (name, v) in measures {
        let Some((kind, date)) = measure::customer_day_of(name) else { continue };
        let day = days.entry(date).or_default();
        let total = match kind {
            'd' => &mut day.placed,
            'r' => &mut day.bearing,
            _ => &mut day.revenue,
        };
        *total = total.saturating_add(*v);
    }
    days
}

/// What one customer adds to the sums read by ranges that end at the
/// latest data, as (day, measure, amount), each added under the day's
/// D/M/Y buckets: their lifetime revenue and revenue-bearing orders on
/// their first placed order day (`new_lifetime_*`), and when their lifetime
/// revenue reaches `vip_cents`, 1 on their last placed order day
/// (`vip_now`) and their revenue of each day (`vip_now_*`). Over a range
/// ending at the latest data, these sum to its new customers' revenue and
/// its VIP customers; over a range ending before it, they do for every
/// customer with no order after its end, and [`ending_now`] of the others'
/// days through the end corrects the rest.
pub fn ending_now(
    days: &BTreeMap<NaiveDate, DayTotals>,
    vip_cents: Measure,
) -> Vec<(NaiveDate, &'static str, Measure)> {
    let mut placed = days.iter().filter(|(_, d)| d.placed > 0).map(|(day, _)| *day);
    let Some(first) = placed.next() else { return Vec::new() };
    let last = placed.next_back().unwrap_or(first);
    let lifetime = days.values().fold(DayTotals::default(), |acc, d| acc.plus(d));
    let mut out = vec![
        (first, measure::NEW_LIFETIME_REVENUE, lifetime.revenue),
        (first, measure::NEW_LIFETIME_BEARING, lifetime.bearing),
    ];
    if lifetime.revenue >= vip_cents {
        out.push((last, measure::VIP_NOW, 1));
        for (day, d) in days {
            out.push((*day, measure::VIP_NOW_REVENUE, d.revenue));
            out.push((*day, measure::VIP_NOW_BEARING, d.bearing));
        }
    }
    out.retain(|(_, _, v)| *v != 0);
    out
}

/// The VIP threshold (`vip_lifetime_revenue`) in cents; past what cents
/// can hold, no customer reaches it.
pub fn vip_cents(threshold: Decimal) -> Measure {
    crate::money::to_cents(threshold).map_or(Measure::MAX, Measure::from)
}

/// What turns the sums of [`ending_now`] and the lifetime histogram, which
/// hold every customer's days to the latest data, into those of a range
/// ending at `range.to`, given the days of every customer with an order
/// after it: their [`ending_now`] measures through the end minus those of
/// all their days (dated in the range), and their histogram entries to
/// take out and put back (value, -1 or +1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PastEndCorrection {
    pub measures: Measures,
    pub lifetimes: Vec<(Measure, Measure)>,
}

pub fn past_end_correction<'d>(
    customers: impl IntoIterator<Item = &'d BTreeMap<NaiveDate, DayTotals>>,
    range: crate::periods::DateRange,
    vip_cents: Measure,
) -> PastEndCorrection {
    let mut out = PastEndCorrection::default();
    for days in customers {
        let through: BTreeMap<NaiveDate, DayTotals> =
            days.range(..=range.to).map(|(day, d)| (*day, *d)).collect();
        for (sign, days) in [(-1, days), (1, &through)] {
            for (day, name, v) in ending_now(days, vip_cents) {
                if range.from <= day && day <= range.to {
                    let total = out.measures.entry(name.to_owned()).or_default();
                    *total = total.saturating_add(sign * v);
                }
            }
            if let Some(value) = lifetime_entry(days) {
                out.lifetimes.push((value, sign));
            }
        }
    }
    out.measures.retain(|_, v| *v != 0);
    out
}

/// A customer's value in the lifetime histogram: their revenue, once they
/// have a revenue-bearing order.
pub fn lifetime_entry(days: &BTreeMap<NaiveDate, DayTotals>) -> Option<Measure> {
    let lifetime = days.values().fold(DayTotals::default(), |acc, d| acc.plus(d));
    (lifetime.bearing > 0).then_some(lifetime.revenue)
}

/// The customers of a period: who bought in it, and their history.
#[derive(Debug, Clone, Default)]
pub struct CustomerSets {
    /// Totals in the period.
    pub period: CustomerMap,
    /// First placed order date (any rep) of each customer active in the
    /// period, and the period's first day.
    pub first_orders: BTreeMap<i64, NaiveDate>,
    pub from: NaiveDate,
    /// Totals through the period's last day (lifetime up to its end):
    /// of every customer for lifetime values and purchase frequency, of
    /// the period's customers at least for segmentation and top customers
    /// (what `AggregateReader::customer_sets` reads).
    pub through: CustomerMap,
}

impl CustomerSets {
    /// Customers with a placed order in the period.
    pub fn active(&self) -> impl Iterator<Item = (&i64, &CustomerTotals)> {
        self.period.iter().filter(|(_, t)| t.placed > 0)
    }
    /// New: first placed order ever is in the period.
    pub fn is_new(&self, id: i64) -> bool {
        self.first_orders.get(&id).is_none_or(|first| *first >= self.from)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerMetrics {
    pub unique_customers: u64,
    pub new_customers: u64,
    pub returning_customers: u64,
    #[serde(serialize_with = "json::percent")]
    pub repeat_customer_rate: Decimal,
    #[serde(serialize_with = "fixed::ratio")]
    pub average_orders_per_customer: Decimal,
}

/// How many customers bought in a period, and how many of them for the
/// first time: counted from the period's customers, or read from the
/// derived counts of a calendar bucket (`customer_counts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerCounts {
    pub unique: Measure,
    pub new: Measure,
}

impl CustomerCounts {
    pub fn of(sets: &CustomerSets) -> Self {
        let unique = sets.active().count() as Measure;
        let new = sets.active().filter(|(id, _)| sets.is_new(**id)).count() as Measure;
        CustomerCounts { unique, new }
    }

    /// From a `customer_counts` item's measures.
    pub fn from_measures(measures: &Measures) -> Self {
        let get = |name: &str| measures.get(name).copied().unwrap_or(0);
        CustomerCounts { unique: get(measure::UNIQUE_CUSTOMERS), new: get(measure::NEW_CUSTOMERS) }
    }

    pub fn returning(&self) -> Measure {
        self.unique.saturating_sub(self.new)
    }
}

/// `customer_metrics` of docs/metrics.md "Orders" (`total_orders`: placed
/// orders of the period).
pub fn customer_metrics(counts: CustomerCounts, total_orders: u64) -> CustomerMetrics {
    CustomerMetrics {
        unique_customers: to_count(counts.unique),
        new_customers: to_count(counts.new),
        returning_customers: to_count(counts.returning()),
        repeat_customer_rate: percent(counts.returning(), counts.unique),
        average_orders_per_customer: average(Decimal::from(total_orders), counts.unique),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub count: u64,
    #[serde(serialize_with = "json::money")]
    pub revenue: Decimal,
    #[serde(serialize_with = "json::money")]
    pub average_order_value: Decimal,
}

fn segment<'a>(members: impl Iterator<Item = &'a CustomerTotals>) -> Segment {
    let (mut count, mut sum) = (0u64, CustomerTotals::default());
    for t in members {
        count += 1;
        sum.revenue_bearing += t.revenue_bearing;
        sum.revenue_cents += t.revenue_cents;
    }
    Segment { count, revenue: sum.revenue(), average_order_value: sum.average_order_value() }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segmentation {
    pub new_customers: Segment,
    pub returning_customers: Segment,
    pub vip_customers: Segment,
}

/// `customer_segmentation`: revenue and AOV are of the period's orders;
/// VIP = lifetime revenue through the period's end >= `vip_threshold`.
pub fn segmentation(sets: &CustomerSets, vip_threshold: Decimal) -> Segmentation {
    let lifetime = |id: &i64| sets.through.get(id).map_or(Decimal::ZERO, CustomerTotals::revenue);
    Segmentation {
        new_customers: segment(sets.active().filter(|(id, _)| sets.is_new(**id)).map(|(_, t)| t)),
        returning_customers: segment(
            sets.active().filter(|(id, _)| !sets.is_new(**id)).map(|(_, t)| t),
        ),
        vip_customers: segment(
            sets.active().filter(|(id, _)| lifetime(id) >= vip_threshold).map(|(_, t)| t),
        ),
    }
}

fn segment_of(count: Measure, revenue_cents: Measure, bearing: Measure) -> Segment {
    let totals = CustomerTotals { placed: 0, revenue_bearing: bearing, revenue_cents };
    Segment {
        count: to_count(count),
        revenue: totals.revenue(),
        average_order_value: totals.average_order_value(),
    }
}

/// The sums `customer_segmentation` is made of: its customer counts, and
/// the new and VIP customers' revenue and revenue-bearing orders in the
/// period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentSums {
    pub unique: Measure,
    pub new: Measure,
    pub new_revenue: Measure,
    pub new_bearing: Measure,
    pub vip: Measure,
    pub vip_revenue: Measure,
    pub vip_bearing: Measure,
}

impl SegmentSums {
    /// A calendar bucket's, from its derived counts (`customer_counts`).
    pub fn of_bucket(bucket: &Measures) -> Self {
        let get = |name: &str| bucket.get(name).copied().unwrap_or(0);
        SegmentSums {
            unique: get(measure::UNIQUE_CUSTOMERS),
            new: get(measure::NEW_CUSTOMERS),
            new_revenue: get(measure::NEW_REVENUE),
            new_bearing: get(measure::NEW_BEARING),
            vip: get(measure::VIP_CUSTOMERS),
            vip_revenue: get(measure::VIP_REVENUE),
            vip_bearing: get(measure::VIP_BEARING),
        }
    }

    /// Any range that ends at the latest data, from its customer counts
    /// and the `customer_counts` measures summed over its cover: its new
    /// customers' orders are all their orders, dated by their first day
    /// (`new_lifetime_*`); its VIP customers are today's VIPs whose last
    /// order day is in it (`vip_now`), with their revenue by day.
    pub fn ending_now(counts: CustomerCounts, summed: &Measures) -> Self {
        let get = |name: &str| summed.get(name).copied().unwrap_or(0);
        SegmentSums {
            unique: counts.unique,
            new: counts.new,
            new_revenue: get(measure::NEW_LIFETIME_REVENUE),
            new_bearing: get(measure::NEW_LIFETIME_BEARING),
            vip: get(measure::VIP_NOW),
            vip_revenue: get(measure::VIP_NOW_REVENUE),
            vip_bearing: get(measure::VIP_NOW_BEARING),
        }
    }
}

/// `customer_segmentation` from its sums and the `orders` measures of the
/// same period: the returning customers are the others.
pub fn segmentation_of_sums(sums: &SegmentSums, orders: &Measures) -> Segmentation {
    let get = |name: &str| orders.get(name).copied().unwrap_or(0);
    let (revenue, bearing) = (get(measure::REVENUE), get(measure::REVENUE_BEARING));
    Segmentation {
        new_customers: segment_of(sums.new, sums.new_revenue, sums.new_bearing),
        returning_customers: segment_of(
            sums.unique.saturating_sub(sums.new),
            revenue.saturating_sub(sums.new_revenue),
            bearing.saturating_sub(sums.new_bearing),
        ),
        vip_customers: segment_of(sums.vip, sums.vip_revenue, sums.vip_bearing),
    }
}

/// `purchase_frequency` through a date from the dated buyer counts
/// (`customer_counts` summed through it).
pub fn purchase_frequency_of_counts(through: &Measures) -> PurchaseFrequency {
    let get = |name: &str| through.get(name).copied().unwrap_or(0);
    let buyers = get(measure::BUYERS);
    PurchaseFrequency {
        average_orders_per_customer: average(decimal(get(measure::BUYER_ORDERS)), buyers),
        repeat_purchase_rate: percent(get(measure::REPEAT_BUYERS), buyers),
        time_between_purchases_days: average(decimal(get(measure::GAP_DAYS)), get(measure::GAPS)),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LifetimeValue {
    #[serde(serialize_with = "json::money")]
    pub average: Decimal,
    #[serde(serialize_with = "json::money")]
    pub median: Decimal,
    #[serde(serialize_with = "json::money")]
    pub top_10_percent: Decimal,
}

/// Lifetime revenue through the period's end of every customer with a
/// revenue-bearing order by then.
fn lifetime_values(sets: &CustomerSets) -> Vec<Decimal> {
    sets.through.values().filter(|t| t.revenue_bearing > 0).map(CustomerTotals::revenue).collect()
}

/// `customer_lifetime_value`: average, exact median, and the average of
/// the top ceil(n / 10) customers.
pub fn lifetime_value(sets: &CustomerSets) -> LifetimeValue {
    let mut values = lifetime_values(sets);
    let n = values.len() as i64;
    let total: Decimal = values.iter().sum();
    let median = median_of(&mut values);
    let top_n = (n + 9) / 10;
    let top: Decimal = values.iter().rev().take(top_n as usize).sum();
    LifetimeValue { average: average(total, n), median, top_10_percent: average(top, top_n) }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurchaseFrequency {
    #[serde(serialize_with = "fixed::ratio")]
    pub average_orders_per_customer: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub repeat_purchase_rate: Decimal,
    #[serde(serialize_with = "json::days")]
    pub time_between_purchases_days: Decimal,
}

/// `purchase_frequency` over the customers with a revenue-bearing order
/// through the period's end; gaps are between the local dates of
/// consecutive placed orders up to `end` (two orders on one day: a gap of 0).
pub fn purchase_frequency(
    sets: &CustomerSets,
    days: &BTreeMap<i64, OrderDays>,
    end: NaiveDate,
) -> PurchaseFrequency {
    let customers: Vec<(&i64, &CustomerTotals)> =
        sets.through.iter().filter(|(_, t)| t.revenue_bearing > 0).collect();
    let n = customers.len() as i64;
    let placed: Measure = customers.iter().map(|(_, t)| t.placed).sum();
    let repeat = customers.iter().filter(|(_, t)| t.placed >= 2).count() as i64;
    let (mut gap_days, mut gaps): (i64, Measure) = (0, 0);
    for (id, _) in &customers {
        let Some(history) = days.get(id) else { continue };
        let upto: Vec<(&NaiveDate, &Measure)> = history.range(..=end).collect();
        if let (Some((first, _)), Some((last, _))) = (upto.first(), upto.last()) {
            // The gaps between consecutive orders add up to last - first.
            gap_days += (**last - **first).num_days();
            gaps += upto.iter().map(|(_, n)| **n).sum::<Measure>() - 1;
        }
    }
    PurchaseFrequency {
        average_orders_per_customer: average(decimal(placed), n),
        repeat_purchase_rate: percent(repeat, n),
        time_between_purchases_days: average(Decimal::from(gap_days), gaps),
    }
}

/// A customer's first placed order date.
pub fn customer_since(days: &OrderDays) -> Option<NaiveDate> {
    days.keys().next().copied()
}

/// Customers with a placed order in the period, by period revenue
/// descending, ties by id ascending.
pub fn ranked(sets: &CustomerSets) -> Vec<(i64, CustomerTotals)> {
    let mut rows: Vec<(i64, CustomerTotals)> = sets.active().map(|(id, t)| (*id, *t)).collect();
    rows.sort_by(|a, b| b.1.revenue_cents.cmp(&a.1.revenue_cents).then(a.0.cmp(&b.0)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_range_ending_before_a_later_order_is_corrected_to_its_end() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let days = BTreeMap::from([
            (day("2025-01-10"), DayTotals { placed: 1, bearing: 1, revenue: 600 }),
            (day("2025-03-05"), DayTotals { placed: 1, bearing: 1, revenue: 700 }),
        ]);
        // Today: a VIP (1 300 >= 1 000), new on Jan 10, last seen Mar 5.
        let now = ending_now(&days, 1_000);
        assert!(now.contains(&(day("2025-01-10"), measure::NEW_LIFETIME_REVENUE, 1_300)));
        assert!(now.contains(&(day("2025-03-05"), measure::VIP_NOW, 1)));
        assert!(now.contains(&(day("2025-01-10"), measure::VIP_NOW_REVENUE, 600)));
        // January alone: new with 600 of revenue, not a VIP by then.
        let january = crate::periods::DateRange::new(day("2025-01-01"), day("2025-01-31"));
        let fix = past_end_correction([&days], january, 1_000);
        let expected = Measures::from([
            (measure::NEW_LIFETIME_REVENUE.to_owned(), -700),
            (measure::NEW_LIFETIME_BEARING.to_owned(), -1),
            (measure::VIP_NOW_REVENUE.to_owned(), -600),
            (measure::VIP_NOW_BEARING.to_owned(), -1),
        ]);
        assert_eq!(fix.measures, expected);
        assert_eq!(fix.lifetimes, vec![(1_300, -1), (600, 1)]);
        // A range ending after both orders needs nothing.
        let year = crate::periods::DateRange::new(day("2025-01-01"), day("2025-12-31"));
        let none = past_end_correction([&days], year, 1_000);
        assert!(none.measures.is_empty());
        assert_eq!(none.lifetimes, vec![(1_300, -1), (1_300, 1)]);
    }

    fn totals(placed: i64, revenue_bearing: i64, revenue_cents: i64) -> CustomerTotals {
        CustomerTotals {
            placed: placed.into(),
            revenue_bearing: revenue_bearing.into(),
            revenue_cents: revenue_cents.into(),
        }
    }

    #[test]
    fn parses_customer_measures() {
        let measures =
            |pairs: &[(&str, Measure)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let m = EntityMeasures::from([
            (7, measures(&[("placed", 2), ("revenue", 1050), ("revenue_bearing", 1), ("x", 1)])),
            (9, measures(&[("placed", 0)])),
        ]);
        assert_eq!(per_customer(&m), CustomerMap::from([(7, totals(2, 1, 1050))]));
    }

    #[test]
    fn lifetime_value_by_hand() {
        // Lifetime revenue 100, 200, 300, 400 (and one customer who only
        // cancelled: no revenue-bearing order, left out).
        let through = CustomerMap::from([
            (1, totals(1, 1, 10000)),
            (2, totals(2, 2, 20000)),
            (3, totals(1, 1, 30000)),
            (4, totals(5, 4, 40000)),
            (5, totals(1, 0, 0)),
        ]);
        let sets = CustomerSets { through, ..Default::default() };
        let ltv = lifetime_value(&sets);
        assert_eq!(ltv.average, dec!(250));
        assert_eq!(ltv.median, dec!(250));
        // ceil(4 / 10) = 1 customer: the top one.
        assert_eq!(ltv.top_10_percent, dec!(400));
    }

    #[test]
    fn purchase_frequency_by_hand() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let through = CustomerMap::from([(1, totals(3, 3, 300)), (2, totals(1, 1, 100))]);
        let sets = CustomerSets { through, ..Default::default() };
        // Customer 1: Jan 1, Jan 11 twice (gaps 10 and 0); a later order
        // (Feb 1) is after the end and left out. Customer 2: one order.
        let days = BTreeMap::from([
            (
                1,
                OrderDays::from([(d("2025-01-01"), 1), (d("2025-01-11"), 2), (d("2025-02-01"), 1)]),
            ),
            (2, OrderDays::from([(d("2025-01-05"), 1)])),
        ]);
        let f = purchase_frequency(&sets, &days, d("2025-01-31"));
        assert_eq!(f.average_orders_per_customer, dec!(2));
        assert_eq!(f.repeat_purchase_rate, dec!(50));
        assert_eq!(f.time_between_purchases_days, dec!(5));
    }
}
