//! The scaled tenant's shape, checked on the generated records.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use sales_shared::records::{
    InvoiceStatus, OrderStatus, PaymentStatus, RecordBody, RecordType, SourceRecord, StrEnum,
};

use super::{ScaleOptions, generate, records};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 17).unwrap()
}

fn one_x() -> &'static Vec<SourceRecord> {
    static SET: OnceLock<Vec<SourceRecord>> = OnceLock::new();
    SET.get_or_init(|| records(&ScaleOptions::new("scale", today(), 1)).expect("valid records").0)
}

fn count(records: &[SourceRecord], record_type: RecordType) -> usize {
    records.iter().filter(|r| r.key.record_type == record_type).count()
}

fn local(at: chrono::DateTime<chrono::FixedOffset>) -> NaiveDate {
    super::super::local_date(at.with_timezone(&Utc))
}

#[test]
fn one_x_has_the_promised_sizes_and_every_record_parses() {
    let records = one_x();
    assert_eq!(count(records, RecordType::Customer), 1_000);
    assert_eq!(count(records, RecordType::Order), 6_000);
    assert_eq!(count(records, RecordType::Product), 100);
    assert_eq!(count(records, RecordType::SalesRep), 10);
    assert_eq!(count(records, RecordType::SalesTarget), 48);
    assert_eq!(count(records, RecordType::MarketingSpend), 48);
    let invoices = count(records, RecordType::Invoice);
    assert!((5_000..6_000).contains(&invoices), "{invoices} invoices");
    let payments = count(records, RecordType::Payment);
    assert!((4_500..8_000).contains(&payments), "{payments} payments");
    let end = today().and_hms_opt(23, 59, 59).unwrap().and_utc();
    assert!(records.iter().all(|r| r.updated_at <= end), "a record after today");
    let ids: std::collections::HashSet<_> = records.iter().map(|r| &r.key).collect();
    assert_eq!(ids.len(), records.len(), "a record key repeats");
}

#[test]
fn few_customers_buy_often_and_most_buy_once() {
    let mut per_customer: HashMap<i64, usize> = HashMap::new();
    for record in one_x() {
        if let Some(RecordBody::Order(order)) = &record.body {
            *per_customer.entry(order.customer_id).or_default() += 1;
        }
    }
    let buyers = per_customer.len();
    let once = per_customer.values().filter(|n| **n == 1).count();
    assert!((800..=960).contains(&buyers), "{buyers} buyers of 1000");
    assert!(once * 100 >= buyers * 45, "only {once} of {buyers} buyers order once");
    let mut counts: Vec<usize> = per_customer.into_values().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top_ten: usize = counts.iter().take(10).sum();
    assert!(top_ten * 100 >= 6_000 * 20, "the top 1% place only {top_ten} of 6000 orders");
    assert!(counts[0] >= 60 && counts[0] <= 250, "heaviest buyer: {} orders", counts[0]);
}

#[test]
fn customers_arrive_through_the_years_and_order_after_they_join() {
    let records = one_x();
    let mut joined: BTreeMap<i32, usize> = BTreeMap::new();
    let mut created = HashMap::new();
    for record in records {
        if let Some(RecordBody::Customer(customer)) = &record.body {
            let created_at = customer.created_at.expect("every generated customer has created_at");
            *joined.entry(created_at.year()).or_default() += 1;
            created.insert(record.key.id, created_at);
        }
    }
    let during: Vec<usize> = (2022..=2025).map(|y| joined.get(&y).copied().unwrap_or(0)).collect();
    assert!(during.windows(2).all(|w| w[0] < w[1]), "arrivals per year {during:?} do not grow");
    assert!(
        joined.range(..2022).map(|(_, n)| n).sum::<usize>() >= 100,
        "too few customers before 2022"
    );
    let mut first_order: HashMap<i64, NaiveDate> = HashMap::new();
    for record in records {
        if let Some(RecordBody::Order(order)) = &record.body {
            assert!(
                order.ordered_at >= created[&order.customer_id],
                "order {} before its customer",
                record.key.id
            );
            let day = local(order.ordered_at);
            first_order.entry(order.customer_id).and_modify(|d| *d = (*d).min(day)).or_insert(day);
        }
    }
    let firsts_per_year = |y| first_order.values().filter(|d| d.year() == y).count();
    assert!(firsts_per_year(2025) > firsts_per_year(2022), "new buyers do not grow");
    let months: std::collections::BTreeSet<(i32, u32)> =
        first_order.values().map(|d| (d.year(), d.month())).collect();
    assert!(months.len() >= 46, "first orders in only {} months", months.len());
}

#[test]
fn invoices_and_payments_tell_every_story() {
    let (mut invoice_statuses, mut payment_statuses) = (BTreeMap::new(), BTreeMap::new());
    let (mut written_off, mut instalments, mut failed_with_reason, mut disputed) = (0, 0, 0, 0);
    for record in one_x() {
        match &record.body {
            Some(RecordBody::Invoice(invoice)) => {
                *invoice_statuses.entry(invoice.status.as_str()).or_insert(0) += 1;
                written_off += usize::from(invoice.written_off_amount > Decimal::ZERO);
                instalments += usize::from(invoice.payment_applications.len() >= 2);
                if let Some(issued_at) = invoice.issued_at {
                    assert!(
                        invoice.due_date > local(issued_at),
                        "invoice {} due before issue",
                        record.key.id
                    );
                }
            }
            Some(RecordBody::Payment(payment)) => {
                *payment_statuses.entry(payment.status.as_str()).or_insert(0) += 1;
                failed_with_reason += usize::from(
                    payment.status == PaymentStatus::Failed && payment.failure_reason.is_some(),
                );
                disputed += usize::from(payment.dispute.is_some());
            }
            _ => {}
        }
    }
    for status in InvoiceStatus::ALL {
        assert!(
            invoice_statuses.contains_key(status.as_str()),
            "no {status:?} invoice: {invoice_statuses:?}"
        );
    }
    assert!(invoice_statuses["paid"] * 100 >= 6_000 * 60, "{invoice_statuses:?}");
    assert!(
        written_off >= 10 && instalments >= 300,
        "{written_off} written off, {instalments} in instalments"
    );
    let captured = payment_statuses.get("completed").copied().unwrap_or(0);
    assert!(
        captured * 100 >= payment_statuses.values().sum::<usize>() * 80,
        "{payment_statuses:?}"
    );
    assert!(
        failed_with_reason >= 50 && disputed >= 10,
        "{failed_with_reason} failed, {disputed} disputed"
    );
    let orders = one_x().iter().filter_map(|r| match &r.body {
        Some(RecordBody::Order(o)) => Some(o.status),
        _ => None,
    });
    let statuses: std::collections::BTreeSet<OrderStatus> = orders.collect();
    assert_eq!(statuses.len(), OrderStatus::ALL.len(), "{statuses:?}");
}

#[test]
fn the_same_options_give_the_same_bytes_and_scale_multiplies() {
    let small = ScaleOptions { seed: 3, ..ScaleOptions::new("s", today(), 1) };
    let (mut first, mut second) = (Vec::new(), Vec::new());
    generate(&small, &mut first).unwrap();
    generate(&small, &mut second).unwrap();
    assert!(first == second, "two runs differ");
    let mut other = Vec::new();
    generate(&ScaleOptions { seed: 4, ..small.clone() }, &mut other).unwrap();
    assert!(first != other, "another seed gives the same bytes");
    let (records, stats) = records(&ScaleOptions { scale: 2, ..small }).unwrap();
    assert_eq!(count(&records, RecordType::Customer), 2_000);
    assert_eq!(count(&records, RecordType::Order), 12_000);
    assert_eq!(count(&records, RecordType::Product), 100);
    assert_eq!(stats.lines, records.len());
}

#[test]
fn bad_options_are_refused() {
    for options in [
        ScaleOptions::new("s", today(), 0),
        ScaleOptions::new("s", today(), super::MAX_SCALE + 1),
        ScaleOptions::new("bad tenant", today(), 1),
    ] {
        let error = generate(&options, &mut Vec::new()).expect_err("refused");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{options:?}");
    }
}
