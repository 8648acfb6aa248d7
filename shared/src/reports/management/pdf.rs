//! The management report as a PDF a finance lead would forward: page 1 the
//! KPI tiles (value, change against the previous month and the same month
//! last year, a twelve-month trend line) and revenue by day against the
//! previous month; page 2 receivables aging at four month ends and revenue
//! by product; then the tables; last, one line per figure defining it.
//! Charts have labelled value axes and gridlines.

use chrono::Datelike;
use rust_decimal::Decimal;

use super::Stamp;
use super::definitions::DEFINITIONS;
use super::figures::{ManagementFigures, months_before, short_label};
use super::tiles::Tile;
use crate::exports::ExportError;
use crate::exports::chart::Axis;
use crate::exports::font::Style;
use crate::exports::pdf_report::{Layout, Op, PAGE, PAGE_MARGIN, Section, amount, render_layout};
use crate::exports::table::{Cell, Column, Kind, Row};

const BLUE: [f32; 3] = [0.184, 0.427, 0.71];
const FAINT: [f32; 3] = [0.72, 0.72, 0.72];
const GRID: f32 = 0.87;
/// Current, 1-30, 31-60, 61-90, over 90 days.
const BUCKET_COLOURS: [[f32; 3]; 5] = [
    [0.30, 0.62, 0.36],
    [0.95, 0.77, 0.26],
    [0.93, 0.55, 0.20],
    [0.84, 0.30, 0.25],
    [0.55, 0.13, 0.16],
];
const TILE_H: f32 = 92.0;
const TILE_GAP: f32 = 10.0;
const TILES_PER_ROW: usize = 4;
const AXIS_LABEL: f32 = 7.0;

fn width() -> f32 {
    PAGE.0 - 2.0 * PAGE_MARGIN
}

/// The report as PDF bytes.
pub fn render(figures: &ManagementFigures, stamp: &Stamp) -> Result<Vec<u8>, ExportError> {
    render_layout(&stamp.title(), &lay_out(figures, stamp), None)
}

pub fn lay_out(figures: &ManagementFigures, stamp: &Stamp) -> Layout {
    let mut l = Layout::new();
    l.text(Style::Bold, 18.0, PAGE_MARGIN, l.y, stamp.title());
    l.y -= 16.0;
    l.text(Style::Regular, 9.0, PAGE_MARGIN, l.y, stamp.line());
    l.y -= 14.0;
    let previous = short_label(months_before(figures.month, 1));
    let last_year = short_label(months_before(figures.month, 12));
    for (i, tile) in figures.tiles.iter().enumerate() {
        if i % TILES_PER_ROW == 0 {
            l.y -= TILE_H + if i == 0 { 0.0 } else { TILE_GAP };
        }
        let tile_w = (width() - TILE_GAP * (TILES_PER_ROW as f32 - 1.0)) / TILES_PER_ROW as f32;
        let x = PAGE_MARGIN + (i % TILES_PER_ROW) as f32 * (tile_w + TILE_GAP);
        let y = l.y;
        draw_tile(&mut l, tile, (x, y, tile_w), &previous, &last_year);
    }
    l.y -= 24.0;
    let chart_h = l.y - PAGE_MARGIN - 40.0;
    revenue_by_day(&mut l, figures, &previous, chart_h);

    l.new_page();
    aging_chart(&mut l, figures, 170.0);
    l.y -= 30.0;
    products_chart(&mut l, figures);

    l.new_page();
    l.sections(&tables(figures));

    l.new_page();
    l.text(Style::Bold, 12.0, PAGE_MARGIN, l.y, "Definitions");
    l.y -= 18.0;
    for (name, definition) in DEFINITIONS {
        l.text(Style::Bold, 8.0, PAGE_MARGIN, l.y, *name);
        l.text(Style::Regular, 8.0, PAGE_MARGIN + 150.0, l.y, *definition);
        l.y -= 13.0;
    }
    // The tiles' values as the API's JSON writes them, to find them there.
    l.y -= 10.0;
    l.text(Style::Bold, 9.0, PAGE_MARGIN, l.y, "This month's figures as the API gives them");
    l.y -= 14.0;
    for tile in &figures.tiles {
        l.text(Style::Regular, 8.0, PAGE_MARGIN, l.y, tile.field);
        l.text(Style::Regular, 8.0, PAGE_MARGIN + 190.0, l.y, tile.unit.api_text(tile.value()));
        l.y -= 13.0;
    }
    l
}

/// A tile with its bottom-left corner at (x, y).
fn draw_tile(
    l: &mut Layout,
    tile: &Tile,
    (x, y, w): (f32, f32, f32),
    previous: &str,
    last_year: &str,
) {
    l.push(Op::Frame { x, y, w, h: TILE_H, gray: 0.75 });
    let top = y + TILE_H;
    l.text(Style::Bold, 8.5, x + 8.0, top - 14.0, tile.label);
    l.text(Style::Bold, 16.0, x + 8.0, top - 34.0, tile.format(tile.value()));
    for (i, line) in tile.comparisons(previous, last_year).into_iter().enumerate() {
        l.text(Style::Regular, 7.5, x + 8.0, top - 48.0 - 10.0 * i as f32, line);
    }
    // The trend line along the tile's foot.
    let trend = tile.trend();
    let (lo, hi) = trend.iter().fold((None::<Decimal>, None::<Decimal>), |(lo, hi), v| {
        (Some(lo.map_or(*v, |l| l.min(*v))), Some(hi.map_or(*v, |h| h.max(*v))))
    });
    let (Some(lo), Some(hi)) = (lo, hi) else { return };
    let span = (hi - lo).max(Decimal::new(1, 6));
    let (sx, sw, sy, sh) = (x + 8.0, w - 16.0, y + 6.0, 16.0);
    let step = sw / (trend.len().max(2) - 1) as f32;
    let points = trend
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let ratio =
                rust_decimal::prelude::ToPrimitive::to_f32(&((*v - lo) / span)).unwrap_or(0.0);
            (sx + i as f32 * step, sy + ratio * sh)
        })
        .collect();
    l.push(Op::Line { points, rgb: BLUE, width: 1.0 });
}

/// Gridlines and labels of a value axis over a plot at (x, y, w, h).
fn value_axis(l: &mut Layout, axis: &Axis, (x, y, w, h): (f32, f32, f32, f32)) {
    for tick in axis.ticks() {
        let at = y + axis.at(tick, h);
        l.push(Op::Line { points: vec![(x, at), (x + w, at)], rgb: [GRID; 3], width: 0.5 });
        l.text_right(Style::Regular, AXIS_LABEL, x - 4.0, at - 2.5, amount(tick));
    }
    l.push(Op::Line { points: vec![(x, y), (x + w, y)], rgb: [0.2; 3], width: 1.0 });
}

fn revenue_by_day(l: &mut Layout, f: &ManagementFigures, previous: &str, height: f32) {
    l.text(Style::Bold, 11.0, PAGE_MARGIN, l.y, "Revenue by day");
    l.text(
        Style::Regular,
        8.0,
        PAGE_MARGIN + 110.0,
        l.y,
        format!("{} (blue) against {previous} (grey), by day of month", short_label(f.month)),
    );
    let days: Vec<_> = f.month.iter_days().collect();
    let max = f.revenue_by_day.values().chain(f.previous_by_day.values()).copied().max();
    let axis = Axis::to_cover(max.unwrap_or_default(), 4);
    let (x, w) = (PAGE_MARGIN + 60.0, width() - 60.0);
    let y = l.y - 10.0 - height;
    value_axis(l, &axis, (x, y, w, height));
    let slot = w / 31.0;
    let at = |day: u32| x + (day as f32 - 0.5) * slot;
    let previous_points = (1..=31)
        .filter_map(|d| f.previous_by_day.get(&d).map(|v| (at(d), y + axis.at(*v, height))))
        .collect();
    l.push(Op::Line { points: previous_points, rgb: FAINT, width: 1.0 });
    let points = days
        .iter()
        .map(|d| {
            let v = f.revenue_by_day.get(d).copied().unwrap_or_default();
            (at(d.day()), y + axis.at(v, height))
        })
        .collect();
    l.push(Op::Line { points, rgb: BLUE, width: 1.5 });
    for d in [1, 8, 15, 22, days.len() as u32] {
        l.text(Style::Regular, AXIS_LABEL, at(d) - 3.0, y - 10.0, d.to_string());
    }
    l.y = y - 20.0;
}

fn aging_chart(l: &mut Layout, f: &ManagementFigures, height: f32) {
    let title = "Receivables aging at month end";
    l.text(Style::Bold, 11.0, PAGE_MARGIN, l.y, title);
    let labels: Vec<&str> = f
        .aging
        .first()
        .map(|(_, b)| b.iter().map(|(label, _)| label.as_str()).collect())
        .unwrap_or_default();
    let mut lx = PAGE_MARGIN + Style::Bold.font().width(title, 11.0) + 16.0;
    for (label, colour) in labels.iter().zip(BUCKET_COLOURS) {
        l.push(Op::Fill { x: lx, y: l.y - 1.0, w: 8.0, h: 8.0, rgb: colour });
        l.text(Style::Regular, 8.0, lx + 11.0, l.y, *label);
        lx += 20.0 + Style::Regular.font().width(label, 8.0);
    }
    let max = f.aging.iter().map(|(_, b)| b.iter().map(|(_, v)| *v).sum::<Decimal>()).max();
    let axis = Axis::to_cover(max.unwrap_or_default(), 4);
    let (x, w) = (PAGE_MARGIN + 60.0, 420.0);
    let y = l.y - 12.0 - height;
    value_axis(l, &axis, (x, y, w, height));
    let slot = w / f.aging.len().max(1) as f32;
    for (i, (end, buckets)) in f.aging.iter().enumerate() {
        let bx = x + i as f32 * slot + slot * 0.25;
        let mut base = Decimal::ZERO;
        for ((_, amount_of), colour) in buckets.iter().zip(BUCKET_COLOURS) {
            if *amount_of > Decimal::ZERO {
                let (bottom, top) = (axis.at(base, height), axis.at(base + *amount_of, height));
                l.push(Op::Fill {
                    x: bx,
                    y: y + bottom,
                    w: slot * 0.5,
                    h: top - bottom,
                    rgb: colour,
                });
                base += *amount_of;
            }
        }
        l.text(Style::Regular, AXIS_LABEL, bx, y - 10.0, end.to_string());
        l.text(Style::Bold, AXIS_LABEL, bx, y + axis.at(base, height) + 3.0, amount(base));
    }
    l.y = y - 20.0;
}

fn products_chart(l: &mut Layout, f: &ManagementFigures) {
    l.text(Style::Bold, 11.0, PAGE_MARGIN, l.y, "Revenue by product (top 10 and other)");
    l.y -= 12.0;
    let max = f.products.iter().map(|(_, v)| *v).max().unwrap_or_default();
    let axis = Axis::to_cover(max, 5);
    let (x, w, bar_h) = (PAGE_MARGIN + 170.0, 420.0, 13.0);
    let rows = f.products.len() as f32;
    let y = l.y - rows * bar_h;
    for tick in axis.ticks() {
        let at = x + axis.at(tick, w);
        l.push(Op::Line { points: vec![(at, y), (at, l.y)], rgb: [GRID; 3], width: 0.5 });
        l.text(Style::Regular, AXIS_LABEL, at - 8.0, y - 10.0, amount(tick));
    }
    for (i, (name, revenue)) in f.products.iter().enumerate() {
        let by = l.y - (i as f32 + 1.0) * bar_h;
        let short: String = name.chars().take(34).collect();
        l.text_right(Style::Regular, 8.0, x - 6.0, by + 3.0, short);
        let bw = axis.at(*revenue, w);
        l.push(Op::Fill { x, y: by + 2.0, w: bw, h: bar_h - 4.0, rgb: BLUE });
        l.text(Style::Regular, 7.5, x + bw + 4.0, by + 3.5, amount(*revenue));
    }
    l.y = y - 24.0;
}

fn col(header: &'static str, kind: Kind, width: f64) -> Column {
    Column { header, kind, width }
}

/// The report's tables (also its Excel sheets).
pub fn tables(f: &ManagementFigures) -> Vec<Section> {
    let section = |heading: &str, columns: Vec<Column>, rows: Vec<Row>| Section {
        heading: Some(heading.to_owned()),
        note: rows.is_empty().then(|| "None.".to_owned()),
        columns,
        rows,
    };
    let text = |t: String| Cell::Text(t);
    vec![
        section(
            &format!("Top customers, {}", short_label(f.month)),
            vec![
                col("Customer", Kind::Text, 34.0),
                col("Orders", Kind::Text, 10.0),
                col("Revenue", Kind::Money, 16.0),
                col("Average order", Kind::Money, 16.0),
            ],
            f.top_customers
                .iter()
                .map(|c| {
                    vec![
                        text(c.customer_name.clone()),
                        text(c.total_orders.to_string()),
                        Cell::Money(c.total_revenue),
                        Cell::Money(c.average_order_value),
                    ]
                })
                .collect(),
        ),
        section(
            &format!("Largest overdue balances at {}", f.month.to),
            vec![
                col("Customer number", Kind::Text, 16.0),
                col("Customer", Kind::Text, 30.0),
                col("Overdue", Kind::Money, 16.0),
                col("Outstanding", Kind::Money, 16.0),
            ],
            f.overdue
                .iter()
                .map(|(r, late)| {
                    vec![
                        text(r.customer_number.clone()),
                        text(r.customer_name.clone()),
                        Cell::Money(*late),
                        Cell::Money(r.total_outstanding),
                    ]
                })
                .collect(),
        ),
        section(
            &format!("Failed payments by reason, {}", short_label(f.month)),
            vec![col("Reason", Kind::Text, 24.0), col("Payments", Kind::Text, 10.0)],
            f.failures.iter().map(|(r, n)| vec![text(r.clone()), text(n.to_string())]).collect(),
        ),
        section(
            "Open disputes by reason",
            vec![
                col("Reason", Kind::Text, 24.0),
                col("Disputes", Kind::Text, 10.0),
                col("Amount", Kind::Money, 16.0),
            ],
            f.disputes
                .iter()
                .map(|(r, n, a)| vec![text(r.clone()), text(n.to_string()), Cell::Money(*a)])
                .collect(),
        ),
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};
    use rust_decimal_macros::dec;

    use super::*;
    use crate::periods::month_range;
    use crate::reports::management::tiles::Unit;

    pub(crate) fn sample() -> (ManagementFigures, Stamp) {
        let month = month_range(2025, 12);
        let tile = |label, unit, last: Decimal| Tile {
            label,
            field: "f",
            unit,
            months: (0..13).map(|i| last - Decimal::from(12 - i)).collect(),
        };
        let figures = ManagementFigures {
            month,
            month_labels: (0..13).map(|i| format!("M{i}")).collect(),
            tiles: vec![
                tile("Revenue", Unit::Money, dec!(1234.5)),
                tile("Collection rate", Unit::Percent, dec!(66.67)),
                tile("DSO", Unit::Days, dec!(31.2)),
            ],
            revenue_by_day: BTreeMap::from([(month.from, dec!(100)), (month.to, dec!(250))]),
            previous_by_day: BTreeMap::from([(1, dec!(80))]),
            aging: vec![
                (
                    months_before(month, 1).to,
                    vec![("Current".into(), dec!(10)), ("1-30 days".into(), dec!(5))],
                ),
                (month.to, vec![("Current".into(), dec!(20)), ("1-30 days".into(), dec!(0))]),
            ],
            products: vec![("Gadget".into(), dec!(300)), ("Other".into(), dec!(20))],
            top_customers: Vec::new(),
            overdue: Vec::new(),
            failures: vec![("card_declined".into(), 2)],
            disputes: Vec::new(),
        };
        let stamp = Stamp {
            tenant: "t".into(),
            month,
            currency: "USD".into(),
            time_zone: "Europe/Paris".into(),
            data_through: Some(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 0).unwrap()),
            generated_at: Utc.with_ymd_and_hms(2026, 1, 5, 13, 0, 0).unwrap(),
        };
        (figures, stamp)
    }

    fn texts(page: &[Op]) -> Vec<&str> {
        page.iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn tiles_and_charts_first_then_tables_then_definitions() {
        let (figures, stamp) = sample();
        let layout = lay_out(&figures, &stamp);
        assert_eq!(layout.pages.len(), 4);
        let first = texts(&layout.pages[0]);
        for expected in
            ["1,234.50", "66.67%", "31.2 days", "vs Nov 2025: +0.1%", "vs Dec 2024: +1.0%"]
        {
            assert!(first.contains(&expected), "{expected} not on page 1: {first:?}");
        }
        assert!(first.iter().any(|t| t.contains("Data through: 2026-01-02 03:04 UTC")));
        // The value axis of revenue by day is labelled up to its top tick.
        assert!(first.contains(&"300.00"), "{first:?}");
        let trend_lines = layout.pages[0]
            .iter()
            .filter(|op| matches!(op, Op::Line { points, width, .. } if points.len() == 12 && *width == 1.0))
            .count();
        assert_eq!(trend_lines, 3, "one trend line per tile");
        let second = texts(&layout.pages[1]);
        assert!(second.contains(&"Gadget") && second.contains(&"20.00"), "{second:?}");
        let stacked = layout.pages[1]
            .iter()
            .filter(|op| matches!(op, Op::Fill { h, .. } if *h > 0.0))
            .count();
        assert!(stacked >= 3 + 2 + 2, "three bucket segments, two legend keys, two product bars");
        assert!(texts(&layout.pages[2]).contains(&"card_declined"));
        assert!(texts(&layout.pages[3]).contains(&"Definitions"));
        assert!(render(&figures, &stamp).unwrap().starts_with(b"%PDF-"));
    }
}
