//! Invoice figures (docs/metrics.md "Invoices"): `GET /invoices/statistics`,
//! from the `invoices` measures of the period (or a customer's slice), the
//! receivables prefix sum, the closing-date index for balances and
//! effective statuses, and the per-customer `customer_invoices` measures.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::aging::{AgingInvoice, AgingTotals, Buckets, report};
use super::orders::PeriodDates;
use super::{Keyed, average, complement, get, histogram, histogram_median, money, percent};
use crate::figures::cents_to_decimal;
use crate::layout::{EntityMeasures, Measure, Measures, measure};
use crate::money::json;
use crate::periods::DateRange;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceStatistics {
    pub period: PeriodDates,
    pub invoice_counts: Keyed<u64>,
    pub financial_metrics: InvoiceFinancials,
    pub payment_metrics: PaymentMetrics,
    pub aging_analysis: Keyed<Money>,
    pub top_customers_by_invoices: Vec<CustomerInvoicesRow>,
}

/// A money amount as a JSON number with 2 places.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Money(#[serde(serialize_with = "json::money")] pub Decimal);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceFinancials {
    #[serde(serialize_with = "json::money")]
    pub total_invoiced: Decimal,
    #[serde(serialize_with = "json::money")]
    pub total_paid: Decimal,
    #[serde(serialize_with = "json::money")]
    pub total_outstanding: Decimal,
    #[serde(serialize_with = "json::money")]
    pub total_overdue: Decimal,
    #[serde(serialize_with = "json::money")]
    pub average_invoice_value: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub collection_rate: Decimal,
    #[serde(serialize_with = "json::money")]
    pub write_off_amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentMetrics {
    #[serde(serialize_with = "json::days")]
    pub average_days_to_pay: Decimal,
    #[serde(serialize_with = "json::days")]
    pub median_days_to_pay: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub on_time_payment_rate: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub late_payment_rate: Decimal,
    #[serde(serialize_with = "json::days")]
    pub days_sales_outstanding: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerInvoicesRow {
    pub customer_id: i64,
    pub customer_name: String,
    pub invoice_count: u64,
    #[serde(serialize_with = "json::money")]
    pub total_invoiced: Decimal,
    #[serde(serialize_with = "json::money")]
    pub total_paid: Decimal,
    pub payment_performance: &'static str,
}

/// `collection_rate`: paid / invoiced * 100 over the period's invoices.
pub fn collection_rate(invoices: &Measures) -> Decimal {
    percent(get(invoices, measure::PAID), get(invoices, measure::INVOICED))
}

/// Days sales outstanding: receivables at the period's end / invoiced in
/// the period * days (0 when nothing was invoiced).
pub fn days_sales_outstanding(
    receivables_cents: Measure,
    invoiced_cents: Measure,
    days: i64,
) -> Decimal {
    average(crate::figures::decimal(receivables_cents) * Decimal::from(days), invoiced_cents)
}

/// `payment_performance` from an on-time payment rate.
pub fn payment_performance(paid_by_payments: Measure, paid_on_time: Measure) -> &'static str {
    if paid_by_payments <= 0 {
        return "no_history";
    }
    let rate = percent(paid_on_time, paid_by_payments);
    match rate {
        r if r >= Decimal::from(95) => "excellent",
        r if r >= Decimal::from(80) => "good",
        r if r >= Decimal::from(60) => "fair",
        _ => "poor",
    }
}

/// Whether a customer's summed `customer_invoices` measures hold an invoice.
fn is_billed(customer: &Measures) -> bool {
    get(customer, measure::INVOICE_COUNT) > 0
}

/// The customers billed at least once in `customers`' measures, by id.
pub fn billed_customers(customers: &EntityMeasures) -> Vec<i64> {
    customers.iter().filter(|(_, m)| is_billed(m)).map(|(id, _)| *id).collect()
}

/// Rows of each customer's summed `customer_invoices` measures, by total
/// invoiced (names are filled in by the caller).
pub fn customer_invoice_rows(customers: &EntityMeasures, limit: usize) -> Vec<CustomerInvoicesRow> {
    let mut rows: Vec<(Measure, CustomerInvoicesRow)> = customers
        .iter()
        .filter(|(_, m)| is_billed(m))
        .map(|(id, m)| {
            let row = CustomerInvoicesRow {
                customer_id: *id,
                customer_name: String::new(),
                invoice_count: super::to_count(get(m, measure::INVOICE_COUNT)),
                total_invoiced: cents_to_decimal(get(m, measure::INVOICED)),
                total_paid: cents_to_decimal(get(m, measure::PAID)),
                payment_performance: payment_performance(
                    get(m, measure::PAID_BY_PAYMENTS),
                    get(m, measure::PAID_ON_TIME),
                ),
            };
            (get(m, measure::INVOICED), row)
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.customer_id.cmp(&b.1.customer_id)));
    rows.into_iter().take(limit).map(|(_, r)| r).collect()
}

/// The invoices of a period (by issue date) open at a date, and those of
/// them past due then (due date before it): counts, balances and those
/// with something paid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenInPeriod {
    pub count: Measure,
    pub balance: Measure,
    pub partially_paid: Measure,
    pub overdue_count: Measure,
    pub overdue_balance: Measure,
    pub overdue_partially_paid: Measure,
}

impl OpenInPeriod {
    /// From the invoices themselves (at least every invoice open at `at`).
    pub fn of(invoices: &[AgingInvoice], period: DateRange, at: NaiveDate) -> Self {
        let mut out = OpenInPeriod::default();
        for invoice in invoices.iter().filter(|i| period.contains(i.issued_on) && i.is_open_at(at))
        {
            let (balance, paid) = (invoice.balance_at(at), Measure::from(invoice.paid_at(at) > 0));
            out.count += 1;
            out.balance += balance;
            out.partially_paid += paid;
            if invoice.due_date < at {
                out.overdue_count += 1;
                out.overdue_balance += balance;
                out.overdue_partially_paid += paid;
            }
        }
        out
    }

    /// From the period's `invoices_open` items summed: each measure is a
    /// step on the date its name holds; the steps through `at` add up to
    /// the figures at `at`.
    pub fn from_steps(measures: &Measures, at: NaiveDate) -> Self {
        use measure::OpenStep;
        let mut out = OpenInPeriod::default();
        for (name, value) in measures {
            let Some((step, day)) = measure::open_step_of(name) else { continue };
            if day > at {
                continue;
            }
            let field = match step {
                OpenStep::Count => &mut out.count,
                OpenStep::Balance => &mut out.balance,
                OpenStep::PartiallyPaid => &mut out.partially_paid,
                OpenStep::OverdueCount => &mut out.overdue_count,
                OpenStep::OverdueBalance => &mut out.overdue_balance,
                OpenStep::OverduePartiallyPaid => &mut out.overdue_partially_paid,
            };
            *field = field.saturating_add(*value);
        }
        out
    }
}

/// Everything `GET /invoices/statistics` needs.
pub struct InvoiceInputs<'a> {
    pub period: DateRange,
    pub today: NaiveDate,
    /// `invoices` (or the customer's slice) over the period.
    pub invoices: &'a Measures,
    /// Open receivables at the end of the period's last day.
    pub receivables_cents: Measure,
    /// The period's invoices open today.
    pub open: OpenInPeriod,
    /// Invoices open at the aging date (the period's last day, or today if
    /// earlier), in the standard buckets.
    pub aging_date: NaiveDate,
    pub aging: AgingTotals,
    /// Each customer's summed `customer_invoices` measures of the period.
    pub customer_invoices: &'a EntityMeasures,
    pub limit: usize,
}

pub fn statistics(inputs: &InvoiceInputs) -> InvoiceStatistics {
    let (period, m, open) = (inputs.period, inputs.invoices, &inputs.open);
    let partially_paid = open.partially_paid - open.overdue_partially_paid;
    let sent = open.count - open.overdue_count - partially_paid;
    let paid = super::to_count(get(m, measure::BILLABLE) - open.count);
    let counts = [
        ("draft", super::to_count(get(m, measure::DRAFTS))),
        ("sent", super::to_count(sent)),
        ("partially_paid", super::to_count(partially_paid)),
        ("paid", paid),
        ("overdue", super::to_count(open.overdue_count)),
        ("cancelled", super::to_count(get(m, measure::CANCELLED))),
    ];
    let mut invoice_counts = Keyed(vec![("total".to_owned(), counts.iter().map(|(_, n)| n).sum())]);
    invoice_counts.0.extend(counts.iter().map(|(k, n)| ((*k).to_owned(), *n)));

    let invoiced = money(m, measure::INVOICED);
    let paid_by_payments = get(m, measure::PAID_BY_PAYMENTS);
    let on_time = percent(get(m, measure::PAID_ON_TIME), paid_by_payments);
    let aging = report(inputs.aging_date, &Buckets::default(), &inputs.aging, None, Vec::new());
    InvoiceStatistics {
        period: period.into(),
        invoice_counts,
        financial_metrics: InvoiceFinancials {
            total_invoiced: invoiced,
            total_paid: money(m, measure::PAID),
            total_outstanding: cents_to_decimal(open.balance),
            total_overdue: cents_to_decimal(open.overdue_balance),
            average_invoice_value: average(invoiced, get(m, measure::BILLABLE)),
            collection_rate: collection_rate(m),
            write_off_amount: money(m, measure::WRITTEN_OFF),
        },
        payment_metrics: PaymentMetrics {
            average_days_to_pay: average(
                crate::figures::decimal(get(m, measure::DAYS_TO_PAY)),
                paid_by_payments,
            ),
            median_days_to_pay: histogram_median(&histogram(m, measure::DAYS_TO_PAY_BINS))
                .unwrap_or_default(),
            on_time_payment_rate: on_time,
            late_payment_rate: complement(on_time, paid_by_payments),
            days_sales_outstanding: days_sales_outstanding(
                inputs.receivables_cents,
                get(m, measure::INVOICED),
                period.days(),
            ),
        },
        aging_analysis: aging
            .aging_buckets
            .0
            .into_iter()
            .map(|(k, b)| (k, Money(b.total_amount)))
            .collect(),
        top_customers_by_invoices: customer_invoice_rows(inputs.customer_invoices, inputs.limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn billed_customers_are_those_with_an_invoice() {
        let measures = |count| Measures::from([(measure::INVOICE_COUNT.to_owned(), count)]);
        let customers =
            EntityMeasures::from([(9, measures(2)), (3, measures(0)), (5, measures(1))]);
        assert_eq!(billed_customers(&customers), [5, 9]);
        let rows = customer_invoice_rows(&customers, usize::MAX);
        let mut ranked: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
        ranked.sort_unstable();
        assert_eq!(ranked, billed_customers(&customers), "the same customers get rows");
    }

    #[test]
    fn performance_thresholds() {
        assert_eq!(payment_performance(0, 0), "no_history");
        assert_eq!(payment_performance(20, 19), "excellent");
        assert_eq!(payment_performance(20, 16), "good");
        assert_eq!(payment_performance(20, 12), "fair");
        assert_eq!(payment_performance(20, 11), "poor");
    }

    #[test]
    fn dso_by_hand() {
        // 500.00 open at the end of a 30-day period that invoiced 1 500.00.
        assert_eq!(days_sales_outstanding(50000, 150000, 30), dec!(10));
        assert_eq!(days_sales_outstanding(50000, 0, 30), dec!(0));
    }
}
