//! A small tenant whose every figure for December 2025 is worked out by
//! hand in the tests that load it (`dashboard_endpoints.rs`,
//! `orders_invoices_payments.rs`). Time zone UTC; "today" is 2025-12-20.
//!
//! Customers 1 (Acme, credit limit 1000), 2 (Beta), 3 (Gamma); products 101
//! (Widget), 102 (Gadget); reps 5 (Jane Smith), 6 (Joe Bloggs).
//!
//! | order | customer | rep | source | status | total | ordered | shipped | delivered / promised | lines |
//! |---|---|---|---|---|---|---|---|---|---|
//! | 1 | 1 | 5 | online_store | completed | 100.00 | Nov 10 | Nov 12 | | 101 x2 |
//! | 2 | 1 | 5 | online_store | completed | 300.00 | Dec 1 | Dec 3 | Dec 5 / Dec 6 | 101 x1 100, 102 x2 200 |
//! | 3 | 2 | 6 | phone | delivered | 200.00 | Dec 2 | Dec 7 | Dec 9 / Dec 8, error, returned | 102 x2 |
//! | 4 | 2 | 5 | email | cancelled | 50.00 | Dec 5 | | | 101 x1 |
//! | 5 | 3 | - | api | pending | 25.00 | Dec 10 | | | 101 x1 |
//! | 6 | 3 | 6 | api | draft | 999.00 | Dec 11 | | | |
//! | 7 | 1 | 5 | phone | shipped | 75.00 | Dec 15 | Dec 16 | | 102 x1 |
//!
//! | invoice | customer | order | total | issued | due | applications | other |
//! |---|---|---|---|---|---|---|---|
//! | 1 | 1 | 1 | 100.00 | Nov 12 | Dec 12 | 100 Dec 1 | |
//! | 2 | 1 | 2 | 300.00 | Dec 1 | Dec 15 | 100 Dec 5, 100 Dec 10, 100 Dec 18 | |
//! | 3 | 2 | 3 | 200.00 | Dec 2 | Dec 10 | 50 Dec 8 | |
//! | 4 | 3 | 5 | 25.00 | Dec 10 | Jan 9 | | |
//! | 5 | 2 | - | 40.00 | Dec 3 | Dec 13 | | written off 40 on Dec 14 |
//! | 6 | 1 | - | 60.00 | Dec 4 | Dec 20 | | cancelled after being sent |
//! | 7 | 1 | - | 10.00 | (draft, updated Dec 6) | Dec 31 | | |
//! | 8 | 1 | 7 | 75.00 | Dec 16 | Dec 26 | 30 Dec 17 | |
//!
//! | payment | status | amount | method | gateway | created | other |
//! |---|---|---|---|---|---|---|
//! | 1 | completed | 100.00 | credit_card | stripe | Dec 5 | fee 3.00, 2000 ms, gateway 300 ms |
//! | 2 | completed | 100.00 | bank_transfer | | Dec 10 | 4000 ms |
//! | 3 | refunded | 100.00 | credit_card | stripe | Dec 18 | refunded 100, fee 3.00, 3000 ms, gateway 500 ms |
//! | 4 | failed | 50.00 | credit_card | stripe | Dec 8 | insufficient_funds, retry 2, can retry, gateway 700 ms |
//! | 5 | failed | 30.00 | paypal | paypal | Dec 9 | card_declined, gateway 1000 ms |
//! | 6 | disputed | 30.00 | paypal | paypal | Dec 17 | fee 1.00, gateway 200 ms, dispute needs_response due Dec 22 |
//! | 7 | pending | 20.00 | check | | Dec 19 | |
//! | 8 | completed | 50.00 | credit_card | stripe | Nov 20 | dispute needs_response due Dec 5 |
//! | 9 | completed | 10.00 | cash | | Dec 1 | dispute under_review due Dec 30 |
//!
//! Sales target December 1000.00; marketing spend November 150.00,
//! December 310.00; VIP from 400.00 of lifetime revenue.

use serde_json::{Value, json};

pub const TENANT: &str = "december";
pub const NOW: &str = "2025-12-20T12:00:00Z";

fn record(kind: &str, id: i64, at: &str, body: Value) -> Value {
    let mut r =
        json!({"type": kind, "tenant_id": TENANT, "id": id, "version": 1, "updated_at": at});
    if let (Value::Object(r), Value::Object(body)) = (&mut r, body) {
        r.extend(body);
    }
    r
}

fn day(d: &str) -> String {
    format!("2025-{d}T12:00:00Z")
}

fn line(product: i64, quantity: i64, total: &str) -> Value {
    json!({"product_id": product, "quantity": quantity, "unit_price": total, "line_total": total})
}

/// An order record of the tenant (`on`: `MM-DD` of 2025).
#[allow(clippy::too_many_arguments)]
pub fn order(
    id: i64,
    customer: i64,
    rep: Option<i64>,
    source: &str,
    status: &str,
    total: &str,
    on: &str,
    extra: Value,
) -> Value {
    let mut body = json!({"order_number": format!("ORD-{id}"), "customer_id": customer, "sales_rep_id": rep,
        "source": source, "status": status, "currency": "USD", "total_amount": total, "ordered_at": day(on)});
    if let (Value::Object(b), Value::Object(extra)) = (&mut body, extra) {
        b.extend(extra);
    }
    record("order", id, &day(on), body)
}

#[allow(clippy::too_many_arguments)]
fn invoice(
    id: i64,
    customer: i64,
    order: Option<i64>,
    total: &str,
    issued: &str,
    due: &str,
    apps: Value,
    extra: Value,
) -> Value {
    let mut body = json!({"invoice_number": format!("INV-{id}"), "order_id": order, "customer_id": customer,
        "status": "sent", "currency": "USD", "total_amount": total, "issued_at": day(issued),
        "due_date": due, "payment_applications": apps});
    if let (Value::Object(b), Value::Object(extra)) = (&mut body, extra) {
        b.extend(extra);
    }
    record("invoice", id, &day(issued), body)
}

fn app(payment: i64, amount: &str, on: &str) -> Value {
    json!({"payment_id": payment, "amount": amount, "applied_at": day(on)})
}

#[allow(clippy::too_many_arguments)]
pub fn payment(
    id: i64,
    status: &str,
    amount: &str,
    method: &str,
    gateway: Option<&str>,
    on: &str,
    extra: Value,
) -> Value {
    let mut body = json!({"payment_number": format!("PAY-{id}"), "customer_id": 1, "amount": amount,
        "currency": "USD", "method": method, "gateway": gateway, "status": status, "created_at": day(on)});
    if let (Value::Object(b), Value::Object(extra)) = (&mut body, extra) {
        b.extend(extra);
    }
    record("payment", id, &day(on), body)
}

/// A dispute body.
pub fn dispute(status: &str, disputed: &str, due: &str) -> Value {
    json!({"reason": "fraudulent", "disputed_at": day(disputed), "evidence_due_date": format!("2025-{due}"), "status": status})
}

pub fn records() -> Vec<Value> {
    let customer = |id: i64, name: &str, limit: Value| {
        record(
            "customer",
            id,
            "2025-01-01T00:00:00Z",
            json!({"customer_number": format!("CUST-{id:05}"), "company_name": name,
                   "email": format!("billing@{}.example", name.to_lowercase()), "created_at": "2025-01-01T00:00:00Z",
                   "credit_limit": limit}),
        )
    };
    let at = "2025-01-01T00:00:00Z";
    vec![
        record(
            "tenant_settings",
            1,
            at,
            json!({"time_zone": "UTC", "currency": "USD", "vip_lifetime_revenue": "400.00"}),
        ),
        customer(1, "Acme", json!("1000.00")),
        customer(2, "Beta", Value::Null),
        customer(3, "Gamma", Value::Null),
        record(
            "product",
            101,
            at,
            json!({"sku": "WIDGET-001", "name": "Widget", "category": null}),
        ),
        record(
            "product",
            102,
            at,
            json!({"sku": "GADGET-002", "name": "Gadget", "category": "tools"}),
        ),
        record("sales_rep", 5, at, json!({"name": "Jane Smith", "email": "jane@example.com"})),
        record("sales_rep", 6, at, json!({"name": "Joe Bloggs", "email": "joe@example.com"})),
        record("sales_target", 1, at, json!({"month": "2025-12", "amount": "1000.00"})),
        record("marketing_spend", 1, at, json!({"month": "2025-11", "amount": "150.00"})),
        record("marketing_spend", 2, at, json!({"month": "2025-12", "amount": "310.00"})),
        order(
            1,
            1,
            Some(5),
            "online_store",
            "completed",
            "100.00",
            "11-10",
            json!({"shipped_at": day("11-12"), "lines": [line(101, 2, "100.00")]}),
        ),
        order(
            2,
            1,
            Some(5),
            "online_store",
            "completed",
            "300.00",
            "12-01",
            json!({"confirmed_at": day("12-01"), "shipped_at": day("12-03"), "delivered_at": day("12-05"),
                   "promised_delivery_date": "2025-12-06", "lines": [line(101, 1, "100.00"), line(102, 2, "200.00")]}),
        ),
        order(
            3,
            2,
            Some(6),
            "phone",
            "delivered",
            "200.00",
            "12-02",
            json!({"shipped_at": day("12-07"), "delivered_at": day("12-09"), "promised_delivery_date": "2025-12-08",
                   "fulfillment_error": true, "returned_at": day("12-12"), "lines": [line(102, 2, "200.00")]}),
        ),
        order(
            4,
            2,
            Some(5),
            "email",
            "cancelled",
            "50.00",
            "12-05",
            json!({"cancelled_at": day("12-06"), "lines": [line(101, 1, "50.00")]}),
        ),
        order(
            5,
            3,
            None,
            "api",
            "pending",
            "25.00",
            "12-10",
            json!({"lines": [line(101, 1, "25.00")]}),
        ),
        order(6, 3, Some(6), "api", "draft", "999.00", "12-11", json!({})),
        order(
            7,
            1,
            Some(5),
            "phone",
            "shipped",
            "75.00",
            "12-15",
            json!({"shipped_at": day("12-16"), "lines": [line(102, 1, "75.00")]}),
        ),
        invoice(
            1,
            1,
            Some(1),
            "100.00",
            "11-12",
            "2025-12-12",
            json!([app(90, "100.00", "12-01")]),
            json!({}),
        ),
        invoice(
            2,
            1,
            Some(2),
            "300.00",
            "12-01",
            "2025-12-15",
            json!([
                app(91, "100.00", "12-05"),
                app(92, "100.00", "12-10"),
                app(93, "100.00", "12-18")
            ]),
            json!({}),
        ),
        invoice(
            3,
            2,
            Some(3),
            "200.00",
            "12-02",
            "2025-12-10",
            json!([app(94, "50.00", "12-08")]),
            json!({}),
        ),
        invoice(4, 3, Some(5), "25.00", "12-10", "2026-01-09", json!([]), json!({})),
        invoice(
            5,
            2,
            None,
            "40.00",
            "12-03",
            "2025-12-13",
            json!([]),
            json!({"status": "overdue", "written_off_amount": "40.00", "written_off_at": day("12-14")}),
        ),
        invoice(
            6,
            1,
            None,
            "60.00",
            "12-04",
            "2025-12-20",
            json!([]),
            json!({"status": "cancelled"}),
        ),
        record(
            "invoice",
            7,
            &day("12-06"),
            json!({"invoice_number": "INV-7", "order_id": null, "customer_id": 1,
            "status": "draft", "currency": "USD", "total_amount": "10.00", "issued_at": null,
            "due_date": "2025-12-31", "payment_applications": []}),
        ),
        invoice(
            8,
            1,
            Some(7),
            "75.00",
            "12-16",
            "2025-12-26",
            json!([app(95, "30.00", "12-17")]),
            json!({}),
        ),
        payment(
            1,
            "completed",
            "100.00",
            "credit_card",
            Some("stripe"),
            "12-05",
            json!({"fee_amount": "3.00", "processing_time_ms": 2000, "gateway_response_time_ms": 300}),
        ),
        payment(
            2,
            "completed",
            "100.00",
            "bank_transfer",
            None,
            "12-10",
            json!({"processing_time_ms": 4000}),
        ),
        payment(
            3,
            "refunded",
            "100.00",
            "credit_card",
            Some("stripe"),
            "12-18",
            json!({"refunded_amount": "100.00", "fee_amount": "3.00", "processing_time_ms": 3000, "gateway_response_time_ms": 500}),
        ),
        payment(
            4,
            "failed",
            "50.00",
            "credit_card",
            Some("stripe"),
            "12-08",
            json!({"failure_reason": "insufficient_funds", "failed_at": day("12-08"), "retry_count": 2, "can_retry": true,
                   "gateway_response_time_ms": 700}),
        ),
        payment(
            5,
            "failed",
            "30.00",
            "paypal",
            Some("paypal"),
            "12-09",
            json!({"failure_reason": "card_declined", "failed_at": "2025-12-09T18:00:00Z", "gateway_response_time_ms": 1000}),
        ),
        payment(
            6,
            "disputed",
            "30.00",
            "paypal",
            Some("paypal"),
            "12-17",
            json!({"fee_amount": "1.00", "gateway_response_time_ms": 200, "dispute": dispute("needs_response", "12-18", "12-22")}),
        ),
        payment(7, "pending", "20.00", "check", None, "12-19", json!({})),
        payment(
            8,
            "completed",
            "50.00",
            "credit_card",
            Some("stripe"),
            "11-20",
            json!({"dispute": dispute("needs_response", "11-25", "12-05")}),
        ),
        payment(
            9,
            "completed",
            "10.00",
            "cash",
            None,
            "12-01",
            json!({"dispute": dispute("under_review", "12-02", "12-30")}),
        ),
    ]
}

/// A fresh stack with the December tenant loaded and applied, and a
/// `sales:read` token for it.
pub async fn stack(name: &str) -> (crate::TestStack, String) {
    let mut stack = crate::TestStack::new(name, NOW).await;
    let summary = stack.load_and_apply(TENANT, &records()).await;
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);
    (stack, crate::token(TENANT, "sales:read"))
}

/// A 200 response's body, with the read-cost header and the `meta` every
/// response carries (the clock pinned at [`NOW`]).
pub async fn ok(stack: &crate::TestStack, path: &str, token: &str) -> Value {
    let (status, headers, body) = stack.get(path, Some(token)).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(headers.contains_key("x-items-read"), "{path}");
    assert_eq!(body["meta"]["generated_at"], "2025-12-20T12:00:00Z", "{path}");
    assert!(body["meta"]["data_through"].is_string(), "{path}");
    body
}
