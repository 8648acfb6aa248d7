//! The management report's KPI tiles: each figure of the month beside the
//! previous month and the same month a year before, with its last twelve
//! months as a trend line. Pure: the values come from the API's queries
//! (`figures`), the drawing from `pdf` and `xlsx`.

use rust_decimal::Decimal;

use crate::exports::pdf_report::amount;
use crate::money::round;

/// How a tile's value reads, and how its change is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// An amount in the tenant's currency; change in percent.
    Money,
    /// A count; change in percent.
    Count,
    /// A rate in percent; change in percentage points.
    Percent,
    /// Days; change in percent.
    Days,
}

impl Unit {
    /// A value as the API's JSON writes it (money and rates with two
    /// places, days with one, counts whole), without thousands separators.
    pub fn api_text(self, value: Decimal) -> String {
        match self {
            Unit::Money | Unit::Percent => format!("{:.2}", round(value, 2)),
            Unit::Days => format!("{:.1}", round(value, 1)),
            Unit::Count => format!("{:.0}", round(value, 0)),
        }
    }
}

/// Months a tile holds: the same month a year before, the eleven between,
/// and the month itself (oldest first).
pub const MONTHS: usize = 13;

/// One KPI over the thirteen months ending with the report's month.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub label: &'static str,
    /// The figure's name in the API (docs/metrics.md), for the definitions.
    pub field: &'static str,
    pub unit: Unit,
    /// Oldest first; the last is the report's month. Shorter only when the
    /// report was built with fewer months.
    pub months: Vec<Decimal>,
}

/// A change between two values of a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Relative change in percent (money, counts, days).
    Percent(Decimal),
    /// Difference of two rates, in percentage points.
    Points(Decimal),
    /// From zero: no relative change exists.
    FromZero,
}

impl Change {
    pub fn text(&self) -> String {
        match self {
            Change::Percent(p) => format!("{}{:.1}%", sign(*p), round(*p, 1)),
            Change::Points(p) => format!("{}{:.1} pp", sign(*p), round(*p, 1)),
            Change::FromZero => "new".to_owned(),
        }
    }
}

fn sign(d: Decimal) -> &'static str {
    if d > Decimal::ZERO { "+" } else { "" }
}

impl Tile {
    pub fn value(&self) -> Decimal {
        self.months.last().copied().unwrap_or_default()
    }

    fn back(&self, months: usize) -> Option<Decimal> {
        self.months.len().checked_sub(months + 1).map(|i| self.months[i])
    }

    /// The previous month's value.
    pub fn previous(&self) -> Option<Decimal> {
        self.back(1)
    }

    /// The same month a year before.
    pub fn last_year(&self) -> Option<Decimal> {
        self.back(12)
    }

    /// The change from `base` to this month's value.
    pub fn change_from(&self, base: Decimal) -> Change {
        let value = self.value();
        match self.unit {
            Unit::Percent => Change::Points(value - base),
            _ if base.is_zero() => Change::FromZero,
            _ => Change::Percent((value - base) / base.abs() * Decimal::ONE_HUNDRED),
        }
    }

    /// The last twelve months (oldest first): the trend line.
    pub fn trend(&self) -> &[Decimal] {
        let from = self.months.len().saturating_sub(12);
        &self.months[from..]
    }

    /// A value as the tile prints it (money in the currency's format, rates
    /// with two places, days with one).
    pub fn format(&self, value: Decimal) -> String {
        match self.unit {
            Unit::Money => amount(value),
            Unit::Count => round(value, 0).to_string(),
            Unit::Percent => format!("{:.2}%", round(value, 2)),
            Unit::Days => format!("{:.1} days", round(value, 1)),
        }
    }

    /// `vs Nov 2025: +12.5%` style lines, when that month is held.
    pub fn comparisons(&self, previous_label: &str, last_year_label: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(base) = self.previous() {
            out.push(format!("vs {previous_label}: {}", self.change_from(base).text()));
        }
        if let Some(base) = self.last_year() {
            out.push(format!("vs {last_year_label}: {}", self.change_from(base).text()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn tile(unit: Unit, months: Vec<Decimal>) -> Tile {
        Tile { label: "T", field: "f", unit, months }
    }

    #[test]
    fn changes_against_the_previous_month_and_the_same_month_last_year() {
        let mut months = vec![dec!(80); 13];
        months[11] = dec!(90);
        months[12] = dec!(100);
        let t = tile(Unit::Money, months);
        assert_eq!(t.value(), dec!(100));
        assert_eq!(t.previous(), Some(dec!(90)));
        assert_eq!(t.last_year(), Some(dec!(80)));
        assert_eq!(t.change_from(dec!(80)).text(), "+25.0%");
        assert_eq!(t.change_from(dec!(200)).text(), "-50.0%");
        assert_eq!(t.change_from(Decimal::ZERO), Change::FromZero);
        assert_eq!(t.trend().len(), 12);
        assert_eq!(t.trend()[0], dec!(80));
        assert_eq!(
            t.comparisons("Nov 2025", "Dec 2024"),
            vec!["vs Nov 2025: +11.1%", "vs Dec 2024: +25.0%"]
        );
    }

    #[test]
    fn rates_change_in_points_and_short_histories_compare_what_they_hold() {
        let t = tile(Unit::Percent, vec![dec!(40), dec!(52.5)]);
        assert_eq!(t.change_from(dec!(40)), Change::Points(dec!(12.5)));
        assert_eq!(t.change_from(dec!(40)).text(), "+12.5 pp");
        assert_eq!(t.last_year(), None);
        assert_eq!(t.comparisons("p", "y"), vec!["vs p: +12.5 pp"]);
        assert_eq!(t.format(dec!(52.5)), "52.50%");
        assert_eq!(tile(Unit::Days, vec![dec!(31.25)]).format(dec!(31.25)), "31.3 days");
        assert_eq!(tile(Unit::Money, vec![]).format(dec!(1234.5)), "1,234.50");
    }
}
