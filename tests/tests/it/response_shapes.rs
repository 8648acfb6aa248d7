//! Response shapes: every endpoint's JSON for the December tenant is pinned
//! by an insta snapshot (volatile `meta` fields redacted), and every field
//! of the published example responses must be present at the same place in
//! ours (their fields, without values, are kept in
//! `tests/fixtures/guide_shapes.json`, one example per endpoint).

use serde_json::Value;

/// The example responses, in the order of the fixture, and
/// the request that answers each here.
const ENDPOINTS: [(&str, &str); 16] = [
    ("dashboard", "/api/v1/sales/dashboard?compare_to_previous=true"),
    ("recent_orders", "/api/v1/sales/dashboard/widgets/recent-orders"),
    ("top_customers", "/api/v1/sales/dashboard/widgets/top-customers"),
    ("sales_goals", "/api/v1/sales/dashboard/widgets/sales-goals"),
    ("order_performance_metrics", "/api/v1/sales/orders/performance-metrics"),
    ("high_value_orders", "/api/v1/sales/orders/high-value?minimum_amount=100"),
    ("orders_by_status", "/api/v1/sales/orders?group_by=status"),
    ("invoice_statistics", "/api/v1/sales/invoices/statistics"),
    ("aging_report", "/api/v1/sales/invoices/aging-report?as_of_date=2025-12-12"),
    ("payment_statistics", "/api/v1/sales/payments/statistics"),
    ("failed_payments", "/api/v1/sales/payments/failed"),
    ("disputed_payments", "/api/v1/sales/payments/disputed"),
    (
        "revenue_by_period",
        "/api/v1/sales/dashboard/revenue?period=month&from_date=2025-11-01&to_date=2025-12-31",
    ),
    ("revenue_by_product", "/api/v1/sales/dashboard/revenue?group_by=product"),
    ("customer_analytics", "/api/v1/sales/dashboard/customer-analytics"),
    ("performance", "/api/v1/sales/dashboard/performance"),
];

/// The fields of the example responses, in the fixture's order.
fn guide_examples() -> Vec<(String, Value)> {
    let fixture: Value = serde_json::from_str(include_str!("../../fixtures/guide_shapes.json"))
        .expect("the fixture is JSON");
    fixture["examples"]
        .as_array()
        .expect("an `examples` array")
        .iter()
        .map(|e| (e["name"].as_str().unwrap_or_default().to_owned(), e["shape"].clone()))
        .collect()
}

/// Paths of the examples' fields missing from ours (arrays: first element;
/// our keys may be more).
fn missing(guide: &Value, ours: &Value, path: &str, out: &mut Vec<String>) {
    match (guide, ours) {
        (Value::Object(g), Value::Object(o)) => {
            for (key, value) in g {
                match o.get(key) {
                    Some(mine) => missing(value, mine, &format!("{path}.{key}"), out),
                    None => out.push(format!("{path}.{key}")),
                }
            }
        }
        (Value::Array(g), Value::Array(o)) => {
            if let (Some(g), Some(o)) = (g.first(), o.first()) {
                missing(g, o, &format!("{path}[0]"), out);
            } else if !g.is_empty() {
                out.push(format!("{path}[] (ours is empty)"));
            }
        }
        (Value::Object(_) | Value::Array(_), other) => {
            out.push(format!("{path} (ours is {other})"))
        }
        _ => {}
    }
}

#[tokio::test]
async fn responses_match_the_guide_and_their_snapshots() {
    let examples = guide_examples();
    assert_eq!(examples.len(), ENDPOINTS.len(), "one example per endpoint");
    let names: Vec<&str> = examples.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ENDPOINTS.map(|(name, _)| name), "the fixture follows the endpoints' order");
    let examples: Vec<Value> = examples.into_iter().map(|(_, shape)| shape).collect();
    // The check itself fails on a response without the examples' fields.
    let mut probe = Vec::new();
    missing(&examples[3], &serde_json::json!({"data": {"monthly_target": 1}}), "", &mut probe);
    assert_eq!(
        probe,
        [
            ".data.current_revenue",
            ".data.days_remaining",
            ".data.on_track",
            ".data.progress_percentage"
        ]
    );
    let (stack, read) = sales_tests::december::stack("shapes").await;
    let mut problems = Vec::new();
    for ((name, path), example) in ENDPOINTS.iter().zip(&examples) {
        let (status, _, body) = stack.get(path, Some(&read)).await;
        assert_eq!(status, 200, "{path}: {body}");
        let mut gaps = Vec::new();
        missing(example, &body, "", &mut gaps);
        problems.extend(gaps.into_iter().map(|g| format!("{name}: {g}")));
        insta::assert_json_snapshot!(*name, body, {
            ".meta.generated_at" => "[generated_at]",
            ".meta.data_through" => "[data_through]",
        });
    }
    assert!(
        problems.is_empty(),
        "fields of the examples missing from our responses:\n{}",
        problems.join("\n")
    );
}
