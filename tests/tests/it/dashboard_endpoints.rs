//! Every dashboard-group endpoint against figures worked out by hand from
//! the December tenant (`tests/support/december.rs`): records loaded
//! through `salesctl load`, applied by the stream pump, served by the real
//! router with real tokens.

use sales_tests::december::{TENANT, ok, stack};
use sales_tests::token;
use serde_json::{Value, json};

#[tokio::test]
async fn widgets_by_hand() {
    let (stack, read) = stack("dashboard-endpoints").await;

    // Placed orders newest first (the draft, order 6, is not placed).
    let body = ok(&stack, "/api/v1/sales/dashboard/widgets/recent-orders?limit=2", &read).await;
    assert_eq!(
        body["data"],
        json!([
            {"id": 7, "order_number": "ORD-7", "customer_name": "Acme", "total_amount": 75.0, "status": "shipped", "order_date": "2025-12-15"},
            {"id": 5, "order_number": "ORD-5", "customer_name": "Gamma", "total_amount": 25.0, "status": "pending", "order_date": "2025-12-10"}
        ])
    );
    let cursor = body["meta"]["next_cursor"].as_str().expect("a next page").to_owned();
    let next = ok(
        &stack,
        &format!("/api/v1/sales/dashboard/widgets/recent-orders?limit=3&cursor={cursor}"),
        &read,
    )
    .await;
    let ids: Vec<&Value> = next["data"].as_array().unwrap().iter().map(|o| &o["id"]).collect();
    assert_eq!(ids, [4, 3, 2], "cancelled orders are listed");
    let last = next["meta"]["next_cursor"].as_str().unwrap().to_owned();
    let end = ok(
        &stack,
        &format!("/api/v1/sales/dashboard/widgets/recent-orders?limit=3&cursor={last}"),
        &read,
    )
    .await;
    assert_eq!(end["data"].as_array().unwrap().len(), 1);
    assert_eq!(end["meta"]["next_cursor"], Value::Null);

    // December revenue: Acme 300 + 75 (2 orders), Beta 200 (+ a cancelled
    // order: 2 placed, 1 revenue-bearing), Gamma 25 (the draft is not placed).
    let body = ok(&stack, "/api/v1/sales/dashboard/widgets/top-customers", &read).await;
    assert_eq!(
        body["data"],
        json!([
            {"customer_id": 1, "customer_name": "Acme", "total_orders": 2, "total_revenue": 375.0, "average_order_value": 187.5},
            {"customer_id": 2, "customer_name": "Beta", "total_orders": 2, "total_revenue": 200.0, "average_order_value": 200.0},
            {"customer_id": 3, "customer_name": "Gamma", "total_orders": 1, "total_revenue": 25.0, "average_order_value": 25.0}
        ])
    );
    // November: only Acme's order 1.
    let nov = ok(
        &stack,
        "/api/v1/sales/dashboard/widgets/top-customers?from_date=2025-11-01&to_date=2025-11-30",
        &read,
    )
    .await;
    assert_eq!(nov["data"].as_array().unwrap().len(), 1);

    // Target 1000; Dec 1..20 revenue 600 = 60%; on track needs
    // 1000 * 20 / 31 = 645.16: not on track; 31 - 20 = 11 days remain.
    let body = ok(&stack, "/api/v1/sales/dashboard/widgets/sales-goals", &read).await;
    assert_eq!(
        body["data"],
        json!({"monthly_target": 1000.0, "current_revenue": 600.0, "progress_percentage": 60.0, "on_track": false, "days_remaining": 11})
    );
}

#[tokio::test]
async fn revenue_by_period_and_product_by_hand() {
    let (stack, read) = stack("dashboard-endpoints").await;

    // Weeks of Nov 24 .. Dec 14: W48 empty, W49 orders 2 + 3 (order 4 is
    // cancelled), W50 order 5.
    let body = ok(
        &stack,
        "/api/v1/sales/dashboard/revenue?period=week&from_date=2025-11-24&to_date=2025-12-14",
        &read,
    )
    .await;
    assert_eq!(
        body["data"],
        json!({
            "period_type": "week",
            "revenue_by_period": [
                {"period": "2025-W48", "revenue": 0.0, "orders": 0, "average_order_value": 0.0},
                {"period": "2025-W49", "revenue": 500.0, "orders": 2, "average_order_value": 250.0},
                {"period": "2025-W50", "revenue": 25.0, "orders": 1, "average_order_value": 25.0}
            ],
            "summary": {
                "total_revenue": 525.0,
                "average_weekly_revenue": 175.0,
                "highest_week": {"period": "2025-W49", "revenue": 500.0},
                "lowest_week": {"period": "2025-W48", "revenue": 0.0},
                "growth_rate": null
            }
        })
    );

    // Months: November 100 (1 order), December 600 (4): growth 500%.
    let body = ok(
        &stack,
        "/api/v1/sales/dashboard/revenue?period=month&from_date=2025-11-01&to_date=2025-12-31",
        &read,
    )
    .await;
    let s = &body["data"]["summary"];
    assert_eq!(s["average_monthly_revenue"], json!(350.0));
    assert_eq!(s["growth_rate"], json!(500.0));
    assert_eq!(
        body["data"]["revenue_by_period"][1],
        json!({"period": "2025-12", "revenue": 600.0, "orders": 4, "average_order_value": 150.0})
    );
    // A quarter cut at the range's edge, and a day grain across it.
    let q = ok(
        &stack,
        "/api/v1/sales/dashboard/revenue?period=quarter&from_date=2025-12-02&to_date=2025-12-31",
        &read,
    )
    .await;
    assert_eq!(
        q["data"]["revenue_by_period"],
        json!([{"period": "2025-Q4", "revenue": 300.0, "orders": 3, "average_order_value": 100.0}])
    );
    let days = ok(
        &stack,
        "/api/v1/sales/dashboard/revenue?period=day&from_date=2025-12-01&to_date=2025-12-03",
        &read,
    )
    .await;
    assert_eq!(
        days["data"]["summary"]["highest_day"],
        json!({"period": "2025-12-01", "revenue": 300.0})
    );

    // By product, December's revenue-bearing lines: Gadget 2 + 2 + 1 units,
    // 200 + 200 + 75; Widget 1 + 1 units, 100 + 25 (order 4 is cancelled).
    let body = ok(&stack, "/api/v1/sales/dashboard/revenue?group_by=product", &read).await;
    assert_eq!(
        body["data"],
        json!({"by_product": [
            {"product_id": 102, "sku": "GADGET-002", "name": "Gadget", "units_sold": 5, "revenue": 475.0, "percentage_of_total": 79.17},
            {"product_id": 101, "sku": "WIDGET-001", "name": "Widget", "units_sold": 2, "revenue": 125.0, "percentage_of_total": 20.83}
        ]})
    );
    let top = ok(&stack, "/api/v1/sales/dashboard/revenue?group_by=product&limit=1", &read).await;
    assert_eq!(top["data"]["by_product"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn customer_analytics_by_hand() {
    let (stack, read) = stack("dashboard-endpoints").await;
    let body = ok(&stack, "/api/v1/sales/dashboard/customer-analytics", &read).await;
    // New in December: Beta (first order Dec 2) and Gamma; Acme returns
    // (order 1 in November). Lifetime revenue to Dec 31: Acme 475 (VIP at
    // 400), Beta 200, Gamma 25.
    assert_eq!(
        body["data"]["customer_segmentation"],
        json!({
            "new_customers": {"count": 2, "revenue": 225.0, "average_order_value": 112.5},
            "returning_customers": {"count": 1, "revenue": 375.0, "average_order_value": 187.5},
            "vip_customers": {"count": 1, "revenue": 375.0, "average_order_value": 187.5}
        })
    );
    // Average 700 / 3; median 200; top ceil(3 / 10) = 1 customer: 475.
    assert_eq!(
        body["data"]["customer_lifetime_value"],
        json!({"average": 233.33, "median": 200.0, "top_10_percent": 475.0})
    );
    // Lifetime placed orders 3 + 2 + 1 = 6 over 3; Acme and Beta repeat;
    // gaps: Acme Nov 10 -> Dec 1 -> Dec 15 (21, 14), Beta Dec 2 -> Dec 5 (3):
    // 38 / 3 = 12.67 days.
    assert_eq!(
        body["data"]["purchase_frequency"],
        json!({"average_orders_per_customer": 2.0, "repeat_purchase_rate": 66.67, "time_between_purchases_days": 12.7})
    );
    assert_eq!(
        body["data"]["top_customers"][0],
        json!({"customer_id": 1, "customer_name": "Acme", "total_orders": 2, "total_revenue": 375.0,
               "average_order_value": 187.5, "customer_since": "2025-11-10", "lifetime_value": 475.0})
    );
    assert_eq!(body["data"]["top_customers"][2]["customer_since"], "2025-12-10");
    // November alone: Acme is new, lifetime 100 (not VIP).
    let nov = ok(
        &stack,
        "/api/v1/sales/dashboard/customer-analytics?period=custom&from_date=2025-11-01&to_date=2025-11-30",
        &read,
    )
    .await;
    assert_eq!(nov["data"]["customer_segmentation"]["new_customers"]["count"], 1);
    assert_eq!(nov["data"]["customer_segmentation"]["vip_customers"]["count"], 0);
    assert_eq!(nov["data"]["purchase_frequency"]["time_between_purchases_days"], json!(0.0));
}

#[tokio::test]
async fn performance_kpis_by_hand() {
    let (stack, read) = stack("dashboard-endpoints").await;
    let body = ok(&stack, "/api/v1/sales/dashboard/performance", &read).await;
    assert_eq!(
        body["data"],
        json!({
            "revenue_kpis": {
                // Acme bought in November too: its December revenue 375.
                "monthly_recurring_revenue": 375.0,
                // 600 * 365 / 31
                "annual_run_rate": 7064.52,
                // November 100 -> December 600
                "revenue_growth_rate": 500.0,
                "revenue_per_customer": 200.0
            },
            "efficiency_kpis": {
                // Order 2 (Dec 1) paid off by invoice 2 on Dec 18.
                "order_to_cash_cycle_days": 17.0,
                // Open at Dec 31: 150 + 25 + 45 = 220; invoiced 640; 31 days.
                "days_sales_outstanding": 10.7,
                // Paid 380 of 640.
                "collection_efficiency": 59.38,
                // Orders 2, 3, 7: 2 + 5 + 1 days.
                "order_fulfillment_time_days": 2.7,
                // Opening AR (Nov 30) 100; closing 220; closing not yet due 25:
                // (100 + 640 - 220) / (100 + 640 - 25)
                "collection_effectiveness_index": 72.73,
                // 25 / 640 * 31 = 1.21
                "best_possible_dso": 1.2,
                // 10.656 - 1.211
                "average_days_delinquent": 9.4
            },
            "customer_kpis": {
                // 310 of December's spend over 2 new customers.
                "customer_acquisition_cost": 155.0,
                "customer_lifetime_value": 233.33,
                // 233.33 / 155
                "ltv_to_cac_ratio": 1.5,
                // November's only customer, Acme, bought again.
                "customer_retention_rate": 100.0,
                "churn_rate": 0.0
            },
            "operational_kpis": {
                // Delivered: 2 (accurate), 3 (error); promised: 2 on time, 3 late;
                // returned: 3; cancelled 1 of 5 placed.
                "order_accuracy_rate": 50.0,
                "on_time_delivery_rate": 50.0,
                "order_cancellation_rate": 20.0,
                "return_rate": 50.0
            }
        })
    );
    // November: no previous data (October is empty): growth null; no new
    // customers' spend ratio when nobody is new is null.
    let nov = ok(
        &stack,
        "/api/v1/sales/dashboard/performance?period=custom&from_date=2025-11-01&to_date=2025-11-30",
        &read,
    )
    .await;
    assert_eq!(nov["data"]["revenue_kpis"]["revenue_growth_rate"], Value::Null);
    // CAC: November spend 150 over 1 new customer (Acme); LTV 100.
    assert_eq!(nov["data"]["customer_kpis"]["customer_acquisition_cost"], json!(150.0));
    assert_eq!(nov["data"]["customer_kpis"]["customer_retention_rate"], json!(0.0));
    let empty = ok(
        &stack,
        "/api/v1/sales/dashboard/performance?period=custom&from_date=2024-01-01&to_date=2024-01-31",
        &read,
    )
    .await;
    assert_eq!(empty["data"]["customer_kpis"]["ltv_to_cac_ratio"], Value::Null);
    assert_eq!(empty["data"]["efficiency_kpis"]["collection_effectiveness_index"], Value::Null);
}

#[tokio::test]
async fn bad_input_names_the_parameter() {
    let (stack, read) = stack("dashboard-endpoints").await;
    for (path, parameter) in [
        ("/api/v1/sales/dashboard/revenue?period=fortnight", "period"),
        ("/api/v1/sales/dashboard/revenue?group_by=customer", "group_by"),
        ("/api/v1/sales/dashboard/revenue?group_by=product&period=month", "period"),
        ("/api/v1/sales/dashboard/revenue?from_date=2025-12-31&to_date=2025-12-01", "from_date"),
        ("/api/v1/sales/dashboard/revenue?from_date=2000-01-01&to_date=2025-12-01", "to_date"),
        ("/api/v1/sales/dashboard/revenue?from_date=2025-02-30", "from_date"),
        ("/api/v1/sales/dashboard/widgets/recent-orders?limit=0", "limit"),
        ("/api/v1/sales/dashboard/widgets/recent-orders?limit=101", "limit"),
        ("/api/v1/sales/dashboard/widgets/recent-orders?cursor=nope", "cursor"),
        // The first bad parameter in the handler's order is named: `limit`
        // before `cursor`.
        ("/api/v1/sales/dashboard/widgets/recent-orders?limit=0&cursor=nope", "limit"),
        ("/api/v1/sales/dashboard/widgets/top-customers?limit=0&cursor=nope", "limit"),
        ("/api/v1/sales/dashboard/widgets/top-customers?cursor=nope", "cursor"),
        ("/api/v1/sales/dashboard/widgets/top-customers?perod=month", "perod"),
        ("/api/v1/sales/dashboard/customer-analytics?period=decade", "period"),
        ("/api/v1/sales/dashboard/performance?period=custom&from_date=2025-12-01", "to_date"),
        ("/api/v1/sales/dashboard/widgets/sales-goals?month=2025-12", "month"),
    ] {
        let (status, _, body) = stack.get(path, Some(&read)).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{path}: {body}");
    }
    let (status, _, _) = stack
        .get("/api/v1/sales/dashboard/performance", Some(&token(TENANT, "sales:export")))
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = stack.get("/api/v1/sales/dashboard/revenue", None).await;
    assert_eq!(status, 401);
    // Another tenant sees nothing of December's.
    let (_, _, other) = stack
        .get("/api/v1/sales/dashboard/widgets/top-customers", Some(&token("other", "sales:read")))
        .await;
    assert_eq!(other["data"], json!([]));
}

#[tokio::test]
async fn a_customer_whose_orders_were_all_cancelled_still_ranks_with_a_first_order_date() {
    let mut stack = sales_tests::TestStack::new("cancelled-only", "2025-12-20T12:00:00Z").await;
    let order = json!({"type": "order", "tenant_id": "solo", "id": 1, "version": 1, "updated_at": "2025-12-03T12:00:00Z",
        "order_number": "ORD-1", "customer_id": 5, "source": "api", "status": "cancelled", "currency": "USD",
        "total_amount": "80.00", "ordered_at": "2025-12-03T12:00:00Z"});
    stack.load_and_apply("solo", &[order]).await;
    let (status, _, body) = stack
        .get("/api/v1/sales/dashboard/customer-analytics", Some(&token("solo", "sales:read")))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["top_customers"],
        json!([{"customer_id": 5, "customer_name": "", "total_orders": 1, "total_revenue": 0.0,
                "average_order_value": 0.0, "customer_since": "2025-12-03", "lifetime_value": 0.0}])
    );
    // No revenue-bearing order: no lifetime value, no purchase frequency.
    assert_eq!(body["data"]["customer_lifetime_value"]["average"], json!(0.0));
    assert_eq!(body["data"]["purchase_frequency"]["repeat_purchase_rate"], json!(0.0));
}
