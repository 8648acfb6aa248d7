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
use sales_shared::buckets::cover;
use sales_shared::metrics::aging::{AgingInvoice, Buckets, aging_report};
use sales_shared::metrics::invoices::OpenInPeriod;
use sales_shared::periods::{DateRange, PeriodKind};
use sales_shared::records::{RecordBody, RecordType, SourceRecord};
use sales_shared::store::aggregates::{family, measures_pk};
use sales_shared::store::indexes::aging_invoice;
use sales_tests::{TestStack, token};
use salesctl::read_cost::{PREFIX, ReadCase, cases};
use salesctl::scale::{ScaleOptions, records};

const TODAY: &str = "2025-12-17";
/// 23:00 in New York on `TODAY`: after every generated record.
const NOW: &str = "2025-12-18T04:00:00Z";

/// Requests whose reads are not bounded yet (issue 11): at 1x they pass
/// their bound or read more with twice the customers. Each line is a label
/// of `salesctl::read_cost::cases`; remove it once the data model bounds
/// that request, and the test asserts its bound and flatness from then on
/// (the table marks a listed request that already keeps both).
const NOT_YET_BOUNDED: &[&str] = &[
    // `by_customer` ranks customers by their balance at that date
    // (docs/data-model.md, "What stays proportional").
    "invoices/aging-report as_of 18 months back",
];

/// Custom ranges of figures over distinct customers (top customers,
/// unique, new and returning customers, segments, retention, amounts
/// invoiced per customer): a custom range is not a bucket, and distinct
/// counts do not add across a cover (docs/data-model.md, "Distinct
/// customers over an arbitrary day range"). Each is held to its bound plus
/// the customer items of its range and of the period before it (one per
/// customer active in each bucket of their covers, and one history per
/// customer): proportional to the customers active, never to the orders.
const PER_ACTIVE_CUSTOMER: &[&str] = &[
    "dashboard/widgets/top-customers 4 years",
    "dashboard/widgets/top-customers 10 years",
    "dashboard/customer-analytics 4 years",
    "dashboard/customer-analytics 10 years",
    "dashboard/performance 4 years",
    "dashboard/performance 10 years",
    "orders/performance-metrics 4 years",
    "orders/performance-metrics 10 years",
    "invoices/statistics 4 years",
    "invoices/statistics 10 years",
];

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
    "payments/failed 4 years",
    "payments/failed 10 years",
    "orders/high-value default",
    "orders/high-value 4 years",
    "orders/high-value 10 years",
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
    for name in NOT_YET_BOUNDED.iter().chain(PER_ACTIVE_CUSTOMER) {
        assert!(cases.iter().any(|c| c.label == *name), "a list names no request: {name}");
    }
    let state = expected_state(base, &base_records);
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
        let one = items_read(&stack, base, url).await;
        let two = if (pending || per_customer) && !all_twice {
            None
        } else {
            Some(items_read(&stack, twice, url).await)
        };
        let limit = match per_customer {
            true => bound.limit() + customer_items(&state, base, range_of(url)),
            false => bound.limit(),
        };
        let flat = |two: u64| two == one || PAGED_LISTS.contains(&label.as_str()) || per_customer;
        let within =
            one <= limit && two.is_none_or(|two| (two <= limit || per_customer) && flat(two));
        let note = match (pending, within, two.is_some()) {
            (false, true, _) if per_customer => "bound + customers active",
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

/// High-value orders over the whole history (every generated order is
/// before `NOW`), at a band edge (the default 10 000) and inside a band:
/// `meta` from the bands (and the partial band's orders) equals the totals
/// of the revenue-bearing orders counted here, and two pages through the
/// cursor are the first rows by amount descending, ids ascending.
async fn high_value_orders_match_the_orders(
    stack: &TestStack,
    tenant: &str,
    records: &[SourceRecord],
) {
    let read = token(tenant, "sales:read");
    for minimum in [10_000_i64, 1_500] {
        let mut expected: Vec<(i64, i64)> = records
            .iter()
            .filter_map(|r| match &r.body {
                Some(RecordBody::Order(o)) if o.is_revenue_bearing() => {
                    let cents = sales_shared::money::to_cents(o.total_amount).expect("cents");
                    (cents >= minimum * 100).then_some((cents, r.key.id))
                }
                _ => None,
            })
            .collect();
        expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        assert!(expected.len() > 40, "too few orders of at least {minimum}: {}", expected.len());
        let query =
            format!("minimum_amount={minimum}&from_date=2016-01-01&to_date={TODAY}&limit=20");
        let mut url = format!("{PREFIX}orders/high-value?{query}");
        let mut seen = Vec::new();
        for page in 0..2 {
            let (status, _, body) = stack.get(&url, Some(&read)).await;
            assert_eq!(status, 200, "{body}");
            if page == 0 {
                let total: i64 = expected.iter().map(|(c, _)| c).sum();
                assert_eq!(
                    body["meta"]["total_orders"],
                    expected.len(),
                    "{minimum}: {}",
                    body["meta"]
                );
                assert_eq!(
                    sales_tests::dec(&body["meta"]["total_value"]),
                    rust_decimal::Decimal::new(total, 2),
                    "{minimum}: {}",
                    body["meta"]
                );
            }
            seen.extend(
                body["data"]
                    .as_array()
                    .expect("rows")
                    .iter()
                    .map(|r| r["id"].as_i64().expect("id")),
            );
            let cursor = body["meta"]["next_cursor"].as_str().expect("a next page");
            url = format!("{PREFIX}orders/high-value?{query}&cursor={cursor}");
        }
        let ids: Vec<i64> = expected.iter().take(40).map(|(_, id)| *id).collect();
        assert_eq!(seen, ids, "the first two pages at {minimum}");
    }
}

/// The custom range of a case's `from_date` and `to_date`.
fn range_of(url: &str) -> DateRange {
    let date = |name: &str| -> NaiveDate {
        let value = url
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix(name))
            .unwrap_or_else(|| panic!("{url}: {name}"));
        value.parse().unwrap_or_else(|_| panic!("{url}: {name}{value}"))
    };
    DateRange::new(date("from_date="), date("to_date="))
}

/// The customer items a custom range's distinct-customer figures may read:
/// the `customer_sales` and `customer_invoices` items in the covers of the
/// range and of the period before it, and one history per customer among
/// them.
fn customer_items(state: &AggregateState, tenant: &str, range: DateRange) -> u64 {
    let mut items = 0u64;
    let mut customers = BTreeSet::new();
    for period in [PeriodKind::Custom.previous(range), range] {
        for base in [family::CUSTOMER_SALES, family::CUSTOMER_INVOICES] {
            let pk = measures_pk(tenant, base);
            for piece in cover(period) {
                let first = (pk.clone(), piece.first.clone());
                let last = (pk.clone(), format!("{}#~", piece.last));
                for ((_, sk), _) in state.measures.range(first..=last) {
                    items += 1;
                    customers.insert(sk.rsplit_once('#').map(|(_, id)| id.to_owned()));
                }
            }
        }
    }
    items + customers.len() as u64
}

/// The derived customer figures of a calendar period (ranking, distinct
/// and new customers) equal those counted from every customer's state
/// items, computed here from the expected state without the derivation.
async fn derived_figures_match_the_customers(
    stack: &TestStack,
    tenant: &str,
    records: &[SourceRecord],
) {
    let state = expected_state(tenant, records);
    let sales = measures_pk(tenant, family::CUSTOMER_SALES);
    // (revenue, placed, id) of every customer with a placed order in 2025.
    let mut customers: Vec<(i128, i128, i64)> = state
        .measures
        .iter()
        .filter(|((pk, sk), m)| {
            *pk == sales && sk.starts_with("Y#2025#") && m.get("placed").is_some_and(|n| *n > 0)
        })
        .map(|((_, sk), m)| {
            let id = sk.rsplit_once('#').and_then(|(_, id)| id.parse().ok()).expect("customer id");
            (m.get("revenue").copied().unwrap_or(0), m["placed"], id)
        })
        .collect();
    customers.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(&b.2)));
    assert!(customers.len() > 100, "too few customers in 2025 to compare: {}", customers.len());
    let first_order = |id: i64| -> chrono::NaiveDate {
        let days = rollup::contributions::customer_days_key(tenant, id);
        state.measures[&days]
            .iter()
            .filter(|(_, n)| **n > 0)
            .filter_map(|(name, _)| {
                sales_shared::store::aggregates::measure::day_of_order_day(name)
            })
            .min()
            .expect("a first order")
    };
    let new =
        customers.iter().filter(|c| first_order(c.2).format("%Y").to_string() == "2025").count();

    let read = token(tenant, "sales:read");
    let url = format!("{PREFIX}orders/performance-metrics?from_date=2025-01-01&to_date=2025-12-31");
    let (status, _, body) = stack.get(&url, Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    let metrics = &body["data"]["customer_metrics"];
    assert_eq!(metrics["unique_customers"], customers.len(), "{metrics}");
    assert_eq!(metrics["new_customers"], new, "{metrics}");
    assert_eq!(metrics["returning_customers"], customers.len() - new, "{metrics}");

    // Two pages of the ranking, through the cursor.
    let mut seen = Vec::new();
    let mut url = format!("{PREFIX}dashboard/widgets/top-customers?period=year&limit=60");
    for _ in 0..2 {
        let (status, _, body) = stack.get(&url, Some(&read)).await;
        assert_eq!(status, 200, "{body}");
        for row in body["data"].as_array().expect("rows") {
            seen.push((
                row["customer_id"].as_i64().expect("id"),
                row["total_orders"].as_i64().expect("orders"),
            ));
        }
        let cursor = body["meta"]["next_cursor"].as_str().expect("a second page");
        url =
            format!("{PREFIX}dashboard/widgets/top-customers?period=year&limit=60&cursor={cursor}");
    }
    let expected: Vec<(i64, i64)> = customers.iter().take(120).map(|c| (c.2, c.1 as i64)).collect();
    assert_eq!(seen, expected);

    // Receivables: the aging report and the month's open invoices from the
    // dated sums and the ranking equal those of the invoices themselves.
    let close = measures_pk(tenant, family::INVOICES_BY_CLOSE);
    let listed: Vec<AgingInvoice> = state
        .items
        .iter()
        .filter(|((pk, _), _)| *pk == close)
        .map(|(_, item)| aging_invoice(item).expect("index item").0)
        .collect();
    let today: chrono::NaiveDate = TODAY.parse().expect("date");
    let expected = aging_report(today, &listed, &Buckets::default(), None);
    assert!(expected.summary.total_invoices > 100, "too few open invoices to compare");
    let (status, _, body) =
        stack.get(&format!("{PREFIX}invoices/aging-report?limit=25"), Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    let as_json = serde_json::to_value(&expected).expect("json");
    assert_eq!(body["data"]["aging_buckets"], as_json["aging_buckets"]);
    assert_eq!(body["data"]["summary"], as_json["summary"]);
    let page: Vec<(i64, String)> = body["data"]["by_customer"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["customer_id"].as_i64().expect("id"), r["total_outstanding"].to_string()))
        .collect();
    let first: Vec<(i64, String)> = as_json["by_customer"]
        .as_array()
        .expect("rows")
        .iter()
        .take(25)
        .map(|r| (r["customer_id"].as_i64().expect("id"), r["total_outstanding"].to_string()))
        .collect();
    assert_eq!(page, first);

    let month =
        DateRange::new("2025-12-01".parse().expect("date"), "2025-12-31".parse().expect("date"));
    let open = OpenInPeriod::of(&listed, month, today);
    let (status, _, body) = stack.get(&format!("{PREFIX}invoices/statistics"), Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    let counts = &body["data"]["invoice_counts"];
    assert_eq!(counts["overdue"], open.overdue_count as i64, "{counts}");
    assert_eq!(
        counts["partially_paid"],
        (open.partially_paid - open.overdue_partially_paid) as i64,
        "{counts}"
    );
    let financial = &body["data"]["financial_metrics"];
    assert_eq!(
        financial["total_outstanding"].to_string(),
        sales_shared::metrics::cents_to_decimal(open.balance).round_dp(2).to_string()
    );
    let (status, _, body) = stack.get(&format!("{PREFIX}dashboard"), Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["invoices"]["invoices_overdue"], open.overdue_count as i64);

    customer_figures_match(stack, tenant, &state).await;
    lists_page_through_everything(stack, tenant, &state).await;
}

/// The ids of every page of a list, following `next_cursor`.
async fn pages(stack: &TestStack, read: &str, first: String) -> Vec<i64> {
    let mut rows = Vec::new();
    let mut url = first.clone();
    loop {
        let (status, _, body) = stack.get(&url, Some(read)).await;
        assert_eq!(status, 200, "{url}: {body}");
        rows.extend(
            body["data"].as_array().expect("rows").iter().map(|r| r["id"].as_i64().expect("id")),
        );
        match body["meta"]["next_cursor"].as_str() {
            Some(cursor) => url = format!("{first}&cursor={cursor}"),
            None => return rows,
        }
    }
}

/// Key-paged lists return, page after page, exactly the rows of the
/// index in the documented order.
async fn lists_page_through_everything(stack: &TestStack, tenant: &str, state: &AggregateState) {
    let read = token(tenant, "sales:read");
    // Failed payments of 2024-2025, newest first, ids ascending per instant.
    let year = |y: &str| measures_pk(tenant, &format!("failed_payments#Y#{y}"));
    let mut failed: Vec<(String, i64)> = state
        .items
        .iter()
        .filter(|((pk, _), _)| *pk == year("2024") || *pk == year("2025"))
        .map(|(_, item)| {
            let at = item["failed_at"].as_s().expect("failed_at").clone();
            (at, item["payment_id"].as_n().expect("id").parse().expect("id"))
        })
        .collect();
    failed.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert!(failed.len() > 100, "too few failed payments: {}", failed.len());
    let expected: Vec<i64> = failed.iter().map(|(_, id)| *id).collect();
    let url = format!("{PREFIX}payments/failed?from_date=2024-01-01&to_date=2025-12-31&limit=37");
    assert_eq!(pages(stack, &read, url).await, expected);
    // Open disputes by evidence due date.
    let open = measures_pk(tenant, family::OPEN_DISPUTES);
    let expected: Vec<i64> = state
        .items
        .iter()
        .filter(|((pk, _), _)| *pk == open)
        .map(|(_, item)| item["payment_id"].as_n().expect("id").parse().expect("id"))
        .collect();
    assert!(!expected.is_empty(), "no open disputes to page");
    assert_eq!(pages(stack, &read, format!("{PREFIX}payments/disputed?limit=3")).await, expected);
}

/// Customer analytics and the KPIs of a calendar period (derived counts,
/// the lifetime-value histogram, the order-to-cash join) equal the
/// per-customer computation of `sales_shared::metrics` over every
/// customer's state items, taken here from the expected state.
async fn customer_figures_match(stack: &TestStack, tenant: &str, state: &AggregateState) {
    use sales_shared::metrics::customers::{CustomerMap, CustomerSets, CustomerTotals, order_days};
    let sales = measures_pk(tenant, family::CUSTOMER_SALES);
    let totals = |prefix: &str| -> CustomerMap {
        let mut map = CustomerMap::new();
        for ((pk, sk), m) in &state.measures {
            if *pk != sales || !sk.starts_with(prefix) {
                continue;
            }
            let Some(id) = sk.rsplit_once('#').and_then(|(_, id)| id.parse::<i64>().ok()) else {
                continue;
            };
            let t = map.entry(id).or_default();
            t.placed += m.get("placed").copied().unwrap_or(0);
            t.revenue_bearing += m.get("revenue_bearing").copied().unwrap_or(0);
            t.revenue_cents += m.get("revenue").copied().unwrap_or(0);
        }
        map.retain(|_, t| *t != CustomerTotals::default());
        map
    };
    let days: std::collections::BTreeMap<i64, _> = state
        .measures
        .iter()
        .filter(|((pk, _), _)| pk.starts_with(&format!("{tenant}#customer_days#")))
        .map(|((_, sk), m)| (sk.parse::<i64>().expect("id"), order_days(m)))
        .collect();
    let year: chrono::NaiveDate = "2025-01-01".parse().expect("date");
    let sets = CustomerSets {
        period: totals("Y#2025#"),
        first_orders: days.iter().filter_map(|(id, d)| Some((*id, *d.keys().next()?))).collect(),
        from: year,
        through: totals("Y#"),
    };
    let end: chrono::NaiveDate = "2025-12-31".parse().expect("date");
    let vip = sales_shared::records::TenantSettings::default().vip_lifetime_revenue;
    let expected = serde_json::to_value(sales_shared::metrics::kpis::customer_analytics(
        &sets, &days, end, vip, 10,
    ))
    .expect("json");
    let read = token(tenant, "sales:read");
    let (status, _, body) =
        stack.get(&format!("{PREFIX}dashboard/customer-analytics?period=year"), Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    for part in ["customer_segmentation", "customer_lifetime_value", "purchase_frequency"] {
        assert_eq!(body["data"][part], expected[part], "{part}");
    }
    let top =
        |v: &serde_json::Value| -> Vec<(serde_json::Value, serde_json::Value, serde_json::Value)> {
            v.as_array()
                .expect("rows")
                .iter()
                .map(|r| {
                    (
                        r["customer_id"].clone(),
                        r["customer_since"].clone(),
                        r["lifetime_value"].clone(),
                    )
                })
                .collect()
        };
    assert_eq!(top(&body["data"]["top_customers"]), top(&expected["top_customers"]));

    // A custom range ending today (not a calendar bucket): the customers
    // active in it, by their day items.
    let (from, to): (chrono::NaiveDate, chrono::NaiveDate) =
        ("2025-03-15".parse().expect("date"), TODAY.parse().expect("date"));
    let mut active = CustomerMap::new();
    for ((pk, sk), m) in &state.measures {
        let Some(day) = sk
            .strip_prefix("D#")
            .and_then(|rest| rest.get(..10))
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        else {
            continue;
        };
        if *pk != sales || day < from || day > to {
            continue;
        }
        let id = sk.rsplit_once('#').and_then(|(_, id)| id.parse::<i64>().ok()).expect("id");
        let t = active.entry(id).or_default();
        t.placed += m.get("placed").copied().unwrap_or(0);
        t.revenue_bearing += m.get("revenue_bearing").copied().unwrap_or(0);
        t.revenue_cents += m.get("revenue").copied().unwrap_or(0);
    }
    let custom = CustomerSets { period: active, from, ..sets.clone() };
    let expected = serde_json::to_value(sales_shared::metrics::kpis::customer_analytics(
        &custom, &days, to, vip, 10,
    ))
    .expect("json");
    let url =
        format!("{PREFIX}dashboard/customer-analytics?period=custom&from_date={from}&to_date={to}");
    let (status, _, body) = stack.get(&url, Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    for part in ["customer_segmentation", "customer_lifetime_value", "purchase_frequency"] {
        assert_eq!(body["data"][part], expected[part], "custom range: {part}");
    }
    assert_eq!(top(&body["data"]["top_customers"]), top(&expected["top_customers"]));

    // KPIs of December: retention against November, recurring revenue.
    let month = |m: &str| totals(&format!("M#2025-{m}#"));
    let (rate, churn) = sales_shared::metrics::kpis::retention(&month("11"), &month("12"));
    let mrr = sales_shared::metrics::kpis::monthly_recurring_revenue(&month("12"), &month("11"));
    let (status, _, body) = stack.get(&format!("{PREFIX}dashboard/performance"), Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    let kpis = &body["data"];
    let same = |api: &serde_json::Value, expected: rust_decimal::Decimal| {
        let api: rust_decimal::Decimal =
            api.to_string().parse().unwrap_or_else(|_| panic!("not a number: {api}"));
        assert_eq!(api, sales_shared::money::round(expected, 2), "API {api}, expected {expected}");
    };
    same(&kpis["customer_kpis"]["customer_retention_rate"], rate);
    same(&kpis["customer_kpis"]["churn_rate"], churn);
    same(&kpis["revenue_kpis"]["monthly_recurring_revenue"], mrr);
    let december = sales_shared::metrics::customers::CustomerSets {
        period: month("12"),
        through: totals("Y#"),
        ..sets
    };
    let ltv = sales_shared::metrics::customers::lifetime_value(&december).average;
    same(&kpis["customer_kpis"]["customer_lifetime_value"], ltv);
}
