//! The requests of the read-cost table (issue 11, "Bounded reads"), shared
//! by `tests/tests/it/read_cost.rs` and `benches/read_cost.rs`: every endpoint
//! with its default parameters, each calendar period of the `period`
//! endpoints, and custom ranges of four and ten years, for a tenant whose
//! data ends on `today` (four years of history: [`crate::scale`]).

use chrono::{Datelike, Months, NaiveDate, TimeDelta};

/// The API prefix every request path starts with.
pub const PREFIX: &str = "/api/v1/sales/";

/// What the issue allows a request to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A calendar period (`today` ... `year`) or the default parameters.
    Calendar,
    /// A custom range of up to ten years.
    Custom,
    /// The aging report at a past date: what a custom range may read, plus
    /// one item per invoice open at that date (its `by_customer` ranks
    /// customers by their balance then, which no item keeps).
    PastAging,
}

impl Bound {
    /// The most items a request may read.
    pub fn limit(self) -> u64 {
        match self {
            Bound::Calendar => 100,
            Bound::Custom | Bound::PastAging => 300,
        }
    }
}

/// One request of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadCase {
    /// A stable name, without dates: `dashboard period=month`,
    /// `invoices/statistics 4 years`.
    pub label: String,
    /// Path and query, from `/api/v1/sales/`.
    pub url: String,
    pub bound: Bound,
}

/// Endpoints taking `period` (`today` to `year`, or `custom` with dates).
const PERIOD_ENDPOINTS: [&str; 4] = [
    "dashboard",
    "dashboard/widgets/top-customers",
    "dashboard/customer-analytics",
    "dashboard/performance",
];
const PERIODS: [&str; 5] = ["today", "week", "month", "quarter", "year"];
/// Endpoints taking `from_date` / `to_date` (default: the current month).
const RANGE_ENDPOINTS: [&str; 8] = [
    "dashboard/revenue",
    "dashboard/revenue?group_by=product",
    "orders/performance-metrics",
    "orders/high-value",
    "orders?group_by=status",
    "invoices/statistics",
    "payments/statistics",
    "payments/failed",
];
/// Endpoints with nothing to choose but a page.
const FIXED_ENDPOINTS: [&str; 4] = [
    "dashboard/widgets/recent-orders",
    "dashboard/widgets/sales-goals",
    "payments/disputed",
    "invoices/aging-report",
];

fn case(label: String, path: &str, query: &str, bound: Bound) -> ReadCase {
    let url = match (query.is_empty(), path.contains('?')) {
        (true, _) => format!("{PREFIX}{path}"),
        (false, true) => format!("{PREFIX}{path}&{query}"),
        (false, false) => format!("{PREFIX}{path}?{query}"),
    };
    ReadCase { label, url, bound }
}

/// Every request of the table, in table order, for data ending on `today`.
/// "4 years" is the whole history (from the first day of the month 47
/// months back to `today`); "10 years" a ragged range of 3 636 days (edge
/// days at both ends, so its cover is about the largest ten years give).
pub fn cases(today: NaiveDate) -> Vec<ReadCase> {
    let four_years =
        today.with_day0(0).and_then(|d| d.checked_sub_months(Months::new(47))).unwrap_or(today);
    let ten_years_from =
        today.checked_sub_months(Months::new(120)).unwrap_or(today) + TimeDelta::days(16);
    let ten_years_to = today - TimeDelta::days(1);
    let four = format!("from_date={four_years}&to_date={today}");
    // A ragged year to today: short enough that the lifetime ranking is a
    // loose bound of its top customers.
    let one_year_from =
        today.checked_sub_months(Months::new(12)).unwrap_or(today) + TimeDelta::days(9);
    let one = format!("from_date={one_year_from}&to_date={today}");
    let ten = format!("from_date={ten_years_from}&to_date={ten_years_to}");
    let mut out = Vec::new();
    for path in PERIOD_ENDPOINTS {
        out.push(case(format!("{path} default"), path, "", Bound::Calendar));
        for period in PERIODS {
            out.push(case(
                format!("{path} period={period}"),
                path,
                &format!("period={period}"),
                Bound::Calendar,
            ));
        }
        if path == "dashboard" {
            let query = "period=month&compare_to_previous=true";
            out.push(case(format!("{path} {query}"), path, query, Bound::Calendar));
        }
        out.push(case(
            format!("{path} 1 year"),
            path,
            &format!("period=custom&{one}"),
            Bound::Custom,
        ));
        out.push(case(
            format!("{path} 4 years"),
            path,
            &format!("period=custom&{four}"),
            Bound::Custom,
        ));
        out.push(case(
            format!("{path} 10 years"),
            path,
            &format!("period=custom&{ten}"),
            Bound::Custom,
        ));
    }
    for path in RANGE_ENDPOINTS {
        out.push(case(format!("{path} default"), path, "", Bound::Calendar));
        if path == "dashboard/revenue" {
            for grain in ["day", "week", "quarter", "year"] {
                out.push(case(
                    format!("{path} period={grain}"),
                    path,
                    &format!("period={grain}"),
                    Bound::Calendar,
                ));
            }
        }
        out.push(case(format!("{path} 1 year"), path, &one, Bound::Custom));
        out.push(case(format!("{path} 4 years"), path, &four, Bound::Custom));
        out.push(case(format!("{path} 10 years"), path, &ten, Bound::Custom));
        if path == "dashboard/revenue" {
            let query = format!("period=year&{ten}");
            out.push(case(format!("{path} period=year 10 years"), path, &query, Bound::Custom));
            for grain in ["day", "week"] {
                let query = format!("period={grain}&{four}");
                out.push(case(
                    format!("{path} period={grain} 4 years"),
                    path,
                    &query,
                    Bound::Custom,
                ));
            }
        }
    }
    for path in FIXED_ENDPOINTS {
        out.push(case(format!("{path} default"), path, "", Bound::Calendar));
    }
    let eighteen_months_back = today.checked_sub_months(Months::new(18)).unwrap_or(today);
    let aging = "invoices/aging-report";
    out.push(case(
        format!("{aging} include_paid=true"),
        aging,
        "include_paid=true",
        Bound::Calendar,
    ));
    let query = format!("as_of_date={eighteen_months_back}");
    out.push(case(format!("{aging} as_of 18 months back"), aging, &query, Bound::PastAging));
    let five_years_back = today.checked_sub_months(Months::new(60)).unwrap_or(today);
    let query = format!("as_of_date={five_years_back}");
    out.push(case(
        format!("{aging} as_of before the first invoice"),
        aging,
        &query,
        Bound::Calendar,
    ));
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn labels_are_unique_and_ranges_fit_the_api_limit() {
        let today = NaiveDate::from_ymd_opt(2025, 12, 17).unwrap();
        let cases = cases(today);
        let labels: HashSet<&str> = cases.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels.len(), cases.len(), "a label repeats");
        assert!(cases.iter().all(|c| c.url.starts_with(PREFIX) && c.url.matches('?').count() <= 1));
        let four = cases.iter().find(|c| c.label == "invoices/statistics 4 years").unwrap();
        assert!(four.url.ends_with("?from_date=2022-01-01&to_date=2025-12-17"), "{}", four.url);
        let ten = cases.iter().find(|c| c.label == "dashboard 10 years").unwrap();
        assert!(
            ten.url.ends_with("?period=custom&from_date=2016-01-02&to_date=2025-12-16"),
            "{}",
            ten.url
        );
        let days = (NaiveDate::from_ymd_opt(2025, 12, 16).unwrap()
            - NaiveDate::from_ymd_opt(2016, 1, 2).unwrap())
        .num_days()
            + 1;
        assert!(days <= 3660 && days > 3600, "{days} days");
        let aging =
            cases.iter().find(|c| c.label == "invoices/aging-report as_of 18 months back").unwrap();
        assert!(aging.url.ends_with("?as_of_date=2024-06-17"), "{}", aging.url);
        assert_eq!(aging.bound, Bound::PastAging);
        let before = cases
            .iter()
            .find(|c| c.label == "invoices/aging-report as_of before the first invoice")
            .unwrap();
        assert!(before.url.ends_with("?as_of_date=2020-12-17"), "{}", before.url);
        assert_eq!(cases.iter().filter(|c| c.bound == Bound::Calendar).count(), 43);
        // 12 endpoints with a ragged year, 4 and 10 years each.
        let one = cases.iter().filter(|c| c.label.ends_with(" 1 year")).count();
        assert_eq!(one, 12);
        let year = cases.iter().find(|c| c.label == "dashboard 1 year").unwrap();
        assert!(year.url.ends_with("from_date=2024-12-26&to_date=2025-12-17"), "{}", year.url);
        assert_eq!(cases.len(), 83);
    }
}
