//! Writing a tenant's aggregates straight into the aggregates table, without
//! streaming every change through the pump: the expected state of `salesctl
//! rebuild` (the sum of every record's contribution, the same pure function
//! the stream applies) written with `BatchWriteItem`, several requests at a
//! time. For loading large generated tenants ([`crate::scale`]) to measure
//! reads; the source records may be written too (so `salesctl verify` can
//! compare), or left out when only reads are measured.
//!
//! No ledger items are written: a tenant loaded this way must not also be
//! fed through the stream (its source writes would be counted twice if a
//! pump applied them). Use fresh tables or a fresh tenant.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::SecondsFormat;
use futures::{StreamExt, TryStreamExt};

use rollup::contributions::{Contribution, Delta, ItemKey, checked_contribution};
use rollup::derive;
use rollup::rebuild::{AggregateState, Difference, expected_state, write_differences};
use sales_shared::layout::{Measures, watermark_key};
use sales_shared::records::{SourceRecord, TenantSettings};
use sales_shared::store::StoreError;
use sales_shared::store::key_map;
use sales_shared::store::source;

/// Differences handed to one `write_differences` call (its 25-item batches
/// are sequential; calls run side by side).
const CHUNK: usize = 2_000;

/// How many `BatchWriteItem` loops run at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What a bulk write did and what it cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkReport {
    pub records: usize,
    /// Additive bucket items (day, month, year, per-entity) written.
    pub measure_items: usize,
    /// Whole items (dimension copies, settings, index items) written.
    pub whole_items: usize,
    /// Computing the expected state.
    pub compute: Duration,
    /// Writing it (and the watermark).
    pub write: Duration,
}

impl BulkReport {
    pub fn items(&self) -> usize {
        self.measure_items + self.whole_items
    }
}

/// Writes the aggregates `records` give `tenant` (and its watermark: the
/// newest `updated_at`), `concurrency` batch loops at a time. Items already
/// in the table are overwritten, others left alone: write into a fresh
/// tenant. `progress` is told the number of items of each finished batch.
///
/// With `parts` > 1 the state is computed and written a part at a time
/// ([`Parts`]): memory holds a part's items instead of all of them, for
/// `parts` times the CPU of computing the contributions.
pub async fn write_aggregates(
    client: &Client,
    aggregates_table: &str,
    tenant: &str,
    records: &[SourceRecord],
    parts: u64,
    concurrency: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<BulkReport, StoreError> {
    let mut report = BulkReport { records: records.len(), ..BulkReport::default() };
    let write = async |state: AggregateState, report: &mut BulkReport| {
        report.measure_items += state.measures.len();
        report.whole_items += state.items.len();
        let started = Instant::now();
        let measures = state.measures.into_iter().map(|(key, m)| Difference::Measures {
            key,
            expected: Some(m),
            live: None,
        });
        let items = state.items.into_iter().map(|(key, item)| Difference::Item {
            key,
            expected: Some(item),
            live: None,
        });
        write_all(client, aggregates_table, measures.chain(items), concurrency, progress).await?;
        report.write += started.elapsed();
        Ok::<_, StoreError>(())
    };
    if parts <= 1 {
        let started = Instant::now();
        let state = expected_state(tenant, records);
        report.compute += started.elapsed();
        write(state, &mut report).await?;
    } else {
        let mut split = Parts::new(tenant, records, parts);
        for part in 0..parts {
            let started = Instant::now();
            let state = split.part(part);
            report.compute += started.elapsed();
            write(state, &mut report).await?;
        }
        write(split.derived_counters(), &mut report).await?;
    }
    let started = Instant::now();
    if let Some(through) = records.iter().map(|r| r.updated_at).max() {
        let (pk, sk) = watermark_key(tenant);
        let mut item = key_map(pk, sk);
        let text = through.to_utc().to_rfc3339_opts(SecondsFormat::Millis, true);
        item.insert("through".into(), AttributeValue::S(text));
        client
            .put_item()
            .table_name(aggregates_table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem", e))?;
    }
    report.write += started.elapsed();
    Ok(report)
}

/// [`expected_state`] a part at a time, for tenants whose whole state does
/// not fit in memory. Part `p` holds the contributed items whose key hashes
/// to `p` and the ranking entries its state items derive (one per state
/// item, so no other part has them); the counters those state items derive
/// (customer counts, lifetime values, cash cycles: a few items per bucket)
/// are summed across parts and come last, from [`Parts::derived_counters`].
/// The parts and the counters are disjoint and together are the whole state.
pub struct Parts<'a> {
    tenant: &'a str,
    records: &'a [SourceRecord],
    parts: u64,
    settings: TenantSettings,
    /// The derived counters of the parts so far (adds only).
    counters: Delta,
}

impl<'a> Parts<'a> {
    pub fn new(tenant: &'a str, records: &'a [SourceRecord], parts: u64) -> Self {
        let settings = rollup::rebuild::settings_of(records);
        Parts { tenant, records, parts: parts.max(1), settings, counters: Delta::default() }
    }

    /// Part `part` (of the `parts` given to [`Parts::new`]).
    pub fn part(&mut self, part: u64) -> AggregateState {
        let mine = |key: &ItemKey| part_of(key, self.parts) == part;
        let mut total = Delta::default();
        for record in self.records {
            // As in `expected_state`: a version the stream refuses contributes nothing.
            let Ok(contribution) = checked_contribution(record, &self.settings) else { continue };
            let mut delta = Delta::between(self.tenant, &Contribution::default(), &contribution);
            delta.adds.retain(|key, _| mine(key));
            delta.puts.retain(|key, _| mine(key));
            total.merge(&delta);
        }
        let settings = derive::DeriveSettings::of(&self.settings);
        let derived = derive::for_delta(&total, |_| Measures::new(), |_| settings);
        total.puts.extend(derived.puts);
        self.counters.merge(&Delta { adds: derived.adds, ..Delta::default() });
        AggregateState { measures: total.adds, items: total.puts }
    }

    /// The counters every part's state items derive, summed.
    pub fn derived_counters(self) -> AggregateState {
        AggregateState { measures: self.counters.adds, items: BTreeMap::new() }
    }
}

/// A stable part number of an item key (FNV-1a of pk and sk).
fn part_of(key: &ItemKey, parts: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.0.bytes().chain([0]).chain(key.1.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash % parts.max(1)
}

/// Writes the records into the source table as `salesctl load` stores them
/// (without its version condition: for a fresh tenant). Returns the number
/// of items written.
pub async fn write_sources(
    client: &Client,
    source_table: &str,
    records: &[SourceRecord],
    concurrency: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<usize, StoreError> {
    let items = records.iter().map(|record| {
        let item = source::encode(record);
        let text =
            |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        Difference::Item { key: (text("pk"), text("sk")), expected: Some(item), live: None }
    });
    write_all(client, source_table, items, concurrency, progress).await
}

/// Puts every expected item of `differences` (chunk by chunk, `concurrency`
/// chunks at a time, so only those chunks' requests are built at once).
pub async fn write_all(
    client: &Client,
    table: &str,
    differences: impl Iterator<Item = Difference>,
    concurrency: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<usize, StoreError> {
    let mut differences = differences;
    let chunks = std::iter::from_fn(move || {
        let chunk: Vec<Difference> = differences.by_ref().take(CHUNK).collect();
        (!chunk.is_empty()).then_some(chunk)
    });
    futures::stream::iter(chunks)
        .map(|chunk| async move { write_differences(client, table, &chunk, progress).await })
        .buffer_unordered(concurrency.max(1))
        .try_fold(0, |total, written| async move { Ok(total + written) })
        .await
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rollup::rebuild::{AggregateState, expected_state};

    use super::Parts;
    use crate::scale::{ScaleOptions, records};

    #[test]
    fn the_parts_are_disjoint_and_make_the_whole_state() {
        let today = NaiveDate::from_ymd_opt(2025, 12, 17).unwrap();
        let (records, _) = records(&ScaleOptions::new("parts", today, 1)).unwrap();
        // Reference data and the first months of activity: enough for every
        // family, small enough for a debug build.
        let records = &records[..5_000];
        let whole = expected_state("parts", records);
        let mut joined = AggregateState::default();
        let mut parts = Parts::new("parts", records, 3);
        let mut states: Vec<AggregateState> = (0..3).map(|part| parts.part(part)).collect();
        for (part, state) in states.iter().enumerate() {
            assert!(state.measures.len() * 5 > whole.measures.len(), "part {part} is too small");
        }
        let counters = parts.derived_counters();
        assert!(!counters.measures.is_empty(), "no derived counter");
        states.push(counters);
        for state in states {
            for (key, measures) in state.measures {
                assert!(joined.measures.insert(key, measures).is_none(), "an item is in two parts");
            }
            for (key, item) in state.items {
                assert!(joined.items.insert(key, item).is_none(), "an item is in two parts");
            }
        }
        assert!(joined == whole, "the parts do not make the whole state");
    }
}
