//! What a payment contributes: its measures by date, method and status,
//! disputes, and the failed-payments index rows.

use super::*;

pub(super) fn payment_contribution(c: &mut Contribution, payment: &Payment, tz: Tz) {
    let day = local_date(&payment.created_at, tz);
    let (method, status) = (payment.method.as_str(), payment.status.as_str());
    let f = [
        family::PAYMENTS.to_owned(),
        family::payments_of(Some(method), None),
        family::payments_of(None, Some(status)),
        family::payments_of(Some(method), Some(status)),
    ];
    let amount = cents(payment.amount);
    c.add(&f, day, &measure::status(status), 1);
    c.add(&f, day, measure::REFUNDED, cents(payment.refunded_amount));
    let captured = payment.is_captured();
    let failed = payment.status == PaymentStatus::Failed;
    if captured {
        let fees = cents(payment.fee_amount);
        c.add(&f, day, measure::CAPTURED, 1);
        c.add(&f, day, measure::PROCESSED, amount);
        c.add(&f, day, measure::FEES, fees);
        c.add(&f, day, &measure::method_captured(method), 1);
        c.add(&f, day, &measure::method_amount(method), amount);
        c.add(&f, day, &measure::method_fees(method), fees);
        if let Some(ms) = payment.processing_time_ms {
            c.add(&f, day, measure::PROCESSING_MS, ms);
            c.add(&f, day, measure::PROCESSING_TIMED, 1);
        }
    }
    if failed {
        c.add(&f, day, measure::FAILED_AMOUNT, amount);
        c.add(&f, day, measure::RETRYABLE, i64::from(payment.can_retry));
        c.add(&f, day, measure::RETRYABLE_AMOUNT, if payment.can_retry { amount } else { 0 });
        let reason = payment.failure_reason.map_or("other", |r| r.as_str());
        c.add(&f, day, &measure::failure_reason(reason), 1);
    }
    if let Some(gateway) = payment.gateway {
        let g = gateway.as_str();
        c.add(&f, day, &measure::gateway(g, "count"), 1);
        c.add(&f, day, &measure::gateway(g, "captured"), i64::from(captured));
        c.add(&f, day, &measure::gateway(g, "failed"), i64::from(failed));
        if let Some(ms) = payment.gateway_response_time_ms {
            c.add(&f, day, &measure::gateway(g, "response_ms"), ms);
            c.add(&f, day, &measure::gateway(g, "responses"), 1);
        }
    }
}

/// Index items of a payment: failed ones by bucket, open disputes; and
/// dispute outcome counters.
pub(super) fn payment_index(
    c: &mut Contribution,
    tenant: &str,
    id: i64,
    payment: &Payment,
    tz: Tz,
) {
    let text = |v: &str| AttributeValue::S(v.to_owned());
    let amount = cents(payment.amount);
    if payment.status == PaymentStatus::Failed {
        let day = local_date(&payment.created_at, tz);
        let failed_at = payment.failed_at.unwrap_or(payment.created_at).with_timezone(&chrono::Utc);
        let failed_text = failed_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for bucket in bucket_keys(day) {
            c.index(
                tenant,
                &family::bucketed(family::FAILED_PAYMENTS, &bucket),
                entity_key::under(&failed_text, id),
                vec![
                    ("payment_id", number(id)),
                    ("payment_number", text(&payment.payment_number)),
                    ("amount", number(amount)),
                    ("method", text(payment.method.as_str())),
                    (
                        "failure_reason",
                        text(payment.failure_reason.map_or("other", |r| r.as_str())),
                    ),
                    ("failed_at", text(&failed_text)),
                    ("retry_count", number(payment.retry_count)),
                    ("can_retry", AttributeValue::Bool(payment.can_retry)),
                    ("customer_id", number(payment.customer_id)),
                ],
            );
        }
    }
    if let Some(dispute) = &payment.dispute {
        let status = dispute.status.as_str();
        let disputes = [family::DISPUTES.to_owned()];
        let day = local_date(&dispute.disputed_at, tz);
        c.add(&disputes, day, &measure::dispute(status), 1);
        c.add(&disputes, day, &measure::dispute_amount(status), amount);
        if matches!(dispute.status, DisputeStatus::NeedsResponse | DisputeStatus::UnderReview) {
            let due = [family::OPEN_DISPUTES_DUE.to_owned()];
            c.add(&due, dispute.evidence_due_date, measure::OPEN_DISPUTES, 1);
            c.add(&due, dispute.evidence_due_date, measure::OPEN_DISPUTE_AMOUNT, amount);
            let needs = i64::from(dispute.status == DisputeStatus::NeedsResponse);
            c.add(&due, dispute.evidence_due_date, measure::NEEDS_RESPONSE, needs);
            c.index(
                tenant,
                family::OPEN_DISPUTES,
                entity_key::under(dispute.evidence_due_date, id),
                vec![
                    ("payment_id", number(id)),
                    ("payment_number", text(&payment.payment_number)),
                    ("amount", number(amount)),
                    ("dispute_reason", text(&dispute.reason)),
                    (
                        "disputed_at",
                        text(
                            &dispute
                                .disputed_at
                                .with_timezone(&chrono::Utc)
                                .format("%Y-%m-%dT%H:%M:%SZ")
                                .to_string(),
                        ),
                    ),
                    ("evidence_due_date", text(&dispute.evidence_due_date.to_string())),
                    ("status", text(status)),
                    ("customer_id", number(payment.customer_id)),
                ],
            );
        }
    }
}
