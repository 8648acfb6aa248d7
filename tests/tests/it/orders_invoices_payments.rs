//! Every endpoint of the orders, invoices and payments groups against
//! figures worked out by hand from the December tenant
//! (`tests/support/december.rs`), through `salesctl load`, the stream pump
//! and the real router.

use sales_tests::december::{TENANT, dispute, ok, payment, records, stack};
use sales_tests::{dec, token};
use serde_json::{Value, json};

fn statuses(values: [u64; 8]) -> Value {
    let keys = [
        "draft",
        "pending",
        "confirmed",
        "processing",
        "shipped",
        "delivered",
        "completed",
        "cancelled",
    ];
    Value::Object(keys.iter().zip(values).map(|(k, v)| ((*k).to_owned(), json!(v))).collect())
}

#[tokio::test]
async fn order_performance_metrics_by_hand() {
    let (stack, read) = stack("order-performance").await;
    let body = ok(&stack, "/api/v1/sales/orders/performance-metrics", &read).await;
    let data = &body["data"];
    assert_eq!(data["period"], json!({"from": "2025-12-01", "to": "2025-12-31"}));
    // Placed in December: 2, 3, 4, 5, 7; revenue-bearing 2, 3, 5, 7 = 600.
    let m = &data["order_metrics"];
    assert_eq!(m["total_orders"], 5);
    assert_eq!(m["total_revenue"], json!(600.0));
    assert_eq!(m["average_order_value"], json!(150.0));
    // Median of 25, 75, 200, 300 is 137.50, read from the 0.5% sketch.
    let median = dec(&m["median_order_value"]);
    assert!(
        (median - rust_decimal_macros::dec!(137.50)).abs() <= rust_decimal_macros::dec!(0.69),
        "{median}"
    );
    assert_eq!(
        (m["highest_order_value"].clone(), m["lowest_order_value"].clone()),
        (json!(300.0), json!(25.0))
    );
    assert_eq!(m["orders_by_status"], statuses([1, 1, 0, 0, 1, 1, 1, 1]));
    assert_eq!(m["cancellation_rate"], json!(20.0));
    // Shipped: 2 (2 days), 3 (5), 7 (1); promised: 2 on time, 3 late;
    // order 5 is revenue-bearing and not shipped.
    assert_eq!(
        data["fulfillment_metrics"],
        json!({"average_fulfillment_days": 2.7, "median_fulfillment_days": 2.0, "on_time_delivery_rate": 50.0,
               "late_delivery_rate": 50.0, "fastest_fulfillment_days": 1, "slowest_fulfillment_days": 5,
               "orders_pending_fulfillment": 1})
    );
    // Acme returning (November order), Beta and Gamma new.
    assert_eq!(
        data["customer_metrics"],
        json!({"unique_customers": 3, "new_customers": 2, "returning_customers": 1, "repeat_customer_rate": 33.33,
               "average_orders_per_customer": 1.7})
    );
    assert_eq!(
        data["channel_metrics"]["by_source"],
        json!({"online_store": {"count": 1, "revenue": 300.0}, "phone": {"count": 2, "revenue": 275.0},
               "email": {"count": 1, "revenue": 0.0}, "api": {"count": 1, "revenue": 25.0}})
    );
    // Jane: orders 2, 4, 7 (375 over 2 revenue-bearing); Joe: order 3 (the
    // draft, 6, is not placed).
    assert_eq!(
        data["top_sales_reps"],
        json!([
            {"sales_rep_id": 5, "name": "Jane Smith", "orders": 3, "revenue": 375.0, "average_order_value": 187.5, "win_rate": 66.67},
            {"sales_rep_id": 6, "name": "Joe Bloggs", "orders": 1, "revenue": 200.0, "average_order_value": 200.0, "win_rate": 100.0}
        ])
    );

    // Jane's orders only: 2, 4, 7. Beta's first order ever (3, Joe's) is in
    // December, so Beta is new; Acme ordered in November.
    let jane = ok(&stack, "/api/v1/sales/orders/performance-metrics?sales_rep_id=5", &read).await;
    let data = &jane["data"];
    assert_eq!(data["order_metrics"]["total_orders"], 3);
    assert_eq!(data["order_metrics"]["highest_order_value"], json!(300.0));
    assert_eq!(data["order_metrics"]["lowest_order_value"], json!(75.0));
    assert_eq!(data["order_metrics"]["cancellation_rate"], json!(33.33));
    assert_eq!(data["fulfillment_metrics"]["median_fulfillment_days"], json!(1.5));
    assert_eq!(data["fulfillment_metrics"]["orders_pending_fulfillment"], 0);
    assert_eq!(
        data["customer_metrics"],
        json!({"unique_customers": 2, "new_customers": 1, "returning_customers": 1, "repeat_customer_rate": 50.0,
               "average_orders_per_customer": 1.5})
    );
    assert_eq!(data["top_sales_reps"].as_array().unwrap().len(), 1);

    // An empty period: extremes null, averages 0.
    let empty = ok(
        &stack,
        "/api/v1/sales/orders/performance-metrics?from_date=2024-01-01&to_date=2024-01-31",
        &read,
    )
    .await;
    assert_eq!(empty["data"]["order_metrics"]["highest_order_value"], Value::Null);
    assert_eq!(empty["data"]["order_metrics"]["median_order_value"], json!(0.0));
    assert_eq!(empty["data"]["fulfillment_metrics"]["fastest_fulfillment_days"], Value::Null);
    assert_eq!(empty["data"]["top_sales_reps"], json!([]));
}

#[tokio::test]
async fn high_value_orders_and_status_groups_by_hand() {
    let (stack, read) = stack("high-value").await;
    let body = ok(&stack, "/api/v1/sales/orders/high-value?minimum_amount=100", &read).await;
    assert_eq!(
        body["data"],
        json!([
            {"id": 2, "order_number": "ORD-2", "customer": {"id": 1, "company_name": "Acme"}, "total_amount": 300.0,
             "order_date": "2025-12-01", "status": "completed", "sales_rep": {"id": 5, "name": "Jane Smith"}},
            {"id": 3, "order_number": "ORD-3", "customer": {"id": 2, "company_name": "Beta"}, "total_amount": 200.0,
             "order_date": "2025-12-02", "status": "delivered", "sales_rep": {"id": 6, "name": "Joe Bloggs"}}
        ])
    );
    let meta = &body["meta"];
    assert_eq!(
        (
            &meta["total_orders"],
            &meta["total_value"],
            &meta["average_value"],
            &meta["percentage_of_total_revenue"]
        ),
        (&json!(2), &json!(500.0), &json!(250.0), &json!(83.33))
    );
    // The page holds one row, the totals stay those of the whole result.
    let page =
        ok(&stack, "/api/v1/sales/orders/high-value?minimum_amount=100&limit=1", &read).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["meta"]["total_orders"], 2);
    let cursor = page["meta"]["next_cursor"].as_str().unwrap().to_owned();
    let second = ok(
        &stack,
        &format!("/api/v1/sales/orders/high-value?minimum_amount=100&limit=1&cursor={cursor}"),
        &read,
    )
    .await;
    assert_eq!(second["data"][0]["id"], 3);
    assert_eq!(second["meta"]["next_cursor"], Value::Null);
    // Filters combined: a status and a range.
    let cancelled = ok(
        &stack,
        "/api/v1/sales/orders/high-value?minimum_amount=0&status=cancelled&from_date=2025-12-01&to_date=2025-12-10",
        &read,
    )
    .await;
    assert_eq!(cancelled["data"][0]["id"], 4);
    assert_eq!(cancelled["data"][0]["sales_rep"]["name"], "Jane Smith");
    let pending =
        ok(&stack, "/api/v1/sales/orders/high-value?minimum_amount=10&status=pending", &read).await;
    assert_eq!(pending["data"][0]["sales_rep"], Value::Null);
    // The default minimum (10 000) matches nothing.
    let none = ok(&stack, "/api/v1/sales/orders/high-value", &read).await;
    assert_eq!(none["data"], json!([]));
    assert_eq!(
        (&none["meta"]["total_value"], &none["meta"]["average_value"]),
        (&json!(0.0), &json!(0.0))
    );

    let body = ok(&stack, "/api/v1/sales/orders?group_by=status", &read).await;
    assert_eq!(
        body["data"],
        json!({
            "draft": {"count": 1, "total_value": 999.0}, "pending": {"count": 1, "total_value": 25.0},
            "confirmed": {"count": 0, "total_value": 0.0}, "processing": {"count": 0, "total_value": 0.0},
            "shipped": {"count": 1, "total_value": 75.0}, "delivered": {"count": 1, "total_value": 200.0},
            "completed": {"count": 1, "total_value": 300.0}, "cancelled": {"count": 1, "total_value": 50.0}
        })
    );
}

#[tokio::test]
async fn invoice_statistics_by_hand() {
    let (stack, read) = stack("invoice-statistics").await;
    let body = ok(&stack, "/api/v1/sales/invoices/statistics", &read).await;
    let data = &body["data"];
    // December: drafts 7; cancelled 6; issued and billable 2, 3, 4, 5, 8.
    // Today (Dec 20): 2 paid, 5 written off to zero (paid), 3 overdue (due
    // Dec 10, partly paid), 8 partly paid (due Dec 26), 4 sent.
    assert_eq!(
        data["invoice_counts"],
        json!({"total": 7, "draft": 1, "sent": 1, "partially_paid": 1, "paid": 2, "overdue": 1, "cancelled": 1})
    );
    assert_eq!(
        data["financial_metrics"],
        json!({"total_invoiced": 640.0, "total_paid": 380.0, "total_outstanding": 220.0, "total_overdue": 150.0,
               "average_invoice_value": 128.0, "collection_rate": 59.38, "write_off_amount": 40.0})
    );
    // Paid by payments: invoice 2 only (Dec 1 -> Dec 18, due Dec 15: late).
    // DSO: 220 open at Dec 31 / 640 * 31 = 10.66.
    assert_eq!(
        data["payment_metrics"],
        json!({"average_days_to_pay": 17.0, "median_days_to_pay": 17.0, "on_time_payment_rate": 0.0,
               "late_payment_rate": 100.0, "days_sales_outstanding": 10.7})
    );
    // Aging as of today (before the period's end): 3 is 10 days past due;
    // 4 and 8 are not due.
    assert_eq!(
        data["aging_analysis"],
        json!({"current": 70.0, "1_30_days": 150.0, "31_60_days": 0.0, "61_90_days": 0.0, "over_90_days": 0.0})
    );
    assert_eq!(
        data["top_customers_by_invoices"],
        json!([
            {"customer_id": 1, "customer_name": "Acme", "invoice_count": 2, "total_invoiced": 375.0, "total_paid": 330.0, "payment_performance": "poor"},
            {"customer_id": 2, "customer_name": "Beta", "invoice_count": 2, "total_invoiced": 240.0, "total_paid": 50.0, "payment_performance": "no_history"},
            {"customer_id": 3, "customer_name": "Gamma", "invoice_count": 1, "total_invoiced": 25.0, "total_paid": 0.0, "payment_performance": "no_history"}
        ])
    );

    // Beta only: invoices 3 and 5; 150 open at Dec 31 / 240 * 31 = 19.4.
    let beta = ok(&stack, "/api/v1/sales/invoices/statistics?customer_id=2", &read).await;
    assert_eq!(
        beta["data"]["invoice_counts"],
        json!({"total": 2, "draft": 0, "sent": 0, "partially_paid": 0, "paid": 1, "overdue": 1, "cancelled": 0})
    );
    assert_eq!(beta["data"]["financial_metrics"]["collection_rate"], json!(20.83));
    assert_eq!(beta["data"]["payment_metrics"]["days_sales_outstanding"], json!(19.4));
    assert_eq!(beta["data"]["payment_metrics"]["average_days_to_pay"], json!(0.0));
    assert_eq!(beta["data"]["aging_analysis"]["1_30_days"], json!(150.0));
    assert_eq!(beta["data"]["top_customers_by_invoices"].as_array().unwrap().len(), 1);

    // November: invoice 1, paid Dec 1 (19 days, on time); nothing is open
    // at Nov 30 but invoice 1 itself (100, not due until Dec 12).
    let nov = ok(
        &stack,
        "/api/v1/sales/invoices/statistics?from_date=2025-11-01&to_date=2025-11-30",
        &read,
    )
    .await;
    assert_eq!(nov["data"]["payment_metrics"]["on_time_payment_rate"], json!(100.0));
    assert_eq!(nov["data"]["payment_metrics"]["median_days_to_pay"], json!(19.0));
    assert_eq!(nov["data"]["aging_analysis"]["current"], json!(100.0));
    assert_eq!(nov["data"]["top_customers_by_invoices"][0]["payment_performance"], "excellent");
}

#[tokio::test]
async fn aging_report_by_hand() {
    let (stack, read) = stack("aging").await;
    // As of Dec 12: invoice 2 has 100 left (paid 100 on Dec 5 and Dec 10,
    // the third part comes Dec 18), due Dec 15: current. Invoice 3: 150, 2
    // days late. Invoice 4: 25, current. Invoice 5: 40, due Dec 13 and
    // written off only on Dec 14: current. Invoice 1 was paid Dec 1;
    // invoice 6 is cancelled; invoice 8 is not issued yet.
    let body = ok(
        &stack,
        "/api/v1/sales/invoices/aging-report?as_of_date=2025-12-12&include_paid=true",
        &read,
    )
    .await;
    let data = &body["data"];
    assert_eq!(data["report_date"], "2025-12-12");
    assert_eq!(
        data["aging_buckets"],
        json!({
            "current": {"label": "Current (Not Due)", "count": 3, "total_amount": 165.0, "percentage": 52.38},
            "1_30_days": {"label": "1-30 Days Overdue", "count": 1, "total_amount": 150.0, "percentage": 47.62},
            "31_60_days": {"label": "31-60 Days Overdue", "count": 0, "total_amount": 0.0, "percentage": 0.0},
            "61_90_days": {"label": "61-90 Days Overdue", "count": 0, "total_amount": 0.0, "percentage": 0.0},
            "over_90_days": {"label": "Over 90 Days", "count": 0, "total_amount": 0.0, "percentage": 0.0}
        })
    );
    // Days outstanding: 11, 10, 2, 9. Paid by then: invoice 1 (100.00).
    assert_eq!(
        data["summary"],
        json!({"total_invoices": 4, "total_outstanding": 315.0, "overdue_amount": 150.0, "overdue_percentage": 47.62,
               "average_days_outstanding": 8.0, "paid_invoices": 1, "paid_amount": 100.0})
    );
    assert_eq!(
        data["by_customer"],
        json!([
            {"customer_id": 2, "customer_name": "Beta", "customer_number": "CUST-00002", "current": 40.0, "1_30_days": 150.0,
             "31_60_days": 0.0, "61_90_days": 0.0, "over_90_days": 0.0, "total_outstanding": 190.0, "credit_limit": null, "available_credit": null},
            {"customer_id": 1, "customer_name": "Acme", "customer_number": "CUST-00001", "current": 100.0, "1_30_days": 0.0,
             "31_60_days": 0.0, "61_90_days": 0.0, "over_90_days": 0.0, "total_outstanding": 100.0, "credit_limit": 1000.0, "available_credit": 900.0},
            {"customer_id": 3, "customer_name": "Gamma", "customer_number": "CUST-00003", "current": 25.0, "1_30_days": 0.0,
             "31_60_days": 0.0, "61_90_days": 0.0, "over_90_days": 0.0, "total_outstanding": 25.0, "credit_limit": null, "available_credit": null}
        ])
    );

    // Today (Dec 20), custom buckets: invoice 3 is 10 days late.
    let custom = ok(&stack, "/api/v1/sales/invoices/aging-report?buckets=5,10", &read).await;
    let keys: Vec<&String> = custom["data"]["aging_buckets"].as_object().unwrap().keys().collect();
    // (Value maps sort their keys; the order is checked in the unit tests.)
    assert_eq!(keys, ["1_5_days", "6_10_days", "current", "over_10_days"]);
    assert_eq!(custom["data"]["aging_buckets"]["6_10_days"]["total_amount"], json!(150.0));
    assert_eq!(custom["data"]["aging_buckets"]["current"]["total_amount"], json!(70.0));
    assert_eq!(custom["data"]["by_customer"][0]["6_10_days"], json!(150.0));
    // By issue date: 3 (Dec 2) is 18 days old, 4 (Dec 10) 10, 8 (Dec 16) 4.
    let by_issue = ok(&stack, "/api/v1/sales/invoices/aging-report?age_by=issue_date", &read).await;
    assert_eq!(by_issue["data"]["aging_buckets"]["1_30_days"]["count"], 3);
    // Invoice 6 was sent on Dec 4, then cancelled: before the cancellation
    // it was open (60.00, current as of Dec 12); after it, it is gone.
    let mut sent = records().into_iter().find(|r| r["type"] == "invoice" && r["id"] == 6).unwrap();
    sent["status"] = json!("sent");
    let mut stack = stack;
    let other = "december-sent";
    let mut sent_first = sent.clone();
    sent_first["tenant_id"] = json!(other);
    stack.load_and_apply(other, &[sent_first.clone()]).await;
    let other_read = token(other, "sales:read");
    let before =
        ok(&stack, "/api/v1/sales/invoices/aging-report?as_of_date=2025-12-12", &other_read).await;
    assert_eq!(before["data"]["summary"]["total_outstanding"], json!(60.0));
    let mut cancelled = sent_first;
    cancelled["status"] = json!("cancelled");
    cancelled["version"] = json!(2);
    stack.load_and_apply(other, &[cancelled]).await;
    let after =
        ok(&stack, "/api/v1/sales/invoices/aging-report?as_of_date=2025-12-12", &other_read).await;
    assert_eq!(after["data"]["summary"]["total_invoices"], 0);
    let stats = ok(&stack, "/api/v1/sales/invoices/statistics", &other_read).await;
    assert_eq!(stats["data"]["invoice_counts"]["cancelled"], 1);
    assert_eq!(stats["data"]["financial_metrics"]["total_invoiced"], json!(0.0));

    // One customer, and a date before anything was issued.
    let acme = ok(&stack, "/api/v1/sales/invoices/aging-report?customer_id=1", &read).await;
    assert_eq!(acme["data"]["summary"]["total_outstanding"], json!(45.0));
    let early = ok(
        &stack,
        "/api/v1/sales/invoices/aging-report?as_of_date=2025-01-01&include_paid=true",
        &read,
    )
    .await;
    assert_eq!(early["data"]["summary"]["total_invoices"], 0);
    assert_eq!(early["data"]["by_customer"], json!([]));
    // by_customer pages; the buckets and summary stay whole.
    let first =
        ok(&stack, "/api/v1/sales/invoices/aging-report?as_of_date=2025-12-12&limit=2", &read)
            .await;
    assert_eq!(first["data"]["by_customer"].as_array().unwrap().len(), 2);
    assert_eq!(first["data"]["summary"]["total_outstanding"], json!(315.0));
    assert!(first["meta"]["next_cursor"].is_string());
}

#[tokio::test]
async fn payment_statistics_by_hand() {
    let (stack, read) = stack("payment-statistics").await;
    let body = ok(&stack, "/api/v1/sales/payments/statistics", &read).await;
    let data = &body["data"];
    // December: 1, 2, 9 completed; 3 refunded; 4, 5 failed; 6 disputed; 7
    // pending. Captured: 1, 2, 3, 6, 9 = 340.
    assert_eq!(
        data["payment_counts"],
        json!({"total": 8, "pending": 1, "completed": 3, "failed": 2, "refunded": 1, "disputed": 1})
    );
    assert_eq!(
        data["financial_metrics"],
        json!({"total_processed": 340.0, "total_refunded": 100.0, "total_fees": 7.0, "net_revenue": 233.0, "average_transaction": 68.0})
    );
    assert_eq!(
        data["method_breakdown"],
        json!({
            "credit_card": {"count": 2, "amount": 200.0, "percentage": 58.82, "average_transaction": 100.0, "fees": 6.0},
            "bank_transfer": {"count": 1, "amount": 100.0, "percentage": 29.41, "average_transaction": 100.0, "fees": 0.0},
            "paypal": {"count": 1, "amount": 30.0, "percentage": 8.82, "average_transaction": 30.0, "fees": 1.0},
            "check": {"count": 0, "amount": 0.0, "percentage": 0.0, "average_transaction": 0.0, "fees": 0.0},
            "cash": {"count": 1, "amount": 10.0, "percentage": 2.94, "average_transaction": 10.0, "fees": 0.0}
        })
    );
    assert_eq!(
        data["success_metrics"],
        json!({"success_rate": 62.5, "failure_rate": 25.0, "refund_rate": 12.5, "dispute_rate": 12.5, "average_processing_time_seconds": 3.0})
    );
    assert_eq!(
        data["gateway_performance"],
        json!({"stripe": {"count": 3, "success_rate": 66.67, "average_response_time_ms": 500},
               "paypal": {"count": 2, "success_rate": 50.0, "average_response_time_ms": 600}})
    );
    // Credit cards: 1, 3, 4.
    let cards = ok(&stack, "/api/v1/sales/payments/statistics?method=credit_card", &read).await;
    assert_eq!(cards["data"]["payment_counts"]["total"], 3);
    assert_eq!(cards["data"]["financial_metrics"]["net_revenue"], json!(94.0));
    assert_eq!(cards["data"]["success_metrics"]["average_processing_time_seconds"], json!(2.5));
    assert_eq!(cards["data"]["gateway_performance"]["paypal"]["count"], 0);
    // Filters combined, and an empty result.
    let failed_paypal =
        ok(&stack, "/api/v1/sales/payments/statistics?method=paypal&status=failed", &read).await;
    assert_eq!(failed_paypal["data"]["payment_counts"]["total"], 1);
    assert_eq!(failed_paypal["data"]["success_metrics"]["failure_rate"], json!(100.0));
    let none =
        ok(&stack, "/api/v1/sales/payments/statistics?method=check&status=completed", &read).await;
    assert_eq!(none["data"]["payment_counts"]["total"], 0);
    assert_eq!(none["data"]["financial_metrics"]["average_transaction"], json!(0.0));
}

#[tokio::test]
async fn failed_and_disputed_payments_by_hand() {
    let (mut stack, read) = stack("failed-disputed").await;
    let body = ok(&stack, "/api/v1/sales/payments/failed", &read).await;
    assert_eq!(
        body["data"],
        json!([
            {"id": 5, "payment_number": "PAY-5", "amount": 30.0, "method": "paypal", "failure_reason": "card_declined",
             "failed_at": "2025-12-09T18:00:00Z", "retry_count": 0, "can_retry": false,
             "customer": {"id": 1, "company_name": "Acme", "email": "billing@acme.example"}},
            {"id": 4, "payment_number": "PAY-4", "amount": 50.0, "method": "credit_card", "failure_reason": "insufficient_funds",
             "failed_at": "2025-12-08T12:00:00Z", "retry_count": 2, "can_retry": true,
             "customer": {"id": 1, "company_name": "Acme", "email": "billing@acme.example"}}
        ])
    );
    assert_eq!(
        (
            &body["meta"]["total_failed"],
            &body["meta"]["total_failed_amount"],
            &body["meta"]["retryable_count"],
            &body["meta"]["retryable_amount"]
        ),
        (&json!(2), &json!(80.0), &json!(1), &json!(50.0))
    );
    assert_eq!(
        body["meta"]["by_reason"],
        json!({"insufficient_funds": 1, "card_declined": 1, "expired_card": 0, "invalid_details": 0, "other": 0})
    );

    // Open disputes today (Dec 20), by evidence due date: 8 (Dec 5, 15 days
    // late), 6 (Dec 22, 2 days: urgent), 9 (Dec 30; the payment itself is
    // completed, the dispute is open).
    let body = ok(&stack, "/api/v1/sales/payments/disputed", &read).await;
    assert_eq!(
        body["data"],
        json!([
            {"id": 8, "payment_number": "PAY-8", "amount": 50.0, "dispute_reason": "fraudulent", "disputed_at": "2025-11-25T12:00:00Z",
             "evidence_due_date": "2025-12-05", "days_to_respond": -15, "requires_urgent_action": true},
            {"id": 6, "payment_number": "PAY-6", "amount": 30.0, "dispute_reason": "fraudulent", "disputed_at": "2025-12-18T12:00:00Z",
             "evidence_due_date": "2025-12-22", "days_to_respond": 2, "requires_urgent_action": true},
            {"id": 9, "payment_number": "PAY-9", "amount": 10.0, "dispute_reason": "fraudulent", "disputed_at": "2025-12-02T12:00:00Z",
             "evidence_due_date": "2025-12-30", "days_to_respond": 10, "requires_urgent_action": false}
        ])
    );
    let meta = &body["meta"];
    assert_eq!(
        [
            &meta["total_disputed"],
            &meta["total_disputed_amount"],
            &meta["evidence_required"],
            &meta["urgent_disputes"],
            &meta["won_disputes"],
            &meta["lost_disputes"]
        ],
        [&json!(3), &json!(90.0), &json!(2), &json!(2), &json!(0), &json!(0)]
    );

    // Payment 8's dispute is won; payment 4 is retried and succeeds.
    let mut won = payment(
        8,
        "completed",
        "50.00",
        "credit_card",
        Some("stripe"),
        "11-20",
        json!({"dispute": dispute("won", "11-25", "12-05")}),
    );
    won["version"] = json!(2);
    let mut retried = payment(
        4,
        "completed",
        "50.00",
        "credit_card",
        Some("stripe"),
        "12-08",
        json!({"retry_count": 3, "gateway_response_time_ms": 700, "processing_time_ms": 1000}),
    );
    retried["version"] = json!(2);
    stack.load_and_apply(TENANT, &[won, retried]).await;
    let body = ok(&stack, "/api/v1/sales/payments/disputed", &read).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        (&body["meta"]["won_disputes"], &body["meta"]["total_disputed_amount"]),
        (&json!(1), &json!(40.0))
    );
    let failed = ok(&stack, "/api/v1/sales/payments/failed", &read).await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&failed["meta"]["total_failed"], &failed["meta"]["retryable_count"]),
        (&json!(1), &json!(0))
    );
    let stats = ok(&stack, "/api/v1/sales/payments/statistics", &read).await;
    assert_eq!(stats["data"]["financial_metrics"]["total_processed"], json!(390.0));
    assert_eq!(stats["data"]["gateway_performance"]["stripe"]["success_rate"], json!(100.0));
    // An empty month.
    let empty =
        ok(&stack, "/api/v1/sales/payments/failed?from_date=2024-01-01&to_date=2024-01-31", &read)
            .await;
    assert_eq!((&empty["data"], &empty["meta"]["total_failed"]), (&json!([]), &json!(0)));
}

#[tokio::test]
async fn bad_input_names_the_parameter() {
    let (stack, read) = stack("bad-input").await;
    for (path, parameter) in [
        ("/api/v1/sales/orders/performance-metrics?sales_rep_id=abc", "sales_rep_id"),
        ("/api/v1/sales/orders/performance-metrics?sales_rep_id=-5", "sales_rep_id"),
        ("/api/v1/sales/orders/high-value?minimum_amount=-1", "minimum_amount"),
        ("/api/v1/sales/orders/high-value?minimum_amount=ten", "minimum_amount"),
        ("/api/v1/sales/orders/high-value?status=shiped", "status"),
        ("/api/v1/sales/orders/high-value?from_date=2025-12-10&to_date=2025-12-01", "from_date"),
        ("/api/v1/sales/orders?group_by=customer", "group_by"),
        ("/api/v1/sales/orders", "group_by"),
        ("/api/v1/sales/invoices/statistics?customer_id=0", "customer_id"),
        ("/api/v1/sales/invoices/statistics?from_date=12/01/2025", "from_date"),
        ("/api/v1/sales/invoices/aging-report?as_of_date=2025-13-01", "as_of_date"),
        ("/api/v1/sales/invoices/aging-report?buckets=60,30", "buckets"),
        ("/api/v1/sales/invoices/aging-report?buckets=30,x", "buckets"),
        ("/api/v1/sales/invoices/aging-report?buckets=1,2,3,4,5,6,7,8,9", "buckets"),
        ("/api/v1/sales/invoices/aging-report?age_by=due", "age_by"),
        ("/api/v1/sales/invoices/aging-report?include_paid=yes", "include_paid"),
        ("/api/v1/sales/payments/statistics?method=bitcoin", "method"),
        ("/api/v1/sales/payments/statistics?status=lost", "status"),
        ("/api/v1/sales/payments/statistics?methd=cash", "methd"),
        ("/api/v1/sales/payments/failed?limit=1000", "limit"),
        ("/api/v1/sales/payments/disputed?cursor=%%%", "cursor"),
    ] {
        let (status, _, body) = stack.get(path, Some(&read)).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{path}: {body}");
    }
    for path in [
        "/api/v1/sales/orders/high-value",
        "/api/v1/sales/invoices/aging-report",
        "/api/v1/sales/payments/disputed",
    ] {
        let (status, _, _) = stack.get(path, Some(&token(TENANT, "sales:export"))).await;
        assert_eq!(status, 403, "{path}");
        let (status, _, _) = stack.get(path, None).await;
        assert_eq!(status, 401, "{path}");
    }
    // Another tenant sees none of December's rows.
    let other = token("other", "sales:read");
    let (_, _, aging) =
        stack.get("/api/v1/sales/invoices/aging-report?include_paid=true", Some(&other)).await;
    assert_eq!(aging["data"]["by_customer"], json!([]));
    let (_, _, disputes) = stack.get("/api/v1/sales/payments/disputed", Some(&other)).await;
    assert_eq!(disputes["data"], json!([]));
}
