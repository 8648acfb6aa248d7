//! `GET /api/v1/sales/dashboard` (docs/metrics.md "Dashboard"), computed from
//! aggregate measures. Pure: the handler reads, this computes.

use std::collections::BTreeMap;

use crate::figures::cents_to_decimal;
use crate::figures::invoices::OpenInPeriod;
use crate::layout::{Measure, Measures, measure};
use crate::money::{change_percentage, json, ratio_or_zero};
use crate::periods::{DateRange, PeriodKind};
use crate::records::{OrderStatus, PaymentStatus};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Keyed, count, get};

/// Everything the dashboard needs, read from the aggregates.
#[derive(Debug, Clone, Default)]
pub struct DashboardInputs {
    pub kind: Option<PeriodKind>,
    pub period: Option<DateRange>,
    /// `orders` over the period.
    pub orders: Measures,
    /// Per local day of the period with orders: at least `placed` and
    /// `revenue` (the trends).
    pub daily_orders: BTreeMap<NaiveDate, Measures>,
    pub payments: Measures,
    pub invoices: Measures,
    /// Open receivables at the end of the period's last day, in cents.
    pub outstanding_cents: Measure,
    /// The period's invoices open today.
    pub open: OpenInPeriod,
    /// Totals of the previous period, when a comparison was asked for.
    pub previous: Option<PeriodTotals>,
}

/// Orders and invoices measures summed over a period.
#[derive(Debug, Clone, Default)]
pub struct PeriodTotals {
    pub orders: Measures,
    pub invoices: Measures,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Dashboard {
    pub period: PeriodOut,
    pub summary: Summary,
    pub orders: OrdersOut,
    pub invoices: InvoicesOut,
    pub payments: PaymentsOut,
    pub comparison: Option<Comparison>,
    pub trends: Trends,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PeriodOut {
    pub label: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Summary {
    #[serde(serialize_with = "json::money")]
    pub total_revenue: Decimal,
    pub total_orders: u64,
    #[serde(serialize_with = "json::money")]
    pub average_order_value: Decimal,
    pub total_invoices_sent: u64,
    pub total_invoices_paid: u64,
    #[serde(serialize_with = "json::percent")]
    pub collection_rate: Decimal,
    #[serde(serialize_with = "json::money")]
    pub outstanding_receivables: Decimal,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct OrdersOut {
    pub new_orders: u64,
    pub confirmed_orders: u64,
    pub shipped_orders: u64,
    pub completed_orders: u64,
    pub cancelled_orders: u64,
    pub orders_by_status: Keyed<u64>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct InvoicesOut {
    pub invoices_sent: u64,
    pub invoices_paid: u64,
    pub invoices_overdue: u64,
    #[serde(serialize_with = "json::money")]
    pub total_overdue_amount: Decimal,
    #[serde(serialize_with = "json::days")]
    pub average_days_to_pay: Decimal,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PaymentsOut {
    pub payments_received: u64,
    #[serde(serialize_with = "json::money")]
    pub total_paid: Decimal,
    pub failed_payments: u64,
    pub disputed_payments: u64,
    #[serde(serialize_with = "json::money")]
    pub refunded_amount: Decimal,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Comparison {
    #[serde(serialize_with = "json::opt_percent")]
    pub revenue_change_percentage: Option<Decimal>,
    #[serde(serialize_with = "json::opt_percent")]
    pub orders_change_percentage: Option<Decimal>,
    #[serde(serialize_with = "json::opt_percent")]
    pub aov_change_percentage: Option<Decimal>,
    #[serde(serialize_with = "json::percent")]
    pub collection_rate_change: Decimal,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Trends {
    pub daily_revenue: Vec<DailyRevenue>,
    pub daily_orders: Vec<DailyOrders>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct DailyRevenue {
    pub date: NaiveDate,
    #[serde(serialize_with = "json::money")]
    pub revenue: Decimal,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct DailyOrders {
    pub date: NaiveDate,
    pub orders: u64,
}

/// Unrounded order figures of a period.
struct OrderFigures {
    revenue: Decimal,
    placed: u64,
    aov: Decimal,
}

fn order_figures(orders: &Measures) -> OrderFigures {
    let revenue = cents_to_decimal(get(orders, measure::REVENUE));
    let aov =
        ratio_or_zero(revenue, crate::figures::decimal(get(orders, measure::REVENUE_BEARING)));
    OrderFigures { revenue, placed: count(orders, measure::PLACED), aov }
}

/// total_paid / total_invoiced * 100 over the period's invoices; `None`
/// when nothing was invoiced.
fn collection_rate(invoices: &Measures) -> Option<Decimal> {
    let invoiced = get(invoices, measure::INVOICED);
    (invoiced != 0).then(|| {
        crate::figures::decimal(get(invoices, measure::PAID)) / crate::figures::decimal(invoiced)
            * Decimal::ONE_HUNDRED
    })
}

pub fn compute(inputs: &DashboardInputs) -> Dashboard {
    let kind = inputs.kind.unwrap_or(PeriodKind::Month);
    let period = inputs.period.unwrap_or_else(|| DateRange::single(NaiveDate::MIN));
    let orders = &inputs.orders;
    let current = order_figures(orders);
    let invoices = &inputs.invoices;
    let payments = &inputs.payments;
    let rate = collection_rate(invoices);

    let comparison = inputs.previous.as_ref().map(|prev| {
        let before = order_figures(&prev.orders);
        Comparison {
            revenue_change_percentage: change_percentage(current.revenue, before.revenue),
            orders_change_percentage: change_percentage(
                Decimal::from(current.placed),
                Decimal::from(before.placed),
            ),
            aov_change_percentage: change_percentage(current.aov, before.aov),
            // A difference in points, never null: a rate over nothing
            // invoiced is 0 (docs/metrics.md "Previous period").
            collection_rate_change: rate.unwrap_or_default()
                - collection_rate(&prev.invoices).unwrap_or_default(),
        }
    });

    let orders_by_status = super::orders::orders_by_status(orders);
    let day_orders = |day: NaiveDate| inputs.daily_orders.get(&day);

    Dashboard {
        period: PeriodOut {
            label: kind.label(),
            from: period.from,
            to: period.to,
            days: period.days(),
        },
        summary: Summary {
            total_revenue: current.revenue,
            total_orders: current.placed,
            average_order_value: current.aov,
            total_invoices_sent: count(invoices, measure::ISSUED),
            total_invoices_paid: count(invoices, measure::PAID_OFF),
            collection_rate: rate.unwrap_or_default(),
            outstanding_receivables: cents_to_decimal(inputs.outstanding_cents),
        },
        orders: OrdersOut {
            new_orders: current.placed,
            confirmed_orders: count(orders, measure::CONFIRMED),
            shipped_orders: count(orders, measure::SHIPPED),
            completed_orders: count(orders, &measure::status(OrderStatus::Completed.as_str())),
            cancelled_orders: count(orders, &measure::status(OrderStatus::Cancelled.as_str())),
            orders_by_status,
        },
        invoices: InvoicesOut {
            invoices_sent: count(invoices, measure::ISSUED),
            invoices_paid: count(invoices, measure::PAID_OFF),
            invoices_overdue: super::to_count(inputs.open.overdue_count),
            total_overdue_amount: cents_to_decimal(inputs.open.overdue_balance),
            average_days_to_pay: ratio_or_zero(
                crate::figures::decimal(get(invoices, measure::DAYS_TO_PAY)),
                crate::figures::decimal(get(invoices, measure::PAID_BY_PAYMENTS)),
            ),
        },
        payments: PaymentsOut {
            payments_received: count(payments, measure::CAPTURED),
            total_paid: cents_to_decimal(get(payments, measure::PROCESSED)),
            failed_payments: count(payments, &measure::status(PaymentStatus::Failed.as_str())),
            disputed_payments: count(payments, &measure::status(PaymentStatus::Disputed.as_str())),
            refunded_amount: cents_to_decimal(get(payments, measure::REFUNDED)),
        },
        comparison,
        trends: Trends {
            daily_revenue: period
                .iter_days()
                .map(|date| DailyRevenue {
                    date,
                    revenue: cents_to_decimal(
                        day_orders(date).map(|m| get(m, measure::REVENUE)).unwrap_or(0),
                    ),
                })
                .collect(),
            daily_orders: period
                .iter_days()
                .map(|date| DailyOrders {
                    date,
                    orders: day_orders(date).map(|m| count(m, measure::PLACED)).unwrap_or(0),
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests;
