//! Partitions of the closing-date index (`invoices_by_close`): every
//! invoice is kept three times, under its local issue year (sharded by
//! id), issue month and issue day, each time with the sort key
//! `{close date or 9999-12-31}#{id:020}`.
//!
//! The invoices open at the end of a day D are those issued by D and
//! closed after it. Every invoice issued by D sits in exactly one of these
//! partitions: the years before D's year, the months of D's year before
//! D's month, the days of D's month through D ([`partitions_through`]).
//! Read from the key after D ([`first_key_after`]), they return exactly
//! the invoices open at D, and nothing issued later or closed before:
//! a past date reads what was open then, however long ago it was.

use chrono::{Datelike, NaiveDate};

use super::entity_key;
use super::family::{self, INVOICES_BY_CLOSE};
use crate::calendar::{Grain, bucket_key};

/// The year partitions are split this many ways by invoice id, so that a
/// year's open invoices are read by several queries at once.
pub const YEAR_SHARDS: i64 = 4;

/// The three partitions (families) that hold an invoice issued on `issued_on`.
pub fn partitions_of(issued_on: NaiveDate, invoice_id: i64) -> [String; 3] {
    [
        year_partition(issued_on.year(), invoice_id.rem_euclid(YEAR_SHARDS)),
        family::bucketed(INVOICES_BY_CLOSE, &bucket_key(Grain::Month, issued_on)),
        family::bucketed(INVOICES_BY_CLOSE, &bucket_key(Grain::Day, issued_on)),
    ]
}

fn year_partition(year: i32, shard: i64) -> String {
    family::bucketed(INVOICES_BY_CLOSE, &format!("Y#{year:04}#{shard}"))
}

/// The partitions holding every invoice issued through `day`, given the
/// years before `day`'s year in which invoices were issued (`years`;
/// others are skipped): each year's shards, the months of `day`'s year
/// before its month, the days of its month through it.
pub fn partitions_through(day: NaiveDate, years: &[i32]) -> Vec<String> {
    let mut out: Vec<String> = years
        .iter()
        .filter(|y| **y < day.year())
        .flat_map(|y| (0..YEAR_SHARDS).map(move |s| year_partition(*y, s)))
        .collect();
    out.extend((1..day.month()).filter_map(|m| {
        let first = NaiveDate::from_ymd_opt(day.year(), m, 1)?;
        Some(family::bucketed(INVOICES_BY_CLOSE, &bucket_key(Grain::Month, first)))
    }));
    out.extend((1..=day.day()).filter_map(|d| {
        let date = NaiveDate::from_ymd_opt(day.year(), day.month(), d)?;
        Some(family::bucketed(INVOICES_BY_CLOSE, &bucket_key(Grain::Day, date)))
    }));
    out
}

/// The first sort key of an invoice closed after `day` (or still open).
pub fn first_key_after(day: NaiveDate) -> String {
    entity_key::first_under(day.succ_opt().unwrap_or(day))
}

/// The sort key of an invoice closed on `closed_on` (`None`: still open).
pub fn sk(closed_on: Option<NaiveDate>, invoice_id: i64) -> String {
    let close = closed_on.map_or_else(|| family::STILL_OPEN.to_owned(), |d| d.to_string());
    entity_key::under(close, invoice_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// For every pair of an issue day and a reading day over three years,
    /// an invoice is in exactly one partition read for that day when it
    /// was issued by then, and in none when issued later; its key is at or
    /// after the first key read exactly when it closes after the day.
    #[test]
    fn the_partitions_of_a_day_hold_each_invoice_issued_by_then_once() {
        let start = date("2023-01-01");
        let years = [2022, 2023, 2024];
        for read_offset in (0..1_096).step_by(7) {
            let day = start + chrono::Duration::days(read_offset);
            let read = partitions_through(day, &years);
            for issue_offset in (0..1_096).step_by(5) {
                let issued = start + chrono::Duration::days(issue_offset);
                for id in [7, 10] {
                    let holding = partitions_of(issued, id);
                    let found = read.iter().filter(|p| holding.contains(p)).count();
                    assert_eq!(found, usize::from(issued <= day), "issued {issued}, read {day}");
                }
            }
        }
        let day = date("2025-03-04");
        let from = first_key_after(day);
        assert!(sk(None, 1) >= from);
        assert!(sk(Some(date("2025-03-05")), 1) >= from);
        assert!(sk(Some(day), 99) < from);
        assert!(sk(Some(date("2025-03-03")), 1) < from);
    }

    #[test]
    fn a_day_reads_its_years_shards_and_its_months_and_days_so_far() {
        let read = partitions_through(date("2025-03-04"), &[2023, 2024, 2025]);
        assert_eq!(read.len(), 2 * YEAR_SHARDS as usize + 2 + 4);
        assert_eq!(read[0], "invoices_by_close#Y#2023#0");
        assert!(read.contains(&"invoices_by_close#M#2025-02".to_owned()));
        assert!(read.contains(&"invoices_by_close#D#2025-03-04".to_owned()));
        assert!(!read.contains(&"invoices_by_close#D#2025-03-05".to_owned()));
        assert!(partitions_through(date("2020-01-01"), &[2023]).len() == 1);
    }
}
