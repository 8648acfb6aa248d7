//! Accounts-receivable aging as of any date (docs/metrics.md "Aging report"),
//! from the invoices the closing-date index returns for that date: those
//! open at its end or closed since, each with its dated payment
//! applications and write-off, so a past date's balances are exact.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Keyed, average, percent};
use crate::figures::cents_to_decimal;
use crate::layout::{Measure, Measures, measure};
use crate::money::json;

/// An issued, non-cancelled invoice as the closing-date index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingInvoice {
    pub invoice_id: i64,
    pub invoice_number: String,
    pub customer_id: i64,
    pub issued_on: NaiveDate,
    pub due_date: NaiveDate,
    pub total_cents: Measure,
    pub written_off_cents: Measure,
    /// Local date of the write-off (never before issue).
    pub written_off_on: Option<NaiveDate>,
    /// (local date, cents) of each payment application (never before issue).
    pub applications: Vec<(NaiveDate, Measure)>,
}

impl AgingInvoice {
    /// Paid by applications dated on or before `day`.
    pub fn paid_at(&self, day: NaiveDate) -> Measure {
        self.applications.iter().filter(|(d, _)| *d <= day).map(|(_, c)| c).sum()
    }

    /// Balance at the end of `day`: total - paid - write-off dated by then.
    pub fn balance_at(&self, day: NaiveDate) -> Measure {
        let written_off = match self.written_off_on {
            Some(on) if on <= day => self.written_off_cents,
            _ => 0,
        };
        self.total_cents - self.paid_at(day) - written_off
    }

    /// Open at the end of `day`: issued by then with a positive balance.
    pub fn is_open_at(&self, day: NaiveDate) -> bool {
        self.issued_on <= day && self.balance_at(day) > 0
    }
}

/// What an invoice's age is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AgeBy {
    #[default]
    DueDate,
    IssueDate,
}

/// The aging buckets: `current` (age <= 0), then one bucket per range of
/// ascending day limits, then `over_{last}_days`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    limits: Vec<i64>,
    age_by: AgeBy,
}

/// Most custom limits accepted.
pub const MAX_LIMITS: usize = 8;
/// Largest day limit accepted (about 100 years): far past any receivable,
/// and far from the edge of `i64` where `limit + 1` would overflow.
pub const MAX_DAY_LIMIT: i64 = 36_600;

impl Default for Buckets {
    fn default() -> Self {
        Buckets { limits: vec![30, 60, 90], age_by: AgeBy::DueDate }
    }
}

impl Buckets {
    /// Custom limits: strictly ascending positive day counts, 1 to 8 of them.
    pub fn new(limits: Vec<i64>, age_by: AgeBy) -> Result<Self, &'static str> {
        if limits.is_empty() || limits.len() > MAX_LIMITS {
            return Err("must list 1 to 8 day limits, e.g. 30,60,90");
        }
        if limits[0] < 1 || limits.windows(2).any(|w| w[0] >= w[1]) {
            return Err("day limits must be positive whole numbers in ascending order");
        }
        if limits.iter().any(|l| *l > MAX_DAY_LIMIT) {
            return Err("day limits must be at most 36600 (100 years)");
        }
        Ok(Buckets { limits, age_by })
    }

    pub fn with_age_by(mut self, age_by: AgeBy) -> Self {
        self.age_by = age_by;
        self
    }

    /// Number of buckets (current + ranges + over).
    pub fn len(&self) -> usize {
        self.limits.len() + 2
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// (key, label) of every bucket in order.
    pub fn keys(&self) -> Vec<(String, String)> {
        let overdue = match self.age_by {
            AgeBy::DueDate => " Overdue",
            AgeBy::IssueDate => " Old",
        };
        let mut out = vec![(
            "current".to_owned(),
            match self.age_by {
                AgeBy::DueDate => "Current (Not Due)".to_owned(),
                AgeBy::IssueDate => "Current".to_owned(),
            },
        )];
        let mut low = 1;
        for limit in &self.limits {
            out.push((format!("{low}_{limit}_days"), format!("{low}-{limit} Days{overdue}")));
            low = limit.saturating_add(1);
        }
        let last = self.limits.last().copied().unwrap_or(0);
        out.push((format!("over_{last}_days"), format!("Over {last} Days")));
        out
    }

    /// Age of an invoice at `day` in days.
    pub fn age(&self, invoice: &AgingInvoice, day: NaiveDate) -> i64 {
        let from = match self.age_by {
            AgeBy::DueDate => invoice.due_date,
            AgeBy::IssueDate => invoice.issued_on,
        };
        (day - from).num_days()
    }

    /// Index of the bucket holding an age.
    pub fn index(&self, age: i64) -> usize {
        if age <= 0 {
            return 0;
        }
        self.limits.iter().position(|limit| age <= *limit).map_or(self.limits.len() + 1, |i| i + 1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketFigures {
    pub label: String,
    pub count: u64,
    #[serde(serialize_with = "json::money")]
    pub total_amount: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub percentage: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgingSummary {
    pub total_invoices: u64,
    #[serde(serialize_with = "json::money")]
    pub total_outstanding: Decimal,
    #[serde(serialize_with = "json::money")]
    pub overdue_amount: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub overdue_percentage: Decimal,
    #[serde(serialize_with = "json::days")]
    pub average_days_outstanding: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_invoices: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "json::opt_money")]
    pub paid_amount: Option<Decimal>,
}

/// A customer's name, number and credit limit (from the customer copies).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerInfo {
    pub name: String,
    pub number: String,
    pub credit_limit: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_number: String,
    /// Amount per bucket, in the buckets' order.
    pub amounts: Vec<(String, Decimal)>,
    pub total_outstanding: Decimal,
    pub credit_limit: Option<Decimal>,
    pub available_credit: Option<Decimal>,
}

impl Serialize for CustomerRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let money = |v: Decimal| Money(Some(v));
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("customer_id", &self.customer_id)?;
        map.serialize_entry("customer_name", &self.customer_name)?;
        map.serialize_entry("customer_number", &self.customer_number)?;
        for (key, amount) in &self.amounts {
            map.serialize_entry(key, &money(*amount))?;
        }
        map.serialize_entry("total_outstanding", &money(self.total_outstanding))?;
        map.serialize_entry("credit_limit", &Money(self.credit_limit))?;
        map.serialize_entry("available_credit", &Money(self.available_credit))?;
        map.end()
    }
}

struct Money(Option<Decimal>);

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        json::opt_money(&self.0, serializer)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgingReport {
    pub report_date: NaiveDate,
    pub aging_buckets: Keyed<BucketFigures>,
    pub summary: AgingSummary,
    pub by_customer: Vec<CustomerRow>,
}

/// Invoices issued by the as-of date and settled then (for `include_paid`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settled {
    /// Customers with an invoice issued by the date.
    pub customers: Vec<i64>,
    /// Invoices issued by the date with balance 0 then.
    pub count: u64,
    /// Their totals (collected or written off), in cents.
    pub amount_cents: Measure,
}

impl Settled {
    /// From the invoices issued by the date (`invoices` measures summed
    /// through it: `billable` count, `invoiced` total) less those open then
    /// (their count and totals): what is left was settled by the date.
    pub fn of_issued(
        issued: &Measures,
        open_count: Measure,
        open_total: Measure,
        customers: Vec<i64>,
    ) -> Self {
        Settled {
            customers,
            count: super::to_count(
                super::get(issued, measure::BILLABLE).saturating_sub(open_count),
            ),
            amount_cents: super::get(issued, measure::INVOICED).saturating_sub(open_total),
        }
    }
}

/// Fills in the customers' names, numbers, credit limits and available
/// credit (`credit_limit - total_outstanding`; null without a limit).
pub fn name_rows(rows: &mut [CustomerRow], customers: &BTreeMap<i64, CustomerInfo>) {
    for row in rows {
        let info = customers.get(&row.customer_id).cloned().unwrap_or_default();
        row.customer_name = info.name;
        row.customer_number = info.number;
        row.credit_limit = info.credit_limit;
        row.available_credit = info.credit_limit.map(|limit| limit - row.total_outstanding);
    }
}

/// The aging report as of the end of `as_of`. `invoices`: at least every
/// invoice open at that date (others are ignored); `settled`: present with
/// `include_paid`. Rows are unnamed: see [`name_rows`].
pub fn aging_report(
    as_of: NaiveDate,
    invoices: &[AgingInvoice],
    buckets: &Buckets,
    settled: Option<&Settled>,
) -> AgingReport {
    let totals = AgingTotals::of(as_of, invoices, buckets);
    let mut per_customer: BTreeMap<i64, Vec<Measure>> = BTreeMap::new();
    for invoice in invoices.iter().filter(|i| i.is_open_at(as_of)) {
        let bucket = buckets.index(buckets.age(invoice, as_of));
        per_customer.entry(invoice.customer_id).or_insert_with(|| vec![0; buckets.len()])
            [bucket] += invoice.balance_at(as_of);
    }
    if let Some(settled) = settled {
        for id in &settled.customers {
            per_customer.entry(*id).or_insert_with(|| vec![0; buckets.len()]);
        }
    }
    let keys = buckets.keys();
    let mut rows: Vec<CustomerRow> =
        per_customer.into_iter().map(|(id, cents)| customer_row(id, &keys, &cents)).collect();
    rows.sort_by(|a, b| {
        b.total_outstanding.cmp(&a.total_outstanding).then(a.customer_id.cmp(&b.customer_id))
    });
    report(as_of, buckets, &totals, settled, rows)
}

/// Counts and balances per bucket of the invoices open at a date.
#[derive(Debug, Clone, PartialEq)]
pub struct AgingTotals {
    pub counts: Vec<u64>,
    pub amounts: Vec<Measure>,
    /// Invoices open, the sum of their ages from issue in days, and the
    /// sum of their totals.
    pub open: Measure,
    pub days_outstanding: Measure,
    pub open_total: Measure,
}

impl AgingTotals {
    /// From the invoices (at least every invoice open at `as_of`).
    pub fn of(as_of: NaiveDate, invoices: &[AgingInvoice], buckets: &Buckets) -> Self {
        let mut totals = AgingTotals {
            counts: vec![0; buckets.len()],
            amounts: vec![0; buckets.len()],
            open: 0,
            days_outstanding: 0,
            open_total: 0,
        };
        for invoice in invoices.iter().filter(|i| i.is_open_at(as_of)) {
            let bucket = buckets.index(buckets.age(invoice, as_of));
            totals.counts[bucket] += 1;
            totals.amounts[bucket] += invoice.balance_at(as_of);
            totals.days_outstanding += Measure::from((as_of - invoice.issued_on).num_days());
            totals.open += 1;
            totals.open_total += invoice.total_cents;
        }
        totals
    }

    /// The standard buckets (due date; 30, 60, 90 days) at `as_of` from the
    /// `aging` family summed through it: each threshold's sums hold the
    /// invoices at least that many days past due, so a bucket is the
    /// difference of two thresholds.
    pub fn from_sums(as_of: NaiveDate, sums: &Measures) -> Self {
        let get = |name: &str| sums.get(name).copied().unwrap_or(0);
        let mut at_least = vec![(get(measure::OPEN_COUNT), get(measure::OPEN_BALANCE))];
        for k in measure::AGING_THRESHOLDS {
            at_least
                .push((get(&measure::overdue(k, "count")), get(&measure::overdue(k, "balance"))));
        }
        at_least.push((0, 0));
        let buckets: Vec<(Measure, Measure)> =
            at_least.windows(2).map(|w| (w[0].0 - w[1].0, w[0].1 - w[1].1)).collect();
        let open = get(measure::OPEN_COUNT);
        let as_of_day = Measure::from((as_of - crate::calendar::epoch()).num_days());
        AgingTotals {
            counts: buckets.iter().map(|(n, _)| super::to_count(*n)).collect(),
            amounts: buckets.iter().map(|(_, b)| *b).collect(),
            open,
            days_outstanding: as_of_day * open - get(measure::OPEN_ISSUE_DAYS),
            open_total: get(measure::OPEN_TOTAL),
        }
    }
}

/// One `by_customer` row from its balance per bucket (unnamed).
pub fn customer_row(id: i64, keys: &[(String, String)], cents: &[Measure]) -> CustomerRow {
    CustomerRow {
        customer_id: id,
        customer_name: String::new(),
        customer_number: String::new(),
        amounts: keys
            .iter()
            .zip(cents)
            .map(|((k, _), c)| (k.clone(), cents_to_decimal(*c)))
            .collect(),
        total_outstanding: cents_to_decimal(cents.iter().sum::<Measure>()),
        credit_limit: None,
        available_credit: None,
    }
}

/// A customer's balances by due date, per bucket at `as_of` (ages from
/// the due date).
pub fn by_due_date(
    buckets: &Buckets,
    as_of: NaiveDate,
    due: &[(NaiveDate, Measure)],
) -> Vec<Measure> {
    let mut cents = vec![0; buckets.len()];
    for (date, balance) in due {
        cents[buckets.index((as_of - *date).num_days())] += balance;
    }
    cents
}

/// The report from its totals and (paged or whole) rows.
pub fn report(
    as_of: NaiveDate,
    buckets: &Buckets,
    totals: &AgingTotals,
    settled: Option<&Settled>,
    by_customer: Vec<CustomerRow>,
) -> AgingReport {
    let keys = buckets.keys();
    let total: Measure = totals.amounts.iter().sum();
    let overdue = total - totals.amounts.first().copied().unwrap_or(0);
    AgingReport {
        report_date: as_of,
        aging_buckets: keys
            .iter()
            .enumerate()
            .map(|(i, (key, label))| {
                let amount = totals.amounts.get(i).copied().unwrap_or(0);
                let figures = BucketFigures {
                    label: label.clone(),
                    count: totals.counts.get(i).copied().unwrap_or(0),
                    total_amount: cents_to_decimal(amount),
                    percentage: percent(amount, total),
                };
                (key.clone(), figures)
            })
            .collect(),
        summary: AgingSummary {
            total_invoices: super::to_count(totals.open),
            total_outstanding: cents_to_decimal(total),
            overdue_amount: cents_to_decimal(overdue),
            overdue_percentage: percent(overdue, total),
            average_days_outstanding: average(
                crate::figures::decimal(totals.days_outstanding),
                totals.open,
            ),
            paid_invoices: settled.map(|s| s.count),
            paid_amount: settled.map(|s| cents_to_decimal(s.amount_cents)),
        },
        by_customer,
    }
}

impl Buckets {
    /// Whether these are the buckets the `aging` family keeps (due date;
    /// 30, 60, 90 days).
    pub fn is_standard(&self) -> bool {
        *self == Buckets::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn settled_is_issued_less_open() {
        let issued: Measures =
            [(measure::BILLABLE.to_owned(), 10), (measure::INVOICED.to_owned(), 100_000)].into();
        let settled = Settled::of_issued(&issued, 3, 25_000, vec![4, 7]);
        assert_eq!(settled, Settled { customers: vec![4, 7], count: 7, amount_cents: 75_000 });
        // More open than issued (a malformed sum) counts none, not a wrap.
        assert_eq!(Settled::of_issued(&issued, 12, 0, vec![]).count, 0);
        assert_eq!(Settled::of_issued(&Measures::new(), 0, 0, vec![]), Settled::default());
    }

    fn invoice(id: i64, customer: i64, issued: &str, due: &str, total: i64) -> AgingInvoice {
        AgingInvoice {
            invoice_id: id,
            invoice_number: format!("INV-{id}"),
            customer_id: customer,
            issued_on: d(issued),
            due_date: d(due),
            total_cents: total.into(),
            written_off_cents: 0,
            written_off_on: None,
            applications: vec![],
        }
    }

    #[test]
    fn bucket_keys_follow_the_limits() {
        let keys: Vec<String> = Buckets::default().keys().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["current", "1_30_days", "31_60_days", "61_90_days", "over_90_days"]);
        let custom = Buckets::new(vec![30, 60, 90, 120], AgeBy::DueDate).unwrap();
        assert_eq!(custom.keys()[4], ("91_120_days".to_owned(), "91-120 Days Overdue".to_owned()));
        assert_eq!(custom.keys()[5].0, "over_120_days");
        assert_eq!(
            (custom.index(0), custom.index(1), custom.index(30), custom.index(31)),
            (0, 1, 1, 2)
        );
        assert_eq!((custom.index(120), custom.index(121)), (4, 5));
        assert!(Buckets::new(vec![60, 30], AgeBy::DueDate).is_err());
        assert!(Buckets::new(vec![0, 30], AgeBy::DueDate).is_err());
        assert!(Buckets::new((1..=9).collect(), AgeBy::DueDate).is_err());
        assert!(Buckets::new(vec![1, i64::MAX], AgeBy::DueDate).is_err());
        assert!(Buckets::new(vec![1, MAX_DAY_LIMIT + 1], AgeBy::DueDate).is_err());
        assert!(Buckets::new(vec![1, MAX_DAY_LIMIT], AgeBy::DueDate).is_ok());
    }

    #[test]
    fn paid_in_three_parts_around_the_as_of_date() {
        // 300.00 due Dec 1; 100 paid Nov 20, 100 on Dec 10, 100 on Jan 5.
        let mut inv = invoice(1, 5, "2025-11-01", "2025-12-01", 30000);
        inv.applications =
            vec![(d("2025-11-20"), 10000), (d("2025-12-10"), 10000), (d("2026-01-05"), 10000)];
        // A written-off invoice: 50.00 written off on Dec 20 (before: open).
        let mut written = invoice(2, 6, "2025-09-01", "2025-09-15", 5000);
        written.written_off_cents = 5000;
        written.written_off_on = Some(d("2025-12-20"));
        let invoices = [inv, written, invoice(3, 5, "2026-01-02", "2026-02-01", 999)];
        let customers = BTreeMap::from([(
            5,
            CustomerInfo {
                name: "Acme".into(),
                number: "C-5".into(),
                credit_limit: Some(dec!(150)),
            },
        )]);
        let mut report = aging_report(d("2025-12-15"), &invoices, &Buckets::default(), None);
        name_rows(&mut report.by_customer, &customers);
        // Invoice 1: balance 100.00, 14 days past due. Invoice 2: 50.00,
        // 91 days past due. Invoice 3 is not issued yet.
        let b = |k: &str| report.aging_buckets.get(k).unwrap().clone();
        assert_eq!((b("1_30_days").count, b("1_30_days").total_amount), (1, dec!(100)));
        assert_eq!((b("over_90_days").count, b("over_90_days").total_amount), (1, dec!(50)));
        assert_eq!(b("current").total_amount, dec!(0));
        assert_eq!(report.summary.total_outstanding, dec!(150));
        assert_eq!(report.summary.overdue_amount, dec!(150));
        assert_eq!(b("1_30_days").percentage.round_dp(2), dec!(66.67));
        // Days outstanding: Dec 15 - Nov 1 = 44, Dec 15 - Sep 1 = 105.
        assert_eq!(report.summary.average_days_outstanding, dec!(74.5));
        assert_eq!(report.by_customer[0].customer_id, 5);
        assert_eq!(report.by_customer[0].available_credit, Some(dec!(50)));
        assert_eq!(report.by_customer[1].credit_limit, None);
        // After the write-off and the last payment, nothing is open.
        let later = aging_report(d("2026-01-05"), &invoices[..2], &Buckets::default(), None);
        assert_eq!((later.summary.total_invoices, later.summary.total_outstanding), (0, dec!(0)));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["by_customer"][0]["1_30_days"], serde_json::json!(100.0));
        assert!(json["summary"].get("paid_invoices").is_none());
        let text = serde_json::to_string(&report).unwrap();
        let at = |key: &str| text.find(&format!("\"{key}\":{{\"label\"")).unwrap();
        assert!(
            at("current") < at("1_30_days") && at("1_30_days") < at("over_90_days"),
            "buckets in age order"
        );
    }
}
