//! What each digest holds, from the API's own queries: its figures (the
//! email's tiles, each as the API writes it), its tables, and its PDF.
//!
//! | digest | sent on local date D, it covers | figures |
//! |---|---|---|
//! | `dashboard_daily` | the month of D − 1, through D − 1 (`/dashboard/overview`) | revenue, orders, average order value, collection rate, outstanding receivables, revenue of D − 1 |
//! | `aging_weekly` | receivables at D (`/invoices/aging-report?as_of_date=D`) | total outstanding, overdue amount and share, open invoices, average days outstanding; buckets and the ten largest balances |
//! | `failures_weekly` | the seven days D − 7 to D − 1 (`/payments/statistics`, `/payments/failed`) | failure rate, failed payments and amount, retryable; failures by reason and the latest ten |
//! | `management_monthly` | the month before D's (the management report) | the report's seven KPI tiles; the report's PDF |

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::DigestError;
use super::subscription::Digest;
use crate::exports::pdf_report::{Document, Section, render};
use crate::exports::table::{Cell, Column, Kind};
use crate::figures::aging::Buckets;
use crate::periods::{DateRange, PeriodKind, month_range};
use crate::queries::dashboard::overview;
use crate::queries::invoices::{AgingQuery, aging_page};
use crate::queries::payments::{failed_payments, payment_statistics};
use crate::records::TenantSettings;
use crate::reports::management::tiles::Unit;
use crate::reports::management::{Stamp, gather, pdf as management_pdf, previous_month};
use crate::store::aggregates::AggregateReader;

/// Rows of a digest's tables.
pub const TABLE_ROWS: usize = 10;

/// One figure of a digest: a tile of the email.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub label: &'static str,
    /// Its name in the API's answer (docs/metrics.md).
    pub field: &'static str,
    pub value: Decimal,
    pub unit: Unit,
}

impl Figure {
    /// The value as the API's JSON writes it (money and rates with two
    /// places, days with one, counts whole), so that a reader can find it
    /// in the API's answer.
    pub fn api_text(&self) -> String {
        self.unit.api_text(self.value)
    }

    /// The value with its unit: `12345.67 USD`, `12.50%`, `31.0 days`.
    pub fn text(&self, currency: &str) -> String {
        let value = self.api_text();
        match self.unit {
            Unit::Money => format!("{value} {currency}"),
            Unit::Percent => format!("{value}%"),
            Unit::Days => format!("{value} days"),
            Unit::Count => value,
        }
    }
}

/// A digest, gathered and rendered.
#[derive(Debug, Clone)]
pub struct DigestContent {
    pub digest: Digest,
    /// `Receivables aging at 2026-03-09`.
    pub title: String,
    /// What it covers, in words: `2026-03-01 to 2026-03-08`.
    pub covers: String,
    pub currency: String,
    pub time_zone: String,
    pub data_through: Option<DateTime<Utc>>,
    pub figures: Vec<Figure>,
    pub sections: Vec<Section>,
    pub pdf: Vec<u8>,
    /// The PDF's file name.
    pub pdf_name: String,
}

/// `2026-03-01 to 2026-03-08`.
fn span(range: DateRange) -> String {
    format!("{} to {}", range.from, range.to)
}

fn figure(label: &'static str, field: &'static str, value: Decimal, unit: Unit) -> Figure {
    Figure { label, field, value, unit }
}

fn col(header: &'static str, kind: Kind, width: f64) -> Column {
    Column { header, kind, width }
}

fn section(heading: String, columns: Vec<Column>, rows: Vec<Vec<Cell>>) -> Section {
    Section {
        heading: Some(heading),
        note: rows.is_empty().then(|| "None.".to_owned()),
        columns,
        rows,
    }
}

/// Gathers and renders `digest` as sent on the tenant's local `date`.
pub async fn gather_digest(
    reader: &AggregateReader<'_>,
    tenant: &str,
    settings: &TenantSettings,
    digest: Digest,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DigestContent, DigestError> {
    let data_through = reader.watermark().await?;
    let yesterday = date.pred_opt().unwrap_or(date);
    let (title, covers, figures, sections) = match digest {
        Digest::DashboardDaily => {
            let month = month_range(yesterday.year(), yesterday.month());
            let through = DateRange::new(month.from, yesterday);
            let dashboard = overview(reader, PeriodKind::Month, month, yesterday, false).await?;
            let s = &dashboard.summary;
            let day_revenue = dashboard
                .trends
                .daily_revenue
                .iter()
                .find(|d| d.date == yesterday)
                .map_or(Decimal::ZERO, |d| d.revenue);
            let figures = vec![
                figure(
                    "Revenue, month to date",
                    "summary.total_revenue",
                    s.total_revenue,
                    Unit::Money,
                ),
                figure(
                    "Orders",
                    "summary.total_orders",
                    Decimal::from(s.total_orders),
                    Unit::Count,
                ),
                figure(
                    "Average order value",
                    "summary.average_order_value",
                    s.average_order_value,
                    Unit::Money,
                ),
                figure(
                    "Collection rate",
                    "summary.collection_rate",
                    s.collection_rate,
                    Unit::Percent,
                ),
                figure(
                    "Outstanding receivables",
                    "summary.outstanding_receivables",
                    s.outstanding_receivables,
                    Unit::Money,
                ),
                figure(
                    "Revenue yesterday",
                    "trends.daily_revenue[].revenue",
                    day_revenue,
                    Unit::Money,
                ),
            ];
            let days = dashboard
                .trends
                .daily_revenue
                .iter()
                .filter(|d| d.date <= yesterday)
                .map(|d| vec![Cell::Date(d.date), Cell::Money(d.revenue)])
                .collect();
            let table = section(
                "Revenue by day".to_owned(),
                vec![col("Date", Kind::Text, 14.0), col("Revenue", Kind::Money, 16.0)],
                days,
            );
            (format!("Daily dashboard, {yesterday}"), span(through), figures, vec![table])
        }
        Digest::AgingWeekly => {
            let query = AgingQuery {
                as_of: date,
                customer: None,
                include_paid: false,
                buckets: Buckets::default(),
            };
            let page = aging_page(reader, &query, date, None, TABLE_ROWS).await?;
            let report = page.data;
            let s = &report.summary;
            let figures = vec![
                figure(
                    "Total outstanding",
                    "summary.total_outstanding",
                    s.total_outstanding,
                    Unit::Money,
                ),
                figure("Overdue", "summary.overdue_amount", s.overdue_amount, Unit::Money),
                figure(
                    "Overdue share",
                    "summary.overdue_percentage",
                    s.overdue_percentage,
                    Unit::Percent,
                ),
                figure(
                    "Open invoices",
                    "summary.total_invoices",
                    Decimal::from(s.total_invoices),
                    Unit::Count,
                ),
                figure(
                    "Average days outstanding",
                    "summary.average_days_outstanding",
                    s.average_days_outstanding,
                    Unit::Days,
                ),
            ];
            let buckets = report
                .aging_buckets
                .0
                .iter()
                .map(|(_, b)| {
                    vec![
                        Cell::Text(b.label.clone()),
                        Cell::Text(b.count.to_string()),
                        Cell::Money(b.total_amount),
                    ]
                })
                .collect();
            let customers = report
                .by_customer
                .iter()
                .map(|r| {
                    let overdue: Decimal = r.amounts.iter().skip(1).map(|(_, a)| *a).sum();
                    vec![
                        Cell::Text(r.customer_number.clone()),
                        Cell::Text(r.customer_name.clone()),
                        Cell::Money(overdue),
                        Cell::Money(r.total_outstanding),
                    ]
                })
                .collect();
            let sections = vec![
                section(
                    format!("Aging buckets at {date}"),
                    vec![
                        col("Bucket", Kind::Text, 20.0),
                        col("Invoices", Kind::Text, 10.0),
                        col("Amount", Kind::Money, 16.0),
                    ],
                    buckets,
                ),
                section(
                    format!("Largest balances at {date}"),
                    vec![
                        col("Customer number", Kind::Text, 16.0),
                        col("Customer", Kind::Text, 30.0),
                        col("Overdue", Kind::Money, 16.0),
                        col("Outstanding", Kind::Money, 16.0),
                    ],
                    customers,
                ),
            ];
            (format!("Receivables aging at {date}"), format!("as of {date}"), figures, sections)
        }
        Digest::FailuresWeekly => {
            let week = DateRange::new(date - Duration::days(7), yesterday);
            let statistics = payment_statistics(reader, week, None, None).await?;
            let failed = failed_payments(reader, week, None, TABLE_ROWS).await?;
            let meta = &failed.totals;
            let figures = vec![
                figure(
                    "Failed payment rate",
                    "success_metrics.failure_rate",
                    statistics.success_metrics.failure_rate,
                    Unit::Percent,
                ),
                figure(
                    "Failed payments",
                    "meta.total_failed",
                    Decimal::from(meta.total_failed),
                    Unit::Count,
                ),
                figure(
                    "Failed amount",
                    "meta.total_failed_amount",
                    meta.total_failed_amount,
                    Unit::Money,
                ),
                figure(
                    "Retryable amount",
                    "meta.retryable_amount",
                    meta.retryable_amount,
                    Unit::Money,
                ),
            ];
            let reasons = meta
                .by_reason
                .0
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(reason, n)| vec![Cell::Text(reason.clone()), Cell::Text(n.to_string())])
                .collect();
            let latest = failed
                .data
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.failed_at.clone()),
                        Cell::Text(r.payment_number.clone()),
                        Cell::Text(r.customer.company_name.clone()),
                        Cell::Text(r.failure_reason.clone()),
                        Cell::Money(r.amount),
                    ]
                })
                .collect();
            let sections = vec![
                section(
                    "Failed payments by reason".to_owned(),
                    vec![col("Reason", Kind::Text, 24.0), col("Payments", Kind::Text, 10.0)],
                    reasons,
                ),
                section(
                    "Latest failed payments".to_owned(),
                    vec![
                        col("Failed at", Kind::Text, 20.0),
                        col("Payment", Kind::Text, 14.0),
                        col("Customer", Kind::Text, 24.0),
                        col("Reason", Kind::Text, 18.0),
                        col("Amount", Kind::Money, 14.0),
                    ],
                    latest,
                ),
            ];
            (
                format!("Payment failures, {} to {}", week.from, week.to),
                span(week),
                figures,
                sections,
            )
        }
        Digest::ManagementMonthly => {
            let month = previous_month(date);
            let figures_of_month = gather(reader, month).await?;
            let stamp = Stamp {
                tenant: tenant.to_owned(),
                month,
                currency: settings.currency.clone(),
                time_zone: settings.time_zone.clone(),
                data_through,
                generated_at: now,
            };
            let figures = figures_of_month
                .tiles
                .iter()
                .map(|t| figure(t.label, t.field, t.value(), t.unit))
                .collect();
            let sections = management_pdf::tables(&figures_of_month);
            let pdf = management_pdf::render(&figures_of_month, &stamp)?;
            let label = crate::reports::management::month_label(month);
            return Ok(DigestContent {
                digest,
                title: stamp.title(),
                covers: span(month),
                currency: settings.currency.clone(),
                time_zone: settings.time_zone.clone(),
                data_through,
                figures,
                sections,
                pdf,
                pdf_name: format!("management-report-{label}.pdf"),
            });
        }
    };
    let mut content = DigestContent {
        digest,
        title,
        covers,
        currency: settings.currency.clone(),
        time_zone: settings.time_zone.clone(),
        data_through,
        figures,
        sections,
        pdf: Vec::new(),
        pdf_name: format!("{}-{date}.pdf", digest.as_str().replace('_', "-")),
    };
    content.pdf = render(&document(&content, tenant, now))?;
    Ok(content)
}

/// The PDF of a digest other than the management report: its figures as a
/// summary, then its tables.
fn document(content: &DigestContent, tenant: &str, now: DateTime<Utc>) -> Document {
    let through = content
        .data_through
        .map_or_else(|| "no data".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    Document {
        title: content.title.clone(),
        subtitle: format!(
            "Tenant: {tenant}    Covers: {}    Currency: {}    Time zone: {}    Data through: {through}    Generated: {}",
            content.covers,
            content.currency,
            content.time_zone,
            now.format("%Y-%m-%d %H:%M UTC")
        ),
        summary: content
            .figures
            .iter()
            .map(|f| format!("{}: {}", f.label, f.text(&content.currency)))
            .collect(),
        chart: None,
        sections: content.sections.clone(),
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn figures_read_as_the_api_writes_them() {
        let money =
            figure("Total outstanding", "summary.total_outstanding", dec!(1234567.5), Unit::Money);
        assert_eq!(money.api_text(), "1234567.50");
        assert_eq!(money.text("EUR"), "1234567.50 EUR");
        assert_eq!(figure("r", "f", dec!(12.345), Unit::Percent).text("EUR"), "12.35%");
        assert_eq!(figure("d", "f", dec!(31.04), Unit::Days).text("EUR"), "31.0 days");
        assert_eq!(figure("n", "f", dec!(42), Unit::Count).text("EUR"), "42");
    }
}
