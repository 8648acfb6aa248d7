use super::*;
use crate::figures::aging::AgingInvoice;
use rust_decimal_macros::dec;

fn m(pairs: &[(&str, i64)]) -> Measures {
    pairs.iter().map(|(k, v)| (k.to_string(), Measure::from(*v))).collect()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn open_invoice(
    id: i64,
    customer: i64,
    issued: NaiveDate,
    due: NaiveDate,
    balance: i64,
) -> AgingInvoice {
    AgingInvoice {
        invoice_id: id,
        invoice_number: format!("INV-{id}"),
        customer_id: customer,
        issued_on: issued,
        due_date: due,
        total_cents: balance.into(),
        written_off_cents: 0,
        written_off_on: None,
        applications: vec![],
    }
}

fn inputs() -> DashboardInputs {
    let mut daily = BTreeMap::new();
    // Day 1: two completed orders 100.00 + 50.01, one cancelled 20.00, one draft.
    daily.insert(
        d("2025-12-01"),
        m(&[
            ("placed", 3),
            ("revenue_bearing", 2),
            ("revenue", 15001),
            ("status_completed", 2),
            ("status_cancelled", 1),
            ("status_draft", 1),
            ("confirmed", 3),
            ("shipped", 2),
        ]),
    );
    // Day 3: one pending order 9.99.
    daily.insert(
        d("2025-12-03"),
        m(&[("placed", 1), ("revenue_bearing", 1), ("revenue", 999), ("status_pending", 1)]),
    );
    let mut orders = Measures::new();
    for day in daily.values() {
        crate::layout::add_measures(&mut orders, day);
    }
    let period = DateRange::new(d("2025-12-01"), d("2025-12-31"));
    let open_invoices = [
        open_invoice(1, 1, d("2025-12-02"), d("2025-12-10"), 7000),
        open_invoice(2, 1, d("2025-12-02"), d("2025-12-17"), 3000),
        open_invoice(3, 2, d("2025-11-02"), d("2025-11-10"), 1000),
    ];
    DashboardInputs {
        kind: Some(PeriodKind::Month),
        period: Some(period),
        orders,
        daily_orders: daily,
        payments: m(&[
            ("captured", 2),
            ("processed", 12000),
            ("refunded", 500),
            ("status_failed", 1),
            ("status_disputed", 1),
        ]),
        invoices: m(&[
            ("issued", 3),
            ("invoiced", 30000),
            ("paid", 20000),
            ("paid_off", 1),
            ("paid_by_payments", 2),
            ("days_to_pay", 45),
        ]),
        outstanding_cents: 123456,
        open: OpenInPeriod::of(&open_invoices, period, d("2025-12-17")),
        previous: None,
    }
}

#[test]
fn figures_worked_out_by_hand() {
    let out = compute(&inputs());
    assert_eq!(
        out.period,
        PeriodOut { label: "This Month", from: d("2025-12-01"), to: d("2025-12-31"), days: 31 }
    );
    // Revenue 100.00 + 50.01 + 9.99 = 160.00 over 3 revenue-bearing orders.
    assert_eq!(out.summary.total_revenue, dec!(160.00));
    assert_eq!(out.summary.total_orders, 4);
    assert_eq!(crate::money::round(out.summary.average_order_value, 2), dec!(53.33));
    assert_eq!(out.summary.collection_rate.round_dp(2), dec!(66.67));
    assert_eq!(out.summary.outstanding_receivables, dec!(1234.56));
    assert_eq!(out.orders.orders_by_status.0.len(), 8);
    assert_eq!(out.orders.orders_by_status.get("draft"), Some(&1));
    assert_eq!(out.orders.orders_by_status.get("shipped"), Some(&0));
    let text = serde_json::to_string(&out.orders.orders_by_status).unwrap();
    assert!(text.starts_with(r#"{"draft":1,"pending":1,"confirmed":0"#), "{text}");
    assert_eq!(
        (
            out.orders.confirmed_orders,
            out.orders.shipped_orders,
            out.orders.completed_orders,
            out.orders.cancelled_orders
        ),
        (3, 2, 2, 1)
    );
    // Only invoice 1 is issued in the period and due before today.
    assert_eq!(out.invoices.invoices_overdue, 1);
    assert_eq!(out.invoices.total_overdue_amount, dec!(70.00));
    assert_eq!(out.invoices.average_days_to_pay, dec!(22.5));
    assert_eq!(out.payments.total_paid, dec!(120.00));
    assert_eq!(out.payments.refunded_amount, dec!(5.00));
    assert_eq!(out.trends.daily_revenue.len(), 31);
    assert_eq!(out.trends.daily_revenue[1].revenue, dec!(0));
    assert_eq!(out.trends.daily_orders[2].orders, 1);
    assert!(out.comparison.is_none());
}

#[test]
fn comparison_changes_and_null_bases() {
    let mut with_previous = inputs();
    with_previous.previous = Some(PeriodTotals {
        orders: m(&[("placed", 2), ("revenue_bearing", 2), ("revenue", 10000)]),
        invoices: m(&[("invoiced", 10000), ("paid", 5000)]),
    });
    let c = compute(&with_previous).comparison.unwrap();
    assert_eq!(c.revenue_change_percentage, Some(dec!(60)));
    assert_eq!(c.orders_change_percentage, Some(dec!(100)));
    // AOV 53.333.. vs 50: +6.666..%, computed unrounded.
    assert_eq!(crate::money::round(c.aov_change_percentage.unwrap(), 2), dec!(6.67));
    // 66.67% vs 50%: +16.67 points.
    assert_eq!(crate::money::round(c.collection_rate_change, 2), dec!(16.67));

    let mut empty_previous = inputs();
    empty_previous.previous = Some(PeriodTotals::default());
    let c = compute(&empty_previous).comparison.unwrap();
    // Nothing invoiced before: the previous rate is 0, so the change in
    // points is the current rate itself (never null).
    let current_rate = c.collection_rate_change;
    assert_eq!(crate::money::round(current_rate, 2), dec!(66.67));
    assert_eq!(
        c,
        Comparison {
            revenue_change_percentage: None,
            orders_change_percentage: None,
            aov_change_percentage: None,
            collection_rate_change: current_rate
        }
    );
    // Invoiced but nothing paid before: a rate of 0 as well.
    let mut unpaid_previous = inputs();
    unpaid_previous.previous = Some(PeriodTotals {
        invoices: m(&[("invoiced", 5000), ("paid", 0)]),
        ..Default::default()
    });
    assert_eq!(compute(&unpaid_previous).comparison.unwrap().collection_rate_change, current_rate);
}

#[test]
fn empty_period_is_all_zeros_with_every_key() {
    let out = compute(&DashboardInputs {
        kind: Some(PeriodKind::Today),
        period: Some(DateRange::single(d("2025-12-17"))),
        ..Default::default()
    });
    assert_eq!(out.summary.average_order_value, dec!(0));
    assert_eq!(out.summary.collection_rate, dec!(0));
    assert_eq!(out.orders.orders_by_status.0.iter().map(|(_, n)| n).sum::<u64>(), 0);
    assert_eq!(out.trends.daily_orders.len(), 1);
    let text = serde_json::to_string(&out).unwrap();
    assert!(text.contains(r#""average_order_value":0.00"#), "{text}");
}
