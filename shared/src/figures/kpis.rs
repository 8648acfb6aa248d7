//! `GET /dashboard/performance` (docs/metrics.md, "KPIs"),
//! `GET /dashboard/customer-analytics` and the top-customers
//! widget, composed from the order, customer and invoice figures.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::customers::{
    CustomerCounts, CustomerMap, CustomerSets, CustomerTotals, LifetimeValue, OrderDays,
    PurchaseFrequency, Segmentation, lifetime_value, purchase_frequency, ranked, segmentation,
};
use super::invoices::{collection_rate, days_sales_outstanding};
use super::orders::{cancellation_rate, fulfillment_metrics, order_accuracy_rate, return_rate};
use super::{average, get, json as fixed, money, percent};
use crate::figures::cents_to_decimal;
use crate::layout::{Measure, Measures, measure};
use crate::money::{change_percentage, json, ratio_or_zero};
use crate::periods::{DateRange, month_range};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Performance {
    pub revenue_kpis: RevenueKpis,
    pub efficiency_kpis: EfficiencyKpis,
    pub customer_kpis: CustomerKpis,
    pub operational_kpis: OperationalKpis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueKpis {
    #[serde(serialize_with = "json::money")]
    pub monthly_recurring_revenue: Decimal,
    #[serde(serialize_with = "json::money")]
    pub annual_run_rate: Decimal,
    #[serde(serialize_with = "json::opt_percent")]
    pub revenue_growth_rate: Option<Decimal>,
    #[serde(serialize_with = "json::money")]
    pub revenue_per_customer: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EfficiencyKpis {
    #[serde(serialize_with = "json::days")]
    pub order_to_cash_cycle_days: Decimal,
    #[serde(serialize_with = "json::days")]
    pub days_sales_outstanding: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub collection_efficiency: Decimal,
    #[serde(serialize_with = "json::days")]
    pub order_fulfillment_time_days: Decimal,
    #[serde(serialize_with = "json::opt_percent")]
    pub collection_effectiveness_index: Option<Decimal>,
    #[serde(serialize_with = "json::days")]
    pub best_possible_dso: Decimal,
    #[serde(serialize_with = "json::days")]
    pub average_days_delinquent: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerKpis {
    #[serde(serialize_with = "json::money")]
    pub customer_acquisition_cost: Decimal,
    #[serde(serialize_with = "json::money")]
    pub customer_lifetime_value: Decimal,
    #[serde(serialize_with = "fixed::opt_ratio")]
    pub ltv_to_cac_ratio: Option<Decimal>,
    #[serde(serialize_with = "json::percent")]
    pub customer_retention_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub churn_rate: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationalKpis {
    #[serde(serialize_with = "json::percent")]
    pub order_accuracy_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub on_time_delivery_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub order_cancellation_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub return_rate: Decimal,
}

/// Receivables figures of a period, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Receivables {
    /// Open balance at the end of the day before the period.
    pub opening: Measure,
    /// Open balance at the end of the period.
    pub closing: Measure,
    /// Open balance at the period's end of invoices not yet due then.
    pub closing_current: Measure,
}

/// One order's cash cycle: its local order date and the local date its
/// invoice (the latest, with several) reached balance 0 by payments.
/// Order-to-cash cycles of a period's orders: how many, and their days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CashCycles {
    pub count: Measure,
    pub days: Measure,
}

/// The customer figures of the KPIs, from the derived counts (calendar
/// periods) or from the period's customers (see the handler).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CustomerKpiInputs {
    pub counts: CustomerCounts,
    /// Average lifetime value through the period's end.
    pub lifetime_value: Decimal,
    /// Retention and churn against the previous period.
    pub retention: (Decimal, Decimal),
    /// Recurring revenue of the month holding the period's last day.
    pub recurring_revenue_cents: Measure,
}

/// Everything the KPIs need.
pub struct KpiInputs<'a> {
    pub period: DateRange,
    pub orders: &'a Measures,
    pub previous_orders: &'a Measures,
    pub invoices: &'a Measures,
    pub receivables: Receivables,
    pub customers: CustomerKpiInputs,
    /// Marketing spend per month (`YYYY-MM` -> amount).
    pub marketing_spend: &'a BTreeMap<String, Decimal>,
    /// The cash cycles of the period's orders.
    pub cash_cycles: CashCycles,
}

/// Average lifetime value through a date: revenue through it over the
/// customers with a revenue-bearing order by then (`buyers`).
pub fn average_lifetime_value(revenue_cents: Measure, buyers: Measure) -> Decimal {
    average(cents_to_decimal(revenue_cents), buyers)
}

/// Retention from the derived counts: customers of the previous bucket
/// (`previous_unique`) and those of them also in this one (`retained`).
pub fn retention_of_counts(previous_unique: Measure, retained: Measure) -> (Decimal, Decimal) {
    if previous_unique <= 0 {
        return (Decimal::ZERO, Decimal::ZERO);
    }
    let rate = percent(retained, previous_unique);
    (rate, Decimal::ONE_HUNDRED - rate)
}

/// Marketing spend of the months in `period`, prorated by days for the
/// months it covers partly; a month without a record is 0.
pub fn prorated_spend(period: DateRange, spend: &BTreeMap<String, Decimal>) -> Decimal {
    let mut total = Decimal::ZERO;
    let mut day = period.from;
    while day <= period.to {
        let month = month_range(day.year(), day.month());
        let overlap = DateRange::new(month.from.max(period.from), month.to.min(period.to));
        if let Some(amount) = spend.get(&crate::calendar::month_key(day)) {
            total += *amount * Decimal::from(overlap.days()) / Decimal::from(month.days());
        }
        match month.to.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    total
}

/// Revenue in a month from customers with a revenue-bearing order in the
/// month before.
pub fn monthly_recurring_revenue(month: &CustomerMap, before: &CustomerMap) -> Decimal {
    cents_to_decimal(
        month
            .iter()
            .filter(|(id, _)| before.get(id).is_some_and(|t| t.revenue_bearing > 0))
            .map(|(_, t)| t.revenue_cents)
            .sum::<Measure>(),
    )
}

/// Share of the previous period's customers who bought again in this one,
/// and its complement (both 0 when the previous period had none).
pub fn retention(previous: &CustomerMap, current: &CustomerMap) -> (Decimal, Decimal) {
    let before: Vec<&i64> =
        previous.iter().filter(|(_, t)| t.placed > 0).map(|(id, _)| id).collect();
    if before.is_empty() {
        return (Decimal::ZERO, Decimal::ZERO);
    }
    let kept =
        before.iter().filter(|id| current.get(id).is_some_and(|t| t.placed > 0)).count() as i64;
    let rate = percent(kept, before.len() as i64);
    (rate, Decimal::ONE_HUNDRED - rate)
}

pub fn performance(inputs: &KpiInputs) -> Performance {
    let (period, orders, invoices) = (inputs.period, inputs.orders, inputs.invoices);
    let revenue = money(orders, measure::REVENUE);
    let days = period.days();
    let customers = &inputs.customers;
    let (unique, new) = (customers.counts.unique, customers.counts.new);
    let fulfillment = fulfillment_metrics(orders);
    let invoiced_cents = get(invoices, measure::INVOICED);
    let r = inputs.receivables;
    let dso = days_sales_outstanding(r.closing, invoiced_cents, days);
    let best_dso = days_sales_outstanding(r.closing_current, invoiced_cents, days);
    let cei_base = r.opening + invoiced_cents - r.closing_current;
    let cei = (cei_base != 0).then(|| percent(r.opening + invoiced_cents - r.closing, cei_base));
    let cac_spend = prorated_spend(period, inputs.marketing_spend);
    let cac = average(cac_spend, new);
    let ltv = customers.lifetime_value;
    let (retention_rate, churn) = customers.retention;
    let cycles = inputs.cash_cycles;
    Performance {
        revenue_kpis: RevenueKpis {
            monthly_recurring_revenue: cents_to_decimal(customers.recurring_revenue_cents),
            annual_run_rate: ratio_or_zero(revenue * Decimal::from(365), Decimal::from(days)),
            revenue_growth_rate: change_percentage(
                revenue,
                money(inputs.previous_orders, measure::REVENUE),
            ),
            revenue_per_customer: average(revenue, unique),
        },
        efficiency_kpis: EfficiencyKpis {
            order_to_cash_cycle_days: average(crate::figures::decimal(cycles.days), cycles.count),
            days_sales_outstanding: dso,
            collection_efficiency: collection_rate(invoices),
            order_fulfillment_time_days: fulfillment.average_fulfillment_days,
            collection_effectiveness_index: cei,
            best_possible_dso: best_dso,
            average_days_delinquent: dso - best_dso,
        },
        customer_kpis: CustomerKpis {
            customer_acquisition_cost: cac,
            customer_lifetime_value: ltv,
            ltv_to_cac_ratio: (!cac.is_zero()).then(|| ltv / cac),
            customer_retention_rate: retention_rate,
            churn_rate: churn,
        },
        operational_kpis: OperationalKpis {
            order_accuracy_rate: order_accuracy_rate(orders),
            on_time_delivery_rate: fulfillment.on_time_delivery_rate,
            order_cancellation_rate: cancellation_rate(orders),
            return_rate: return_rate(orders),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopCustomer {
    pub customer_id: i64,
    pub customer_name: String,
    pub total_orders: u64,
    #[serde(serialize_with = "json::money")]
    pub total_revenue: Decimal,
    #[serde(serialize_with = "json::money")]
    pub average_order_value: Decimal,
}

/// The top-customers widget: the first `limit` customers by period revenue
/// (names are filled in by [`name_customers`]).
pub fn top_customers(sets: &CustomerSets, limit: usize) -> Vec<TopCustomer> {
    ranked(sets).into_iter().take(limit).map(|(id, t)| TopCustomer::of(id, &t)).collect()
}

impl TopCustomer {
    /// A row of the ranking (unnamed: see [`name_customers`]).
    pub fn of(id: i64, totals: &CustomerTotals) -> Self {
        TopCustomer {
            customer_id: id,
            customer_name: String::new(),
            total_orders: super::to_count(totals.placed),
            total_revenue: totals.revenue(),
            average_order_value: totals.average_order_value(),
        }
    }
}

/// Fills in the customers' names.
pub fn name_customers<'r>(
    rows: impl IntoIterator<Item = &'r mut TopCustomer>,
    names: &BTreeMap<i64, String>,
) {
    for row in rows {
        row.customer_name = names.get(&row.customer_id).cloned().unwrap_or_default();
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalyticsTopCustomer {
    #[serde(flatten)]
    pub customer: TopCustomer,
    pub customer_since: Option<NaiveDate>,
    #[serde(serialize_with = "json::money")]
    pub lifetime_value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerAnalytics {
    pub customer_segmentation: Segmentation,
    pub customer_lifetime_value: LifetimeValue,
    pub purchase_frequency: PurchaseFrequency,
    pub top_customers: Vec<AnalyticsTopCustomer>,
}

/// `GET /dashboard/customer-analytics`. `days`: the order days of every
/// customer with a revenue-bearing order through the period's end (names
/// of the top customers are filled in by [`name_customers`]).
pub fn customer_analytics(
    sets: &CustomerSets,
    days: &BTreeMap<i64, OrderDays>,
    end: NaiveDate,
    vip_threshold: Decimal,
    limit: usize,
) -> CustomerAnalytics {
    CustomerAnalytics {
        customer_segmentation: segmentation(sets, vip_threshold),
        customer_lifetime_value: lifetime_value(sets),
        purchase_frequency: purchase_frequency(sets, days, end),
        top_customers: analytics_top_customers(sets, limit),
    }
}

/// `top_customers` of customer analytics: the ranking with each customer's
/// first order date and lifetime value through the period's end (`sets`
/// needs `first_orders` and `through` for the period's customers only).
pub fn analytics_top_customers(sets: &CustomerSets, limit: usize) -> Vec<AnalyticsTopCustomer> {
    top_customers(sets, limit)
        .into_iter()
        .map(|customer| {
            let id = customer.customer_id;
            AnalyticsTopCustomer {
                customer_since: sets.first_orders.get(&id).copied(),
                lifetime_value: sets.through.get(&id).map_or(Decimal::ZERO, |t| t.revenue()),
                customer,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::customers::CustomerTotals;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn spend_is_prorated_by_days() {
        let spend = BTreeMap::from([
            ("2025-11".to_owned(), dec!(3000)),
            ("2025-12".to_owned(), dec!(3100)),
        ]);
        // Nov 21-30 (10 of 30 days) and Dec 1-10 (10 of 31 days).
        let period = DateRange::new(d("2025-11-21"), d("2025-12-10"));
        assert_eq!(prorated_spend(period, &spend), dec!(2000));
        assert_eq!(
            prorated_spend(DateRange::new(d("2026-01-01"), d("2026-01-31")), &spend),
            dec!(0)
        );
    }

    #[test]
    fn retention_and_mrr_by_hand() {
        let t = |placed, rb, cents| CustomerTotals {
            placed,
            revenue_bearing: rb,
            revenue_cents: cents,
        };
        let previous = CustomerMap::from([(1, t(1, 1, 100)), (2, t(1, 0, 0)), (3, t(2, 2, 300))]);
        let current = CustomerMap::from([(1, t(1, 1, 500)), (4, t(1, 1, 700))]);
        let (rate, churn) = retention(&previous, &current);
        assert_eq!(rate.round_dp(2), dec!(33.33));
        assert_eq!(churn.round_dp(2), dec!(66.67));
        assert_eq!(retention(&CustomerMap::new(), &current), (dec!(0), dec!(0)));
        // Only customer 1 had a revenue-bearing order in the month before.
        assert_eq!(monthly_recurring_revenue(&current, &previous), dec!(5));
    }
}
