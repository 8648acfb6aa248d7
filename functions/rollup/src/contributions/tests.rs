use super::*;
use sales_shared::records::parse_record;

fn record(json: serde_json::Value) -> SourceRecord {
    parse_record(&json.to_string()).unwrap()
}

fn order(status: &str, amount: &str, ordered_at: &str) -> SourceRecord {
    record(serde_json::json!({
        "type": "order", "tenant_id": "t1", "id": 1, "version": 1, "updated_at": ordered_at,
        "order_number": "ORD-1", "customer_id": 1, "source": "phone", "status": status,
        "currency": "USD", "total_amount": amount, "ordered_at": ordered_at,
        "confirmed_at": ordered_at
    }))
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn order_lands_on_its_local_date() {
    let ny: Tz = "America/New_York".parse().unwrap();
    // 03:00Z on Dec 2 is 22:00 on Dec 1 in New York.
    let c = contribution(&order("completed", "100.25", "2025-12-02T03:00:00Z"), ny);
    let m = &c.measures(family::ORDERS, d("2025-12-01"));
    assert_eq!(m["revenue"], 10025);
    assert_eq!(m["placed"], 1);
    assert_eq!(m["revenue_bearing"], 1);
    assert_eq!(m["confirmed"], 1);
    assert_eq!(m["status_completed"], 1);
    assert!(!m.contains_key("shipped"));
    let utc = contribution(&order("completed", "100.25", "2025-12-02T03:00:00Z"), chrono_tz::UTC);
    assert!(!utc.measures(family::ORDERS, d("2025-12-02")).is_empty());
}

#[test]
fn drafts_and_cancelled_orders_bear_no_revenue() {
    let draft = contribution(&order("draft", "50.00", "2025-12-02T12:00:00Z"), chrono_tz::UTC);
    let m = &draft.measures(family::ORDERS, d("2025-12-02"));
    assert_eq!(m.get("placed"), None);
    assert_eq!(m["status_draft"], 1);
    let cancelled =
        contribution(&order("cancelled", "50.00", "2025-12-02T12:00:00Z"), chrono_tz::UTC);
    let m = &cancelled.measures(family::ORDERS, d("2025-12-02"));
    assert_eq!(m["placed"], 1);
    assert_eq!(m.get("revenue"), None);
}

#[test]
fn update_delta_moves_revenue_between_buckets_and_cancels_out() {
    let old = contribution(&order("pending", "10.00", "2025-12-31T12:00:00Z"), chrono_tz::UTC);
    let new = contribution(&order("completed", "12.50", "2026-01-01T12:00:00Z"), chrono_tz::UTC);
    let delta = Delta::between("t1", &old, &new);
    let get = |sk: &str| {
        delta.adds.get(&("t1#orders".to_owned(), sk.to_owned())).cloned().unwrap_or_default()
    };
    assert_eq!(get("D#2025-12-31")["revenue"], -1000);
    assert_eq!(get("M#2025-12")["status_pending"], -1);
    assert_eq!(get("Y#2026")["revenue"], 1250);
    assert_eq!(get("Y#2026")["status_completed"], 1);
    // Same record, same content: nothing to write.
    assert_eq!(Delta::between("t1", &new, &new).item_count(), 0);
    // Applying old->new then new->old nets to zero.
    let mut round_trip = delta.clone();
    round_trip.merge(&Delta::between("t1", &new, &old));
    assert!(round_trip.adds.is_empty());
}

#[test]
fn invoice_receivables_days_to_pay_and_open_index() {
    let invoice = record(serde_json::json!({
        "type": "invoice", "tenant_id": "t1", "id": 9, "version": 1, "updated_at": "2025-12-20T00:00:00Z",
        "invoice_number": "INV-9", "customer_id": 4, "status": "partially_paid", "currency": "USD",
        "total_amount": "100.00", "issued_at": "2025-12-01T10:00:00Z", "due_date": "2025-12-31",
        "payment_applications": [
            {"payment_id": 1, "amount": "30.00", "applied_at": "2025-12-05T10:00:00Z"},
            {"payment_id": 2, "amount": "20.00", "applied_at": "2025-11-30T10:00:00Z"}
        ]
    }));
    let c = contribution(&invoice, chrono_tz::UTC);
    let on = |day: &str| c.measures(family::INVOICES, d(day));
    // +100 at issue, -20 (applied before issue: counted at issue), -30 on the 5th.
    assert_eq!(on("2025-12-01")["ar_change"], 10000 - 2000);
    assert_eq!(on("2025-12-05")["ar_change"], -3000);
    assert_eq!(on("2025-12-01")["paid"], 5000);
    assert_eq!(on("2025-12-01").get("paid_by_payments"), None);
    let pks: Vec<&str> = c
        .items
        .keys()
        .map(|(pk, _)| pk.as_str())
        .filter(|pk| pk.starts_with("t1#invoices_by_close"))
        .collect();
    assert_eq!(
        pks,
        [
            "t1#invoices_by_close#D#2025-12-01",
            "t1#invoices_by_close#M#2025-12",
            "t1#invoices_by_close#Y#2025#1"
        ],
        "under its issue day, month and year (shard 9 mod 4)"
    );
    let ((_, sk), item) = c.items.iter().next().unwrap();
    assert_eq!(sk, &format!("9999-12-31#{:020}", 9), "open: keyed as still open");
    assert_eq!(item["balance"].as_n().unwrap(), "5000");
    assert_eq!(item["due_date"].as_s().unwrap(), "2025-12-31");

    let mut paid = invoice.clone();
    if let Some(RecordBody::Invoice(inv)) = &mut paid.body {
        inv.payment_applications.push(sales_shared::records::PaymentApplication {
            payment_id: 3,
            amount: "50.00".parse().unwrap(),
            applied_at: "2025-12-21T23:00:00-05:00".parse().unwrap(),
        });
    }
    let c = contribution(&paid, chrono_tz::UTC);
    let (key, item) = c.items.iter().next().unwrap();
    assert_eq!(
        key.1,
        format!("2025-12-22#{:020}", 9),
        "closed on the local date of the last payment"
    );
    assert_eq!(item["balance"].as_n().unwrap(), "0");
    assert_eq!(c.measures(family::INVOICES, d("2025-12-01"))["paid_by_payments"], 1);
    // Last application is 04:00Z on the 22nd: 21 days after issue.
    assert_eq!(c.measures(family::INVOICES, d("2025-12-01"))["days_to_pay"], 21);
    assert_eq!(c.measures(family::INVOICES, d("2025-12-22"))["paid_off"], 1);
}

#[test]
fn captured_payments_and_refunds() {
    let p = record(serde_json::json!({
        "type": "payment", "tenant_id": "t1", "id": 3, "version": 1, "updated_at": "2025-12-01T00:00:00Z",
        "payment_number": "PAY-3", "customer_id": 1, "amount": "80.00", "currency": "USD",
        "method": "paypal", "status": "refunded", "created_at": "2025-12-01T00:00:00Z",
        "fee_amount": "2.40", "refunded_amount": "80.00"
    }));
    let c = contribution(&p, chrono_tz::UTC);
    let m = &c.measures(family::PAYMENTS, d("2025-12-01"));
    assert_eq!(
        (m["captured"], m["processed"], m["fees"], m["refunded"], m["status_refunded"]),
        (1, 8000, 240, 8000, 1)
    );
}

#[test]
fn tombstones_contribute_nothing() {
    let mut gone = order("completed", "10.00", "2025-12-01T00:00:00Z");
    gone.body = None;
    assert_eq!(contribution(&gone, chrono_tz::UTC), Contribution::default());
}

#[test]
fn order_channel_fulfillment_delivery_and_rep_slice() {
    let record = record(serde_json::json!({
        "type": "order", "tenant_id": "t1", "id": 5, "version": 1, "updated_at": "2025-12-20T00:00:00Z",
        "order_number": "ORD-5", "customer_id": 1, "sales_rep_id": 7, "source": "email", "status": "delivered",
        "currency": "USD", "total_amount": "40.00", "ordered_at": "2025-12-01T10:00:00Z",
        "shipped_at": "2025-12-04T23:30:00Z", "delivered_at": "2025-12-08T10:00:00Z",
        "promised_delivery_date": "2025-12-07", "returned_at": "2025-12-15T10:00:00Z", "fulfillment_error": true
    }));
    let c = contribution(&record, chrono_tz::UTC);
    let m = c.measures(family::ORDERS, d("2025-12-01"));
    assert_eq!((m["source_email_placed"], m["source_email_revenue"]), (1, 4000));
    // Shipped on the 4th (UTC): 3 days.
    assert_eq!(
        (m["fulfilled"], m["fulfillment_days"], m[&measure::fulfillment_days_bin(3)]),
        (1, 3, 1)
    );
    assert_eq!(m.get("pending_fulfillment"), None);
    // Delivered on the 8th, promised the 7th: late; with an error; returned.
    assert_eq!((m["delivery_promised"], m.get("delivered_on_time")), (1, None));
    assert_eq!((m["delivered"], m.get("delivered_accurate")), (1, None));
    assert_eq!((m["revenue_bearing_delivered"], m["revenue_bearing_returned"]), (1, 1));
    // In New York the ship date is the 4th 18:30: still 3 days; the rep's
    // slice holds the same measures.
    let ny = contribution(&record, "America/New_York".parse().unwrap());
    assert_eq!(
        ny.measures(&family::orders_of_rep(7), d("2025-12-01")),
        ny.measures(family::ORDERS, d("2025-12-01"))
    );
}

#[test]
fn payment_breakdowns_and_slices() {
    let failed = record(serde_json::json!({
        "type": "payment", "tenant_id": "t1", "id": 4, "version": 1, "updated_at": "2025-12-01T00:00:00Z",
        "payment_number": "PAY-4", "customer_id": 1, "amount": "99.00", "currency": "USD", "method": "credit_card",
        "gateway": "stripe", "status": "failed", "created_at": "2025-12-01T00:00:00Z", "can_retry": true,
        "gateway_response_time_ms": 800
    }));
    let c = contribution(&failed, chrono_tz::UTC);
    let m = c.measures(family::PAYMENTS, d("2025-12-01"));
    assert_eq!(
        (m["failed_amount"], m["retryable"], m["retryable_amount"], m["reason_other"]),
        (9900, 1, 9900, 1)
    );
    assert_eq!(
        (m["gateway_stripe_count"], m["gateway_stripe_failed"], m.get("gateway_stripe_captured")),
        (1, 1, None)
    );
    assert_eq!((m["gateway_stripe_response_ms"], m["gateway_stripe_responses"]), (800, 1));
    for slice in [
        family::payments_of(Some("credit_card"), None),
        family::payments_of(None, Some("failed")),
        family::payments_of(Some("credit_card"), Some("failed")),
    ] {
        assert_eq!(c.measures(&slice, d("2025-12-01")), m, "{slice}");
    }
    assert!(c.measures(&family::payments_of(Some("paypal"), None), d("2025-12-01")).is_empty());

    let card = record(serde_json::json!({
        "type": "payment", "tenant_id": "t1", "id": 5, "version": 1, "updated_at": "2025-12-01T00:00:00Z",
        "payment_number": "PAY-5", "customer_id": 1, "amount": "100.00", "currency": "USD", "method": "credit_card",
        "gateway": "stripe", "status": "completed", "created_at": "2025-12-01T00:00:00Z", "fee_amount": "3.20",
        "processing_time_ms": 4500
    }));
    let m = contribution(&card, chrono_tz::UTC).measures(family::PAYMENTS, d("2025-12-01"));
    assert_eq!(
        (
            m["method_credit_card_captured"],
            m["method_credit_card_amount"],
            m["method_credit_card_fees"]
        ),
        (1, 10000, 320)
    );
    assert_eq!(
        (m["processing_ms"], m["processing_timed"], m["gateway_stripe_captured"]),
        (4500, 1, 1)
    );
}

#[test]
fn days_to_pay_histogram_on_time_drafts_and_customer_slice() {
    let paid = record(serde_json::json!({
        "type": "invoice", "tenant_id": "t1", "id": 9, "version": 1, "updated_at": "2025-12-20T00:00:00Z",
        "invoice_number": "INV-9", "customer_id": 4, "status": "paid", "currency": "USD",
        "total_amount": "10.00", "issued_at": "2025-12-01T10:00:00Z", "due_date": "2025-12-10",
        "payment_applications": [{"payment_id": 1, "amount": "10.00", "applied_at": "2025-12-12T10:00:00Z"}]
    }));
    let c = contribution(&paid, chrono_tz::UTC);
    let m = c.measures(family::INVOICES, d("2025-12-01"));
    assert_eq!(
        (m[&measure::days_to_pay_bin(11)], m.get("paid_on_time")),
        (1, None),
        "paid 2 days after the due date"
    );
    assert_eq!(c.measures(&family::invoices_of_customer(4), d("2025-12-12"))["paid_off"], 1);

    let draft = record(serde_json::json!({
        "type": "invoice", "tenant_id": "t1", "id": 10, "version": 1, "updated_at": "2025-12-03T02:00:00Z",
        "invoice_number": "INV-10", "customer_id": 4, "status": "draft", "currency": "USD",
        "total_amount": "10.00", "due_date": "2025-12-31"
    }));
    // 02:00Z on the 3rd is the 2nd in New York.
    let c = contribution(&draft, "America/New_York".parse().unwrap());
    assert_eq!(c.measures(family::INVOICES, d("2025-12-02"))["drafts"], 1);
    assert!(c.items.is_empty());
}

#[test]
fn dimensions_are_copied_whole() {
    let customer = record(serde_json::json!({
        "type": "customer", "tenant_id": "t1", "id": 42, "version": 1, "updated_at": "2025-12-01T00:00:00Z",
        "customer_number": "CUST-00042", "company_name": "Acme", "email": "a@acme.test", "credit_limit": "100.00"
    }));
    let c = contribution(&customer, chrono_tz::UTC);
    let (key, item) = c.items.iter().next().unwrap();
    assert_eq!(key, &("t1#customers".to_owned(), format!("{:020}", 42)));
    assert!(item["record"].as_s().unwrap().contains("CUST-00042"));
}

#[test]
fn order_feeds_customer_product_sketch_and_indexes() {
    let record = record(serde_json::json!({
        "type": "order", "tenant_id": "t1", "id": 12, "version": 1, "updated_at": "2025-12-20T00:00:00Z",
        "order_number": "ORD-12", "customer_id": 9, "sales_rep_id": 3, "source": "api", "status": "completed",
        "currency": "USD", "total_amount": "25.00", "ordered_at": "2025-12-01T10:00:00Z",
        "lines": [{"product_id": 4, "quantity": 2, "unit_price": "10.00", "line_total": "20.00"},
                  {"product_id": 5, "quantity": 1, "unit_price": "5.00", "line_total": "5.00"}]
    }));
    let c = contribution(&record, chrono_tz::UTC);
    let day = d("2025-12-01");
    let customer = c.entity(family::CUSTOMER_SALES, day, 9);
    assert_eq!(
        (customer["placed"], customer["revenue_bearing"], customer["revenue"]),
        (1, 1, 2500)
    );
    assert_eq!(c.entity("customer_sales@rep=3", day, 9), customer);
    let shard4 = c.entity(family::PRODUCT_SALES, day, 4);
    assert_eq!(
        (
            shard4["p4_units"],
            shard4["p4_revenue"],
            c.entity(family::PRODUCT_SALES, day, 5)["p5_units"]
        ),
        (2, 2000, 1)
    );
    // One item per entity and bucket.
    let delta = Delta::between("t1", &Contribution::default(), &c);
    let year = &delta.adds[&("t1#customer_sales".to_owned(), format!("Y#2025#{:020}", 9))];
    assert_eq!(year["revenue"], 2500);
    assert!(
        delta
            .adds
            .contains_key(&("t1#product_sales".to_owned(), format!("D#2025-12-01#{:020}", 5)))
    );

    // The order-value sketch in the day and month items, not the year's.
    let bin = sketch::bin_name(2500);
    for (pk, sk, count) in [
        ("t1#orders", "D#2025-12-01", Some(&1)),
        ("t1#orders", "M#2025-12", Some(&1)),
        ("t1#orders", "Y#2025", None),
        ("t1#orders@rep=3", "M#2025-12", Some(&1)),
        ("t1#orders@rep=3", "Y#2025", None),
    ] {
        assert_eq!(delta.adds[&(pk.to_owned(), sk.to_owned())].get(&bin), count, "{pk} {sk}");
    }
    // By-amount index in day, month and year partitions, and recent orders.
    let pks: Vec<&str> = c.items.keys().map(|(pk, _)| pk.as_str()).collect();
    assert_eq!(
        pks,
        vec![
            "t1#orders_by_amount#D#2025-12-01",
            "t1#orders_by_amount#M#2025-12",
            "t1#orders_by_amount#Y#2025",
            "t1#orders_by_date#2025-12",
            "t1#recent_orders"
        ]
    );
    let by_date =
        &c.items[&("t1#orders_by_date#2025-12".to_owned(), format!("2025-12-01#{:020}", 12))];
    assert_eq!(by_date["source"].as_s().unwrap(), "api");
    // The customer's order days.
    let days = &c.counters[&("t1#customer_days#1".to_owned(), format!("{:020}", 9))];
    assert_eq!(days["d20251201"], 1);
    let sk = &c.items.keys().next().unwrap().1;
    assert_eq!(sk, &format!("{:015}#{:020}", 2500, 12));
    assert!(c.items.keys().any(|(_, sk)| sk.starts_with("2025-12-01T10:00:00.000000000Z#")));
}

#[test]
fn failed_payments_and_disputes_are_indexed() {
    let failed = record(serde_json::json!({
        "type": "payment", "tenant_id": "t1", "id": 8, "version": 1, "updated_at": "2025-12-02T00:00:00Z",
        "payment_number": "PAY-8", "customer_id": 1, "amount": "12.00", "currency": "USD", "method": "paypal",
        "status": "failed", "created_at": "2025-12-01T10:00:00Z", "failed_at": "2025-12-01T10:05:00Z",
        "failure_reason": "insufficient_funds", "retry_count": 2, "can_retry": true
    }));
    let c = contribution(&failed, chrono_tz::UTC);
    let (key, item) = c.items.iter().find(|((pk, _), _)| pk.ends_with("#D#2025-12-01")).unwrap();
    assert_eq!(key.0, "t1#failed_payments#D#2025-12-01");
    assert_eq!(item["failure_reason"].as_s().unwrap(), "insufficient_funds");
    assert_eq!(item["retry_count"].as_n().unwrap(), "2");

    let disputed = record(serde_json::json!({
        "type": "payment", "tenant_id": "t1", "id": 9, "version": 1, "updated_at": "2025-12-02T00:00:00Z",
        "payment_number": "PAY-9", "customer_id": 1, "amount": "30.00", "currency": "USD", "method": "credit_card",
        "status": "disputed", "created_at": "2025-12-01T10:00:00Z",
        "dispute": {"reason": "fraudulent", "disputed_at": "2025-12-03T00:00:00Z", "evidence_due_date": "2025-12-17", "status": "needs_response"}
    }));
    let c = contribution(&disputed, chrono_tz::UTC);
    assert_eq!(
        c.measures(family::DISPUTES, d("2025-12-03"))["dispute_needs_response_amount"],
        3000
    );
    let (key, _) = c.items.iter().next().unwrap();
    assert_eq!(key, &("t1#open_disputes".to_owned(), format!("2025-12-17#{:020}", 9)));
    // Won: counted, no longer open.
    let mut won = disputed.clone();
    if let Some(RecordBody::Payment(p)) = &mut won.body {
        p.dispute.as_mut().unwrap().status = sales_shared::records::DisputeStatus::Won;
    }
    let c = contribution(&won, chrono_tz::UTC);
    assert_eq!(c.measures(family::DISPUTES, d("2025-12-03"))["dispute_won"], 1);
    assert!(c.items.is_empty());
}

#[test]
fn an_order_with_many_lines_fits_one_transaction() {
    let lines: Vec<serde_json::Value> = (1..=200)
        .map(|p| serde_json::json!({"product_id": p, "quantity": 1, "unit_price": "1.00", "line_total": "1.00"}))
        .collect();
    let old = record(serde_json::json!({
        "type": "order", "tenant_id": "t1", "id": 12, "version": 1, "updated_at": "2025-12-20T00:00:00Z",
        "order_number": "ORD-12", "customer_id": 9, "sales_rep_id": 3, "source": "api", "status": "completed",
        "currency": "USD", "total_amount": "200.00", "ordered_at": "2025-12-01T10:00:00Z", "lines": lines,
        "shipped_at": "2025-12-02T10:00:00Z", "delivered_at": "2025-12-03T10:00:00Z"
    }));
    let mut new = old.clone();
    if let Some(RecordBody::Order(order)) = &mut new.body {
        order.ordered_at = "2026-01-02T10:00:00Z".parse().unwrap();
        order.customer_id = 10;
        order.sales_rep_id = Some(4);
    }
    // Moving a 200-line order to another day, month, year, customer and rep
    // touches the old and the new items of each.
    let delta = Delta::between(
        "t1",
        &contribution(&old, chrono_tz::UTC),
        &contribution(&new, chrono_tz::UTC),
    );
    assert!(
        delta.item_count() < crate::apply::MAX_TRANSACTION_ITEMS,
        "{} items",
        delta.item_count()
    );
}

#[test]
fn returns_count_without_a_recorded_delivery_and_recent_orders_tie_by_id() {
    let returned = record(serde_json::json!({
        "type": "order", "tenant_id": "t1", "id": 7, "version": 1, "updated_at": "2025-12-20T00:00:00Z",
        "order_number": "ORD-7", "customer_id": 9, "source": "api", "status": "completed",
        "currency": "USD", "total_amount": "25.00", "ordered_at": "2025-12-01T10:00:00Z",
        "returned_at": "2025-12-05T10:00:00Z"
    }));
    let c = contribution(&returned, chrono_tz::UTC);
    let m = c.measures(family::ORDERS, d("2025-12-01"));
    assert_eq!(
        (m.get("revenue_bearing_returned"), m.get("revenue_bearing_delivered")),
        (Some(&1), None)
    );
    // Two orders placed in the same second: read backwards, id 7 before 8.
    let mut other = returned.clone();
    other.key.id = 8;
    let keys: Vec<String> = [returned, other]
        .iter()
        .flat_map(|r| contribution(r, chrono_tz::UTC).items.into_keys())
        .filter(|(pk, _)| pk == "t1#recent_orders")
        .map(|(_, sk)| sk)
        .collect();
    assert!(keys[0] > keys[1], "{keys:?}");
    assert!(keys[0].starts_with("2025-12-01T10:00:00.000000000Z#"));
}

#[test]
fn checked_contribution_refuses_what_breaks_a_rule_and_takes_the_largest_valid_amounts() {
    let usd = TenantSettings::default();
    let largest = order("completed", "999999999999.99", "2025-12-02T12:00:00Z");
    let c = checked_contribution(&largest, &usd).expect("at the limit");
    assert_eq!(c.measures(family::ORDERS, d("2025-12-02"))["revenue"], 99_999_999_999_999);

    let mut over = largest.clone();
    if let Some(RecordBody::Order(o)) = &mut over.body {
        o.total_amount = Decimal::new(i64::MAX, 2);
    }
    assert_eq!(checked_contribution(&over, &usd).unwrap_err().field, "total_amount");

    let euros = TenantSettings { currency: "EUR".into(), ..TenantSettings::default() };
    assert_eq!(checked_contribution(&largest, &euros).unwrap_err().field, "currency");
}

#[test]
fn ten_million_largest_orders_sum_exactly_in_a_delta() {
    // Folding the same bucket's delta 10^7 times by doubling (24 merges):
    // 10^7 orders of 10^14 cents = 10^21 cents, past i64, exact in i128.
    let c = contribution(
        &order("completed", "999999999999.99", "2025-12-02T12:00:00Z"),
        chrono_tz::UTC,
    );
    let one = Delta::between("t1", &Contribution::default(), &c);
    let mut total = Delta::default();
    let mut power = one.clone();
    let mut n: u64 = 10_000_000;
    while n > 0 {
        if n & 1 == 1 {
            total.merge(&power);
        }
        let doubled = power.clone();
        power.merge(&doubled);
        n >>= 1;
    }
    let day = total.adds[&(measures_pk("t1", family::ORDERS), "D#2025-12-02".to_owned())].clone();
    assert_eq!(day["revenue"], 10_000_000 * 99_999_999_999_999_i128);
    assert!(day["revenue"] > i128::from(i64::MAX));
    assert_eq!(day["placed"], 10_000_000);
}

mod receivable_sums {
    use super::*;
    use proptest::prelude::*;
    use sales_shared::figures::aging::{AgingTotals, Buckets, aging_report};
    use sales_shared::figures::invoices::OpenInPeriod;
    use sales_shared::periods::DateRange;
    use sales_shared::store::indexes::aging_invoice;

    /// An invoice issued on day `issue` (of 2025), due `terms` days later,
    /// paid in the given (day offset, cents) parts, maybe written off.
    fn invoice(
        id: i64,
        issue: i64,
        terms: i64,
        total: i64,
        parts: &[(i64, i64)],
        write_off: Option<i64>,
    ) -> SourceRecord {
        let day = |offset: i64| d("2025-01-01") + chrono::Duration::days(offset);
        let at = |offset: i64| format!("{}T15:00:00Z", day(offset));
        let money = |cents: i64| format!("{}.{:02}", cents / 100, cents % 100);
        let mut remaining = total;
        let applications: Vec<serde_json::Value> = parts
            .iter()
            .enumerate()
            .filter_map(|(i, (offset, cents))| {
                let amount = (*cents).min(remaining.max(0));
                remaining -= amount;
                (amount > 0).then(|| {
                    serde_json::json!({"payment_id": i + 1, "amount": money(amount), "applied_at": at(issue + offset)})
                })
            })
            .collect();
        let written_off = write_off.map(|offset| (offset, remaining.max(0)));
        record(serde_json::json!({
            "type": "invoice", "tenant_id": "t1", "id": id, "version": 1, "updated_at": at(issue),
            "invoice_number": format!("INV-{id}"), "customer_id": 1 + id % 4, "order_id": null,
            "status": "sent", "currency": "USD", "total_amount": money(total), "issued_at": at(issue),
            "due_date": day(issue + terms).to_string(), "payment_applications": applications,
            "written_off_amount": money(written_off.map_or(0, |(_, c)| c)),
            "written_off_at": written_off.map(|(offset, _)| at(issue + offset)),
        }))
    }

    fn invoices() -> impl Strategy<Value = Vec<SourceRecord>> {
        let one = (
            0i64..120,
            prop_oneof![Just(0i64), Just(15), Just(30), Just(45)],
            1i64..50_000,
            proptest::collection::vec((0i64..150, 1i64..30_000), 0..4),
            proptest::option::of(0i64..200),
        );
        proptest::collection::vec(one, 1..25).prop_map(|list| {
            list.into_iter()
                .enumerate()
                .map(|(i, (issue, terms, total, parts, wo))| {
                    invoice(i as i64 + 1, issue, terms, total, &parts, wo)
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// The dated sums give, on every day, the figures the invoices
        /// themselves give: the aging buckets and summary, and a period's
        /// open and overdue invoices.
        #[test]
        fn dated_sums_equal_the_invoices(records in invoices(), period_start in 0i64..100, period_len in 0i64..60) {
            let mut aging = Delta::default();
            let mut listed = Vec::new();
            for r in &records {
                let c = contribution(r, chrono_tz::UTC);
                aging.merge(&Delta::between("t1", &Contribution::default(), &c));
                for (key, item) in &c.items {
                    if key.0.starts_with("t1#invoices_by_close#D#") {
                        listed.push(aging_invoice(item).unwrap().0);
                    }
                }
            }
            let sum = |pk: &str, sks: &[String]| {
                let mut total = Measures::new();
                for sk in sks {
                    if let Some(m) = aging.adds.get(&(pk.to_owned(), sk.clone())) {
                        sales_shared::layout::add_measures(&mut total, m);
                    }
                }
                total
            };
            let start = d("2025-01-01") + chrono::Duration::days(period_start);
            let period = DateRange::new(start, start + chrono::Duration::days(period_len));
            let period_days: Vec<String> =
                period.iter_days().map(|day| sales_shared::calendar::bucket_key(sales_shared::calendar::Grain::Day, day)).collect();
            for at in d("2024-12-30").iter_days().step_by(3).take(130) {
                // Day items through `at` (the cover would read months and years too).
                let through: Vec<String> = d("2024-12-01").iter_days().take_while(|x| *x <= at)
                    .map(|day| sales_shared::calendar::bucket_key(sales_shared::calendar::Grain::Day, day)).collect();
                let totals = AgingTotals::from_sums(at, &sum("t1#aging", &through));
                prop_assert_eq!(&totals, &AgingTotals::of(at, &listed, &Buckets::default()), "aging on {}", at);
                let expected = aging_report(at, &listed, &Buckets::default(), None);
                let report = sales_shared::figures::aging::report(at, &Buckets::default(), &totals, None, Vec::new());
                prop_assert_eq!(report.summary, expected.summary);
                let open = OpenInPeriod::from_steps(&sum("t1#invoices_open", &period_days), at);
                prop_assert_eq!(open, OpenInPeriod::of(&listed, period, at), "open on {}", at);
            }
        }
    }
}
