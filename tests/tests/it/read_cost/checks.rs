//! The figures of the generated tenant checked against its records, and
//! its lists paged through to the end (called by `read_cost_on_a_generated_tenant`).

use super::*;

/// High-value orders over the whole history (every generated order is
/// before `NOW`), at a band edge (the default 10 000) and inside a band:
/// `meta` from the bands (and the partial band's orders) equals the totals
/// of the revenue-bearing orders counted here, and two pages through the
/// cursor are the first rows by amount descending, ids ascending.
pub(super) async fn high_value_orders_match_the_orders(
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

/// Every invoice of the tenant once, with its dated applications: the
/// closing-date index under each invoice's issue day.
pub(super) fn listed_invoices(state: &AggregateState, tenant: &str) -> Vec<AgingInvoice> {
    let close = measures_pk(tenant, &family::bucketed(family::INVOICES_BY_CLOSE, "D#"));
    state
        .items
        .iter()
        .filter(|((pk, _), _)| pk.starts_with(&close))
        .map(|(_, item)| aging_invoice(item).expect("index item").0)
        .collect()
}

/// The aging report at `as_of` (buckets, summary and the first page of
/// `by_customer`) equals the one computed from the invoices themselves.
async fn aging_report_matches(
    stack: &TestStack,
    read: &str,
    listed: &[AgingInvoice],
    as_of: NaiveDate,
) {
    let expected = aging_report(as_of, listed, &Buckets::default(), None);
    assert!(expected.summary.total_invoices > 10, "too few open invoices on {as_of}");
    let url = format!("{PREFIX}invoices/aging-report?limit=25&as_of_date={as_of}");
    let (status, _, body) = stack.get(&url, Some(read)).await;
    assert_eq!(status, 200, "{body}");
    let as_json = serde_json::to_value(&expected).expect("json");
    assert_eq!(body["data"]["aging_buckets"], as_json["aging_buckets"], "{as_of}");
    assert_eq!(body["data"]["summary"], as_json["summary"], "{as_of}");
    let rows = |rows: &serde_json::Value| -> Vec<(i64, String)> {
        rows.as_array()
            .expect("rows")
            .iter()
            .take(25)
            .map(|r| (r["customer_id"].as_i64().expect("id"), r["total_outstanding"].to_string()))
            .collect()
    };
    assert_eq!(rows(&body["data"]["by_customer"]), rows(&as_json["by_customer"]), "{as_of}");
}

/// Invoices open at the end of `day`.
pub(super) fn open_at(listed: &[AgingInvoice], day: NaiveDate) -> u64 {
    listed.iter().filter(|i| i.is_open_at(day)).count() as u64
}

/// The date a case's URL gives its parameter `name` (`"from_date="`).
fn date_param(url: &str, name: &str) -> NaiveDate {
    let value = url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix(name))
        .unwrap_or_else(|| panic!("{url}: {name}"));
    value.parse().unwrap_or_else(|_| panic!("{url}: {name}{value}"))
}

/// The custom range of a case's `from_date` and `to_date`.
pub(super) fn range_of(url: &str) -> DateRange {
    DateRange::new(date_param(url, "from_date="), date_param(url, "to_date="))
}

/// The `as_of_date` of an aging report's URL.
pub(super) fn as_of_of(url: &str) -> NaiveDate {
    date_param(url, "as_of_date=")
}

/// The customer items a custom range's distinct-customer figures may read:
/// the `customer_sales` and `customer_invoices` items in the covers of the
/// range and of the period before it, and one history per customer among
/// them.
pub(super) fn customer_items(state: &AggregateState, tenant: &str, range: DateRange) -> u64 {
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
pub(super) async fn derived_figures_match_the_customers(
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
            .filter_map(|(name, _)| sales_shared::layout::measure::day_of_order_day(name))
            .min()
            .expect("a first order")
    };
    let new =
        customers.iter().filter(|c| first_order(c.2).format("%Y").to_string() == "2025").count();

    let read = token(tenant, "sales:read");
    customer_metrics_match(stack, &read, ("2025-01-01", "2025-12-31"), customers.len(), new).await;

    // Two pages of the ranking, through the cursor.
    let seen = top_customer_pages(stack, &read, "period=year&limit=60", 2).await;
    let expected: Vec<(i64, i64)> = customers.iter().take(120).map(|c| (c.2, c.1 as i64)).collect();
    assert_eq!(seen, expected);

    // Receivables: the aging report and the month's open invoices from the
    // dated sums and the ranking equal those of the invoices themselves,
    // today and at past dates (from the closing-date index).
    let listed = listed_invoices(&state, tenant);
    let today: chrono::NaiveDate = TODAY.parse().expect("date");
    let expected = aging_report(today, &listed, &Buckets::default(), None);
    assert!(expected.summary.total_invoices > 100, "too few open invoices to compare");
    for as_of in [TODAY, "2024-06-17", "2025-01-01", "2023-02-28"] {
        aging_report_matches(stack, &read, &listed, as_of.parse().expect("date")).await;
    }

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
        sales_shared::figures::cents_to_decimal(open.balance).round_dp(2).to_string()
    );
    let (status, _, body) = stack.get(&format!("{PREFIX}dashboard"), Some(&read)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["invoices"]["invoices_overdue"], open.overdue_count as i64);

    customer_figures_match(stack, tenant, &state).await;
    lists_page_through_everything(stack, tenant, &state).await;
}

/// `/orders/performance-metrics` of the range `(from, to)` counts `unique`
/// customers, `new` of them new and the rest returning.
async fn customer_metrics_match(
    stack: &TestStack,
    read: &str,
    (from, to): (&str, &str),
    unique: usize,
    new: usize,
) {
    let url = format!("{PREFIX}orders/performance-metrics?from_date={from}&to_date={to}");
    let (status, _, body) = stack.get(&url, Some(read)).await;
    assert_eq!(status, 200, "{body}");
    let metrics = &body["data"]["customer_metrics"];
    assert_eq!(metrics["unique_customers"], unique, "{from}..{to}: {metrics}");
    assert_eq!(metrics["new_customers"], new, "{from}..{to}: {metrics}");
    assert_eq!(metrics["returning_customers"], unique - new, "{from}..{to}: {metrics}");
}

/// (customer id, orders) of the top-customers widget's rows, `pages` pages
/// from `query` at most, following `next_cursor`.
async fn top_customer_pages(
    stack: &TestStack,
    read: &str,
    query: &str,
    pages: usize,
) -> Vec<(i64, i64)> {
    let first = format!("{PREFIX}dashboard/widgets/top-customers?{query}");
    let (mut rows, mut url) = (Vec::new(), first.clone());
    for _ in 0..pages {
        let (status, _, body) = stack.get(&url, Some(read)).await;
        assert_eq!(status, 200, "{url}: {body}");
        for row in body["data"].as_array().expect("rows") {
            rows.push((
                row["customer_id"].as_i64().expect("id"),
                row["total_orders"].as_i64().expect("orders"),
            ));
        }
        let Some(cursor) = body["meta"]["next_cursor"].as_str() else { break };
        url = format!("{first}&cursor={cursor}");
    }
    rows
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
/// per-customer computation of `sales_shared::figures` over every
/// customer's state items, taken here from the expected state.
async fn customer_figures_match(stack: &TestStack, tenant: &str, state: &AggregateState) {
    use sales_shared::figures::customers::{CustomerMap, CustomerSets, CustomerTotals, order_days};
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
    let expected = serde_json::to_value(sales_shared::figures::kpis::customer_analytics(
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

    // Custom ranges (not calendar buckets): ending today (sums over the
    // cover and the threshold algorithm), four years long included, and
    // ending in the past (the customers active and everyone's lifetime
    // through the end); expected from the customers' day items.
    let active = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        let mut active = CustomerMap::new();
        for (day, id, m) in day_entities(state, &sales) {
            if day < from || day > to {
                continue;
            }
            let t = active.entry(id).or_default();
            t.placed += m.get("placed").copied().unwrap_or(0);
            t.revenue_bearing += m.get("revenue_bearing").copied().unwrap_or(0);
            t.revenue_cents += m.get("revenue").copied().unwrap_or(0);
        }
        active.retain(|_, t| *t != CustomerTotals::default());
        active
    };
    for (from, to) in [
        ("2025-03-15", TODAY),
        ("2021-12-18", TODAY),
        ("2015-12-18", TODAY),
        ("2023-06-02", TODAY),
        ("2023-02-11", "2024-08-31"),
    ] {
        let (from, to): (chrono::NaiveDate, chrono::NaiveDate) =
            (from.parse().expect("date"), to.parse().expect("date"));
        let epoch: chrono::NaiveDate = "2000-01-01".parse().expect("date");
        let custom = CustomerSets {
            period: active(from, to),
            from,
            through: active(epoch, to),
            ..sets.clone()
        };
        let expected = serde_json::to_value(sales_shared::figures::kpis::customer_analytics(
            &custom, &days, to, vip, 10,
        ))
        .expect("json");
        let url = format!(
            "{PREFIX}dashboard/customer-analytics?period=custom&from_date={from}&to_date={to}"
        );
        let (status, _, body) = stack.get(&url, Some(&read)).await;
        assert_eq!(status, 200, "{body}");
        for part in ["customer_segmentation", "customer_lifetime_value", "purchase_frequency"] {
            assert_eq!(body["data"][part], expected[part], "{from}..{to}: {part}");
        }
        assert_eq!(
            top(&body["data"]["top_customers"]),
            top(&expected["top_customers"]),
            "{from}..{to}"
        );
    }

    // KPIs of December: retention against November, recurring revenue.
    let month = |m: &str| totals(&format!("M#2025-{m}#"));
    let (rate, churn) = sales_shared::figures::kpis::retention(&month("11"), &month("12"));
    let mrr = sales_shared::figures::kpis::monthly_recurring_revenue(&month("12"), &month("11"));
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
    let december = sales_shared::figures::customers::CustomerSets {
        period: month("12"),
        through: totals("Y#"),
        ..sets
    };
    let ltv = sales_shared::figures::customers::lifetime_value(&december).average;
    same(&kpis["customer_kpis"]["customer_lifetime_value"], ltv);

    custom_range_counts_match(stack, tenant, &days).await;
    custom_range_top_customers_match(stack, tenant, state).await;
    custom_range_invoiced_customers_match(stack, tenant, state).await;
}

/// `top_customers_by_invoices` of invoice statistics over ranges other
/// than a calendar month (the threshold algorithm over the lifetime
/// ranking, and one customer's items with `customer_id`) equals the
/// ranking of every customer's `customer_invoices` day items in the range.
async fn custom_range_invoiced_customers_match(
    stack: &TestStack,
    tenant: &str,
    state: &AggregateState,
) {
    use sales_shared::figures::invoices::customer_invoice_rows;
    use sales_shared::layout::EntityMeasures;
    let read = token(tenant, "sales:read");
    let pk = measures_pk(tenant, family::CUSTOMER_INVOICES);
    let rows_of = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        let mut rows = v.as_array().expect("rows").clone();
        for row in &mut rows {
            row.as_object_mut().expect("row").remove("customer_name");
        }
        rows
    };
    for (from, to) in [
        ("2022-01-01", TODAY),
        ("2016-01-02", "2025-12-16"),
        ("2024-12-31", "2025-01-01"),
        ("2023-03-09", "2024-11-30"),
    ] {
        let range = DateRange::new(from.parse().expect("date"), to.parse().expect("date"));
        let mut customers = EntityMeasures::new();
        for (day, id, m) in day_entities(state, &pk) {
            if range.contains(day) {
                sales_shared::layout::add_measures(customers.entry(id).or_default(), m);
            }
        }
        let expected = serde_json::to_value(customer_invoice_rows(&customers, 10)).expect("json");
        assert!(expected.as_array().is_some_and(|rows| rows.len() == 10), "{from}..{to}");
        let url = format!("{PREFIX}invoices/statistics?from_date={from}&to_date={to}");
        let (status, _, body) = stack.get(&url, Some(&read)).await;
        assert_eq!(status, 200, "{body}");
        let got = &body["data"]["top_customers_by_invoices"];
        assert_eq!(rows_of(got), rows_of(&expected), "{from}..{to}");
        // The tenth customer alone.
        let id = expected[9]["customer_id"].as_i64().expect("id");
        let (status, _, body) = stack.get(&format!("{url}&customer_id={id}"), Some(&read)).await;
        assert_eq!(status, 200, "{body}");
        let one = &body["data"]["top_customers_by_invoices"];
        assert_eq!(rows_of(one), vec![rows_of(&expected).remove(9)], "{from}..{to}, customer {id}");
    }
}

/// The top-customers widget over custom ranges (the threshold algorithm
/// over the cover's rankings) equals the ranking of every customer's
/// revenue in the range, from their `customer_days` items: two pages.
async fn custom_range_top_customers_match(stack: &TestStack, tenant: &str, state: &AggregateState) {
    let read = token(tenant, "sales:read");
    let days_pk = format!("{tenant}#customer_days#");
    for (from, to) in
        [("2022-03-09", "2025-11-30"), ("2024-12-31", "2025-01-01"), ("2023-02-11", TODAY)]
    {
        let range = DateRange::new(from.parse().expect("date"), to.parse().expect("date"));
        // (revenue, placed) per customer with a placed order in the range.
        let mut rows: Vec<(i64, i128, i128)> = Vec::new();
        for ((_, sk), m) in state.measures.iter().filter(|((pk, _), _)| pk.starts_with(&days_pk)) {
            let (mut placed, mut revenue) = (0i128, 0i128);
            for (name, v) in m {
                match sales_shared::layout::measure::customer_day_of(name) {
                    Some(('d', day)) if range.from <= day && day <= range.to => placed += v,
                    Some(('v', day)) if range.from <= day && day <= range.to => revenue += v,
                    _ => {}
                }
            }
            if placed > 0 {
                rows.push((sk.parse().expect("id"), revenue, placed));
            }
        }
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let expected: Vec<(i64, i64)> = rows.iter().take(30).map(|r| (r.0, r.2 as i64)).collect();
        let query = format!("period=custom&from_date={from}&to_date={to}&limit=15");
        let got = top_customer_pages(stack, &read, &query, 2).await;
        assert_eq!(got, expected, "{from}..{to}");
    }
}

/// Unique, new and returning customers of custom ranges
/// (`/orders/performance-metrics`) and retention against the range before
/// (`/dashboard/performance`) equal those counted from every customer's
/// order days: ranges from a day to the whole history, ragged at both
/// ends, across year ends.
async fn custom_range_counts_match(
    stack: &TestStack,
    tenant: &str,
    days: &std::collections::BTreeMap<i64, sales_shared::figures::customers::OrderDays>,
) {
    use rust_decimal::Decimal;
    let read = token(tenant, "sales:read");
    let active = |range: DateRange| -> BTreeSet<i64> {
        days.iter()
            .filter(|(_, d)| d.range(range.from..=range.to).any(|(_, n)| *n > 0))
            .map(|(id, _)| *id)
            .collect()
    };
    let first = |id: &i64| days.get(id).and_then(|d| d.keys().next().copied());
    let d = |s: &str| s.parse::<NaiveDate>().expect("date");
    let ranges = [
        ("2022-01-01", TODAY),
        ("2016-01-02", "2025-12-16"),
        ("2023-02-11", "2024-07-03"),
        ("2024-12-31", "2025-01-01"),
        ("2025-06-17", "2025-06-17"),
        ("2022-03-09", "2025-11-30"),
    ];
    for (from, to) in ranges {
        let range = DateRange::new(d(from), d(to));
        let now = active(range);
        let new = now.iter().filter(|id| first(id).is_some_and(|f| f >= range.from)).count();
        customer_metrics_match(stack, &read, (from, to), now.len(), new).await;
        let query = format!("from_date={from}&to_date={to}");

        let previous = PeriodKind::Custom.previous(range);
        let before = active(previous);
        let kept = before.intersection(&now).count();
        let rate = if before.is_empty() {
            Decimal::ZERO
        } else {
            Decimal::from(kept as u64) * Decimal::ONE_HUNDRED / Decimal::from(before.len() as u64)
        };
        let url = format!("{PREFIX}dashboard/performance?period=custom&{query}");
        let (status, _, body) = stack.get(&url, Some(&read)).await;
        assert_eq!(status, 200, "{body}");
        let api = body["data"]["customer_kpis"]["customer_retention_rate"].to_string();
        let api: Decimal = api.parse().unwrap_or_else(|_| panic!("not a number: {api}"));
        assert_eq!(api, sales_shared::money::round(rate, 2), "{from}..{to}: retention");
    }
}

/// The day items (`D#{date}#{id}`) of an entity family's partition `pk`:
/// (day, id, measures).
fn day_entities<'s>(
    state: &'s AggregateState,
    pk: &'s str,
) -> impl Iterator<Item = (chrono::NaiveDate, i64, &'s sales_shared::layout::Measures)> + 's {
    state.measures.iter().filter(move |((p, _), _)| p == pk).filter_map(|((_, sk), m)| {
        let day = sk.strip_prefix("D#")?.get(..10)?.parse().ok()?;
        let id = sk.rsplit_once('#')?.1.parse().ok()?;
        Some((day, id, m))
    })
}
