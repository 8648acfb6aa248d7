use super::*;
use rust_decimal_macros::dec;
use serde_json::json;

fn order_json() -> serde_json::Value {
    json!({
        "type": "order", "tenant_id": "t1", "id": 42, "version": 3,
        "updated_at": "2025-12-17T09:30:00Z",
        "order_number": "ORD-1", "customer_id": 7, "sales_rep_id": null,
        "source": "online_store", "status": "completed", "currency": "USD",
        "total_amount": "1456.10",
        "lines": [{"product_id": 1, "quantity": 2, "unit_price": 728.05, "line_total": "1456.10"}],
        "ordered_at": "2025-12-17T09:30:00-05:00",
        "shipped_at": "2025-12-19T10:00:00Z",
        "promised_delivery_date": "2025-12-24",
        "some_future_field": {"ignored": true}
    })
}

fn rejection(value: serde_json::Value) -> Rejection {
    parse_record(&value.to_string()).expect_err("record should be rejected")
}

fn with(mut base: serde_json::Value, field: &str, value: serde_json::Value) -> serde_json::Value {
    base[field] = value;
    base
}

#[test]
fn valid_order_parses_and_round_trips_through_canonical_json() {
    let record = parse_record(&order_json().to_string()).unwrap();
    assert_eq!(record.key, RecordKey { tenant_id: "t1".into(), record_type: RecordType::Order, id: 42 });
    assert_eq!(record.version, 3);
    let Some(RecordBody::Order(order)) = &record.body else { panic!("not an order") };
    assert_eq!(order.total_amount, dec!(1456.10));
    assert_eq!(order.lines[0].unit_price, dec!(728.05));
    assert!(!order.fulfillment_error);
    let body = record.body.as_ref().unwrap();
    let back = RecordBody::from_json(RecordType::Order, &body.to_json()).unwrap();
    assert_eq!(&back, body);
}

#[test]
fn each_kind_of_rule_names_its_field() {
    let cases = [
        (json!("not json"), "(line)", "JSON object"),
        (with(order_json(), "type", json!("refund")), "type", "must be one of"),
        (with(order_json(), "tenant_id", json!("bad tenant!")), "tenant_id", "1-64 characters"),
        (with(order_json(), "id", json!(0)), "id", "> 0"),
        (with(order_json(), "id", json!("42")), "id", "integer"),
        (with(order_json(), "version", json!(0)), "version", ">= 1"),
        (with(order_json(), "updated_at", json!("2025-12-17 09:30")), "updated_at", "RFC 3339"),
        (with(order_json(), "status", json!("lost")), "status", "must be one of draft"),
        (with(order_json(), "source", json!(null)), "source", "is required"),
        (with(order_json(), "total_amount", json!("12.345")), "total_amount", "2 fractional digits"),
        (with(order_json(), "total_amount", json!(-1)), "total_amount", ">= 0"),
        (with(order_json(), "total_amount", json!("ten")), "total_amount", "decimal amount"),
        (with(order_json(), "currency", json!("usd")), "currency", "ISO 4217"),
        (with(order_json(), "promised_delivery_date", json!("2025-12-32")), "promised_delivery_date", "YYYY-MM-DD"),
        (with(order_json(), "order_number", json!(17)), "order_number", "must be a string"),
        (with(order_json(), "fulfillment_error", json!("no")), "fulfillment_error", "true or false"),
        (
            with(order_json(), "lines", json!([{"product_id": 1, "quantity": 0, "unit_price": 1, "line_total": 1}])),
            "lines[0].quantity",
            "integer >= 1",
        ),
    ];
    for (value, field, rule) in cases {
        let r = rejection(value.clone());
        assert_eq!(r.field, field, "for {value}");
        assert!(r.rule.contains(rule), "rule `{}` should mention `{rule}` for {value}", r.rule);
    }
}

#[test]
fn invoice_rules() {
    let invoice = json!({
        "type": "invoice", "tenant_id": "t1", "id": 5, "version": 1, "updated_at": "2025-12-01T00:00:00Z",
        "invoice_number": "INV-5", "order_id": 42, "customer_id": 7, "status": "sent", "currency": "USD",
        "total_amount": "100.00", "issued_at": "2025-12-01T10:00:00Z", "due_date": "2025-12-31",
        "payment_applications": [{"payment_id": 1, "amount": "60.00", "applied_at": "2025-12-10T00:00:00Z"}]
    });
    assert!(parse_record(&invoice.to_string()).is_ok());
    let over = with(
        invoice.clone(),
        "payment_applications",
        json!([{"payment_id": 1, "amount": "160.00", "applied_at": "2025-12-10T00:00:00Z"}]),
    );
    assert_eq!(rejection(over).field, "payment_applications");
    assert_eq!(rejection(with(invoice.clone(), "issued_at", json!(null))).field, "issued_at");
    assert_eq!(rejection(with(invoice.clone(), "total_amount", json!(0))).rule, "must be > 0");
    let wo = with(with(invoice, "written_off_amount", json!("50")), "written_off_at", json!("2025-12-20T00:00:00Z"));
    assert_eq!(rejection(wo).field, "written_off_amount");
}

#[test]
fn deletion_needs_only_the_envelope() {
    let line = r#"{"type": "order", "tenant_id": "t1", "id": 42, "version": 7, "updated_at": "2025-12-18T00:00:00Z", "deleted": true}"#;
    let record = parse_record(line).unwrap();
    assert!(record.body.is_none());
    assert_eq!(record.version, 7);
}

#[test]
fn settings_defaults_time_zone_and_id_rule() {
    let line = r#"{"type": "tenant_settings", "tenant_id": "t1", "id": 1, "version": 1, "updated_at": "2025-01-01T00:00:00Z"}"#;
    let Some(RecordBody::TenantSettings(s)) = parse_record(line).unwrap().body else { panic!() };
    assert_eq!(s, TenantSettings::default());
    let bad_tz = line.replace("\"id\": 1,", "\"id\": 1, \"time_zone\": \"Mars/Olympus\",");
    assert_eq!(parse_record(&bad_tz).unwrap_err().field, "time_zone");
    let bad_id = line.replace("\"id\": 1,", "\"id\": 2,");
    assert_eq!(parse_record(&bad_id).unwrap_err().field, "id");
}

#[test]
fn currency_must_match_tenant() {
    let record = parse_record(&order_json().to_string()).unwrap();
    assert!(check_currency(&record, "USD").is_ok());
    let r = check_currency(&record, "EUR").unwrap_err();
    assert_eq!(r.field, "currency");
}

#[test]
fn payment_dispute_is_validated_nested() {
    let payment = json!({
        "type": "payment", "tenant_id": "t1", "id": 9, "version": 1, "updated_at": "2025-12-01T00:00:00Z",
        "payment_number": "PAY-9", "customer_id": 7, "amount": "10.00", "currency": "USD",
        "method": "credit_card", "gateway": "stripe", "status": "disputed", "created_at": "2025-12-01T00:00:00Z",
        "dispute": {"reason": "fraudulent", "disputed_at": "2025-12-02T00:00:00Z", "evidence_due_date": "2025-12-16", "status": "maybe"}
    });
    let r = rejection(payment);
    assert_eq!(r.field, "dispute.status");
}
