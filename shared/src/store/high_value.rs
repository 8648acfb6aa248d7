//! Reads of high-value orders from the amount index (`orders_by_amount`,
//! one partition per bucket of a range's cover, keys `{total}#{id}`): a
//! page merged across the cover's partitions, and the orders of one
//! amount band for the exact edge of a `meta` total.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use aws_sdk_dynamodb::types::AttributeValue;

use super::StoreError;
use super::aggregates::AggregateReader;
use super::indexes::{StartKey, order_row};
use super::item::attr_s;
use crate::calendar::cover_keys;
use crate::figures::orders::OrderRow;
use crate::layout::{Measure, amount_key, family, measures_pk};
use crate::periods::DateRange;

/// One partition of the cover, read backwards (highest total first) in
/// growing chunks.
struct Stream {
    pk: String,
    rows: VecDeque<(String, OrderRow)>,
    start: StartKey,
    chunk: usize,
    done: bool,
}

impl AggregateReader<'_> {
    /// Up to `rows + 1` revenue-bearing orders of `range` with a total of
    /// at least `min_cents`, highest total first, ids ascending within a
    /// total, after the order `after` (`(total, id)` of the previous
    /// page's last row), each with its index key.
    ///
    /// The cover's partitions are merged lazily: each is read in chunks
    /// (its share of the page first, doubling on each refill), and the
    /// highest head is taken until the page is full; then the rest of its
    /// last total's orders (ties, which must come ids ascending). The
    /// items read are the page, the ties at its edge, the orders skipped
    /// as not revenue-bearing and at most a chunk per partition.
    pub async fn high_value_page(
        &self,
        range: DateRange,
        min_cents: i64,
        after: Option<(i64, i64)>,
        rows: usize,
    ) -> Result<Vec<(String, OrderRow)>, StoreError> {
        let keys = cover_keys(range);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let want = rows.saturating_add(1);
        let low = amount_key::from_amount(min_cents);
        let high =
            after.map_or_else(|| "~".to_owned(), |(total, _)| amount_key::through_amount(total));
        let chunk = want.div_ceil(keys.len()).max(1);
        let mut streams: Vec<Stream> = keys
            .iter()
            .map(|key| Stream {
                pk: measures_pk(self.tenant, &family::bucketed(family::ORDERS_BY_AMOUNT, key)),
                rows: VecDeque::new(),
                start: None,
                chunk,
                done: false,
            })
            .collect();
        let keep = |row: &OrderRow| {
            row.is_revenue_bearing()
                && after.is_none_or(|(total, id)| row.total_cents < total || row.order_id > id)
        };
        let mut out: Vec<(String, OrderRow)> = Vec::new();
        let mut edge: Option<i64> = None;
        loop {
            for stream in streams.iter_mut().filter(|s| s.rows.is_empty() && !s.done) {
                self.refill(stream, &low, &high).await?;
            }
            let head = streams
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.rows.front().map(|(_, row)| (row.total_cents, i)))
                .max_by_key(|(total, i)| (*total, std::cmp::Reverse(*i)));
            let Some((total, i)) = head else { break };
            if edge.is_some_and(|edge| total < edge) {
                break;
            }
            let Some((key, row)) = streams[i].rows.pop_front() else { break };
            if keep(&row) {
                out.push((key, row));
                if edge.is_none() && out.len() >= want {
                    edge = Some(total);
                }
            }
        }
        out.sort_by(|(_, a), (_, b)| {
            b.total_cents.cmp(&a.total_cents).then(a.order_id.cmp(&b.order_id))
        });
        out.truncate(want);
        Ok(out)
    }

    /// The next chunk of a stream (its chunk doubles for the one after).
    async fn refill(&self, stream: &mut Stream, low: &str, high: &str) -> Result<(), StoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :a AND :b")
            .expression_attribute_values(":pk", AttributeValue::S(stream.pk.clone()))
            .expression_attribute_values(":a", AttributeValue::S(low.to_owned()))
            .expression_attribute_values(":b", AttributeValue::S(high.to_owned()))
            .scan_index_forward(false)
            .limit(stream.chunk.clamp(1, 1000) as i32)
            .set_exclusive_start_key(stream.start.take())
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        let items = out.items.unwrap_or_default();
        self.items_read.fetch_add(items.len() as u64, Ordering::Relaxed);
        for item in &items {
            let key = attr_s(item, "sk").unwrap_or_default().to_owned();
            stream.rows.push_back((key, order_row(item)?));
        }
        stream.start = out.last_evaluated_key;
        stream.done = stream.start.is_none();
        stream.chunk = stream.chunk.saturating_mul(2);
        Ok(())
    }

    /// Count and value of the revenue-bearing orders of `range` with
    /// `min_cents <= total < below_cents`: the part of one high-value band
    /// above a `minimum_amount` that is not a band edge.
    pub async fn order_totals_between(
        &self,
        range: DateRange,
        min_cents: i64,
        below_cents: i64,
    ) -> Result<(Measure, Measure), StoreError> {
        let (mut count, mut value): (Measure, Measure) = (0, 0);
        if below_cents <= min_cents {
            return Ok((count, value));
        }
        let (low, high) =
            (amount_key::from_amount(min_cents), amount_key::through_amount(below_cents - 1));
        for key in cover_keys(range) {
            let pk = measures_pk(self.tenant, &family::bucketed(family::ORDERS_BY_AMOUNT, &key));
            for item in self.query_range(&pk, &low, &high).await? {
                let row = order_row(&item)?;
                if row.is_revenue_bearing() {
                    count += 1;
                    value += Measure::from(row.total_cents);
                }
            }
        }
        Ok((count, value))
    }
}
