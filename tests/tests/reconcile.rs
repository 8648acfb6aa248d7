//! `salesctl verify` finds no difference after the demo data and an update
//! file on top of it; a damaged aggregate is reported and `rebuild` mends it.

use aws_sdk_dynamodb::types::AttributeValue;
use sales_shared::store::aggregates::key_map;
use sales_tests::TestStack;
use salesctl::demo::{DemoOptions, generate};
use salesctl::reconcile::{rebuild, verify};
use serde_json::Value;

const TENANT: &str = "demo";

#[tokio::test]
async fn verify_and_rebuild_on_demo_data() {
    let mut stack = TestStack::new("reconcile", "2025-12-17T12:00:00Z").await;
    let options =
        DemoOptions { months: 3, orders_per_month: 60, ..DemoOptions::new(TENANT, "2025-12-17".parse().unwrap()) };
    let mut bytes = Vec::new();
    generate(&options, &mut bytes).unwrap();
    let lines: Vec<Value> =
        String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
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
    stack.dynamo.put_item().table_name(&stack.config.aggregates_table).set_item(Some(stray)).send().await.unwrap();
    let diffs = verify(&stack.config, TENANT, false).await.unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].to_string().contains("demo#stale_family#D#1999-01-01"));
    assert_eq!(rebuild(&stack.config, TENANT, false).await.unwrap(), 1);
    assert!(verify(&stack.config, TENANT, false).await.unwrap().is_empty());
}
