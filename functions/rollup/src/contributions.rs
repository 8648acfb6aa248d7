//! What one version of a source record contributes to the aggregates: pure
//! functions, no I/O. A change applies `contribution(new) - contribution(old)`.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sales_shared::buckets::{Grain, bucket_key, bucket_keys, calendar_bucket_keys, month_key};
use sales_shared::money::to_cents;
use sales_shared::periods::local_date;
use sales_shared::records::{
    DisputeStatus, Invoice, InvoiceStatus, Order, Payment, PaymentStatus, RecordBody, Rejection,
    SourceRecord, StrEnum, TenantSettings, check_currency, check_envelope, check_limits,
};
use sales_shared::sketch;
use sales_shared::store::aggregates::measure::{
    Daily,
    ProductFigure::{Revenue, Units},
};
use sales_shared::store::aggregates::{
    Measure, Measures, entity_key, family, key_map, measure, measures_pk, settings_key,
};
use sales_shared::store::high_value::amount_key;

/// Key of an aggregates-table item: (pk, sk).
pub type ItemKey = (String, String);
pub type Item = std::collections::HashMap<String, AttributeValue>;

/// Everything one record version adds to the aggregates.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Contribution {
    /// Dated additive measures: (family, local date) -> measures.
    pub dated: BTreeMap<(String, NaiveDate), Measures>,
    /// Undated additive measures, added to one item as they are (per-entity
    /// counters such as a customer's placed orders per local day).
    pub counters: BTreeMap<ItemKey, Measures>,
    /// Dated measures of one entity (customer, product shard): (family,
    /// local date, id) -> measures, kept in one item per entity and bucket
    /// (`pk = {tenant}#{family}`, `sk = {bucket}#{id}`), so no item grows
    /// with the number of entities.
    pub entities: BTreeMap<(String, NaiveDate, i64), Measures>,
    /// Additive measures of items of one family and sort key, written as
    /// they are: (family, sk) -> measures (month items with per-day
    /// measures, items by issue date at D/M grain only).
    pub family_counters: BTreeMap<(String, String), Measures>,
    /// Whole items the record owns (index entries, copies of dimensions).
    pub items: BTreeMap<ItemKey, Item>,
    /// A sum passed the 128-bit range (impossible within the record
    /// limits; [`checked_contribution`] refuses the record if it happens).
    overflowed: bool,
}

/// Adds `value` to a measure, noting an overflow instead of wrapping.
fn accumulate(measures: &mut Measures, name: &str, value: Measure, overflowed: &mut bool) {
    let total = measures.entry(name.to_owned()).or_default();
    match total.checked_add(value) {
        Some(sum) => *total = sum,
        None => *overflowed = true,
    }
}

impl Contribution {
    fn add(&mut self, families: &[String], day: NaiveDate, name: &str, value: impl Into<Measure>) {
        let value = value.into();
        if value == 0 {
            return;
        }
        for family in families {
            let measures = self.dated.entry((family.clone(), day)).or_default();
            accumulate(measures, name, value, &mut self.overflowed);
        }
    }

    /// [`Self::add`] to the day and month items only: year items are
    /// written on every change of their family and their size is write
    /// units, so measures that fill an item by the hundred stay out of
    /// them (a range reads whole years as their months for these:
    /// `sum_without_years`).
    fn add_without_years(
        &mut self,
        families: &[String],
        day: NaiveDate,
        name: &str,
        value: Measure,
    ) {
        for family in families {
            for grain in [Grain::Day, Grain::Month] {
                self.count_family((family.clone(), bucket_key(grain, day)), name.to_owned(), value);
            }
        }
    }

    fn add_entity(
        &mut self,
        families: &[String],
        day: NaiveDate,
        id: i64,
        name: &str,
        value: impl Into<Measure>,
    ) {
        let value = value.into();
        if value == 0 {
            return;
        }
        for family in families {
            let measures = self.entities.entry((family.clone(), day, id)).or_default();
            accumulate(measures, name, value, &mut self.overflowed);
        }
    }

    /// The measures of one entity in a family on one day (empty when none).
    pub fn entity(&self, family: &str, day: NaiveDate, id: i64) -> Measures {
        self.entities.get(&(family.to_owned(), day, id)).cloned().unwrap_or_default()
    }

    /// A counter in an item of the tenant's `family` with sort key `sk`
    /// (the tenant is added when the delta is built).
    fn count_family(&mut self, (family, sk): (String, String), name: String, value: Measure) {
        if value != 0 {
            accumulate(
                self.family_counters.entry((family, sk)).or_default(),
                &name,
                value,
                &mut self.overflowed,
            );
        }
    }

    fn count(&mut self, key: ItemKey, name: String, value: Measure) {
        if value != 0 {
            accumulate(self.counters.entry(key).or_default(), &name, value, &mut self.overflowed);
        }
    }

    /// The measures of one family on one day (empty when none).
    pub fn measures(&self, family: &str, day: NaiveDate) -> Measures {
        self.dated.get(&(family.to_owned(), day)).cloned().unwrap_or_default()
    }

    /// An index item owned by the record.
    fn index(
        &mut self,
        tenant: &str,
        family: &str,
        sk: String,
        attributes: Vec<(&str, AttributeValue)>,
    ) {
        let pk = measures_pk(tenant, family);
        let mut item = key_map(pk.clone(), sk.clone());
        for (name, value) in attributes {
            item.insert(name.to_owned(), value);
        }
        self.items.insert((pk, sk), item);
    }

    fn copy(&mut self, tenant: &str, family: &str, id: i64, body: &RecordBody) {
        let (pk, sk) = (measures_pk(tenant, family), entity_key::sk(id));
        let mut item = key_map(pk.clone(), sk.clone());
        item.insert("record".into(), AttributeValue::S(body.to_json()));
        self.items.insert((pk, sk), item);
    }
}

/// Money to cents; amounts were checked against the record limits (two
/// places, at most 12 integer digits) before they get here.
fn cents(value: Decimal) -> Measure {
    to_cents(value).map_or(0, Measure::from)
}

/// A number attribute of an index item.
fn number(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The contribution of a record version that the aggregates may include,
/// or why it contributes nothing: it breaks a record limit, carries
/// another currency than the tenant's, or its sums would overflow. The
/// stream and `rebuild` both go through here, so a refused version is
/// absent from the live and the recomputed aggregates alike.
pub fn checked_contribution(
    record: &SourceRecord,
    settings: &TenantSettings,
) -> Result<Contribution, Rejection> {
    check_envelope(record)?;
    check_limits(record)?;
    check_currency(record, &settings.currency)?;
    let c = contribution(record, settings.tz());
    if c.overflowed {
        return Err(Rejection::new("(record)", "has sums past the 128-bit range"));
    }
    Ok(c)
}

/// The contribution of one record version (`None` body: a tombstone,
/// nothing). The record is taken as valid: see [`checked_contribution`].
pub fn contribution(record: &SourceRecord, tz: Tz) -> Contribution {
    let mut c = Contribution::default();
    let tenant = record.key.tenant_id.as_str();
    let id = record.key.id;
    match &record.body {
        Some(RecordBody::Order(order)) => {
            order_contribution(&mut c, order, tz);
            order_index(&mut c, tenant, id, order, tz);
            if order.is_placed() {
                let key = customer_days_key(tenant, order.customer_id);
                let day = local_date(&order.ordered_at, tz);
                c.count(order_cash_key(tenant, id), measure::ordered_on(day), 1);
                c.count(key.clone(), measure::order_day(day), 1);
                if order.is_revenue_bearing() {
                    c.count(key.clone(), measure::bearing_day(day), 1);
                    c.count(key, measure::revenue_day(day), cents(order.total_amount));
                }
            }
        }
        Some(RecordBody::Payment(payment)) => {
            payment_contribution(&mut c, payment, tz);
            payment_index(&mut c, tenant, id, payment, tz);
        }
        Some(RecordBody::Invoice(invoice)) => invoice_contribution(
            &mut c,
            tenant,
            id,
            invoice,
            local_date(&record.updated_at, tz),
            tz,
        ),
        Some(RecordBody::TenantSettings(settings)) => {
            let (pk, sk) = settings_key(tenant);
            let mut item = key_map(pk.clone(), sk.clone());
            item.insert(
                "settings".into(),
                AttributeValue::S(serde_json::to_string(settings).unwrap_or_default()),
            );
            c.items.insert((pk, sk), item);
        }
        Some(body @ RecordBody::Customer(_)) => c.copy(tenant, family::CUSTOMERS, id, body),
        Some(body @ RecordBody::Product(_)) => c.copy(tenant, family::PRODUCTS, id, body),
        Some(body @ RecordBody::SalesRep(_)) => c.copy(tenant, family::SALES_REPS, id, body),
        Some(body @ RecordBody::SalesTarget(_)) => c.copy(tenant, family::SALES_TARGETS, id, body),
        Some(body @ RecordBody::MarketingSpend(_)) => {
            c.copy(tenant, family::MARKETING_SPEND, id, body)
        }
        None => {}
    }
    c
}

fn order_contribution(c: &mut Contribution, order: &Order, tz: Tz) {
    let day = local_date(&order.ordered_at, tz);
    let mut f = vec![family::ORDERS.to_owned()];
    f.extend(order.sales_rep_id.map(family::orders_of_rep));
    c.add(&f, day, &measure::status(order.status.as_str()), 1);
    c.add(&f, day, &measure::status_value(order.status.as_str()), cents(order.total_amount));
    if !order.is_placed() {
        return;
    }
    let source = order.source.as_str();
    c.add(&f, day, measure::PLACED, 1);
    c.add(&f, day, &measure::source_placed(source), 1);
    c.add(&f, day, measure::CONFIRMED, i64::from(order.confirmed_at.is_some()));
    c.add(&f, day, measure::SHIPPED, i64::from(order.shipped_at.is_some()));
    if let Some(shipped_at) = order.shipped_at {
        let days = (local_date(&shipped_at, tz) - day).num_days();
        c.add(&f, day, measure::FULFILLED, 1);
        c.add(&f, day, measure::FULFILLMENT_DAYS, days);
        c.add(&f, day, &measure::fulfillment_days_bin(days), 1);
    }
    if let Some(delivered_at) = order.delivered_at {
        c.add(&f, day, measure::DELIVERED, 1);
        c.add(&f, day, measure::DELIVERED_ACCURATE, i64::from(!order.fulfillment_error));
        if let Some(promised) = order.promised_delivery_date {
            c.add(&f, day, measure::DELIVERY_PROMISED, 1);
            c.add(
                &f,
                day,
                measure::DELIVERED_ON_TIME,
                i64::from(local_date(&delivered_at, tz) <= promised),
            );
        }
    }
    // Trends: the month's item holds one measure per day.
    let key = (family::DAILY_ORDERS.to_owned(), bucket_key(Grain::Month, day));
    c.count_family(key.clone(), measure::daily(Daily::Placed, day), 1);
    if order.is_revenue_bearing() {
        c.count_family(key, measure::daily(Daily::Revenue, day), cents(order.total_amount));
    }
    let mut customers = vec![family::CUSTOMER_SALES.to_owned()];
    customers.extend(order.sales_rep_id.map(family::customer_sales_of_rep));
    let customer = order.customer_id;
    c.add_entity(&customers, day, customer, measure::PLACED, 1);
    if order.is_revenue_bearing() {
        let revenue = cents(order.total_amount);
        c.add_entity(&customers, day, customer, measure::REVENUE_BEARING, 1);
        c.add_entity(&customers, day, customer, measure::REVENUE, revenue);
        // The order-value sketch (of every slice) and the high-value bands
        // (of all orders only) skip the year items.
        c.add_without_years(&f, day, &sketch::bin_name(revenue), 1);
        if let Some(band) = measure::high_value_band(revenue) {
            let orders = [family::ORDERS.to_owned()];
            c.add_without_years(&orders, day, &measure::high_value_count(band), 1);
            c.add_without_years(&orders, day, &measure::high_value_value(band), revenue);
        }
        let products = [family::PRODUCT_SALES.to_owned()];
        // Products share one item per shard and bucket, so an order with
        // many lines still fits one transaction (at most PRODUCT_SHARDS x 3
        // items) and no item grows past a shard's share of the catalogue.
        for line in &order.lines {
            let shard = line.product_id.rem_euclid(family::PRODUCT_SHARDS);
            let (units, revenue) = (
                measure::product(line.product_id, Units),
                measure::product(line.product_id, Revenue),
            );
            c.add_entity(&products, day, shard, &units, line.quantity);
            c.add_entity(&products, day, shard, &revenue, cents(line.line_total));
        }
        c.add(&f, day, measure::REVENUE_BEARING, 1);
        c.add(&f, day, measure::REVENUE, revenue);
        c.add(&f, day, &measure::source_revenue(source), revenue);
        c.add(&f, day, measure::PENDING_FULFILLMENT, i64::from(order.shipped_at.is_none()));
        // return_rate: returned over delivered revenue-bearing orders (a
        // return counts even when the delivery was not recorded).
        c.add(&f, day, measure::REVENUE_BEARING_DELIVERED, i64::from(order.delivered_at.is_some()));
        c.add(&f, day, measure::REVENUE_BEARING_RETURNED, i64::from(order.returned_at.is_some()));
    }
}

fn payment_contribution(c: &mut Contribution, payment: &Payment, tz: Tz) {
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

fn invoice_contribution(
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
    let close_key = closed_on.map_or_else(|| family::STILL_OPEN.to_owned(), |d| d.to_string());
    let applications: Vec<(String, Measure)> = invoice
        .payment_applications
        .iter()
        .map(|a| (on_or_after_issue(local_date(&a.applied_at, tz)).to_string(), cents(a.amount)))
        .collect();
    c.index(
        tenant,
        family::INVOICES_BY_CLOSE,
        entity_key::under(close_key, invoice_id),
        vec![
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
        ],
    );
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
    let after_all = receivable.final_figures();
    c.count(state, measure::due_on(receivable.due_date), after_all.balance);
}

/// An order's order-to-cash join (`order_cash`).
pub fn order_cash_key(tenant: &str, order_id: i64) -> ItemKey {
    (measures_pk(tenant, &family::sharded(family::ORDER_CASH, order_id)), entity_key::sk(order_id))
}

/// A customer's open balances by due date (`customer_ar`).
pub fn customer_ar_key(tenant: &str, customer_id: i64) -> ItemKey {
    (
        measures_pk(tenant, &family::sharded(family::CUSTOMER_AR, customer_id)),
        entity_key::sk(customer_id),
    )
}

/// The item counting a customer's placed orders per local order day.
pub fn customer_days_key(tenant: &str, customer_id: i64) -> ItemKey {
    (
        measures_pk(tenant, &family::sharded(family::CUSTOMER_DAYS, customer_id)),
        entity_key::sk(customer_id),
    )
}

/// Index items of an order: by amount (day, month and year partitions) and
/// among the latest placed orders.
fn order_index(c: &mut Contribution, tenant: &str, id: i64, order: &Order, tz: Tz) {
    let day = local_date(&order.ordered_at, tz);
    let total = cents(order.total_amount);
    let attributes = || {
        vec![
            ("order_id", number(id)),
            ("order_number", AttributeValue::S(order.order_number.clone())),
            ("customer_id", number(order.customer_id)),
            ("sales_rep_id", order.sales_rep_id.map_or(AttributeValue::Null(true), number)),
            ("total", number(total)),
            ("status", AttributeValue::S(order.status.as_str().to_owned())),
            ("ordered_on", AttributeValue::S(day.to_string())),
        ]
    };
    // Every order, drafts included, by local date in its month's partition
    // (exports stream these in date order).
    let mut by_date = attributes();
    by_date.push(("source", AttributeValue::S(order.source.as_str().to_owned())));
    c.index(
        tenant,
        &family::bucketed(family::ORDERS_BY_DATE, &month_key(day)),
        entity_key::under(day, id),
        by_date,
    );
    if !order.is_placed() {
        return;
    }
    for bucket in bucket_keys(day) {
        c.index(
            tenant,
            &family::bucketed(family::ORDERS_BY_AMOUNT, &bucket),
            amount_key(total, id),
            attributes(),
        );
    }
    // Newest first when read backwards; within one instant, ids ascending
    // (the key holds the id's complement).
    let at = order.ordered_at.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%S%.9fZ");
    c.index(
        tenant,
        family::RECENT_ORDERS,
        entity_key::under(at, i64::MAX.saturating_sub(id)),
        attributes(),
    );
}

/// Index items of a payment: failed ones by bucket, open disputes; and
/// dispute outcome counters.
fn payment_index(c: &mut Contribution, tenant: &str, id: i64, payment: &Payment, tz: Tz) {
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

/// The effect of a change on the aggregates table, coalescable with others.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Delta {
    /// Additive updates per bucket item (day, month and year buckets).
    pub adds: BTreeMap<ItemKey, Measures>,
    /// Items to write whole.
    pub puts: BTreeMap<ItemKey, Item>,
    /// Items to remove.
    pub deletes: BTreeSet<ItemKey>,
}

impl Delta {
    /// `new - old` for one change.
    pub fn between(tenant: &str, old: &Contribution, new: &Contribution) -> Delta {
        let mut delta = Delta::default();
        for (sign, c) in [(-1 as Measure, old), (1, new)] {
            for ((family, day), measures) in &c.dated {
                let pk = measures_pk(tenant, family);
                for sk in bucket_keys(*day) {
                    delta.add(pk.clone(), sk, measures, sign);
                }
            }
            for ((family, day, id), measures) in &c.entities {
                // Customers' totals are the state of distinct counts and
                // rankings (`derive`): those keep every calendar period.
                let buckets: Vec<String> = if family == family::CUSTOMER_SALES {
                    calendar_bucket_keys(*day).into()
                } else {
                    bucket_keys(*day).into()
                };
                for bucket in buckets {
                    delta.add(
                        measures_pk(tenant, family),
                        entity_key::under(bucket, *id),
                        measures,
                        sign,
                    );
                }
            }
            for ((pk, sk), measures) in &c.counters {
                delta.add(pk.clone(), sk.clone(), measures, sign);
            }
            for ((family, sk), measures) in &c.family_counters {
                delta.add(measures_pk(tenant, family), sk.clone(), measures, sign);
            }
        }
        delta.prune();
        for key in old.items.keys() {
            if !new.items.contains_key(key) {
                delta.deletes.insert(key.clone());
            }
        }
        for (key, item) in &new.items {
            if old.items.get(key) != Some(item) {
                delta.puts.insert(key.clone(), item.clone());
            }
        }
        delta
    }

    /// Adds `sign * measures` to an item's additive update. Deltas sum a
    /// few changes' checked contributions, so they stay far inside i128;
    /// they saturate rather than wrap all the same.
    fn add(&mut self, pk: String, sk: String, measures: &Measures, sign: Measure) {
        let entry = self.adds.entry((pk, sk)).or_default();
        for (name, value) in measures {
            let total = entry.entry(name.clone()).or_default();
            *total = total.saturating_add(sign.saturating_mul(*value));
        }
    }

    fn prune(&mut self) {
        for measures in self.adds.values_mut() {
            measures.retain(|_, v| *v != 0);
        }
        self.adds.retain(|_, m| !m.is_empty());
    }

    /// Folds a later change into this one.
    pub fn merge(&mut self, later: &Delta) {
        // Only the entries `later` touches can become zero: prune those
        // (pruning everything would make folding many deltas quadratic).
        for (key, measures) in &later.adds {
            let entry = self.adds.entry(key.clone()).or_default();
            for (name, value) in measures {
                let total = entry.entry(name.clone()).or_default();
                *total = total.saturating_add(*value);
                if *total == 0 {
                    entry.remove(name);
                }
            }
            if entry.is_empty() {
                self.adds.remove(key);
            }
        }
        for key in &later.deletes {
            self.puts.remove(key);
            self.deletes.insert(key.clone());
        }
        for (key, item) in &later.puts {
            self.deletes.remove(key);
            self.puts.insert(key.clone(), item.clone());
        }
    }

    /// Aggregates-table items this delta writes.
    pub fn item_count(&self) -> usize {
        self.adds.len() + self.puts.len() + self.deletes.len()
    }

    pub fn keys(&self) -> impl Iterator<Item = &ItemKey> {
        self.adds.keys().chain(self.puts.keys()).chain(self.deletes.iter())
    }
}

mod receivables;

#[cfg(test)]
mod tests;
