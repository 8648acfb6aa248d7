//! The monthly management report (issue "Exports and scheduled reports"):
//! the dashboard summary, revenue by day and by product, receivables aging
//! as of the month's end and payment statistics, as PDF and Excel, written
//! to `reports/{tenant}/{YYYY-MM}/management-report.{pdf,xlsx}` (a rerun of
//! the same month overwrites the same keys).

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::exports::pdf_report::{Chart, Document, Section, amount, render};
use crate::exports::run::Destination;
use crate::exports::table::{Cell, Column, Kind, Row};
use crate::exports::upload::{attachment, s3_error};
use crate::exports::xlsx_file::workbook;
use crate::exports::{ExportError, Format};
use crate::figures::aging::Buckets;
use crate::periods::{DateRange, PeriodKind, month_range};
use crate::queries::dashboard::{overview, revenue_by_product};
use crate::queries::invoices::{AgingQuery, aging_at, name_customer_rows};
use crate::queries::payments::payment_statistics;
use crate::store::aggregates::AggregateReader;

/// `YYYY-MM` parsed to its month.
pub fn parse_month(text: &str) -> Option<DateRange> {
    let (y, m) = text.split_once('-')?;
    let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    (y.len() == 4 && m.len() == 2 && (1..=12).contains(&month) && year >= 1970)
        .then(|| month_range(year, month))
}

/// The month before the one holding `today`.
pub fn previous_month(today: NaiveDate) -> DateRange {
    let first = today.with_day(1).unwrap_or(today);
    let last = first.pred_opt().unwrap_or(first);
    month_range(last.year(), last.month())
}

pub fn month_label(month: DateRange) -> String {
    crate::calendar::month_key(month.from)
}

fn report_key(tenant: &str, month: DateRange, format: Format) -> String {
    format!("reports/{tenant}/{}/management-report.{}", month_label(month), format.extension())
}

fn col(header: &'static str, kind: Kind, width: f64) -> Column {
    Column { header, kind, width }
}

fn money(d: Decimal) -> Cell {
    Cell::Money(d)
}

fn text(t: impl Into<String>) -> Cell {
    Cell::Text(t.into())
}

/// The report's tables, built from the aggregates of `month`.
pub struct ManagementReport {
    pub month: DateRange,
    pub summary: Vec<(String, String)>,
    pub by_day: BTreeMap<NaiveDate, Decimal>,
    pub sections: Vec<(&'static str, Section)>,
}

pub async fn gather(
    reader: &AggregateReader<'_>,
    month: DateRange,
) -> Result<ManagementReport, ExportError> {
    let as_of = month.to;
    let dashboard = overview(reader, PeriodKind::Month, month, as_of, true).await?;
    let s = &dashboard.summary;
    let pct = |d: Option<Decimal>| {
        d.map_or_else(|| "n/a".to_owned(), |d| format!("{:.2}%", crate::money::round(d, 2)))
    };
    let comparison = dashboard.comparison.as_ref();
    let summary = vec![
        ("Total revenue".to_owned(), amount(s.total_revenue)),
        ("Orders".to_owned(), s.total_orders.to_string()),
        ("Average order value".to_owned(), amount(s.average_order_value)),
        ("Invoices sent".to_owned(), s.total_invoices_sent.to_string()),
        ("Invoices paid".to_owned(), s.total_invoices_paid.to_string()),
        (
            "Collection rate".to_owned(),
            format!("{:.2}%", crate::money::round(s.collection_rate, 2)),
        ),
        ("Outstanding receivables".to_owned(), amount(s.outstanding_receivables)),
        (
            "Revenue change vs previous month".to_owned(),
            pct(comparison.and_then(|c| c.revenue_change_percentage)),
        ),
        ("Payments received".to_owned(), dashboard.payments.payments_received.to_string()),
        ("Refunded".to_owned(), amount(dashboard.payments.refunded_amount)),
    ];
    let by_day = dashboard.trends.daily_revenue.iter().map(|d| (d.date, d.revenue)).collect();
    let daily: Vec<Row> = dashboard
        .trends
        .daily_revenue
        .iter()
        .zip(&dashboard.trends.daily_orders)
        .map(|(r, o)| vec![Cell::Date(r.date), money(r.revenue), text(o.orders.to_string())])
        .collect();

    let products = revenue_by_product(reader, month, 100).await?;
    let product_rows: Vec<Row> = products
        .by_product
        .iter()
        .map(|p| {
            vec![
                text(p.sku.clone()),
                text(p.name.clone()),
                text(p.units_sold.to_string()),
                money(p.revenue),
                text(format!("{:.2}%", crate::money::round(p.percentage_of_total, 2))),
            ]
        })
        .collect();

    let query =
        AgingQuery { as_of, customer: None, include_paid: false, buckets: Buckets::default() };
    let mut aging = aging_at(reader, &query).await?;
    aging.by_customer.truncate(20);
    name_customer_rows(reader, &mut aging.by_customer).await?;
    let bucket_rows: Vec<Row> = aging
        .aging_buckets
        .0
        .iter()
        .map(|(_, b)| {
            vec![
                text(b.label.clone()),
                text(b.count.to_string()),
                money(b.total_amount),
                text(format!("{:.2}%", crate::money::round(b.percentage, 2))),
            ]
        })
        .collect();
    let customer_rows: Vec<Row> = aging
        .by_customer
        .iter()
        .take(20)
        .map(|r| {
            let overdue: Decimal = r.amounts.iter().skip(1).map(|(_, a)| *a).sum();
            vec![
                text(r.customer_number.clone()),
                text(r.customer_name.clone()),
                money(overdue),
                money(r.total_outstanding),
            ]
        })
        .collect();

    let payments = payment_statistics(reader, month, None, None).await?;
    let method_rows: Vec<Row> = payments
        .method_breakdown
        .0
        .iter()
        .map(|(m, f)| {
            vec![text(m.clone()), text(f.count.to_string()), money(f.amount), money(f.fees)]
        })
        .collect();
    let status_rows: Vec<Row> = payments
        .payment_counts
        .0
        .iter()
        .map(|(s, n)| vec![text(s.clone()), text(n.to_string())])
        .collect();

    let section = |heading: &str, columns: Vec<Column>, rows: Vec<Row>| Section {
        heading: Some(heading.to_owned()),
        columns,
        rows,
        note: None,
    };
    Ok(ManagementReport {
        month,
        summary,
        by_day,
        sections: vec![
            (
                "Revenue by day",
                section(
                    "Revenue by day",
                    vec![
                        col("Date", Kind::Date, 12.0),
                        col("Revenue", Kind::Money, 14.0),
                        col("Orders", Kind::Text, 10.0),
                    ],
                    daily,
                ),
            ),
            (
                "Revenue by product",
                section(
                    "Revenue by product",
                    vec![
                        col("SKU", Kind::Text, 14.0),
                        col("Product", Kind::Text, 30.0),
                        col("Units sold", Kind::Text, 10.0),
                        col("Revenue", Kind::Money, 14.0),
                        col("Share", Kind::Text, 10.0),
                    ],
                    product_rows,
                ),
            ),
            (
                "Aging",
                section(
                    &format!("Receivables aging as of {as_of}"),
                    vec![
                        col("Bucket", Kind::Text, 20.0),
                        col("Invoices", Kind::Text, 10.0),
                        col("Amount", Kind::Money, 14.0),
                        col("Share", Kind::Text, 10.0),
                    ],
                    bucket_rows,
                ),
            ),
            (
                "Largest balances",
                section(
                    "Largest balances",
                    vec![
                        col("Customer number", Kind::Text, 14.0),
                        col("Customer", Kind::Text, 30.0),
                        col("Overdue", Kind::Money, 14.0),
                        col("Outstanding", Kind::Money, 14.0),
                    ],
                    customer_rows,
                ),
            ),
            (
                "Payments by method",
                section(
                    "Payments by method (captured)",
                    vec![
                        col("Method", Kind::Text, 16.0),
                        col("Payments", Kind::Text, 10.0),
                        col("Amount", Kind::Money, 14.0),
                        col("Fees", Kind::Money, 14.0),
                    ],
                    method_rows,
                ),
            ),
            (
                "Payments by status",
                section(
                    "Payments by status",
                    vec![col("Status", Kind::Text, 16.0), col("Payments", Kind::Text, 10.0)],
                    status_rows,
                ),
            ),
        ],
    })
}

/// The report as PDF and Excel bytes.
pub fn render_files(
    report: &ManagementReport,
    tenant: &str,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, Vec<u8>), ExportError> {
    let label = month_label(report.month);
    let doc = Document {
        title: format!("Management report {label}"),
        subtitle: format!(
            "Tenant: {tenant}    Period: {} to {}    Currency: {currency}    Generated: {}",
            report.month.from,
            report.month.to,
            now.format("%Y-%m-%d %H:%M UTC")
        ),
        summary: report
            .summary
            .chunks(4)
            .map(|line| {
                line.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("    ")
            })
            .collect(),
        chart: Some(Chart {
            title: "Revenue by day".into(),
            period: report.month,
            by_day: report.by_day.clone(),
            currency: currency.to_owned(),
        }),
        sections: report.sections.iter().map(|(_, s)| s.clone()).collect(),
    };
    let pdf = render(&doc)?;
    let summary_columns = [col("Figure", Kind::Text, 36.0), col("Value", Kind::Text, 20.0)];
    let summary_rows: Vec<Row> =
        report.summary.iter().map(|(k, v)| vec![text(k.clone()), text(v.clone())]).collect();
    let mut sheets: Vec<(&str, &[Column], &[Row])> =
        vec![("Summary", &summary_columns, &summary_rows)];
    for (name, section) in &report.sections {
        sheets.push((name, &section.columns, &section.rows));
    }
    let xlsx = workbook(&sheets, currency)?;
    Ok((pdf, xlsx))
}

/// Gathers, renders and writes one tenant's report of `month`; returns the
/// keys written.
pub async fn write_management_report(
    reader: &AggregateReader<'_>,
    destination: &Destination,
    tenant: &str,
    currency: &str,
    month: DateRange,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ExportError> {
    let report = gather(reader, month).await?;
    let (pdf, xlsx) = render_files(&report, tenant, currency, now)?;
    let mut keys = Vec::new();
    for (format, bytes) in [(Format::Pdf, pdf), (Format::Excel, xlsx)] {
        let key = report_key(tenant, month, format);
        let filename = format!("management-report-{}.{}", month_label(month), format.extension());
        destination
            .s3
            .put_object()
            .bucket(&destination.bucket)
            .key(&key)
            .content_type(format.content_type())
            .content_disposition(attachment(&filename))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| s3_error("PutObject", e))?;
        keys.push(key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(parse_month("2025-02"), Some(DateRange::new(d("2025-02-01"), d("2025-02-28"))));
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("25-01"), None);
        assert_eq!(
            previous_month(d("2026-01-15")),
            DateRange::new(d("2025-12-01"), d("2025-12-31"))
        );
        assert_eq!(
            report_key("t", previous_month(d("2026-01-15")), Format::Pdf),
            "reports/t/2025-12/management-report.pdf"
        );
    }
}
