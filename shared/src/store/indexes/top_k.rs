//! The first customers of a custom range by revenue, exactly, without
//! reading every customer: the threshold algorithm of Fagin, Lotem and
//! Naor over the derived rankings of the range's cover.
//!
//! Each bucket of the cover has its customers ranked by revenue in it
//! (`top_customers#{bucket}`). Pages of every ranking are read in rounds
//! (sorted access); each customer met is looked up once in its own
//! `customer_days` item, which gives its exact totals over the range
//! (random access). A customer never met has, in each ranking, at most the
//! revenue of the last entry read there (its floor), so at most the sum of
//! the floors (the threshold) over the range. Once the k-th best total met
//! is above the threshold (or every ranking is read to its end), no other
//! customer can enter the first k: they are exact, ties by id included.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};

use super::*;
use crate::figures::customers::CustomerTotals;
use crate::periods::DateRange;

/// Rankings read at once.
const RANKINGS_IN_FLIGHT: usize = 16;
/// Entries of a ranking read in the first round; each round doubles it,
/// up to [`LARGEST_PAGE`].
const FIRST_PAGE: usize = 2;
const LARGEST_PAGE: usize = 256;

/// One ranking as read so far.
#[derive(Debug, Clone, Default)]
struct Cursor {
    after: Option<String>,
    /// Revenue of the last entry read; `None` before the first page.
    floor: Option<Measure>,
    done: bool,
}

/// The rows of a ranking page: sort key, customer, revenue in the bucket.
pub type RankingRow = (String, i64, Measure);

/// Customers by total revenue descending, ids ascending.
fn order(rows: &mut [(i64, CustomerTotals)]) {
    rows.sort_by(|a, b| b.1.revenue_cents.cmp(&a.1.revenue_cents).then(a.0.cmp(&b.0)));
}

/// The threshold algorithm's state over a number of rankings, pure: the
/// caller reads the pages [`Self::wanted`] names, hands them to
/// [`Self::add_pages`], looks up the customers it returns and hands their
/// totals to [`Self::add_totals`], until [`Self::settled`] answers.
#[derive(Debug, Clone)]
pub struct ThresholdTopK {
    k: usize,
    cursors: Vec<Cursor>,
    met: BTreeSet<i64>,
    best: Vec<(i64, CustomerTotals)>,
    rows: usize,
    /// Entries and lookups so far.
    pub read: u64,
}

impl ThresholdTopK {
    pub fn new(rankings: usize, k: usize) -> Self {
        ThresholdTopK {
            k,
            cursors: vec![Cursor::default(); rankings],
            met: BTreeSet::new(),
            best: Vec::new(),
            rows: FIRST_PAGE,
            read: 0,
        }
    }

    /// The pages of this round: (ranking, after key, rows).
    pub fn wanted(&self) -> Vec<(usize, Option<String>, usize)> {
        self.cursors
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.done)
            .map(|(i, c)| (i, c.after.clone(), self.rows))
            .collect()
    }

    /// This round's pages; the customers met for the first time, to look up.
    pub fn add_pages(&mut self, pages: Vec<(usize, Vec<RankingRow>)>) -> Vec<i64> {
        let mut new_ids = Vec::new();
        for (i, entries) in pages {
            let Some(cursor) = self.cursors.get_mut(i) else { continue };
            self.read = self.read.saturating_add(entries.len() as u64);
            cursor.done = entries.len() < self.rows;
            if let Some((sk, _, revenue)) = entries.last() {
                cursor.after = Some(sk.clone());
                cursor.floor = Some(*revenue);
            }
            new_ids
                .extend(entries.into_iter().map(|(_, id, _)| id).filter(|id| self.met.insert(*id)));
        }
        self.rows = (self.rows * 2).min(LARGEST_PAGE);
        new_ids
    }

    /// The exact totals over the range of the customers looked up
    /// (customers with no placed order in it are left out).
    pub fn add_totals(&mut self, looked_up: usize, totals: Vec<(i64, CustomerTotals)>) {
        self.read = self.read.saturating_add(looked_up as u64);
        self.best.extend(totals.into_iter().filter(|(_, t)| t.placed > 0));
        order(&mut self.best);
    }

    /// The first k once no customer left unmet can enter them: every
    /// ranking read to its end, or the k-th best above the threshold (the
    /// sum of the floors of the rankings not read to their end).
    pub fn settled(&self) -> Option<Vec<(i64, CustomerTotals)>> {
        let open: Vec<&Cursor> = self.cursors.iter().filter(|c| !c.done).collect();
        let threshold: Measure = open.iter().filter_map(|c| c.floor).sum();
        let above = self.k == 0
            || self.best.get(self.k - 1).is_some_and(|(_, t)| t.revenue_cents > threshold);
        (open.is_empty() || above).then(|| self.best.iter().take(self.k).copied().collect())
    }
}

impl AggregateReader<'_> {
    /// The first `k` customers of `range` by revenue (descending, ids
    /// ascending) with their totals in it, by the threshold algorithm over
    /// the rankings of the range's cover; `None` once it has read more
    /// than `max_items` items.
    pub async fn top_customers_in(
        &self,
        range: DateRange,
        k: usize,
        max_items: u64,
    ) -> Result<Option<Vec<(i64, CustomerTotals)>>, StoreError> {
        let rankings: Vec<String> = crate::calendar::cover_keys(range)
            .iter()
            .map(|bucket| family::bucketed(family::TOP_CUSTOMERS, bucket))
            .collect();
        let mut state = ThresholdTopK::new(rankings.len(), k);
        loop {
            let reads = state.wanted().into_iter().map(|(i, after, rows)| {
                let family = rankings[i].clone();
                async move {
                    let entries = self.ranking(&family, after.as_deref(), rows).await?;
                    let rows = entries
                        .into_iter()
                        .map(|(sk, id, m)| (sk, id, m.get(measure::REVENUE).copied().unwrap_or(0)))
                        .collect();
                    Ok::<_, StoreError>((i, rows))
                }
            });
            let pages: Vec<(usize, Vec<RankingRow>)> = futures::stream::iter(reads)
                .buffer_unordered(RANKINGS_IN_FLIGHT)
                .try_collect()
                .await?;
            let ids = state.add_pages(pages);
            let totals = self.customer_totals_in(&ids, range).await?;
            state.add_totals(ids.len(), totals);
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

    fn totals(revenue: Measure) -> CustomerTotals {
        CustomerTotals { placed: 1, revenue_bearing: 1, revenue_cents: revenue }
    }

    /// Rankings of `buckets` (customer -> revenue per bucket), and the
    /// exact first k from the sums.
    fn run(buckets: &[BTreeMap<i64, Measure>], k: usize) -> (Vec<(i64, Measure)>, u64) {
        let rankings: Vec<Vec<RankingRow>> = buckets
            .iter()
            .map(|b| {
                let mut rows: Vec<(i64, Measure)> = b.iter().map(|(id, v)| (*id, *v)).collect();
                rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                rows.into_iter()
                    .enumerate()
                    .map(|(i, (id, v))| (format!("{i:06}"), id, v))
                    .collect()
            })
            .collect();
        let sum = |id: i64| buckets.iter().filter_map(|b| b.get(&id)).sum::<Measure>();
        let mut state = ThresholdTopK::new(rankings.len(), k);
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
            let totals = ids.iter().map(|id| (*id, totals(sum(*id)))).collect();
            state.add_totals(ids.len(), totals);
            if let Some(out) = state.settled() {
                return (out.into_iter().map(|(id, t)| (id, t.revenue_cents)).collect(), lookups);
            }
        }
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
}
