//! Payment figures (docs/metrics.md "Payments"): `GET /payments/statistics`, the
//! failed and disputed payment reports, from the `payments` measures (or the
//! slice of the `method` / `status` filters) and the payment indexes.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::orders::PeriodDates;
use super::{Keyed, average, count, get, json as fixed, money, percent};
use crate::figures::cents_to_decimal;
use crate::layout::{Measure, Measures, measure};
use crate::money::json;
use crate::periods::DateRange;
use crate::records::{FailureReason, Gateway, PaymentMethod, PaymentStatus, StrEnum};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentStatistics {
    pub period: PeriodDates,
    pub payment_counts: Keyed<u64>,
    pub financial_metrics: FinancialMetrics,
    pub method_breakdown: Keyed<MethodFigures>,
    pub success_metrics: SuccessMetrics,
    pub gateway_performance: Keyed<GatewayFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinancialMetrics {
    #[serde(serialize_with = "json::money")]
    pub total_processed: Decimal,
    #[serde(serialize_with = "json::money")]
    pub total_refunded: Decimal,
    #[serde(serialize_with = "json::money")]
    pub total_fees: Decimal,
    #[serde(serialize_with = "json::money")]
    pub net_revenue: Decimal,
    #[serde(serialize_with = "json::money")]
    pub average_transaction: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodFigures {
    pub count: u64,
    #[serde(serialize_with = "json::money")]
    pub amount: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub percentage: Decimal,
    #[serde(serialize_with = "json::money")]
    pub average_transaction: Decimal,
    #[serde(serialize_with = "json::money")]
    pub fees: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuccessMetrics {
    #[serde(serialize_with = "json::percent")]
    pub success_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub failure_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub refund_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub dispute_rate: Decimal,
    #[serde(serialize_with = "fixed::ratio")]
    pub average_processing_time_seconds: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GatewayFigures {
    pub count: u64,
    #[serde(serialize_with = "json::percent")]
    pub success_rate: Decimal,
    #[serde(serialize_with = "fixed::whole")]
    pub average_response_time_ms: Decimal,
}

fn status_count(p: &Measures, status: PaymentStatus) -> Measure {
    get(p, &measure::status(status.as_str()))
}

/// Total payments of the period (every status).
pub fn total_payments(p: &Measures) -> Measure {
    PaymentStatus::ALL.iter().map(|s| status_count(p, *s)).sum()
}

/// `GET /payments/statistics` from the period's measures of the filters' slice.
pub fn statistics(period: DateRange, p: &Measures) -> PaymentStatistics {
    let total = total_payments(p);
    let captured = get(p, measure::CAPTURED);
    let processed_cents = get(p, measure::PROCESSED);
    let processed = cents_to_decimal(processed_cents);
    let refunded = money(p, measure::REFUNDED);
    let fees = money(p, measure::FEES);
    let mut counts: Keyed<u64> = Keyed(vec![("total".to_owned(), super::to_count(total))]);
    counts.0.extend(
        PaymentStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), count(p, &measure::status(s.as_str())))),
    );
    PaymentStatistics {
        period: period.into(),
        payment_counts: counts,
        financial_metrics: FinancialMetrics {
            total_processed: processed,
            total_refunded: refunded,
            total_fees: fees,
            net_revenue: processed - refunded - fees,
            average_transaction: average(processed, captured),
        },
        method_breakdown: PaymentMethod::ALL
            .iter()
            .map(|m| {
                let m = m.as_str();
                let n = get(p, &measure::method_captured(m));
                let amount_cents = get(p, &measure::method_amount(m));
                let figures = MethodFigures {
                    count: super::to_count(n),
                    amount: cents_to_decimal(amount_cents),
                    percentage: percent(amount_cents, processed_cents),
                    average_transaction: average(cents_to_decimal(amount_cents), n),
                    fees: money(p, &measure::method_fees(m)),
                };
                (m.to_owned(), figures)
            })
            .collect(),
        success_metrics: SuccessMetrics {
            success_rate: percent(captured, total),
            failure_rate: percent(status_count(p, PaymentStatus::Failed), total),
            refund_rate: percent(status_count(p, PaymentStatus::Refunded), total),
            dispute_rate: percent(status_count(p, PaymentStatus::Disputed), total),
            average_processing_time_seconds: average(
                crate::figures::decimal(get(p, measure::PROCESSING_MS)) / Decimal::ONE_THOUSAND,
                get(p, measure::PROCESSING_TIMED),
            ),
        },
        gateway_performance: Gateway::ALL
            .iter()
            .map(|g| {
                let g = g.as_str();
                let captured = get(p, &measure::gateway(g, "captured"));
                let failed = get(p, &measure::gateway(g, "failed"));
                let figures = GatewayFigures {
                    count: count(p, &measure::gateway(g, "count")),
                    success_rate: percent(captured, captured + failed),
                    average_response_time_ms: average(
                        crate::figures::decimal(get(p, &measure::gateway(g, "response_ms"))),
                        get(p, &measure::gateway(g, "responses")),
                    ),
                };
                (g.to_owned(), figures)
            })
            .collect(),
    }
}

/// A failed payment of the failed-payments index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedPayment {
    pub payment_id: i64,
    pub payment_number: String,
    pub amount_cents: Measure,
    pub method: String,
    pub failure_reason: String,
    pub failed_at: String,
    pub retry_count: i64,
    pub can_retry: bool,
    pub customer_id: i64,
}

/// The customer of a `/payments/failed` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayingCustomer {
    pub id: i64,
    pub company_name: String,
    pub email: Option<String>,
}

/// A row of `/payments/failed`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedRow {
    pub id: i64,
    pub payment_number: String,
    #[serde(serialize_with = "json::money")]
    pub amount: Decimal,
    pub method: String,
    pub failure_reason: String,
    pub failed_at: String,
    pub retry_count: i64,
    pub can_retry: bool,
    pub customer: PayingCustomer,
}

impl FailedRow {
    /// The row of `payment`, with its customer's name and email (empty
    /// and null when the customer is not known).
    pub fn of(payment: FailedPayment, customer: Option<&crate::records::Customer>) -> Self {
        FailedRow {
            id: payment.payment_id,
            payment_number: payment.payment_number,
            amount: cents_to_decimal(payment.amount_cents),
            method: payment.method,
            failure_reason: payment.failure_reason,
            failed_at: payment.failed_at,
            retry_count: payment.retry_count,
            can_retry: payment.can_retry,
            customer: PayingCustomer {
                id: payment.customer_id,
                company_name: customer.map(|c| c.company_name.clone()).unwrap_or_default(),
                email: customer.and_then(|c| c.email.clone()),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedMeta {
    pub total_failed: u64,
    #[serde(serialize_with = "json::money")]
    pub total_failed_amount: Decimal,
    pub retryable_count: u64,
    #[serde(serialize_with = "json::money")]
    pub retryable_amount: Decimal,
    pub by_reason: Keyed<u64>,
}

/// `meta` of the failed-payments report, from the period's measures.
pub fn failed_meta(p: &Measures) -> FailedMeta {
    FailedMeta {
        total_failed: count(p, &measure::status(PaymentStatus::Failed.as_str())),
        total_failed_amount: money(p, measure::FAILED_AMOUNT),
        retryable_count: count(p, measure::RETRYABLE),
        retryable_amount: money(p, measure::RETRYABLE_AMOUNT),
        by_reason: FailureReason::ALL
            .iter()
            .map(|r| (r.as_str().to_owned(), count(p, &measure::failure_reason(r.as_str()))))
            .collect(),
    }
}

/// An open dispute as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDispute {
    pub payment_id: i64,
    pub payment_number: String,
    pub amount_cents: Measure,
    pub dispute_reason: String,
    pub disputed_at: String,
    pub evidence_due_date: NaiveDate,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisputeRow {
    pub id: i64,
    pub payment_number: String,
    #[serde(serialize_with = "json::money")]
    pub amount: Decimal,
    pub dispute_reason: String,
    pub disputed_at: String,
    pub evidence_due_date: NaiveDate,
    pub days_to_respond: i64,
    pub requires_urgent_action: bool,
}

/// Days left to respond at which a dispute is urgent.
pub const URGENT_WITHIN_DAYS: i64 = 3;

pub fn dispute_row(d: &OpenDispute, today: NaiveDate) -> DisputeRow {
    let days = (d.evidence_due_date - today).num_days();
    DisputeRow {
        id: d.payment_id,
        payment_number: d.payment_number.clone(),
        amount: cents_to_decimal(d.amount_cents),
        dispute_reason: d.dispute_reason.clone(),
        disputed_at: d.disputed_at.clone(),
        evidence_due_date: d.evidence_due_date,
        days_to_respond: days,
        requires_urgent_action: days <= URGENT_WITHIN_DAYS,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisputedMeta {
    pub total_disputed: u64,
    #[serde(serialize_with = "json::money")]
    pub total_disputed_amount: Decimal,
    pub evidence_required: u64,
    pub urgent_disputes: u64,
    pub won_disputes: u64,
    pub lost_disputes: u64,
}

/// `meta` of the disputed-payments report: every open dispute (not the
/// page) and the outcomes of all time (`disputes` measures).
pub fn disputed_meta(open: &[OpenDispute], all_time: &Measures, today: NaiveDate) -> DisputedMeta {
    let totals = OpenDisputeTotals {
        count: open.len() as Measure,
        amount_cents: open.iter().map(|d| d.amount_cents).sum::<Measure>(),
        needs_response: open.iter().filter(|d| d.status == "needs_response").count() as Measure,
        urgent: open.iter().filter(|d| dispute_row(d, today).requires_urgent_action).count()
            as Measure,
    };
    disputed_meta_of(&totals, all_time)
}

/// Open disputes: how many, their amount, those needing a response, and
/// those due within three days (or past due).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenDisputeTotals {
    pub count: Measure,
    pub amount_cents: Measure,
    pub needs_response: Measure,
    pub urgent: Measure,
}

impl OpenDisputeTotals {
    /// From the `open_disputes_due` family: summed over all dates, and
    /// through today + 3 days (the urgent ones).
    pub fn from_sums(all: &Measures, due_soon: &Measures) -> Self {
        OpenDisputeTotals {
            count: super::get(all, measure::OPEN_DISPUTES),
            amount_cents: super::get(all, measure::OPEN_DISPUTE_AMOUNT),
            needs_response: super::get(all, measure::NEEDS_RESPONSE),
            urgent: super::get(due_soon, measure::OPEN_DISPUTES),
        }
    }
}

/// `meta` of the disputed-payments report from the open disputes' totals.
pub fn disputed_meta_of(open: &OpenDisputeTotals, all_time: &Measures) -> DisputedMeta {
    DisputedMeta {
        total_disputed: super::to_count(open.count),
        total_disputed_amount: cents_to_decimal(open.amount_cents),
        evidence_required: super::to_count(open.needs_response),
        urgent_disputes: super::to_count(open.urgent),
        won_disputes: count(all_time, &measure::dispute("won")),
        lost_disputes: count(all_time, &measure::dispute("lost")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn urgent_when_three_days_or_fewer_are_left() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let dispute = |due: &str, status: &str| OpenDispute {
            payment_id: 1,
            payment_number: "P".into(),
            amount_cents: 1000,
            dispute_reason: "fraudulent".into(),
            disputed_at: "2025-12-01T00:00:00Z".into(),
            evidence_due_date: d(due),
            status: status.into(),
        };
        let today = d("2025-12-10");
        assert!(
            !dispute_row(&dispute("2025-12-14", "needs_response"), today).requires_urgent_action
        );
        assert!(
            dispute_row(&dispute("2025-12-13", "needs_response"), today).requires_urgent_action
        );
        let late = dispute_row(&dispute("2025-12-08", "under_review"), today);
        assert_eq!((late.days_to_respond, late.requires_urgent_action), (-2, true));
        let open = [dispute("2025-12-14", "needs_response"), dispute("2025-12-08", "under_review")];
        let meta = disputed_meta(&open, &Measures::from([("dispute_won".to_owned(), 4)]), today);
        assert_eq!((meta.total_disputed, meta.evidence_required, meta.urgent_disputes), (2, 1, 1));
        assert_eq!(
            (meta.total_disputed_amount, meta.won_disputes, meta.lost_disputes),
            (dec!(20), 4, 0)
        );
    }
}
