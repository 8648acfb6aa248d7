//! Time, money and chance: the generator's clock, exact amounts and seeded choices.

use super::*;

pub(super) type Ts = DateTime<Utc>;

pub(super) const TIME_ZONE: Tz = chrono_tz::America::New_York;
pub(super) const TIME_ZONE_NAME: &str = "America/New_York";
pub(super) const CURRENCY: &str = "USD";
pub(super) const MAX_MONTHS: u32 = 240;
pub(super) const MAX_ORDERS_PER_MONTH: u32 = 100_000;
pub(super) const MINUTE: u32 = 60;
pub(super) const HOUR: u32 = 3600;

pub(super) fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

pub(super) fn check_tenant(tenant: &str) -> io::Result<()> {
    let valid = (1..=64).contains(&tenant.len())
        && tenant.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(invalid(format!(
            "tenant id {tenant:?} must be 1-64 characters of A-Z, a-z, 0-9, _ or -"
        )))
    }
}

/// One calendar month of the history, cut at `today` for the current one.
pub(super) struct MonthSpan {
    pub(super) index: u32,
    pub(super) first: NaiveDate,
    /// The last day of the month inside the history.
    pub(super) last: NaiveDate,
    pub(super) days_in_month: i64,
}

impl MonthSpan {
    pub(super) fn label(&self) -> String {
        self.first.format("%Y-%m").to_string()
    }

    pub(super) fn days_covered(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }
}

/// The history: from the first day of the first month to the end of `today`.
pub(super) struct Clock {
    pub(super) today: NaiveDate,
    pub(super) start: NaiveDate,
    /// The end of `today` in UTC: no timestamp is later.
    pub(super) end: Ts,
    pub(super) months: Vec<MonthSpan>,
}

impl Clock {
    pub(super) fn new(today: NaiveDate, months: u32) -> io::Result<Self> {
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(invalid(format!("months must be 1..={MAX_MONTHS}, not {months}")));
        }
        let out_of_range = || invalid(format!("{today} is out of range"));
        let this_month =
            NaiveDate::from_ymd_opt(today.year(), today.month(), 1).ok_or_else(out_of_range)?;
        let start =
            this_month.checked_sub_months(Months::new(months - 1)).ok_or_else(out_of_range)?;
        let end = today.and_hms_opt(23, 59, 59).ok_or_else(out_of_range)?.and_utc();
        let spans =
            (0..months).map(|index| month_span(start, index, today)).collect::<Option<Vec<_>>>();
        Ok(Clock { today, start, end, months: spans.ok_or_else(out_of_range)? })
    }

    /// The month of the history holding a date.
    pub(super) fn month_of(&self, date: NaiveDate) -> Option<usize> {
        let months = (date.year() - self.start.year()) * 12 + date.month() as i32
            - self.start.month() as i32;
        usize::try_from(months).ok().filter(|m| *m < self.months.len())
    }
}

pub(super) fn month_span(start: NaiveDate, index: u32, today: NaiveDate) -> Option<MonthSpan> {
    let first = start.checked_add_months(Months::new(index))?;
    let next = first.checked_add_months(Months::new(1))?;
    let last = (next - TimeDelta::days(1)).min(today);
    Some(MonthSpan { index, first, last, days_in_month: (next - first).num_days() })
}

/// The UTC instant of a New York wall-clock time, `seconds` after midnight
/// (a time skipped by the change to daylight saving time moves an hour on).
pub(super) fn at_local(date: NaiveDate, seconds: u32) -> Ts {
    let naive = date.and_time(NaiveTime::MIN) + TimeDelta::seconds(i64::from(seconds));
    TIME_ZONE
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| TIME_ZONE.from_local_datetime(&(naive + TimeDelta::hours(1))).earliest())
        .map_or_else(|| naive.and_utc(), |local| local.with_timezone(&Utc))
}

pub(super) fn local_date(at: Ts) -> NaiveDate {
    at.with_timezone(&TIME_ZONE).date_naive()
}

pub(super) fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

pub(super) fn seconds(n: u32) -> TimeDelta {
    TimeDelta::seconds(i64::from(n))
}

/// A time during office hours (08:00-18:00 New York) of a date.
pub(super) fn business_time(rng: &mut ChaCha8Rng, date: NaiveDate) -> Ts {
    at_local(date, rng.random_range(8 * HOUR..18 * HOUR))
}

/// A time during office hours some days (drawn from `after`) after a date.
pub(super) fn business_time_after(
    rng: &mut ChaCha8Rng,
    date: NaiveDate,
    after: RangeInclusive<i64>,
) -> Ts {
    let day = date + days(rng.random_range(after));
    business_time(rng, day)
}

/// An amount from integer cents.
pub(super) fn cents(value: i64) -> Decimal {
    Decimal::new(value, 2)
}

/// Rounded to cents (half away from zero), with exactly two decimals.
pub(super) fn money(value: Decimal) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// `percent` % of an amount, in cents.
pub(super) fn share(amount: Decimal, percent: u32) -> Decimal {
    money(amount * Decimal::from(percent) / Decimal::ONE_HUNDRED)
}

/// A random stream of its own for each part, so parts do not disturb each other.
pub(super) fn stream(seed: u64, part: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(part);
    rng
}

pub(super) fn percent(rng: &mut ChaCha8Rng, chance: u32) -> bool {
    rng.random_ratio(chance.min(100), 100)
}

pub(super) fn per_mille(rng: &mut ChaCha8Rng, chance: u32) -> bool {
    rng.random_ratio(chance.min(1000), 1000)
}

/// A position drawn with the given weights (0 when they are all 0).
pub(super) fn pick_index<I: Iterator<Item = u32> + Clone>(
    rng: &mut ChaCha8Rng,
    weights: I,
) -> usize {
    let total: u32 = weights.clone().sum();
    if total == 0 {
        return 0;
    }
    let mut roll = rng.random_range(0..total);
    for (i, weight) in weights.enumerate() {
        if roll < weight {
            return i;
        }
        roll -= weight;
    }
    0
}

/// An item of a weighted table.
pub(super) fn pick<T: Copy>(rng: &mut ChaCha8Rng, table: &[(T, u32)]) -> T {
    table[pick_index(rng, table.iter().map(|(_, weight)| *weight))].0
}

/// The record id of a position in a list.
pub(super) fn id(index: usize) -> i64 {
    index as i64 + 1
}

/// A keyed permutation of the numbers below 2^`bits` (positions must be
/// below it): consecutive positions become scattered numbers that never
/// repeat, as xor-shifts and odd multipliers are invertible.
pub(super) fn scramble(position: usize, key: u64, bits: u32) -> u64 {
    let mask = (1_u64 << bits) - 1;
    let mut x = (position as u64 ^ key) & mask;
    for _ in 0..3 {
        x ^= x >> (bits / 2);
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) & mask;
    }
    x
}

pub(super) fn latest(first: Ts, others: impl IntoIterator<Item = Option<Ts>>) -> Ts {
    others.into_iter().flatten().fold(first, Ts::max)
}
