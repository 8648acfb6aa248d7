//! Reads of index items and dimension copies: the rows of the list
//! endpoints, the invoices behind aging, the per-customer families and the
//! names of customers, products and reps. Each read's cost grows with the
//! rows it returns (or with the log of a date range), never with all data.
//!
//! Here: the item access they share (query pages, partition scans, key
//! pages, batch gets, per-entity sums, rankings, by-date pages). The reads
//! themselves are by area in `orders`, `invoices`, `payments`,
//! `customers` and `copies`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::StoreError;
use super::aggregates::{AggregateReader, measures_of};
use super::item::{attr_number, attr_s};
use crate::calendar::{Grain, cover_keys};
use crate::figures::aging::{AgingInvoice, AgingTotals, CustomerInfo};
use crate::figures::cents_to_decimal;
use crate::figures::customers::{
    CustomerCounts, CustomerMap, CustomerTotals, LifetimeValue, OrderDays, order_days, per_customer,
};
use crate::figures::invoices::OpenInPeriod;
use crate::figures::orders::OrderRow;
use crate::figures::payments::{FailedPayment, OpenDispute, OpenDisputeTotals};
use crate::figures::revenue::ProductInfo;
use crate::layout::{
    EntityMeasures, Measure, Measures, add_measures, entity_key, family, lifetime, measure,
    measures_pk, ranking, returns,
};
use crate::periods::DateRange;
use crate::records::{Customer, MonthlyAmount, Product, SalesRep};

mod copies;
mod customers;
mod invoices;
mod orders;
mod payments;
mod top_k;

pub use invoices::aging_invoice;
pub use orders::order_row;

pub use super::Item;

fn malformed(item: &Item, what: &str) -> StoreError {
    StoreError::Malformed {
        key: attr_s(item, "pk").unwrap_or("?").to_owned(),
        message: format!("{what} item"),
    }
}

fn date(item: &Item, name: &str) -> Option<NaiveDate> {
    attr_s(item, name).and_then(|d| d.parse().ok())
}

impl AggregateReader<'_> {
    fn pk(&self, family: &str) -> String {
        measures_pk(self.tenant, family)
    }

    /// Items of a partition from `from` (inclusive) in key order, or
    /// backwards, stopping once `max` items have been read.
    pub async fn scan_partition(
        &self,
        pk: &str,
        from: Option<&str>,
        forward: bool,
        max: Option<usize>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(self.table)
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
                .scan_index_forward(forward)
                .set_exclusive_start_key(start);
            query = match (from, forward) {
                (Some(from), true) => query
                    .key_condition_expression("pk = :pk AND sk >= :from")
                    .expression_attribute_values(":from", AttributeValue::S(from.to_owned())),
                (Some(from), false) => query
                    .key_condition_expression("pk = :pk AND sk <= :from")
                    .expression_attribute_values(":from", AttributeValue::S(from.to_owned())),
                (None, _) => query.key_condition_expression("pk = :pk"),
            };
            if let Some(max) = max {
                query = query.limit((max - items.len()).clamp(1, 1000) as i32);
            }
            let out = query.send().await.map_err(|e| StoreError::dynamo("Query", e))?;
            let page = out.items.unwrap_or_default();
            self.items_read.fetch_add(page.len() as u64, Ordering::Relaxed);
            items.extend(page);
            start = out.last_evaluated_key;
            if start.is_none() || max.is_some_and(|m| items.len() >= m) {
                return Ok(items);
            }
        }
    }

    /// Up to `rows` items of a partition after the key `after`, in key
    /// order (or backwards), each with its key. Reads from `after`
    /// (inclusive) and drops it: one item of overhead, at any depth.
    async fn key_page<T>(
        &self,
        pk: &str,
        after: Option<&str>,
        forward: bool,
        rows: usize,
        parse: impl Fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let items = self.scan_partition(pk, after, forward, Some(rows.saturating_add(1))).await?;
        items
            .iter()
            .filter_map(|item| {
                let sk = attr_s(item, "sk")?;
                (Some(sk) != after).then(|| parse(item).map(|row| (sk.to_owned(), row)))
            })
            .take(rows)
            .collect()
    }

    /// Per-entity measures of a range (`customer_sales`,
    /// `customer_invoices` and their slices): each piece of the cover is one
    /// query returning an item per entity active in each of its buckets.
    pub async fn sum_entities(
        &self,
        base: &str,
        range: DateRange,
    ) -> Result<EntityMeasures, StoreError> {
        let mut total = EntityMeasures::new();
        for item in self.bucket_items(base, range).await? {
            let Some(id) = attr_s(&item, "sk").and_then(entity_key::id_of) else { continue };
            add_measures(total.entry(id).or_default(), &measures_of(&item)?);
        }
        Ok(total)
    }

    /// Sum of the shard items of a bucketed family over a range
    /// (`product_sales`: measures keep their names).
    pub async fn sum_shards(&self, base: &str, range: DateRange) -> Result<Measures, StoreError> {
        let mut total = Measures::new();
        for item in self.bucket_items(base, range).await? {
            add_measures(&mut total, &measures_of(&item)?);
        }
        Ok(total)
    }

    /// The entity items (`{bucket}#{id}`) of a range's cover.
    async fn bucket_items(&self, base: &str, range: DateRange) -> Result<Vec<Item>, StoreError> {
        if range.from > range.to {
            return Ok(Vec::new());
        }
        let ranges: Vec<(String, String)> = crate::calendar::cover(range)
            .iter()
            .map(|piece| entity_key::range_under(&piece.first, &piece.last))
            .collect();
        self.query_ranges(&self.pk(base), &ranges).await
    }

    /// A derived ranking (`family` is the ranking's partition family, such
    /// as `top_customers#M#2025-12`): up to `rows` entries after the key
    /// `after`, each with its key, id and measures.
    pub async fn ranking(
        &self,
        family: &str,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, i64, Measures)>, StoreError> {
        let entry = |item: &Item| {
            let id = attr_s(item, "sk")
                .and_then(ranking::id_of)
                .ok_or_else(|| malformed(item, "ranking key"))?;
            Ok((id, measures_of(item)?))
        };
        let page = self.key_page(&self.pk(family), after, true, rows, entry).await?;
        Ok(page.into_iter().map(|(sk, (id, measures))| (sk, id, measures)).collect())
    }

    /// Whether a family has a day item after `day` (one item read at most).
    pub async fn dated_after(&self, family: &str, day: NaiveDate) -> Result<bool, StoreError> {
        let Some(next) = day.succ_opt() else { return Ok(false) };
        let from = crate::calendar::bucket_key(Grain::Day, next);
        Ok(self.edge_day_item(family, &from, true).await?.is_some())
    }

    /// The latest day with a day item of a family (one item read at most).
    pub async fn last_dated(&self, family: &str) -> Result<Option<NaiveDate>, StoreError> {
        let item = self.edge_day_item(family, "D#", false).await?;
        Ok(item.as_ref().and_then(|item| attr_s(item, "sk")).and_then(crate::calendar::day_of_key))
    }

    /// The first day item of a family from the key `from` on (`forward`),
    /// or its last day item.
    async fn edge_day_item(
        &self,
        family: &str,
        from: &str,
        forward: bool,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :a AND :b")
            .expression_attribute_values(":pk", AttributeValue::S(self.pk(family)))
            .expression_attribute_values(":a", AttributeValue::S(from.to_owned()))
            .expression_attribute_values(":b", AttributeValue::S("D#~".to_owned()))
            .scan_index_forward(forward)
            .limit(1)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        let item = out.items.unwrap_or_default().into_iter().next();
        self.items_read.fetch_add(u64::from(item.is_some()), Ordering::Relaxed);
        Ok(item)
    }

    /// Items by key (duplicates read once; missing ones left out), counted.
    async fn batch_get(&self, keys: Vec<(String, String)>) -> Result<Vec<Item>, StoreError> {
        let items = super::batch_get_items(self.client, self.table, keys, false).await?;
        self.items_read.fetch_add(items.len() as u64, Ordering::Relaxed);
        Ok(items)
    }
}

/// Where the next page of a query starts.
pub type StartKey = Option<HashMap<String, AttributeValue>>;

impl<'a> AggregateReader<'a> {
    /// One page (up to 1 MB) of a partition's items with `first <= sk <=
    /// last`, and where the next page starts (`None` at the end).
    pub async fn query_page(
        &self,
        pk: &str,
        first: &str,
        last: &str,
        start: StartKey,
    ) -> Result<(Vec<Item>, StartKey), StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :a AND :b")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .expression_attribute_values(":a", AttributeValue::S(first.to_owned()))
            .expression_attribute_values(":b", AttributeValue::S(last.to_owned()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        let items = out.items.unwrap_or_default();
        self.items_read.fetch_add(items.len() as u64, Ordering::Relaxed);
        Ok((items, out.last_evaluated_key))
    }

    /// The by-date index items (`orders_by_date`, `invoices_by_issue`) of a
    /// range, a page at a time, in date order.
    pub fn dated_pages<'r>(&'r self, family: &'static str, range: DateRange) -> DatedPages<'r, 'a> {
        DatedPages { reader: self, family, range, month: first_of_month(range.from), start: None }
    }
}

/// Pages of a by-date index over a range (one partition per month).
pub struct DatedPages<'r, 'a> {
    reader: &'r AggregateReader<'a>,
    family: &'static str,
    range: DateRange,
    month: NaiveDate,
    start: StartKey,
}

impl DatedPages<'_, '_> {
    /// The next non-empty page, `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Vec<Item>>, StoreError> {
        while self.month <= self.range.to {
            let pk = self
                .reader
                .pk(&family::bucketed(self.family, &crate::calendar::month_key(self.month)));
            let (first, last) = entity_key::range_under(self.range.from, self.range.to);
            let (items, next) =
                self.reader.query_page(&pk, &first, &last, self.start.take()).await?;
            if next.is_some() {
                self.start = next;
            } else {
                let end = crate::periods::month_range(
                    chrono::Datelike::year(&self.month),
                    chrono::Datelike::month(&self.month),
                )
                .to;
                self.month = end.succ_opt().unwrap_or(NaiveDate::MAX);
            }
            if !items.is_empty() {
                return Ok(Some(items));
            }
        }
        Ok(None)
    }
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    day.with_day(1).unwrap_or(day)
}
