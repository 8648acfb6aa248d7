//! Order figures (docs/metrics.md "Orders"): `GET /orders/performance-metrics`,
//! `GET /orders?group_by=status`, high-value orders and the recent-orders
//! widget, from the `orders` measures (or a rep's `orders@rep` slice) of a
//! period and the order index rows.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::customers::{CustomerCounts, CustomerMetrics, customer_metrics};
use super::{Keyed, average, complement, count, get, histogram, histogram_median, money, percent};
use crate::figures::cents_to_decimal;
use crate::layout::{Measure, Measures, measure};
use crate::money::json;
use crate::periods::DateRange;
use crate::records::{OrderSource, OrderStatus, StrEnum};
use crate::sketch;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodDates {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl From<DateRange> for PeriodDates {
    fn from(r: DateRange) -> Self {
        PeriodDates { from: r.from, to: r.to }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderMetrics {
    pub total_orders: u64,
    #[serde(serialize_with = "json::money")]
    pub total_revenue: Decimal,
    #[serde(serialize_with = "json::money")]
    pub average_order_value: Decimal,
    #[serde(serialize_with = "json::money")]
    pub median_order_value: Decimal,
    #[serde(serialize_with = "json::opt_money")]
    pub highest_order_value: Option<Decimal>,
    #[serde(serialize_with = "json::opt_money")]
    pub lowest_order_value: Option<Decimal>,
    pub orders_by_status: Keyed<u64>,
    #[serde(serialize_with = "json::percent")]
    pub cancellation_rate: Decimal,
}

/// Counts by current status, all eight keys, drafts included.
pub fn orders_by_status(orders: &Measures) -> Keyed<u64> {
    OrderStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), count(orders, &measure::status(s.as_str()))))
        .collect()
}

/// Highest and lowest `total_amount` of the period's revenue-bearing
/// orders, in cents, as read from the by-amount index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extremes {
    pub highest_cents: Option<i64>,
    pub lowest_cents: Option<i64>,
}

pub fn order_metrics(orders: &Measures, extremes: Extremes) -> OrderMetrics {
    let revenue = money(orders, measure::REVENUE);
    OrderMetrics {
        total_orders: count(orders, measure::PLACED),
        total_revenue: revenue,
        average_order_value: average(revenue, get(orders, measure::REVENUE_BEARING)),
        median_order_value: sketch::median(orders).unwrap_or_default(),
        highest_order_value: extremes.highest_cents.map(cents_to_decimal),
        lowest_order_value: extremes.lowest_cents.map(cents_to_decimal),
        orders_by_status: orders_by_status(orders),
        cancellation_rate: cancellation_rate(orders),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FulfillmentMetrics {
    #[serde(serialize_with = "json::days")]
    pub average_fulfillment_days: Decimal,
    #[serde(serialize_with = "json::days")]
    pub median_fulfillment_days: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub on_time_delivery_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub late_delivery_rate: Decimal,
    pub fastest_fulfillment_days: Option<i64>,
    pub slowest_fulfillment_days: Option<i64>,
    pub orders_pending_fulfillment: u64,
}

pub fn fulfillment_metrics(orders: &Measures) -> FulfillmentMetrics {
    let hist = histogram(orders, measure::FULFILLMENT_DAYS_BINS);
    let promised = get(orders, measure::DELIVERY_PROMISED);
    let on_time = percent(get(orders, measure::DELIVERED_ON_TIME), promised);
    FulfillmentMetrics {
        average_fulfillment_days: average(
            crate::figures::decimal(get(orders, measure::FULFILLMENT_DAYS)),
            get(orders, measure::FULFILLED),
        ),
        median_fulfillment_days: histogram_median(&hist).unwrap_or_default(),
        on_time_delivery_rate: on_time,
        late_delivery_rate: complement(on_time, promised),
        fastest_fulfillment_days: hist.keys().next().copied(),
        slowest_fulfillment_days: hist.keys().next_back().copied(),
        orders_pending_fulfillment: count(orders, measure::PENDING_FULFILLMENT),
    }
}

/// `cancellation_rate`: cancelled over placed orders.
pub fn cancellation_rate(orders: &Measures) -> Decimal {
    percent(
        get(orders, &measure::status(OrderStatus::Cancelled.as_str())),
        get(orders, measure::PLACED),
    )
}

/// `return_rate`: returned over delivered revenue-bearing orders.
pub fn return_rate(orders: &Measures) -> Decimal {
    percent(
        get(orders, measure::REVENUE_BEARING_RETURNED),
        get(orders, measure::REVENUE_BEARING_DELIVERED),
    )
}

/// `order_accuracy_rate`: delivered orders without a fulfillment error.
pub fn order_accuracy_rate(orders: &Measures) -> Decimal {
    percent(get(orders, measure::DELIVERED_ACCURATE), get(orders, measure::DELIVERED))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceFigures {
    pub count: u64,
    #[serde(serialize_with = "json::money")]
    pub revenue: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelMetrics {
    pub by_source: Keyed<SourceFigures>,
}

pub fn channel_metrics(orders: &Measures) -> ChannelMetrics {
    ChannelMetrics {
        by_source: OrderSource::ALL
            .iter()
            .map(|s| {
                let s = s.as_str();
                let figures = SourceFigures {
                    count: count(orders, &measure::source_placed(s)),
                    revenue: money(orders, &measure::source_revenue(s)),
                };
                (s.to_owned(), figures)
            })
            .collect(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesRepRow {
    pub sales_rep_id: i64,
    pub name: String,
    pub orders: u64,
    #[serde(serialize_with = "json::money")]
    pub revenue: Decimal,
    #[serde(serialize_with = "json::money")]
    pub average_order_value: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub win_rate: Decimal,
}

/// `top_sales_reps`: reps with placed orders in the period, by revenue
/// descending (ties by id), the first `limit`. `reps`: (id, name, the
/// rep's `orders@rep` measures over the period).
pub fn top_sales_reps(reps: Vec<(i64, String, Measures)>, limit: usize) -> Vec<SalesRepRow> {
    let mut rows: Vec<(Measure, SalesRepRow)> = reps
        .into_iter()
        .filter(|(_, _, m)| get(m, measure::PLACED) > 0)
        .map(|(id, name, m)| {
            let revenue = money(&m, measure::REVENUE);
            let row = SalesRepRow {
                sales_rep_id: id,
                name,
                orders: count(&m, measure::PLACED),
                revenue,
                average_order_value: average(revenue, get(&m, measure::REVENUE_BEARING)),
                win_rate: percent(get(&m, measure::REVENUE_BEARING), get(&m, measure::PLACED)),
            };
            (get(&m, measure::REVENUE), row)
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.sales_rep_id.cmp(&b.1.sales_rep_id)));
    rows.into_iter().take(limit).map(|(_, row)| row).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerformanceMetrics {
    pub period: PeriodDates,
    pub order_metrics: OrderMetrics,
    pub fulfillment_metrics: FulfillmentMetrics,
    pub customer_metrics: CustomerMetrics,
    pub channel_metrics: ChannelMetrics,
    pub top_sales_reps: Vec<SalesRepRow>,
}

/// Everything `GET /orders/performance-metrics` needs.
pub struct PerformanceInputs {
    pub period: DateRange,
    /// `orders` (or the rep's slice) summed over the period.
    pub orders: Measures,
    pub extremes: Extremes,
    /// Customers of the period (all reps, or the one filtered on).
    pub customers: CustomerCounts,
    pub reps: Vec<(i64, String, Measures)>,
    pub limit: usize,
}

pub fn performance_metrics(inputs: PerformanceInputs) -> PerformanceMetrics {
    let orders = &inputs.orders;
    let order_metrics = order_metrics(orders, inputs.extremes);
    PerformanceMetrics {
        period: inputs.period.into(),
        customer_metrics: customer_metrics(inputs.customers, order_metrics.total_orders),
        order_metrics,
        fulfillment_metrics: fulfillment_metrics(orders),
        channel_metrics: channel_metrics(orders),
        top_sales_reps: top_sales_reps(inputs.reps, inputs.limit),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusGroup {
    pub count: u64,
    #[serde(serialize_with = "json::money")]
    pub total_value: Decimal,
}

/// `GET /orders?group_by=status`: every status, drafts included.
pub fn by_status(orders: &Measures) -> Keyed<StatusGroup> {
    OrderStatus::ALL
        .iter()
        .map(|s| {
            let s = s.as_str();
            let group = StatusGroup {
                count: count(orders, &measure::status(s)),
                total_value: money(orders, &measure::status_value(s)),
            };
            (s.to_owned(), group)
        })
        .collect()
}

/// An order as the by-amount and recent-orders indexes hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub order_id: i64,
    pub order_number: String,
    pub customer_id: i64,
    pub sales_rep_id: Option<i64>,
    pub total_cents: i64,
    pub status: String,
    pub ordered_on: NaiveDate,
}

impl OrderRow {
    pub fn is_revenue_bearing(&self) -> bool {
        self.status != OrderStatus::Draft.as_str() && self.status != OrderStatus::Cancelled.as_str()
    }
}

/// A row of the recent-orders widget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecentOrder {
    pub id: i64,
    pub order_number: String,
    pub customer_name: String,
    #[serde(serialize_with = "json::money")]
    pub total_amount: Decimal,
    pub status: String,
    pub order_date: NaiveDate,
}

impl RecentOrder {
    pub fn of(order: OrderRow, customer_name: String) -> Self {
        RecentOrder {
            id: order.order_id,
            order_number: order.order_number,
            customer_name,
            total_amount: cents_to_decimal(order.total_cents),
            status: order.status,
            order_date: order.ordered_on,
        }
    }
}

/// The customer (`company_name`) or sales rep (`name`) of a high-value order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Party {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A row of `/orders/high-value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HighValueOrder {
    pub id: i64,
    pub order_number: String,
    pub customer: Party,
    #[serde(serialize_with = "json::money")]
    pub total_amount: Decimal,
    pub order_date: NaiveDate,
    pub status: String,
    pub sales_rep: Option<Party>,
}

impl HighValueOrder {
    /// The row of `order`, with its customer's company name and its rep's
    /// name (empty when not known).
    pub fn of(order: OrderRow, customer_name: String, rep_name: impl Fn(i64) -> String) -> Self {
        HighValueOrder {
            id: order.order_id,
            order_number: order.order_number,
            customer: Party {
                id: order.customer_id,
                company_name: Some(customer_name),
                name: None,
            },
            total_amount: cents_to_decimal(order.total_cents),
            order_date: order.ordered_on,
            status: order.status,
            sales_rep: order.sales_rep_id.map(|id| Party {
                id,
                company_name: None,
                name: Some(rep_name(id)),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HighValueMeta {
    pub total_orders: u64,
    #[serde(serialize_with = "json::money")]
    pub total_value: Decimal,
    #[serde(serialize_with = "json::money")]
    pub average_value: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub percentage_of_total_revenue: Decimal,
}

/// The high-value orders of one `status`: those of at least
/// `minimum_cents`, largest first, ties by id.
pub fn high_value_of_status(
    orders: Vec<OrderRow>,
    minimum_cents: i64,
    status: &str,
) -> Vec<OrderRow> {
    let mut matching: Vec<OrderRow> = orders
        .into_iter()
        .filter(|o| o.total_cents >= minimum_cents && o.status == status)
        .collect();
    matching.sort_by(|a, b| b.total_cents.cmp(&a.total_cents).then(a.order_id.cmp(&b.order_id)));
    matching
}

/// `meta` of high-value orders over every matching order (not the page);
/// `period_revenue_cents`: the period's total_revenue.
pub fn high_value_meta(matching: &[OrderRow], period_revenue_cents: Measure) -> HighValueMeta {
    let total: Measure = matching.iter().map(|o| Measure::from(o.total_cents)).sum();
    high_value_meta_of(matching.len() as Measure, total, period_revenue_cents)
}

/// `meta` of high-value orders from their count and value.
pub fn high_value_meta_of(
    count: Measure,
    value: Measure,
    period_revenue_cents: Measure,
) -> HighValueMeta {
    HighValueMeta {
        total_orders: u64::try_from(count).unwrap_or(0),
        total_value: cents_to_decimal(value),
        average_value: average(cents_to_decimal(value), count),
        percentage_of_total_revenue: percent(value, period_revenue_cents),
    }
}

/// How `meta` of the revenue-bearing orders of at least `minimum_cents`
/// splits over the high-value bands (`measure::high_value_edge`): whole
/// bands from `first_band` up, summed from the period's `orders`
/// measures, and the orders with `minimum_cents <= total < below_cents`
/// (none when the minimum is a band edge) read from the amount index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HighValueSplit {
    pub first_band: usize,
    pub below_cents: i64,
}

impl HighValueSplit {
    pub fn of(minimum_cents: i64) -> Self {
        let first_band = (0..measure::HIGH_VALUE_BANDS)
            .find(|k| measure::high_value_edge(*k).is_some_and(|edge| edge >= minimum_cents))
            .unwrap_or(measure::HIGH_VALUE_BANDS);
        let below_cents = measure::high_value_edge(first_band).unwrap_or(i64::MAX);
        HighValueSplit { first_band, below_cents }
    }

    /// Count and value of the orders in the whole bands.
    pub fn bands(&self, orders: &Measures) -> (Measure, Measure) {
        let (mut count, mut value) = (0, 0);
        for (name, v) in orders {
            match measure::high_value_of(name) {
                Some((k, 'n')) if k >= self.first_band => count += v,
                Some((k, 'v')) if k >= self.first_band => value += v,
                _ => {}
            }
        }
        (count, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn m(pairs: &[(&str, i64)]) -> Measures {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), Measure::from(*v))).collect()
    }

    #[test]
    fn high_value_orders_of_a_status_by_amount_then_id() {
        let row = |id: i64, cents: i64, status: &str| OrderRow {
            order_id: id,
            order_number: format!("ORD-{id}"),
            customer_id: 1,
            sales_rep_id: None,
            total_cents: cents,
            status: status.to_owned(),
            ordered_on: "2025-12-01".parse().unwrap(),
        };
        let orders = vec![
            row(1, 2_000_000, "shipped"),
            row(2, 5_000_000, "shipped"),
            row(3, 999_999, "shipped"),
            row(4, 2_000_000, "shipped"),
            row(5, 9_000_000, "cancelled"),
            row(6, 1_000_000, "shipped"),
        ];
        let ids: Vec<i64> =
            high_value_of_status(orders, 1_000_000, "shipped").iter().map(|o| o.order_id).collect();
        assert_eq!(ids, [2, 1, 4, 6]);
    }

    #[test]
    fn fulfillment_by_hand() {
        // Three shipped orders: 1, 2 and 6 days; two with a promise, one on time.
        let orders = m(&[
            ("fulfilled", 3),
            ("fulfillment_days", 9),
            ("fd1", 1),
            ("fd2", 1),
            ("fd6", 1),
            ("delivery_promised", 2),
            ("delivered_on_time", 1),
            ("pending_fulfillment", 4),
        ]);
        let f = fulfillment_metrics(&orders);
        assert_eq!(f.average_fulfillment_days, dec!(3));
        assert_eq!(f.median_fulfillment_days, dec!(2));
        assert_eq!((f.fastest_fulfillment_days, f.slowest_fulfillment_days), (Some(1), Some(6)));
        assert_eq!((f.on_time_delivery_rate, f.late_delivery_rate), (dec!(50), dec!(50)));
        assert_eq!(f.orders_pending_fulfillment, 4);
        let none = fulfillment_metrics(&Measures::new());
        assert_eq!((none.fastest_fulfillment_days, none.late_delivery_rate), (None, dec!(0)));
    }

    #[test]
    fn high_value_meta_adds_whole_bands_and_the_partial_one() {
        // Bands 3 (10 000.00 to 19 999.99) and 4 (20 000.00 to 49 999.99).
        let orders = m(&[
            ("hv2n", 5),
            ("hv2v", 3_000_000),
            ("hv3n", 2),
            ("hv3v", 2_500_000),
            ("hv4n", 1),
            ("hv4v", 2_000_000),
        ]);
        let at_edge = HighValueSplit::of(1_000_000);
        assert_eq!(at_edge, HighValueSplit { first_band: 3, below_cents: 1_000_000 });
        assert_eq!(at_edge.bands(&orders), (3, 4_500_000));
        // 15 000.00 is inside band 3: bands from 4 up, and the orders from
        // 15 000.00 to 19 999.99 read from the index.
        let inside = HighValueSplit::of(1_500_000);
        assert_eq!(inside, HighValueSplit { first_band: 4, below_cents: 2_000_000 });
        assert_eq!(inside.bands(&orders), (1, 2_000_000));
        // Below the floor: every band, and the orders below 1 000.00.
        let low = HighValueSplit::of(50_000);
        assert_eq!((low.first_band, low.below_cents), (0, 100_000));
        assert_eq!(low.bands(&orders), (8, 7_500_000));
        // Past the last edge (no total gets there): no band.
        assert_eq!(HighValueSplit::of(i64::MAX).bands(&orders), (0, 0));
        let meta = high_value_meta_of(3, 4_500_000, 18_000_000);
        assert_eq!(meta.total_orders, 3);
        assert_eq!(meta.average_value, dec!(15000));
        assert_eq!(meta.percentage_of_total_revenue, dec!(25));
    }

    #[test]
    fn reps_rank_by_revenue_then_id() {
        let reps = vec![
            (7, "B".to_owned(), m(&[("placed", 2), ("revenue_bearing", 1), ("revenue", 500)])),
            (3, "A".to_owned(), m(&[("placed", 4), ("revenue_bearing", 3), ("revenue", 500)])),
            (9, "C".to_owned(), m(&[("status_draft", 1)])),
        ];
        let rows = top_sales_reps(reps, 10);
        assert_eq!(rows.iter().map(|r| r.sales_rep_id).collect::<Vec<_>>(), vec![3, 7]);
        assert_eq!(rows[0].win_rate, dec!(75));
        assert_eq!(rows[1].average_order_value, dec!(5));
    }
}
