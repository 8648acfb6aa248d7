//! Scheduled digests on the local stack: a weekly aging digest of the demo
//! tenant (New York) subscribed through the API, the schedule run every
//! hour (each hour twice, as a duplicated EventBridge or SQS delivery
//! would) across the spring-forward change, the messages read back from
//! moto's SES (`GET /moto-api/data.json`) and parsed as MIME: subject,
//! recipients, HTML tiles equal to the API's answer, the PDF attached, the
//! RFC 8058 headers. Then a permanent bounce (SES's event, through the
//! feedback function's handler) suppresses one address and the one-click
//! link unsubscribes another; each send's outcomes are in the
//! subscription's deliveries.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use aws_lambda_events::sns::SnsEvent;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use export::digests::DigestEvent;
use mail_parser::{MessageParser, MimeHeaders};
use sales_shared::alerts::signature;
use sales_tests::{PUBLIC_API_URL, TestStack, token};
use serde_json::{Value, json};

const TENANT: &str = "demo";
const SUBSCRIPTIONS: &str = "/api/v1/sales/subscriptions";

static RUN: AtomicU32 = AtomicU32::new(0);

/// Addresses no other test (nor an earlier run on the same moto) uses:
/// moto's SES keeps every message of its process.
fn address(name: &str) -> String {
    let n = RUN.fetch_add(1, Ordering::SeqCst);
    let stamp = Utc::now().timestamp_micros();
    format!("{name}+{}-{stamp}-{n}@example.com", std::process::id())
}

fn reports_token() -> String {
    token(TENANT, "sales:read sales:reports")
}

/// The demo data set for a New York tenant whose data ends on `today`.
fn demo_lines(today: NaiveDate) -> String {
    let options = salesctl::demo::DemoOptions {
        months: 3,
        orders_per_month: 40,
        ..salesctl::demo::DemoOptions::new(TENANT, today)
    };
    let mut out = Vec::new();
    salesctl::demo::generate(&options, &mut out).expect("demo data generated");
    String::from_utf8(out).expect("JSON Lines")
}

/// Every raw message moto's SES took for `to`.
async fn messages_to(stack: &TestStack, to: &str) -> Vec<Vec<u8>> {
    let moto = stack.config.ses_endpoint.clone().expect("moto (make test starts it)");
    let data: Value = reqwest::get(format!("{moto}/moto-api/data.json"))
        .await
        .expect("moto answers")
        .json()
        .await
        .expect("moto's model data");
    let sent = data["ses"]["RawMessage"].as_array().cloned().unwrap_or_default();
    sent.iter()
        .filter(|m| {
            m["destinations"].as_array().is_some_and(|d| d.iter().any(|a| a.as_str() == Some(to)))
        })
        .map(|m| m["raw_data"].as_str().expect("raw data").as_bytes().to_vec())
        .collect()
}

/// One hourly run of the schedule at `at`, as the scheduler makes it.
async fn run_at(ctx: &export::digests::SchedulerContext, at: DateTime<Utc>) -> Vec<Value> {
    let outcomes = export::digests::run_all(ctx, Some(TENANT), at).await.expect("the run");
    outcomes.iter().map(|o| serde_json::to_value(o).expect("JSON")).collect()
}

/// What SES publishes for a permanent bounce of a configuration set's
/// message, as the feedback function receives it from SNS.
fn bounce_event(address: &str) -> SnsEvent {
    let notification = json!({
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed",
                "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2026-03-02T10:00:00.000Z", "feedbackId": "0102-bounce"
        },
        "mail": {
            "timestamp": "2026-03-01T14:00:01.000Z", "source": "digests@sales-analytics.test",
            "messageId": "0102-message", "destination": [address],
            "headersTruncated": false,
            "headers": [{"name": "X-Sales-Tenant", "value": TENANT}],
            "tags": {"sales-tenant": [TENANT]}
        }
    });
    serde_json::from_value(json!({"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:digest-feedback:1",
        "Sns": {
            "Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:digest-feedback",
            "Subject": null, "Message": notification.to_string(),
            "Timestamp": "2026-03-02T10:00:01.000Z", "SignatureVersion": "1",
            "Signature": "EXAMPLE", "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": {}
        }
    }]}))
    .expect("an SNS event")
}

#[tokio::test]
async fn a_weekly_aging_digest_is_sent_once_at_nine_local_across_dst_then_bounced_and_unsubscribed()
{
    // Friday Feb 27th, 2026 in New York; the clocks spring forward on
    // Sunday March 8th.
    let mut stack = TestStack::new("digests", "2026-02-27T20:00:00Z").await;
    stack
        .load_text_and_apply(TENANT, &demo_lines(NaiveDate::from_ymd_opt(2026, 2, 27).unwrap()))
        .await;
    let (stays, bounces, leaves) = (address("finance"), address("bounces"), address("leaves"));
    let body = json!({
        "digest": "aging_weekly",
        "recipients": [stays, bounces, leaves],
        "channels": [],
        "time": "09:00",
        "weekday": "sunday",
    });

    // Every bad field is a 400 naming it; the scope is sales:reports.
    for (field, value) in [
        ("digest", json!("aging_daily")),
        ("recipients", json!(["not an address"])),
        ("time", json!("9am")),
        ("weekday", json!("funday")),
        ("day_of_month", json!(3)),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        let (status, _, answer) =
            stack.send("POST", SUBSCRIPTIONS, Some(&reports_token()), Some(&bad)).await;
        assert_eq!(status, 400, "{field}: {answer}");
        let named = answer["error"]["parameter"].as_str().unwrap_or_default();
        assert!(named.starts_with(field), "{field}: {answer}");
    }
    let (status, _, _) =
        stack.send("POST", SUBSCRIPTIONS, Some(&token(TENANT, "sales:read")), Some(&body)).await;
    assert_eq!(status, 403);
    let (status, _, created) =
        stack.send("POST", SUBSCRIPTIONS, Some(&reports_token()), Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["data"]["weekday"], "sunday");
    let (_, _, listed) = stack.get(SUBSCRIPTIONS, Some(&reports_token())).await;
    assert_eq!(listed["data"][0]["id"], id.as_str(), "{listed}");

    // The schedule, every hour from Feb 28th to March 15th, each hour run
    // twice. Week one.
    let ctx = export::digests::SchedulerContext::from_config(&stack.config).await;
    let start: DateTime<Utc> = "2026-02-28T00:00:00Z".parse().unwrap();
    let mut sent_at = Vec::new();
    let mut hour = start;
    let first_week_end: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().unwrap();
    while hour < first_week_end {
        for outcome in [run_at(&ctx, hour).await, run_at(&ctx, hour).await].concat() {
            sent_at.push((hour, outcome));
        }
        hour += Duration::hours(1);
    }
    assert_eq!(sent_at.len(), 1, "{sent_at:?}");
    let (at, outcome) = &sent_at[0];
    assert_eq!(at.to_rfc3339(), "2026-03-01T14:00:00+00:00", "09:00 EST");
    assert_eq!(outcome["period"], "2026-W09");
    assert_eq!((&outcome["sent"], &outcome["failed"]), (&json!(3), &json!(0)), "{outcome}");

    // The message: one per recipient, the API's aging figures in its HTML.
    let raw = messages_to(&stack, &stays).await;
    assert_eq!(raw.len(), 1, "exactly one message for {stays}");
    let message = MessageParser::default().parse(&raw[0]).expect("a MIME message");
    assert_eq!(message.subject(), Some("Receivables aging at 2026-03-01"));
    let to = message.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default();
    assert_eq!(to, stays);
    let (_, _, aging) = stack
        .get("/api/v1/sales/invoices/aging-report?as_of_date=2026-03-01", Some(&reports_token()))
        .await;
    let html = message.body_html(0).expect("an HTML part").into_owned();
    let text = message.body_text(0).expect("a plain-text part").into_owned();
    for field in ["total_outstanding", "overdue_amount"] {
        let value = aging["data"]["summary"][field].to_string();
        assert!(value.parse::<f64>().is_ok_and(|v| v > 0.0), "{field} {value}: {aging}");
        assert!(html.contains(&value), "{field} {value} not in the HTML:\n{html}");
        assert!(text.contains(&value), "{field} {value} not in the text:\n{text}");
    }
    let pdf = message.attachment(0).expect("an attachment");
    assert_eq!(pdf.content_type().map(|c| c.ctype()), Some("application"));
    assert!(pdf.contents().starts_with(b"%PDF-"), "a PDF");
    let pdf_text = super::reports::pdf_text(pdf.contents(), "aging-digest");
    assert!(pdf_text.contains("Receivables aging at 2026-03-01"), "a readable PDF:\n{pdf_text}");
    assert_eq!(
        message.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = message
        .header_raw("List-Unsubscribe")
        .map(|h| h.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
        .expect("a List-Unsubscribe header");
    assert!(unsubscribe.starts_with(PUBLIC_API_URL), "{unsubscribe}");

    // A permanent bounce suppresses its address; `leaves` follows its own
    // message's one-click link.
    let now = stack.config.clock().now();
    let suppressed = export::digests::run_feedback(
        &stack.dynamo,
        &stack.config.alerts_table,
        now,
        bounce_event(&bounces),
    )
    .await
    .expect("feedback handled");
    assert_eq!(suppressed, 1);
    let leaves_raw = messages_to(&stack, &leaves).await;
    let leaves_message = MessageParser::default().parse(&leaves_raw[0]).expect("MIME");
    let link = leaves_message
        .header_raw("List-Unsubscribe")
        .map(|h| h.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
        .expect("a link");
    let path = link.strip_prefix(PUBLIC_API_URL).expect("on the API").to_owned();
    let (status, headers, _) = stack.send_with("GET", &path, &[], None).await;
    assert_eq!(status, 200, "the confirmation page");
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let tampered = path.replacen("token=", "token=x", 1);
    let (status, _, answer) = stack.send_with("POST", &tampered, &[], None).await;
    assert_eq!((status.as_u16(), &answer["error"]["parameter"]), (400, &json!("token")));
    let (status, _, _) = stack
        .send_with("POST", &path, &[("content-type", "application/x-www-form-urlencoded")], None)
        .await;
    assert_eq!(status, 200, "unsubscribed");

    // Weeks two (the day of the change) and three: 09:00 EDT is 13:00 UTC.
    let end: DateTime<Utc> = "2026-03-16T00:00:00Z".parse().unwrap();
    while hour < end {
        for outcome in [run_at(&ctx, hour).await, run_at(&ctx, hour).await].concat() {
            sent_at.push((hour, outcome));
        }
        hour += Duration::hours(1);
    }
    let hours: Vec<String> = sent_at.iter().map(|(at, _)| at.to_rfc3339()).collect();
    assert_eq!(
        hours,
        ["2026-03-01T14:00:00+00:00", "2026-03-08T13:00:00+00:00", "2026-03-15T13:00:00+00:00"]
    );
    for (_, outcome) in &sent_at[1..] {
        assert_eq!(
            (&outcome["sent"], &outcome["suppressed"], &outcome["failed"]),
            (&json!(1), &json!(2), &json!(0)),
            "{outcome}"
        );
    }
    assert_eq!(messages_to(&stack, &stays).await.len(), 3);
    assert_eq!(messages_to(&stack, &bounces).await.len(), 1, "nothing after the bounce");
    assert_eq!(messages_to(&stack, &leaves).await.len(), 1, "nothing after unsubscribing");

    // The deliveries, newest first, each recipient's outcome.
    let (status, _, deliveries) =
        stack.get(&format!("{SUBSCRIPTIONS}/{id}/deliveries"), Some(&reports_token())).await;
    assert_eq!(status, 200, "{deliveries}");
    let periods: Vec<&str> = deliveries["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["period"].as_str())
        .collect();
    assert_eq!(periods, ["2026-W11", "2026-W10", "2026-W09"]);
    let newest = &deliveries["data"][0];
    assert_eq!(
        (&newest["status"], &newest["due_at"]),
        (&json!("sent"), &json!("2026-03-15T13:00:00.000Z"))
    );
    let outcomes: Vec<(&str, &str)> = newest["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["address"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert!(outcomes.contains(&(stays.as_str(), "sent")), "{newest}");
    assert!(outcomes.contains(&(bounces.as_str(), "suppressed")), "{newest}");
    assert!(outcomes.contains(&(leaves.as_str(), "unsubscribed")), "{newest}");

    // Another tenant sees none of it.
    let (status, _, _) =
        stack.get(&format!("{SUBSCRIPTIONS}/{id}"), Some(&token("other", "sales:reports"))).await;
    assert_eq!(status, 404);
}

/// A webhook receiver on loopback: each request's signature header and body.
async fn receiver() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let received: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let header = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
                kept.lock().expect("lock").push((header.unwrap_or_default().to_owned(), body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// The schedule with a digest queue (as in AWS): one message per tenant,
/// each run by the same function; a message delivered twice sends nothing
/// more. The monthly management digest carries the previous month's
/// figures to its webhook (signed with the subscription's secret) and its
/// recipient (the management report's PDF attached).
#[tokio::test]
async fn the_hourly_schedule_fans_out_per_tenant_and_a_monthly_digest_reaches_email_and_webhook() {
    use sales_tests::december::{TENANT as DECEMBER, records};
    let mut stack = TestStack::new("digest-fan-out", "2026-01-01T12:00:00Z").await;
    stack.load_and_apply(DECEMBER, &records()).await;
    let (hook, received) = receiver().await;
    let to = address("lead");
    let body = json!({"digest": "management_monthly", "recipients": [to], "time": "08:00",
        "day_of_month": 2, "channels": [{"type": "webhook", "url": hook}]});
    let reports = token(DECEMBER, "sales:read sales:reports");
    let (status, _, created) = stack.send("POST", SUBSCRIPTIONS, Some(&reports), Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["data"]["secret"].as_str().expect("a secret").to_owned();

    let mut config = stack.config.clone();
    let queue_name = format!("digests-{}", config.aggregates_table);
    let (url, sqs) = sales_tests::moto_queue(&config, &queue_name).await;
    config.digest_queue_url = Some(url.clone());
    let ctx = export::digests::SchedulerContext::from_config(&config).await;
    // UTC tenant: January 2nd, 08:00 is its hour.
    let schedule: DigestEvent = serde_json::from_value(json!({"source": "aws.events",
        "detail-type": "Scheduled Event", "detail": {"at": "2026-01-02T08:00:00Z"}}))
    .expect("an EventBridge event");
    let out = export::digests::run(&ctx, schedule).await.expect("fan-out");
    assert_eq!(out, json!({"queued": 1}));
    assert!(received.lock().unwrap().is_empty(), "the fan-out sends nothing itself");

    let records = sales_tests::queued_event(&sqs, &url).await;
    assert_eq!(records.len(), 1, "one message per tenant");
    let event = json!({"Records": records});
    for _ in 0..2 {
        let event: DigestEvent = serde_json::from_value(event.clone()).expect("an SQS event");
        let answer = export::digests::run(&ctx, event).await.expect("the tenant's run");
        assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    }

    let hooks = received.lock().unwrap().clone();
    assert_eq!(hooks.len(), 1, "one digest.sent for the period: {hooks:?}");
    let (header, sent) = &hooks[0];
    let now = Utc::now().timestamp();
    assert!(signature::verify(&secret, header, sent.as_bytes(), now, 300), "{header}");
    let sent: Value = serde_json::from_str(sent).expect("JSON");
    assert_eq!((&sent["type"], &sent["period"]), (&json!("digest.sent"), &json!("2026-01")));
    let (_, _, dashboard) = stack
        .get(
            "/api/v1/sales/dashboard?period=custom&from_date=2025-12-01&to_date=2025-12-31",
            Some(&reports),
        )
        .await;
    let revenue = sales_tests::dec(&dashboard["data"]["summary"]["total_revenue"]);
    assert_eq!(sales_tests::dec(&sent["figures"]["summary.total_revenue"]), revenue, "{sent}");
    let pdf = sales_tests::fetch(sent["report_url"].as_str().expect("a link")).await;
    assert!(pdf.starts_with(b"%PDF-"));

    let raw = messages_to(&stack, &to).await;
    assert_eq!(raw.len(), 1, "one email for the period");
    let message = MessageParser::default().parse(&raw[0]).expect("MIME");
    assert_eq!(message.subject(), Some("Management report 2025-12"));
    let html = message.body_html(0).expect("HTML").into_owned();
    assert!(html.contains(&format!("{revenue:.2}")), "{revenue} not in:\n{html}");
    assert!(message.attachment(0).is_some_and(|a| a.contents().starts_with(b"%PDF-")));
}
