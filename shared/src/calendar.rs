//! Day, month and year buckets of aggregates and the cover of a date range
//! by the fewest whole buckets: whole years, then whole months, then days at
//! the edges. A range of any length is read with at most five key ranges
//! and a number of items that grows with its length in years, not days.

use chrono::{Datelike, Duration, NaiveDate};

use crate::periods::{DateRange, month_range};

/// The grain of an aggregate bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    Year,
    Month,
    Day,
}

/// The sort key of the bucket of `grain` holding `day`.
pub fn bucket_key(grain: Grain, day: NaiveDate) -> String {
    match grain {
        Grain::Year => format!("Y#{:04}", day.year()),
        Grain::Month => format!("M#{:04}-{:02}", day.year(), day.month()),
        Grain::Day => format!("D#{}", day.format("%Y-%m-%d")),
    }
}

/// `YYYY-MM` of a date: the partition of the by-date indexes, and the key
/// of monthly amounts and reports.
pub fn month_key(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

/// The three bucket keys a dated contribution is added to.
pub fn bucket_keys(day: NaiveDate) -> [String; 3] {
    [bucket_key(Grain::Day, day), bucket_key(Grain::Month, day), bucket_key(Grain::Year, day)]
}

/// The ISO-week bucket key of `day` (`W#2025-W49`, the ISO year's week).
pub fn week_key(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("W#{:04}-W{:02}", week.year(), week.week())
}

/// The quarter bucket key of `day` (`Q#2025-Q4`).
pub fn quarter_key(day: NaiveDate) -> String {
    format!("Q#{:04}-Q{}", day.year(), day.month0() / 3 + 1)
}

/// The five calendar buckets holding `day` (day, ISO week, month, quarter,
/// year): families of distinct counts, which do not add across buckets,
/// keep one item per calendar period the API names.
pub fn calendar_bucket_keys(day: NaiveDate) -> [String; 5] {
    [
        bucket_key(Grain::Day, day),
        week_key(day),
        bucket_key(Grain::Month, day),
        quarter_key(day),
        bucket_key(Grain::Year, day),
    ]
}

/// The five calendar buckets holding `day`, each with its dates, in the
/// order of [`calendar_bucket_keys`].
pub fn calendar_buckets(day: NaiveDate) -> [(String, DateRange); 5] {
    use crate::periods::PeriodKind;
    let kinds = [
        PeriodKind::Today,
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Year,
    ];
    let keys = calendar_bucket_keys(day);
    std::array::from_fn(|i| (keys[i].clone(), kinds[i].containing(day)))
}

/// The calendar bucket just before the one that is exactly `range` (the
/// same grain), with its dates.
pub fn previous_calendar_bucket(range: DateRange) -> Option<(String, DateRange)> {
    let key = calendar_bucket_of(range)?;
    let grain = calendar_bucket_keys(range.from).iter().position(|k| *k == key)?;
    let before = range.from.pred_opt()?;
    Some(calendar_buckets(before)[grain].clone())
}

/// The calendar bucket that is exactly `range` (a day, an ISO week, a
/// month, a quarter or a year), if any.
pub fn calendar_bucket_of(range: DateRange) -> Option<String> {
    let (from, to) = (range.from, range.to);
    let keys = calendar_bucket_keys(from);
    let days = range.days();
    let quarter_start = NaiveDate::from_ymd_opt(from.year(), from.month0() / 3 * 3 + 1, 1)?;
    let quarter_end = NaiveDate::from_ymd_opt(from.year(), from.month0() / 3 * 3 + 3, 1)
        .map(|m| month_range(m.year(), m.month()).to)?;
    let [day, week, month, quarter, year] = keys;
    if days == 1 {
        Some(day)
    } else if days == 7 && from.weekday() == chrono::Weekday::Mon {
        Some(week)
    } else if from.day() == 1 && to == month_range(from.year(), from.month()).to {
        Some(month)
    } else if from == quarter_start && to == quarter_end {
        Some(quarter)
    } else if from.ordinal() == 1 && is_year_end(to) && from.year() == to.year() {
        Some(year)
    } else {
        None
    }
}

/// The day of a `D#` key.
pub fn day_of_key(key: &str) -> Option<NaiveDate> {
    key.strip_prefix("D#").and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// The first day of an `M#` key's month.
pub fn month_of_key(key: &str) -> Option<NaiveDate> {
    let (year, month) = key.strip_prefix("M#")?.split_once('-')?;
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1).filter(|_| month.len() == 2)
}

/// The grain letter of a calendar bucket key (or of an entity's key under
/// one): `D`, `W`, `M`, `Q` or `Y`; `None` for any other key.
pub fn grain_letter_of(key: &str) -> Option<&str> {
    key.split_once('#')
        .map(|(grain, _)| grain)
        .filter(|g| matches!(*g, "D" | "W" | "M" | "Q" | "Y"))
}

/// Whether a bucket key (or an entity's key under it) is a month's.
pub fn is_month_key(key: &str) -> bool {
    key.starts_with("M#")
}

/// An inclusive range of sort keys of one grain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    pub grain: Grain,
    pub first: String,
    pub last: String,
}

fn key_range(grain: Grain, from: NaiveDate, to: NaiveDate) -> KeyRange {
    KeyRange { grain, first: bucket_key(grain, from), last: bucket_key(grain, to) }
}

/// The fewest whole buckets exactly covering `range`.
pub fn cover(range: DateRange) -> Vec<KeyRange> {
    let mut out = Vec::new();
    if range.from > range.to {
        return out;
    }
    let first_full_year =
        if range.from.ordinal() == 1 { range.from.year() } else { range.from.year() + 1 };
    let last_full_year = if is_year_end(range.to) { range.to.year() } else { range.to.year() - 1 };
    if first_full_year <= last_full_year {
        let year_start = NaiveDate::from_ymd_opt(first_full_year, 1, 1).unwrap_or(range.from);
        let year_end = NaiveDate::from_ymd_opt(last_full_year, 12, 31).unwrap_or(range.to);
        out.push(key_range(Grain::Year, year_start, year_end));
        cover_months(range.from, year_start - Duration::days(1), &mut out);
        cover_months(year_end + Duration::days(1), range.to, &mut out);
    } else {
        cover_months(range.from, range.to, &mut out);
    }
    out
}

/// The cover of `range` by months and days only (whole years as their
/// months): for families kept at those two grains.
pub fn cover_without_years(range: DateRange) -> Vec<KeyRange> {
    cover(range)
        .into_iter()
        .map(|piece| match piece.grain {
            Grain::Year => KeyRange {
                grain: Grain::Month,
                first: format!("M#{}-01", &piece.first[2..]),
                last: format!("M#{}-12", &piece.last[2..]),
            },
            _ => piece,
        })
        .collect()
}

/// Every bucket key of the cover of `range` (one partition per key for
/// bucketed index families such as `orders_by_amount#M#2025-12`).
pub fn cover_keys(range: DateRange) -> Vec<String> {
    let mut keys = Vec::new();
    let mut day = range.from;
    while day <= range.to {
        let year_end = NaiveDate::from_ymd_opt(day.year(), 12, 31).unwrap_or(day);
        let month_end = month_range(day.year(), day.month()).to;
        let (grain, last) = if day.ordinal() == 1 && year_end <= range.to {
            (Grain::Year, year_end)
        } else if day.day() == 1 && month_end <= range.to {
            (Grain::Month, month_end)
        } else {
            (Grain::Day, day)
        };
        keys.push(bucket_key(grain, day));
        match last.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    keys
}

/// How the part of a range inside one year is read: by its cover, or as
/// the whole year less the days of it outside the range.
enum YearPart {
    Cover(DateRange),
    YearLess { year: DateRange, outside: Vec<DateRange> },
}

/// A range's parts, year by year (its whole years as one part): each
/// partial year by its cover, or by its year less the rest of the year
/// when that has fewer bucket keys. A range ending today is then its last
/// year less the days after today, items that do not exist yet.
fn year_parts(range: DateRange) -> Vec<YearPart> {
    let year_of = |y: i32| {
        let first = NaiveDate::from_ymd_opt(y, 1, 1)?;
        Some(DateRange::new(first, NaiveDate::from_ymd_opt(y, 12, 31)?))
    };
    let partial = |inside: DateRange| -> Option<YearPart> {
        let year = year_of(inside.from.year())?;
        let mut outside = Vec::new();
        if let Some(before) = inside.from.pred_opt().filter(|d| *d >= year.from) {
            outside.push(DateRange::new(year.from, before));
        }
        if let Some(after) = inside.to.succ_opt().filter(|d| *d <= year.to) {
            outside.push(DateRange::new(after, year.to));
        }
        let rest: usize = outside.iter().map(|r| cover_keys(*r).len()).sum();
        Some(if !outside.is_empty() && rest + 1 < cover_keys(inside).len() {
            YearPart::YearLess { year, outside }
        } else {
            YearPart::Cover(inside)
        })
    };
    if range.from > range.to {
        return Vec::new();
    }
    let (first, last) = (range.from.year(), range.to.year());
    let (Some(head), Some(tail)) = (year_of(first), year_of(last)) else {
        return vec![YearPart::Cover(range)];
    };
    if first == last {
        return partial(range).into_iter().collect();
    }
    let mut out: Vec<YearPart> = partial(DateRange::new(range.from, head.to)).into_iter().collect();
    if let (Some(from), Some(to)) = (head.to.succ_opt(), tail.from.pred_opt())
        && from <= to
    {
        out.push(YearPart::Cover(DateRange::new(from, to)));
    }
    out.extend(partial(DateRange::new(tail.from, range.to)));
    out
}

/// Key ranges whose items, added (the first) and taken away (the second),
/// sum to `range` ([`year_parts`]): about 5 items for a ragged year to
/// today instead of about 35.
pub fn signed_cover(range: DateRange) -> (Vec<KeyRange>, Vec<KeyRange>) {
    let (mut plus, mut minus) = (Vec::new(), Vec::new());
    for part in year_parts(range) {
        match part {
            YearPart::Cover(r) => plus.extend(cover(r)),
            YearPart::YearLess { year, outside } => {
                plus.extend(cover(year));
                minus.extend(outside.into_iter().flat_map(cover));
            }
        }
    }
    (plus, minus)
}

/// Signed bucket keys whose items, added (+1) and taken away (-1), sum to
/// `range` ([`year_parts`]).
pub fn signed_cover_keys(range: DateRange) -> Vec<(String, i8)> {
    let mut out = Vec::new();
    for part in year_parts(range) {
        match part {
            YearPart::Cover(r) => out.extend(cover_keys(r).into_iter().map(|k| (k, 1))),
            YearPart::YearLess { year, outside } => {
                out.extend(cover_keys(year).into_iter().map(|k| (k, 1)));
                let rest = outside.into_iter().flat_map(cover_keys);
                out.extend(rest.map(|k| (k, -1)));
            }
        }
    }
    out
}

fn is_year_end(day: NaiveDate) -> bool {
    day.month() == 12 && day.day() == 31
}

fn cover_months(from: NaiveDate, to: NaiveDate, out: &mut Vec<KeyRange>) {
    if from > to {
        return;
    }
    let first_full = if from.day() == 1 {
        from
    } else {
        month_range(from.year(), from.month()).to + Duration::days(1)
    };
    let to_month = month_range(to.year(), to.month());
    let last_full_end = if to == to_month.to { to } else { to_month.from - Duration::days(1) };
    if first_full <= last_full_end {
        out.push(key_range(Grain::Month, first_full, last_full_end));
        cover_days(from, first_full - Duration::days(1), out);
        cover_days(last_full_end + Duration::days(1), to, out);
    } else {
        cover_days(from, to, out);
    }
}

fn cover_days(from: NaiveDate, to: NaiveDate, out: &mut Vec<KeyRange>) {
    if from <= to {
        out.push(key_range(Grain::Day, from, to));
    }
}

/// The earliest date any aggregate can hold (the prefix sums of balances
/// start here).
pub fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod cover_keys_tests {
    use super::*;

    #[test]
    fn cover_keys_are_whole_years_months_and_edge_days() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let keys = cover_keys(DateRange::new(d("2024-12-30"), d("2026-02-02")));
        assert_eq!(
            keys,
            ["D#2024-12-30", "D#2024-12-31", "Y#2025", "M#2026-01", "D#2026-02-01", "D#2026-02-02"]
        );
        // The same pieces as the cover, key for key.
        let pieces = cover(DateRange::new(d("2024-12-30"), d("2026-02-02")));
        assert_eq!(pieces.len(), 4);
    }

    #[test]
    fn signed_cover_keys_count_each_day_of_the_range_once() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Every day's weight: +1 for a key holding it, -1 for one taken away.
        let weight = |keys: &[(String, i8)], day: NaiveDate| -> i32 {
            keys.iter()
                .filter(|(key, _)| bucket_keys(day).contains(key))
                .map(|(_, sign)| i32::from(*sign))
                .sum()
        };
        for (from, to) in [
            ("2022-01-01", "2025-12-17"),
            ("2021-12-18", "2025-12-17"),
            ("2024-02-29", "2024-03-01"),
            ("2023-01-05", "2023-12-30"),
            ("2025-06-30", "2025-06-30"),
        ] {
            let range = DateRange::new(d(from), d(to));
            let keys = signed_cover_keys(range);
            let mut day = d("2021-01-01");
            while day <= d("2026-12-31") {
                let expected = i32::from(range.contains(day));
                assert_eq!(weight(&keys, day), expected, "{from}..{to}: {day}");
                day = day.succ_opt().unwrap();
            }
        }
        // To December 17: the year less its last 14 days, not 11 months and 17 days.
        let keys = signed_cover_keys(DateRange::new(d("2025-01-01"), d("2025-12-17")));
        assert_eq!(keys[0], ("Y#2025".to_owned(), 1));
        assert_eq!(keys.len(), 15);
    }

    #[test]
    fn signed_covers_count_each_day_of_the_range_once() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let holds = |piece: &KeyRange, day: NaiveDate| {
            let key = bucket_key(piece.grain, day);
            piece.first <= key && key <= piece.last
        };
        for (from, to) in [
            ("2022-01-01", "2025-12-17"),
            ("2024-12-26", "2025-12-17"),
            ("2016-01-02", "2025-12-16"),
            ("2024-02-29", "2024-03-01"),
            ("2023-01-05", "2023-12-30"),
            ("2021-03-01", "2021-03-31"),
        ] {
            let range = DateRange::new(d(from), d(to));
            let (plus, minus) = signed_cover(range);
            let mut day = d("2015-06-01");
            while day <= d("2026-12-31") {
                let weight = plus.iter().filter(|p| holds(p, day)).count() as i32
                    - minus.iter().filter(|p| holds(p, day)).count() as i32;
                assert_eq!(weight, i32::from(range.contains(day)), "{from}..{to}: {day}");
                day = day.succ_opt().unwrap();
            }
        }
        // A ragged year to December 17: 6 days, then 2025 less Dec 18-31.
        let (plus, minus) = signed_cover(DateRange::new(d("2024-12-26"), d("2025-12-17")));
        assert_eq!((plus.len(), minus.len()), (2, 1), "{plus:?} {minus:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn keys() {
        assert_eq!(bucket_keys(d("2025-03-07")), ["D#2025-03-07", "M#2025-03", "Y#2025"]);
        assert_eq!(day_of_key("D#2025-03-07"), Some(d("2025-03-07")));
        assert_eq!(month_of_key(&bucket_key(Grain::Month, d("2025-03-07"))), Some(d("2025-03-01")));
        assert_eq!(
            (month_of_key("M#2025-3"), month_of_key("M#2025-13"), month_of_key("D#2025-03-07")),
            (None, None, None)
        );
        assert!(is_month_key("M#2025-03") && is_month_key("M#2025-03#00000000000000000042"));
        assert!(!is_month_key("Y#2025") && !is_month_key("D#2025-03-07"));
        assert_eq!(
            calendar_bucket_keys(d("2024-12-30")),
            ["D#2024-12-30", "W#2025-W01", "M#2024-12", "Q#2024-Q4", "Y#2024"]
        );
    }

    #[test]
    fn covers_without_years_use_months() {
        let c = cover_without_years(DateRange::new(d("2022-11-15"), d("2025-02-03")));
        let names: Vec<(Grain, &str, &str)> =
            c.iter().map(|k| (k.grain, k.first.as_str(), k.last.as_str())).collect();
        assert_eq!(names[0], (Grain::Month, "M#2023-01", "M#2024-12"));
        assert_eq!(
            names[1..],
            cover(DateRange::new(d("2022-11-15"), d("2025-02-03")))[1..]
                .iter()
                .map(|k| (k.grain, k.first.as_str(), k.last.as_str()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn calendar_buckets_of_ranges() {
        let of = |a: &str, b: &str| calendar_bucket_of(DateRange::new(d(a), d(b)));
        assert_eq!(of("2025-12-17", "2025-12-17").as_deref(), Some("D#2025-12-17"));
        assert_eq!(of("2025-12-15", "2025-12-21").as_deref(), Some("W#2025-W51"));
        assert_eq!(of("2025-12-16", "2025-12-22"), None, "seven days from a Tuesday");
        assert_eq!(of("2025-02-01", "2025-02-28").as_deref(), Some("M#2025-02"));
        assert_eq!(of("2025-10-01", "2025-12-31").as_deref(), Some("Q#2025-Q4"));
        assert_eq!(of("2025-01-01", "2025-12-31").as_deref(), Some("Y#2025"));
        assert_eq!(of("2025-01-01", "2026-12-31"), None);
        assert_eq!(of("2025-12-01", "2025-12-30"), None);
        let before = previous_calendar_bucket(DateRange::new(d("2025-01-01"), d("2025-03-31")));
        assert_eq!(
            before,
            Some(("Q#2024-Q4".to_owned(), DateRange::new(d("2024-10-01"), d("2024-12-31"))))
        );
        let before = previous_calendar_bucket(DateRange::new(d("2025-12-29"), d("2026-01-04")));
        assert_eq!(before.map(|b| b.0), Some("W#2025-W52".to_owned()));
    }

    #[test]
    fn cover_uses_whole_years_months_and_edge_days() {
        let c = cover(DateRange::new(d("2022-11-15"), d("2025-02-03")));
        let names: Vec<(Grain, &str, &str)> =
            c.iter().map(|k| (k.grain, k.first.as_str(), k.last.as_str())).collect();
        assert_eq!(
            names,
            vec![
                (Grain::Year, "Y#2023", "Y#2024"),
                (Grain::Month, "M#2022-12", "M#2022-12"),
                (Grain::Day, "D#2022-11-15", "D#2022-11-30"),
                (Grain::Month, "M#2025-01", "M#2025-01"),
                (Grain::Day, "D#2025-02-01", "D#2025-02-03"),
            ]
        );
        let month = cover(DateRange::new(d("2025-12-01"), d("2025-12-31")));
        assert_eq!(
            month,
            vec![KeyRange {
                grain: Grain::Month,
                first: "M#2025-12".into(),
                last: "M#2025-12".into()
            }]
        );
    }

    fn days_in(k: &KeyRange) -> i64 {
        let start = |key: &str| -> NaiveDate {
            match k.grain {
                Grain::Day => day_of_key(key).unwrap(),
                Grain::Month => {
                    NaiveDate::parse_from_str(&format!("{}-01", &key[2..]), "%Y-%m-%d").unwrap()
                }
                Grain::Year => NaiveDate::from_ymd_opt(key[2..].parse().unwrap(), 1, 1).unwrap(),
            }
        };
        let first = start(&k.first);
        let last_start = start(&k.last);
        let last_end = match k.grain {
            Grain::Day => last_start,
            Grain::Month => month_range(last_start.year(), last_start.month()).to,
            Grain::Year => NaiveDate::from_ymd_opt(last_start.year(), 12, 31).unwrap(),
        };
        (last_end - first).num_days() + 1
    }

    proptest! {
        #[test]
        fn cover_is_exact_and_small(start in 0i64..20_000, len in 0i64..4_000) {
            let from = d("1990-01-01") + Duration::days(start);
            let range = DateRange::new(from, from + Duration::days(len));
            let c = cover(range);
            let total: i64 = c.iter().map(days_in).sum();
            prop_assert_eq!(total, range.days());
            prop_assert!(c.len() <= 5);
            // Day buckets only at the edges: at most 30 + 30 of them.
            let day_items: i64 = c.iter().filter(|k| k.grain == Grain::Day).map(days_in).sum();
            prop_assert!(day_items <= 60);
        }
    }
}
