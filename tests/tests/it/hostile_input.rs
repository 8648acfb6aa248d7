//! Issue 10: records the rollup cannot apply never stop the stream, and
//! sums past i64 stay exact end to end.

use aws_sdk_dynamodb::types::AttributeValue;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sales_shared::calendar::bucket_keys;
use sales_shared::layout::{family, measure, measures_pk};
use sales_shared::records::{RecordBody, parse_record};
use sales_shared::store::key_map;
use sales_shared::store::source;
use sales_tests::{TestStack, dec, token};
use salesctl::pump::Pump;
use salesctl::reconcile::verify;
use serde_json::{Value, json};

const NOW: &str = "2025-12-17T12:00:00Z";

fn order(tenant: &str, id: i64, amount: &str) -> Value {
    json!({"type": "order", "tenant_id": tenant, "id": id, "version": 1, "updated_at": "2025-12-10T00:00:00Z",
        "order_number": format!("O-{id}"), "customer_id": 1, "source": "api", "status": "completed",
        "currency": "USD", "total_amount": amount, "ordered_at": "2025-12-10T10:00:00Z"})
}

/// Writes an order straight to the source table, as an upstream service
/// that skips validation could, with an amount past every limit.
async fn write_poison(stack: &TestStack, tenant: &str, id: i64, amount: Decimal) {
    let mut record = parse_record(&order(tenant, id, "1.00").to_string()).expect("valid template");
    if let Some(RecordBody::Order(o)) = &mut record.body {
        o.total_amount = amount;
    }
    source::put_if_newer(&stack.dynamo, &stack.config.source_table, &record)
        .await
        .expect("written");
}

async fn revenue(stack: &TestStack, tenant: &str) -> Decimal {
    let path = "/api/v1/sales/dashboard?period=custom&from_date=2025-12-01&to_date=2025-12-17";
    let (status, _, body) = stack.get(path, Some(&token(tenant, "sales:read"))).await;
    assert_eq!(status, 200, "{body}");
    dec(&body["data"]["summary"]["total_revenue"])
}

async fn raw_body(stack: &TestStack, path: &str, token: &str) -> String {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = stack.app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20).await.expect("body");
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn a_poison_record_fails_alone_and_verify_stays_clean() {
    let stack = TestStack::new("poison", NOW).await;
    stack.load("alpha", &[order("alpha", 1, "10.00")]).await;
    stack.load("beta", &[order("beta", 1, "20.00")]).await;
    // Two orders of 92 233 720 368 547 758.07: together past i64 in cents.
    let poison = Decimal::new(i64::MAX, 2);
    write_poison(&stack, "alpha", 2, poison).await;
    write_poison(&stack, "alpha", 3, poison).await;
    stack.load("beta", &[order("beta", 2, "22.00")]).await;
    stack.load("alpha", &[order("alpha", 4, "40.00")]).await;
    // A valid later version of a poisoned record replaces it.
    let mut fixed = order("alpha", 3, "30.00");
    fixed["version"] = 2.into();
    stack.load("alpha", &[fixed]).await;

    let dead_letter = std::env::temp_dir().join(format!("poison-dlq-{}.jsonl", std::process::id()));
    std::fs::remove_file(&dead_letter).ok();
    let rollup = rollup::RollupContext::from_config(&stack.config).await;
    let mut pump =
        Pump::new(&stack.config, rollup, None, Some(dead_letter.clone())).await.expect("stream");
    pump.drain().await.expect("the pump survives every record");

    let dead: Vec<Value> = std::fs::read_to_string(&dead_letter)
        .expect("dead letters written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let dead_ids: Vec<&str> =
        dead.iter().filter_map(|r| r["dynamodb"]["NewImage"]["id"]["N"].as_str()).collect();
    assert_eq!(dead_ids, ["2", "3"], "exactly the two poisoned versions are dead-lettered");

    assert_eq!(revenue(&stack, "alpha").await, dec!(80.00), "10 + 40 + the fixed 30");
    assert_eq!(revenue(&stack, "beta").await, dec!(42.00));
    for tenant in ["alpha", "beta"] {
        let diffs = verify(&stack.config, tenant, false).await.expect("verify runs");
        assert!(diffs.is_empty(), "{tenant}: {diffs:?}");
    }
    std::fs::remove_file(&dead_letter).ok();
}

#[tokio::test]
async fn sums_past_i64_are_stored_read_and_served_exactly() {
    let mut stack = TestStack::new("wide-sums", NOW).await;
    stack.load_and_apply("wide", &[order("wide", 1, "999999999999.99")]).await;
    // What 100 000 orders at the largest amount add up to: 10^19 cents,
    // past i64's 9.2 * 10^18, added to the same items the rollup writes.
    let extra_orders: i128 = 99_999;
    let extra_cents = extra_orders * 99_999_999_999_999;
    let pk = measures_pk("wide", family::ORDERS);
    for sk in bucket_keys("2025-12-10".parse().expect("date")) {
        stack
            .dynamo
            .update_item()
            .table_name(&stack.config.aggregates_table)
            .set_key(Some(key_map(pk.clone(), sk)))
            .update_expression("ADD #r :r, #b :n, #p :n")
            .expression_attribute_names("#r", measure::REVENUE)
            .expression_attribute_names("#b", measure::REVENUE_BEARING)
            .expression_attribute_names("#p", measure::PLACED)
            .expression_attribute_values(":r", AttributeValue::N(extra_cents.to_string()))
            .expression_attribute_values(":n", AttributeValue::N(extra_orders.to_string()))
            .send()
            .await
            .expect("added");
    }
    let total_cents: i128 = (extra_orders + 1) * 99_999_999_999_999;
    assert!(total_cents > i128::from(i64::MAX));
    // Read the number as the API wrote it (serde_json's Value would go
    // through f64 and lose the last digits).
    let body =
        raw_body(&stack, "/api/v1/sales/dashboard?period=year", &token("wide", "sales:read")).await;
    let expected = format!("\"total_revenue\":{}", Decimal::from_i128_with_scale(total_cents, 2));
    assert!(body.contains(&expected), "{expected} in {body}");
    let read = token("wide", "sales:read");
    for path in [
        "/api/v1/sales/dashboard?period=year",
        "/api/v1/sales/dashboard/revenue?period=month",
        "/api/v1/sales/dashboard/performance?period=year",
        "/api/v1/sales/orders/performance-metrics?from_date=2025-01-01&to_date=2025-12-17",
        "/api/v1/sales/orders?group_by=status&from_date=2025-01-01&to_date=2025-12-17",
    ] {
        let (status, _, body) = stack.get(path, Some(&read)).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    // verify reads the widened items without failing, and names them.
    let diffs = verify(&stack.config, "wide", false).await.expect("verify runs");
    assert!(!diffs.is_empty(), "the hand-added sums differ from the records");
}

#[tokio::test]
async fn forged_cursors_and_huge_buckets_are_400s_and_pages_cost_the_same_at_any_depth() {
    use base64::Engine;
    let mut stack = TestStack::new("cursors", NOW).await;
    let orders: Vec<Value> = (1..=30).map(|id| order("pages", id, "10.00")).collect();
    stack.load_and_apply("pages", &orders).await;
    let read = token("pages", "sales:read");
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("o:18446744073709551615");
    for path in [
        format!("/api/v1/sales/dashboard/widgets/recent-orders?cursor={forged}"),
        format!("/api/v1/sales/dashboard/widgets/top-customers?cursor={forged}"),
        format!("/api/v1/sales/orders/high-value?cursor={forged}"),
        format!("/api/v1/sales/payments/failed?cursor={forged}"),
        format!("/api/v1/sales/payments/disputed?cursor={forged}"),
        format!("/api/v1/sales/invoices/aging-report?cursor={forged}"),
        "/api/v1/sales/invoices/aging-report?buckets=1,9223372036854775807".to_owned(),
        "/api/v1/sales/invoices/aging-report?buckets=1,99999999999999999999".to_owned(),
    ] {
        let (status, _, body) = stack.get(&path, Some(&read)).await;
        assert_eq!(status, 400, "{path}: {body}");
        let named = body["error"]["parameter"].as_str().unwrap_or_default();
        assert!(["cursor", "buckets"].contains(&named), "{path}: {body}");
    }

    // Key-based pages of recent orders: every page reads the same items.
    let mut path = "/api/v1/sales/dashboard/widgets/recent-orders?limit=5".to_owned();
    let (mut seen, mut costs) = (Vec::new(), Vec::new());
    loop {
        let (status, headers, body) = stack.get(&path, Some(&read)).await;
        assert_eq!(status, 200, "{body}");
        seen.extend(body["data"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()));
        costs.push(headers["x-items-read"].to_str().unwrap().parse::<u64>().unwrap());
        let Some(next) = body["meta"]["next_cursor"].as_str() else { break };
        path = format!("/api/v1/sales/dashboard/widgets/recent-orders?limit=5&cursor={next}");
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, (1..=30).collect::<Vec<_>>(), "every order exactly once: {seen:?}");
    assert!(costs.iter().all(|c| *c <= costs[0] + 1), "flat cost per page: {costs:?}");

    // A cursor is bound to its query and tenant.
    let (_, _, first) =
        stack.get("/api/v1/sales/orders/high-value?limit=2&minimum_amount=1", Some(&read)).await;
    let cursor = first["meta"]["next_cursor"].as_str().expect("a second page").to_owned();
    let (ok, _, _) = stack
        .get(
            &format!("/api/v1/sales/orders/high-value?limit=3&minimum_amount=1&cursor={cursor}"),
            Some(&read),
        )
        .await;
    assert_eq!(ok, 200, "limit may change between pages");
    let (moved, _, _) = stack
        .get(
            &format!("/api/v1/sales/orders/high-value?limit=2&minimum_amount=2&cursor={cursor}"),
            Some(&read),
        )
        .await;
    assert_eq!(moved, 400, "another query");
    let (foreign, _, _) = stack
        .get(
            &format!("/api/v1/sales/orders/high-value?limit=2&minimum_amount=1&cursor={cursor}"),
            Some(&token("other", "sales:read")),
        )
        .await;
    assert_eq!(foreign, 400, "another tenant");
}

/// An invoice paid in 60 instalments on 60 days touches more aggregate
/// items than one transaction holds: it is applied in parts, exactly once,
/// also when the whole stream is delivered again.
#[tokio::test]
async fn an_invoice_paid_on_sixty_days_is_applied_in_parts_exactly_once() {
    let mut stack = TestStack::new("instalments", NOW).await;
    let first: chrono::NaiveDate = "2025-01-02".parse().expect("date");
    let applications: Vec<Value> = (0..60)
        .map(|i| {
            let on = first + chrono::Days::new(5 * i);
            json!({"payment_id": 1000 + i, "amount": "10.00", "applied_at": format!("{on}T12:00:00Z")})
        })
        .collect();
    let invoice = json!({"type": "invoice", "tenant_id": "parts", "id": 1, "version": 1,
        "updated_at": "2025-12-01T00:00:00Z", "invoice_number": "INV-1", "customer_id": 1, "status": "sent",
        "currency": "USD", "total_amount": "700.00", "issued_at": "2025-01-01T12:00:00Z",
        "due_date": "2025-01-31", "payment_applications": applications});
    let record = parse_record(&invoice.to_string()).expect("valid");
    let settings = sales_shared::records::TenantSettings::default();
    let c = rollup::contributions::checked_contribution(&record, &settings).expect("applicable");
    let items =
        rollup::contributions::Delta::between("parts", &Default::default(), &c).item_count();
    assert!(rollup::apply::MAX_TRANSACTION_ITEMS < items + 1, "oversized: {items} items");
    let summary = stack.load_and_apply("parts", std::slice::from_ref(&invoice)).await;
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);
    assert!(verify(&stack.config, "parts", false).await.expect("verify").is_empty());

    // A newer version moves every instalment a day later: a delta of both.
    let mut moved = invoice;
    moved["version"] = 2.into();
    for (i, a) in
        moved["payment_applications"].as_array_mut().expect("array").iter_mut().enumerate()
    {
        let on = first + chrono::Days::new(5 * i as u64 + 1);
        a["applied_at"] = json!(format!("{on}T12:00:00Z"));
    }
    stack.load_and_apply("parts", &[moved]).await;
    assert!(verify(&stack.config, "parts", false).await.expect("verify").is_empty());

    // The whole stream again, from its start: every part is dropped.
    let before = stack.aggregate_items().await;
    let mut replay = stack.replaying_pump().await;
    replay.drain().await.expect("replayed");
    assert_eq!(stack.aggregate_items().await, before, "a replay changes nothing");

    let read = token("parts", "sales:read");
    let path = "/api/v1/sales/invoices/statistics?from_date=2025-01-01&to_date=2025-12-17";
    let (status, _, body) = stack.get(path, Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(dec(&body["data"]["financial_metrics"]["total_paid"]), dec!(600.00), "{body}");
    assert_eq!(
        dec(&body["data"]["financial_metrics"]["total_outstanding"]),
        dec!(100.00),
        "{body}"
    );
}
