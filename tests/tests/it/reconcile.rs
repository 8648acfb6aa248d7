//! `salesctl verify` finds no difference after the demo data and an update
//! file on top of it; a damaged aggregate is reported and `rebuild` mends it.

use aws_sdk_dynamodb::types::AttributeValue;
use sales_shared::store::key_map;
use sales_tests::TestStack;
use salesctl::catch_up::catch_up;
use salesctl::demo::{DemoOptions, generate};
use salesctl::reconcile::{rebuild, verify};
use serde_json::Value;

const TENANT: &str = "demo";

#[tokio::test]
async fn verify_and_rebuild_on_demo_data() {
    let mut stack = TestStack::new("reconcile", "2025-12-17T12:00:00Z").await;
    let lines = demo_lines(TENANT, 3, 60);
    let summary = stack.load_and_apply(TENANT, &lines).await;
    assert!(summary.rejected.is_empty());
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty());

    // An update file: newer versions of some orders (cancelled) and deletions.
    let updates: Vec<Value> = lines
        .iter()
        .filter(|l| l["type"] == "order" && l["status"] == "completed")
        .take(20)
        .enumerate()
        .map(|(i, l)| {
            let mut u = l.clone();
            u["version"] = (l["version"].as_i64().unwrap() + 1).into();
            if i % 2 == 0 {
                u["status"] = "cancelled".into();
                u["cancelled_at"] = u["ordered_at"].clone();
            } else {
                u = serde_json::json!({"type": "order", "tenant_id": TENANT, "id": l["id"], "version": u["version"],
                    "updated_at": "2025-12-17T00:00:00Z", "deleted": true});
            }
            u
        })
        .collect();
    stack.load_and_apply(TENANT, &updates).await;
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty());

    // Damage one bucket: verify names it, rebuild rewrites it.
    let (pk, sk) = ("demo#orders".to_owned(), "Y#2025".to_owned());
    stack
        .dynamo
        .update_item()
        .table_name(&stack.config.aggregates_table)
        .set_key(Some(key_map(pk, sk)))
        .update_expression("ADD revenue :v")
        .expression_attribute_values(":v", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let diffs = verify(&stack.config, TENANT, false).await.unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].to_string().contains("demo#orders Y#2025"));
    assert_eq!(rebuild(&stack.config, TENANT, false).await.unwrap(), 1);
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty());

    // A stray item in a partition no current record names is found too,
    // and rebuild removes it.
    let mut stray = key_map("demo#stale_family#D#1999-01-01".to_owned(), format!("{:020}", 7));
    stray.insert("revenue".to_owned(), AttributeValue::N("500".into()));
    stack
        .dynamo
        .put_item()
        .table_name(&stack.config.aggregates_table)
        .set_item(Some(stray))
        .send()
        .await
        .unwrap();
    let diffs = verify(&stack.config, TENANT, false).await.unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].to_string().contains("demo#stale_family#D#1999-01-01"));
    assert_eq!(rebuild(&stack.config, TENANT, false).await.unwrap(), 1);
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty());
}

/// Demo records of `tenant` (a few months), as JSON lines.
fn demo_lines(tenant: &str, months: u32, orders_per_month: u32) -> Vec<Value> {
    let options = DemoOptions {
        months,
        orders_per_month,
        ..DemoOptions::new(tenant, "2025-12-17".parse().unwrap())
    };
    let mut bytes = Vec::new();
    generate(&options, &mut bytes).unwrap();
    String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `salesctl catch-up` (what `make dev` loads the demo tenant with): the
/// tenant's aggregates are exact at once, the pump then drops its changes
/// (nothing counted twice) while applying another tenant's, a second
/// catch-up has nothing to do, and later changes apply through the stream.
#[tokio::test]
async fn catch_up_rolls_a_tenant_up_in_one_pass() {
    let mut stack = TestStack::new("catch_up", "2025-12-17T12:00:00Z").await;
    let lines = demo_lines(TENANT, 2, 40);
    // As `make dev` loads it: batch writes into the empty tenant.
    assert!(!salesctl::demo::is_loaded(&stack.config, TENANT).await.unwrap());
    let others = demo_lines("other", 1, 10);
    let jsonl = |lines: &[Value]| {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), lines.iter().map(|l| format!("{l}\n")).collect::<String>())
            .unwrap();
        file
    };
    // Validated as the loader validates: another tenant's lines are refused
    // before anything is written.
    let refused = salesctl::demo::write_fresh(&stack.config, TENANT, jsonl(&others).path(), false)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("tenant_id"), "{refused}");
    assert!(!salesctl::demo::is_loaded(&stack.config, TENANT).await.unwrap());
    let file = jsonl(&lines);
    let written =
        salesctl::demo::write_fresh(&stack.config, TENANT, file.path(), false).await.unwrap();
    assert_eq!(written, lines.len());
    assert!(salesctl::demo::is_loaded(&stack.config, TENANT).await.unwrap());
    assert!(stack.load("other", &others).await.rejected.is_empty());

    let done = catch_up(&stack.config, TENANT, false).await.unwrap();
    assert_eq!(done.records, lines.len());
    assert_eq!(done.ledgers, lines.len());
    assert!(done.aggregates > lines.len(), "{done:?}");
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty());
    assert!(!verify(&stack.config, "other", false).await.unwrap().is_empty(), "left to the pump");

    stack.pump().await;
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty(), "counted twice");
    assert!(verify(&stack.config, "other", false).await.unwrap().is_empty());

    let again = catch_up(&stack.config, TENANT, false).await.unwrap();
    assert_eq!((again.ledgers, again.aggregates), (0, 0), "{again:?}");

    let cancelled: Vec<Value> = lines
        .iter()
        .filter(|l| l["type"] == "order" && l["status"] == "completed")
        .take(5)
        .map(|l| {
            let mut u = l.clone();
            u["version"] = (l["version"].as_i64().unwrap() + 1).into();
            u["status"] = "cancelled".into();
            u["cancelled_at"] = u["ordered_at"].clone();
            u
        })
        .collect();
    assert_eq!(cancelled.len(), 5);
    stack.load_and_apply(TENANT, &cancelled).await;
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty());
    let (_, _, dashboard) = stack
        .get("/api/v1/sales/dashboard?period=year", Some(&sales_tests::token(TENANT, "sales:read")))
        .await;
    assert!(dashboard["meta"]["data_through"].is_string(), "{dashboard}");
}

/// An empty zip archive (end of central directory only): moto stores a
/// function's code without running it.
const EMPTY_ZIP: [u8; 22] =
    [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// A Lambda function with a 1 s timeout and a stream-like mapping to it,
/// on moto's server (the Lambda API of `salesctl rebuild --pause-mapping`):
/// the mapping's id, and the Lambda client.
async fn moto_mapping(
    config: &sales_shared::config::Config,
    name: &str,
) -> (String, aws_sdk_lambda::Client) {
    let endpoint = config.lambda_endpoint.clone().expect("moto's endpoint");
    // moto routes a request by the service of its credential scope.
    let role = reqwest::Client::new()
        .post(&endpoint)
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .form(&[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", r#"{"Version":"2012-10-17","Statement":[]}"#),
        ])
        .send()
        .await
        .expect("IAM CreateRole");
    assert!(role.status().is_success(), "{:?}", role.text().await);
    let lambda = salesctl::mapping::lambda_client(config).await;
    lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .role(format!("arn:aws:iam::123456789012:role/{name}"))
        .handler("bootstrap")
        .timeout(1)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    let (url, sqs) = sales_tests::moto_queue(config, name).await;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
        .expect("queue ARN");
    let mapping = lambda
        .create_event_source_mapping()
        .function_name(name)
        .event_source_arn(arn)
        .enabled(true)
        .send()
        .await
        .expect("CreateEventSourceMapping");
    (mapping.uuid.expect("uuid"), lambda)
}

async fn mapping_state(lambda: &aws_sdk_lambda::Client, uuid: &str) -> String {
    let mapping =
        lambda.get_event_source_mapping().uuid(uuid).send().await.expect("GetEventSourceMapping");
    mapping.state.unwrap_or_default()
}

/// `salesctl rebuild --pause-mapping` (against AWS): the rollup's mapping
/// is disabled while the rebuild runs and enabled after it; when the
/// rebuild fails it stays disabled.
#[tokio::test]
async fn a_rebuild_pauses_the_stream_mapping_while_it_runs() {
    let mut stack = TestStack::new("paused-rebuild", "2025-12-17T12:00:00Z").await;
    let order = serde_json::json!({"type": "order", "tenant_id": TENANT, "id": 1, "version": 1,
        "updated_at": "2025-12-10T12:00:00Z", "order_number": "ORD-1", "customer_id": 1, "source": "phone",
        "status": "completed", "currency": "USD", "total_amount": "10.00", "ordered_at": "2025-12-10T12:00:00Z"});
    stack.load_and_apply(TENANT, &[order]).await;
    stack
        .dynamo
        .delete_item()
        .table_name(&stack.config.aggregates_table)
        .set_key(Some(key_map("demo#orders".to_owned(), "Y#2025".to_owned())))
        .send()
        .await
        .unwrap();
    // The stack's Lambda endpoint is moto's server, like its SQS.
    let config = stack.config.clone();
    let name = format!("rollup-{}", std::process::id());
    let (uuid, lambda) = moto_mapping(&config, &name).await;
    assert_eq!(mapping_state(&lambda, &uuid).await, "Enabled");

    let waits = salesctl::mapping::Waits {
        state_timeout: std::time::Duration::from_secs(30),
        poll: std::time::Duration::from_millis(200),
    };
    let rebuild = tokio::spawn({
        let (config, uuid) = (config.clone(), uuid.clone());
        async move { salesctl::mapping::rebuild_paused(&config, TENANT, &uuid, waits, false).await }
    });
    let mut states = Vec::new();
    while !rebuild.is_finished() {
        let state = mapping_state(&lambda, &uuid).await;
        if states.last() != Some(&state) {
            states.push(state);
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(rebuild.await.unwrap().expect("paused rebuild"), 1, "the deleted item rewritten");
    assert!(states.contains(&"Disabled".to_owned()), "disabled during the rebuild: {states:?}");
    assert_eq!(mapping_state(&lambda, &uuid).await, "Enabled");
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty());

    // A rebuild that fails (no such table) leaves the mapping disabled.
    let broken =
        sales_shared::config::Config { aggregates_table: "no-such-table".into(), ..config.clone() };
    let failed = salesctl::mapping::rebuild_paused(&broken, TENANT, &uuid, waits, false).await;
    let message = failed.expect_err("the rebuild fails").to_string();
    assert!(message.contains("stays disabled"), "{message}");
    assert_eq!(mapping_state(&lambda, &uuid).await, "Disabled");
}
