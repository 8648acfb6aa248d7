//! The first customers of a custom range by revenue, exactly, without
//! reading every customer: the threshold algorithm of Fagin, Lotem and
//! Naor over derived rankings.
//!
//! A *bound* is a set of rankings whose revenues, added, are at least
//! each customer's revenue in the range: the rankings of the buckets the
//! range's signed cover adds (`top_customers#{bucket}`: the range and at
//! most the rest of its partial years, in few buckets), or the one ranking
//! by lifetime
//! revenue (`top_lifetime`: no customer has more revenue in a range than
//! in their lifetime, revenue being never negative). Pages of a bound's
//! rankings are read in rounds (sorted access); each customer met is
//! looked up once in its own `customer_days` item, which gives its exact
//! totals over the range (random access). A customer never met has, in
//! each ranking, at most the revenue of the last entry read there (its
//! floor), so at most the sum of a bound's floors (its threshold). Once the
//! k-th best total met is above the lowest threshold (or a bound's
//! rankings are read to their end), no other customer can enter the first
//! k: they are exact, ties by id included.
//!
//! The lifetime bound is read first: over a range that holds most of the
//! customers' revenue it settles after about k entries, whatever the
//! range's length. When the k-th best total is under half its threshold
//! (a short range, or one far in the past), the cover's bound starts too,
//! and each round reads the bound whose threshold is lowest.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};

use super::*;
use crate::figures::customers::CustomerTotals;
use crate::periods::DateRange;

/// Rankings read at once.
const RANKINGS_IN_FLIGHT: usize = 16;
/// Entries of a ranking read in its first round, when its bound has more
/// than one ranking (a bound of one ranking reads k + 1 first); each round
/// doubles it, up to [`LARGEST_PAGE`].
const FIRST_PAGE: usize = 2;
const LARGEST_PAGE: usize = 256;

/// One ranking as read so far.
#[derive(Debug, Clone)]
struct Cursor {
    bound: usize,
    after: Option<String>,
    /// Revenue of the last entry read; `None` before the first page.
    floor: Option<Measure>,
    /// Entries its next page asks for.
    rows: usize,
    done: bool,
}

/// The rows of a ranking page: sort key, customer, revenue in the ranking.
pub type RankingRow = (String, i64, Measure);

/// A customer met, with its exact value over the range and its row.
pub type Ranked<T> = (i64, Measure, T);

/// The exact values over the range of the customers met, and the items
/// that cost.
type LookupFuture<'a, T> =
    futures::future::BoxFuture<'a, Result<(u64, Vec<Ranked<T>>), StoreError>>;

/// By value descending, ids ascending.
fn order<T>(rows: &mut [Ranked<T>]) {
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
}

/// The threshold algorithm's state over a number of bounds, pure: the
/// caller reads the pages [`Self::wanted`] names, hands them to
/// [`Self::add_pages`], looks up the customers it returns and hands their
/// totals to [`Self::add_totals`], until [`Self::settled`] answers.
#[derive(Debug, Clone)]
pub struct ThresholdTopK<T> {
    k: usize,
    cursors: Vec<Cursor>,
    started: Vec<bool>,
    met: BTreeSet<i64>,
    best: Vec<Ranked<T>>,
    /// Entries and lookups so far.
    pub read: u64,
}

impl<T: Clone> ThresholdTopK<T> {
    /// `bounds`: how many rankings each bound has (at least one), in the
    /// order they are tried (the first is read from the first round).
    pub fn new(bounds: &[usize], k: usize) -> Self {
        let mut cursors = Vec::new();
        for (bound, rankings) in bounds.iter().enumerate() {
            let rows = if *rankings == 1 { k.saturating_add(1) } else { FIRST_PAGE };
            let rows = rows.clamp(FIRST_PAGE, LARGEST_PAGE);
            cursors.extend((0..*rankings).map(|_| Cursor {
                bound,
                after: None,
                floor: None,
                rows,
                done: false,
            }));
        }
        ThresholdTopK {
            k,
            cursors,
            started: vec![false; bounds.len()],
            met: BTreeSet::new(),
            best: Vec::new(),
            read: 0,
        }
    }

    fn cursors_of(&self, bound: usize) -> impl Iterator<Item = &Cursor> {
        self.cursors.iter().filter(move |c| c.bound == bound)
    }

    /// Whether every ranking of a started bound is read to its end: every
    /// customer with revenue in the range has been met.
    fn exhausted(&self, bound: usize) -> bool {
        self.started[bound] && self.cursors_of(bound).all(|c| c.done)
    }

    /// The most revenue a customer not met yet can have by this bound;
    /// `None` until each of its open rankings has a page read.
    fn threshold(&self, bound: usize) -> Option<Measure> {
        if !self.started[bound] {
            return None;
        }
        self.cursors_of(bound).filter(|c| !c.done).map(|c| c.floor).sum()
    }

    /// The k-th best total met so far (0 with fewer than k).
    fn kth(&self) -> Measure {
        self.k.checked_sub(1).and_then(|i| self.best.get(i)).map_or(0, |(_, value, _)| *value)
    }

    /// The pages of this round: (ranking, after key, rows). Starts the
    /// first bound, and the next one while the lowest threshold is more
    /// than twice the k-th best total; then reads the bounds with a page
    /// to read first, or else the one with the lowest threshold.
    pub fn wanted(&mut self) -> Vec<(usize, Option<String>, usize)> {
        if let Some(first) = self.started.first_mut() {
            *first = true;
        }
        let lowest =
            |me: &Self| (0..me.started.len()).filter_map(|b| me.threshold(b).map(|t| (t, b))).min();
        let loose = lowest(self).is_some_and(|(t, _)| self.kth().saturating_mul(2) < t);
        if loose && let Some(next) = self.started.iter().position(|s| !s) {
            self.started[next] = true;
        }
        let pending: Vec<usize> = (0..self.started.len())
            .filter(|b| self.started[*b] && !self.exhausted(*b) && self.threshold(*b).is_none())
            .collect();
        let read: Vec<usize> = if pending.is_empty() {
            lowest(self).map(|(_, b)| b).into_iter().collect()
        } else {
            pending
        };
        self.cursors
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.done && read.contains(&c.bound))
            .map(|(i, c)| (i, c.after.clone(), c.rows))
            .collect()
    }

    /// This round's pages; the customers met for the first time, to look
    /// up. A bound of one ranking holds each customer's whole upper bound:
    /// a customer it ranks under the k-th best total met is not looked up
    /// (it cannot enter the first k).
    pub fn add_pages(&mut self, pages: Vec<(usize, Vec<RankingRow>)>) -> Vec<i64> {
        let full = self.best.len() >= self.k;
        let kth = self.kth();
        let mut new_ids = Vec::new();
        for (i, entries) in pages {
            let Some(bound) = self.cursors.get(i).map(|c| c.bound) else { continue };
            let whole = self.cursors_of(bound).count() == 1;
            let Some(cursor) = self.cursors.get_mut(i) else { continue };
            self.read = self.read.saturating_add(entries.len() as u64);
            cursor.done = entries.len() < cursor.rows;
            cursor.rows = (cursor.rows * 2).min(LARGEST_PAGE);
            if let Some((sk, _, revenue)) = entries.last() {
                cursor.after = Some(sk.clone());
                cursor.floor = Some(*revenue);
            }
            for (_, id, value) in entries {
                let below = whole && full && value < kth;
                if self.met.insert(id) && !below {
                    new_ids.push(id);
                }
            }
        }
        new_ids
    }

    /// The exact values over the range of the customers looked up (those
    /// with nothing in the range left out), and the items that cost.
    pub fn add_totals(&mut self, items: u64, rows: Vec<Ranked<T>>) {
        self.read = self.read.saturating_add(items);
        self.best.extend(rows);
        order(&mut self.best);
    }

    /// The first k once no customer left unmet can enter them: a bound's
    /// rankings read to their end, or the k-th best above the lowest
    /// threshold.
    pub fn settled(&self) -> Option<Vec<Ranked<T>>> {
        let first = || self.best.iter().take(self.k).cloned().collect();
        if self.k == 0 || (0..self.started.len()).any(|b| self.exhausted(b)) {
            return Some(first());
        }
        let threshold = (0..self.started.len()).filter_map(|b| self.threshold(b)).min()?;
        (self.best.len() >= self.k && self.kth() > threshold).then(first)
    }
}

impl AggregateReader<'_> {
    /// The first `k` customers of `range` by revenue (descending, ids
    /// ascending) with their totals in it, by the threshold algorithm over
    /// the lifetime ranking (`top_lifetime`) and the rankings of the range's
    /// signed cover's added buckets (`top_customers#{bucket}`); `None` once
    /// it has read more than `max_items` items.
    pub async fn top_customers_in(
        &self,
        range: DateRange,
        k: usize,
        max_items: u64,
    ) -> Result<Option<Vec<(i64, CustomerTotals)>>, StoreError> {
        // The buckets added by the range's signed cover: all of it and at
        // most the rest of its partial years (a year to today: its days
        // in the year before, and this year's ranking).
        let cover = crate::calendar::signed_cover_keys(range)
            .into_iter()
            .filter(|(_, sign)| *sign > 0)
            .map(|(bucket, _)| family::bucketed(family::TOP_CUSTOMERS, &bucket))
            .collect();
        let lookup = |ids: Vec<i64>| -> LookupFuture<'_, CustomerTotals> {
            Box::pin(async move {
                let totals = self.customer_totals_in(&ids, range).await?;
                let rows = totals
                    .into_iter()
                    .filter(|(_, t)| t.placed > 0)
                    .map(|(id, t)| (id, t.revenue_cents, t))
                    .collect();
                Ok((ids.len() as u64, rows))
            })
        };
        let ranked = self
            .threshold_top_k(family::TOP_LIFETIME, cover, measure::REVENUE, k, max_items, &lookup)
            .await?;
        Ok(ranked.map(|rows| rows.into_iter().map(|(id, _, t)| (id, t)).collect()))
    }

    /// The first `k` customers of `range` by amount invoiced (descending,
    /// ids ascending) with their summed `customer_invoices` measures in it,
    /// by the threshold algorithm over the lifetime ranking
    /// (`top_invoiced_lifetime`; issue dates' rankings are kept for months
    /// only); `None` once it has read more than `max_items` items.
    pub async fn top_invoiced_in(
        &self,
        range: DateRange,
        k: usize,
        max_items: u64,
    ) -> Result<Option<Vec<(i64, Measures)>>, StoreError> {
        let lookup = |ids: Vec<i64>| -> LookupFuture<'_, Measures> {
            Box::pin(async move {
                let (items, summed) = self.customer_invoices_in(&ids, range).await?;
                let rows = summed
                    .into_iter()
                    .filter(|(_, m)| m.get(measure::INVOICE_COUNT).is_some_and(|n| *n > 0))
                    .map(|(id, m)| (id, m.get(measure::INVOICED).copied().unwrap_or(0), m))
                    .collect();
                Ok((items, rows))
            })
        };
        let lifetime = family::TOP_INVOICED_LIFETIME;
        let ranked = self
            .threshold_top_k(lifetime, Vec::new(), measure::INVOICED, k, max_items, &lookup)
            .await?;
        Ok(ranked.map(|rows| rows.into_iter().map(|(id, _, m)| (id, m)).collect()))
    }

    /// The first `k` customers by `value`, by the threshold algorithm over
    /// two bounds: the ranking `lifetime` and the rankings `cover`, whose
    /// entries carry `value`. `lookup` gives the exact values over the range
    /// of the customers met (and the items that cost); `None` once it has
    /// read more than `max_items` items.
    pub(crate) async fn threshold_top_k<'a, T: Clone>(
        &'a self,
        lifetime: &str,
        cover: Vec<String>,
        value: &str,
        k: usize,
        max_items: u64,
        lookup: &(dyn Fn(Vec<i64>) -> LookupFuture<'a, T> + Send + Sync),
    ) -> Result<Option<Vec<Ranked<T>>>, StoreError> {
        let rankings: Vec<String> = std::iter::once(lifetime.to_owned()).chain(cover).collect();
        let bounds = [1, rankings.len() - 1];
        let bounds = if bounds[1] == 0 { &bounds[..1] } else { &bounds[..] };
        let mut state = ThresholdTopK::new(bounds, k);
        loop {
            let reads = state.wanted().into_iter().map(|(i, after, rows)| {
                let family = rankings[i].clone();
                async move {
                    let entries = self.ranking(&family, after.as_deref(), rows).await?;
                    let rows = entries
                        .into_iter()
                        .map(|(sk, id, m)| (sk, id, m.get(value).copied().unwrap_or(0)))
                        .collect();
                    Ok::<_, StoreError>((i, rows))
                }
            });
            let pages: Vec<(usize, Vec<RankingRow>)> = futures::stream::iter(reads)
                .buffer_unordered(RANKINGS_IN_FLIGHT)
                .try_collect()
                .await?;
            let ids = state.add_pages(pages);
            let (items, rows) = lookup(ids).await?;
            state.add_totals(items, rows);
            // Past the budget the request is a job's, settled or not (the
            // same answer, whatever the budget, is the job's to give).
            if state.read > max_items {
                return Ok(None);
            }
            if let Some(first) = state.settled() {
                return Ok(Some(first));
            }
        }
    }

    /// The given customers' totals over `range`, from their `customer_days`
    /// items.
    pub async fn customer_totals_in(
        &self,
        ids: &[i64],
        range: DateRange,
    ) -> Result<Vec<(i64, CustomerTotals)>, StoreError> {
        let mut out: BTreeMap<i64, CustomerTotals> = BTreeMap::new();
        for (id, measures) in self.customer_day_items(ids).await? {
            let totals = out.entry(id).or_default();
            for (name, v) in &measures {
                match measure::customer_day_of(name) {
                    Some((kind, day)) if range.from <= day && day <= range.to => match kind {
                        'd' => totals.placed += v,
                        'r' => totals.revenue_bearing += v,
                        _ => totals.revenue_cents += v,
                    },
                    _ => {}
                }
            }
        }
        Ok(out.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(bucket: &BTreeMap<i64, Measure>) -> Vec<RankingRow> {
        let mut rows: Vec<(i64, Measure)> = bucket.iter().map(|(id, v)| (*id, *v)).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.into_iter().enumerate().map(|(i, (id, v))| (format!("{i:06}"), id, v)).collect()
    }

    /// The first k of the sums over `range` (customer -> revenue per
    /// bucket) by the threshold algorithm over `bounds` (each a set of
    /// rankings), and the customers looked up.
    fn run_bounds(
        bounds: &[Vec<BTreeMap<i64, Measure>>],
        range: &[BTreeMap<i64, Measure>],
        k: usize,
    ) -> (Vec<(i64, Measure)>, u64) {
        let rankings: Vec<Vec<RankingRow>> = bounds.iter().flatten().map(ranked).collect();
        let sizes: Vec<usize> = bounds.iter().map(Vec::len).collect();
        let in_range = |id: i64| -> Option<Measure> {
            let mut hits = range.iter().filter_map(|b| b.get(&id)).peekable();
            hits.peek()?;
            Some(hits.sum())
        };
        let mut state = ThresholdTopK::new(&sizes, k);
        let mut lookups = 0u64;
        loop {
            let pages = state
                .wanted()
                .into_iter()
                .map(|(i, after, rows)| {
                    let start = after.map_or(0, |a| a.parse::<usize>().unwrap() + 1);
                    (i, rankings[i].iter().skip(start).take(rows).cloned().collect())
                })
                .collect();
            let ids = state.add_pages(pages);
            lookups += ids.len() as u64;
            let rows = ids.iter().filter_map(|id| Some((*id, in_range(*id)?, ()))).collect();
            state.add_totals(ids.len() as u64, rows);
            if let Some(out) = state.settled() {
                return (out.into_iter().map(|(id, v, _)| (id, v)).collect(), lookups);
            }
        }
    }

    /// The cover's rankings only.
    fn run(buckets: &[BTreeMap<i64, Measure>], k: usize) -> (Vec<(i64, Measure)>, u64) {
        run_bounds(&[buckets.to_vec()], buckets, k)
    }

    fn exact(buckets: &[BTreeMap<i64, Measure>], k: usize) -> Vec<(i64, Measure)> {
        let mut all: BTreeMap<i64, Measure> = BTreeMap::new();
        for b in buckets {
            for (id, v) in b {
                *all.entry(*id).or_default() += v;
            }
        }
        let mut rows: Vec<(i64, Measure)> = all.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.truncate(k);
        rows
    }

    #[test]
    fn finds_the_exact_first_k_and_stops_early_on_skewed_revenue() {
        // 30 buckets, 2 000 customers; a few buy a lot in every bucket.
        let mut buckets = Vec::new();
        for b in 0..30i64 {
            let mut m = BTreeMap::new();
            for c in 0..2000i64 {
                if (c * 7 + b * 13) % 5 == 0 || c < 20 {
                    let big = if c < 20 { 100_000 - c * 1000 } else { 0 };
                    m.insert(c, Measure::from(big + (c * 31 + b * 17) % 997));
                }
            }
            buckets.push(m);
        }
        for k in [1, 5, 10] {
            let (got, lookups) = run(&buckets, k);
            assert_eq!(got, exact(&buckets, k), "k = {k}");
            assert!(lookups < 200, "k = {k}: {lookups} customers looked up");
        }
        // Past the few large buyers the totals are flat: still exact, but
        // it reads deep (the reason for the read cap).
        for k in [20, 25] {
            assert_eq!(run(&buckets, k).0, exact(&buckets, k), "k = {k}");
        }
    }

    #[test]
    fn ties_and_short_rankings_are_exact() {
        // Equal totals everywhere: only reading to the end settles ties.
        let buckets: Vec<BTreeMap<i64, Measure>> =
            (0..5).map(|_| (0..40).map(|c| (c, 100)).collect()).collect();
        assert_eq!(run(&buckets, 7).0, exact(&buckets, 7));
        let one: Vec<BTreeMap<i64, Measure>> = vec![BTreeMap::from([(3, 5), (1, 9)])];
        assert_eq!(run(&one, 10).0, exact(&one, 10));
        assert_eq!(run(&[], 3).0, vec![]);
    }

    #[test]
    fn the_lifetime_bound_settles_long_ranges_after_about_k_entries() {
        // 48 buckets of flat sales: 3 000 customers, most buying once.
        let history: Vec<BTreeMap<i64, Measure>> = (0..48i64)
            .map(|b| {
                (0..3000i64)
                    .filter(|c| (c * 7 + b * 13) % 41 == 0 || (*c < 300 && (c + b) % 5 == 0))
                    .map(|c| (c, Measure::from(1_000 + (c * 31 + b * 17) % 997)))
                    .collect()
            })
            .collect();
        let mut lifetime: BTreeMap<i64, Measure> = BTreeMap::new();
        for (id, v) in history.iter().flatten() {
            *lifetime.entry(*id).or_default() += v;
        }
        for (from, k) in [(0, 11), (1, 11), (6, 11), (0, 31), (46, 11), (30, 5)] {
            let range = &history[from..];
            let bounds = [vec![lifetime.clone()], range.to_vec()];
            let (got, lookups) = run_bounds(&bounds, range, k);
            assert_eq!(got, exact(range, k), "from {from}, k = {k}");
            if from <= 1 {
                // All or nearly all of the revenue: a few pages of one ranking.
                assert!(lookups < 4 * k as u64, "from {from}, k = {k}: {lookups} lookups");
            }
        }
        // The cover alone reads far deeper on the same flat sales.
        let (got, lookups) = run(&history, 11);
        assert_eq!(got, exact(&history, 11));
        assert!(lookups > 400, "{lookups}");
    }
}
