//! Export writers' peak memory and time for 10 000 and 1 000 000 rows.
//!
//! `cargo bench -p salesctl --bench exports [-- ROWS...]`
//!
//! Each measurement runs in a fresh child process (peak RSS, `VmHWM`, only
//! grows): it generates synthetic order rows and streams them through the
//! writer the export endpoint uses, in pages of 1 000 rows (a DynamoDB page
//! holds about that many index items). CSV parts are handed over at 8 MiB
//! and dropped, as the multipart upload sends them; the Excel workbook is
//! written in constant-memory mode and saved to a temporary file; the PDF
//! keeps the first 20 000 rows for its table and totals every row for its
//! summary and chart. S3 itself is not involved (the upload holds one part
//! at a time).

use std::process::Command;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use sales_shared::exports::Format;
use sales_shared::exports::csv_file::CsvFile;
use sales_shared::exports::pdf_report::{self, MAX_TABLE_ROWS, ReportInfo};
use sales_shared::exports::table::{Cell, Row, Summary};
use sales_shared::exports::tables::orders_spec;
use sales_shared::exports::upload::PART_SIZE;
use sales_shared::exports::xlsx_file::XlsxFile;
use sales_shared::periods::DateRange;
use sales_shared::records::{OrderSource, OrderStatus, StrEnum};

fn row(i: u64) -> Row {
    let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days((i % 365) as i64);
    vec![
        Cell::Text(format!("ORD-{i:08}")),
        Cell::Date(day),
        Cell::Text(format!("CUST-{:05}", i % 5000)),
        Cell::Text(format!("Customer {} Holdings Ltd.", i % 5000)),
        Cell::Text(format!("Rep {}", i % 40)),
        Cell::Text(OrderSource::ALL[(i % 4) as usize].as_str().to_owned()),
        Cell::Text(OrderStatus::ALL[(i % 8) as usize].as_str().to_owned()),
        Cell::Money(Decimal::new(((i * 7919) % 1_000_000) as i64 + 999, 2)),
        Cell::Text("USD".to_owned()),
    ]
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Writes `rows` rows in `format`; returns the output size in bytes.
fn child(format: Format, rows: u64) -> u64 {
    let spec = orders_spec();
    let mut summary = Summary::default();
    let page = 1000;
    match format {
        Format::Csv => {
            let mut file = CsvFile::new(&spec.columns).unwrap();
            let mut bytes = 0u64;
            for start in (0..rows).step_by(page) {
                for i in start..(start + page as u64).min(rows) {
                    let r = row(i);
                    summary.add(&spec, &r);
                    file.write_row(&r).unwrap();
                }
                if let Some(part) = file.take_part(PART_SIZE).unwrap() {
                    bytes += part.len() as u64;
                }
            }
            bytes + file.finish().unwrap().len() as u64
        }
        Format::Excel => {
            let mut file = XlsxFile::new(&spec.columns, "Orders", "USD").unwrap();
            for i in 0..rows {
                let r = row(i);
                summary.add(&spec, &r);
                file.write_row(&r).unwrap();
            }
            let temp = tempfile::NamedTempFile::new().unwrap();
            let mut out = std::io::BufWriter::new(temp.as_file());
            file.finish(&mut out).unwrap();
            std::io::Write::flush(&mut out).unwrap();
            drop(out);
            std::fs::metadata(temp.path()).unwrap().len()
        }
        Format::Pdf => {
            let mut kept = Vec::new();
            for i in 0..rows {
                let r = row(i);
                summary.add(&spec, &r);
                if kept.len() < MAX_TABLE_ROWS {
                    kept.push(r);
                }
            }
            let info = ReportInfo {
                tenant: "bench".into(),
                period: DateRange::new(
                    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                    NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
                ),
                generated_at: "2025-12-31 00:00 UTC".into(),
                currency: "USD".into(),
            };
            pdf_report::report(&spec, &info, &summary, &kept).unwrap().len() as u64
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("--child") {
        let format = Format::parse(&args[1]).unwrap();
        let rows: u64 = args[2].parse().unwrap();
        let baseline = peak_rss_kib();
        let started = Instant::now();
        let bytes = child(format, rows);
        println!("{} {} {} {}", bytes, started.elapsed().as_millis(), baseline, peak_rss_kib());
        return;
    }
    let counts: Vec<u64> = if args.is_empty() {
        vec![10_000, 1_000_000]
    } else {
        args.iter().map(|a| a.parse().unwrap()).collect()
    };
    let me = std::env::current_exe().unwrap();
    println!("| format | rows | file size | time | peak RSS (process) | peak RSS over start |");
    println!("|---|---|---|---|---|---|");
    for format in [Format::Csv, Format::Excel, Format::Pdf] {
        for rows in &counts {
            let out = Command::new(&me)
                .args(["--child", format.as_str(), &rows.to_string()])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let v: Vec<u64> = text.split_whitespace().filter_map(|n| n.parse().ok()).collect();
            if v.len() != 4 {
                eprintln!("child failed: {}", String::from_utf8_lossy(&out.stderr));
                std::process::exit(1);
            }
            println!(
                "| {} | {} | {:.1} MiB | {:.2} s | {:.1} MiB | {:.1} MiB |",
                format.as_str(),
                rows,
                v[0] as f64 / 1048576.0,
                v[1] as f64 / 1000.0,
                v[3] as f64 / 1024.0,
                (v[3] - v[2]) as f64 / 1024.0
            );
        }
    }
}
