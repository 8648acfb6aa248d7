//! The revenue-by-day chart of the PDF report, as SVG: one bar per day of
//! the period, a baseline and light gridlines. No text (the report draws the
//! labels itself, so no font is needed to render the SVG).

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::periods::DateRange;

pub const WIDTH: f64 = 760.0;
pub const HEIGHT: f64 = 160.0;

/// The chart's SVG and the largest daily amount (the top of the scale).
pub fn bars_svg(period: DateRange, by_day: &BTreeMap<NaiveDate, Decimal>) -> (String, Decimal) {
    let days: Vec<NaiveDate> = period.iter_days().collect();
    let max = by_day.values().copied().max().unwrap_or_default().max(Decimal::ZERO);
    let scale = max.to_f64().unwrap_or(0.0);
    let slot = WIDTH / days.len().max(1) as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\">"
    );
    for i in 1..=4 {
        let y = HEIGHT - HEIGHT * f64::from(i) / 4.0;
        let _ = write!(
            svg,
            "<line x1=\"0\" y1=\"{y:.2}\" x2=\"{WIDTH}\" y2=\"{y:.2}\" stroke=\"#dddddd\" stroke-width=\"0.5\"/>"
        );
    }
    for (i, day) in days.iter().enumerate() {
        let value = by_day.get(day).and_then(|v| v.to_f64()).unwrap_or(0.0).max(0.0);
        if value <= 0.0 || scale <= 0.0 {
            continue;
        }
        let h = HEIGHT * value / scale;
        let x = i as f64 * slot + slot * 0.1;
        let _ = write!(
            svg,
            "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\" fill=\"#2f6db5\"/>",
            HEIGHT - h,
            slot * 0.8
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"0\" y1=\"{HEIGHT}\" x2=\"{WIDTH}\" y2=\"{HEIGHT}\" stroke=\"#333333\" stroke-width=\"1\"/></svg>"
    );
    (svg, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn one_bar_per_day_with_revenue_scaled_to_the_largest() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let period = DateRange::new(d("2025-12-01"), d("2025-12-04"));
        let by_day = BTreeMap::from([(d("2025-12-01"), dec!(50)), (d("2025-12-03"), dec!(100))]);
        let (svg, max) = bars_svg(period, &by_day);
        assert_eq!(max, dec!(100));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(&format!("height=\"{HEIGHT:.2}\"")), "the largest day fills the height");
        assert!(svg.contains(&format!("height=\"{:.2}\"", HEIGHT / 2.0)));
    }
}
