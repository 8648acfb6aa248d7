//! Invoices and payments: how each order is billed and collected.

use super::*;

#[derive(Serialize)]
pub(super) struct PaymentApplication {
    pub(super) payment_id: i64,
    #[serde(serialize_with = "json::money")]
    pub(super) amount: Decimal,
    #[serde(serialize_with = "json::timestamp")]
    pub(super) applied_at: Ts,
}

#[derive(Serialize)]
pub(super) struct Invoice {
    pub(super) invoice_number: String,
    pub(super) order_id: Option<i64>,
    pub(super) customer_id: i64,
    pub(super) status: InvoiceStatus,
    pub(super) currency: &'static str,
    #[serde(serialize_with = "json::money")]
    pub(super) total_amount: Decimal,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) issued_at: Option<Ts>,
    pub(super) due_date: NaiveDate,
    pub(super) payment_applications: Vec<PaymentApplication>,
    #[serde(serialize_with = "json::money")]
    pub(super) written_off_amount: Decimal,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) written_off_at: Option<Ts>,
    /// When a draft was saved or the invoice cancelled.
    #[serde(skip)]
    pub(super) touched_at: Ts,
}

impl Invoice {
    pub(super) fn updated_at(&self) -> Ts {
        let applications = self.payment_applications.iter().map(|a| Some(a.applied_at));
        latest(self.touched_at, applications.chain([self.issued_at, self.written_off_at]))
    }

    pub(super) fn paid(&self) -> Decimal {
        self.payment_applications.iter().map(|a| a.amount).sum()
    }
}

#[derive(Serialize)]
pub(super) struct Dispute {
    pub(super) reason: &'static str,
    #[serde(serialize_with = "json::timestamp")]
    pub(super) disputed_at: Ts,
    pub(super) evidence_due_date: NaiveDate,
    pub(super) status: DisputeStatus,
}

#[derive(Serialize)]
pub(super) struct Payment {
    pub(super) payment_number: String,
    pub(super) invoice_id: Option<i64>,
    pub(super) order_id: Option<i64>,
    pub(super) customer_id: i64,
    #[serde(serialize_with = "json::money")]
    pub(super) amount: Decimal,
    pub(super) currency: &'static str,
    pub(super) method: PaymentMethod,
    pub(super) gateway: Option<Gateway>,
    pub(super) status: PaymentStatus,
    #[serde(serialize_with = "json::timestamp")]
    pub(super) created_at: Ts,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) completed_at: Option<Ts>,
    pub(super) processing_time_ms: Option<i64>,
    pub(super) gateway_response_time_ms: Option<i64>,
    #[serde(serialize_with = "json::money")]
    pub(super) fee_amount: Decimal,
    #[serde(serialize_with = "json::money")]
    pub(super) refunded_amount: Decimal,
    pub(super) failure_reason: Option<FailureReason>,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) failed_at: Option<Ts>,
    pub(super) retry_count: i64,
    pub(super) can_retry: bool,
    pub(super) dispute: Option<Dispute>,
    /// Index of the invoice this payment is applied to.
    #[serde(skip)]
    pub(super) applied_to: Option<usize>,
}

impl Payment {
    pub(super) fn updated_at(&self) -> Ts {
        latest(
            self.created_at,
            [self.completed_at, self.failed_at, self.dispute.as_ref().map(|d| d.disputed_at)],
        )
    }
}

#[derive(Default)]
pub(super) struct Billing {
    pub(super) invoices: Vec<Invoice>,
    pub(super) payments: Vec<Payment>,
}

pub(super) const ISSUE_DAYS: [(i64, u32); 3] = [(0, 50), (1, 35), (2, 15)];
pub(super) const INSTALMENTS: [(usize, u32); 3] = [(1, 78), (2, 15), (3, 7)];
pub(super) const DISPUTE_REASONS: [(&str, u32); 6] = [
    ("fraudulent", 25),
    ("product_not_received", 20),
    ("product_unacceptable", 20),
    ("duplicate", 10),
    ("credit_not_processed", 15),
    ("general", 10),
];

/// An invoice for most orders and the payments made against it; then
/// payment ids in time order, the applications and the invoice statuses.
pub(super) fn billing(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    customers: &[Customer],
    orders: &[Order],
) -> Billing {
    let mut billing = Billing::default();
    for (index, order) in orders.iter().enumerate() {
        let profile = &customers[order.customer].profile;
        let invoice_id = id(billing.invoices.len());
        let Some(mut invoice) =
            new_invoice(rng, clock, order, id(index), invoice_id, profile.terms_days)
        else {
            continue;
        };
        if let (InvoiceStatus::Sent, Some(issued_at)) = (invoice.status, invoice.issued_at) {
            let target = Target {
                invoice: billing.invoices.len(),
                issued_at,
                invoice_id,
                order_id: id(index),
                order,
            };
            let payments = collect(rng, clock, &mut invoice, &target, profile);
            billing.payments.extend(payments);
        }
        billing.invoices.push(invoice);
    }
    number_payments(rng, &mut billing);
    for invoice in &mut billing.invoices {
        invoice.status = upstream_status(rng, clock, invoice);
    }
    billing
}

/// The invoice of an order: issued 0-2 days after the order once it is
/// confirmed, a draft while it is pending, cancelled with the order if it was
/// issued by then; a few orders are never invoiced.
pub(super) fn new_invoice(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    order: &Order,
    order_id: i64,
    invoice_id: i64,
    terms_days: i64,
) -> Option<Invoice> {
    let draft = |touched_at: Ts| Invoice {
        invoice_number: format!("INV-{invoice_id:06}"),
        order_id: Some(order_id),
        customer_id: order.customer_id,
        status: InvoiceStatus::Draft,
        currency: CURRENCY,
        total_amount: order.total_amount,
        issued_at: None,
        due_date: local_date(order.ordered_at) + days(terms_days),
        payment_applications: Vec::new(),
        written_off_amount: cents(0),
        written_off_at: None,
        touched_at,
    };
    let Some(confirmed) = order.confirmed_at else {
        // Drafts and orders cancelled before confirmation have none.
        let pending = order.status == OrderStatus::Pending;
        return pending.then(|| {
            draft((order.ordered_at + seconds(rng.random_range(MINUTE..HOUR))).min(clock.end))
        });
    };
    let issue_day = local_date(order.ordered_at) + days(pick(rng, &ISSUE_DAYS));
    let issued_at =
        business_time(rng, issue_day).max(confirmed + seconds(rng.random_range(5 * MINUTE..HOUR)));
    let issued = |status, touched_at| Invoice {
        status,
        issued_at: Some(issued_at),
        due_date: local_date(issued_at) + days(terms_days),
        ..draft(touched_at)
    };
    if let Some(cancelled) = order.cancelled_at {
        return (issued_at < cancelled).then(|| issued(InvoiceStatus::Cancelled, cancelled));
    }
    if !percent(rng, 95) {
        return None;
    }
    if issued_at > clock.end {
        return Some(draft((confirmed + seconds(rng.random_range(MINUTE..HOUR))).min(clock.end)));
    }
    Some(issued(InvoiceStatus::Sent, issued_at))
}

/// Who a payment is for.
pub(super) struct Target<'a> {
    pub(super) invoice: usize,
    pub(super) issued_at: Ts,
    pub(super) invoice_id: i64,
    pub(super) order_id: i64,
    pub(super) order: &'a Order,
}

/// What the customer pays: when, in how many parts, and whether they stop
/// paying before the end.
pub(super) struct Schedule {
    pub(super) parts: Vec<(Decimal, Ts)>,
    pub(super) defaulted: bool,
}

pub(super) fn schedule(
    rng: &mut ChaCha8Rng,
    habit: Habit,
    issued_at: Ts,
    due_date: NaiveDate,
    total: Decimal,
) -> Schedule {
    let issue_day = local_date(issued_at);
    let terms = (due_date - issue_day).num_days();
    let first_day = match habit {
        Habit::Early => rng.random_range(2..=(terms * 2 / 3).max(3)),
        Habit::OnTime => rng.random_range((terms - 7).max(1)..=terms + 3),
        Habit::Late => rng.random_range(terms + 5..=terms + 40),
        Habit::Delinquent => rng.random_range(terms + 20..=terms + 80),
    };
    let count =
        if habit == Habit::Delinquent { rng.random_range(2..=3) } else { pick(rng, &INSTALMENTS) };
    let amounts = instalments(rng, total, count);
    let kept = match (habit, rng.random_range(0..100)) {
        (Habit::Delinquent, 0..50) => 0,
        (Habit::Delinquent, 50..80) | (Habit::Late, 0..10) => 1,
        (_, 0..2) => 0,
        _ => amounts.len(),
    };
    let mut day = issue_day + days(first_day);
    let mut parts = Vec::with_capacity(kept);
    for amount in amounts.iter().take(kept) {
        parts.push((*amount, business_time(rng, day).max(issued_at + TimeDelta::hours(1))));
        day += days(rng.random_range(10..=30));
    }
    Schedule { defaulted: kept < amounts.len(), parts }
}

/// A total split into `count` parts of cents, each > 0.
pub(super) fn instalments(rng: &mut ChaCha8Rng, total: Decimal, count: usize) -> Vec<Decimal> {
    match count {
        2 => {
            let first = share(total, rng.random_range(40..=60));
            vec![first, total - first]
        }
        3 => {
            let first = share(total, rng.random_range(30..=40));
            let second = share(total, rng.random_range(30..=40));
            vec![first, second, total - first - second]
        }
        _ => vec![total],
    }
}

/// The payments against an issued invoice (each one made by the end of
/// `today` applied to it), failed attempts, refunds, disputes and a
/// write-off when the customer stopped paying long ago.
pub(super) fn collect(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    invoice: &mut Invoice,
    target: &Target,
    profile: &Profile,
) -> Vec<Payment> {
    let plan =
        schedule(rng, profile.habit, target.issued_at, invoice.due_date, invoice.total_amount);
    let mut payments = Vec::new();
    for (amount, at) in &plan.parts {
        let method = if percent(rng, 80) { profile.method } else { pick(rng, &METHODS) };
        pay(rng, clock, target, &mut payments, *amount, method, *at);
    }
    let applied: Vec<usize> =
        (0..payments.len()).filter(|i| payments[*i].applied_to.is_some()).collect();
    if applied.is_empty() && percent(rng, 25) {
        failed_attempts(rng, clock, target, invoice, profile.method, &mut payments);
    }
    if let Some(last) = applied.last() {
        settle_afterwards(rng, clock, &mut payments[*last], target.order.returned_at.is_some());
    }
    let paid: Decimal = applied.iter().map(|i| payments[*i].amount).sum();
    let last_paid = applied.last().and_then(|i| payments[*i].completed_at);
    if plan.defaulted && paid < invoice.total_amount {
        write_off(rng, clock, invoice, paid, last_paid);
    }
    payments
}

/// One payment of a part: completed (applied to the invoice) when it went
/// through by the end of `today`, pending when it was only submitted, and
/// sometimes preceded by a failed attempt.
pub(super) fn pay(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    target: &Target,
    payments: &mut Vec<Payment>,
    amount: Decimal,
    method: PaymentMethod,
    at: Ts,
) {
    let mut payment = attempt(rng, target, amount, method, at);
    if at > clock.end {
        if payment.created_at <= clock.end {
            let no_answer_yet =
                Payment { processing_time_ms: None, gateway_response_time_ms: None, ..payment };
            payments.push(Payment { status: PaymentStatus::Pending, ..no_answer_yet });
        }
        return;
    }
    if can_fail(method) && percent(rng, 5) {
        let failed_at = payment.created_at - seconds(rng.random_range(HOUR..96 * HOUR));
        if failed_at > target.issued_at + TimeDelta::hours(1) {
            payments.push(failed(rng, target, amount, method, failed_at, true));
        }
    }
    payment.status = PaymentStatus::Completed;
    payment.completed_at = Some(at);
    payment.fee_amount = fee(method, amount);
    payment.applied_to = Some(target.invoice);
    payments.push(payment);
}

pub(super) fn can_fail(method: PaymentMethod) -> bool {
    matches!(
        method,
        PaymentMethod::CreditCard | PaymentMethod::Paypal | PaymentMethod::BankTransfer
    )
}

/// A payment submitted so that its answer comes at `answered_at`: seconds
/// before through a gateway (which reports its timings), hours before for a
/// bank transfer; status, completion and fee are left to the caller.
pub(super) fn attempt(
    rng: &mut ChaCha8Rng,
    target: &Target,
    amount: Decimal,
    method: PaymentMethod,
    answered_at: Ts,
) -> Payment {
    let (gateway, delay_ms, gateway_ms) = match method {
        PaymentMethod::CreditCard => {
            (Some(Gateway::Stripe), rng.random_range(900..=4500), Some(rng.random_range(150..=900)))
        }
        PaymentMethod::Paypal => (
            Some(Gateway::Paypal),
            rng.random_range(1500..=7000),
            Some(rng.random_range(300..=1500)),
        ),
        PaymentMethod::BankTransfer => {
            (None, i64::from(rng.random_range(4 * HOUR..30 * HOUR)) * 1000, None)
        }
        PaymentMethod::Check | PaymentMethod::Cash => (None, 0, None),
    };
    // Whole seconds, and at least a minute after the invoice was issued.
    let whole_seconds = (delay_ms + 999) / 1000;
    let earliest = (target.issued_at + seconds(MINUTE)).min(answered_at);
    let created_at = (answered_at - TimeDelta::seconds(whole_seconds)).max(earliest);
    let delay_ms = delay_ms.min((answered_at - created_at).num_milliseconds());
    Payment {
        payment_number: String::new(),
        invoice_id: Some(target.invoice_id),
        order_id: Some(target.order_id),
        customer_id: target.order.customer_id,
        amount,
        currency: CURRENCY,
        method,
        gateway,
        status: PaymentStatus::Pending,
        created_at,
        completed_at: None,
        processing_time_ms: gateway.map(|_| delay_ms),
        gateway_response_time_ms: gateway_ms,
        fee_amount: cents(0),
        refunded_amount: cents(0),
        failure_reason: None,
        failed_at: None,
        retry_count: 0,
        can_retry: false,
        dispute: None,
        applied_to: None,
    }
}

/// Card 2.9% + 0.30, PayPal 3.49% + 0.49, nothing for the others.
pub(super) fn fee(method: PaymentMethod, amount: Decimal) -> Decimal {
    match method {
        PaymentMethod::CreditCard => money(amount * Decimal::new(29, 3) + cents(30)),
        PaymentMethod::Paypal => money(amount * Decimal::new(349, 4) + cents(49)),
        _ => cents(0),
    }
}

pub(super) fn failure_reasons(method: PaymentMethod) -> &'static [(FailureReason, u32)] {
    match method {
        PaymentMethod::CreditCard => &[
            (FailureReason::CardDeclined, 40),
            (FailureReason::InsufficientFunds, 25),
            (FailureReason::ExpiredCard, 20),
            (FailureReason::InvalidDetails, 8),
            (FailureReason::Other, 7),
        ],
        PaymentMethod::Paypal => &[
            (FailureReason::InsufficientFunds, 40),
            (FailureReason::Other, 40),
            (FailureReason::InvalidDetails, 20),
        ],
        _ => &[
            (FailureReason::InsufficientFunds, 60),
            (FailureReason::InvalidDetails, 25),
            (FailureReason::Other, 15),
        ],
    }
}

/// A failed attempt; `retried` when a later payment went through, so it can
/// no longer be retried.
pub(super) fn failed(
    rng: &mut ChaCha8Rng,
    target: &Target,
    amount: Decimal,
    method: PaymentMethod,
    failed_at: Ts,
    retried: bool,
) -> Payment {
    let payment = attempt(rng, target, amount, method, failed_at);
    let reason = pick(rng, failure_reasons(method));
    let retry_count = rng.random_range(0..=3);
    let retryable = matches!(
        reason,
        FailureReason::InsufficientFunds | FailureReason::CardDeclined | FailureReason::Other
    );
    Payment {
        status: PaymentStatus::Failed,
        failure_reason: Some(reason),
        failed_at: Some(failed_at),
        retry_count,
        can_retry: !retried && retryable && retry_count < 3,
        ..payment
    }
}

/// One or two failed attempts on an invoice nothing was paid on.
pub(super) fn failed_attempts(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    target: &Target,
    invoice: &Invoice,
    method: PaymentMethod,
    payments: &mut Vec<Payment>,
) {
    let method = if can_fail(method) { method } else { PaymentMethod::CreditCard };
    let from = invoice.issued_at.unwrap_or(invoice.touched_at) + TimeDelta::days(1);
    let until = clock.end.min(at_local(invoice.due_date, 0) + days(45));
    let window = u32::try_from((until - from).num_seconds()).unwrap_or(0);
    if window <= HOUR {
        return;
    }
    for _ in 0..rng.random_range(1..=2) {
        let failed_at = from + seconds(rng.random_range(HOUR..window));
        payments.push(failed(rng, target, invoice.total_amount, method, failed_at, false));
    }
}

/// A refund after a return (and now and then as goodwill) or a dispute.
pub(super) fn settle_afterwards(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    payment: &mut Payment,
    returned: bool,
) {
    if returned || per_mille(rng, 5) {
        payment.status = PaymentStatus::Refunded;
        payment.refunded_amount = if percent(rng, 40) {
            payment.amount
        } else {
            share(payment.amount, rng.random_range(10..=60))
        };
        return;
    }
    let Some(completed_at) = payment.completed_at else { return };
    if payment.gateway.is_none() || !per_mille(rng, 25) {
        return;
    }
    payment.dispute = dispute(rng, clock, completed_at);
    if let Some(dispute) = &payment.dispute {
        payment.status = if dispute.status == DisputeStatus::Won {
            PaymentStatus::Completed
        } else {
            PaymentStatus::Disputed
        };
    }
}

/// A chargeback 5-60 days after the payment, if that is by the end of
/// `today`: open while the evidence is due or under review, then won or lost.
pub(super) fn dispute(rng: &mut ChaCha8Rng, clock: &Clock, completed_at: Ts) -> Option<Dispute> {
    let disputed_at = business_time_after(rng, local_date(completed_at), 5..=60);
    if disputed_at > clock.end {
        return None;
    }
    let evidence_due_date = local_date(disputed_at) + days(rng.random_range(7..=21));
    let days_past_due = (clock.today - evidence_due_date).num_days();
    let status = if days_past_due < 0 {
        if percent(rng, 60) { DisputeStatus::NeedsResponse } else { DisputeStatus::UnderReview }
    } else if days_past_due <= 45 {
        DisputeStatus::UnderReview
    } else if percent(rng, 55) {
        DisputeStatus::Won
    } else {
        DisputeStatus::Lost
    };
    Some(Dispute { reason: pick(rng, &DISPUTE_REASONS), disputed_at, evidence_due_date, status })
}

/// Most invoices a customer stopped paying are written off 90-150 days
/// after the due date.
pub(super) fn write_off(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    invoice: &mut Invoice,
    paid: Decimal,
    last_paid: Option<Ts>,
) {
    if !percent(rng, 60) {
        return;
    }
    let planned = business_time_after(rng, invoice.due_date, 90..=150);
    let written_off_at = last_paid.map_or(planned, |at| planned.max(at + days(30)));
    if written_off_at <= clock.end {
        invoice.written_off_amount = invoice.total_amount - paid;
        invoice.written_off_at = Some(written_off_at);
    }
}

/// Payment ids and numbers in time order, and the applications that refer
/// to them.
pub(super) fn number_payments(rng: &mut ChaCha8Rng, billing: &mut Billing) {
    billing.payments.sort_by_key(|p| p.created_at);
    let key = rng.random();
    // 8 digits (more beyond 2^26 payments), unique per position.
    let bits = 26.max(usize::BITS - billing.payments.len().leading_zeros());
    for (index, payment) in billing.payments.iter_mut().enumerate() {
        payment.payment_number = format!("PAY-{}", 10_000_000 + scramble(index, key, bits));
        let (Some(invoice), Some(applied_at)) = (payment.applied_to, payment.completed_at) else {
            continue;
        };
        let application =
            PaymentApplication { payment_id: id(index), amount: payment.amount, applied_at };
        billing.invoices[invoice].payment_applications.push(application);
    }
    for invoice in &mut billing.invoices {
        invoice.payment_applications.sort_by_key(|a| a.applied_at);
    }
}

/// The status as upstream last set it: its nightly overdue run misses a few.
pub(super) fn upstream_status(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    invoice: &Invoice,
) -> InvoiceStatus {
    if matches!(invoice.status, InvoiceStatus::Draft | InvoiceStatus::Cancelled) {
        return invoice.status;
    }
    let paid = invoice.paid();
    if paid + invoice.written_off_amount >= invoice.total_amount {
        InvoiceStatus::Paid
    } else if invoice.due_date < clock.today && percent(rng, 85) {
        InvoiceStatus::Overdue
    } else if paid > Decimal::ZERO {
        InvoiceStatus::PartiallyPaid
    } else {
        InvoiceStatus::Sent
    }
}
