//! What one version of a source record contributes to the aggregates: pure
//! functions, no I/O. A change applies `contribution(new) - contribution(old)`.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sales_shared::buckets::bucket_keys;
use sales_shared::money::to_cents;
use sales_shared::periods::local_date;
use sales_shared::records::{Invoice, InvoiceStatus, Order, Payment, RecordBody, SourceRecord, StrEnum};
use sales_shared::store::aggregates::{
    Measures, OpenInvoice, family, measure, measures_pk, open_invoice_item, settings_key,
};

/// Key of an aggregates-table item: (pk, sk).
pub type ItemKey = (String, String);
pub type Item = std::collections::HashMap<String, AttributeValue>;

/// Everything one record version adds to the aggregates.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Contribution {
    /// Dated additive measures: (family, local date) -> measures.
    pub dated: BTreeMap<(&'static str, NaiveDate), Measures>,
    /// Whole items the record owns (index entries, settings copy).
    pub items: BTreeMap<ItemKey, Item>,
}

impl Contribution {
    fn add(&mut self, family: &'static str, day: NaiveDate, name: &str, value: i64) {
        if value != 0 {
            *self.dated.entry((family, day)).or_default().entry(name.to_owned()).or_default() += value;
        }
    }
}

/// Money to cents; amounts were validated to two places on the way in.
fn cents(value: Decimal) -> i64 {
    to_cents(value).unwrap_or(0)
}

/// The contribution of one record version (`None` body: a tombstone, nothing).
pub fn contribution(record: &SourceRecord, tz: Tz) -> Contribution {
    let mut c = Contribution::default();
    let tenant = record.key.tenant_id.as_str();
    match &record.body {
        Some(RecordBody::Order(order)) => order_contribution(&mut c, order, tz),
        Some(RecordBody::Payment(payment)) => payment_contribution(&mut c, payment, tz),
        Some(RecordBody::Invoice(invoice)) => invoice_contribution(&mut c, tenant, record.key.id, invoice, tz),
        Some(RecordBody::TenantSettings(settings)) => {
            let (pk, sk) = settings_key(tenant);
            let mut item = sales_shared::store::aggregates::key_map(pk.clone(), sk.clone());
            item.insert("settings".into(), AttributeValue::S(serde_json::to_string(settings).unwrap_or_default()));
            c.items.insert((pk, sk), item);
        }
        // Customers, products, reps, targets and spend feed the aggregates
        // of the "Rollup engine" issue.
        _ => {}
    }
    c
}

fn order_contribution(c: &mut Contribution, order: &Order, tz: Tz) {
    let day = local_date(&order.ordered_at, tz);
    let f = family::ORDERS;
    c.add(f, day, &measure::status(order.status.as_str()), 1);
    if order.is_placed() {
        c.add(f, day, measure::PLACED, 1);
        c.add(f, day, measure::CONFIRMED, i64::from(order.confirmed_at.is_some()));
        c.add(f, day, measure::SHIPPED, i64::from(order.shipped_at.is_some()));
    }
    if order.is_revenue_bearing() {
        c.add(f, day, measure::REVENUE_BEARING, 1);
        c.add(f, day, measure::REVENUE, cents(order.total_amount));
    }
}

fn payment_contribution(c: &mut Contribution, payment: &Payment, tz: Tz) {
    let day = local_date(&payment.created_at, tz);
    let f = family::PAYMENTS;
    c.add(f, day, &measure::status(payment.status.as_str()), 1);
    c.add(f, day, measure::REFUNDED, cents(payment.refunded_amount));
    if payment.is_captured() {
        c.add(f, day, measure::CAPTURED, 1);
        c.add(f, day, measure::PROCESSED, cents(payment.amount));
        c.add(f, day, measure::FEES, cents(payment.fee_amount));
    }
}

fn invoice_contribution(c: &mut Contribution, tenant: &str, invoice_id: i64, invoice: &Invoice, tz: Tz) {
    let Some(issued_at) = invoice.issued_at else { return };
    if invoice.status == InvoiceStatus::Draft {
        return;
    }
    let f = family::INVOICES;
    let issued_on = local_date(&issued_at, tz);
    c.add(f, issued_on, measure::ISSUED, 1);
    if invoice.status == InvoiceStatus::Cancelled {
        return;
    }
    let total = cents(invoice.total_amount);
    let paid: i64 = invoice.payment_applications.iter().map(|a| cents(a.amount)).sum();
    let written_off = cents(invoice.written_off_amount);
    c.add(f, issued_on, measure::BILLABLE, 1);
    c.add(f, issued_on, measure::INVOICED, total);
    c.add(f, issued_on, measure::PAID, paid);
    c.add(f, issued_on, measure::WRITTEN_OFF, written_off);

    // Receivables move on the local date of each event, never before issue.
    let on_or_after_issue = |d: NaiveDate| d.max(issued_on);
    c.add(f, issued_on, measure::AR_CHANGE, total);
    for application in &invoice.payment_applications {
        c.add(
            f,
            on_or_after_issue(local_date(&application.applied_at, tz)),
            measure::AR_CHANGE,
            -cents(application.amount),
        );
    }
    if let (true, Some(at)) = (written_off > 0, invoice.written_off_at) {
        c.add(f, on_or_after_issue(local_date(&at, tz)), measure::AR_CHANGE, -written_off);
    }

    let last_application = invoice.payment_applications.iter().map(|a| local_date(&a.applied_at, tz)).max();
    if let (true, Some(last)) = (paid == total, last_application) {
        let paid_on = on_or_after_issue(last);
        c.add(f, issued_on, measure::PAID_BY_PAYMENTS, 1);
        c.add(f, issued_on, measure::DAYS_TO_PAY, (paid_on - issued_on).num_days());
        c.add(f, paid_on, measure::PAID_OFF, 1);
    }

    let balance = total - paid - written_off;
    if balance > 0 {
        let open = OpenInvoice {
            invoice_id,
            customer_id: invoice.customer_id,
            issued_on,
            due_date: invoice.due_date,
            balance_cents: balance,
        };
        let item = open_invoice_item(tenant, &open);
        let key =
            (measures_pk(tenant, family::OPEN_INVOICES), sales_shared::store::aggregates::open_invoice_sk(invoice_id));
        c.items.insert(key, item);
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
        for (sign, c) in [(-1i64, old), (1, new)] {
            for ((family, day), measures) in &c.dated {
                let pk = measures_pk(tenant, family);
                for sk in bucket_keys(*day) {
                    let entry = delta.adds.entry((pk.clone(), sk)).or_default();
                    for (name, value) in measures {
                        *entry.entry(name.clone()).or_default() += sign * value;
                    }
                }
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

    fn prune(&mut self) {
        for measures in self.adds.values_mut() {
            measures.retain(|_, v| *v != 0);
        }
        self.adds.retain(|_, m| !m.is_empty());
    }

    /// Folds a later change into this one.
    pub fn merge(&mut self, later: Delta) {
        for (key, measures) in later.adds {
            let entry = self.adds.entry(key).or_default();
            for (name, value) in measures {
                *entry.entry(name).or_default() += value;
            }
        }
        self.prune();
        for key in later.deletes {
            self.puts.remove(&key);
            self.deletes.insert(key);
        }
        for (key, item) in later.puts {
            self.deletes.remove(&key);
            self.puts.insert(key, item);
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

#[cfg(test)]
mod tests;
