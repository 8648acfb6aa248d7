//! Reads of index items and dimension copies: the rows of the list
//! endpoints, the invoices behind aging, the per-customer families and the
//! names of customers, products and reps. Each read's cost grows with the
//! rows it returns (or with the log of a date range), never with all data.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::StoreError;
use super::aggregates::{
    AggregateReader, EntityMeasures, Measure, Measures, add_measures, attr_number, attr_s,
    entity_key, family, lifetime, measure, measures_of, measures_pk, ranking,
};
use crate::buckets::{Grain, cover_keys};
use crate::metrics::aging::{AgingInvoice, AgingTotals, CustomerInfo};
use crate::metrics::cents_to_decimal;
use crate::metrics::customers::{
    CustomerCounts, CustomerMap, CustomerTotals, LifetimeValue, OrderDays, order_days, per_customer,
};
use crate::metrics::invoices::OpenInPeriod;
use crate::metrics::orders::OrderRow;
use crate::metrics::payments::{FailedPayment, OpenDispute, OpenDisputeTotals};
use crate::metrics::revenue::ProductInfo;
use crate::periods::DateRange;
use crate::records::{Customer, MonthlyAmount, Product, SalesRep};

pub type Item = HashMap<String, AttributeValue>;

fn malformed(item: &Item, what: &str) -> StoreError {
    StoreError::Malformed {
        key: attr_s(item, "pk").unwrap_or("?").to_owned(),
        message: format!("{what} item"),
    }
}

fn date(item: &Item, name: &str) -> Option<NaiveDate> {
    attr_s(item, name).and_then(|d| d.parse().ok())
}

/// An order row of the by-amount or recent-orders index.
pub fn order_row(item: &Item) -> Result<OrderRow, StoreError> {
    (|| {
        Some(OrderRow {
            order_id: attr_number(item, "order_id")?,
            order_number: attr_s(item, "order_number")?.to_owned(),
            customer_id: attr_number(item, "customer_id")?,
            sales_rep_id: attr_number(item, "sales_rep_id"),
            total_cents: attr_number(item, "total")?,
            status: attr_s(item, "status")?.to_owned(),
            ordered_on: date(item, "ordered_on")?,
        })
    })()
    .ok_or_else(|| malformed(item, "order index"))
}

/// An invoice of the closing-date index, with its dated applications.
pub fn aging_invoice(item: &Item) -> Result<(AgingInvoice, Option<i64>), StoreError> {
    (|| {
        let applications: Vec<(String, Measure)> =
            serde_json::from_str(attr_s(item, "applications")?).ok()?;
        let applications = applications
            .into_iter()
            .map(|(d, c)| Some((d.parse().ok()?, c)))
            .collect::<Option<Vec<_>>>()?;
        let invoice = AgingInvoice {
            invoice_id: attr_number(item, "invoice_id")?,
            invoice_number: attr_s(item, "invoice_number")?.to_owned(),
            customer_id: attr_number(item, "customer_id")?,
            issued_on: date(item, "issued_on")?,
            due_date: date(item, "due_date")?,
            total_cents: attr_number(item, "total")?,
            written_off_cents: attr_number(item, "written_off").unwrap_or(0),
            written_off_on: date(item, "written_off_on"),
            applications,
        };
        Some((invoice, attr_number(item, "order_id")))
    })()
    .ok_or_else(|| malformed(item, "invoice closing index"))
}

/// An open dispute of the open-disputes index.
pub fn open_dispute(item: &Item) -> Result<OpenDispute, StoreError> {
    (|| {
        Some(OpenDispute {
            payment_id: attr_number(item, "payment_id")?,
            payment_number: attr_s(item, "payment_number")?.to_owned(),
            amount_cents: attr_number(item, "amount")?,
            dispute_reason: attr_s(item, "dispute_reason")?.to_owned(),
            disputed_at: attr_s(item, "disputed_at")?.to_owned(),
            evidence_due_date: date(item, "evidence_due_date")?,
            status: attr_s(item, "status")?.to_owned(),
        })
    })()
    .ok_or_else(|| malformed(item, "open dispute"))
}

pub fn failed_payment(item: &Item) -> Result<FailedPayment, StoreError> {
    (|| {
        Some(FailedPayment {
            payment_id: attr_number(item, "payment_id")?,
            payment_number: attr_s(item, "payment_number")?.to_owned(),
            amount_cents: attr_number(item, "amount")?,
            method: attr_s(item, "method")?.to_owned(),
            failure_reason: attr_s(item, "failure_reason")?.to_owned(),
            failed_at: attr_s(item, "failed_at")?.to_owned(),
            retry_count: attr_number(item, "retry_count").unwrap_or(0),
            can_retry: item
                .get("can_retry")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
            customer_id: attr_number(item, "customer_id")?,
        })
    })()
    .ok_or_else(|| malformed(item, "failed payment"))
}

fn copy_of<T: serde::de::DeserializeOwned>(item: &Item) -> Result<(i64, T), StoreError> {
    let id = attr_s(item, "sk")
        .and_then(|sk| sk.parse::<i64>().ok())
        .ok_or_else(|| malformed(item, "copy"))?;
    let record = attr_s(item, "record").ok_or_else(|| malformed(item, "copy"))?;
    let body = serde_json::from_str(record).map_err(|_| malformed(item, "copy"))?;
    Ok((id, body))
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

    /// Placed orders of a range with `total >= min_cents`, from the
    /// by-amount partitions of the range's cover.
    pub async fn orders_from_amount(
        &self,
        range: DateRange,
        min_cents: i64,
    ) -> Result<Vec<OrderRow>, StoreError> {
        let from = super::high_value::from_amount(min_cents);
        let mut rows = Vec::new();
        for key in cover_keys(range) {
            let pk = self.pk(&family::bucketed(family::ORDERS_BY_AMOUNT, &key));
            for item in self.scan_partition(&pk, Some(&from), true, None).await? {
                rows.push(order_row(&item)?);
            }
        }
        Ok(rows)
    }

    /// Highest and lowest total of the range's revenue-bearing orders that
    /// match `keep` (a rep filter, or everything): each cover partition is
    /// read from both ends, in growing pages, until a match.
    pub async fn order_extremes(
        &self,
        range: DateRange,
        keep: impl Fn(&OrderRow) -> bool,
    ) -> Result<(Option<i64>, Option<i64>), StoreError> {
        let (mut highest, mut lowest) = (None::<i64>, None::<i64>);
        for key in cover_keys(range) {
            let pk = self.pk(&family::bucketed(family::ORDERS_BY_AMOUNT, &key));
            for forward in [true, false] {
                let mut want = 8;
                loop {
                    let items = self.scan_partition(&pk, None, forward, Some(want)).await?;
                    let rows = items.iter().map(order_row).collect::<Result<Vec<_>, _>>()?;
                    if let Some(row) = rows.iter().find(|r| r.is_revenue_bearing() && keep(r)) {
                        let total = row.total_cents;
                        if forward {
                            lowest = Some(lowest.map_or(total, |l| l.min(total)));
                        } else {
                            highest = Some(highest.map_or(total, |h| h.max(total)));
                        }
                        break;
                    }
                    if items.len() < want {
                        break;
                    }
                    want *= 4;
                }
            }
        }
        Ok((highest, lowest))
    }

    /// Up to `rows` of the latest placed orders after the key `after`,
    /// newest first, each with its key.
    pub async fn recent_orders(
        &self,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, OrderRow)>, StoreError> {
        self.key_page(&self.pk(family::RECENT_ORDERS), after, false, rows, order_row).await
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

    /// Invoices open at the end of `day` or closed after it, each with its
    /// order id (the closing-date index from the next day on).
    pub async fn invoices_open_at(
        &self,
        day: NaiveDate,
    ) -> Result<Vec<(AgingInvoice, Option<i64>)>, StoreError> {
        let pk = self.pk(family::INVOICES_BY_CLOSE);
        let from = entity_key::first_under(day.succ_opt().unwrap_or(day));
        self.scan_partition(&pk, Some(&from), true, None).await?.iter().map(aging_invoice).collect()
    }

    /// A page of the failed payments of a range, newest `failed_at` first
    /// (ids ascending within one instant), after the index key `after`
    /// (`{failed_at}#{id}`, the last row of the previous page). The cover's
    /// partitions hold disjoint dates, so they are read newest first, each
    /// backwards from the cut, until `rows` rows are found (plus the
    /// rest of the last row's instant, whose ids come last first when read
    /// backwards). Returns up to `rows` rows with their keys.
    pub async fn failed_payments_page(
        &self,
        range: DateRange,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, FailedPayment)>, StoreError> {
        let cut = after.and_then(|key| Some((entity_key::prefix_of(key)?, key)));
        let mut found: BTreeMap<String, Item> = BTreeMap::new();
        for key in cover_keys(range).iter().rev() {
            let pk = self.pk(&family::bucketed(family::FAILED_PAYMENTS, key));
            if let Some((at, after)) = cut {
                // The rest of the cut's instant: ids after the last one.
                let (_, last) = entity_key::range_under(at, at);
                for item in self.query_range(&pk, &entity_key::just_after(after), &last).await? {
                    found.insert(attr_s(&item, "sk").unwrap_or_default().to_owned(), item);
                }
            }
            let from = cut.map(|(at, _)| entity_key::first_under(at));
            let left = rows.saturating_sub(found.len()).max(1);
            let items = self.scan_partition(&pk, from.as_deref(), false, Some(left)).await?;
            // The lower ids of the last row's instant (read again from it).
            let last =
                (items.len() >= left).then(|| items.last().and_then(|i| attr_s(i, "sk"))).flatten();
            let rest =
                last.and_then(|sk| Some((entity_key::prefix_of(sk)?.to_owned(), sk.to_owned())));
            for item in items {
                found.insert(attr_s(&item, "sk").unwrap_or_default().to_owned(), item);
            }
            if let Some((at, last)) = rest {
                for item in self.query_range(&pk, &entity_key::first_under(&at), &last).await? {
                    found.insert(attr_s(&item, "sk").unwrap_or_default().to_owned(), item);
                }
            }
            if found.len() >= rows {
                break;
            }
        }
        let mut out = found
            .into_iter()
            .map(|(sk, item)| Ok((sk, failed_payment(&item)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by(|a, b| {
            b.1.failed_at.cmp(&a.1.failed_at).then(a.1.payment_id.cmp(&b.1.payment_id))
        });
        out.truncate(rows);
        Ok(out)
    }

    /// Up to `rows` open disputes by evidence due date after the key
    /// `after`, each with its key.
    pub async fn open_disputes_page(
        &self,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, OpenDispute)>, StoreError> {
        self.key_page(&self.pk(family::OPEN_DISPUTES), after, true, rows, open_dispute).await
    }

    /// The open disputes' totals: all of them, and those due by `urgent_by`.
    pub async fn open_dispute_totals(
        &self,
        urgent_by: NaiveDate,
    ) -> Result<OpenDisputeTotals, StoreError> {
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(urgent_by);
        let all = self
            .sum(family::OPEN_DISPUTES_DUE, DateRange::new(crate::buckets::epoch(), last))
            .await?;
        let soon = self.sum_through(family::OPEN_DISPUTES_DUE, urgent_by).await?;
        Ok(OpenDisputeTotals::from_sums(&all, &soon))
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
        let mut items = Vec::new();
        if range.from > range.to {
            return Ok(items);
        }
        let pk = self.pk(base);
        for piece in crate::buckets::cover(range) {
            let (first, last) = entity_key::range_under(&piece.first, &piece.last);
            items.extend(self.query_range(&pk, &first, &last).await?);
        }
        Ok(items)
    }

    /// Per-customer order totals over a range (`customer_sales`, or a rep's
    /// `customer_sales@rep={id}`).
    pub async fn customers(
        &self,
        rep: Option<i64>,
        range: DateRange,
    ) -> Result<CustomerMap, StoreError> {
        let base =
            rep.map_or_else(|| family::CUSTOMER_SALES.to_owned(), family::customer_sales_of_rep);
        Ok(per_customer(&self.sum_entities(&base, range).await?))
    }

    /// The derived customer counts of one calendar bucket
    /// (`customer_counts`, one item).
    pub async fn customer_counts(&self, bucket: &str) -> Result<CustomerCounts, StoreError> {
        Ok(CustomerCounts::from_measures(&self.bucket_counts(bucket).await?))
    }

    /// Average, exact median and top-tenth average of the current lifetime
    /// values of every customer with a revenue-bearing order, from the
    /// derived histogram (`lifetime::`): every `bin#` item (one query),
    /// then one item of each deeper level for each of the median's two
    /// ranks and for the tenth's edge.
    pub async fn lifetime_values(&self) -> Result<LifetimeValue, StoreError> {
        let pk = self.pk(family::LIFETIME_VALUES);
        let (first, last) = lifetime::bins_range();
        let mut levels: HashMap<Vec<Measure>, Level> = HashMap::new();
        let mut bins = Level::new();
        for item in self.query_range(&pk, first, last).await? {
            let Some(bits) = attr_s(&item, "sk").and_then(lifetime::bits_of) else { continue };
            let level = level_of(measures_of(&item)?, false);
            let (n, s) = level.values().fold((0, 0), |(n, s): (Measure, Measure), (c, v)| {
                (n.saturating_add(*c), s.saturating_add(*v))
            });
            if n != 0 {
                bins.insert(bits, (n, s));
            }
            levels.insert(vec![bits], level);
        }
        let n: Measure = bins.values().map(|(c, _)| c).sum();
        let total: Measure = bins.values().map(|(_, s)| s).sum();
        levels.insert(Vec::new(), bins);
        if n <= 0 {
            return Ok(LifetimeValue {
                average: Decimal::ZERO,
                median: Decimal::ZERO,
                top_10_percent: Decimal::ZERO,
            });
        }
        // The level under a path prefix, read once.
        let mut level = async |prefix: &[Measure]| -> Result<Level, StoreError> {
            if let Some(hit) = levels.get(prefix) {
                return Ok(hit.clone());
            }
            let measures = match lifetime::level_sk(prefix) {
                Some(sk) => match self.get((pk.clone(), sk)).await? {
                    Some(item) => measures_of(&item)?,
                    None => Measures::new(),
                },
                None => Measures::new(),
            };
            let out = level_of(measures, prefix.len() == lifetime::DEPTH);
            levels.insert(prefix.to_vec(), out.clone());
            Ok(out)
        };
        // The value at a rank (0 = smallest): one step down each level.
        let mut at_rank = async |mut rank: Measure| -> Result<Measure, StoreError> {
            let mut prefix = Vec::new();
            while prefix.len() <= lifetime::DEPTH {
                let (step, rest) = locate(level(&prefix).await?.iter(), rank);
                rank = rest;
                prefix.push(step);
            }
            Ok(prefix.last().copied().unwrap_or_default())
        };
        let median = (cents_to_decimal(at_rank((n - 1) / 2).await?)
            + cents_to_decimal(at_rank(n / 2).await?))
            / Decimal::TWO;
        // The sum of the k largest: whole entries from the top of each
        // level, then down into the entry that holds the edge.
        let k = (n + 9) / 10;
        let (mut left, mut top): (Measure, Measure) = (k, 0);
        let mut prefix = Vec::new();
        'levels: while left > 0 && prefix.len() <= lifetime::DEPTH {
            let leaf = prefix.len() == lifetime::DEPTH;
            for (step, (count, sum)) in level(&prefix).await?.iter().rev() {
                if left == 0 {
                    break 'levels;
                } else if *count <= left {
                    (left, top) = (left - count, top.saturating_add(*sum));
                } else if leaf {
                    (left, top) = (0, top.saturating_add(left.saturating_mul(*step)));
                } else {
                    prefix.push(*step);
                    continue 'levels;
                }
            }
            break;
        }
        Ok(LifetimeValue {
            average: crate::metrics::average(cents_to_decimal(total), n),
            median,
            top_10_percent: crate::metrics::average(cents_to_decimal(top), k),
        })
    }

    /// The given customers' placed orders per local day (all of them), and
    /// their totals through `end` (placed and revenue-bearing orders,
    /// revenue): one read of each `customer_days` item.
    pub async fn customer_histories(
        &self,
        ids: &[i64],
        end: NaiveDate,
    ) -> Result<(BTreeMap<i64, OrderDays>, CustomerMap), StoreError> {
        let (mut days, mut through) = (BTreeMap::new(), CustomerMap::new());
        for (id, measures) in self.customer_day_items(ids).await? {
            let totals: &mut CustomerTotals = through.entry(id).or_default();
            for (name, v) in &measures {
                match measure::customer_day_of(name) {
                    Some(('d', day)) if day <= end => totals.placed += v,
                    Some(('r', day)) if day <= end => totals.revenue_bearing += v,
                    Some(('v', day)) if day <= end => totals.revenue_cents += v,
                    _ => {}
                }
            }
            days.insert(id, order_days(&measures));
        }
        Ok((days, through))
    }

    /// Every derived count of one calendar bucket (`customer_counts`).
    pub async fn bucket_counts(&self, bucket: &str) -> Result<Measures, StoreError> {
        let item = self.get((self.pk(family::CUSTOMER_COUNTS), bucket.to_owned())).await?;
        Ok(item.map(|item| measures_of(&item)).transpose()?.unwrap_or_default())
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

    /// The customers of a calendar bucket by revenue (descending, ids
    /// ascending), from the derived ranking: up to `rows` after the
    /// ranking key `after`, each with its key.
    pub async fn top_customers(
        &self,
        bucket: &str,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, i64, CustomerTotals)>, StoreError> {
        let rows =
            self.ranking(&family::bucketed(family::TOP_CUSTOMERS, bucket), after, rows).await?;
        Ok(rows
            .into_iter()
            .map(|(sk, id, m)| {
                let get = |name: &str| m.get(name).copied().unwrap_or(0);
                let totals = CustomerTotals {
                    placed: get(measure::PLACED),
                    revenue_bearing: get(measure::REVENUE_BEARING),
                    revenue_cents: get(measure::REVENUE),
                };
                (sk, id, totals)
            })
            .collect())
    }

    /// Customers by open balance now (descending, ids ascending), with
    /// their open balances by due date; customers whose invoices are all
    /// settled follow at zero.
    pub async fn customers_by_balance(
        &self,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, i64, Vec<(NaiveDate, Measure)>)>, StoreError> {
        let rows = self.ranking(family::AR_CUSTOMERS, after, rows).await?;
        Ok(rows
            .into_iter()
            .map(|(sk, id, m)| {
                let due = m
                    .iter()
                    .filter_map(|(name, v)| Some((measure::day_of_due(name)?, *v)))
                    .collect();
                (sk, id, due)
            })
            .collect())
    }

    /// Whether an invoice event (issue, payment, write-off) is dated after
    /// `day`: then the state "after every event" is not the state at `day`.
    pub async fn invoice_events_after(&self, day: NaiveDate) -> Result<bool, StoreError> {
        self.dated_after(family::INVOICES, day).await
    }

    /// Whether a family has a day item after `day` (one item read at most).
    pub async fn dated_after(&self, family: &str, day: NaiveDate) -> Result<bool, StoreError> {
        let Some(next) = day.succ_opt() else { return Ok(false) };
        let out = self
            .client
            .query()
            .table_name(self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :a AND :b")
            .expression_attribute_values(":pk", AttributeValue::S(self.pk(family)))
            .expression_attribute_values(
                ":a",
                AttributeValue::S(crate::buckets::bucket_key(Grain::Day, next)),
            )
            .expression_attribute_values(":b", AttributeValue::S("D#~".to_owned()))
            .limit(1)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        let found = out.items.unwrap_or_default().len();
        self.items_read.fetch_add(found as u64, Ordering::Relaxed);
        Ok(found > 0)
    }

    /// Invoices open at the end of `as_of`, in the standard buckets (the
    /// `aging` family summed through it: one cover, any date).
    pub async fn aging_totals(&self, as_of: NaiveDate) -> Result<AgingTotals, StoreError> {
        Ok(AgingTotals::from_sums(as_of, &self.sum_through(family::AGING, as_of).await?))
    }

    /// The invoices issued in `period` that are open at the end of `at`
    /// (`invoices_open` over the period's days and months).
    pub async fn open_in_period(
        &self,
        period: DateRange,
        at: NaiveDate,
    ) -> Result<OpenInPeriod, StoreError> {
        let total = self.sum_without_years(family::INVOICES_OPEN, period).await?;
        Ok(OpenInPeriod::from_steps(&total, at))
    }

    /// Placed orders and revenue per day of `range` (days with orders
    /// only), from one `daily_orders` item per month.
    pub async fn daily_orders(
        &self,
        range: DateRange,
    ) -> Result<BTreeMap<NaiveDate, Measures>, StoreError> {
        let pk = self.pk(family::DAILY_ORDERS);
        let (first, last) = (
            crate::buckets::bucket_key(Grain::Month, range.from),
            crate::buckets::bucket_key(Grain::Month, range.to),
        );
        let mut out: BTreeMap<NaiveDate, Measures> = BTreeMap::new();
        for item in self.query_range(&pk, &first, &last).await? {
            let Some(month) = attr_s(&item, "sk").and_then(crate::buckets::month_of_key) else {
                return Err(malformed(&item, "month key"));
            };
            for (name, value) in measures_of(&item)? {
                let Some((what, day)) = measure::daily_of(&name) else { continue };
                let Some(date) = month.with_day(day).filter(|d| range.contains(*d)) else {
                    continue;
                };
                let name = match what {
                    measure::Daily::Placed => measure::PLACED,
                    measure::Daily::Revenue => measure::REVENUE,
                };
                out.entry(date).or_default().insert(name.to_owned(), value);
            }
        }
        Ok(out)
    }

    /// Placed orders per local day of the given customers.
    pub async fn customer_days(&self, ids: &[i64]) -> Result<BTreeMap<i64, OrderDays>, StoreError> {
        Ok(self
            .customer_day_items(ids)
            .await?
            .into_iter()
            .map(|(id, m)| (id, order_days(&m)))
            .collect())
    }

    /// The given customers' `customer_days` measures (those that exist).
    async fn customer_day_items(&self, ids: &[i64]) -> Result<Vec<(i64, Measures)>, StoreError> {
        let keys: Vec<(String, String)> = ids
            .iter()
            .map(|id| (self.pk(&family::sharded(family::CUSTOMER_DAYS, *id)), entity_key::sk(*id)))
            .collect();
        let mut out = Vec::new();
        for item in self.batch_get(keys).await? {
            if let Some(id) = attr_s(&item, "sk").and_then(entity_key::id_of) {
                out.push((id, measures_of(&item)?));
            }
        }
        Ok(out)
    }

    /// Items by key (duplicates read once; missing ones left out), counted.
    async fn batch_get(&self, keys: Vec<(String, String)>) -> Result<Vec<Item>, StoreError> {
        let items = super::batch_get_items(self.client, self.table, keys, false).await?;
        self.items_read.fetch_add(items.len() as u64, Ordering::Relaxed);
        Ok(items)
    }

    async fn copies<T: serde::de::DeserializeOwned>(
        &self,
        family: &str,
        ids: Option<&[i64]>,
    ) -> Result<BTreeMap<i64, T>, StoreError> {
        let items = match ids {
            Some(ids) => {
                self.batch_get(
                    ids.iter().map(|id| (self.pk(family), entity_key::sk(*id))).collect(),
                )
                .await?
            }
            None => self.scan_partition(&self.pk(family), None, true, None).await?,
        };
        items.iter().map(copy_of).collect()
    }

    /// Names, numbers and credit limits of the given customers.
    pub async fn customer_info(
        &self,
        ids: &[i64],
    ) -> Result<BTreeMap<i64, (Customer, CustomerInfo)>, StoreError> {
        let copies: BTreeMap<i64, Customer> = self.copies(family::CUSTOMERS, Some(ids)).await?;
        Ok(copies
            .into_iter()
            .map(|(id, c)| {
                let info = CustomerInfo {
                    name: c.company_name.clone(),
                    number: c.customer_number.clone(),
                    credit_limit: c.credit_limit,
                };
                (id, (c, info))
            })
            .collect())
    }

    /// Company names of the given customers.
    pub async fn customer_names(&self, ids: &[i64]) -> Result<BTreeMap<i64, String>, StoreError> {
        Ok(self
            .customer_info(ids)
            .await?
            .into_iter()
            .map(|(id, (_, info))| (id, info.name))
            .collect())
    }

    /// Every sales rep.
    pub async fn sales_reps(&self) -> Result<BTreeMap<i64, SalesRep>, StoreError> {
        self.copies(family::SALES_REPS, None).await
    }

    /// SKU and name of the given products.
    pub async fn products(&self, ids: &[i64]) -> Result<BTreeMap<i64, ProductInfo>, StoreError> {
        let copies: BTreeMap<i64, Product> = self.copies(family::PRODUCTS, Some(ids)).await?;
        Ok(copies
            .into_iter()
            .map(|(id, p)| (id, ProductInfo { sku: p.sku, name: p.name }))
            .collect())
    }

    /// Monthly amounts (`sales_target` or `marketing_spend`) by `YYYY-MM`.
    pub async fn monthly_amounts(
        &self,
        family: &str,
    ) -> Result<BTreeMap<String, Decimal>, StoreError> {
        let copies: BTreeMap<i64, MonthlyAmount> = self.copies(family, None).await?;
        let mut out = BTreeMap::new();
        for m in copies.into_values() {
            *out.entry(m.month).or_insert(Decimal::ZERO) += m.amount;
        }
        Ok(out)
    }
}

impl AggregateReader<'_> {
    /// The customers of a period: totals in it (of one rep's orders with
    /// `rep`), and for each active one the first placed order date (any
    /// rep: a customer is new only if their first order ever is in the
    /// period) and the totals through its end (any rep): one read of each
    /// active customer's `customer_days`.
    pub async fn customer_sets(
        &self,
        rep: Option<i64>,
        period: DateRange,
    ) -> Result<crate::metrics::customers::CustomerSets, StoreError> {
        let in_period = self.customers(rep, period).await?;
        let active: Vec<i64> =
            in_period.iter().filter(|(_, t)| t.placed > 0).map(|(id, _)| *id).collect();
        let (days, through) = self.customer_histories(&active, period.to).await?;
        Ok(crate::metrics::customers::CustomerSets {
            period: in_period,
            first_orders: days
                .into_iter()
                .filter_map(|(id, d)| Some((id, *d.keys().next()?)))
                .collect(),
            from: period.from,
            through,
        })
    }
}

/// One level of the lifetime histogram: count and sum per step.
type Level = BTreeMap<Measure, (Measure, Measure)>;

/// A level's entries from its item's measures: `n…`/`s…` above the exact
/// values, `v…` counts (their sum: count × value) at the bottom.
fn level_of(measures: Measures, leaf: bool) -> Level {
    let mut out = Level::new();
    for (name, v) in measures {
        let entry = match lifetime::parse(&name) {
            Some(('n', x)) if !leaf => &mut out.entry(x).or_default().0,
            Some(('s', x)) if !leaf => &mut out.entry(x).or_default().1,
            Some(('v', x)) if leaf => {
                let entry = out.entry(x).or_default();
                entry.1 = entry.1.saturating_add(v.saturating_mul(x));
                &mut entry.0
            }
            _ => continue,
        };
        *entry = entry.saturating_add(v);
    }
    out.retain(|_, (n, _)| *n != 0);
    out
}

/// The key holding the 0-based `rank` in ascending order of counted keys,
/// and the rank within it.
fn locate<'m>(
    counts: impl Iterator<Item = (&'m Measure, &'m (Measure, Measure))>,
    rank: Measure,
) -> (Measure, Measure) {
    let mut before = 0;
    let mut last = (0, 0);
    for (key, (count, _)) in counts {
        if rank < before + count {
            return (*key, rank - before);
        }
        before += count;
        last = (*key, rank - before);
    }
    last
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
                .pk(&family::bucketed(self.family, &crate::buckets::month_key(self.month)));
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
