//! The two exports' tables (docs/metrics.md "Exports"): the columns, and the
//! rows built from the by-date index items of orders and invoices.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::table::{Cell, Column, Kind, Row, TableSpec};
use crate::money::from_cents;
use crate::records::{InvoiceStatus, OrderStatus, StrEnum};
use crate::store::indexes::Item;
use crate::store::{attr_number, attr_s};

/// Effective invoice statuses (docs/metrics.md "Effective status").
pub const INVOICE_STATUSES: [&str; 6] =
    ["draft", "sent", "partially_paid", "paid", "overdue", "cancelled"];

pub fn orders_spec() -> TableSpec {
    let col = |header, kind, width| Column { header, kind, width };
    TableSpec {
        title: "Orders",
        columns: vec![
            col("Order number", Kind::Text, 16.0),
            col("Date", Kind::Date, 11.0),
            col("Customer number", Kind::Text, 15.0),
            col("Customer", Kind::Text, 28.0),
            col("Sales rep", Kind::Text, 18.0),
            col("Source", Kind::Text, 12.0),
            col("Status", Kind::Text, 11.0),
            col("Total", Kind::Money, 14.0),
            col("Currency", Kind::Text, 8.0),
        ],
        date_column: 1,
        status_column: 6,
        amount_column: 7,
        chart_excludes: &["draft", "cancelled"],
        chart_title: "Revenue by day",
        statuses: OrderStatus::ALL.iter().map(|s| s.as_str()).collect(),
    }
}

pub fn invoices_spec() -> TableSpec {
    let col = |header, kind, width| Column { header, kind, width };
    TableSpec {
        title: "Invoices",
        columns: vec![
            col("Invoice number", Kind::Text, 16.0),
            col("Issue date", Kind::Date, 11.0),
            col("Due date", Kind::Date, 11.0),
            col("Customer number", Kind::Text, 15.0),
            col("Customer", Kind::Text, 26.0),
            col("Status", Kind::Text, 13.0),
            col("Total", Kind::Money, 13.0),
            col("Paid", Kind::Money, 13.0),
            col("Balance", Kind::Money, 13.0),
            col("Currency", Kind::Text, 8.0),
        ],
        date_column: 1,
        status_column: 5,
        amount_column: 6,
        chart_excludes: &["cancelled"],
        chart_title: "Invoiced by day",
        statuses: INVOICE_STATUSES.to_vec(),
    }
}

/// Names the rows show: customers (number, name) and sales reps.
#[derive(Debug, Default)]
pub struct Names {
    pub customers: HashMap<i64, (String, String)>,
    pub reps: BTreeMap<i64, String>,
}

fn text(item: &Item, name: &str) -> String {
    attr_s(item, name).unwrap_or_default().to_owned()
}

fn date(item: &Item, name: &str) -> Option<NaiveDate> {
    attr_s(item, name).and_then(|d| d.parse().ok())
}

/// An `orders_by_date` item as a row (`None` if malformed).
pub fn order_row(item: &Item, names: &Names, currency: &str) -> Option<Row> {
    let customer = attr_number(item, "customer_id")?;
    let (number, name) = names.customers.get(&customer).cloned().unwrap_or_default();
    let rep = attr_number(item, "sales_rep_id")
        .and_then(|r| names.reps.get(&r).cloned())
        .unwrap_or_default();
    Some(vec![
        Cell::Text(text(item, "order_number")),
        Cell::Date(date(item, "ordered_on")?),
        Cell::Text(number),
        Cell::Text(name),
        Cell::Text(rep),
        Cell::Text(text(item, "source")),
        Cell::Text(text(item, "status")),
        Cell::Money(from_cents(attr_number(item, "total")?)),
        Cell::Text(currency.to_owned()),
    ])
}

/// The effective status of an invoice today.
pub fn effective_status(
    stored: &str,
    total: i64,
    paid: i64,
    written_off: i64,
    due: NaiveDate,
    today: NaiveDate,
) -> &'static str {
    if stored == InvoiceStatus::Cancelled.as_str() {
        "cancelled"
    } else if total - paid - written_off <= 0 {
        "paid"
    } else if due < today {
        "overdue"
    } else if paid > 0 {
        "partially_paid"
    } else {
        "sent"
    }
}

/// An `invoices_by_issue` item as a row, with its effective status today.
pub fn invoice_row(item: &Item, names: &Names, currency: &str, today: NaiveDate) -> Option<Row> {
    let customer = attr_number(item, "customer_id")?;
    let (number, name) = names.customers.get(&customer).cloned().unwrap_or_default();
    let (total, paid, written_off) = (
        attr_number(item, "total")?,
        attr_number(item, "paid")?,
        attr_number(item, "written_off")?,
    );
    let due = date(item, "due_date")?;
    let status = effective_status(&text(item, "status"), total, paid, written_off, due, today);
    let balance = if status == "cancelled" { 0 } else { (total - paid - written_off).max(0) };
    Some(vec![
        Cell::Text(text(item, "invoice_number")),
        Cell::Date(date(item, "issued_on")?),
        Cell::Date(due),
        Cell::Text(number),
        Cell::Text(name),
        Cell::Text(status.to_owned()),
        Cell::Money(from_cents(total)),
        Cell::Money(from_cents(paid)),
        Cell::Money(from_cents(balance)),
        Cell::Text(currency.to_owned()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_statuses() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let today = d("2025-12-20");
        assert_eq!(effective_status("cancelled", 100, 0, 0, today, today), "cancelled");
        assert_eq!(effective_status("sent", 100, 60, 40, d("2025-12-01"), today), "paid");
        assert_eq!(effective_status("sent", 100, 60, 0, d("2025-12-19"), today), "overdue");
        assert_eq!(effective_status("overdue", 100, 60, 0, today, today), "partially_paid");
        assert_eq!(effective_status("paid", 100, 0, 0, today, today), "sent");
    }
}
