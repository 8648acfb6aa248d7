//! A mergeable, subtractable quantile sketch for money amounts: DDSketch's
//! logarithmic bins (relative accuracy 0.5%) stored as additive counters
//! (`measure::order_value_bin`: `o` and the bin's index in two base-62
//! digits), so a bucket's sketch is maintained with `ADD`
//! like every other measure, deletions included, and the sketches of any
//! buckets merge by summing. One fixed configuration for all data.

use rust_decimal::Decimal;

use crate::layout::{Measure, Measures, measure};
use crate::money::from_cents;

/// Relative accuracy of a quantile read from the sketch.
pub const RELATIVE_ACCURACY: f64 = 0.005;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

/// The measure name of the bin holding an amount in cents.
pub fn bin_name(cents: Measure) -> String {
    if cents <= 0 {
        return measure::order_value_bin(None);
    }
    let index = ((cents as f64).ln() / gamma().ln()).ceil() as i64;
    measure::order_value_bin(Some(index))
}

/// The value a bin stands for (within the relative accuracy of all its
/// members), in cents.
fn bin_value(index: i64) -> f64 {
    let g = gamma();
    2.0 * g.powi(index as i32) / (g + 1.0)
}

/// The median (the mean of the two middle amounts for an even count).
pub fn median(measures: &Measures) -> Option<Decimal> {
    let total: Measure = bins(measures).iter().map(|(_, c)| c).sum();
    if total == 0 {
        return None;
    }
    let lower = value_at_rank(measures, (total + 1) / 2)?;
    let upper = value_at_rank(measures, total / 2 + 1)?;
    Some(crate::money::round((lower + upper) / Decimal::TWO, 2))
}

/// The `q` quantile (0..=1, lower rank) of the amounts counted in
/// `measures`, or `None` when there are none.
pub fn quantile(measures: &Measures, q: f64) -> Option<Decimal> {
    let total: Measure = bins(measures).iter().map(|(_, c)| c).sum();
    if total == 0 {
        return None;
    }
    value_at_rank(measures, ((q.clamp(0.0, 1.0) * (total - 1) as f64).floor() as Measure) + 1)
}

fn bins(measures: &Measures) -> Vec<(i64, Measure)> {
    let mut bins: Vec<(i64, Measure)> = measures
        .iter()
        .filter_map(|(name, count)| {
            Some((measure::order_value_bin_of(name)?.unwrap_or(i64::MIN), *count))
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    bins.sort();
    bins
}

/// The amount at a 1-based rank.
fn value_at_rank(measures: &Measures, rank: Measure) -> Option<Decimal> {
    let mut seen: Measure = 0;
    for (index, count) in bins(measures) {
        seen += count;
        if seen >= rank {
            if index == i64::MIN {
                return Some(Decimal::ZERO);
            }
            let cents = bin_value(index).round() as i64;
            return Some(crate::money::round(from_cents(cents), 2));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sketch_of(amounts: &[i64]) -> Measures {
        let mut m = Measures::new();
        for a in amounts {
            *m.entry(bin_name(Measure::from(*a))).or_default() += 1;
        }
        m
    }

    #[test]
    fn empty_and_zero() {
        assert_eq!(quantile(&Measures::new(), 0.5), None);
        assert_eq!(quantile(&sketch_of(&[0, 0, 500]), 0.5), Some(Decimal::ZERO));
        assert_eq!(median(&Measures::new()), None);
    }

    #[test]
    fn removal_is_subtraction() {
        let mut m = sketch_of(&[100, 200, 300_000]);
        *m.get_mut(&bin_name(300_000)).unwrap() -= 1;
        // 1.00 and 2.00 remain: the median is 1.50.
        let m = median(&m).unwrap();
        assert!((m - Decimal::new(150, 2)).abs() <= Decimal::new(1, 2), "{m}");
    }

    proptest! {
        #[test]
        fn median_within_half_a_percent(mut amounts in proptest::collection::vec(1i64..10_000_000_000, 1..400)) {
            let median = median(&sketch_of(&amounts)).unwrap();
            amounts.sort();
            let n = amounts.len();
            let exact = (from_cents(amounts[(n - 1) / 2]) + from_cents(amounts[n / 2])) / Decimal::TWO;
            let error = ((median - exact) / exact).abs();
            // 0.5% of the bin plus the rounding of a cent.
            prop_assert!(error <= Decimal::new(5, 3) + Decimal::ONE / (exact * Decimal::ONE_HUNDRED), "{median} vs {exact}");
        }
    }
}
