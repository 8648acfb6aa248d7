//! Platform guarantees on DynamoDB Local: exact money, version ordering,
//! exactly-once rollups under replay, auth failures and parameter errors.

use aws_sdk_dynamodb::types::AttributeValue;
use rust_decimal_macros::dec;
use sales_shared::records::{RecordBody, RecordKey, RecordType};
use sales_shared::store::source;
use sales_tests::{SECRET, TestStack, dec, token};
use serde_json::{Value, json};

const TENANT: &str = "t1";

fn order(id: i64, version: i64, amount: &str, status: &str) -> Value {
    json!({"type": "order", "tenant_id": TENANT, "id": id, "version": version,
        "updated_at": "2025-12-10T12:00:00Z", "order_number": format!("ORD-{id}"), "customer_id": 1,
        "source": "phone", "status": status, "currency": "USD", "total_amount": amount,
        "ordered_at": "2025-12-10T12:00:00Z"})
}

async fn revenue(stack: &TestStack) -> rust_decimal::Decimal {
    let (status, _, body) =
        stack.get("/api/v1/sales/dashboard", Some(&token(TENANT, "sales:read"))).await;
    assert_eq!(status, 200, "{body}");
    dec(&body["data"]["summary"]["total_revenue"])
}

#[tokio::test]
async fn money_round_trips_exactly_through_dynamodb_local() {
    let mut stack = TestStack::new("money", "2025-12-17T12:00:00Z").await;
    let amounts = ["0.01", "0.10", "1456789.12", "99999999999.99"];
    let lines: Vec<Value> =
        amounts.iter().enumerate().map(|(i, a)| order(i as i64 + 1, 1, a, "completed")).collect();
    stack.load_and_apply(TENANT, &lines).await;
    for (i, amount) in amounts.iter().enumerate() {
        let key = RecordKey {
            tenant_id: TENANT.into(),
            record_type: RecordType::Order,
            id: i as i64 + 1,
        };
        let stored =
            source::get(&stack.dynamo, &stack.config.source_table, &key).await.unwrap().unwrap();
        let Some(RecordBody::Order(o)) = stored.body else { panic!("not an order") };
        assert_eq!(o.total_amount, amount.parse::<rust_decimal::Decimal>().unwrap());
    }
    // The aggregate sums integer cents: exact.
    assert_eq!(revenue(&stack).await, dec!(100001456789.22));
}

#[tokio::test]
async fn versions_only_move_forward_and_tombstones_hold() {
    let mut stack = TestStack::new("versions", "2025-12-17T12:00:00Z").await;
    let s = stack.load_and_apply(TENANT, &[order(1, 2, "20.00", "completed")]).await;
    assert_eq!((s.loaded, s.unchanged), (1, 0));
    // An older version and a same-version rewrite with other content change nothing.
    let s = stack
        .load_and_apply(
            TENANT,
            &[order(1, 1, "10.00", "completed"), order(1, 2, "99.00", "completed")],
        )
        .await;
    assert_eq!((s.loaded, s.unchanged), (0, 2));
    assert_eq!(revenue(&stack).await, dec!(20.00));
    // A newer version replaces the record's contribution.
    stack.load_and_apply(TENANT, &[order(1, 3, "30.00", "completed")]).await;
    assert_eq!(revenue(&stack).await, dec!(30.00));
    // Deleted at version 4: the contribution leaves; version 3 cannot bring it back.
    let tombstone = json!({"type": "order", "tenant_id": TENANT, "id": 1, "version": 4,
        "updated_at": "2025-12-11T00:00:00Z", "deleted": true});
    stack.load_and_apply(TENANT, &[tombstone]).await;
    assert_eq!(revenue(&stack).await, dec!(0));
    let s = stack.load_and_apply(TENANT, &[order(1, 3, "30.00", "completed")]).await;
    assert_eq!(s.unchanged, 1);
    assert_eq!(revenue(&stack).await, dec!(0));
    // Two versions in one file apply in order.
    let s = stack
        .load_and_apply(TENANT, &[order(1, 5, "5.00", "pending"), order(1, 6, "6.00", "completed")])
        .await;
    assert_eq!(s.loaded, 2);
    assert_eq!(revenue(&stack).await, dec!(6.00));
}

#[tokio::test]
async fn a_replayed_stream_changes_nothing() {
    let mut stack = TestStack::new("replay", "2025-12-17T12:00:00Z").await;
    let lines: Vec<Value> =
        (1..=30).map(|i| order(i, 1, &format!("{i}.25"), "completed")).collect();
    stack.load_and_apply(TENANT, &lines).await;
    let updates: Vec<Value> = (1..=10).map(|i| order(i, 2, "1.00", "cancelled")).collect();
    stack.load_and_apply(TENANT, &updates).await;
    let before = stack.aggregate_items().await;
    let expected = revenue(&stack).await;
    // sum(11..=30) + 0.25 * 20 = 410 + 5 = 415.00
    assert_eq!(expected, dec!(415.00));

    // A second pump reads the whole stream again from its start: every
    // batch is delivered twice.
    let mut replay = stack.replaying_pump().await;
    let replayed = replay.drain().await.unwrap();
    assert_eq!(replayed, 40);
    assert_eq!(stack.aggregate_items().await, before);
    assert_eq!(revenue(&stack).await, expected);
}

#[tokio::test]
async fn a_record_that_cannot_be_applied_is_dead_lettered_without_blocking_the_shard() {
    let mut stack = TestStack::new("poison", "2025-12-17T12:00:00Z").await;
    // Upstream wrote an item whose body is not a valid order.
    let mut item = source::encode(
        &sales_shared::records::parse_record(&order(1, 1, "1.00", "completed").to_string())
            .unwrap(),
    );
    item.insert("record".into(), AttributeValue::S("{\"broken\": true}".into()));
    stack
        .dynamo
        .put_item()
        .table_name(&stack.config.source_table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    // And one in another currency than the tenant's (the loader would have
    // refused it; upstream wrote it directly).
    let euro = order(3, 1, "300.00", "completed").to_string().replace("\"USD\"", "\"EUR\"");
    let euro = source::encode(&sales_shared::records::parse_record(&euro).unwrap());
    stack
        .dynamo
        .put_item()
        .table_name(&stack.config.source_table)
        .set_item(Some(euro))
        .send()
        .await
        .unwrap();
    stack.load_and_apply(TENANT, &[order(2, 1, "2.00", "completed")]).await;
    assert_eq!(revenue(&stack).await, dec!(2.00));
}

#[tokio::test]
async fn every_auth_failure_is_a_401_or_403_with_a_json_error() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    let stack = TestStack::new("auth", "2025-12-17T12:00:00Z").await;
    let path = "/api/v1/sales/dashboard";
    let exp = jsonwebtoken::get_current_timestamp() + 600;
    let claims = |exp: u64| json!({"tenant_id": TENANT, "scope": "sales:read", "exp": exp});
    let hs = Header::new(Algorithm::HS256);
    let expired =
        encode(&hs, &claims(exp - 7200), &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
    let forged = encode(&hs, &claims(exp), &EncodingKey::from_secret(b"not-the-secret")).unwrap();
    let unsigned = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.", b64.encode(br#"{"alg":"none"}"#), b64.encode(claims(exp).to_string()))
    };
    let cases: Vec<(Option<String>, u16)> = vec![
        (None, 401),
        (Some("garbage".into()), 401),
        (Some(expired), 401),
        (Some(forged), 401),
        (Some(unsigned), 401),
        (Some(token(TENANT, "sales:export")), 403),
    ];
    for (token, expected) in cases {
        let (status, headers, body) = stack.get(path, token.as_deref()).await;
        assert_eq!(status.as_u16(), expected, "{token:?}: {body}");
        let challenge =
            headers.get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if expected == 401 {
            assert_eq!(challenge, "Bearer error=\"invalid_token\"");
            assert_eq!(body["error"]["code"], "invalid_token");
        } else {
            assert!(challenge.contains("insufficient_scope"), "{challenge}");
            assert_eq!(body["error"]["code"], "insufficient_scope");
        }
        assert!(body["error"]["message"].is_string());
    }
    let (status, _, _) = stack.get(path, Some(&token(TENANT, "sales:read"))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_parameters_are_400s_naming_the_parameter() {
    let stack = TestStack::new("params", "2025-12-17T12:00:00Z").await;
    let read = token(TENANT, "sales:read");
    for (query, parameter) in [
        ("period=fortnight", "period"),
        ("perod=month", "perod"),
        ("period=custom&from_date=2025-13-01&to_date=2025-12-31", "from_date"),
        ("period=custom&from_date=2025-12-31&to_date=2025-12-01", "from_date"),
        ("period=custom&from_date=2000-01-01&to_date=2025-12-01", "to_date"),
        ("period=custom&from_date=2025-12-01", "to_date"),
        ("compare_to_previous=maybe", "compare_to_previous"),
    ] {
        let (status, _, body) =
            stack.get(&format!("/api/v1/sales/dashboard?{query}"), Some(&read)).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter");
    }
    let (status, _, body) = stack.get("/api/v1/sales/nothing-here", Some(&read)).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn rejected_lines_name_line_field_and_rule_and_the_rest_loads() {
    let stack = TestStack::new("rejects", "2025-12-17T12:00:00Z").await;
    let text = [
        order(1, 1, "1.00", "completed").to_string(),
        "{not json".to_string(),
        order(2, 1, "1.005", "completed").to_string(),
        order(3, 1, "3.00", "completed").to_string().replace("\"t1\"", "\"someone-else\""),
        order(4, 1, "4.00", "completed").to_string().replace("\"USD\"", "\"EUR\""),
        String::new(),
        order(5, 1, "5.00", "completed").to_string(),
    ]
    .join("\n");
    let s = stack.load_text(TENANT, &text).await;
    assert_eq!(s.loaded, 2);
    let got: Vec<(usize, &str)> =
        s.rejected.iter().map(|r| (r.line, r.rejection.field.as_str())).collect();
    assert_eq!(got, vec![(2, "(line)"), (3, "total_amount"), (4, "tenant_id"), (5, "currency")]);
    assert!(s.rejected[1].rejection.rule.contains("2 fractional digits"));
}

#[test]
fn source_items_never_hold_an_empty_map() {
    // DynamoDB Local writes an empty map in a stream record in a form the
    // SDK cannot read; source items hold no map attributes at all.
    let record =
        sales_shared::records::parse_record(&order(1, 1, "1.00", "draft").to_string()).unwrap();
    let item = source::encode(&record);
    assert!(item.values().all(|v| !v.is_m()), "{item:?}");
}

// ---------------------------------------------------------------------
// The Lambda handlers on recorded events (tests/fixtures/events/): the
// same services `main` runs, fed what API Gateway, the DynamoDB stream
// and EventBridge send.

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/events/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An HTTP API (payload 2.0) event from the fixture, with the token, and
/// with another path and query when given.
fn http_event(
    name: &str,
    token: &str,
    path_and_query: Option<(&str, &str)>,
) -> lambda_http::Request {
    let mut event: Value =
        serde_json::from_str(&fixture(name).replace("{{token}}", token)).expect("event JSON");
    if let Some((path, query)) = path_and_query {
        let staged =
            format!("/{}{path}", event["requestContext"]["stage"].as_str().expect("stage"));
        event["rawPath"] = json!(staged);
        event["requestContext"]["http"]["path"] = json!(staged);
        event["rawQueryString"] = json!(query);
        event["routeKey"] = json!(format!("GET {path}"));
    }
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway HTTP API request")
}

/// A function's router constructor.
type RouterOf = fn(std::sync::Arc<sales_shared::http::ApiContext>) -> axum::Router;

/// Runs a function's Lambda service on one request.
async fn invoke(router: axum::Router, request: lambda_http::Request) -> (u16, Value) {
    use tower::ServiceExt;
    let response =
        sales_shared::http::lambda_handler(router).oneshot(request).await.expect("response");
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_http_functions_answer_api_gateway_events_as_the_local_server_does() {
    let mut stack = TestStack::new("events-http", "2025-12-17T12:00:00Z").await;
    let lines = vec![
        order(1, 1, "1200.00", "completed"),
        order(2, 1, "80.50", "pending"),
        json!({"type": "invoice", "tenant_id": TENANT, "id": 1, "version": 1, "updated_at": "2025-12-10T12:00:00Z",
            "invoice_number": "INV-1", "customer_id": 1, "status": "sent", "currency": "USD",
            "total_amount": "1200.00", "issued_at": "2025-10-01T12:00:00Z", "due_date": "2025-10-31",
            "payment_applications": []}),
    ];
    stack.load_and_apply(TENANT, &lines).await;
    let read = token(TENANT, "sales:read");
    let ctx = sales_shared::http::ApiContext::from_config(&stack.config).await;

    // The fixture: a named stage, a percent-encoded value, cookies.
    let aging = "/api/v1/sales/invoices/aging-report?as_of_date=2025-12-17&buckets=30,60,90&include_paid=true";
    let (status, from_lambda) =
        invoke(invoices::router(ctx.clone()), http_event("http-api-v2.json", &read, None)).await;
    let (local_status, _, local) = stack.get(aging, Some(&read)).await;
    assert_eq!((status, local_status.as_u16()), (200, 200), "{from_lambda}");
    assert_eq!(from_lambda, local);
    let buckets = &from_lambda["data"]["aging_buckets"];
    assert_eq!(buckets["over_90_days"]["count"], 0, "{buckets}");
    assert_eq!(
        buckets["31_60_days"]["total_amount"], 1200.0,
        "the buckets parameter was decoded: {buckets}"
    );

    // Every HTTP function, through its own router.
    let routers: [(&str, &str, RouterOf); 4] = [
        ("/api/v1/sales/dashboard", "period=month", dashboard::router),
        ("/api/v1/sales/orders/high-value", "minimum_amount=100&limit=1", orders::router),
        (
            "/api/v1/sales/invoices/statistics",
            "from_date=2025-10-01&to_date=2025-12-31",
            invoices::router,
        ),
        (
            "/api/v1/sales/payments/statistics",
            "from_date=2025-12-01&to_date=2025-12-31",
            payments::router,
        ),
    ];
    for (path, query, router) in routers {
        let event = http_event("http-api-v2.json", &read, Some((path, query)));
        let (status, from_lambda) = invoke(router(ctx.clone()), event).await;
        let (_, _, local) = stack.get(&format!("{path}?{query}"), Some(&read)).await;
        assert_eq!(status, 200, "{path}: {from_lambda}");
        assert_eq!(from_lambda, local, "{path}");
    }

    // A parameter given twice is a 400 naming it (API Gateway joins the
    // values with commas in `queryStringParameters`; the raw query keeps
    // both).
    let event = http_event("http-api-v2-repeated-parameter.json", &read, None);
    let (status, body) = invoke(dashboard::router(ctx.clone()), event).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["parameter"], "period", "{body}");

    // No token: 401, from the Lambda service as from the local server.
    let (status, body) =
        invoke(invoices::router(ctx), http_event("http-api-v2.json", "", None)).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn the_rollup_handler_applies_a_stream_batch_of_insert_modify_and_remove() {
    let stack = TestStack::new("events-stream", "2025-12-17T12:00:00Z").await;
    let ctx = rollup::RollupContext::from_config(&stack.config).await;
    let event: aws_lambda_events::dynamodb::Event =
        serde_json::from_str(&fixture("dynamodb-stream.json")).expect("a DynamoDB stream event");
    assert_eq!(event.records.len(), 4);
    let response = rollup::handle(&ctx, event.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    // Order 1 was changed from 100.00 to 120.00; order 2 inserted, then removed.
    let read = token("fixture", "sales:read");
    let (status, _, body) = stack.get("/api/v1/sales/dashboard?period=month", Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(dec(&body["data"]["summary"]["total_revenue"]), dec!(120.00), "{body}");
    assert_eq!(body["data"]["summary"]["total_orders"], 1, "{body}");
    // The same batch delivered again changes nothing.
    let response = rollup::handle(&ctx, event).await;
    assert!(response.batch_item_failures.is_empty());
    let (_, _, again) = stack.get("/api/v1/sales/dashboard?period=month", Some(&read)).await;
    assert_eq!(again["data"]["summary"], body["data"]["summary"]);
}

#[tokio::test]
async fn the_report_handler_runs_on_an_eventbridge_schedule() {
    let mut stack = TestStack::new("events-schedule", "2026-01-01T06:00:00Z").await;
    stack.load_and_apply(TENANT, &[order(1, 1, "10.00", "completed")]).await;
    let ctx = export::ReportContext::from_config(&stack.config).await;
    let event =
        serde_json::from_str(&fixture("scheduled-event.json")).expect("an EventBridge event");
    let out = export::run(&ctx, event).await.expect("report run");
    assert_eq!(
        out["written"],
        json!([
            format!("reports/{TENANT}/2025-12/management-report.pdf"),
            format!("reports/{TENANT}/2025-12/management-report.xlsx")
        ])
    );
}

#[tokio::test]
async fn the_export_worker_runs_the_job_an_sqs_event_names() {
    let mut stack = TestStack::new("events-sqs", "2025-12-17T12:00:00Z").await;
    stack.load_and_apply(TENANT, &[order(1, 1, "10.00", "completed")]).await;
    let body = json!({"dataset": "orders", "format": "csv"});
    let (status, _, created) = stack
        .send("POST", "/api/v1/sales/exports", Some(&token(TENANT, "sales:export")), Some(&body))
        .await;
    assert_eq!(status, 202, "{created}");
    let job = created["data"]["id"].as_str().expect("a job id");
    let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_str(
        &fixture("sqs-export-job.json").replace("{{tenant}}", TENANT).replace("{{job}}", job),
    )
    .expect("an SQS event");
    let ctx = export::ReportContext::from_config(&stack.config).await;
    let out = export::jobs::run_messages(&ctx, event).await;
    // The job ran; the message that is no job is the one to retry.
    assert_eq!(
        serde_json::to_value(out).expect("JSON"),
        json!({"batchItemFailures": [{"itemIdentifier": "5b2d6f0e-9c1a-4c3e-8f6e-0d1c2b3a4f02"}]})
    );
    let (_, _, done) = stack
        .get(&format!("/api/v1/sales/exports/{job}"), Some(&token(TENANT, "sales:export")))
        .await;
    assert_eq!(
        (done["data"]["status"].as_str(), done["data"]["rows"].as_u64()),
        (Some("succeeded"), Some(1))
    );
}
