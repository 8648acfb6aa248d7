//! Items read per request (the `x-items-read` header) for every endpoint,
//! for a one-month and a three-year range, on two tenants with the same
//! dates, customers, invoices and payments but three times as many orders
//! per day. Aggregate reads must not grow with the number of orders; the
//! table this prints (`--nocapture`) is recorded in docs/performance.md.

use chrono::{Duration, NaiveDate};
use sales_tests::{TestStack, token};
use serde_json::{Value, json};

const FIRST: &str = "2023-01-01";
const DAYS: i64 = 1095;

fn records(tenant: &str, orders_per_day: i64) -> Vec<Value> {
    let first: NaiveDate = FIRST.parse().unwrap();
    let at = |day: NaiveDate| format!("{day}T12:00:00Z");
    let mut out = vec![json!({"type": "tenant_settings", "tenant_id": tenant, "id": 1, "version": 1,
        "updated_at": "2023-01-01T00:00:00Z", "time_zone": "UTC", "currency": "USD"})];
    for c in 1..=20 {
        out.push(
            json!({"type": "customer", "tenant_id": tenant, "id": c, "version": 1, "updated_at": "2023-01-01T00:00:00Z",
            "customer_number": format!("C-{c}"), "company_name": format!("Customer {c}"), "email": "a@b.example",
            "created_at": "2023-01-01T00:00:00Z", "credit_limit": null}),
        );
    }
    let mut order_id = 0;
    for n in 0..DAYS {
        let day = first + Duration::days(n);
        let customer = n % 20 + 1;
        for _ in 0..orders_per_day {
            order_id += 1;
            out.push(json!({"type": "order", "tenant_id": tenant, "id": order_id, "version": 1, "updated_at": at(day),
                "order_number": format!("O-{order_id}"), "customer_id": customer, "source": "api",
                "status": "completed", "currency": "USD", "total_amount": "100.00", "ordered_at": at(day),
                "shipped_at": at(day + Duration::days(2)),
                "lines": [{"product_id": 1, "quantity": 1, "unit_price": "100.00", "line_total": "100.00"}]}));
        }
        if n % 2 == 0 {
            let id = n + 1;
            out.push(json!({"type": "invoice", "tenant_id": tenant, "id": id, "version": 1, "updated_at": at(day),
                "invoice_number": format!("I-{id}"), "order_id": order_id, "customer_id": customer, "status": "sent",
                "currency": "USD", "total_amount": "100.00", "issued_at": at(day), "due_date": (day + Duration::days(30)).to_string(),
                "payment_applications": [{"payment_id": id, "amount": "100.00", "applied_at": at(day + Duration::days(10))}]}));
            out.push(json!({"type": "payment", "tenant_id": tenant, "id": id, "version": 1, "updated_at": at(day),
                "payment_number": format!("P-{id}"), "customer_id": customer, "amount": "100.00", "currency": "USD",
                "method": "bank_transfer", "gateway": null, "status": "completed", "created_at": at(day + Duration::days(10))}));
        }
    }
    out
}

const MONTH: &str = "from_date=2025-12-01&to_date=2025-12-31";
const YEARS: &str = "from_date=2023-01-01&to_date=2025-12-31";
const PERIOD_MONTH: &str = "period=month";
const PERIOD_YEARS: &str = "period=custom&from_date=2023-01-01&to_date=2025-12-31";

/// (endpoint, query for one month, query for three years, whether its
/// cost may grow with the orders it returns or joins).
const ENDPOINTS: &[(&str, &str, &str, bool)] = &[
    ("/api/v1/sales/dashboard", PERIOD_MONTH, PERIOD_YEARS, false),
    // A page of 10: a few fixed items, 11 index items, the page's customers.
    ("/api/v1/sales/dashboard/widgets/recent-orders", "", "", true),
    ("/api/v1/sales/dashboard/widgets/top-customers", PERIOD_MONTH, PERIOD_YEARS, false),
    ("/api/v1/sales/dashboard/widgets/sales-goals", "", "", false),
    ("/api/v1/sales/dashboard/revenue", MONTH, YEARS, false),
    ("/api/v1/sales/dashboard/revenue?group_by=product", MONTH, YEARS, false),
    ("/api/v1/sales/dashboard/customer-analytics", PERIOD_MONTH, PERIOD_YEARS, false),
    ("/api/v1/sales/dashboard/performance", PERIOD_MONTH, PERIOD_YEARS, true),
    ("/api/v1/sales/orders/performance-metrics", MONTH, YEARS, false),
    ("/api/v1/sales/orders/high-value", MONTH, YEARS, true),
    ("/api/v1/sales/orders?group_by=status", MONTH, YEARS, false),
    ("/api/v1/sales/invoices/statistics", MONTH, YEARS, false),
    ("/api/v1/sales/invoices/aging-report", "as_of_date=2025-12-31", "as_of_date=2023-06-30", false),
    ("/api/v1/sales/payments/statistics", MONTH, YEARS, false),
    ("/api/v1/sales/payments/failed", MONTH, YEARS, false),
    ("/api/v1/sales/payments/disputed", "", "", false),
];

/// The dashboard lists every day of its period in `trends`; the aging
/// report as of a past date reads the invoices open then or closed since.
const READS_BY_DAY_OR_INVOICE: [&str; 2] = ["/api/v1/sales/dashboard", "/api/v1/sales/invoices/aging-report"];

async fn items_read(stack: &TestStack, tenant: &str, path: &str, query: &str) -> u64 {
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = if query.is_empty() { path.to_owned() } else { format!("{path}{sep}{query}") };
    let (status, headers, body) = stack.get(&url, Some(&token(tenant, "sales:read"))).await;
    assert_eq!(status, 200, "{url}: {body}");
    headers["x-items-read"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn items_read_do_not_grow_with_orders() {
    let mut stack = TestStack::new("read-cost", "2025-12-31T18:00:00Z").await;
    let light = stack.load_and_apply("light", &records("light", 1)).await;
    let heavy = stack.load_and_apply("heavy", &records("heavy", 3)).await;
    assert!(light.rejected.is_empty() && heavy.rejected.is_empty());

    println!(
        "| endpoint | 1 month, 1 order/day | 1 month, 3 orders/day | 3 years, 1 order/day | 3 years, 3 orders/day |"
    );
    println!("|---|---|---|---|---|");
    for (path, month, years, may_grow) in ENDPOINTS {
        let mut row = Vec::new();
        for query in [month, years] {
            let one = items_read(&stack, "light", path, query).await;
            let three = items_read(&stack, "heavy", path, query).await;
            if !may_grow {
                assert_eq!(one, three, "{path}?{query}: items read grew with the number of orders");
            }
            row.extend([one, three]);
        }
        println!("| `{path}` | {} | {} | {} | {} |", row[0], row[1], row[2], row[3]);
        if path.ends_with("/recent-orders") {
            assert!(row.iter().all(|n| *n <= 3 + 11 + 10), "{path}: {row:?}");
        }
        if !may_grow && !READS_BY_DAY_OR_INVOICE.contains(path) {
            // A three-year range reads whole years and months, not days.
            assert!(row[2] <= 400, "{path}: {} items for three years", row[2]);
        }
    }
}
