//! Per-customer reads: the customers of a period, derived counts and
//! rankings, order days and histories, the lifetime-value histogram.

use super::*;
use crate::figures::customers::{DayTotals, day_totals};

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

/// Adds to the level under `prefix` the corrections whose path passes
/// through it: `(value, -1 or +1)`.
fn correct(level: &mut Level, prefix: &[Measure], corrections: &[(Measure, Measure)]) {
    for (value, sign) in corrections {
        let path = lifetime::path(*value);
        if path.get(..prefix.len()) != Some(prefix) {
            continue;
        }
        let Some(step) = path.get(prefix.len()) else { continue };
        let entry = level.entry(*step).or_default();
        entry.0 = entry.0.saturating_add(*sign);
        entry.1 = entry.1.saturating_add(sign.saturating_mul(*value));
    }
    level.retain(|_, (n, _)| *n != 0);
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

impl AggregateReader<'_> {
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
        self.lifetime_values_corrected(&[]).await
    }

    /// [`Self::lifetime_values`] of the histogram with some customers'
    /// values taken out or put in: `(value, -1 or +1)`.
    pub async fn lifetime_values_corrected(
        &self,
        corrections: &[(Measure, Measure)],
    ) -> Result<LifetimeValue, StoreError> {
        let pk = self.pk(family::LIFETIME_VALUES);
        let (first, last) = lifetime::bins_range();
        let mut levels: HashMap<Vec<Measure>, Level> = HashMap::new();
        let mut bins = Level::new();
        for item in self.query_range(&pk, first, last).await? {
            let Some(bits) = attr_s(&item, "sk").and_then(lifetime::bits_of) else { continue };
            let mut level = level_of(measures_of(&item)?, false);
            correct(&mut level, &[bits], corrections);
            levels.insert(vec![bits], level);
        }
        for (bits, level) in &levels {
            let (n, s) = level.values().fold((0, 0), |(n, s): (Measure, Measure), (c, v)| {
                (n.saturating_add(*c), s.saturating_add(*v))
            });
            if n != 0 {
                bins.insert(bits[0], (n, s));
            }
        }
        // Values corrected into a bin no item holds.
        let mut extra = Level::new();
        correct(&mut extra, &[], corrections);
        for (bits, entry) in extra.into_iter().filter(|(b, _)| !levels.contains_key(&vec![*b])) {
            bins.insert(bits, entry);
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
            let mut out = level_of(measures, prefix.len() == lifetime::DEPTH);
            correct(&mut out, prefix, corrections);
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
            average: crate::figures::average(cents_to_decimal(total), n),
            median,
            top_10_percent: crate::figures::average(cents_to_decimal(top), k),
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

    /// Unique and new customers of any range: new customers by first
    /// order day (`customer_counts`, additive), plus the returns in the
    /// range whose previous order day is before it (`customer_returns`):
    /// two reads of the range's cover, whatever the customers.
    pub async fn customer_counts_in(&self, range: DateRange) -> Result<CustomerCounts, StoreError> {
        Ok(self.range_counts(range).await?.0)
    }

    /// [`Self::customer_counts_in`], and the `customer_counts` measures
    /// summed over the range's cover.
    pub async fn range_counts(
        &self,
        range: DateRange,
    ) -> Result<(CustomerCounts, Measures), StoreError> {
        let summed = self.sum(family::CUSTOMER_COUNTS, range).await?;
        let new = summed.get(measure::NEW_CUSTOMERS).copied().unwrap_or(0);
        let returning = self.returns_before(range, range.from).await?;
        Ok((CustomerCounts { unique: new.saturating_add(returning), new }, summed))
    }

    /// Customers active in `range` whose latest order day before their
    /// first in it is before `before` (at most `range.from`): returning
    /// customers for `before = range.from`, and with the first day of the
    /// range before it, those retained from it (`returns`, one read of the
    /// range's cover).
    pub async fn returns_before(
        &self,
        range: DateRange,
        before: NaiveDate,
    ) -> Result<Measure, StoreError> {
        let before = before.min(range.from);
        let summed = self.sum(&returns::family_of(before.year()), range).await?;
        Ok(returns::count_before(&summed, before))
    }

    /// Every derived count of one calendar bucket (`customer_counts`).
    pub async fn bucket_counts(&self, bucket: &str) -> Result<Measures, StoreError> {
        let item = self.get((self.pk(family::CUSTOMER_COUNTS), bucket.to_owned())).await?;
        Ok(item.map(|item| measures_of(&item)).transpose()?.unwrap_or_default())
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

    /// The days (`customer_days`) of every customer with an order dated
    /// after `end`: what separates sums kept to the latest data from those
    /// of a range ending at `end` (one `customer_sales` item per customer
    /// and bucket of the cover after `end`, and one `customer_days` item
    /// per customer).
    pub async fn days_of_customers_after(
        &self,
        end: NaiveDate,
    ) -> Result<Vec<BTreeMap<NaiveDate, DayTotals>>, StoreError> {
        let (Some(last), Some(next)) = (self.last_dated(family::ORDERS).await?, end.succ_opt())
        else {
            return Ok(Vec::new());
        };
        if last < next {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> =
            self.customers(None, DateRange::new(next, last)).await?.into_keys().collect();
        Ok(self.customer_day_items(&ids).await?.iter().map(|(_, m)| day_totals(m)).collect())
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
    pub(super) async fn customer_day_items(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, Measures)>, StoreError> {
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

    /// The customers of a period: totals in it (of one rep's orders with
    /// `rep`), and for each active one the first placed order date (any
    /// rep: a customer is new only if their first order ever is in the
    /// period) and the totals through its end (any rep): one read of each
    /// active customer's `customer_days`.
    pub async fn customer_sets(
        &self,
        rep: Option<i64>,
        period: DateRange,
    ) -> Result<crate::figures::customers::CustomerSets, StoreError> {
        let in_period = self.customers(rep, period).await?;
        let active: Vec<i64> =
            in_period.iter().filter(|(_, t)| t.placed > 0).map(|(id, _)| *id).collect();
        let (days, through) = self.customer_histories(&active, period.to).await?;
        Ok(crate::figures::customers::CustomerSets {
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
