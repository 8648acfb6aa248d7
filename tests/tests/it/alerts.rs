//! KPI alerts end to end: the rules API (scope, validation, tenant
//! isolation, the 100-rule limit), evaluation against a real local HTTP
//! receiver (signature checked with the rule's secret, `triggered` exactly
//! once over repeated evaluations, `resolved` after the data changes, the
//! value the dashboard shows), a failing receiver retried then recorded,
//! and the SNS channel through moto's SNS into an SQS queue.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use sales_shared::alerts::deliver::RetryPolicy;
use sales_shared::alerts::signature;
use sales_tests::december::{NOW, TENANT, order, records};
use sales_tests::{TestStack, dec, token};
use serde_json::{Value, json};

const ALERTS: &str = "/api/v1/sales/alerts";

fn alerts_token() -> String {
    token(TENANT, "sales:read sales:alerts")
}

/// What a receiver got: each request's signature header and body.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A webhook receiver on loopback answering every request with `status`.
async fn receiver(status: u16) -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let signature = headers
                    .get(signature::HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                kept.lock().expect("lock").push((signature, body));
                StatusCode::from_u16(status).expect("status")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn rule(metric: &str, op: &str, value: Value, channels: Value) -> Value {
    json!({"name": format!("{metric} {op} {value}"), "metric": metric, "period": "month",
        "condition": {"op": op, "value": value}, "channels": channels})
}

async fn evaluator(stack: &TestStack, retry: RetryPolicy) -> alerts::EvaluatorContext {
    let mut ctx = alerts::EvaluatorContext::from_config(&stack.config).await;
    ctx.deliverer.retry = retry;
    ctx
}

fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        first_backoff: Duration::from_millis(20),
        timeout: Duration::from_secs(5),
    }
}

async fn create(stack: &TestStack, body: &Value) -> Value {
    let (status, headers, created) =
        stack.send("POST", ALERTS, Some(&alerts_token()), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().expect("id");
    let location = headers.get("location").and_then(|v| v.to_str().ok());
    assert_eq!(location, Some(format!("{ALERTS}/{id}").as_str()));
    created["data"].clone()
}

#[tokio::test]
async fn rules_are_created_read_replaced_and_deleted_per_tenant_with_every_bad_field_named() {
    let stack = TestStack::new("alerts-api", NOW).await;
    let body = rule(
        "collection_rate",
        "lt",
        json!(80),
        json!([{"type": "webhook", "url": "https://hooks.example.com/x"}]),
    );
    let created = create(&stack, &body).await;
    assert!(created["secret"].as_str().is_some_and(|s| s.starts_with("whsec_")), "{created}");
    assert_eq!(created["state"], "ok");
    assert_eq!(created["condition"], json!({"op": "lt", "value": 80}));
    assert_eq!(created["enabled"], true);
    let id = created["id"].as_str().unwrap();
    let path = format!("{ALERTS}/{id}");

    // The secret is shown once: never by GET.
    let (status, _, shown) = stack.get(&path, Some(&alerts_token())).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["data"]["name"], created["name"]);
    assert!(shown["data"].get("secret").is_none(), "{shown}");
    let (_, _, listed) = stack.get(ALERTS, Some(&alerts_token())).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    assert!(listed["data"][0].get("secret").is_none());

    // Reading rules needs `sales:alerts`, and another tenant sees none of them.
    let (status, _, _) = stack.get(ALERTS, Some(&token(TENANT, "sales:read sales:export"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = stack.get(&path, Some(&token("other", "sales:alerts"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, theirs) = stack.get(ALERTS, Some(&token("other", "sales:alerts"))).await;
    assert_eq!(theirs["data"], json!([]));

    let replaced = rule("revenue", "change_lt", json!(-20), json!([{"type": "sns"}]));
    let (status, _, after) = stack.send("PUT", &path, Some(&alerts_token()), Some(&replaced)).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(
        (&after["data"]["metric"], &after["data"]["channels"]),
        (&json!("revenue"), &json!([{"type": "sns"}]))
    );
    assert_eq!(after["data"]["created_at"], created["created_at"]);

    // Every bad field is a 400 naming it.
    let bad = [
        ("metric", json!("profit"), "metric"),
        ("period", json!("year"), "period"),
        ("condition", json!({"op": "between", "value": 1}), "condition.op"),
        (
            "channels",
            json!([{"type": "webhook", "url": "http://example.com/hook"}]),
            "channels[0].url",
        ),
        ("enabled", json!(1), "enabled"),
    ];
    for (field, value, named) in bad {
        let mut body = body.clone();
        body[field] = value;
        let (status, _, answer) =
            stack.send("POST", ALERTS, Some(&alerts_token()), Some(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {answer}");
        assert_eq!(answer["error"]["parameter"], named, "{answer}");
    }
    let (status, _, answer) = stack
        .send(
            "PUT",
            &format!("{ALERTS}/rule_{}", "0".repeat(32)),
            Some(&alerts_token()),
            Some(&body),
        )
        .await;
    assert_eq!((status, &answer["error"]["code"]), (StatusCode::NOT_FOUND, &json!("not_found")));

    let (status, _, _) = stack.send("DELETE", &path, Some(&alerts_token()), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = stack.send("DELETE", &path, Some(&alerts_token()), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = stack.get(&format!("{path}/events"), Some(&alerts_token())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_tenant_keeps_at_most_a_hundred_rules() {
    let stack = TestStack::new("alerts-limit", NOW).await;
    let body = rule("orders", "gt", json!(1), json!([{"type": "sns"}]));
    for _ in 0..100 {
        let (status, _, answer) =
            stack.send("POST", ALERTS, Some(&alerts_token()), Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (status, _, answer) = stack.send("POST", ALERTS, Some(&alerts_token()), Some(&body)).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (StatusCode::CONFLICT, &json!("rule_limit")),
        "{answer}"
    );
    let (_, _, page) = stack.get(&format!("{ALERTS}?limit=100"), Some(&alerts_token())).await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn a_rule_fires_once_signed_with_the_dashboards_value_and_resolves_when_the_data_changes() {
    let mut stack = TestStack::new("alerts-fire", NOW).await;
    stack.load_and_apply(TENANT, &records()).await;
    let (_, _, dashboard) =
        stack.get("/api/v1/sales/dashboard?period=month", Some(&alerts_token())).await;
    let revenue = dec(&dashboard["data"]["summary"]["total_revenue"]);
    let (url, received) = receiver(200).await;
    // Below revenue + 50: holds now, and no longer after a 100.00 order.
    let threshold = revenue + rust_decimal::Decimal::from(50);
    let created = create(
        &stack,
        &rule(
            "revenue",
            "lt",
            json!(threshold.to_string()),
            json!([{"type": "webhook", "url": url}]),
        ),
    )
    .await;
    let (id, secret) = (created["id"].as_str().unwrap(), created["secret"].as_str().unwrap());

    let ctx = evaluator(&stack, quick_retries(3)).await;
    for _ in 0..3 {
        alerts::evaluate_tenant(&ctx, TENANT).await.expect("evaluated");
    }
    let deliveries = received.lock().unwrap().clone();
    assert_eq!(
        deliveries.len(),
        1,
        "triggered exactly once over three evaluations: {deliveries:?}"
    );
    let (header, body) = &deliveries[0];
    let now = chrono::Utc::now().timestamp();
    assert!(
        signature::verify(secret, header, body.as_bytes(), now, 300),
        "signed with the rule's secret: {header}"
    );
    assert!(!signature::verify("whsec_wrong", header, body.as_bytes(), now, 300));
    let event: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(event["type"], "alert.triggered");
    assert_eq!(
        (&event["rule_id"], &event["tenant_id"], &event["metric"]),
        (&json!(id), &json!(TENANT), &json!("revenue"))
    );
    assert_eq!(event["period"], json!({"from": "2025-12-01", "to": "2025-12-31"}));
    assert_eq!(dec(&event["value"]), revenue, "the value the dashboard shows");
    assert_eq!(event["condition"]["op"], "lt");

    // The data changes: revenue passes the threshold, the rule resolves once.
    stack
        .load_and_apply(
            TENANT,
            &[order(80, 2, Some(5), "phone", "completed", "100.00", "12-19", json!({}))],
        )
        .await;
    alerts::evaluate_tenant(&ctx, TENANT).await.expect("evaluated");
    alerts::evaluate_tenant(&ctx, TENANT).await.expect("evaluated");
    let deliveries = received.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    let resolved: Value = serde_json::from_str(&deliveries[1].1).unwrap();
    assert_eq!(resolved["type"], "alert.resolved");
    assert_eq!(dec(&resolved["value"]), revenue + rust_decimal::Decimal::from(100));

    // The history, newest first, with each delivery's outcome; paged.
    let (status, _, events) =
        stack.get(&format!("{ALERTS}/{id}/events?limit=1"), Some(&alerts_token())).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert_eq!(events["data"][0]["type"], "alert.resolved");
    assert_eq!(events["data"][0]["deliveries"][0]["delivered"], true);
    assert_eq!(events["data"][0]["deliveries"][0]["attempts"][0]["status"], 200);
    let cursor = events["meta"]["next_cursor"].as_str().expect("a second page");
    let (_, _, older) = stack
        .get(&format!("{ALERTS}/{id}/events?limit=1&cursor={cursor}"), Some(&alerts_token()))
        .await;
    assert_eq!(older["data"][0]["type"], "alert.triggered");
    assert_eq!(older["meta"]["next_cursor"], Value::Null);
    let (_, _, shown) = stack.get(&format!("{ALERTS}/{id}"), Some(&alerts_token())).await;
    assert_eq!(shown["data"]["state"], "ok");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_then_recorded_as_failed() {
    let mut stack = TestStack::new("alerts-retry", NOW).await;
    stack.load_and_apply(TENANT, &records()).await;
    let (url, received) = receiver(503).await;
    let created =
        create(&stack, &rule("orders", "gte", json!(0), json!([{"type": "webhook", "url": url}])))
            .await;
    let id = created["id"].as_str().unwrap();
    let ctx = evaluator(&stack, quick_retries(3)).await;
    let evaluation = alerts::evaluate_tenant(&ctx, TENANT).await.expect("evaluated");
    assert_eq!((evaluation.rules[0].delivered, evaluation.rules[0].failed), (0, 1));
    assert_eq!(received.lock().unwrap().len(), 3, "three attempts");
    let (_, _, events) = stack.get(&format!("{ALERTS}/{id}/events"), Some(&alerts_token())).await;
    let delivery = &events["data"][0]["deliveries"][0];
    assert_eq!(delivery["delivered"], false, "{events}");
    let attempts = delivery["attempts"].as_array().expect("attempts");
    assert_eq!(
        attempts.iter().map(|a| a["status"].clone()).collect::<Vec<_>>(),
        vec![json!(503); 3]
    );
    assert_eq!(
        attempts.iter().map(|a| a["attempt"].clone()).collect::<Vec<_>>(),
        vec![json!(1), json!(2), json!(3)]
    );
    // A 4xx is final: no retry.
    let (url, refused) = receiver(410).await;
    create(&stack, &rule("orders", "gte", json!(0), json!([{"type": "webhook", "url": url}])))
        .await;
    alerts::evaluate_tenant(&ctx, TENANT).await.expect("evaluated");
    assert_eq!(refused.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_sns_channel_publishes_the_same_body_to_the_topic() {
    let mut stack = TestStack::new("alerts-sns", NOW).await;
    stack.load_and_apply(TENANT, &records()).await;
    let name = format!("alerts-{}", std::process::id());
    let (topic, queue, sqs) = sales_tests::sns_topic_into_queue(&stack.config, &name, None).await;

    let config =
        sales_shared::config::Config { alerts_topic_arn: Some(topic), ..stack.config.clone() };
    let ctx = alerts::EvaluatorContext::from_config(&config).await;
    let created = create(&stack, &rule("orders", "gte", json!(0), json!([{"type": "sns"}]))).await;
    let evaluation = alerts::evaluate_tenant(&ctx, TENANT).await.expect("evaluated");
    assert_eq!(evaluation.rules[0].delivered, 1, "{evaluation:?}");
    let messages = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("received");
    let bodies: Vec<Value> = messages
        .messages()
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap_or_default()).expect("JSON"))
        .collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(
        (&bodies[0]["type"], &bodies[0]["rule_id"]),
        (&json!("alert.triggered"), &created["id"])
    );
}
