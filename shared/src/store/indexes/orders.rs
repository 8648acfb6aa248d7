//! Order index reads: the by-amount index (high-value orders, extremes),
//! recent orders and the per-day order measures.

use super::*;

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

/// Amount partitions of a cover read at once by [`AggregateReader::order_extremes`].
const PARTITIONS_IN_FLIGHT: usize = 8;

impl AggregateReader<'_> {
    /// Placed orders of a range with `total >= min_cents`, from the
    /// by-amount partitions of the range's cover.
    pub async fn orders_from_amount(
        &self,
        range: DateRange,
        min_cents: i64,
    ) -> Result<Vec<OrderRow>, StoreError> {
        let from = crate::layout::amount_key::from_amount(min_cents);
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
        use futures::{StreamExt, TryStreamExt};
        let keep = &keep;
        let partitions = cover_keys(range).into_iter().map(|key| async move {
            let pk = self.pk(&family::bucketed(family::ORDERS_BY_AMOUNT, &key));
            let highest = self.first_total(&pk, false, keep).await?;
            Ok::<_, StoreError>((highest, self.first_total(&pk, true, keep).await?))
        });
        let ends: Vec<(Option<i64>, Option<i64>)> = futures::stream::iter(partitions)
            .buffer_unordered(PARTITIONS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok((ends.iter().filter_map(|e| e.0).max(), ends.iter().filter_map(|e| e.1).min()))
    }

    /// The total of the first revenue-bearing order matching `keep` from
    /// one end of an amount partition (lowest first with `forward`), read
    /// in growing pages.
    async fn first_total(
        &self,
        pk: &str,
        forward: bool,
        keep: &impl Fn(&OrderRow) -> bool,
    ) -> Result<Option<i64>, StoreError> {
        // Most partitions' first order counts: one item, then more.
        let mut want = 1;
        loop {
            let items = self.scan_partition(pk, None, forward, Some(want)).await?;
            let rows = items.iter().map(order_row).collect::<Result<Vec<_>, _>>()?;
            if let Some(row) = rows.iter().find(|r| r.is_revenue_bearing() && keep(r)) {
                return Ok(Some(row.total_cents));
            }
            if items.len() < want {
                return Ok(None);
            }
            want *= 4;
        }
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

    /// Placed and revenue-bearing orders and revenue per day of `range`
    /// (days with orders only, as `orders` measures), from one
    /// `daily_orders` item per month.
    pub async fn daily_orders(
        &self,
        range: DateRange,
    ) -> Result<BTreeMap<NaiveDate, Measures>, StoreError> {
        let pk = self.pk(family::DAILY_ORDERS);
        let (first, last) = (
            crate::calendar::bucket_key(Grain::Month, range.from),
            crate::calendar::bucket_key(Grain::Month, range.to),
        );
        let mut out: BTreeMap<NaiveDate, Measures> = BTreeMap::new();
        for item in self.query_range(&pk, &first, &last).await? {
            let Some(month) = attr_s(&item, "sk").and_then(crate::calendar::month_of_key) else {
                return Err(malformed(&item, "month key"));
            };
            for (name, value) in measures_of(&item)? {
                let Some((what, day)) = measure::daily_of(&name) else { continue };
                let Some(date) = month.with_day(day).filter(|d| range.contains(*d)) else {
                    continue;
                };
                out.entry(date).or_default().insert(what.orders_measure().to_owned(), value);
            }
        }
        Ok(out)
    }
}
