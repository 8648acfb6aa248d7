//! What one version of a source record contributes to the aggregates: pure
//! functions, no I/O. A change applies `contribution(new) - contribution(old)`.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sales_shared::calendar::{Grain, bucket_key, bucket_keys, calendar_bucket_keys, month_key};
use sales_shared::layout::measure::{
    Daily,
    ProductFigure::{Revenue, Units},
};
use sales_shared::layout::{
    Measure, Measures, entity_key, family, measure, measures_pk, settings_key,
};
use sales_shared::money::to_cents;
use sales_shared::periods::local_date;
use sales_shared::records::{
    DisputeStatus, Invoice, InvoiceStatus, Order, Payment, PaymentStatus, RecordBody, Rejection,
    SourceRecord, TenantSettings, check_currency, check_envelope, check_limits,
};
use sales_shared::sketch;
use sales_shared::store::key_map;

mod invoices;
mod orders;
mod payments;
mod receivables;

use invoices::invoice_contribution;
use orders::{order_contribution, order_index};
use payments::{payment_contribution, payment_index};

/// Key of an aggregates-table item: (pk, sk).
pub type ItemKey = (String, String);
pub use sales_shared::store::Item;

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

#[cfg(test)]
mod tests;
