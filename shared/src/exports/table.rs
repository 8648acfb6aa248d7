//! The rows of an export and what the report computes from them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Date,
    Money,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    pub header: &'static str,
    pub kind: Kind,
    /// Width in characters (Excel) and in relative units (PDF).
    pub width: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Date(NaiveDate),
    Money(Decimal),
}

impl Cell {
    /// The value as CSV and PDF show it (money with two places, ISO dates).
    pub fn display(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Date(d) => d.to_string(),
            Cell::Money(m) => format!("{:.2}", crate::money::round(*m, 2)),
        }
    }
}

pub type Row = Vec<Cell>;

/// What a file holds: its columns, and which of them the report's summary
/// and chart read.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// "Orders", "Invoices".
    pub title: &'static str,
    pub columns: Vec<Column>,
    pub date_column: usize,
    pub status_column: usize,
    pub amount_column: usize,
    /// Statuses whose amounts the chart leaves out (drafts, cancellations).
    pub chart_excludes: &'static [&'static str],
    /// "Revenue by day", "Invoiced by day".
    pub chart_title: &'static str,
    /// Every status key, in order, for the summary's counts.
    pub statuses: Vec<&'static str>,
}

/// Totals of every row of an export, for the PDF's summary and chart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub rows: u64,
    pub total: Decimal,
    pub by_status: BTreeMap<String, (u64, Decimal)>,
    pub by_day: BTreeMap<NaiveDate, Decimal>,
}

impl Summary {
    pub fn add(&mut self, spec: &TableSpec, row: &Row) {
        self.rows += 1;
        let amount = match row.get(spec.amount_column) {
            Some(Cell::Money(m)) => *m,
            _ => Decimal::ZERO,
        };
        let status = match row.get(spec.status_column) {
            Some(Cell::Text(s)) => s.clone(),
            _ => String::new(),
        };
        self.total += amount;
        let entry = self.by_status.entry(status.clone()).or_default();
        entry.0 += 1;
        entry.1 += amount;
        if let (false, Some(Cell::Date(day))) =
            (spec.chart_excludes.contains(&status.as_str()), row.get(spec.date_column))
        {
            *self.by_day.entry(*day).or_default() += amount;
        }
    }
}
