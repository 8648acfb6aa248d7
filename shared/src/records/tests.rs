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
    assert_eq!(
        record.key,
        RecordKey { tenant_id: "t1".into(), record_type: RecordType::Order, id: 42 }
    );
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
        (
            with(order_json(), "total_amount", json!("12.345")),
            "total_amount",
            "2 fractional digits",
        ),
        (with(order_json(), "total_amount", json!(-1)), "total_amount", ">= 0"),
        (with(order_json(), "total_amount", json!("ten")), "total_amount", "decimal amount"),
        (with(order_json(), "currency", json!("usd")), "currency", "ISO 4217"),
        (
            with(order_json(), "promised_delivery_date", json!("2025-12-32")),
            "promised_delivery_date",
            "YYYY-MM-DD",
        ),
        (with(order_json(), "order_number", json!(17)), "order_number", "must be a string"),
        (
            with(order_json(), "fulfillment_error", json!("no")),
            "fulfillment_error",
            "true or false",
        ),
        (
            with(
                order_json(),
                "lines",
                json!([{"product_id": 1, "quantity": 0, "unit_price": 1, "line_total": 1}]),
            ),
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
    let wo = with(
        with(invoice, "written_off_amount", json!("50")),
        "written_off_at",
        json!("2025-12-20T00:00:00Z"),
    );
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

mod limits_tests {
    use super::*;
    use crate::records::limits::{
        MAX_LINE_BYTES, MAX_MONEY, MAX_MONEY_CENTS, MAX_ORDER_LINES, MAX_PAYMENT_APPLICATIONS,
        MAX_QUANTITY, MONEY_RULE,
    };

    fn invoice_json() -> serde_json::Value {
        json!({
            "type": "invoice", "tenant_id": "t1", "id": 5, "version": 1, "updated_at": "2025-12-01T00:00:00Z",
            "invoice_number": "INV-5", "customer_id": 7, "status": "sent", "currency": "USD",
            "total_amount": "999999999999.99", "issued_at": "2025-12-01T10:00:00Z", "due_date": "2025-12-31"
        })
    }

    fn payment_json() -> serde_json::Value {
        json!({
            "type": "payment", "tenant_id": "t1", "id": 9, "version": 1, "updated_at": "2025-12-01T00:00:00Z",
            "payment_number": "PAY-9", "customer_id": 7, "amount": "10.00", "currency": "USD",
            "method": "credit_card", "status": "completed", "created_at": "2025-12-01T00:00:00Z"
        })
    }

    fn line(quantity: serde_json::Value, unit_price: serde_json::Value) -> serde_json::Value {
        json!({"product_id": 1, "quantity": quantity, "unit_price": unit_price, "line_total": "1.00"})
    }

    fn applications(n: usize) -> serde_json::Value {
        (0..n).map(|i| json!({"payment_id": i + 1, "amount": "0.01", "applied_at": "2025-12-10T00:00:00Z"})).collect()
    }

    fn accepted(value: serde_json::Value) -> SourceRecord {
        match parse_record(&value.to_string()) {
            Ok(record) => record,
            Err(r) => panic!("should be accepted, got {r} for {value}"),
        }
    }

    fn rejected_with(value: serde_json::Value, field: &str, rule: &str) {
        let r = rejection(value);
        assert_eq!(r.field, field);
        assert!(r.rule.contains(rule), "rule `{}` should mention `{rule}`", r.rule);
    }

    #[test]
    fn constants_agree() {
        assert_eq!(MAX_MONEY, dec!(999999999999.99));
        assert_eq!(crate::money::to_cents(MAX_MONEY), Some(MAX_MONEY_CENTS));
        assert_eq!(MAX_LINE_BYTES, 262_144);
    }

    #[test]
    fn money_at_the_limit_is_accepted_one_cent_above_is_not() {
        // Strings and numbers, on fields of several record types.
        for at_limit in
            [json!("999999999999.99"), json!(999999999999.99_f64), json!(999999999999_i64)]
        {
            let record = accepted(with(order_json(), "total_amount", at_limit.clone()));
            assert!(check_limits(&record).is_ok());
            accepted(with(payment_json(), "amount", at_limit.clone()));
            accepted(with(invoice_json(), "total_amount", at_limit));
        }
        for above in
            [json!("1000000000000.00"), json!(1000000000000.0_f64), json!(1000000000000_i64)]
        {
            rejected_with(
                with(order_json(), "total_amount", above.clone()),
                "total_amount",
                MONEY_RULE,
            );
            rejected_with(
                with(payment_json(), "fee_amount", above.clone()),
                "fee_amount",
                MONEY_RULE,
            );
            rejected_with(with(invoice_json(), "total_amount", above), "total_amount", MONEY_RULE);
        }
        // Far past it, where cents no longer fit i64 (issue 10's poison order).
        rejected_with(
            with(order_json(), "total_amount", json!("92233720368547758.07")),
            "total_amount",
            MONEY_RULE,
        );
        rejected_with(with(order_json(), "total_amount", json!(1e20)), "total_amount", MONEY_RULE);
        // Nested and optional fields name their path.
        let lines = json!([line(json!(1), json!("1.00")), line(json!(1), json!("1000000000000"))]);
        rejected_with(with(order_json(), "lines", lines), "lines[1].unit_price", MONEY_RULE);
        let customer = json!({"type": "customer", "tenant_id": "t1", "id": 3, "version": 1,
            "updated_at": "2025-01-01T00:00:00Z", "customer_number": "C-3", "company_name": "Acme",
            "credit_limit": "999999999999.99"});
        accepted(customer.clone());
        rejected_with(
            with(customer, "credit_limit", json!("1000000000000")),
            "credit_limit",
            MONEY_RULE,
        );
        let mut over = invoice_json();
        over["payment_applications"] = json!([{"payment_id": 1, "amount": "1000000000000.00", "applied_at": "2025-12-10T00:00:00Z"}]);
        rejected_with(over, "payment_applications[0].amount", MONEY_RULE);
    }

    #[test]
    fn quantity_at_the_limit_is_accepted_one_above_is_not() {
        let at = json!([line(json!(1), json!("1.00")), line(json!(MAX_QUANTITY), json!("1.00"))]);
        accepted(with(order_json(), "lines", at));
        let above =
            json!([line(json!(1), json!("1.00")), line(json!(MAX_QUANTITY + 1), json!("1.00"))]);
        rejected_with(
            with(order_json(), "lines", above),
            "lines[1].quantity",
            "must be at most 1000000",
        );
        let huge = json!([line(json!(i64::MAX), json!("1.00"))]);
        rejected_with(
            with(order_json(), "lines", huge),
            "lines[0].quantity",
            "must be at most 1000000",
        );
    }

    #[test]
    fn order_lines_at_the_limit_are_accepted_one_more_is_not() {
        let lines = |n: usize| serde_json::Value::Array(vec![line(json!(1), json!("1.00")); n]);
        let record = accepted(with(order_json(), "lines", lines(MAX_ORDER_LINES)));
        assert!(check_limits(&record).is_ok());
        rejected_with(
            with(order_json(), "lines", lines(MAX_ORDER_LINES + 1)),
            "lines",
            "at most 500 elements",
        );
    }

    #[test]
    fn payment_applications_at_the_limit_are_accepted_one_more_is_not() {
        let mut at = invoice_json();
        at["payment_applications"] = applications(MAX_PAYMENT_APPLICATIONS);
        accepted(at);
        let mut above = invoice_json();
        above["payment_applications"] = applications(MAX_PAYMENT_APPLICATIONS + 1);
        rejected_with(above, "payment_applications", "at most 1000 elements");
    }

    #[test]
    fn line_at_256_kib_is_accepted_one_byte_more_is_not() {
        let base = json!({"type": "customer", "tenant_id": "t1", "id": 3, "version": 1,
            "updated_at": "2025-01-01T00:00:00Z", "customer_number": "C-3", "company_name": ""});
        let padding = MAX_LINE_BYTES - base.to_string().len();
        let at = with(base.clone(), "company_name", json!("x".repeat(padding))).to_string();
        assert_eq!(at.len(), MAX_LINE_BYTES);
        assert!(parse_record(&at).is_ok());
        let above = with(base, "company_name", json!("x".repeat(padding + 1))).to_string();
        let r = parse_record(&above).unwrap_err();
        assert_eq!(r.field, "(line)");
        assert!(r.rule.contains("at most 262144 bytes (256 KiB)"), "{}", r.rule);
    }

    #[test]
    fn check_limits_rechecks_records_decoded_from_the_table() {
        // What upstream could write straight to the table: canonical JSON
        // that never went through parse_record.
        let Some(RecordBody::Order(order)) = accepted(order_json()).body else {
            panic!("not an order")
        };
        let record_of = |order: &Order| SourceRecord {
            key: RecordKey { tenant_id: "t1".into(), record_type: RecordType::Order, id: 1 },
            version: 1,
            updated_at: DateTime::parse_from_rfc3339("2025-12-01T00:00:00Z").unwrap(),
            body: Some(
                RecordBody::from_json(
                    RecordType::Order,
                    &RecordBody::Order(order.clone()).to_json(),
                )
                .unwrap(),
            ),
        };
        assert!(check_limits(&record_of(&order)).is_ok());

        let mut poison = order.clone();
        poison.total_amount = dec!(92233720368547758.07);
        assert_eq!(
            check_limits(&record_of(&poison)).unwrap_err(),
            Rejection::new("total_amount", MONEY_RULE)
        );
        let mut at = order.clone();
        at.total_amount = -MAX_MONEY;
        assert!(check_limits(&record_of(&at)).is_ok());

        let mut precise = order.clone();
        precise.lines[0].line_total = dec!(1.001);
        assert_eq!(check_limits(&record_of(&precise)).unwrap_err().field, "lines[0].line_total");

        let mut many = order.clone();
        many.lines[0].quantity = MAX_QUANTITY + 1;
        assert_eq!(
            check_limits(&record_of(&many)).unwrap_err(),
            Rejection::new("lines[0].quantity", "must be at most 1000000")
        );
        let mut zero = order.clone();
        zero.lines[0].quantity = 0;
        assert_eq!(check_limits(&record_of(&zero)).unwrap_err().field, "lines[0].quantity");

        let mut long = order.clone();
        long.lines = vec![order.lines[0].clone(); MAX_ORDER_LINES + 1];
        assert_eq!(check_limits(&record_of(&long)).unwrap_err().field, "lines");
        long.lines.pop();
        assert!(check_limits(&record_of(&long)).is_ok());

        let Some(RecordBody::Invoice(mut invoice)) = accepted(invoice_json()).body else {
            panic!("not an invoice")
        };
        let application = PaymentApplication {
            payment_id: 1,
            amount: dec!(0.01),
            applied_at: DateTime::parse_from_rfc3339("2025-12-10T00:00:00Z").unwrap(),
        };
        invoice.payment_applications = vec![application; MAX_PAYMENT_APPLICATIONS + 1];
        let record =
            SourceRecord { body: Some(RecordBody::Invoice(invoice.clone())), ..record_of(&order) };
        assert_eq!(check_limits(&record).unwrap_err().field, "payment_applications");
        invoice.payment_applications.pop();
        invoice.written_off_amount = MAX_MONEY + dec!(0.01);
        let record = SourceRecord { body: Some(RecordBody::Invoice(invoice)), ..record_of(&order) };
        assert_eq!(check_limits(&record).unwrap_err().field, "written_off_amount");

        let Some(RecordBody::Payment(mut payment)) = accepted(payment_json()).body else {
            panic!("not a payment")
        };
        payment.refunded_amount = dec!(-1000000000000);
        let record = SourceRecord { body: Some(RecordBody::Payment(payment)), ..record_of(&order) };
        assert_eq!(
            check_limits(&record).unwrap_err(),
            Rejection::new("refunded_amount", MONEY_RULE)
        );

        let tombstone = SourceRecord { body: None, ..record_of(&order) };
        assert!(check_limits(&tombstone).is_ok());
    }

    #[test]
    fn canonical_json_decode_still_reads_records_at_the_limits() {
        let mut order = order_json();
        order["total_amount"] = json!("999999999999.99");
        order["lines"] =
            serde_json::Value::Array(vec![
                line(json!(MAX_QUANTITY), json!("999999999999.99"));
                500
            ]);
        let record = accepted(order);
        let item = crate::store::source::encode(&record);
        let back = crate::store::source::decode(item).unwrap();
        assert_eq!(back, record);
        assert!(check_limits(&back).is_ok());
    }
}

/// The examples of docs/source-records.md, the contract upstream services
/// write to: every ```jsonl block, line by line, through `parse_record`
/// (what `salesctl load` runs on each line) and the tenant-currency rule.
mod doc_examples {
    use super::*;

    const DOC: &str =
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/source-records.md"));

    /// The non-blank lines of every ```jsonl block, with their line numbers
    /// in the document.
    fn jsonl_lines() -> Vec<(usize, &'static str)> {
        let mut lines = Vec::new();
        let mut in_block = false;
        let mut blocks = 0;
        for (number, text) in DOC.lines().enumerate().map(|(i, l)| (i + 1, l)) {
            let fence = text.trim();
            if in_block {
                if fence == "```" {
                    in_block = false;
                } else if !fence.is_empty() {
                    lines.push((number, text));
                }
            } else if fence == "```jsonl" {
                in_block = true;
                blocks += 1;
            }
        }
        assert!(!in_block, "docs/source-records.md: a ```jsonl block is not closed");
        assert!(blocks > 0, "docs/source-records.md has no ```jsonl block");
        lines
    }

    #[test]
    fn every_example_in_the_source_records_doc_is_accepted_and_every_type_has_one() {
        let records: Vec<(usize, SourceRecord)> = jsonl_lines()
            .into_iter()
            .map(|(number, line)| match parse_record(line) {
                Ok(record) => (number, record),
                Err(r) => panic!("docs/source-records.md:{number}: example rejected: {r}"),
            })
            .collect();

        // The examples load together as one tenant's file: one tenant, in
        // the currency of the example settings.
        let settings = records.iter().find_map(|(_, r)| match &r.body {
            Some(RecordBody::TenantSettings(s)) => Some(s.clone()),
            _ => None,
        });
        let currency = settings.unwrap_or_default().currency;
        let tenant = &records[0].1.key.tenant_id;
        for (number, record) in &records {
            assert_eq!(&record.key.tenant_id, tenant, "docs/source-records.md:{number}");
            if let Err(r) = check_currency(record, &currency) {
                panic!("docs/source-records.md:{number}: example rejected: {r}");
            }
        }

        let missing: Vec<&str> = RecordType::ALL
            .iter()
            .filter(|t| !records.iter().any(|(_, r)| r.key.record_type == **t && r.body.is_some()))
            .map(|t| t.as_str())
            .collect();
        assert!(missing.is_empty(), "docs/source-records.md has no example of {missing:?}");
        assert!(
            records.iter().any(|(_, r)| r.body.is_none()),
            "docs/source-records.md has no deletion example"
        );
    }
}
