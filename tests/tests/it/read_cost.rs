//! Items read per request (the `x-items-read` header) on a generated tenant
//! at 1x (`salesctl::scale`: 1 000 customers, 6 000 orders over four
//! years, realistic repeat-purchase skew), for every request of
//! `salesctl::read_cost::cases` (issue 11's table, every endpoint with the
//! guide's defaults and each calendar period, custom ranges of four and ten
//! years), and on the same tenant with twice the customers: every customer
//! with their orders, invoices and payments a second time, on the same
//! dates, so every dated bucket is the same and only per-customer,
//! per-invoice and per-order reads can differ.
//!
//! Every request not in [`NOT_YET_BOUNDED`] must read at most its bound
//! (100 items for calendar periods and defaults, 300 for custom ranges and
//! past aging dates) and the same number of items for both tenants. The
//! table (`--nocapture`; `READ_COST_TWICE=1` reads the second tenant for
//! every request) is recorded in docs/performance.md.
//!
//! The aggregates are written with `salesctl::bulk` (the expected state of
//! `salesctl rebuild`, batch-written), not through the stream, which would
//! take minutes; the test reads part of them back to check that path.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rollup::rebuild::{AggregateState, differences, expected_state, live_state};
use sales_shared::calendar::cover;
use sales_shared::figures::aging::{AgingInvoice, Buckets, aging_report};
use sales_shared::figures::invoices::OpenInPeriod;
use sales_shared::layout::{family, measures_pk};
use sales_shared::periods::{DateRange, PeriodKind};
use sales_shared::records::{RecordBody, RecordType, SourceRecord};
use sales_shared::store::indexes::aging_invoice;
use sales_tests::{TestStack, token};
use salesctl::read_cost::{Bound, PREFIX, ReadCase, cases};
use salesctl::scale::{ScaleOptions, records};

mod checks;

use checks::{
    as_of_of, customer_items, derived_figures_match_the_customers,
    high_value_orders_match_the_orders, listed_invoices, open_at, range_of,
};

const TODAY: &str = "2025-12-17";
/// 23:00 in New York on `TODAY`: after every generated record.
const NOW: &str = "2025-12-18T04:00:00Z";

/// Requests whose reads are not bounded yet (issue 11): at 1x they pass
/// their bound or read more with twice the customers. Each line is a label
/// of `salesctl::read_cost::cases`; remove it once the data model bounds
/// that request, and the test asserts its bound and flatness from then on
/// (the table marks a listed request that already keeps both).
const NOT_YET_BOUNDED: &[&str] = &[];

/// Requests still read per customer: none. (Each request that may read
/// per customer or per invoice keeps its bound here plus the customer
/// items of its range: proportional to the customers active, never to
/// the orders.)
const PER_ACTIVE_CUSTOMER: &[&str] = &[];

/// Key-paged lists held to their bound only, not to reading the same items
/// at both sizes: the open disputes at 1x are fewer than a page (all of
/// them are read, and a page of the twin's); failed payments read the
/// cover's partitions newest first until the page is full, and the twin's
/// copies share every instant with their originals, so a page's edge falls
/// in a tie more often (a few items more); high-value orders likewise
/// share their totals with their twins (ties at the page's edge are read
/// whole).
const PAGED_LISTS: &[&str] = &[
    "payments/disputed default",
    "payments/failed default",
    "payments/failed 1 year",
    "payments/failed 4 years",
    "payments/failed 10 years",
    "orders/high-value default",
    "orders/high-value 1 year",
    "orders/high-value 4 years",
    "orders/high-value 10 years",
];

/// Custom ranges ranked by the threshold algorithm (the top-customers
/// widget and customer analytics' top customers), held to their bound
/// only: the twin tenant gives every total to two customers, so each
/// ranking holds every value twice and the algorithm reads about twice
/// the entries before the k-th best total passes the floor: ties, not
/// customers, set the extra (checked within the bound at both sizes).
const RANKED_BY_THRESHOLD: &[&str] = &[
    "invoices/statistics 1 year",
    "invoices/statistics 4 years",
    "invoices/statistics 10 years",
    "dashboard/widgets/top-customers 1 year",
    "dashboard/widgets/top-customers 4 years",
    "dashboard/widgets/top-customers 10 years",
    "dashboard/customer-analytics 1 year",
    "dashboard/customer-analytics 4 years",
    "dashboard/customer-analytics 10 years",
];

/// Twin records get ids this much higher.
const TWIN_OFFSET: i64 = 1_000_000_000;

/// The records for `tenant`, and with `twins` a second copy of every
/// customer, order, invoice and payment (ids offset, same dates and amounts).
fn tenant_records(records: &[SourceRecord], tenant: &str, twins: bool) -> Vec<SourceRecord> {
    let mut out = Vec::with_capacity(records.len() * 2);
    for record in records {
        let mut own = record.clone();
        own.key.tenant_id = tenant.to_owned();
        out.push(own);
        if !twins {
            continue;
        }
        let mut twin = record.clone();
        twin.key.tenant_id = tenant.to_owned();
        twin.key.id += TWIN_OFFSET;
        let offset = |id: &mut i64| *id += TWIN_OFFSET;
        match &mut twin.body {
            Some(RecordBody::Customer(_)) => {}
            Some(RecordBody::Order(order)) => offset(&mut order.customer_id),
            Some(RecordBody::Invoice(invoice)) => {
                offset(&mut invoice.customer_id);
                invoice.order_id.iter_mut().for_each(offset);
                invoice.payment_applications.iter_mut().for_each(|a| offset(&mut a.payment_id));
            }
            Some(RecordBody::Payment(payment)) => {
                offset(&mut payment.customer_id);
                payment.invoice_id.iter_mut().chain(payment.order_id.iter_mut()).for_each(offset);
            }
            _ => continue,
        }
        out.push(twin);
    }
    out
}

async fn items_read(stack: &TestStack, tenant: &str, url: &str) -> u64 {
    let (status, headers, body) = stack.get(url, Some(&token(tenant, "sales:read"))).await;
    assert_eq!(status, 200, "{url}: {body}");
    let header = headers.get("x-items-read").unwrap_or_else(|| panic!("{url}: no x-items-read"));
    header
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{url}: x-items-read {header:?}"))
}

async fn write(stack: &TestStack, tenant: &str, records: &[SourceRecord]) {
    let report = salesctl::bulk::write_aggregates(
        &stack.dynamo,
        &stack.config.aggregates_table,
        tenant,
        records,
        1,
        salesctl::bulk::DEFAULT_CONCURRENCY,
        &|_| {},
    )
    .await
    .expect("aggregates written");
    println!(
        "{tenant}: {} records, {} aggregate items ({} measure, {} whole), computed in {:.1?}, written in {:.1?}",
        report.records,
        report.items(),
        report.measure_items,
        report.whole_items,
        report.compute,
        report.write
    );
}

#[tokio::test]
async fn read_cost_on_a_generated_tenant() {
    let today: NaiveDate = TODAY.parse().expect("date");
    let stack = TestStack::new("read-cost", NOW).await;
    let (generated, stats) =
        records(&ScaleOptions::new("gen", today, 1)).expect("generated tenant");
    println!("1x: {:?}", stats.by_type);
    let (base, twice) = ("onex", "twice");
    let base_records = tenant_records(&generated, base, false);
    let twice_records = tenant_records(&generated, twice, true);
    let customers = |records: &[SourceRecord]| {
        records.iter().filter(|r| r.key.record_type == RecordType::Customer).count()
    };
    assert_eq!(
        customers(&twice_records),
        2 * customers(&base_records),
        "the twin tenant has twice the customers"
    );
    drop(generated);
    write(&stack, base, &base_records).await;
    write(&stack, twice, &twice_records).await;

    // The bulk path leaves the state `salesctl verify` expects (checked on
    // the dated families and the copies; reading back all of it would take
    // minutes in a debug build: the bench does it with READ_COST_VERIFY=1).
    let expected = expected_state(base, &base_records);
    let families =
        [family::ORDERS, family::PAYMENTS, family::INVOICES, family::CUSTOMERS, family::PRODUCTS];
    let pks: BTreeSet<String> = families.iter().map(|f| measures_pk(base, f)).collect();
    let live = live_state(&stack.dynamo, &stack.config.aggregates_table, base, &pks)
        .await
        .expect("live state");
    let expected = AggregateState {
        measures: expected.measures.into_iter().filter(|((pk, _), _)| pks.contains(pk)).collect(),
        items: expected.items.into_iter().filter(|((pk, _), _)| pks.contains(pk)).collect(),
    };
    assert!(
        expected.measures.len() > 1_000 && expected.items.len() >= 1_100,
        "too little to compare"
    );
    let diffs = differences(&expected, &live);
    assert!(
        diffs.is_empty(),
        "{} items differ after the bulk write, first: {}",
        diffs.len(),
        diffs[0]
    );

    derived_figures_match_the_customers(&stack, base, &base_records).await;
    high_value_orders_match_the_orders(&stack, base, &base_records).await;

    let cases = cases(today);
    for name in NOT_YET_BOUNDED.iter().chain(PER_ACTIVE_CUSTOMER).chain(RANKED_BY_THRESHOLD) {
        assert!(cases.iter().any(|c| c.label == *name), "a list names no request: {name}");
    }
    let state = expected_state(base, &base_records);
    let invoices = listed_invoices(&state, base);
    // The twin tenant is only read where flatness is asserted, unless
    // READ_COST_TWICE=1 asks for the whole table (the unbounded requests
    // read thousands of items each, which takes minutes in a debug build).
    let all_twice = std::env::var("READ_COST_TWICE").is_ok_and(|v| v == "1");
    println!("| request | path and query | bound | 1x | 1x, twice the customers | |");
    println!("|---|---|---|---|---|---|");
    let mut failures = Vec::new();
    for ReadCase { label, url, bound } in &cases {
        let pending = NOT_YET_BOUNDED.contains(&label.as_str());
        let per_customer = PER_ACTIVE_CUSTOMER.contains(&label.as_str());
        // The past-date ranking reads the invoices open at that date: its
        // bound grows with them, and so with the twin's customers.
        let open_then = (*bound == Bound::PastAging).then(|| open_at(&invoices, as_of_of(url)));
        let one = items_read(&stack, base, url).await;
        let two = if (pending || per_customer || open_then.is_some()) && !all_twice {
            None
        } else {
            Some(items_read(&stack, twice, url).await)
        };
        let limit = match (per_customer, open_then) {
            (true, _) => bound.limit() + customer_items(&state, base, range_of(url)),
            (false, Some(open)) => bound.limit() + open,
            (false, None) => bound.limit(),
        };
        let proportional = per_customer || open_then.is_some();
        let tied =
            PAGED_LISTS.contains(&label.as_str()) || RANKED_BY_THRESHOLD.contains(&label.as_str());
        let flat = |two: u64| two == one || tied || proportional;
        let within =
            one <= limit && two.is_none_or(|two| (two <= limit || proportional) && flat(two));
        let note = match (pending, within, two.is_some()) {
            (false, true, _) if per_customer => "bound + customers active",
            (false, true, _) if open_then.is_some() => "bound + invoices open then",
            (false, true, _) => "bounded",
            (false, false, _) => "FAILS",
            (true, false, _) => "not yet bounded",
            (true, true, true) => "not yet bounded (within its bound and flat now)",
            (true, true, false) => "not yet bounded (1x within its bound)",
        };
        let two = two.map_or("-".to_owned(), |n| n.to_string());
        println!(
            "| {label} | `{}` | {limit} | {one} | {two} | {note} |",
            url.trim_start_matches(PREFIX)
        );
        if !pending && !within {
            failures.push(format!(
                "{label}: {one} and {two} items (twice the customers), bound {limit}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "requests over their bound or growing with customers:\n{}",
        failures.join("\n")
    );
}
