//! Revenue reporting (docs/metrics.md "Revenue by period", "Revenue by
//! product") and the sales-goals widget.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{average, count, get, money, percent};
use crate::figures::cents_to_decimal;
use crate::layout::measure::ProductFigure;
use crate::layout::{Measure, Measures, measure};
use crate::money::json;
use crate::periods::{DateRange, month_range};

crate::str_enum! {
    /// The `period` of `GET /dashboard/revenue`: the size of each bucket.
    RevenueGrain {
        Day => "day",
        Week => "week",
        Month => "month",
        Quarter => "quarter",
        Year => "year",
    }
}

impl RevenueGrain {
    /// `average_{adjective}_revenue`.
    fn adjective(self) -> &'static str {
        ["daily", "weekly", "monthly", "quarterly", "yearly"][self as usize]
    }

    /// The whole calendar unit holding `day`, and its label.
    pub fn unit(self, day: NaiveDate) -> (String, DateRange) {
        match self {
            RevenueGrain::Day => (day.to_string(), DateRange::single(day)),
            RevenueGrain::Week => {
                let week = day.iso_week();
                let monday =
                    day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()));
                (
                    format!("{:04}-W{:02}", week.year(), week.week()),
                    DateRange::new(monday, monday + chrono::Duration::days(6)),
                )
            }
            RevenueGrain::Month => {
                (crate::calendar::month_key(day), month_range(day.year(), day.month()))
            }
            RevenueGrain::Quarter => {
                let q = (day.month() - 1) / 3;
                let first = month_range(day.year(), q * 3 + 1);
                let last = month_range(day.year(), q * 3 + 3);
                (format!("{:04}-Q{}", day.year(), q + 1), DateRange::new(first.from, last.to))
            }
            RevenueGrain::Year => {
                let (first, last) = (month_range(day.year(), 1), month_range(day.year(), 12));
                (format!("{:04}", day.year()), DateRange::new(first.from, last.to))
            }
        }
    }

    /// One bucket per unit overlapping `range`, clipped to it.
    pub fn buckets(self, range: DateRange) -> Vec<(String, DateRange)> {
        let mut out = Vec::new();
        let mut day = range.from;
        while day <= range.to {
            let (label, unit) = self.unit(day);
            let clipped = DateRange::new(unit.from.max(range.from), unit.to.min(range.to));
            out.push((label, clipped));
            match clipped.to.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodRevenue {
    pub period: String,
    #[serde(serialize_with = "json::money")]
    pub revenue: Decimal,
    pub orders: u64,
    #[serde(serialize_with = "json::money")]
    pub average_order_value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodPoint {
    pub period: String,
    #[serde(serialize_with = "json::money")]
    pub revenue: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RevenueSummary {
    grain: RevenueGrain,
    pub total_revenue: Decimal,
    pub average_revenue: Decimal,
    pub highest: Option<PeriodPoint>,
    pub lowest: Option<PeriodPoint>,
    pub growth_rate: Option<Decimal>,
}

impl Serialize for RevenueSummary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        #[derive(Serialize)]
        struct M(#[serde(serialize_with = "json::money")] Decimal);
        #[derive(Serialize)]
        struct P(#[serde(serialize_with = "json::opt_percent")] Option<Decimal>);
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("total_revenue", &M(self.total_revenue))?;
        map.serialize_entry(
            &format!("average_{}_revenue", self.grain.adjective()),
            &M(self.average_revenue),
        )?;
        map.serialize_entry(&format!("highest_{}", self.grain.as_str()), &self.highest)?;
        map.serialize_entry(&format!("lowest_{}", self.grain.as_str()), &self.lowest)?;
        map.serialize_entry("growth_rate", &P(self.growth_rate))?;
        map.end()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueByPeriod {
    pub period_type: &'static str,
    pub revenue_by_period: Vec<PeriodRevenue>,
    pub summary: RevenueSummary,
}

/// Revenue per bucket: `buckets` are the labels and the `orders` measures
/// summed over each clipped bucket, in order, empty ones included.
pub fn revenue_by_period(grain: RevenueGrain, buckets: &[(String, Measures)]) -> RevenueByPeriod {
    let rows: Vec<PeriodRevenue> = buckets
        .iter()
        .map(|(label, m)| {
            let revenue = money(m, measure::REVENUE);
            PeriodRevenue {
                period: label.clone(),
                revenue,
                orders: count(m, measure::REVENUE_BEARING),
                average_order_value: average(revenue, get(m, measure::REVENUE_BEARING)),
            }
        })
        .collect();
    let total: Decimal = rows.iter().map(|r| r.revenue).sum();
    let point = |r: &PeriodRevenue| PeriodPoint { period: r.period.clone(), revenue: r.revenue };
    // Ties go to the earliest bucket: keep the first of equals.
    let highest = rows.iter().fold(None::<&PeriodRevenue>, |best, r| match best {
        Some(b) if b.revenue >= r.revenue => Some(b),
        _ => Some(r),
    });
    let lowest = rows.iter().fold(None::<&PeriodRevenue>, |best, r| match best {
        Some(b) if b.revenue <= r.revenue => Some(b),
        _ => Some(r),
    });
    let growth_rate = match (rows.first(), rows.last()) {
        (Some(first), Some(last)) => crate::money::change_percentage(last.revenue, first.revenue),
        _ => None,
    };
    RevenueByPeriod {
        period_type: grain.as_str(),
        summary: RevenueSummary {
            grain,
            total_revenue: total,
            average_revenue: average(total, rows.len() as i64),
            highest: highest.map(point),
            lowest: lowest.map(point),
            growth_rate,
        },
        revenue_by_period: rows,
    }
}

/// Whether a grain's rows are summed from day items read in one query
/// (every row of a day or week needs its days anyway) rather than one
/// covering sum per row.
pub fn sums_days(grain: RevenueGrain) -> bool {
    matches!(grain, RevenueGrain::Day | RevenueGrain::Week)
}

/// Each labelled bucket's measures summed from the days of `daily` in it;
/// a bucket without days is empty.
pub fn sum_days(
    buckets: Vec<(String, DateRange)>,
    daily: &BTreeMap<NaiveDate, Measures>,
) -> Vec<(String, Measures)> {
    buckets
        .into_iter()
        .map(|(label, bucket)| {
            let mut sum = Measures::new();
            for (_, m) in daily.range(bucket.from..=bucket.to) {
                crate::layout::add_measures(&mut sum, m);
            }
            (label, sum)
        })
        .collect()
}

/// A product's SKU and name (from the product copies).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductInfo {
    pub sku: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductRow {
    pub product_id: i64,
    pub sku: String,
    pub name: String,
    pub units_sold: Measure,
    #[serde(serialize_with = "json::money")]
    pub revenue: Decimal,
    #[serde(serialize_with = "json::percent")]
    pub percentage_of_total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevenueByProduct {
    pub by_product: Vec<ProductRow>,
}

/// Revenue by product from the period's `product_sales` measures
/// (`p{id}_units`, `p{id}_revenue`): by revenue descending, ties by id, the
/// first `limit`; percentages of all lines' revenue. SKUs and names are
/// filled in by [`name_products`].
pub fn revenue_by_product(measures: &Measures, limit: usize) -> RevenueByProduct {
    let mut per: BTreeMap<i64, (Measure, Measure)> = BTreeMap::new();
    for (name, value) in measures {
        let Some((id, figure)) = measure::product_of(name) else { continue };
        let entry = per.entry(id).or_default();
        match figure {
            ProductFigure::Units => entry.0 += value,
            ProductFigure::Revenue => entry.1 += value,
        }
    }
    per.retain(|_, (units, revenue)| *units != 0 || *revenue != 0);
    let total: Measure = per.values().map(|(_, r)| r).sum();
    let mut rows: Vec<(i64, Measure, Measure)> =
        per.into_iter().map(|(id, (u, r))| (id, u, r)).collect();
    rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    RevenueByProduct {
        by_product: rows
            .into_iter()
            .take(limit)
            .map(|(id, units, revenue)| ProductRow {
                product_id: id,
                sku: String::new(),
                name: String::new(),
                units_sold: units,
                revenue: cents_to_decimal(revenue),
                percentage_of_total: percent(revenue, total),
            })
            .collect(),
    }
}

/// Fills in the products' SKUs and names.
pub fn name_products(out: &mut RevenueByProduct, products: &BTreeMap<i64, ProductInfo>) {
    for row in &mut out.by_product {
        let info = products.get(&row.product_id).cloned().unwrap_or_default();
        row.sku = info.sku;
        row.name = info.name;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesGoals {
    #[serde(serialize_with = "json::opt_money")]
    pub monthly_target: Option<Decimal>,
    #[serde(serialize_with = "json::money")]
    pub current_revenue: Decimal,
    #[serde(serialize_with = "json::opt_percent")]
    pub progress_percentage: Option<Decimal>,
    pub on_track: Option<bool>,
    pub days_remaining: i64,
}

/// The sales-goals widget: `month_to_date_cents` is the revenue from the
/// 1st of today's month through today.
pub fn sales_goals(
    today: NaiveDate,
    target: Option<Decimal>,
    month_to_date_cents: Measure,
) -> SalesGoals {
    let month = month_range(today.year(), today.month());
    let days_in_month = month.days();
    let elapsed = i64::from(today.day());
    let current = cents_to_decimal(month_to_date_cents);
    SalesGoals {
        monthly_target: target,
        current_revenue: current,
        progress_percentage: target.map(|t| super::ratio_percent(current, t)),
        on_track: target
            .map(|t| current * Decimal::from(days_in_month) >= t * Decimal::from(elapsed)),
        days_remaining: days_in_month - elapsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_sum_their_days_and_only_theirs() {
        let day = |revenue| Measures::from([(measure::REVENUE.to_owned(), revenue)]);
        let daily = BTreeMap::from([
            (d("2025-03-02"), day(100)),
            (d("2025-03-03"), day(250)),
            (d("2025-03-10"), day(7)),
            (d("2025-03-20"), day(1_000)),
        ]);
        let buckets = vec![
            ("a".to_owned(), DateRange::new(d("2025-03-01"), d("2025-03-09"))),
            ("b".to_owned(), DateRange::new(d("2025-03-10"), d("2025-03-16"))),
            ("c".to_owned(), DateRange::new(d("2025-03-17"), d("2025-03-19"))),
        ];
        let rows = sum_days(buckets, &daily);
        let revenue: Vec<(&str, Measure)> =
            rows.iter().map(|(l, m)| (l.as_str(), get(m, measure::REVENUE))).collect();
        assert_eq!(revenue, [("a", 350), ("b", 7), ("c", 0)]);
        assert!(sums_days(RevenueGrain::Week) && !sums_days(RevenueGrain::Month));
    }

    #[test]
    fn buckets_are_clipped_and_labelled() {
        let range = DateRange::new(d("2025-12-30"), d("2026-01-06"));
        let weeks = RevenueGrain::Week.buckets(range);
        // Dec 29 2025 is the Monday of ISO week 2026-W01.
        assert_eq!(
            weeks[0],
            ("2026-W01".to_owned(), DateRange::new(d("2025-12-30"), d("2026-01-04")))
        );
        assert_eq!(
            weeks[1],
            ("2026-W02".to_owned(), DateRange::new(d("2026-01-05"), d("2026-01-06")))
        );
        let quarters =
            RevenueGrain::Quarter.buckets(DateRange::new(d("2025-11-15"), d("2026-02-01")));
        let labels: Vec<&str> = quarters.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["2025-Q4", "2026-Q1"]);
        assert_eq!(quarters[0].1, DateRange::new(d("2025-11-15"), d("2025-12-31")));
        assert_eq!(RevenueGrain::Year.buckets(range).len(), 2);
        assert_eq!(RevenueGrain::Day.buckets(range).len(), 8);
        assert_eq!(RevenueGrain::Month.buckets(range)[1].0, "2026-01");
        // Years below 1000 keep four digits, as dates and months do.
        let early = d("0999-03-01");
        let labels: Vec<String> =
            [RevenueGrain::Week, RevenueGrain::Month, RevenueGrain::Quarter, RevenueGrain::Year]
                .iter()
                .map(|g| g.unit(early).0)
                .collect();
        assert_eq!(labels, ["0999-W09", "0999-03", "0999-Q1", "0999"]);
    }

    #[test]
    fn summary_by_hand() {
        let m = |revenue: i64, orders: i64| -> Measures {
            [
                ("revenue".to_owned(), Measure::from(revenue)),
                ("revenue_bearing".to_owned(), Measure::from(orders)),
            ]
            .into_iter()
            .collect()
        };
        let buckets = vec![
            ("2025-01".to_owned(), m(10000, 2)),
            ("2025-02".to_owned(), Measures::new()),
            ("2025-03".to_owned(), m(15000, 1)),
        ];
        let out = revenue_by_period(RevenueGrain::Month, &buckets);
        assert_eq!(out.revenue_by_period[0].average_order_value, dec!(50));
        assert_eq!(out.summary.total_revenue, dec!(250));
        // The empty month counts in the average.
        assert_eq!(out.summary.average_revenue.round_dp(2), dec!(83.33));
        assert_eq!(out.summary.highest.as_ref().unwrap().period, "2025-03");
        assert_eq!(out.summary.lowest.as_ref().unwrap().period, "2025-02");
        assert_eq!(out.summary.growth_rate, Some(dec!(50)));
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["summary"]["average_monthly_revenue"], serde_json::json!(83.33));
        assert_eq!(json["summary"]["highest_month"]["revenue"], serde_json::json!(150.0));
        // Ties go to the earliest bucket.
        let tied =
            revenue_by_period(RevenueGrain::Day, &[("a".into(), m(5, 1)), ("b".into(), m(5, 1))]);
        assert_eq!(
            (tied.summary.highest.unwrap().period, tied.summary.lowest.unwrap().period),
            ("a".into(), "a".into())
        );
    }

    #[test]
    fn sales_goals_by_hand() {
        // Dec 10 of a 31-day month: 10 days elapsed, 21 remaining.
        let g = sales_goals(d("2025-12-10"), Some(dec!(3100)), 100000);
        assert_eq!(g.progress_percentage.map(|p| p.round_dp(2)), Some(dec!(32.26)));
        // 1000 >= 3100 * 10 / 31 = 1000: on track.
        assert_eq!((g.on_track, g.days_remaining), (Some(true), 21));
        let behind = sales_goals(d("2025-12-10"), Some(dec!(3100)), 99999);
        assert_eq!(behind.on_track, Some(false));
        let none = sales_goals(d("2025-12-10"), None, 5);
        assert_eq!((none.progress_percentage, none.on_track), (None, None));
    }
}
