//! `salesctl catch-up`: brings one tenant's aggregates up to its source
//! records in one pass, instead of change by change through the stream. For
//! a large load with the stream pump stopped (`make dev` loads the demo
//! tenant so: about 18 000 records in seconds rather than minutes).
//!
//! 1. Every change of the tenant now in the stream gives its record's newest
//!    stream position (sequence number and version).
//! 2. When every one of them is in the ledger already, nothing is left to
//!    do. Otherwise the aggregates are rebuilt from the source records (the
//!    pure `expected_state` of `salesctl rebuild`, written as differences).
//! 3. The positions are written to the records' ledger entries, as the
//!    rollup writes them when it applies a change. When the pump resumes it
//!    finds them applied and drops them; a later change of the same record
//!    has a larger sequence number and applies as usual. The ledger comes
//!    last, so a catch-up cut short is redone by the next one.
//! 4. The tenant's `data_through` moves to the newest change's stream time,
//!    as the rollup would move it.
//!
//! Run it with the pump stopped (`infra/local/app.sh demo` stops and
//! restarts it): a change the pump applied after the rebuild read the
//! aggregates would be counted twice. Other tenants' changes in the stream
//! are left to the pump.

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::EventRecord;
use chrono::{DateTime, Utc};
use rollup::rebuild::Difference;
use sales_shared::config::Config;
use sales_shared::layout::ledger_key;
use sales_shared::layout::padded_sequence;
use sales_shared::records::RecordKey;
use sales_shared::store::aggregates::{LedgerEntry, read_ledgers};
use sales_shared::store::{StoreError, source};

use crate::progress;
use crate::pump::{Pump, PumpError};

#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    #[error(transparent)]
    Stream(#[from] PumpError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a stream record is not a DynamoDB change: {0}")]
    Event(#[from] serde_json::Error),
}

/// What a catch-up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// The tenant's records with a change in the stream.
    pub records: usize,
    /// Ledger entries written (records not yet applied).
    pub ledgers: usize,
    /// Aggregate items rewritten.
    pub aggregates: usize,
}

/// The newest stream position of each of `tenant`'s records among
/// `records` (Lambda's event shape), and the newest change's stream time.
pub fn newest_positions(
    tenant: &str,
    records: &[EventRecord],
) -> (HashMap<RecordKey, LedgerEntry>, Option<DateTime<Utc>>) {
    let mut positions: HashMap<RecordKey, LedgerEntry> = HashMap::new();
    let mut newest_time = None;
    for record in records {
        let change = &record.change;
        let Some(sequence) = change.sequence_number.as_deref() else { continue };
        let identity = [&change.new_image, &change.old_image]
            .into_iter()
            .filter(|image| !image.is_empty())
            .find_map(|image| source::decode_stored(image.clone()).ok()?.identity());
        let Some((key, version)) = identity else { continue };
        if key.tenant_id != tenant {
            continue;
        }
        let entry = LedgerEntry { sequence: padded_sequence(sequence), version };
        match positions.get(&key) {
            Some(known) if known.sequence >= entry.sequence => {}
            _ => {
                positions.insert(key, entry);
            }
        }
        newest_time = newest_time.max(Some(change.approximate_creation_date_time));
    }
    (positions, newest_time)
}

/// Catches `tenant` up (see the module doc); `visible` shows progress.
pub async fn catch_up(
    config: &Config,
    tenant: &str,
    visible: bool,
) -> Result<CatchUp, CatchUpError> {
    let rollup = rollup::RollupContext::from_config(config).await;
    let dynamo = rollup.dynamo.clone();
    let table = config.aggregates_table.clone();

    let spinner = progress::spinner(visible, "reading the stream", "changes");
    let mut reader = Pump::new(config, rollup.clone(), None, None).await?;
    let events: Vec<EventRecord> = reader
        .read_all()
        .await?
        .into_iter()
        .map(serde_json::from_value)
        .inspect(|_| spinner.inc(1))
        .collect::<Result<_, _>>()?;
    spinner.finish_and_clear();
    let (positions, newest_time) = newest_positions(tenant, &events);

    let keys: Vec<&RecordKey> = positions.keys().collect();
    let applied = read_ledgers(&dynamo, &table, &keys).await?;
    let pending: Vec<(&RecordKey, &LedgerEntry)> = positions
        .iter()
        .filter(|(key, entry)| {
            applied.get(*key).is_none_or(|known| known.sequence < entry.sequence)
        })
        .collect();
    if pending.is_empty() {
        // Every change was applied already (by the pump or an earlier
        // catch-up, which writes the ledger last).
        return Ok(CatchUp { records: positions.len(), ..CatchUp::default() });
    }
    // The aggregates first, the ledger last: a catch-up cut short leaves
    // changes unmarked, and the next one rebuilds again.
    let aggregates = crate::reconcile::rebuild(config, tenant, visible).await?;
    let items: Vec<Difference> =
        pending.iter().map(|(key, entry)| ledger_item(key, entry)).collect();
    let bar = progress::bar(visible, items.len() as u64, "marking changes applied", "records");
    let ledgers = crate::bulk::write_all(
        &dynamo,
        &table,
        items.into_iter(),
        crate::bulk::DEFAULT_CONCURRENCY,
        &|n| bar.inc(n as u64),
    )
    .await?;
    bar.finish_and_clear();
    if let Some(at) = newest_time {
        rollup::advance_watermark(&rollup, tenant, at).await?;
    }
    Ok(CatchUp { records: positions.len(), ledgers, aggregates })
}

/// The ledger item the rollup writes when it applies `entry`'s change.
fn ledger_item(key: &RecordKey, entry: &LedgerEntry) -> Difference {
    Difference::Item { key: ledger_key(key), expected: Some(entry.item(key)), live: None }
}
