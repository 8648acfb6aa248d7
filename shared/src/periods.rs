//! Reporting periods in tenant-local dates: `today`, `week` (ISO, Monday
//! first), `month`, `quarter`, `year` and `custom`, their previous periods,
//! and the local date of a timestamp.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Longest range any endpoint accepts, in days.
pub const MAX_RANGE_DAYS: i64 = 3660;

/// An inclusive range of local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        DateRange { from, to }
    }

    pub fn single(day: NaiveDate) -> Self {
        DateRange { from: day, to: day }
    }

    /// Number of days, both ends included.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    pub fn iter_days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let (from, to) = (self.from, self.to);
        from.iter_days().take_while(move |d| *d <= to)
    }
}

/// The `period` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Today,
    Week,
    Month,
    Quarter,
    Year,
    Custom,
}

impl PeriodKind {
    pub const NAMES: [&'static str; 6] = ["today", "week", "month", "quarter", "year", "custom"];

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "today" => PeriodKind::Today,
            "week" => PeriodKind::Week,
            "month" => PeriodKind::Month,
            "quarter" => PeriodKind::Quarter,
            "year" => PeriodKind::Year,
            "custom" => PeriodKind::Custom,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            PeriodKind::Today => "Today",
            PeriodKind::Week => "This Week",
            PeriodKind::Month => "This Month",
            PeriodKind::Quarter => "This Quarter",
            PeriodKind::Year => "This Year",
            PeriodKind::Custom => "Custom",
        }
    }

    /// The whole calendar unit containing `today` (not for `Custom`).
    pub fn containing(self, today: NaiveDate) -> DateRange {
        match self {
            PeriodKind::Today | PeriodKind::Custom => DateRange::single(today),
            PeriodKind::Week => {
                let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
                DateRange::new(monday, monday + Duration::days(6))
            }
            PeriodKind::Month => month_range(today.year(), today.month()),
            PeriodKind::Quarter => {
                let first = (today.month() - 1) / 3 * 3 + 1;
                DateRange::new(ymd(today.year(), first, 1), month_range(today.year(), first + 2).to)
            }
            PeriodKind::Year => DateRange::new(ymd(today.year(), 1, 1), ymd(today.year(), 12, 31)),
        }
    }

    /// The same unit just before `current`; for `Custom` the same number of
    /// days ending the day before `current.from`.
    pub fn previous(self, current: DateRange) -> DateRange {
        let day_before = current.from - Duration::days(1);
        match self {
            PeriodKind::Custom => {
                DateRange::new(current.from - Duration::days(current.days()), day_before)
            }
            other => other.containing(day_before),
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// The whole calendar month.
pub fn month_range(year: i32, month: u32) -> DateRange {
    let first = ymd(year, month, 1);
    let next = if month == 12 { ymd(year + 1, 1, 1) } else { ymd(year, month + 1, 1) };
    DateRange::new(first, next - Duration::days(1))
}

/// The tenant-local date of an instant.
pub fn local_date<Z: TimeZone>(instant: &DateTime<Z>, tz: Tz) -> NaiveDate {
    instant.with_timezone(&tz).date_naive()
}

/// Today in the tenant's time zone.
pub fn local_today(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    local_date(&now, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn calendar_units_containing_today() {
        let today = d("2025-12-17"); // a Wednesday
        assert_eq!(
            PeriodKind::Week.containing(today),
            DateRange::new(d("2025-12-15"), d("2025-12-21"))
        );
        assert_eq!(
            PeriodKind::Month.containing(today),
            DateRange::new(d("2025-12-01"), d("2025-12-31"))
        );
        assert_eq!(
            PeriodKind::Quarter.containing(today),
            DateRange::new(d("2025-10-01"), d("2025-12-31"))
        );
        assert_eq!(
            PeriodKind::Year.containing(today),
            DateRange::new(d("2025-01-01"), d("2025-12-31"))
        );
        assert_eq!(PeriodKind::Today.containing(today).days(), 1);
        assert_eq!(PeriodKind::Month.containing(d("2024-02-10")).days(), 29);
    }

    #[test]
    fn previous_periods() {
        let march = PeriodKind::Month.containing(d("2025-03-31"));
        assert_eq!(
            PeriodKind::Month.previous(march),
            DateRange::new(d("2025-02-01"), d("2025-02-28"))
        );
        let q1 = PeriodKind::Quarter.containing(d("2025-01-05"));
        assert_eq!(
            PeriodKind::Quarter.previous(q1),
            DateRange::new(d("2024-10-01"), d("2024-12-31"))
        );
        let custom = DateRange::new(d("2025-03-10"), d("2025-03-19"));
        assert_eq!(
            PeriodKind::Custom.previous(custom),
            DateRange::new(d("2025-02-28"), d("2025-03-09"))
        );
        let week = PeriodKind::Week.containing(d("2025-01-01"));
        assert_eq!(
            PeriodKind::Week.previous(week),
            DateRange::new(d("2024-12-23"), d("2024-12-29"))
        );
    }

    #[test]
    fn local_dates_follow_the_tenant_zone_across_dst() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2025-03-09 02:00 EST -> EDT. 04:30Z is 23:30 EST on the 8th...
        let before: DateTime<Utc> = "2025-03-09T04:30:00Z".parse().unwrap();
        assert_eq!(local_date(&before, ny), d("2025-03-08"));
        // ...and 04:30Z on the 10th is 00:30 EDT on the 10th.
        let after: DateTime<Utc> = "2025-03-10T04:30:00Z".parse().unwrap();
        assert_eq!(local_date(&after, ny), d("2025-03-10"));
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let late_utc: DateTime<Utc> = "2025-12-31T15:00:00Z".parse().unwrap();
        assert_eq!(local_date(&late_utc, tokyo), d("2026-01-01"));
    }
}
