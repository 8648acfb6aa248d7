//! When a digest is due: a subscription names a local time (`HH:MM` in the
//! tenant's time zone) and, for weekly and monthly digests, a weekday or a
//! day of the month. An hourly run at `now` sends each digest whose latest
//! local slot is at or before `now`, within a catch-up window; the slot's
//! period key (`2026-03-29`, `2026-W13`, `2026-03`) is what the delivery
//! claims with a conditional write, so a run repeated, or two runs that both
//! see the slot, send it once.
//!
//! Daylight saving time: a slot is a local date and time resolved in the
//! tenant's zone. A 09:00 digest is due at 09:00 local on both sides of a
//! change. A time the change skips (02:30 on a spring-forward night in
//! Europe/Paris) is due at the first instant after the gap; a time the
//! change repeats (02:30 on a fall-back night) at its first occurrence, and
//! its second finds the period claimed. So no day has two digests or none.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::rejection::Rejection;

/// How often a digest is sent, and on which local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Daily,
    Weekly(Weekday),
    /// A day of the month from 1 to 28 (every month has it).
    Monthly(u32),
}

/// The local time of day of a subscription (`"HH:MM"`).
pub fn parse_time(field: &str, text: &str) -> Result<NaiveTime, Rejection> {
    let valid = text.len() == 5 && text.as_bytes().get(2) == Some(&b':');
    valid.then(|| NaiveTime::parse_from_str(text, "%H:%M").ok()).flatten().ok_or_else(|| {
        Rejection::new(field, format!("must be a local time HH:MM (00:00 to 23:59), got `{text}`"))
    })
}

/// The weekdays as the API writes them, Monday first.
const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

/// A weekday as the API writes it (`monday`).
pub fn weekday_name(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize % 7].0
}

/// `monday` ... `sunday`.
pub fn parse_weekday(field: &str, text: &str) -> Result<Weekday, Rejection> {
    WEEKDAYS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, day)| *day)
        .ok_or_else(|| Rejection::new(field, format!("must be monday to sunday, got `{text}`")))
}

/// A day of the month a monthly digest goes out on.
pub fn monthly(field: &str, day: i64) -> Result<Cadence, Rejection> {
    u32::try_from(day)
        .ok()
        .filter(|d| (1..=28).contains(d))
        .map(Cadence::Monthly)
        .ok_or_else(|| Rejection::new(field, format!("must be a day from 1 to 28, got {day}")))
}

impl Cadence {
    fn sends_on(self, date: NaiveDate) -> bool {
        match self {
            Cadence::Daily => true,
            Cadence::Weekly(day) => date.weekday() == day,
            Cadence::Monthly(day) => date.day() == day,
        }
    }

    /// The period a send on `date` stands for, as the claim's key.
    pub fn period_key(self, date: NaiveDate) -> String {
        match self {
            Cadence::Daily => date.format("%Y-%m-%d").to_string(),
            Cadence::Weekly(_) => {
                let week = date.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Cadence::Monthly(_) => date.format("%Y-%m").to_string(),
        }
    }
}

/// A local date and time as an instant in `tz`: its first occurrence when
/// the clocks repeat it, the first instant after the gap when they skip it.
pub fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    // Gaps are at most a few hours; step a minute at a time past one.
    for _ in 0..=(24 * 60) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&local)
}

/// A digest due at a run: its local date, period key and the instant it
/// was due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub date: NaiveDate,
    pub period: String,
    pub at: DateTime<Utc>,
}

/// The digest due at a run at `now`, if any: the latest slot at or before
/// `now` and after `now - window` (a late or repeated run still finds it;
/// the claim keeps it to one send) and not before `since` (a subscription
/// created at 09:10 does not send the 09:00 digest of that day).
pub fn due(
    cadence: Cadence,
    time: NaiveTime,
    tz: Tz,
    now: DateTime<Utc>,
    window: Duration,
    since: DateTime<Utc>,
) -> Option<Due> {
    let today = now.with_timezone(&tz).date_naive();
    // The slot of a local date can fall on the UTC day before or after.
    [today.succ_opt(), Some(today), today.pred_opt()]
        .into_iter()
        .flatten()
        .filter(|date| cadence.sends_on(*date))
        .map(|date| (date, resolve(tz, date.and_time(time))))
        .find(|(_, at)| *at <= now && now - *at < window && *at >= since)
        .map(|(date, at)| Due { date, period: cadence.period_key(date), at })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Timelike;

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    /// Every hourly run from `from` for `hours`, each delivered twice (as
    /// EventBridge and SQS may), sending what is due and not yet claimed:
    /// period -> the instants it was sent at.
    fn run_hourly(
        cadence: Cadence,
        time: &str,
        tz: Tz,
        from: &str,
        hours: i64,
    ) -> BTreeMap<String, Vec<DateTime<Utc>>> {
        let time = parse_time("time", time).unwrap();
        let start = utc(from);
        let mut sent: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
        for h in 0..hours {
            for _ in 0..2 {
                let now = start + Duration::hours(h) + Duration::seconds(7);
                if let Some(d) = due(cadence, time, tz, now, Duration::hours(3), start) {
                    let claims = sent.entry(d.period).or_default();
                    if claims.is_empty() {
                        claims.push(now);
                    }
                }
            }
        }
        sent
    }

    #[test]
    fn nine_oclock_is_nine_oclock_local_on_both_sides_of_each_change() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 2026-03-29: 02:00 -> 03:00; 2026-10-25: 03:00 -> 02:00.
        for from in ["2026-03-26T00:00:00Z", "2026-10-22T00:00:00Z"] {
            let sent = run_hourly(Cadence::Daily, "09:00", paris, from, 6 * 24);
            assert_eq!(sent.len(), 6, "one digest a day: {sent:?}");
            for (day, at) in &sent {
                assert_eq!(at.len(), 1, "{day} sent once");
                let local = at[0].with_timezone(&paris);
                assert_eq!(local.format("%Y-%m-%d").to_string(), *day);
                assert_eq!((local.hour(), local.minute()), (9, 0), "{day}: {local}");
            }
        }
    }

    #[test]
    fn a_skipped_time_goes_after_the_gap_and_a_repeated_one_goes_once() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let spring = run_hourly(Cadence::Daily, "02:30", paris, "2026-03-28T00:00:00Z", 72);
        assert_eq!(spring.len(), 3, "{spring:?}");
        // 02:30 does not exist on the 29th: due at 03:00 local (01:00 UTC).
        assert_eq!(spring["2026-03-29"], vec![utc("2026-03-29T01:00:07Z")]);
        let autumn = run_hourly(Cadence::Daily, "02:30", paris, "2026-10-24T00:00:00Z", 72);
        assert_eq!(autumn.len(), 3, "{autumn:?}");
        // 02:30 happens twice on the 25th: due at the first (00:30 UTC).
        assert_eq!(autumn["2026-10-25"], vec![utc("2026-10-25T01:00:07Z")]);
        let repeated = resolve(paris, "2026-10-25T02:30:00".parse().unwrap());
        assert_eq!(repeated, utc("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn weekly_and_monthly_digests_go_on_their_day_in_the_tenants_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        // Monday 08:00 in Tokyo is Sunday 23:00 UTC.
        let weekly = run_hourly(
            Cadence::Weekly(Weekday::Mon),
            "08:00",
            tokyo,
            "2026-11-29T00:00:00Z",
            24 * 14,
        );
        assert_eq!(weekly.keys().collect::<Vec<_>>(), ["2026-W49", "2026-W50"]);
        assert_eq!(weekly["2026-W49"], vec![utc("2026-11-29T23:00:07Z")]);
        let monthly =
            run_hourly(Cadence::Monthly(1), "07:30", tokyo, "2026-11-15T00:00:00Z", 24 * 50);
        assert_eq!(monthly.keys().collect::<Vec<_>>(), ["2026-12", "2027-01"]);
        assert_eq!(monthly["2026-12"], vec![utc("2026-11-30T23:00:07Z")]);
    }

    #[test]
    fn a_subscription_made_after_todays_time_starts_tomorrow() {
        let zone: Tz = "UTC".parse().unwrap();
        let time = parse_time("time", "09:00").unwrap();
        let made = utc("2026-12-07T09:10:00Z");
        let window = Duration::hours(3);
        let today = due(Cadence::Daily, time, zone, utc("2026-12-07T10:00:00Z"), window, made);
        assert_eq!(today, None);
        let next = due(Cadence::Daily, time, zone, utc("2026-12-08T09:00:00Z"), window, made);
        assert_eq!(next.map(|d| d.period), Some("2026-12-08".to_owned()));
    }

    #[test]
    fn fields_are_checked_and_named() {
        assert_eq!(parse_time("time", "9:00").unwrap_err().field, "time");
        assert!(parse_time("time", "24:00").is_err());
        assert!(parse_time("time", "23:59").is_ok());
        assert_eq!(parse_weekday("weekday", "Monday").unwrap_err().field, "weekday");
        assert_eq!(parse_weekday("weekday", "sunday").unwrap(), Weekday::Sun);
        assert_eq!(monthly("day_of_month", 29).unwrap_err().field, "day_of_month");
        assert_eq!(monthly("day_of_month", 28).unwrap(), Cadence::Monthly(28));
        assert!(monthly("day_of_month", 0).is_err());
    }
}
