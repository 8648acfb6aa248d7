//! The value of a catalogue metric over a period, computed by the code of
//! the endpoint that shows it and rounded as that endpoint shows it:
//!
//! | metric | endpoint, field |
//! |---|---|
//! | `revenue`, `orders`, `average_order_value`, `collection_rate`, `outstanding_receivables` | `/dashboard`, `summary.*` (`total_revenue`, `total_orders`) |
//! | `overdue_amount` | `/dashboard`, `invoices.total_overdue_amount` |
//! | `days_sales_outstanding` | `/dashboard/performance`, `efficiency_kpis.days_sales_outstanding` |
//! | `customer_retention_rate` | `/dashboard/performance`, `customer_kpis.customer_retention_rate` |
//! | `overdue_percentage` | `/invoices/aging-report?as_of_date=<end of the period, at most today>`, `summary.overdue_percentage` |
//! | `failed_payment_rate` | `/payments/statistics?from_date&to_date`, `success_metrics.failure_rate` |
//! | `open_disputes` | `/payments/disputed`, `meta.total_disputed` (now: no period) |

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::rule::Metric;
use crate::figures::aging::{Buckets, report as aging_report};
use crate::periods::{DateRange, PeriodKind};
use crate::queries::dashboard::overview;
use crate::queries::kpis::performance;
use crate::queries::payments::{disputed_meta, payment_statistics};
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// Values computed during one evaluation, so rules on the same figures
/// and period read the aggregates once.
pub struct Figures<'r, 'a> {
    reader: &'r AggregateReader<'a>,
    today: NaiveDate,
    known: HashMap<(Metric, DateRange), Decimal>,
}

impl<'r, 'a> Figures<'r, 'a> {
    pub fn new(reader: &'r AggregateReader<'a>, today: NaiveDate) -> Self {
        Figures { reader, today, known: HashMap::new() }
    }

    /// The metric over `period` (of kind `kind`), as its endpoint shows it.
    pub async fn value(
        &mut self,
        metric: Metric,
        kind: PeriodKind,
        period: DateRange,
    ) -> Result<Decimal, StoreError> {
        if let Some(value) = self.known.get(&(metric, period)) {
            return Ok(*value);
        }
        for (m, value) in self.compute(metric, kind, period).await? {
            self.known.insert((m, period), crate::money::round(value, m.places()));
        }
        Ok(self.known.get(&(metric, period)).copied().unwrap_or_default())
    }

    /// The metric and those read with it.
    async fn compute(
        &self,
        metric: Metric,
        kind: PeriodKind,
        period: DateRange,
    ) -> Result<Vec<(Metric, Decimal)>, StoreError> {
        let reader = self.reader;
        Ok(match metric {
            Metric::Revenue
            | Metric::Orders
            | Metric::AverageOrderValue
            | Metric::CollectionRate
            | Metric::OutstandingReceivables
            | Metric::OverdueAmount => {
                let d = overview(reader, kind, period, self.today, false).await?;
                vec![
                    (Metric::Revenue, d.summary.total_revenue),
                    (Metric::Orders, Decimal::from(d.summary.total_orders)),
                    (Metric::AverageOrderValue, d.summary.average_order_value),
                    (Metric::CollectionRate, d.summary.collection_rate),
                    (Metric::OutstandingReceivables, d.summary.outstanding_receivables),
                    (Metric::OverdueAmount, d.invoices.total_overdue_amount),
                ]
            }
            Metric::DaysSalesOutstanding | Metric::CustomerRetentionRate => {
                let p = performance(reader, kind, period).await?;
                vec![
                    (Metric::DaysSalesOutstanding, p.efficiency_kpis.days_sales_outstanding),
                    (Metric::CustomerRetentionRate, p.customer_kpis.customer_retention_rate),
                ]
            }
            Metric::OverduePercentage => {
                let as_of = period.to.min(self.today);
                let totals = reader.aging_totals(as_of).await?;
                let report = aging_report(as_of, &Buckets::default(), &totals, None, Vec::new());
                vec![(metric, report.summary.overdue_percentage)]
            }
            Metric::FailedPaymentRate => {
                let statistics = payment_statistics(reader, period, None, None).await?;
                vec![(metric, statistics.success_metrics.failure_rate)]
            }
            Metric::OpenDisputes => {
                let meta = disputed_meta(reader, self.today).await?;
                vec![(metric, Decimal::from(meta.total_disputed))]
            }
        })
    }
}
