//! Read cost at scale (issue 11): items read and latency of every request
//! of `salesctl::read_cost::cases` on generated tenants at 1x, 10x and 100x
//! (`salesctl::scale`: 1 000 to 100 000 customers, 6 000 to 600 000 orders
//! over four years), beside the rollup's write cost on the same records.
//!
//! ```sh
//! infra/local/with-test-services.sh cargo bench -p salesctl --bench read_cost [-- 1,10,100]
//! ```
//!
//! Each scale is its own tenant in one pair of fresh tables. Its aggregates
//! are written with `salesctl::bulk` (the expected state of `salesctl
//! rebuild`, batch-written), not through the stream. Each request then goes
//! through the same router the local server and the Lambdas run (in
//! process, no HTTP), with the clock pinned at the end of the data, up to
//! `READ_COST_REQUESTS` times (default 20) or until `READ_COST_BUDGET`
//! seconds (default 30) have been spent on it, whichever comes first (at
//! least once); p50/p95 are over those requests.
//!
//! Options (environment):
//! - `READ_COST_SCALES` (or the first argument): e.g. `1,10` (default), `100`
//! - `READ_COST_REQUESTS`, `READ_COST_BUDGET`: as above
//! - `READ_COST_CONCURRENCY`: batch-write loops at a time (default 8)
//! - `READ_COST_PARTS`: compute and write the aggregates in that many parts
//!   (`salesctl::bulk::Parts`; default 1 below 25x, then scale / 25)
//! - `READ_COST_DRY=1`: only generate and compute the aggregates (in parts),
//!   reporting time and memory, and model the write cost; no DynamoDB
//!   needed (with `READ_COST_AGGREGATES=0`, the write cost only)
//! - `READ_COST_SOURCES=1`: also write the source records
//! - `READ_COST_VERIFY=1`: read the aggregates back and compare them with the
//!   expected state (`salesctl verify`'s comparison)
//! - `READ_COST_WRITE_COST=0`: skip the rollup write-cost model
//! - `READ_COST_ONLY=TEXT`: only the requests whose label contains TEXT
//! - `READ_COST_JSONL=DIR`: also write each tenant as `DIR/scale-<s>x.jsonl`
//!   (for the DuckDB comparison, `salesctl/benches/duckdb_side_by_side.py`);
//!   with `READ_COST_JSONL_ONLY=1` only that (no DynamoDB needed)

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, NaiveDate, Utc};
use rollup::apply::{PreparedChange, group_changes};
use rollup::contributions::{Contribution, Delta, contribution};
use rollup::rebuild::{differences, expected_state, live_partitions, live_state};
use sales_shared::config::Config;
use sales_shared::http::ApiContext;
use sales_shared::layout::padded_sequence;
use sales_shared::records::SourceRecord;
use salesctl::read_cost::{PREFIX, cases};
use salesctl::scale::{ScaleOptions, records};
use salesctl::write_cost::WriteCost;
use tower::ServiceExt;

const TODAY: &str = "2025-12-17";
/// 23:00 in New York on `TODAY`: after every generated record.
const NOW: &str = "2025-12-18T04:00:00Z";
const SECRET: &str = "read-cost-bench-secret";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn flag(name: &str, default: bool) -> bool {
    std::env::var(name).map_or(default, |v| v == "1")
}

/// `VmHWM` / `VmRSS` of this process in MiB.
fn memory(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).unwrap_or(0) / 1024
}

// ---------------------------------------------------------------------------
// Write cost: `salesctl::write_cost`, the model benches/rollup.rs uses too.

/// Every record as an insert, in batches of 100 as the stream delivers them.
fn write_cost_of(records: &[SourceRecord]) -> WriteCost {
    let tenant_settings = rollup::rebuild::settings_of(records);
    let (tz, settings) =
        (tenant_settings.tz(), rollup::derive::DeriveSettings::of(&tenant_settings));
    let mut cost = WriteCost::default();
    for (batch_index, batch) in records.chunks(100).enumerate() {
        let changes: Vec<PreparedChange> = batch
            .iter()
            .enumerate()
            .map(|(i, record)| PreparedChange {
                key: record.key.clone(),
                sequence: padded_sequence(&(batch_index * 100 + i).to_string()),
                version: record.version,
                delta: Delta::between(
                    &record.key.tenant_id,
                    &Contribution::default(),
                    &contribution(record, tz),
                ),
                settings,
            })
            .collect();
        for group in group_changes(changes).groups {
            cost.apply(&group);
        }
    }
    cost
}

// ---------------------------------------------------------------------------
// Reads

struct Measured {
    items: u64,
    latencies: Vec<Duration>,
}

impl Measured {
    fn percentile(&self, p: usize) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted.get((sorted.len() * p).div_ceil(100).saturating_sub(1)).copied().unwrap_or_default()
    }
}

async fn get(app: &axum::Router, url: &str, token: &str) -> u64 {
    let request =
        Request::get(url).header("authorization", format!("Bearer {token}")).body(Body::empty());
    let response = app.clone().oneshot(request.expect("request")).await.expect("response");
    let status = response.status();
    let items = response
        .headers()
        .get("x-items-read")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = axum::body::to_bytes(response.into_body(), 64 << 20).await.expect("body");
    assert!(status.is_success(), "{url}: {status} {}", String::from_utf8_lossy(&body));
    items.unwrap_or_else(|| panic!("{url}: no x-items-read"))
}

fn config(pinned: DateTime<Utc>) -> Config {
    let endpoint = std::env::var("SALES_DYNAMODB_ENDPOINT").expect(
        "SALES_DYNAMODB_ENDPOINT is not set: run through infra/local/with-test-services.sh",
    );
    let prefix = format!("read-cost-bench-{}", std::process::id());
    let mut vars: std::collections::HashMap<&str, String> = std::collections::HashMap::from([
        ("SALES_ENV", "local".to_owned()),
        ("SALES_SOURCE_TABLE", format!("{prefix}-source")),
        ("SALES_AGGREGATES_TABLE", format!("{prefix}-aggregates")),
        ("SALES_ALERTS_TABLE", format!("{prefix}-alerts")),
        ("SALES_EXPORT_JOBS_TABLE", "read-cost-export-jobs".to_owned()),
        ("SALES_EXPORTS_BUCKET", "sales-exports-bench".to_owned()),
        ("SALES_DYNAMODB_ENDPOINT", endpoint),
        ("SALES_ANALYTICS_NOW", pinned.to_rfc3339()),
        ("SALES_JWT_SECRET", SECRET.to_owned()),
        ("SALES_CURSOR_SECRET", "read-cost-bench-cursor-key".to_owned()),
    ]);
    for (name, from) in [
        ("SALES_S3_ENDPOINT", "SALES_S3_ENDPOINT"),
        ("SALES_SQS_ENDPOINT", "SALES_SQS_ENDPOINT"),
        ("SALES_LAMBDA_ENDPOINT", "SALES_SQS_ENDPOINT"),
    ] {
        if let Ok(value) = std::env::var(from) {
            vars.insert(name, value);
        }
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("the bench configuration is valid")
}

struct Loaded {
    scale: u32,
    records: usize,
    orders: usize,
    generate: Duration,
    aggregate_items: usize,
    compute: Duration,
    write: Duration,
    sources: Option<(usize, Duration)>,
    peak_mib: u64,
    cost: Option<WriteCost>,
}

#[tokio::main]
async fn main() {
    let scales: Vec<u32> = std::env::args()
        .skip(1)
        .find(|a| a.chars().all(|c| c.is_ascii_digit() || c == ','))
        .or_else(|| std::env::var("READ_COST_SCALES").ok())
        .unwrap_or_else(|| "1,10".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let max_requests: usize = env_or("READ_COST_REQUESTS", 20);
    let budget = Duration::from_secs_f64(env_or("READ_COST_BUDGET", 30.0));
    let concurrency: usize = env_or("READ_COST_CONCURRENCY", salesctl::bulk::DEFAULT_CONCURRENCY);
    let today: NaiveDate = TODAY.parse().expect("date");
    if flag("READ_COST_JSONL_ONLY", false) {
        let dir = std::env::var("READ_COST_JSONL").expect("READ_COST_JSONL=DIR");
        for &scale in &scales {
            let path = std::path::Path::new(&dir).join(format!("scale-{scale}x.jsonl"));
            let mut out =
                std::io::BufWriter::new(std::fs::File::create(&path).expect("JSON Lines file"));
            let started = Instant::now();
            let stats = salesctl::scale::generate(
                &ScaleOptions::new(format!("x{scale}"), today, scale),
                &mut out,
            )
            .expect("JSON Lines written");
            println!("{}: {} lines in {:.1?}", path.display(), stats.lines, started.elapsed());
        }
        return;
    }
    let parts_for = |scale: u32| match env_or("READ_COST_PARTS", 0_u64) {
        0 => u64::from(scale / 25).max(1),
        n => n,
    };
    if flag("READ_COST_DRY", false) {
        for &scale in &scales {
            let tenant = format!("x{scale}");
            let started = Instant::now();
            let (recs, _) =
                records(&ScaleOptions::new(&tenant, today, scale)).expect("generated tenant");
            let generate = started.elapsed();
            let records_mib = memory("VmRSS:");
            let parts = if flag("READ_COST_AGGREGATES", true) { parts_for(scale) } else { 0 };
            let started = Instant::now();
            let mut items = 0;
            let mut split = salesctl::bulk::Parts::new(&tenant, &recs, parts);
            for part in 0..parts {
                let state = split.part(part);
                items += state.measures.len() + state.items.len();
                println!(
                    "  {scale}x part {part}: {} items, RSS {} MiB",
                    state.measures.len() + state.items.len(),
                    memory("VmRSS:")
                );
            }
            if parts > 0 {
                let counters = split.derived_counters();
                items += counters.measures.len();
                println!("  {scale}x derived counters: {} items", counters.measures.len());
            }
            println!(
                "{scale}x: {} records generated in {generate:.1?} (RSS {records_mib} MiB with the records), {items} aggregate items computed in {parts} parts in {:.1?}, peak RSS {} MiB",
                recs.len(),
                started.elapsed(),
                memory("VmHWM:")
            );
            if flag("READ_COST_WRITE_COST", true) {
                let c = write_cost_of(&recs);
                let n = c.changes.max(1) as f64;
                println!(
                    "{scale}x write cost: {} changes, {:.3} transactions, {:.2} items, {:.2} WCU per change",
                    c.changes,
                    c.transactions as f64 / n,
                    c.items as f64 / n,
                    c.wcu as f64 / n
                );
                let mut families: Vec<_> = c.by_family.iter().collect();
                families.sort_by_key(|(_, (_, units))| std::cmp::Reverse(*units));
                for (family, (items, units)) in families {
                    println!(
                        "  {family}: {:.2} items, {:.2} WCU per change",
                        *items as f64 / n,
                        *units as f64 / n
                    );
                }
                println!("{scale}x write cost by family and grain:");
                let mut grains: Vec<_> = c.by_grain.iter().collect();
                grains.sort_by_key(|(_, (_, units))| std::cmp::Reverse(*units));
                for (grain, (items, units)) in grains.into_iter().take(30) {
                    println!(
                        "  {grain}: {:.2} items, {:.2} WCU per change",
                        *items as f64 / n,
                        *units as f64 / n
                    );
                }
            }
        }
        return;
    }
    let config = config(NOW.parse().expect("now"));
    salesctl::setup::create_resources(&config, false).await.expect("tables created");
    let dynamo = sales_shared::aws::dynamodb(&config).await;
    let app = salesctl::serve::app(ApiContext::from_config(&config).await);
    println!(
        "scales {scales:?}, up to {max_requests} requests or {budget:?} per request and scale"
    );

    // READ_COST_ONLY=TEXT: only the requests whose label contains TEXT.
    let only = std::env::var("READ_COST_ONLY").ok();
    let cases: Vec<_> = cases(today)
        .into_iter()
        .filter(|c| only.as_deref().is_none_or(|o| c.label.contains(o)))
        .collect();
    let mut loads = Vec::new();
    let mut reads: BTreeMap<u32, Vec<Measured>> = BTreeMap::new();
    for &scale in &scales {
        let tenant = format!("x{scale}");
        let options = ScaleOptions::new(&tenant, today, scale);
        let started = Instant::now();
        let (recs, stats) = records(&options).expect("generated tenant");
        let generate = started.elapsed();
        println!(
            "{scale}x: {} records generated in {generate:.1?} ({:?})",
            recs.len(),
            stats.by_type
        );
        if let Ok(dir) = std::env::var("READ_COST_JSONL") {
            let path = std::path::Path::new(&dir).join(format!("scale-{scale}x.jsonl"));
            let file = std::fs::File::create(&path).expect("JSON Lines file");
            let mut out = std::io::BufWriter::new(file);
            salesctl::scale::generate(&options, &mut out).expect("JSON Lines written");
            println!("{scale}x: written to {}", path.display());
        }
        let written = std::sync::atomic::AtomicUsize::new(0);
        let last_report = std::sync::Mutex::new(Instant::now());
        let progress = |n: usize| {
            let total = written.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            if let Ok(mut last) = last_report.lock()
                && last.elapsed() > Duration::from_secs(30)
            {
                *last = Instant::now();
                println!("  {total} items written");
            }
        };
        let report = salesctl::bulk::write_aggregates(
            &dynamo,
            &config.aggregates_table,
            &tenant,
            &recs,
            parts_for(scale),
            concurrency,
            &progress,
        )
        .await
        .expect("aggregates written");
        println!(
            "{scale}x: {} aggregate items computed in {:.1?}, written in {:.1?} ({:.0} items/s)",
            report.items(),
            report.compute,
            report.write,
            report.items() as f64 / report.write.as_secs_f64()
        );
        let sources = if flag("READ_COST_SOURCES", false) {
            let started = Instant::now();
            let n = salesctl::bulk::write_sources(
                &dynamo,
                &config.source_table,
                &recs,
                concurrency,
                &|_| {},
            )
            .await
            .expect("sources written");
            println!("{scale}x: {n} source items written in {:.1?}", started.elapsed());
            Some((n, started.elapsed()))
        } else {
            None
        };
        if flag("READ_COST_VERIFY", false) {
            let started = Instant::now();
            let expected = expected_state(&tenant, &recs);
            let pks = live_partitions(&dynamo, &config.aggregates_table, &tenant)
                .await
                .expect("partitions");
            let live = live_state(&dynamo, &config.aggregates_table, &tenant, &pks)
                .await
                .expect("live state");
            let diffs = differences(&expected, &live);
            assert!(diffs.is_empty(), "{} items differ, first: {}", diffs.len(), diffs[0]);
            println!("{scale}x: verified, no difference ({:.1?})", started.elapsed());
        }
        let cost = flag("READ_COST_WRITE_COST", true).then(|| {
            let started = Instant::now();
            let cost = write_cost_of(&recs);
            println!("{scale}x: write cost modelled in {:.1?}", started.elapsed());
            cost
        });
        let orders = stats.by_type.get("order").copied().unwrap_or(0);
        loads.push(Loaded {
            scale,
            records: recs.len(),
            orders,
            generate,
            aggregate_items: report.items(),
            compute: report.compute,
            write: report.write,
            sources,
            peak_mib: memory("VmHWM:"),
            cost,
        });
        drop(recs);

        let token = sales_shared::auth::mint_hs256(
            SECRET,
            &tenant,
            "sales:read",
            Duration::from_secs(24 * 3600),
        );
        get(&app, &format!("{PREFIX}dashboard/widgets/sales-goals"), &token).await;
        let mut measured = Vec::new();
        for case in &cases {
            let started = Instant::now();
            let mut latencies = Vec::new();
            let mut items = 0;
            while latencies.is_empty()
                || (latencies.len() < max_requests && started.elapsed() < budget)
            {
                let at = Instant::now();
                items = get(&app, &case.url, &token).await;
                latencies.push(at.elapsed());
            }
            let m = Measured { items, latencies };
            println!(
                "  {scale}x {}: {} items, p50 {:.0?}, p95 {:.0?} ({} requests)",
                case.label,
                m.items,
                m.percentile(50),
                m.percentile(95),
                m.latencies.len()
            );
            measured.push(m);
        }
        reads.insert(scale, measured);
    }

    println!();
    println!(
        "| scale | customers | orders | records | generate | aggregate items | compute | write | items/s | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for l in &loads {
        println!(
            "| {}x | {} | {} | {} | {:.1?} | {} | {:.1?} | {:.1?} | {:.0} | {} MiB |",
            l.scale,
            salesctl::scale::BASE_CUSTOMERS * l.scale as usize,
            l.orders,
            l.records,
            l.generate,
            l.aggregate_items,
            l.compute,
            l.write,
            l.aggregate_items as f64 / l.write.as_secs_f64(),
            l.peak_mib
        );
        if let Some((n, time)) = l.sources {
            println!("|   sources | | | {n} items in {time:.1?} | | | | | | |");
        }
    }
    println!();
    println!("| scale | changes | transactions per change | items per change | WCU per change |");
    println!("|---|---|---|---|---|");
    for l in &loads {
        if let Some(c) = &l.cost {
            let n = c.changes.max(1) as f64;
            println!(
                "| {}x | {} | {:.3} | {:.1} | {:.1} |",
                l.scale,
                c.changes,
                c.transactions as f64 / n,
                c.items as f64 / n,
                c.wcu as f64 / n
            );
        }
    }
    println!();
    let header: Vec<String> =
        scales.iter().map(|s| format!("{s}x items | {s}x p50 / p95")).collect();
    println!("| request | bound | {} |", header.join(" | "));
    println!("|---|---|{}", "---|---|".repeat(scales.len()));
    for (i, case) in cases.iter().enumerate() {
        let cells: Vec<String> = scales
            .iter()
            .map(|s| {
                let m = &reads[s][i];
                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                format!(
                    "{} | {:.0} / {:.0} ms",
                    m.items,
                    ms(m.percentile(50)),
                    ms(m.percentile(95))
                )
            })
            .collect();
        println!("| {} | {} | {} |", case.label, case.bound.limit(), cells.join(" | "));
    }
}
