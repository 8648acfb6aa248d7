//! Rollup benchmark: handler CPU throughput and DynamoDB write cost per
//! source change, on the demo data set scaled to at least 100 000 orders.
//!
//! `cargo bench -p salesctl --bench rollup [-- ORDERS_PER_MONTH]`
//!
//! CPU: every record goes through what the handler does per record apart
//! from I/O — decode the stream image, compute its contribution and delta,
//! group a batch of 100 (the event source mapping's batch size) and build
//! the transaction requests. Cost: each transaction item is priced the way
//! DynamoDB prices transactional writes (2 WCU per started KB of the larger
//! of the item's size before and after), with item sizes tracked in an
//! in-memory model of the aggregates table.

use std::time::{Duration, Instant};

use rollup::apply::{PreparedChange, group_changes, merged, transaction_items};
use rollup::contributions::{Contribution, Delta, contribution};
use sales_shared::layout::padded_sequence;
use sales_shared::records::parse_record;
use sales_shared::store::source;
use salesctl::write_cost::WriteCost;

fn main() {
    let orders_per_month: u32 =
        std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(7_200);
    let options = salesctl::demo::DemoOptions {
        orders_per_month,
        ..salesctl::demo::DemoOptions::new("bench", "2025-12-17".parse().expect("date"))
    };
    let mut bytes = Vec::new();
    let stats = salesctl::demo::generate(&options, &mut bytes).expect("demo data");
    let text = String::from_utf8(bytes).expect("utf-8");
    let records: Vec<_> =
        text.lines().map(|l| parse_record(l).expect("valid demo record")).collect();
    let tz = rollup::rebuild::settings_of(&records).tz();
    // Stream images as DynamoDB delivers them (all inserts).
    let images: Vec<serde_dynamo::Item> =
        records.iter().map(|r| serde_dynamo::Item::from(source::encode(r))).collect();
    println!("data set: {} records {:?}", stats.lines, stats.by_type);

    let started = Instant::now();
    let mut groups = Vec::new();
    let mut request_items = 0usize;
    let (mut prepare_time, mut group_time, mut build_time) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for (batch_index, batch) in images.chunks(100).enumerate() {
        let phase = Instant::now();
        let changes: Vec<PreparedChange> = batch
            .iter()
            .enumerate()
            .map(|(i, image)| {
                let record = source::decode(image.clone()).expect("decodes");
                let delta = Delta::between(
                    &record.key.tenant_id,
                    &Contribution::default(),
                    &contribution(&record, tz),
                );
                PreparedChange {
                    key: record.key,
                    sequence: padded_sequence(&(batch_index * 100 + i).to_string()),
                    version: record.version,
                    delta,
                    settings: Default::default(),
                }
            })
            .collect();
        prepare_time += phase.elapsed();
        let phase = Instant::now();
        let grouping = group_changes(changes);
        group_time += phase.elapsed();
        let phase = Instant::now();
        for group in grouping.groups {
            request_items +=
                transaction_items("aggregates", &group, &merged(&group), &Default::default())
                    .expect("requests")
                    .len();
            groups.push(group);
        }
        build_time += phase.elapsed();
    }
    let cpu = started.elapsed();

    let mut cost = WriteCost::default();
    for group in &groups {
        cost.apply(group);
    }
    let n = records.len() as f64;
    println!(
        "  of which decode + contribution + delta: {prepare_time:.2?}, grouping: {group_time:.2?}, building requests: {build_time:.2?}"
    );
    println!(
        "handler CPU (decode, contribute, coalesce, build requests): {:.2?} for {} records = {:.0} records/s",
        cpu,
        records.len(),
        n / cpu.as_secs_f64()
    );
    println!(
        "transactions: {} ({:.3} per change), transaction items: {} ({:.2} per change; {} built)",
        cost.transactions,
        cost.transactions as f64 / n,
        cost.items,
        cost.items as f64 / n,
        request_items
    );
    println!("write capacity: {} WCU ({:.2} per change)", cost.wcu, cost.wcu as f64 / n);
    let largest = cost.measures.iter().map(|(k, (_, size))| (*size, k)).max();
    if let Some((size, key)) = largest {
        println!("largest aggregate item: {} {} = {} bytes", key.0, key.1, size);
    }
}
