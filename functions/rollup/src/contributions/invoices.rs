//! What an invoice contributes: its measures, the customer slices, and its
//! receivable as dated steps (see `receivables`).

use super::*;
use sales_shared::layout::close_index;

pub(super) fn invoice_contribution(
    c: &mut Contribution,
    tenant: &str,
    invoice_id: i64,
    invoice: &Invoice,
    updated_on: NaiveDate,
    tz: Tz,
) {
    let f = [family::INVOICES.to_owned(), family::invoices_of_customer(invoice.customer_id)];
    let issued_at = match (invoice.status, invoice.issued_at) {
        // Drafts have no issue date: they count by their local `updated_at`.
        (InvoiceStatus::Draft, _) | (_, None) => {
            c.add(&f, updated_on, measure::DRAFTS, 1);
            return;
        }
        (_, Some(at)) => at,
    };
    let issued_on = local_date(&issued_at, tz);
    let total = cents(invoice.total_amount);
    // At most 1 000 applications of at most 10^14 cents: far inside i128.
    let paid: Measure = invoice.payment_applications.iter().map(|a| cents(a.amount)).sum();
    let written_off = cents(invoice.written_off_amount);
    let customer = invoice.customer_id;
    let text = |v: String| AttributeValue::S(v);
    // Issued invoices by local issue date, in the month's partition (exports).
    c.index(
        tenant,
        &family::bucketed(family::INVOICES_BY_ISSUE, &month_key(issued_on)),
        entity_key::under(issued_on, invoice_id),
        vec![
            ("invoice_id", number(invoice_id)),
            ("invoice_number", text(invoice.invoice_number.clone())),
            ("customer_id", number(customer)),
            ("status", text(invoice.status.as_str().to_owned())),
            ("issued_on", text(issued_on.to_string())),
            ("due_date", text(invoice.due_date.to_string())),
            ("total", number(total)),
            ("paid", number(paid)),
            ("written_off", number(written_off)),
        ],
    );

    c.add(&f, issued_on, measure::ISSUED, 1);
    if invoice.status == InvoiceStatus::Cancelled {
        c.add(&f, issued_on, measure::CANCELLED, 1);
        return;
    }
    c.add(&f, issued_on, measure::BILLABLE, 1);
    c.add(&f, issued_on, measure::INVOICED, total);
    c.add(&f, issued_on, measure::PAID, paid);
    c.add(&f, issued_on, measure::WRITTEN_OFF, written_off);

    // Receivables move on the local date of each event, never before issue.
    let on_or_after_issue = |d: NaiveDate| d.max(issued_on);
    c.add(&f, issued_on, measure::AR_CHANGE, total);
    for application in &invoice.payment_applications {
        let day = on_or_after_issue(local_date(&application.applied_at, tz));
        c.add(&f, day, measure::AR_CHANGE, cents(application.amount).saturating_neg());
    }
    if let (true, Some(at)) = (written_off > 0, invoice.written_off_at) {
        c.add(
            &f,
            on_or_after_issue(local_date(&at, tz)),
            measure::AR_CHANGE,
            written_off.saturating_neg(),
        );
    }

    let receivable = receivables::Receivable {
        issued_on,
        due_date: invoice.due_date,
        total,
        payments: invoice
            .payment_applications
            .iter()
            .map(|a| (on_or_after_issue(local_date(&a.applied_at, tz)), cents(a.amount)))
            .collect(),
        write_off: invoice
            .written_off_at
            .filter(|_| written_off != 0)
            .map(|at| (on_or_after_issue(local_date(&at, tz)), written_off)),
    };
    receivable_steps(c, tenant, customer, &receivable);

    let last_application =
        invoice.payment_applications.iter().map(|a| local_date(&a.applied_at, tz)).max();
    if let (true, Some(last)) = (paid == total, last_application) {
        let paid_on = on_or_after_issue(last);
        let days = (paid_on - issued_on).num_days();
        c.add(&f, issued_on, measure::PAID_BY_PAYMENTS, 1);
        c.add(&f, issued_on, measure::DAYS_TO_PAY, days);
        c.add(&f, issued_on, &measure::days_to_pay_bin(days), 1);
        c.add(&f, issued_on, measure::PAID_ON_TIME, i64::from(paid_on <= invoice.due_date));
        c.add(&f, paid_on, measure::PAID_OFF, 1);
        if let Some(order) = invoice.order_id {
            c.count(order_cash_key(tenant, order), measure::cash_paid_on(paid_on), 1);
        }
    }

    let customers = [family::CUSTOMER_INVOICES.to_owned()];
    c.add_entity(&customers, issued_on, customer, measure::INVOICE_COUNT, 1);
    c.add_entity(&customers, issued_on, customer, measure::INVOICED, total);
    c.add_entity(&customers, issued_on, customer, measure::PAID, paid);
    if let (true, Some(last)) = (paid == total, last_application) {
        c.add_entity(&customers, issued_on, customer, measure::PAID_BY_PAYMENTS, 1);
        let on_time = i64::from(on_or_after_issue(last) <= invoice.due_date);
        c.add_entity(&customers, issued_on, customer, measure::PAID_ON_TIME, on_time);
    }

    // The closing index: by the local date the balance reached zero.
    let balance = total - paid - written_off;
    let written_off_on = invoice
        .written_off_at
        .filter(|_| written_off > 0)
        .map(|at| on_or_after_issue(local_date(&at, tz)));
    let closed_on = (balance <= 0)
        .then(|| last_application.map(on_or_after_issue).into_iter().chain(written_off_on).max())
        .flatten();
    let applications: Vec<(String, Measure)> = invoice
        .payment_applications
        .iter()
        .map(|a| (on_or_after_issue(local_date(&a.applied_at, tz)).to_string(), cents(a.amount)))
        .collect();
    let attributes = vec![
        ("invoice_id", number(invoice_id)),
        ("invoice_number", text(invoice.invoice_number.clone())),
        ("customer_id", number(customer)),
        ("order_id", invoice.order_id.map_or(AttributeValue::Null(true), number)),
        ("issued_on", text(issued_on.to_string())),
        ("due_date", text(invoice.due_date.to_string())),
        ("total", number(total)),
        ("balance", number(balance)),
        ("written_off", number(written_off)),
        ("written_off_on", text(written_off_on.map_or_else(String::new, |d| d.to_string()))),
        ("applications", text(serde_json::to_string(&applications).unwrap_or_default())),
    ];
    for partition in close_index::partitions_of(issued_on, invoice_id) {
        c.index(tenant, &partition, close_index::sk(closed_on, invoice_id), attributes.clone());
    }
}

/// The dated steps of an open receivable: the `aging` family (by the
/// step's date), `invoices_open` (by issue date, each measure named by the
/// step's date) and the customer's open balance by due date
/// (`customer_ar`, the state of the by-customer ranking).
fn receivable_steps(
    c: &mut Contribution,
    tenant: &str,
    customer: i64,
    receivable: &receivables::Receivable,
) {
    use measure::OpenStep;
    let aging = [family::AGING.to_owned()];
    for (day, step) in receivable.steps(None) {
        c.add(&aging, day, measure::OPEN_COUNT, step.count);
        c.add(&aging, day, measure::OPEN_BALANCE, step.balance);
        c.add(&aging, day, measure::OPEN_TOTAL, step.total);
        c.add(&aging, day, measure::OPEN_ISSUE_DAYS, step.issue_day);
    }
    for k in measure::AGING_THRESHOLDS {
        for (day, step) in receivable.steps(Some(k)) {
            c.add(&aging, day, &measure::overdue(k, "count"), step.count);
            c.add(&aging, day, &measure::overdue(k, "balance"), step.balance);
        }
    }
    let issued = receivable.issued_on;
    let keys = [bucket_key(Grain::Day, issued), bucket_key(Grain::Month, issued)];
    let mut open = |step: OpenStep, day: NaiveDate, value: Measure| {
        for sk in &keys {
            c.count_family(
                (family::INVOICES_OPEN.to_owned(), sk.clone()),
                measure::open_step(step, day),
                value,
            );
        }
    };
    for (day, step) in receivable.steps(None) {
        open(OpenStep::Count, day, step.count);
        open(OpenStep::Balance, day, step.balance);
        open(OpenStep::PartiallyPaid, day, step.partially_paid);
    }
    for (day, step) in receivable.steps(Some(1)) {
        open(OpenStep::OverdueCount, day, step.count);
        open(OpenStep::OverdueBalance, day, step.balance);
        open(OpenStep::OverduePartiallyPaid, day, step.partially_paid);
    }
    let state = customer_ar_key(tenant, customer);
    c.count(state.clone(), measure::ISSUED_INVOICES.to_owned(), 1);
    c.count(state.clone(), measure::INVOICED.to_owned(), receivable.total);
    let after_all = receivable.final_figures();
    c.count(state, measure::due_on(receivable.due_date), after_all.balance);
}
