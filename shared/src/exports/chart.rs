//! The revenue-by-day chart of the PDF report as shapes: one bar per day of
//! the period, a baseline and light gridlines, in points with the origin at
//! the chart's bottom-left corner (PDF's orientation). No text: the report
//! draws the labels itself. The report strokes and fills these shapes
//! directly on the page (no SVG renderer linked).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::periods::DateRange;

pub const WIDTH: f32 = 760.0;
pub const HEIGHT: f32 = 160.0;

/// A filled rectangle: left, bottom, width, height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// The chart's shapes and the largest daily amount (the top of the scale).
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    pub max: Decimal,
    /// Heights of the light horizontal gridlines (the top one included).
    pub gridlines: Vec<f32>,
    pub bars: Vec<Bar>,
}

/// Bars scaled so the largest day fills the height; days without (or with
/// negative) revenue draw no bar.
pub fn bars(period: DateRange, by_day: &BTreeMap<NaiveDate, Decimal>) -> Bars {
    let days: Vec<NaiveDate> = period.iter_days().collect();
    let max = by_day.values().copied().max().unwrap_or_default().max(Decimal::ZERO);
    let scale = max.to_f64().unwrap_or(0.0);
    let slot = f64::from(WIDTH) / days.len().max(1) as f64;
    let gridlines = (1..=4u8).map(|i| HEIGHT * f32::from(i) / 4.0).collect();
    let bars = days
        .iter()
        .enumerate()
        .filter_map(|(i, day)| {
            let value = by_day.get(day).and_then(|v| v.to_f64()).unwrap_or(0.0);
            (value > 0.0 && scale > 0.0).then(|| Bar {
                x: (i as f64 * slot + slot * 0.1) as f32,
                y: 0.0,
                width: (slot * 0.8) as f32,
                height: (f64::from(HEIGHT) * value / scale) as f32,
            })
        })
        .collect();
    Bars { max, gridlines, bars }
}

/// A value axis from 0 with round ticks: every `step` (1, 2 or 5 times a
/// power of ten) up to `top`, the first tick at or above the largest
/// value.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub step: Decimal,
    pub top: Decimal,
}

impl Axis {
    /// About `ticks` steps up to `max` (at least 1, so an empty chart still
    /// has a scale).
    pub fn to_cover(max: Decimal, ticks: u32) -> Axis {
        let max = max.max(Decimal::ONE);
        let rough = max / Decimal::from(ticks.max(1));
        let mut power = Decimal::ONE;
        while power * Decimal::TEN <= rough {
            power *= Decimal::TEN;
        }
        while power > rough && power > Decimal::new(1, 2) {
            power /= Decimal::TEN;
        }
        let step = [1, 2, 5, 10]
            .into_iter()
            .map(|m| power * Decimal::from(m))
            .find(|s| *s >= rough)
            .unwrap_or(power * Decimal::TEN);
        let top = (max / step).ceil() * step;
        Axis { step, top }
    }

    /// The tick values from 0 to `top`.
    pub fn ticks(&self) -> Vec<Decimal> {
        let mut out = vec![Decimal::ZERO];
        while let Some(last) = out.last().copied() {
            if last >= self.top || out.len() > 50 {
                break;
            }
            out.push(last + self.step);
        }
        out
    }

    /// Where `value` falls on an axis `height` points tall.
    pub fn at(&self, value: Decimal, height: f32) -> f32 {
        let ratio = (value / self.top).to_f32().unwrap_or(0.0);
        (ratio.clamp(0.0, 1.0)) * height
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn one_bar_per_day_with_revenue_scaled_to_the_largest() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let period = DateRange::new(d("2025-12-01"), d("2025-12-04"));
        let by_day = BTreeMap::from([
            (d("2025-12-01"), dec!(50)),
            (d("2025-12-02"), dec!(-5)),
            (d("2025-12-03"), dec!(100)),
        ]);
        let chart = bars(period, &by_day);
        assert_eq!(chart.max, dec!(100));
        assert_eq!(chart.gridlines, vec![40.0, 80.0, 120.0, 160.0]);
        let slot = WIDTH / 4.0;
        assert_eq!(
            chart.bars,
            vec![
                Bar { x: slot * 0.1, y: 0.0, width: slot * 0.8, height: HEIGHT / 2.0 },
                Bar { x: 2.0 * slot + slot * 0.1, y: 0.0, width: slot * 0.8, height: HEIGHT },
            ],
            "the largest day fills the height, a refund-only day draws nothing"
        );
    }

    #[test]
    fn axes_have_round_ticks_covering_the_largest_value() {
        let axis = Axis::to_cover(dec!(734.2), 5);
        assert_eq!((axis.step, axis.top), (dec!(200), dec!(800)));
        assert_eq!(axis.ticks(), vec![dec!(0), dec!(200), dec!(400), dec!(600), dec!(800)]);
        assert_eq!(axis.at(dec!(400), 100.0), 50.0);
        let small = Axis::to_cover(dec!(0.3), 4);
        assert_eq!((small.step, small.top), (dec!(0.5), dec!(1)), "a scale of at least 1");
        let big = Axis::to_cover(dec!(1234567), 5);
        assert_eq!((big.step, big.top), (dec!(500000), dec!(1500000)));
        assert_eq!(Axis::to_cover(dec!(100), 5).top, dec!(100));
    }

    #[test]
    fn no_revenue_draws_no_bars() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let chart = bars(DateRange::new(d("2025-12-01"), d("2025-12-02")), &BTreeMap::new());
        assert_eq!(chart.max, Decimal::ZERO);
        assert!(chart.bars.is_empty());
    }
}
