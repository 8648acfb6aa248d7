//! The figures of `docs/metrics.md`, computed from aggregate measures and index
//! rows. Pure: handlers read the aggregates, these modules compute, and the
//! output types serialize to the JSON shapes of docs/api.md.
//!
//! Conventions (docs/metrics.md "Common rules"): sums are exact, values are kept
//! unrounded and rounded only when serialized (money and percentages 2
//! places, days 1, ratios 1); a rate or average over nothing is 0; an extreme
//! over nothing is `null`; every enum key is present.

pub mod aging;
pub mod customers;
pub mod dashboard;
pub mod invoices;
pub mod kpis;
pub mod orders;
pub mod payments;
pub mod revenue;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::layout::{Measure, Measures};
use crate::money::ratio_or_zero;

/// A measure, 0 when absent.
pub fn get(m: &Measures, name: &str) -> Measure {
    m.get(name).copied().unwrap_or(0)
}

/// A count measure (never negative in a consistent state).
pub fn count(m: &Measures, name: &str) -> u64 {
    to_count(get(m, name))
}

/// A count as `u64`: negative (an inconsistent state) reads 0, and past
/// `u64` saturates.
pub fn to_count(n: Measure) -> u64 {
    u64::try_from(n.max(0)).unwrap_or(u64::MAX)
}

/// A money measure (cents) as a decimal amount.
pub fn money(m: &Measures, name: &str) -> Decimal {
    cents_to_decimal(get(m, name))
}

/// A whole measure as a decimal. Every sum the records allow fits
/// `Decimal`'s 96 bits by eight orders of magnitude; beyond that it
/// saturates instead of panicking.
pub fn decimal(value: impl Into<Measure>) -> Decimal {
    scaled(value.into(), 0)
}

/// Cents as a decimal amount with two places (saturating like [`decimal`]).
pub fn cents_to_decimal(cents: impl Into<Measure>) -> Decimal {
    scaled(cents.into(), 2)
}

fn scaled(value: Measure, scale: u32) -> Decimal {
    Decimal::try_from_i128_with_scale(value, scale).unwrap_or(if value < 0 {
        Decimal::MIN
    } else {
        Decimal::MAX
    })
}

/// `part / whole * 100`, 0 when `whole` is 0.
pub fn percent(part: impl Into<Measure>, whole: impl Into<Measure>) -> Decimal {
    let part = decimal(part).checked_mul(Decimal::ONE_HUNDRED).unwrap_or(Decimal::MAX);
    ratio_or_zero(part, decimal(whole))
}

/// `part / whole * 100` of decimals, 0 when `whole` is 0.
pub fn ratio_percent(part: Decimal, whole: Decimal) -> Decimal {
    ratio_or_zero(part * Decimal::ONE_HUNDRED, whole)
}

/// `total / n`, 0 when `n` is 0.
pub fn average(total: Decimal, n: impl Into<Measure>) -> Decimal {
    ratio_or_zero(total, decimal(n))
}

/// `100 - on_time`, or 0 when nothing was measured (the rule for
/// `late_delivery_rate` and `late_payment_rate`).
pub fn complement(rate: Decimal, measured: impl Into<Measure>) -> Decimal {
    if measured.into() == 0 { Decimal::ZERO } else { Decimal::ONE_HUNDRED - rate }
}

/// An exact histogram read from measures named `{prefix}{value}` (for
/// example `fd3`): value -> count, empty bins dropped.
pub fn histogram(m: &Measures, prefix: &str) -> BTreeMap<i64, Measure> {
    m.iter()
        .filter_map(|(name, n)| Some((crate::layout::measure::bin_of(name, prefix)?, *n)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The exact median of a histogram (the mean of the two middle values for
/// an even count), `None` when it is empty.
pub fn histogram_median(hist: &BTreeMap<i64, Measure>) -> Option<Decimal> {
    let total = hist.values().fold(0 as Measure, |sum, n| sum.saturating_add(*n));
    if total == 0 {
        return None;
    }
    let at_rank = |rank: Measure| {
        let mut seen: Measure = 0;
        hist.iter().find_map(|(value, n)| {
            seen = seen.saturating_add(*n);
            (seen >= rank).then_some(*value)
        })
    };
    let lower = at_rank((total + 1) / 2)?;
    let upper = at_rank(total / 2 + 1)?;
    Some((Decimal::from(lower) + Decimal::from(upper)) / Decimal::TWO)
}

/// The exact median of values (mean of the two middle ones), 0 when empty.
pub fn median_of(values: &mut [Decimal]) -> Decimal {
    if values.is_empty() {
        return Decimal::ZERO;
    }
    values.sort();
    let n = values.len();
    (values[(n - 1) / 2] + values[n / 2]) / Decimal::TWO
}

/// A JSON object whose keys keep a fixed order (every enum key present).
#[derive(Debug, Clone, PartialEq)]
pub struct Keyed<T>(pub Vec<(String, T)>);

impl<T> Keyed<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<T> FromIterator<(String, T)> for Keyed<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        Keyed(iter.into_iter().collect())
    }
}

impl<T: Serialize> Serialize for Keyed<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Serde helpers beyond money, percentages and days.
pub mod json {
    use rust_decimal::Decimal;
    use serde::Serializer;

    use crate::money::round;

    fn fixed<S: Serializer>(v: Decimal, places: u32, s: S) -> Result<S::Ok, S::Error> {
        let text = format!("{:.*}", places as usize, round(v, places));
        let raw =
            serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
        serde::Serialize::serialize(&raw, s)
    }
    /// Ratios (`average_orders_per_customer`, `ltv_to_cac_ratio`): 1 place.
    pub fn ratio<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        fixed(*v, 1, s)
    }
    pub fn opt_ratio<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => fixed(*v, 1, s),
            None => s.serialize_none(),
        }
    }
    pub fn opt_days<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        opt_ratio(v, s)
    }
    /// Whole numbers (milliseconds).
    pub fn whole<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        fixed(*v, 0, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn histogram_median_is_exact() {
        let m: Measures = [
            ("d_1".to_owned(), 2),
            ("d_4".to_owned(), 1),
            ("d_10".to_owned(), 1),
            ("d".to_owned(), 9),
        ]
        .into_iter()
        .collect();
        let hist = histogram(&m, "d_");
        assert_eq!(hist, BTreeMap::from([(1, 2), (4, 1), (10, 1)]));
        // 1, 1, 4, 10: the middle two are 1 and 4.
        assert_eq!(histogram_median(&hist), Some(dec!(2.5)));
        let odd = BTreeMap::from([(1, 2), (4, 1)]);
        assert_eq!(histogram_median(&odd), Some(dec!(1)));
        assert_eq!(histogram_median(&BTreeMap::new()), None);
    }

    #[test]
    fn rates_and_medians_over_nothing_are_zero() {
        assert_eq!(percent(1, 3).round_dp(4), dec!(33.3333));
        assert_eq!(percent(1, 0), dec!(0));
        assert_eq!(complement(dec!(80), 5), dec!(20));
        assert_eq!(complement(dec!(0), 0), dec!(0));
        assert_eq!(median_of(&mut []), dec!(0));
        assert_eq!(median_of(&mut [dec!(5), dec!(1), dec!(3), dec!(2)]), dec!(2.5));
    }
}
