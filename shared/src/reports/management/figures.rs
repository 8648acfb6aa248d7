//! What the management report shows, read with the API's own queries, so
//! that every figure equals the API's answer for the same month.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use super::tiles::{MONTHS, Tile, Unit};
use crate::calendar::calendar_bucket_of;
use crate::exports::ExportError;
use crate::figures::aging::{Buckets, CustomerRow, report as aging_report};
use crate::figures::kpis::{TopCustomer, name_customers};
use crate::periods::{DateRange, PeriodKind, month_range};
use crate::queries::dashboard::{overview, revenue_by_product};
use crate::queries::invoices::{AgingQuery, aging_at, name_customer_rows};
use crate::queries::kpis::performance;
use crate::queries::payments::{failed_payments, payment_statistics};
use crate::store::aggregates::AggregateReader;

/// Products charted by name; the rest are one "Other" bar.
pub const TOP_PRODUCTS: usize = 10;
/// Rows of the customer tables.
pub const TABLE_ROWS: usize = 10;
/// Month ends of the aging chart: the report's and the three before.
pub const AGING_MONTH_ENDS: usize = 4;
/// Most open disputes read for their reasons.
const MAX_DISPUTES: usize = 1_000;

/// Everything the report prints, for one month.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagementFigures {
    pub month: DateRange,
    /// `Dec 2024` ... `Dec 2025`: the tiles' months, oldest first.
    pub month_labels: Vec<String>,
    pub tiles: Vec<Tile>,
    pub revenue_by_day: BTreeMap<NaiveDate, Decimal>,
    /// The previous month's revenue by its day of month (1 to 31).
    pub previous_by_day: BTreeMap<u32, Decimal>,
    /// At each month end, oldest first: the five standard buckets' labels
    /// and amounts.
    pub aging: Vec<(NaiveDate, Vec<(String, Decimal)>)>,
    /// The month's top products by revenue and "Other".
    pub products: Vec<(String, Decimal)>,
    pub top_customers: Vec<TopCustomer>,
    /// The customers with the largest overdue balance at the month's end
    /// (the aging report's `by_customer`), with their overdue amount.
    pub overdue: Vec<(CustomerRow, Decimal)>,
    /// The month's failed payments by failure reason.
    pub failures: Vec<(String, u64)>,
    /// Disputes open when the report is written, by reason: count, amount.
    pub disputes: Vec<(String, u64, Decimal)>,
}

/// `month` shifted `back` months earlier.
pub fn months_before(month: DateRange, back: u32) -> DateRange {
    let first = month.from.checked_sub_months(Months::new(back)).unwrap_or(month.from);
    month_range(first.year(), first.month())
}

/// `Dec 2025`.
pub fn short_label(month: DateRange) -> String {
    month.from.format("%b %Y").to_string()
}

pub async fn gather(
    reader: &AggregateReader<'_>,
    month: DateRange,
) -> Result<ManagementFigures, ExportError> {
    let months: Vec<DateRange> =
        (0..MONTHS as u32).rev().map(|back| months_before(month, back)).collect();
    let mut columns: [Vec<Decimal>; 7] = Default::default();
    for m in &months {
        let dashboard = overview(reader, PeriodKind::Month, *m, m.to, false).await?;
        let s = &dashboard.summary;
        let kpis = performance(reader, PeriodKind::Month, *m).await?;
        let payments = payment_statistics(reader, *m, None, None).await?;
        let values = [
            s.total_revenue,
            Decimal::from(s.total_orders),
            s.average_order_value,
            s.collection_rate,
            s.outstanding_receivables,
            kpis.efficiency_kpis.days_sales_outstanding,
            payments.success_metrics.failure_rate,
        ];
        for (column, value) in columns.iter_mut().zip(values) {
            column.push(value);
        }
    }
    let [revenue, orders, aov, collection, outstanding, dso, failure] = columns;
    let tile = |label, field, unit, months| Tile { label, field, unit, months };
    let tiles = vec![
        tile("Revenue", "summary.total_revenue", Unit::Money, revenue),
        tile("Orders", "summary.total_orders", Unit::Count, orders),
        tile("Average order value", "summary.average_order_value", Unit::Money, aov),
        tile("Collection rate", "summary.collection_rate", Unit::Percent, collection),
        tile(
            "Outstanding receivables",
            "summary.outstanding_receivables",
            Unit::Money,
            outstanding,
        ),
        tile("DSO", "efficiency_kpis.days_sales_outstanding", Unit::Days, dso),
        tile("Failed payment rate", "success_metrics.failure_rate", Unit::Percent, failure),
    ];

    let this = overview(reader, PeriodKind::Month, month, month.to, false).await?;
    let revenue_by_day = this.trends.daily_revenue.iter().map(|d| (d.date, d.revenue)).collect();
    let before = months_before(month, 1);
    let previous = overview(reader, PeriodKind::Month, before, before.to, false).await?;
    let previous_by_day =
        previous.trends.daily_revenue.iter().map(|d| (d.date.day(), d.revenue)).collect();

    let mut aging = Vec::new();
    for back in (1..AGING_MONTH_ENDS as u32).rev() {
        let end = months_before(month, back).to;
        let totals = reader.aging_totals(end).await?;
        let report = aging_report(end, &Buckets::default(), &totals, None, Vec::new());
        aging.push((end, bucket_amounts(&report.aging_buckets.0)));
    }
    let query = AgingQuery {
        as_of: month.to,
        customer: None,
        include_paid: false,
        buckets: Buckets::default(),
    };
    let at_end = aging_at(reader, &query).await?;
    aging.push((month.to, bucket_amounts(&at_end.aging_buckets.0)));
    let mut overdue: Vec<(CustomerRow, Decimal)> = at_end
        .by_customer
        .into_iter()
        .map(|row| {
            let late: Decimal = row.amounts.iter().skip(1).map(|(_, a)| *a).sum();
            (row, late)
        })
        .filter(|(_, late)| *late > Decimal::ZERO)
        .collect();
    overdue.sort_by(|(a, x), (b, y)| y.cmp(x).then(a.customer_id.cmp(&b.customer_id)));
    overdue.truncate(TABLE_ROWS);
    let mut rows: Vec<CustomerRow> = overdue.iter().map(|(r, _)| r.clone()).collect();
    name_customer_rows(reader, &mut rows).await?;
    for ((row, _), named) in overdue.iter_mut().zip(rows) {
        *row = named;
    }

    let ranked = revenue_by_product(reader, month, usize::MAX).await?;
    let products = top_and_other(
        ranked.by_product.iter().map(|p| (p.name.clone(), p.revenue)).collect(),
        TOP_PRODUCTS,
    );

    let mut top_customers = Vec::new();
    if let Some(bucket) = calendar_bucket_of(month) {
        let ranked = reader.top_customers(&bucket, None, TABLE_ROWS).await?;
        top_customers = ranked.iter().map(|(_, id, totals)| TopCustomer::of(*id, totals)).collect();
        let ids: Vec<i64> = top_customers.iter().map(|c| c.customer_id).collect();
        let names = reader.customer_names(&ids).await?;
        name_customers(top_customers.iter_mut(), &names);
    }

    let failed = failed_payments(reader, month, None, 1).await?;
    let failures = failed.totals.by_reason.0.into_iter().filter(|(_, n)| *n > 0).collect();
    let open = reader.open_disputes_page(None, MAX_DISPUTES).await?;
    let mut by_reason: BTreeMap<String, (u64, i128)> = BTreeMap::new();
    for (_, dispute) in &open {
        let entry = by_reason.entry(dispute.dispute_reason.clone()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.saturating_add(dispute.amount_cents);
    }
    let disputes = by_reason
        .into_iter()
        .map(|(reason, (n, cents))| (reason, n, crate::figures::cents_to_decimal(cents)))
        .collect();

    Ok(ManagementFigures {
        month,
        month_labels: months.iter().map(|m| short_label(*m)).collect(),
        tiles,
        revenue_by_day,
        previous_by_day,
        aging,
        products,
        top_customers,
        overdue,
        failures,
        disputes,
    })
}

fn bucket_amounts(
    buckets: &[(String, crate::figures::aging::BucketFigures)],
) -> Vec<(String, Decimal)> {
    buckets.iter().map(|(_, b)| (b.label.clone(), b.total_amount)).collect()
}

/// The first `n` of `ranked` (already in order) and the rest summed as
/// "Other" (left out when nothing is left).
pub fn top_and_other(ranked: Vec<(String, Decimal)>, n: usize) -> Vec<(String, Decimal)> {
    let rest: Decimal = ranked.iter().skip(n).map(|(_, v)| *v).sum();
    let mut out: Vec<(String, Decimal)> = ranked.into_iter().take(n).collect();
    if !rest.is_zero() {
        out.push(("Other".to_owned(), rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn months_back_and_labels() {
        let dec_2025 = month_range(2025, 12);
        assert_eq!(months_before(dec_2025, 12), month_range(2024, 12));
        assert_eq!(months_before(month_range(2025, 3), 1).to.to_string(), "2025-02-28");
        assert_eq!(short_label(dec_2025), "Dec 2025");
    }

    #[test]
    fn the_rest_of_the_products_is_one_bar() {
        let ranked: Vec<(String, Decimal)> =
            (1..=12).rev().map(|i| (format!("P{i}"), Decimal::from(i))).collect();
        let bars = top_and_other(ranked, 10);
        assert_eq!(bars.len(), 11);
        assert_eq!(bars[0], ("P12".to_owned(), dec!(12)));
        assert_eq!(bars[10], ("Other".to_owned(), dec!(3)));
        assert_eq!(top_and_other(vec![("A".into(), dec!(1))], 10).len(), 1);
    }
}
