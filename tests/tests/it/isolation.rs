//! No tenant can hurt another: one tenant's hanging webhooks do not delay
//! another's alerts (per-tenant evaluation messages, delivery through its
//! own queue, channels at once), SNS subscribers filter by tenant, the
//! per-tenant caps hold under parallel requests, and webhook URLs that
//! point inside the network are refused.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use sales_shared::queue::Queue;
use sales_tests::december::{NOW, records};
use sales_tests::{TestStack, token};
use serde_json::{Value, json};

const ALERTS: &str = "/api/v1/sales/alerts";

/// The December records as `tenant`'s.
fn records_of(tenant: &str) -> Vec<Value> {
    records()
        .into_iter()
        .map(|mut record| {
            record["tenant_id"] = json!(tenant);
            record
        })
        .collect()
}

fn alerts_token(tenant: &str) -> String {
    token(tenant, "sales:read sales:alerts")
}

/// A rule that holds on the December data (orders ≥ 0) with `channels`.
fn always(channels: Value) -> Value {
    json!({"name": "any orders", "metric": "orders", "period": "month",
        "condition": {"op": "gte", "value": 0}, "channels": channels})
}

async fn create_rule(stack: &TestStack, tenant: &str, body: &Value) -> Value {
    let (status, _, created) =
        stack.send("POST", ALERTS, Some(&alerts_token(tenant)), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["data"].clone()
}

/// A listener that accepts every connection and never answers.
async fn hanging_listener() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// A receiver that notes when each `POST` came.
async fn timed_receiver() -> (String, Arc<Mutex<Vec<(Instant, String)>>>) {
    let received: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock().expect("lock").push((Instant::now(), body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

async fn queue(stack: &TestStack, name: &str) -> String {
    let name = format!("{name}-{}-{}", std::process::id(), stack.config.alerts_table.len());
    sales_tests::moto_queue(&stack.config, &name).await.0
}

/// Tenant A's rule posts to ten channels that accept and never answer;
/// tenant B's rule, evaluated in the same scheduled run, reaches B's
/// receiver within 30 s, exactly once, through the same queues the
/// functions consume in AWS.
#[tokio::test]
async fn a_tenants_hanging_webhooks_do_not_delay_another_tenants_alert() {
    let mut stack = TestStack::new("isolation-alerts", NOW).await;
    stack.load_and_apply("tenant-a", &records_of("tenant-a")).await;
    stack.load_and_apply("tenant-b", &records_of("tenant-b")).await;
    let hanging = hanging_listener().await;
    let channels: Vec<Value> = (0..10)
        .map(|i| json!({"type": "webhook", "url": format!("http://{hanging}/h{i}")}))
        .collect();
    let slow = create_rule(&stack, "tenant-a", &always(json!(channels))).await;
    let (url, received) = timed_receiver().await;
    create_rule(&stack, "tenant-b", &always(json!([{"type": "webhook", "url": url}]))).await;

    let config = sales_shared::config::Config {
        alert_evaluation_queue_url: Some(queue(&stack, "alert-evaluations").await),
        alert_delivery_queue_url: Some(queue(&stack, "alert-deliveries").await),
        ..stack.config.clone()
    };
    let ctx = alerts::EvaluatorContext::from_config(&config).await;
    let evaluations = Queue::at(&config, config.alert_evaluation_queue_url.as_ref()).await.unwrap();
    let deliveries = Queue::at(&config, config.alert_delivery_queue_url.as_ref()).await.unwrap();

    let started = Instant::now();
    // The schedule: one message per tenant, nothing evaluated yet.
    assert!(alerts::run_schedule(&ctx).await.expect("fanned out").is_empty());
    assert!(received.lock().unwrap().is_empty());
    // Each tenant's evaluation, as the evaluation queue's function runs it.
    let evaluated = evaluations
        .drain(Duration::ZERO, &mut |event| Box::pin(alerts::run_evaluations(&ctx, event)))
        .await
        .expect("evaluations drained");
    assert_eq!(evaluated, 2, "one message per tenant");
    // The deliveries: B's round does not wait for A's ten time-outs.
    deliveries
        .drain(Duration::ZERO, &mut |event| Box::pin(alerts::run_deliveries(&ctx, event)))
        .await
        .expect("deliveries drained");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "B's event, once: {got:?}");
    let after = got[0].0 - started;
    assert!(after < Duration::from_secs(30), "B's event came {after:?} after the run started");
    let event: Value = serde_json::from_str(&got[0].1).expect("JSON");
    assert_eq!(event["tenant_id"], "tenant-b");
    assert!(event["id"].as_str().is_some_and(|id| id.starts_with("evt_")), "{event}");

    // A's event is kept pending with a time-out per channel (no detail),
    // its message back on the queue for a later round.
    let (_, _, history) = stack
        .get(
            &format!("{ALERTS}/{}/events", slow["id"].as_str().unwrap()),
            Some(&alerts_token("tenant-a")),
        )
        .await;
    let deliveries_of_a = history["data"][0]["deliveries"].as_array().expect("deliveries").clone();
    assert_eq!(deliveries_of_a.len(), 10, "{history}");
    for delivery in &deliveries_of_a {
        assert_eq!(delivery["delivered"], false);
        assert_eq!(delivery["attempts"][0]["error"], "timeout", "{delivery}");
    }
    // Another evaluation and drain: B's event is not sent again.
    alerts::run_schedule(&ctx).await.expect("fanned out");
    evaluations
        .drain(Duration::ZERO, &mut |event| Box::pin(alerts::run_evaluations(&ctx, event)))
        .await
        .expect("evaluations drained");
    deliveries
        .drain(Duration::ZERO, &mut |event| Box::pin(alerts::run_deliveries(&ctx, event)))
        .await
        .expect("deliveries drained");
    assert_eq!(received.lock().unwrap().len(), 1, "exactly once");
}

/// A tenant's evaluation has its own deadline: past it, that tenant's
/// message is named for a retry, and the others are evaluated.
#[tokio::test]
async fn an_evaluation_past_its_deadline_is_retried_alone() {
    let mut stack = TestStack::new("isolation-deadline", NOW).await;
    stack.load_and_apply("tenant-a", &records_of("tenant-a")).await;
    create_rule(&stack, "tenant-a", &always(json!([{"type": "sns"}]))).await;
    let mut ctx = alerts::EvaluatorContext::from_config(&stack.config).await;
    ctx.tenant_deadline = Duration::ZERO;
    let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(json!({"Records": [
        {"messageId": "m-a", "body": "{\"tenant\":\"tenant-a\"}"},
        {"messageId": "m-junk", "body": "{}"},
    ]}))
    .expect("event");
    let answer = serde_json::to_value(alerts::run_evaluations(&ctx, event).await).unwrap();
    let failed: Vec<&str> = answer["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["itemIdentifier"].as_str())
        .collect();
    assert_eq!(failed, ["m-a", "m-junk"], "{answer}");
    ctx.tenant_deadline = alerts::TENANT_DEADLINE;
    let evaluation = alerts::evaluate_tenant(&ctx, "tenant-a").await.expect("evaluated");
    assert_eq!(evaluation.rules.len(), 1);
}

/// Every tenant's events go to the one stack topic with a `tenant_id`
/// message attribute: a subscription filtered on tenant A hears none of
/// tenant B's.
#[tokio::test]
async fn an_sns_subscription_filtered_on_a_tenant_hears_only_that_tenant() {
    let mut stack = TestStack::new("isolation-sns", NOW).await;
    stack.load_and_apply("tenant-a", &records_of("tenant-a")).await;
    stack.load_and_apply("tenant-b", &records_of("tenant-b")).await;
    let name = format!("tenant-filter-{}", std::process::id());
    let filter = r#"{"tenant_id": ["tenant-a"]}"#;
    let (topic, queue_url, sqs) =
        sales_tests::sns_topic_into_queue(&stack.config, &name, Some(filter)).await;
    let config =
        sales_shared::config::Config { alerts_topic_arn: Some(topic), ..stack.config.clone() };
    let ctx = alerts::EvaluatorContext::from_config(&config).await;
    for tenant in ["tenant-a", "tenant-b"] {
        create_rule(&stack, tenant, &always(json!([{"type": "sns"}]))).await;
        let evaluation = alerts::evaluate_tenant(&ctx, tenant).await.expect("evaluated");
        assert_eq!(evaluation.rules[0].delivered, 1, "{evaluation:?}");
    }
    let mut tenants = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("received");
        if out.messages().is_empty() {
            break;
        }
        for message in out.messages() {
            let body: Value = serde_json::from_str(message.body().unwrap_or_default()).unwrap();
            tenants.push(body["tenant_id"].as_str().unwrap_or_default().to_owned());
            sqs.delete_message()
                .queue_url(&queue_url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("deleted");
        }
    }
    assert_eq!(tenants, ["tenant-a"], "only tenant A's event passes the filter");
}

/// 150 rule creations at once against the cap of 100: exactly 100 made,
/// every other one a 409, and a deletion frees one slot.
#[tokio::test]
async fn parallel_rule_creations_leave_exactly_the_cap() {
    let stack = TestStack::new("isolation-rule-cap", NOW).await;
    let body = always(json!([{"type": "sns"}]));
    let token = alerts_token("tenant-a");
    let posts = (0..150).map(|_| stack.send("POST", ALERTS, Some(&token), Some(&body)));
    let answers = futures::future::join_all(posts).await;
    let created: Vec<&Value> =
        answers.iter().filter(|(s, _, _)| *s == StatusCode::CREATED).map(|(_, _, b)| b).collect();
    let refused = answers
        .iter()
        .filter(|(s, _, b)| *s == StatusCode::CONFLICT && b["error"]["code"] == "rule_limit");
    assert_eq!((created.len(), refused.count()), (100, 50));
    let (_, _, page) = stack.get(&format!("{ALERTS}?limit=100"), Some(&token)).await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(100));
    assert_eq!(page["meta"]["next_cursor"], Value::Null, "{}", page["meta"]);
    // One deleted: one more may be made, and no second.
    let id = created[0]["data"]["id"].as_str().unwrap();
    let (status, _, _) = stack.send("DELETE", &format!("{ALERTS}/{id}"), Some(&token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let again = futures::future::join_all(
        (0..3).map(|_| stack.send("POST", ALERTS, Some(&token), Some(&body))),
    )
    .await;
    let statuses: Vec<StatusCode> = again.iter().map(|(s, _, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
}

/// `POST /exports` as `tenant`, with an `Idempotency-Key` if given.
async fn post_export(
    stack: &TestStack,
    tenant: &str,
    key: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let body = json!({"dataset": "orders", "format": "csv", "from_date": "2025-01-01", "to_date": "2025-12-31"});
    let token = token(tenant, "sales:read sales:export");
    match key {
        None => stack.send("POST", "/api/v1/sales/exports", Some(&token), Some(&body)).await,
        Some(key) => {
            stack
                .send_with(
                    "POST",
                    "/api/v1/sales/exports",
                    &[("authorization", &format!("Bearer {token}")), ("idempotency-key", key)],
                    Some(&body),
                )
                .await
        }
    }
}

/// At most `SALES_EXPORT_JOBS_PER_TENANT` (5) queued or running jobs per
/// tenant: the 6th `POST /exports`, and an export that would become a
/// job, answer 429 with `Retry-After`; another tenant's job still starts;
/// a repeat of an earlier request still finds its job; 20 parallel POSTs
/// make exactly 5; once the worker has run them, the tenant may start more.
#[tokio::test]
async fn a_tenants_export_jobs_are_capped_without_holding_up_another() {
    let (mut stack, _) = sales_tests::december::stack("isolation-job-cap").await;
    let config = sales_shared::config::Config { export_sync_max_rows: 0, ..stack.config.clone() };
    stack.app = salesctl::serve::app(sales_shared::http::ApiContext::from_config(&config).await);
    let tenant = sales_tests::december::TENANT;

    let mut statuses = Vec::new();
    for n in 0..8 {
        let key = format!("job-{n}");
        let (status, headers, body) = post_export(&stack, tenant, Some(&key)).await;
        statuses.push(status.as_u16());
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body["error"]["code"], "too_many_export_jobs", "{body}");
            assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("30"));
        }
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429, 429, 429]);

    // A synchronous export that would become a job is refused alike.
    let (status, headers, body) = stack
        .get(
            "/api/v1/sales/orders/export?format=csv&from_date=2025-11-01&to_date=2025-12-31",
            Some(&token(tenant, "sales:read sales:export")),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_export_jobs"))
    );
    assert!(headers.contains_key("retry-after"));

    // A repeat of an accepted request finds its job, cap or not.
    let (status, _, first) = post_export(&stack, tenant, Some("job-0")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");

    // Another tenant is not held up.
    let (status, _, body) = post_export(&stack, "someone-else", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    // The cap holds under parallel requests.
    let parallel =
        futures::future::join_all((0..20).map(|_| post_export(&stack, "tenant-c", None))).await;
    let accepted = parallel.iter().filter(|(s, _, _)| *s == StatusCode::ACCEPTED).count();
    let refused = parallel.iter().filter(|(s, _, _)| *s == StatusCode::TOO_MANY_REQUESTS).count();
    let statuses: Vec<(u16, String)> =
        parallel.iter().map(|(s, _, b)| (s.as_u16(), b["error"]["code"].to_string())).collect();
    assert_eq!((accepted, refused), (5, 15), "{statuses:?}");

    // Finished jobs free their slots.
    assert_eq!(stack.run_export_jobs().await, 11);
    let (status, _, body) = post_export(&stack, tenant, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// The slot set itself: at most `cap` holders; when the cap is reached, a
/// holder that no longer exists is dropped, unless it took its slot within
/// the grace period (its holder may be being written right now).
#[tokio::test]
async fn slots_reclaim_only_holders_gone_past_the_grace_period() {
    use sales_shared::store::slots::{RECLAIM_GRACE_SECONDS, Slots};
    let stack = TestStack::new("isolation-slots", NOW).await;
    let slots = Slots::new(&stack.dynamo, &stack.config.alerts_table, "t#slots".into(), "slots");
    let now = chrono::Utc::now();
    let long_ago = now - chrono::Duration::seconds(RECLAIM_GRACE_SECONDS + 1);
    assert!(slots.take("old", 3, long_ago).await.unwrap());
    assert!(slots.take("young", 3, now).await.unwrap());
    assert!(slots.take("alive", 3, long_ago).await.unwrap());
    assert!(!slots.take("next", 3, now).await.unwrap(), "the cap is reached");
    assert!(slots.take("young", 3, now).await.unwrap(), "a holder keeps its slot");

    // Only `alive` exists: `old` is dropped, `young` kept within the grace.
    let reclaimed =
        slots.reclaim(now, async |_: &[String]| Ok(vec!["alive".to_owned()])).await.unwrap();
    assert!(reclaimed);
    let mut holders = slots.holders().await.unwrap().unwrap();
    holders.sort();
    assert_eq!(holders, ["alive", "young"]);
    assert!(slots.take("next", 3, now).await.unwrap());
    assert!(
        !slots.reclaim(now, async |_: &[String]| Ok(vec!["alive".to_owned()])).await.unwrap(),
        "all within the grace"
    );

    // Freed slots go, with their times.
    for id in ["alive", "young", "next"] {
        slots.free(id).await.unwrap();
    }
    assert_eq!(slots.holders().await.unwrap(), None);
    assert!(slots.take("old", 1, now).await.unwrap());
    assert!(
        !slots.reclaim(now, async |_: &[String]| Ok(Vec::new())).await.unwrap(),
        "old's time is new"
    );
}

/// A webhook rule's signing secret is sealed with the stack's KMS key
/// (moto's here): its item holds neither the secret nor any attribute
/// that gives it without KMS, it opens for its own tenant and rule only,
/// and deliveries still go out (alerts.rs checks their signatures against
/// the secret shown at creation).
#[tokio::test]
async fn webhook_secrets_are_sealed_with_the_kms_key() {
    use sales_shared::alerts::sealed::{SecretBox, StoredSecret};
    let mut stack = TestStack::new("isolation-sealed", NOW).await;
    stack.load_and_apply("tenant-a", &records_of("tenant-a")).await;
    let (url, received) = timed_receiver().await;
    let (status, _, created) = stack
        .send(
            "POST",
            ALERTS,
            Some(&alerts_token("tenant-a")),
            Some(&always(json!([{"type": "webhook", "url": url}]))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let secret = created["data"]["secret"].as_str().unwrap().to_owned();

    let scan = stack.dynamo.scan().table_name(&stack.config.alerts_table).send().await.unwrap();
    let item = scan
        .items()
        .iter()
        .find(|item| item.get("sk").and_then(|v| v.as_s().ok()) == Some(&id))
        .expect("the rule's item")
        .clone();
    assert!(!item.contains_key("secret"), "{item:?}");
    assert!(!format!("{item:?}").contains(&secret[6..]), "the secret in plain text: {item:?}");
    let stored = StoredSecret::of_item(&item).expect("a stored secret");
    assert!(matches!(stored, StoredSecret::Sealed { .. }));

    let secrets = SecretBox::from_config(&stack.config).await;
    assert_eq!(secrets.open(&stored, "tenant-a", &id).await.unwrap(), secret);
    assert!(secrets.open(&stored, "tenant-b", &id).await.is_err(), "another tenant's");
    assert!(secrets.open(&stored, "tenant-a", "rul_other").await.is_err(), "another rule's");
    let without_key = SecretBox::from_config(&sales_shared::config::Config {
        secrets_key_id: None,
        ..stack.config.clone()
    })
    .await;
    assert!(without_key.open(&stored, "tenant-a", &id).await.is_err());

    // Delivered in process, the sealed secret opened to sign it.
    let ctx = alerts::EvaluatorContext::from_config(&stack.config).await;
    alerts::evaluate_tenant(&ctx, "tenant-a").await.expect("evaluated");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
}

/// In AWS the cursor key comes from Secrets Manager (moto's here), read
/// once at start-up: the functions' environment names the secret only.
#[tokio::test]
async fn the_cursor_key_is_read_from_secrets_manager() {
    let stack = TestStack::new("isolation-cursor-secret", NOW).await;
    let shared = sales_shared::aws::sdk_config(&stack.config).await;
    let endpoint = stack.config.sqs_endpoint.clone().expect("moto");
    let manager = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&shared).endpoint_url(&endpoint).build(),
    );
    let name = format!("cursor-key-{}", stack.config.alerts_table);
    let arn = manager
        .create_secret()
        .name(&name)
        .secret_string("a-key-only-secrets-manager-knows")
        .send()
        .await
        .expect("secret made")
        .arn
        .expect("its ARN");
    let named = |arn: &str| sales_shared::config::Config {
        cursor_secret: String::new().into(),
        cursor_secret_arn: Some(arn.to_owned()),
        secretsmanager_endpoint: Some(endpoint.clone()),
        ..stack.config.clone()
    };
    let resolved = sales_shared::secrets::resolve(named(&arn)).await.expect("read");
    use secrecy::ExposeSecret;
    assert_eq!(resolved.cursor_secret.expose_secret(), "a-key-only-secrets-manager-knows");
    // Without the secret the function does not start, and says why.
    let missing = sales_shared::secrets::resolve(named(&format!("{arn}-gone"))).await.unwrap_err();
    assert!(missing.to_string().contains("SALES_CURSOR_SECRET_ARN"), "{missing}");
    // Without an ARN the configured key stays.
    let plain = sales_shared::secrets::resolve(stack.config.clone()).await.unwrap();
    assert_eq!(plain.cursor_secret.expose_secret(), "integration-test-cursor-key");
}

/// Webhook URLs that point inside the network, carry credentials or use
/// another port are refused when the rule is made: a 400 naming the URL's
/// field, for every form (the local policy allows 127.0.0.1 and localhost
/// over `http://`, and nothing else).
#[tokio::test]
async fn webhook_urls_inside_the_network_are_refused_at_creation() {
    let stack = TestStack::new("isolation-egress", NOW).await;
    let refused = [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:169.254.169.254]/hook",
        "https://[64:ff9b::a00:1]/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "https://[::]/hook",
        "https://2130706433/hook",
        "https://0x7f.1/hook",
        "https://224.0.0.1/hook",
        "https://192.0.2.10/hook",
        "https://user:password@hooks.example.com/hook",
        "https://hooks.example.com:8443/hook",
        "http://hooks.example.com/hook",
        "http://127.0.0.2/hook",
    ];
    for url in refused {
        let body = always(json!([{"type": "webhook", "url": url}]));
        let (status, _, answer) =
            stack.send("POST", ALERTS, Some(&alerts_token("t")), Some(&body)).await;
        assert_eq!(
            (status, answer["error"]["parameter"].as_str()),
            (StatusCode::BAD_REQUEST, Some("channels[0].url")),
            "{url}: {answer}"
        );
    }
    // A public name on 443 and the local allowance still pass.
    for url in
        ["https://hooks.example.com/hook", "http://127.0.0.1:9/hook", "http://localhost:9/hook"]
    {
        create_rule(&stack, "t", &always(json!([{"type": "webhook", "url": url}]))).await;
    }
}
