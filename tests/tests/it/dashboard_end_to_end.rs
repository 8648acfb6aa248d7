//! Records loaded through `salesctl load`, applied by the stream pump and
//! the rollup, served by the dashboard router, checked against figures
//! worked out by hand below.

use rust_decimal_macros::dec;
use sales_tests::{TestStack, dec, token};
use serde_json::{Value, json};

const TENANT: &str = "acme";

fn settings(tz: &str) -> Value {
    json!({"type": "tenant_settings", "tenant_id": TENANT, "id": 1, "version": 1,
           "updated_at": "2025-01-01T00:00:00Z", "time_zone": tz, "currency": "USD"})
}

fn order(id: i64, status: &str, amount: &str, ordered_at: &str, extra: Value) -> Value {
    let mut o = json!({"type": "order", "tenant_id": TENANT, "id": id, "version": 1, "updated_at": ordered_at,
        "order_number": format!("ORD-{id}"), "customer_id": 1, "source": "online_store", "status": status,
        "currency": "USD", "total_amount": amount, "ordered_at": ordered_at});
    if let (Value::Object(o), Value::Object(extra)) = (&mut o, extra) {
        o.extend(extra);
    }
    o
}

fn invoice(id: i64, amount: &str, issued_at: &str, due: &str, applications: Value) -> Value {
    json!({"type": "invoice", "tenant_id": TENANT, "id": id, "version": 1, "updated_at": issued_at,
        "invoice_number": format!("INV-{id}"), "customer_id": 1, "status": "sent", "currency": "USD",
        "total_amount": amount, "issued_at": issued_at, "due_date": due, "payment_applications": applications})
}

fn payment(id: i64, status: &str, amount: &str, created_at: &str, extra: Value) -> Value {
    let mut p = json!({"type": "payment", "tenant_id": TENANT, "id": id, "version": 1, "updated_at": created_at,
        "payment_number": format!("PAY-{id}"), "customer_id": 1, "amount": amount, "currency": "USD",
        "method": "credit_card", "status": status, "created_at": created_at});
    if let (Value::Object(p), Value::Object(extra)) = (&mut p, extra) {
        p.extend(extra);
    }
    p
}

/// March 2025 in New York: DST starts on the 9th at 02:00.
fn march_records() -> Vec<Value> {
    vec![
        settings("America/New_York"),
        // 04:59Z on Mar 1 is 23:59 EST on Feb 28: February, not March.
        order(1, "completed", "1000.00", "2025-03-01T04:59:00Z", json!({})),
        // 05:00Z on Mar 1 is midnight EST: March 1.
        order(
            2,
            "completed",
            "100.10",
            "2025-03-01T05:00:00Z",
            json!({"confirmed_at": "2025-03-01T06:00:00Z", "shipped_at": "2025-03-02T06:00:00Z"}),
        ),
        // 03:59Z on Mar 10 is 23:59 EDT on Mar 9 (after the DST change).
        order(
            3,
            "shipped",
            "200.20",
            "2025-03-10T03:59:00Z",
            json!({"confirmed_at": "2025-03-10T04:00:00Z", "shipped_at": "2025-03-11T04:00:00Z"}),
        ),
        // Mar 10 00:00 EDT.
        order(
            4,
            "cancelled",
            "50.00",
            "2025-03-10T04:00:00Z",
            json!({"cancelled_at": "2025-03-10T05:00:00Z"}),
        ),
        order(5, "draft", "10.00", "2025-03-15T12:00:00Z", json!({})),
        order(6, "pending", "0.05", "2025-03-31T23:00:00Z", json!({})),
        // April 1 01:00 EDT (05:00Z).
        order(7, "completed", "999.99", "2025-04-01T05:00:00Z", json!({})),
        // February in New York.
        order(8, "completed", "80.00", "2025-02-10T12:00:00Z", json!({})),
        // Invoices issued in March.
        invoice(
            10,
            "300.00",
            "2025-03-02T15:00:00Z",
            "2025-03-12",
            json!([{"payment_id": 20, "amount": "100.00", "applied_at": "2025-03-05T15:00:00Z"},
                   {"payment_id": 21, "amount": "200.00", "applied_at": "2025-03-22T15:00:00Z"}]),
        ),
        invoice(
            11,
            "100.00",
            "2025-03-03T15:00:00Z",
            "2025-03-10",
            json!([{"payment_id": 22, "amount": "40.00", "applied_at": "2025-03-04T15:00:00Z"}]),
        ),
        invoice(12, "60.00", "2025-03-20T15:00:00Z", "2025-04-30", json!([])),
        // February invoice, paid in March.
        invoice(
            13,
            "50.00",
            "2025-02-20T15:00:00Z",
            "2025-03-20",
            json!([{"payment_id": 23, "amount": "50.00", "applied_at": "2025-03-01T15:00:00Z"}]),
        ),
        payment(20, "completed", "100.00", "2025-03-05T15:00:00Z", json!({"fee_amount": "3.20"})),
        payment(21, "completed", "200.00", "2025-03-22T15:00:00Z", json!({})),
        payment(
            22,
            "refunded",
            "40.00",
            "2025-03-04T15:00:00Z",
            json!({"refunded_amount": "15.00"}),
        ),
        payment(23, "completed", "50.00", "2025-03-01T15:00:00Z", json!({})),
        payment(
            24,
            "failed",
            "75.00",
            "2025-03-06T15:00:00Z",
            json!({"failure_reason": "card_declined"}),
        ),
        payment(25, "disputed", "12.34", "2025-03-07T15:00:00Z", json!({})),
    ]
}

#[tokio::test]
async fn dashboard_matches_hand_computed_figures_in_a_dst_time_zone() {
    let mut stack = TestStack::new("dash", "2025-03-25T16:00:00Z").await;
    let summary = stack.load_and_apply(TENANT, &march_records()).await;
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);
    let read = token(TENANT, "sales:read");

    let (status, _, body) = stack
        .get("/api/v1/sales/dashboard?period=month&compare_to_previous=true", Some(&read))
        .await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(
        data["period"],
        json!({"label": "This Month", "from": "2025-03-01", "to": "2025-03-31", "days": 31})
    );

    // March orders: 2 (100.10 completed), 3 (200.20 shipped), 4 (cancelled),
    // 5 (draft), 6 (0.05 pending). Placed: 2, 3, 4, 6. Revenue-bearing: 2, 3, 6.
    let s = &data["summary"];
    assert_eq!(dec(&s["total_revenue"]), dec!(300.35));
    assert_eq!(s["total_orders"], 4);
    // 300.35 / 3 = 100.1166.. -> 100.12
    assert_eq!(dec(&s["average_order_value"]), dec!(100.12));
    // Issued in March: 10, 11, 12. Paid off in March by payments: 10 (on the
    // 22nd) and 13 (on Mar 1).
    assert_eq!(s["total_invoices_sent"], 3);
    assert_eq!(s["total_invoices_paid"], 2);
    // Paid on March invoices: 300 + 40 of 460 invoiced = 73.913.. -> 73.91
    assert_eq!(dec(&s["collection_rate"]), dec!(73.91));
    // Open at Mar 31: invoice 11 (60.00) and 12 (60.00); 13 paid; 10 paid.
    assert_eq!(dec(&s["outstanding_receivables"]), dec!(120.00));

    let o = &data["orders"];
    assert_eq!(o["new_orders"], 4);
    assert_eq!(o["confirmed_orders"], 2);
    assert_eq!(o["shipped_orders"], 2);
    assert_eq!(o["completed_orders"], 1);
    assert_eq!(o["cancelled_orders"], 1);
    assert_eq!(
        o["orders_by_status"],
        json!({"draft": 1, "pending": 1, "confirmed": 0, "processing": 0, "shipped": 1, "delivered": 0, "completed": 1, "cancelled": 1})
    );

    let i = &data["invoices"];
    assert_eq!(i["invoices_sent"], 3);
    assert_eq!(i["invoices_paid"], 2);
    // Today is Mar 25: invoice 11 (due Mar 10, 60.00 open) is overdue;
    // 12 is due in April.
    assert_eq!(i["invoices_overdue"], 1);
    assert_eq!(dec(&i["total_overdue_amount"]), dec!(60.00));
    // Invoice 10: issued Mar 2, last application Mar 22 -> 20 days.
    assert_eq!(dec(&i["average_days_to_pay"]), dec!(20.0));

    let p = &data["payments"];
    // Captured: 20, 21, 22 (refunded), 23, 25 (disputed).
    assert_eq!(p["payments_received"], 5);
    assert_eq!(dec(&p["total_paid"]), dec!(402.34));
    assert_eq!(p["failed_payments"], 1);
    assert_eq!(p["disputed_payments"], 1);
    assert_eq!(dec(&p["refunded_amount"]), dec!(15.00));

    // February: orders 1 (1000.00, 23:59 EST Feb 28) and 8 (80.00).
    // Revenue +(300.35 - 1080) / 1080 = -72.19%; orders (4 - 2) / 2 = +100%;
    // AOV 100.1166.. vs 540 = -81.46%; February invoiced 50, paid 50: 100%
    // so the rate changed 73.913 - 100 = -26.09 points.
    let c = &data["comparison"];
    assert_eq!(dec(&c["revenue_change_percentage"]), dec!(-72.19));
    assert_eq!(dec(&c["orders_change_percentage"]), dec!(100.00));
    assert_eq!(dec(&c["aov_change_percentage"]), dec!(-81.46));
    assert_eq!(dec(&c["collection_rate_change"]), dec!(-26.09));

    let daily = data["trends"]["daily_revenue"].as_array().unwrap();
    assert_eq!(daily.len(), 31);
    assert_eq!(daily[0], json!({"date": "2025-03-01", "revenue": 100.10}));
    assert_eq!(dec(&daily[8]["revenue"]), dec!(200.20), "Mar 9 local holds the 03:59Z order");
    assert_eq!(dec(&daily[9]["revenue"]), dec!(0), "the cancelled order bears no revenue");
    let orders = data["trends"]["daily_orders"].as_array().unwrap();
    assert_eq!(orders[9], json!({"date": "2025-03-10", "orders": 1}));
    assert_eq!(orders[14]["orders"], 0, "drafts are not placed");

    assert_eq!(body["meta"]["generated_at"], "2025-03-25T16:00:00Z");
    assert!(body["meta"]["data_through"].is_string());

    // A custom single day across the DST change, and a period with no
    // previous data: changes are null.
    let (_, _, day) = stack
        .get(
            "/api/v1/sales/dashboard?period=custom&from_date=2025-03-09&to_date=2025-03-09&compare_to_previous=true",
            Some(&read),
        )
        .await;
    assert_eq!(day["data"]["summary"]["total_orders"], 1);
    assert_eq!(day["data"]["period"]["label"], "Custom");
    assert_eq!(day["data"]["comparison"]["revenue_change_percentage"], Value::Null);
    // Receivables at the end of Mar 9: 10 (300-100), 11 (100-40), 13 (0) = 260.
    assert_eq!(dec(&day["data"]["summary"]["outstanding_receivables"]), dec!(260.00));

    // An empty period.
    let (_, _, empty) = stack
        .get(
            "/api/v1/sales/dashboard?period=custom&from_date=2024-06-01&to_date=2024-06-30",
            Some(&read),
        )
        .await;
    assert_eq!(dec(&empty["data"]["summary"]["total_revenue"]), dec!(0));
    assert_eq!(dec(&empty["data"]["summary"]["average_order_value"]), dec!(0));
    assert_eq!(empty["data"]["comparison"], Value::Null);
}

#[tokio::test]
async fn tenants_never_see_each_others_numbers() {
    let mut stack = TestStack::new("isolation", "2025-03-25T16:00:00Z").await;
    stack.load_and_apply(TENANT, &march_records()).await;
    let other = json!({"type": "order", "tenant_id": "globex", "id": 2, "version": 1, "updated_at": "2025-03-05T12:00:00Z",
        "order_number": "G-1", "customer_id": 9, "source": "api", "status": "completed", "currency": "USD",
        "total_amount": "7.00", "ordered_at": "2025-03-05T12:00:00Z"});
    stack.load_and_apply("globex", &[other]).await;

    let (_, _, a) = stack.get("/api/v1/sales/dashboard", Some(&token(TENANT, "sales:read"))).await;
    let (_, _, b) =
        stack.get("/api/v1/sales/dashboard", Some(&token("globex", "sales:read"))).await;
    let (_, _, c) =
        stack.get("/api/v1/sales/dashboard", Some(&token("initech", "sales:read"))).await;
    assert_eq!(dec(&a["data"]["summary"]["total_revenue"]), dec!(300.35));
    assert_eq!(dec(&b["data"]["summary"]["total_revenue"]), dec!(7.00));
    assert_eq!(b["data"]["summary"]["total_orders"], 1);
    assert_eq!(dec(&c["data"]["summary"]["total_revenue"]), dec!(0));
    // globex has no settings: UTC, so its March is Mar 1..31 UTC too.
    assert_eq!(b["data"]["period"]["from"], "2025-03-01");
}

#[tokio::test]
async fn revenue_and_customers_follow_new_york_dates_across_dst() {
    let mut stack = TestStack::new("dst-revenue", "2025-03-25T16:00:00Z").await;
    stack.load_and_apply(TENANT, &march_records()).await;
    let read = token(TENANT, "sales:read");
    // Mar 8-10 local: order 3 (03:59Z Mar 10) is Mar 9 EDT; order 4 (Mar 10)
    // is cancelled.
    let (status, _, body) = stack
        .get(
            "/api/v1/sales/dashboard/revenue?period=day&from_date=2025-03-08&to_date=2025-03-10",
            Some(&read),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let rows = body["data"]["revenue_by_period"].as_array().unwrap();
    let revenue: Vec<_> = rows.iter().map(|r| dec(&r["revenue"])).collect();
    assert_eq!(revenue, [dec!(0), dec!(200.20), dec!(0)]);
    // ISO weeks: Mar 3-9 holds orders 2 (Mar 1 is the week before) and 3.
    let (_, _, weeks) = stack
        .get(
            "/api/v1/sales/dashboard/revenue?period=week&from_date=2025-03-03&to_date=2025-03-16",
            Some(&read),
        )
        .await;
    assert_eq!(weeks["data"]["revenue_by_period"][0]["period"], "2025-W10");
    assert_eq!(dec(&weeks["data"]["revenue_by_period"][0]["revenue"]), dec!(200.20));
    // February (local) holds order 1 at 23:59 EST on Feb 28 and order 8.
    let (_, _, months) = stack
        .get(
            "/api/v1/sales/dashboard/revenue?period=month&from_date=2025-02-01&to_date=2025-03-31",
            Some(&read),
        )
        .await;
    assert_eq!(dec(&months["data"]["revenue_by_period"][0]["revenue"]), dec!(1080.00));
    assert_eq!(dec(&months["data"]["summary"]["growth_rate"]), dec!(-72.19));
    // The one customer's first order is Feb 10 local; in March they return.
    let (_, _, customers) =
        stack.get("/api/v1/sales/dashboard/customer-analytics", Some(&read)).await;
    assert_eq!(customers["data"]["top_customers"][0]["customer_since"], "2025-02-10");
    assert_eq!(customers["data"]["customer_segmentation"]["returning_customers"]["count"], 1);
}
