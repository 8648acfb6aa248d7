//! Scheduled management reports: the export function's run for every
//! registered tenant, listed by `GET /reports` with fresh links, downloaded
//! and read back (calamine, pdftotext); reruns overwrite the same keys.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use export::SchedulerEvent;
use sales_tests::december::{TENANT, records};
use sales_tests::{TestStack, fetch, moto_sqs, token};
use serde_json::json;

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
            "Revenue by day",
            "Revenue by product",
            "Aging",
            "Largest balances",
            "Payments by method",
            "Payments by status"
        ]
    );
    let summary = book.worksheet_range("Summary").unwrap();
    assert_eq!(summary.get((1, 0)), Some(&Data::String("Total revenue".into())));
    assert_eq!(summary.get((1, 1)), Some(&Data::String("600.00".into())));
    let days = book.worksheet_range("Revenue by day").unwrap();
    assert_eq!(days.height(), 32, "a header and 31 days");
    assert_eq!(days.get((1, 1)), Some(&Data::Float(300.0)));
    let aging = book.worksheet_range("Aging").unwrap();
    // As of Dec 31: invoice 3 (150, 21 days late) and 8 (45, 5 days late);
    // invoice 4 (25) is due in January.
    assert_eq!(aging.get((2, 1)), Some(&Data::String("2".into())));
    assert_eq!(aging.get((2, 2)), Some(&Data::Float(195.0)));
    assert_eq!(aging.get((1, 2)), Some(&Data::Float(25.0)));

    let pdf = fetch(reports[1]["url"].as_str().unwrap()).await;
    let path = std::env::temp_dir().join(format!("management-{}.pdf", std::process::id()));
    std::fs::write(&path, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    for expected in [
        "Management report 2025-12",
        "Total revenue: 600.00",
        "Revenue by day",
        "Receivables aging as of 2025-12-31",
        "Gadget",
        "Payments by method",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }

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
    let sqs = moto_sqs(&config).await;
    let queue_name = format!("reports-{}", config.aggregates_table);
    let url = sqs
        .create_queue()
        .queue_name(queue_name)
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
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

    let received = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    assert_eq!(received.len(), 2, "one message per tenant");
    let mut records: Vec<serde_json::Value> = received
        .iter()
        .map(|m| {
            json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:reports",
                "awsRegion": "us-east-1", "attributes": {}, "messageAttributes": {}})
        })
        .collect();
    records.push(
        json!({"messageId": "not-a-report", "body": "{\"tenant\": 7}", "eventSource": "aws:sqs"}),
    );
    let event = serde_json::from_value(json!({"Records": records})).expect("an SQS event");
    let out = export::run(&ctx, event).await.expect("messages run");
    assert_eq!(out["batchItemFailures"], json!([{"itemIdentifier": "not-a-report"}]));
    assert_eq!(reports(other).await, 2, "PDF and Excel");
    assert_eq!(reports(TENANT).await, 2, "PDF and Excel");
}
