//! Export jobs of 1 000 000 order rows, end to end on the local services:
//! the rows are in DynamoDB Local, the worker's code runs the job and the
//! file goes to the local S3 server.
//!
//! `infra/local/with-test-services.sh cargo bench -p salesctl --bench export_job [-- ROWS [FORMAT...]]`
//! (default 1 000 000 rows, `csv excel`), each format over the first year
//! (a quarter of the rows) and over all four.
//!
//! The tenant's index items (`orders_by_date`, over four years), its
//! customers (5 000), sales reps and settings are what the rollup writes
//! for those records (`rollup::contributions::contribution`, the other families
//! left out: an export reads nothing else), batch-written. Each job then
//! runs in a fresh child process (`VmHWM` only grows) through
//! `export::jobs::run_job`, the worker's own code, while a second task
//! follows the job's `rows` as a client polling `GET /exports/{id}` would.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use rollup::contributions::contribution;
use rollup::rebuild::Difference;
use sales_shared::config::Config;
use sales_shared::exports::Dataset;
use sales_shared::exports::job_store::{Created, JobStore};
use sales_shared::exports::jobs::{ExportSpec, Job, new_job_id};
use sales_shared::exports::{Format, jobs::JobState};
use sales_shared::layout::family;
use sales_shared::periods::DateRange;
use sales_shared::records::{OrderSource, OrderStatus, SourceRecord, StrEnum, parse_record};

const TENANT: &str = "export-bench";
const CUSTOMERS: i64 = 5_000;
const REPS: i64 = 40;
const CHUNK: i64 = 20_000;

fn config(prefix: &str) -> Config {
    let mut config = Config::from_env_or_local_stack().expect("configuration");
    assert!(
        std::env::var("SALES_DYNAMODB_ENDPOINT").is_ok(),
        "run through infra/local/with-test-services.sh (private DynamoDB Local, S3 and moto)"
    );
    config.source_table = format!("{prefix}-source");
    config.aggregates_table = format!("{prefix}-aggregates");
    config.alerts_table = format!("{prefix}-alerts");
    config.export_jobs_table = format!("{prefix}-export-jobs");
    config.exports_bucket = "sales-exports-bench".into();
    config.export_queue_url = None;
    config
}

fn record(kind: &str, id: i64, body: serde_json::Value) -> SourceRecord {
    let mut line = serde_json::json!({"type": kind, "tenant_id": TENANT, "id": id, "version": 1,
        "updated_at": "2025-12-31T00:00:00Z"});
    if let (Some(line), Some(body)) = (line.as_object_mut(), body.as_object()) {
        line.extend(body.clone());
    }
    parse_record(&line.to_string()).unwrap_or_else(|e| panic!("{kind} {id}: {e:?}"))
}

fn order(i: i64) -> SourceRecord {
    let day = first_day() + chrono::Duration::days(i % 1461);
    let status = OrderStatus::ALL[(i % 8) as usize].as_str();
    let cents = (i * 7919) % 1_000_000 + 999;
    record(
        "order",
        i + 1,
        serde_json::json!({"order_number": format!("ORD-{:08}", i + 1), "customer_id": i % CUSTOMERS + 1,
            "sales_rep_id": i % REPS + 1, "source": OrderSource::ALL[(i % 4) as usize].as_str(), "status": status,
            "currency": "USD", "total_amount": format!("{}.{:02}", cents / 100, cents % 100),
            "ordered_at": format!("{day}T{:02}:{:02}:00Z", i % 24, i % 60)}),
    )
}

/// The whole items (index entries, dimension copies, settings) of records.
fn items_of(records: &[SourceRecord], keep: impl Fn(&str) -> bool) -> Vec<Difference> {
    records
        .iter()
        .flat_map(|r| contribution(r, chrono_tz::UTC).items)
        .filter(|((pk, _), _)| keep(pk))
        .map(|(key, item)| Difference::Item { key, expected: Some(item), live: None })
        .collect()
}

async fn load(config: &Config, rows: i64) {
    let dynamo = sales_shared::aws::dynamodb(config).await;
    salesctl::setup::create_resources(config, true).await.expect("tables and bucket");
    let table = &config.aggregates_table;
    let started = Instant::now();
    let mut dimensions = vec![record(
        "tenant_settings",
        1,
        serde_json::json!({"time_zone": "UTC", "currency": "USD"}),
    )];
    for id in 1..=CUSTOMERS {
        dimensions.push(record(
            "customer",
            id,
            serde_json::json!({"customer_number": format!("CUST-{id:05}"),
                "company_name": format!("Customer {id} Holdings Ltd."), "created_at": "2021-01-01T00:00:00Z"}),
        ));
    }
    for id in 1..=REPS {
        dimensions.push(record("sales_rep", id, serde_json::json!({"name": format!("Rep {id}")})));
    }
    let nothing = |_: usize| {};
    salesctl::bulk::write_all(
        &dynamo,
        table,
        items_of(&dimensions, |_| true).into_iter(),
        8,
        &nothing,
    )
    .await
    .expect("dimensions written");
    let index = format!("#{}#", family::ORDERS_BY_DATE);
    let mut written = 0;
    for start in (0..rows).step_by(CHUNK as usize) {
        let orders: Vec<SourceRecord> = (start..(start + CHUNK).min(rows)).map(order).collect();
        let items = items_of(&orders, |pk| pk.contains(&index));
        written += salesctl::bulk::write_all(&dynamo, table, items.into_iter(), 8, &nothing)
            .await
            .expect("orders");
        eprint!(
            "\r  loaded {written} of {rows} order index items ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).unwrap()
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// The child: one job, as the worker runs it; prints one JSON line.
async fn child(config: &Config, format: Format, range: DateRange) {
    let start_rss = rss_kib("VmHWM:");
    let dynamo = sales_shared::aws::dynamodb(config).await;
    let store = JobStore::new(&dynamo, &config.export_jobs_table, TENANT);
    let now = Utc::now();
    let job =
        Job::queued(new_job_id(now), ExportSpec::new(Dataset::Orders, format, range, None), now);
    let Created::New(job) = store.create(&job, None).await.expect("job stored") else {
        panic!("a new job")
    };
    let ctx = export::ReportContext::from_config(config).await;

    // A client following the job while it runs.
    let (id, table, dynamo) = (job.id.clone(), config.export_jobs_table.clone(), dynamo.clone());
    let watcher = tokio::spawn(async move {
        let store = JobStore::new(&dynamo, &table, TENANT);
        let mut seen = Vec::new();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Ok(Some(job)) = store.get(&id, Utc::now()).await else { continue };
            if job.state == JobState::Running && seen.last() != Some(&job.rows) {
                seen.push(job.rows);
            }
            if job.state.is_final() {
                return seen;
            }
        }
    });
    let started = Instant::now();
    let outcome = export::jobs::run_job(&ctx, TENANT, &job.id).await.expect("job ran");
    let secs = started.elapsed().as_secs_f64();
    let progress = watcher.await.unwrap_or_default();
    let export::jobs::Outcome::Succeeded { rows, bytes } = outcome else { panic!("{outcome:?}") };
    println!(
        "{}",
        serde_json::json!({"format": format.as_str(), "rows": rows, "bytes": bytes, "secs": secs,
            "peak_kib": rss_kib("VmHWM:"), "start_kib": start_rss, "progress": progress})
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let format = args.get(i + 1).and_then(|f| Format::parse(f)).expect("a format");
        let prefix = args.get(i + 2).expect("a table prefix");
        let to = args.get(i + 3).and_then(|d| d.parse().ok()).expect("the last day");
        child(&config(prefix), format, DateRange { from: first_day(), to }).await;
        return;
    }
    let rows: i64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let formats: Vec<Format> = args.iter().skip(1).filter_map(|a| Format::parse(a)).collect();
    let formats = if formats.is_empty() { vec![Format::Csv, Format::Excel] } else { formats };
    let prefix = format!("export-bench-{}", std::process::id());
    let config = config(&prefix);
    eprintln!("loading {rows} orders of tenant {TENANT} into {}", config.aggregates_table);
    let started = Instant::now();
    load(&config, rows).await;
    let load_secs = started.elapsed().as_secs_f64();
    println!("loaded {rows} order rows in {load_secs:.0} s");
    println!();
    println!(
        "| format | range | rows | file size | time | rows/s | peak RSS (process) | peak RSS over start | progress updates seen |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let ranges = [("2022", "2022-12-31"), ("2022 to 2025", "2025-12-31")];
    for (format, (label, to)) in formats.iter().flat_map(|f| ranges.iter().map(move |r| (f, r))) {
        let out = Command::new(std::env::current_exe().expect("own path"))
            .args(["--child", format.as_str(), &prefix, to])
            .output()
            .expect("child ran");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value =
            serde_json::from_str(line.trim()).expect("the child's JSON line");
        let (secs, rows) = (v["secs"].as_f64().unwrap_or(0.0), v["rows"].as_u64().unwrap_or(0));
        let (peak, start) =
            (v["peak_kib"].as_u64().unwrap_or(0), v["start_kib"].as_u64().unwrap_or(0));
        println!(
            "| {} | {label} | {rows} | {:.1} MiB | {secs:.1} s | {:.0} | {:.1} MiB | {:.1} MiB | {} |",
            v["format"].as_str().unwrap_or_default(),
            v["bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
            rows as f64 / secs.max(0.001),
            peak as f64 / 1024.0,
            peak.saturating_sub(start) as f64 / 1024.0,
            v["progress"].as_array().map_or(0, Vec::len),
        );
    }
}
