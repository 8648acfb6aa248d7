use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy::MidpointAwayFromZero;
use rust_decimal_macros::dec;
use sales_shared::records::{
    DisputeStatus, Gateway, Invoice, InvoiceStatus, Order, OrderStatus, Payment, PaymentMethod,
    PaymentStatus, RecordBody, RecordType, SourceRecord, StrEnum, check_currency, parse_record,
};
use serde_json::Value;

use super::{DemoOptions, DemoStats, generate};

struct DataSet {
    text: String,
    stats: DemoStats,
    records: Vec<SourceRecord>,
}

fn run(options: &DemoOptions) -> (String, DemoStats) {
    let mut out = Vec::new();
    let stats = generate(options, &mut out).expect("demo data is generated");
    (String::from_utf8(out).expect("output is UTF-8"), stats)
}

/// Every line parsed; panics naming the first bad line and its rejection.
fn parse_all(text: &str) -> Vec<SourceRecord> {
    let parsed = text.lines().enumerate().map(|(i, line)| (i, line, parse_record(line)));
    parsed
        .map(|(i, line, result)| {
            result.unwrap_or_else(|rejection| panic!("line {}: {rejection}\n{line}", i + 1))
        })
        .collect()
}

fn default_set() -> &'static DataSet {
    static SET: OnceLock<DataSet> = OnceLock::new();
    SET.get_or_init(|| {
        let (text, stats) = run(&DemoOptions::default());
        let records = parse_all(&text);
        DataSet { text, stats, records }
    })
}

fn local(at: DateTime<FixedOffset>) -> NaiveDate {
    super::local_date(at.with_timezone(&Utc))
}

fn end_of(today: NaiveDate) -> DateTime<Utc> {
    today.and_hms_opt(23, 59, 59).unwrap().and_utc()
}

fn orders(set: &DataSet) -> BTreeMap<i64, &Order> {
    let bodies = set.records.iter().map(|r| (r.key.id, r.body.as_ref()));
    bodies
        .filter_map(
            |(id, body)| if let Some(RecordBody::Order(o)) = body { Some((id, o)) } else { None },
        )
        .collect()
}

fn invoices(set: &DataSet) -> BTreeMap<i64, &Invoice> {
    let bodies = set.records.iter().map(|r| (r.key.id, r.body.as_ref()));
    bodies
        .filter_map(
            |(id, body)| if let Some(RecordBody::Invoice(i)) = body { Some((id, i)) } else { None },
        )
        .collect()
}

fn payments(set: &DataSet) -> BTreeMap<i64, &Payment> {
    let bodies = set.records.iter().map(|r| (r.key.id, r.body.as_ref()));
    bodies
        .filter_map(
            |(id, body)| if let Some(RecordBody::Payment(p)) = body { Some((id, p)) } else { None },
        )
        .collect()
}

fn months_of(set: &DataSet, record_type: RecordType) -> Vec<String> {
    let monthly = set.records.iter().filter(|r| r.key.record_type == record_type);
    monthly
        .filter_map(|r| match &r.body {
            Some(RecordBody::SalesTarget(m) | RecordBody::MarketingSpend(m)) => {
                Some(m.month.clone())
            }
            _ => None,
        })
        .collect()
}

fn paid(invoice: &Invoice) -> Decimal {
    invoice.payment_applications.iter().map(|a| a.amount).sum()
}

fn balance(invoice: &Invoice) -> Decimal {
    invoice.total_amount - paid(invoice) - invoice.written_off_amount
}

#[test]
fn every_line_is_a_valid_source_record() {
    let set = default_set();
    assert_eq!(set.records.len(), set.text.lines().count());
    assert_eq!(set.records[0].key.record_type, RecordType::TenantSettings);
    let mut keys = HashSet::new();
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for record in &set.records {
        check_currency(record, "USD").unwrap_or_else(|r| panic!("{:?}: {r}", record.key));
        assert_eq!(record.key.tenant_id, "demo");
        assert_eq!(record.version, 1, "{:?}", record.key);
        assert!(keys.insert(record.key.clone()), "duplicate {:?}", record.key);
        *by_type.entry(record.key.record_type.as_str()).or_default() += 1;
    }
    assert_eq!(set.stats.lines, set.records.len());
    assert_eq!(set.stats.by_type, by_type);
}

#[test]
fn small_and_edge_options_give_valid_records() {
    let cases =
        [("t_1", (2024, 3, 10), 1, 30), ("edge-2", (2025, 3, 1), 2, 5), ("x", (2025, 11, 2), 3, 0)];
    for (tenant, (y, m, d), months, orders_per_month) in cases {
        let today = NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let options = DemoOptions { months, orders_per_month, ..DemoOptions::new(tenant, today) };
        let (text, stats) = run(&options);
        let records = parse_all(&text);
        assert_eq!(stats.lines, records.len());
        assert!(
            records.iter().all(|r| r.updated_at <= end_of(today)),
            "{tenant}: a record after {today}"
        );
    }
}

#[test]
fn bad_options_are_refused() {
    let today = NaiveDate::from_ymd_opt(2025, 12, 17).unwrap();
    for options in [
        DemoOptions { months: 0, ..DemoOptions::new("demo", today) },
        DemoOptions { months: 241, ..DemoOptions::new("demo", today) },
        DemoOptions { orders_per_month: 100_001, ..DemoOptions::new("demo", today) },
        DemoOptions::new("bad tenant", today),
        DemoOptions::new("", today),
    ] {
        let error = generate(&options, &mut Vec::new()).expect_err("options are refused");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{options:?}");
    }
}

#[test]
fn same_options_give_the_same_bytes_and_another_seed_other_bytes() {
    let options = DemoOptions { months: 3, orders_per_month: 150, ..DemoOptions::default() };
    let (first, _) = run(&options);
    let (second, _) = run(&options);
    assert!(first == second, "two runs with the same options differ");
    assert_eq!(default_set().text, run(&DemoOptions::default()).0);
    let (other, _) = run(&DemoOptions { seed: options.seed + 1, ..options });
    assert_ne!(first, other);
}

#[test]
fn orders_span_the_history_with_every_status_and_realistic_shapes() {
    let set = default_set();
    let orders = orders(set);
    assert!(orders.len() >= 3000, "only {} orders", orders.len());
    let months: BTreeSet<(i32, u32)> =
        orders.values().map(|o| local(o.ordered_at)).map(|d| (d.year(), d.month())).collect();
    assert!(months.len() >= 13, "orders span {} months", months.len());
    let statuses: BTreeSet<OrderStatus> = orders.values().map(|o| o.status).collect();
    assert_eq!(statuses.len(), OrderStatus::ALL.len(), "statuses: {statuses:?}");
    assert!(orders.values().any(|o| o.status == OrderStatus::Draft && o.lines.is_empty()));
    assert!(orders.values().filter(|o| o.total_amount >= Decimal::from(10_000)).count() >= 3);
    assert!(
        orders.values().any(|o| o.ordered_at.date_naive() != local(o.ordered_at)),
        "no order near midnight"
    );
    assert!(
        orders.values().any(|o| o.sales_rep_id.is_none())
            && orders.values().any(|o| o.returned_at.is_some())
    );
    assert!(orders.values().any(|o| o.fulfillment_error));
    let numbers: HashSet<&str> = orders.values().map(|o| o.order_number.as_str()).collect();
    assert_eq!(numbers.len(), orders.len(), "order numbers repeat");
    let well_formed = |n: &&str| {
        n.len() == 12 && n.starts_with("ORD-") && n[4..].chars().all(|c| c.is_ascii_alphanumeric())
    };
    assert!(numbers.iter().all(well_formed));
    let cancelled = orders.values().filter(|o| o.status == OrderStatus::Cancelled).count();
    assert!(
        (orders.len() * 2 / 100..orders.len() * 6 / 100).contains(&cancelled),
        "{cancelled} cancelled"
    );
    let mut per_customer: HashMap<i64, usize> = HashMap::new();
    for order in orders.values() {
        *per_customer.entry(order.customer_id).or_default() += 1;
    }
    let mut counts: Vec<usize> = per_customer.into_values().collect();
    counts.sort_unstable();
    let (median, top) = (counts[counts.len() / 2], counts[counts.len() - 1]);
    assert!(top >= 5 * median, "not skewed: median {median}, top {top}");
}

#[test]
fn invoices_and_payments_cover_every_collection_story() {
    let set = default_set();
    let invoices = invoices(set);
    let statuses: BTreeSet<InvoiceStatus> = invoices.values().map(|i| i.status).collect();
    assert_eq!(statuses.len(), InvoiceStatus::ALL.len(), "statuses: {statuses:?}");
    let partial = |i: &&Invoice| i.payment_applications.len() >= 2 && balance(i) > Decimal::ZERO;
    assert!(invoices.values().any(partial), "no invoice partly paid in instalments");
    assert!(invoices.values().any(|i| i.payment_applications.len() == 3 && balance(i).is_zero()));
    assert!(
        invoices.values().filter(|i| i.written_off_amount > Decimal::ZERO).count() >= 3,
        "too few write-offs"
    );
    let payments = payments(set);
    let statuses: BTreeSet<PaymentStatus> = payments.values().map(|p| p.status).collect();
    assert_eq!(statuses.len(), PaymentStatus::ALL.len(), "statuses: {statuses:?}");
    let methods: BTreeSet<PaymentMethod> = payments.values().map(|p| p.method).collect();
    assert_eq!(methods.len(), PaymentMethod::ALL.len());
    let failed = payments.values().filter(|p| p.status == PaymentStatus::Failed);
    let retryable: BTreeSet<bool> = failed.map(|p| p.can_retry).collect();
    assert_eq!(retryable.len(), 2, "failed payments should be retryable and not");
    assert!(
        payments
            .values()
            .any(|p| p.status == PaymentStatus::Refunded && p.refunded_amount < p.amount)
    );
    assert!(
        payments
            .values()
            .any(|p| p.status == PaymentStatus::Refunded && p.refunded_amount == p.amount)
    );
    let disputes: BTreeSet<DisputeStatus> =
        payments.values().filter_map(|p| p.dispute.as_ref()).map(|d| d.status).collect();
    assert_eq!(disputes.len(), DisputeStatus::ALL.len(), "dispute statuses: {disputes:?}");
}

#[test]
fn every_month_has_a_sales_target_and_marketing_spend() {
    let set = default_set();
    let expected: Vec<String> = (0..14)
        .map(|k| NaiveDate::from_ymd_opt(2024, 11, 1).unwrap() + chrono::Months::new(k))
        .map(|d| d.format("%Y-%m").to_string())
        .collect();
    assert_eq!(months_of(set, RecordType::SalesTarget), expected);
    assert_eq!(months_of(set, RecordType::MarketingSpend), expected);
}

/// Every timestamp string of a JSON value.
fn timestamps(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) if DateTime::parse_from_rfc3339(s).is_ok() => found.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| timestamps(v, found)),
        Value::Object(fields) => fields.values().for_each(|v| timestamps(v, found)),
        _ => {}
    }
}

/// Every money field of a JSON value, with its name.
fn money_fields(value: &Value, found: &mut Vec<(String, Value)>) {
    const MONEY: [&str; 9] = [
        "amount",
        "total_amount",
        "unit_price",
        "line_total",
        "fee_amount",
        "refunded_amount",
        "written_off_amount",
        "credit_limit",
        "vip_lifetime_revenue",
    ];
    match value {
        Value::Array(items) => items.iter().for_each(|v| money_fields(v, found)),
        Value::Object(fields) => {
            for (name, v) in fields {
                if MONEY.contains(&name.as_str()) {
                    found.push((name.clone(), v.clone()));
                }
                money_fields(v, found);
            }
        }
        _ => {}
    }
}

#[test]
fn nothing_happens_after_today_and_updated_at_is_the_latest_timestamp() {
    let set = default_set();
    let end = end_of(DemoOptions::default().today);
    for line in set.text.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        let updated_at = value["updated_at"].as_str().unwrap();
        let mut found = Vec::new();
        timestamps(&value, &mut found);
        for timestamp in &found {
            assert!(timestamp.ends_with('Z'), "{timestamp} is not UTC with Z: {line}");
            let at = DateTime::parse_from_rfc3339(timestamp).unwrap();
            assert!(at <= end, "{timestamp} is after today: {line}");
            assert!(
                at <= DateTime::parse_from_rfc3339(updated_at).unwrap(),
                "{timestamp} after updated_at: {line}"
            );
        }
        let mut money = Vec::new();
        money_fields(&value, &mut money);
        for (name, amount) in money {
            let ok = amount.is_null() && name == "credit_limit"
                || amount
                    .as_str()
                    .is_some_and(|s| s.split_once('.').is_some_and(|(_, cents)| cents.len() == 2));
            assert!(ok, "{name} = {amount} is not a string with 2 decimals: {line}");
        }
    }
    let months = months_of(set, RecordType::SalesTarget)
        .into_iter()
        .chain(months_of(set, RecordType::MarketingSpend));
    assert!(months.max().unwrap().as_str() <= "2025-12");
}

#[test]
fn order_totals_add_up_and_steps_follow_each_other() {
    for (id, order) in orders(default_set()) {
        let lines: Decimal = order.lines.iter().map(|l| l.line_total).sum();
        assert_eq!(order.total_amount, lines, "order {id}");
        for line in &order.lines {
            assert_eq!(
                line.line_total,
                line.unit_price * Decimal::from(line.quantity),
                "order {id}"
            );
        }
        assert!(
            order.status == OrderStatus::Draft || !order.lines.is_empty(),
            "order {id} has no lines"
        );
        assert_eq!(
            order.status == OrderStatus::Cancelled,
            order.cancelled_at.is_some(),
            "order {id}"
        );
        let steps = [order.confirmed_at, order.shipped_at, order.delivered_at, order.completed_at];
        let reached: Vec<_> = steps.iter().map_while(|s| *s).collect();
        assert_eq!(reached.len(), steps.iter().flatten().count(), "order {id} skips a step");
        assert!(
            reached.windows(2).all(|w| w[0] < w[1])
                && reached.iter().all(|s| *s > order.ordered_at)
        );
        if let Some(shipped) = order.shipped_at {
            let days = (local(shipped) - local(order.ordered_at)).num_days();
            assert!((1..=10).contains(&days), "order {id} shipped after {days} days");
        }
    }
}

#[test]
fn invoice_applications_match_payments_and_never_exceed_the_total() {
    let set = default_set();
    let (orders, payments) = (orders(set), payments(set));
    let mut applied = HashSet::new();
    for (id, invoice) in invoices(set) {
        let order = orders[&invoice.order_id.unwrap()];
        assert_eq!(invoice.total_amount, order.total_amount, "invoice {id}");
        assert!(paid(invoice) <= invoice.total_amount, "invoice {id} is overpaid");
        assert!(balance(invoice) >= Decimal::ZERO, "invoice {id} written off too much");
        for application in &invoice.payment_applications {
            let payment = payments[&application.payment_id];
            assert!(
                payment.is_captured(),
                "invoice {id}: payment {} not captured",
                application.payment_id
            );
            assert_eq!(payment.invoice_id, Some(id));
            assert_eq!(payment.amount, application.amount);
            assert_eq!(payment.completed_at, Some(application.applied_at));
            assert!(
                applied.insert(application.payment_id),
                "payment {} applied twice",
                application.payment_id
            );
        }
        if let Some(issued_at) = invoice.issued_at {
            let terms = (invoice.due_date - local(issued_at)).num_days();
            assert!([15, 30, 60].contains(&terms), "invoice {id}: net {terms}");
            let after_order = (local(issued_at) - local(order.ordered_at)).num_days();
            assert!(
                (0..=2).contains(&after_order),
                "invoice {id} issued {after_order} days after the order"
            );
        }
    }
    let numbers: HashSet<&str> = payments.values().map(|p| p.payment_number.as_str()).collect();
    assert_eq!(numbers.len(), payments.len(), "payment numbers repeat");
    assert!(numbers.iter().all(|n| n.len() == 12
        && n.starts_with("PAY-")
        && n[4..].chars().all(|c| c.is_ascii_digit())));
    for (id, payment) in payments {
        assert_eq!(payment.is_captured(), applied.contains(&id), "payment {id}");
        assert!(payment.refunded_amount <= payment.amount && payment.fee_amount < payment.amount);
        assert_eq!(
            payment.status == PaymentStatus::Failed,
            payment.failed_at.is_some(),
            "payment {id}"
        );
        assert_eq!(payment.completed_at.is_some(), payment.is_captured(), "payment {id}");
        let gateway = match payment.method {
            PaymentMethod::CreditCard => Some(Gateway::Stripe),
            PaymentMethod::Paypal => Some(Gateway::Paypal),
            _ => None,
        };
        assert_eq!(payment.gateway, gateway, "payment {id}");
        let answered = payment.status != PaymentStatus::Pending;
        assert_eq!(
            payment.processing_time_ms.is_some(),
            gateway.is_some() && answered,
            "payment {id}"
        );
        if payment.method == PaymentMethod::CreditCard && payment.is_captured() {
            let fee = (payment.amount * dec!(0.029) + dec!(0.30))
                .round_dp_with_strategy(2, MidpointAwayFromZero);
            assert_eq!(payment.fee_amount, fee, "payment {id}");
        }
    }
}
