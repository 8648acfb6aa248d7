//! Scheduled management reports: the export function's run for every
//! registered tenant, listed by `GET /reports` with fresh links, downloaded
//! and read back (calamine, pdftotext); reruns overwrite the same keys.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use export::SchedulerEvent;
use sales_tests::december::{TENANT, records};
use sales_tests::{TestStack, fetch, moto_queue, queued_event, token};
use serde_json::{Value, json};

#[tokio::test]
async fn the_monthly_run_writes_every_tenants_previous_month() {
    // January 5th: the scheduled run reports on December.
    let mut stack = TestStack::new("reports", "2026-01-05T12:00:00Z").await;
    stack.load_and_apply(TENANT, &records()).await;
    let ctx = export::ReportContext::from_config(&stack.config).await;
    let out = export::run(&ctx, SchedulerEvent::rerun(None)).await.expect("run");
    assert_eq!(
        out["written"],
        json!([
            "reports/december/2025-12/management-report.pdf",
            "reports/december/2025-12/management-report.xlsx"
        ])
    );
    // A rerun overwrites the same keys.
    export::run(&ctx, SchedulerEvent::rerun(Some("2025-12"))).await.expect("rerun");

    let export_token = token(TENANT, "sales:read sales:export");
    let (status, _, body) = stack.get("/api/v1/sales/reports", Some(&export_token)).await;
    assert_eq!(status, 200, "{body}");
    let reports = body["data"].as_array().unwrap();
    assert_eq!(reports.len(), 2, "{body}");
    assert_eq!((&reports[0]["month"], &reports[0]["format"]), (&json!("2025-12"), &json!("excel")));
    assert_eq!(reports[1]["format"], "pdf");
    assert_eq!(reports[0]["expires_at"], "2026-01-05T12:15:00Z");

    let xlsx = fetch(reports[0]["url"].as_str().unwrap()).await;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Summary",
            "Trend",
            "Revenue by day",
            "Aging",
            "Products",
            "Top customers",
            "Overdue balances",
            "Failed payments",
            "Open disputes",
            "Definitions"
        ]
    );
    let summary = book.worksheet_range("Summary").unwrap();
    assert_eq!(summary.get((1, 0)), Some(&Data::String("Revenue".into())));
    assert_eq!(summary.get((1, 1)), Some(&Data::Float(600.0)), "a number, not text");
    let days = book.worksheet_range("Revenue by day").unwrap();
    assert_eq!(days.height(), 32, "a header and 31 days");
    assert_eq!(days.get((1, 2)), Some(&Data::Float(300.0)));
    let aging = book.worksheet_range("Aging").unwrap();
    assert_eq!(aging.height(), 5, "a header and four month ends");
    // As of Dec 31: invoice 3 (150, 21 days late) and 8 (45, 5 days late)
    // are 1-30 days past due; invoice 4 (25) is due in January.
    assert_eq!(aging.get((4, 1)), Some(&Data::Float(25.0)));
    assert_eq!(aging.get((4, 2)), Some(&Data::Float(195.0)));

    let pdf = fetch(reports[1]["url"].as_str().unwrap()).await;
    let text = pdf_text(&pdf, "monthly");
    for expected in [
        "Management report 2025-12",
        "Data through:",
        "Revenue by day",
        "Receivables aging at month end",
        "Gadget",
        "Definitions",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // Every tile's value is the API's answer for December.
    let read = token(TENANT, "sales:read");
    let range = "from_date=2025-12-01&to_date=2025-12-31";
    let (_, _, dashboard) =
        stack.get(&format!("/api/v1/sales/dashboard?period=custom&{range}"), Some(&read)).await;
    let (_, _, kpis) = stack
        .get(&format!("/api/v1/sales/dashboard/performance?period=custom&{range}"), Some(&read))
        .await;
    let (_, _, payments) =
        stack.get(&format!("/api/v1/sales/payments/statistics?{range}"), Some(&read)).await;
    let summary = &dashboard["data"]["summary"];
    let tiles = [
        money(&summary["total_revenue"]),
        summary["total_orders"].to_string(),
        money(&summary["average_order_value"]),
        format!("{:.2}%", summary["collection_rate"].as_f64().unwrap()),
        money(&summary["outstanding_receivables"]),
        format!(
            "{:.1} days",
            kpis["data"]["efficiency_kpis"]["days_sales_outstanding"].as_f64().unwrap()
        ),
        format!("{:.2}%", payments["data"]["success_metrics"]["failure_rate"].as_f64().unwrap()),
    ];
    let first_page = text.split('\u{c}').next().unwrap();
    for value in tiles {
        assert!(first_page.contains(&value), "tile {value:?} not on page 1:\n{first_page}");
    }
    assert!(first_page.contains("600.00"), "December's revenue");
    // The last page holds the tiles' values as the API writes them (no
    // thousands separators), the dashboard's revenue of the month first.
    let last_page = text.split('\u{c}').rfind(|p| !p.trim().is_empty()).unwrap();
    let revenue = sales_tests::dec(&summary["total_revenue"]);
    let line =
        last_page.lines().find(|l| l.starts_with("summary.total_revenue")).unwrap_or_default();
    assert!(line.contains(&format!("{revenue:.2}")), "{revenue} not in {line:?}:\n{last_page}");
    let pages = render_pages(&pdf, "monthly");
    assert_eq!(pages, 4, "tiles and revenue, aging and products, tables, definitions");

    // Other tenants see none of them; listing needs sales:export.
    let (_, _, other) =
        stack.get("/api/v1/sales/reports", Some(&token("other", "sales:export"))).await;
    assert_eq!(other["data"], json!([]));
    let (status, _, _) =
        stack.get("/api/v1/sales/reports", Some(&token(TENANT, "sales:read"))).await;
    assert_eq!(status, 403);
}

/// With a report queue (moto's SQS), the schedule sends one message per
/// tenant with its month fixed, and writes nothing itself; the same
/// function then writes each message's report, answering the messages that
/// failed (and only those) as batch item failures.
#[tokio::test]
async fn the_schedule_fans_out_one_message_per_tenant_and_each_message_writes_its_report() {
    let mut stack = TestStack::new("fan-out", "2026-01-05T12:00:00Z").await;
    stack.load_and_apply(TENANT, &records()).await;
    let other = "fan-out-other";
    let order = json!({"type": "order", "tenant_id": other, "id": 1, "version": 1,
        "updated_at": "2025-12-10T12:00:00Z", "order_number": "ORD-1", "customer_id": 1, "source": "phone",
        "status": "completed", "currency": "USD", "total_amount": "10.00", "ordered_at": "2025-12-10T12:00:00Z"});
    stack.load_and_apply(other, &[order]).await;

    let mut config = stack.config.clone();
    let (url, sqs) = moto_queue(&config, &format!("reports-{}", config.aggregates_table)).await;
    config.report_queue_url = Some(url.clone());
    let ctx = export::ReportContext::from_config(&config).await;

    let out = export::run(&ctx, SchedulerEvent::rerun(None)).await.expect("fan-out");
    let december = |tenant: &str| json!({"tenant": tenant, "month": "2025-12"});
    let mut queued = out["queued"].as_array().expect("queued").clone();
    queued.sort_by_key(|j| j["tenant"].as_str().map(str::to_owned));
    assert_eq!(queued, vec![december(TENANT), december(other)]);
    let reports = |tenant: &'static str| {
        let stack = &stack;
        async move {
            let (status, _, body) = stack
                .get("/api/v1/sales/reports", Some(&token(tenant, "sales:read sales:export")))
                .await;
            assert_eq!(status, 200, "{body}");
            body["data"].as_array().map_or(0, Vec::len)
        }
    };
    assert_eq!(reports(other).await, 0, "the fan-out writes no report itself");

    let mut records = queued_event(&sqs, &url).await;
    assert_eq!(records.len(), 2, "one message per tenant");
    records.push(
        json!({"messageId": "not-a-report", "body": "{\"tenant\": 7}", "eventSource": "aws:sqs"}),
    );
    let event = serde_json::from_value(json!({"Records": records})).expect("an SQS event");
    let out = export::run(&ctx, event).await.expect("messages run");
    assert_eq!(out["batchItemFailures"], json!([{"itemIdentifier": "not-a-report"}]));
    assert_eq!(reports(other).await, 2, "PDF and Excel");
    assert_eq!(reports(TENANT).await, 2, "PDF and Excel");
}

/// An amount of the API as the report prints it (two places, thousands
/// grouped).
fn money(value: &Value) -> String {
    let amount: rust_decimal::Decimal = value.to_string().parse().expect("a JSON number");
    sales_shared::exports::pdf_report::amount(amount)
}

/// The PDF's text (pdftotext, pages split by form feeds).
pub(crate) fn pdf_text(pdf: &[u8], name: &str) -> String {
    let path = std::env::temp_dir().join(format!("management-{name}-{}.pdf", std::process::id()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    String::from_utf8(out.stdout).unwrap()
}

/// Renders every page to PNG under the target folder
/// (`target/tmp/management-report/{name}-N.png`, pdftoppm); returns how
/// many pages there were.
fn render_pages(pdf: &[u8], name: &str) -> usize {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("management-report");
    std::fs::create_dir_all(&dir).unwrap();
    let page_of = |e: &std::fs::DirEntry| {
        let file = e.file_name().to_string_lossy().into_owned();
        file.starts_with(&format!("{name}-")) && file.ends_with(".png")
    };
    for old in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).filter(page_of) {
        std::fs::remove_file(old.path()).unwrap();
    }
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&path)
        .arg(dir.join(name))
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm failed");
    std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).filter(page_of).count()
}
