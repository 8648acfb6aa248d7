//! Keys and measures of the returning-customer index (`customer_returns`):
//! distinct customers over any day range, as a sum over the range's cover.
//!
//! Every placed order day `d` of a customer that is not their first is a
//! *return*, paired with the customer's previous order day `p` (`p < d`).
//! A customer active in `[a, b]` is counted once, at their first order day
//! in the range: either it is their first order ever (a new customer,
//! already counted by first order day in `customer_counts`), or it is a
//! return whose previous day is before `a`. So
//!
//! ```text
//! unique(a, b)    = new(a, b) + returns(d in [a, b], p < a)
//! retained(prev, cur) = returns(d in cur, prev.from <= p < cur.from)
//!                     = returns(d in cur, p < cur.from) - returns(d in cur, p < prev.from)
//! ```
//!
//! `returns(d in R, p < x)` (for `x <= R.from`) is kept per year `Y` of
//! `x`, under the day, month and year buckets of `d`
//! (`customer_returns#{Y}`, sort key the bucket key). Its measures count
//! the returns of that bucket whose previous day is before `Y` (`b`) or on
//! a day of `Y` (`p{MMDD}`); a return is written to the years from its
//! previous day's to its own. Summed over the cover of `R`, one item per
//! piece ([`count_before`] reads the sum).

use chrono::{Datelike, NaiveDate};

use super::family::{self, CUSTOMER_RETURNS};
use super::{Measure, Measures};
use crate::calendar::bucket_keys;

/// Returns whose previous order day is in an earlier year than the item's.
const EARLIER_YEAR: &str = "b";

/// The partition (family) of the returns counted against dates of `year`.
pub fn family_of(year: i32) -> String {
    family::bucketed(CUSTOMER_RETURNS, &format!("{year:04}"))
}

fn previous_day(day: NaiveDate) -> String {
    format!("p{:02}{:02}", day.month(), day.day())
}

/// The (family, sort key, measure) each +1 of a return on `day` after an
/// order day `previous` goes to: for every year from `previous`'s to
/// `day`'s, under `day`'s day, month and year buckets.
pub fn contributions(previous: NaiveDate, day: NaiveDate) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for year in previous.year()..=day.year() {
        let name =
            if year == previous.year() { previous_day(previous) } else { EARLIER_YEAR.to_owned() };
        for sk in bucket_keys(day) {
            out.push((family_of(year), sk, name.clone()));
        }
    }
    out
}

/// Returns whose previous order day is before `before`, from the measures
/// of [`family_of`]`(before.year())` summed over the cover of a range that
/// starts on or after `before`.
pub fn count_before(summed: &Measures, before: NaiveDate) -> Measure {
    let edge = previous_day(before);
    summed
        .iter()
        .filter(|(name, _)| {
            name.as_str() == EARLIER_YEAR
                || (name.starts_with('p')
                    && name.len() == edge.len()
                    && name.as_str() < edge.as_str())
        })
        .map(|(_, v)| *v)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::cover;
    use crate::periods::DateRange;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The cover sum of `family` over `range` of these returns.
    fn summed(returns: &[(NaiveDate, NaiveDate)], family: &str, range: DateRange) -> Measures {
        let pieces = cover(range);
        let mut out = Measures::new();
        for (p, day) in returns {
            for (f, sk, name) in contributions(*p, *day) {
                let inside = pieces.iter().any(|r| r.first <= sk && sk <= r.last);
                if f == family && inside {
                    *out.entry(name).or_default() += 1;
                }
            }
        }
        out
    }

    #[test]
    fn counts_returns_in_any_range_against_any_earlier_date() {
        // Returns spread over three years, gaps from a day to two years.
        let mut returns = Vec::new();
        let start = d("2022-01-01");
        for i in 0..400i64 {
            let p = start + chrono::Duration::days((i * 37) % 1000);
            let day = p + chrono::Duration::days(1 + (i * 53) % 700);
            returns.push((p, day));
        }
        for (a, b, before) in [
            ("2023-03-15", "2024-02-10", "2023-03-15"),
            ("2023-03-15", "2024-02-10", "2022-04-20"),
            ("2024-01-01", "2024-12-31", "2024-01-01"),
            ("2022-01-05", "2025-06-30", "2022-01-05"),
            ("2023-12-31", "2024-01-01", "2021-06-01"),
            ("2024-02-29", "2025-12-31", "2023-02-28"),
        ] {
            let (range, before) = (DateRange::new(d(a), d(b)), d(before));
            let expected = returns
                .iter()
                .filter(|(p, day)| range.from <= *day && *day <= range.to && *p < before)
                .count() as Measure;
            let got = count_before(&summed(&returns, &family_of(before.year()), range), before);
            assert_eq!(got, expected, "{a}..{b} before {before}");
        }
    }

    #[test]
    fn a_return_is_written_once_per_year_and_bucket() {
        let c = contributions(d("2023-11-30"), d("2025-01-02"));
        assert_eq!(c.len(), 9);
        assert!(c.iter().filter(|(f, _, _)| *f == family_of(2023)).all(|(_, _, n)| n == "p1130"));
        assert!(c.iter().filter(|(f, _, _)| *f != family_of(2023)).all(|(_, _, n)| n == "b"));
        assert!(c.iter().any(|(f, sk, _)| *f == family_of(2025) && sk == "D#2025-01-02"));
    }
}
