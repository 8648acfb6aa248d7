//! Reports a manager would print: A4 landscape, a title, who and when, a
//! summary block, the day-by-day chart (bars and rules drawn on the
//! page), then tables that break across pages with their header rows
//! repeated, and page numbers. Text is set in DejaVu Sans (`font`), each
//! document embedding the glyphs it uses: names in Latin, Greek or Cyrillic
//! print and extract as written.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use rust_decimal::Decimal;

use super::ExportError;
use super::chart;
use super::font::{Embedded, GlyphSet, Style, deflate};
use super::table::{Cell, Column, Kind, Row, Summary, TableSpec};
use crate::periods::DateRange;

const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;
const MARGIN: f32 = 36.0;
const ROW_H: f32 = 14.0;
const TABLE_FONT: f32 = 8.0;
const TOP: f32 = PAGE_H - MARGIN - 10.0;
const BOTTOM: f32 = MARGIN + 20.0;

/// Most rows an export's table prints; the summary and chart still cover
/// every row, and the report says how many it left to the CSV and Excel
/// files.
pub const MAX_TABLE_ROWS: usize = 20_000;

/// Who and what an export report is for.
#[derive(Debug, Clone)]
pub struct ReportInfo {
    pub tenant: String,
    pub period: DateRange,
    pub generated_at: String,
    pub currency: String,
}

/// A table of a document.
#[derive(Debug, Clone)]
pub struct Section {
    pub heading: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// A line printed under the table.
    pub note: Option<String>,
}

/// The bar chart of a document's first page.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub period: DateRange,
    pub by_day: BTreeMap<NaiveDate, Decimal>,
    pub currency: String,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub title: String,
    pub subtitle: String,
    pub summary: Vec<String>,
    pub chart: Option<Chart>,
    pub sections: Vec<Section>,
}

/// Width of `text` at `size` points in the regular font.
fn text_width(text: &str, size: f32) -> f32 {
    Style::Regular.font().width(text, size)
}

/// `1234567.8` as `1,234,567.80`.
pub fn amount(value: Decimal) -> String {
    let text = format!("{:.2}", crate::money::round(value, 2));
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{cents}")
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Money(m) => amount(*m),
        other => other.display(),
    }
}

/// Cuts text to a width, ending with an ellipsis.
fn fit(text: &str, width: f32, size: f32, style: Style) -> String {
    let font = style.font();
    if font.width(text, size) <= width {
        return text.to_owned();
    }
    let mut kept: String = text.to_owned();
    let ellipsis = font.width("…", size);
    while kept.pop().is_some() {
        if font.width(&kept, size) + ellipsis <= width {
            break;
        }
    }
    kept.push('…');
    kept
}

/// What a page shows, laid out before the PDF is written (points, origin
/// at the page's bottom-left corner).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Text {
        style: Style,
        size: f32,
        x: f32,
        y: f32,
        text: String,
    },
    Rule {
        y: f32,
        gray: f32,
        width: f32,
    },
    Chart {
        y: f32,
    },
    /// A polyline stroked in a colour.
    Line {
        points: Vec<(f32, f32)>,
        rgb: [f32; 3],
        width: f32,
    },
    /// A filled rectangle: left, bottom, width, height.
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        rgb: [f32; 3],
    },
    /// A rectangle's outline.
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: f32,
    },
}

/// Pages being laid out, and the height the next line goes at.
pub struct Layout {
    pub pages: Vec<Vec<Op>>,
    pub y: f32,
}

/// The page's size and margin, for documents that lay out their own pages.
pub const PAGE: (f32, f32) = (PAGE_W, PAGE_H);
pub const PAGE_MARGIN: f32 = MARGIN;
pub const PAGE_TOP: f32 = TOP;

impl Layout {
    pub fn new() -> Self {
        Layout { pages: vec![Vec::new()], y: PAGE_H - MARGIN - 18.0 }
    }
    pub fn push(&mut self, op: Op) {
        self.page().push(op);
    }
    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }
    pub fn text(&mut self, style: Style, size: f32, x: f32, y: f32, text: impl Into<String>) {
        self.page().push(Op::Text { style, size, x, y, text: text.into() });
    }
    /// Text ending at `right`.
    pub fn text_right(
        &mut self,
        style: Style,
        size: f32,
        right: f32,
        y: f32,
        text: impl Into<String>,
    ) {
        let text = text.into();
        let x = right - style.font().width(&text, size);
        self.text(style, size, x, y, text);
    }
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }
    fn header(&mut self, columns: &[Column], xs: &[(f32, f32)]) {
        for (column, (cx, cw)) in columns.iter().zip(xs) {
            let text = fit(column.header, cw - 4.0, TABLE_FONT, Style::Bold);
            let tx = if column.kind == Kind::Money {
                cx + cw - 2.0 - Style::Bold.font().width(&text, TABLE_FONT)
            } else {
                cx + 2.0
            };
            let y = self.y;
            self.text(Style::Bold, TABLE_FONT, tx, y, text);
        }
        let y = self.y - 4.0;
        let width = xs.last().map_or(0.0, |(x, w)| x + w - MARGIN);
        self.page().push(Op::Rule { y, gray: 0.2, width });
        self.y -= ROW_H;
    }
}

fn column_positions(columns: &[Column]) -> Vec<(f32, f32)> {
    let usable = PAGE_W - 2.0 * MARGIN;
    let total: f64 = columns.iter().map(|c| c.width).sum::<f64>().max(1.0);
    // At most 7 pt per width unit: narrow tables stay narrow.
    let unit = (usable / total as f32).min(7.0);
    let mut x = MARGIN;
    columns
        .iter()
        .map(|c| {
            let w = unit * c.width as f32;
            let at = (x, w);
            x += w;
            at
        })
        .collect()
}

fn lay_out(doc: &Document) -> Layout {
    let mut l = Layout::new();
    l.text(Style::Bold, 18.0, MARGIN, l.y, doc.title.as_str());
    l.y -= 18.0;
    l.text(Style::Regular, 10.0, MARGIN, l.y, doc.subtitle.as_str());
    l.y -= 22.0;
    if !doc.summary.is_empty() {
        l.text(Style::Bold, 11.0, MARGIN, l.y, "Summary");
        l.y -= 14.0;
        for line in &doc.summary {
            l.text(Style::Regular, 9.0, MARGIN, l.y, line.as_str());
            l.y -= 12.0;
        }
        l.y -= 8.0;
    }
    if let Some(chart) = &doc.chart {
        let shapes = chart::bars(chart.period, &chart.by_day);
        let label =
            format!("{} (scale 0 to {} {})", chart.title, amount(shapes.max), chart.currency);
        l.text(Style::Bold, 10.0, MARGIN, l.y, label);
        l.y -= 6.0 + chart::HEIGHT;
        let y = l.y;
        l.page().push(Op::Chart { y });
        l.y -= 10.0;
        l.text(Style::Regular, 7.0, MARGIN, l.y, chart.period.from.to_string());
        l.text(Style::Regular, 7.0, MARGIN + chart::WIDTH - 40.0, l.y, chart.period.to.to_string());
        l.y -= 22.0;
    }
    l.sections(&doc.sections);
    l
}

impl Layout {
    /// Tables, each under its heading, breaking across pages with their
    /// header rows repeated.
    pub fn sections(&mut self, sections: &[Section]) {
        let l = self;
        for section in sections {
            let xs = column_positions(&section.columns);
            let needed = if section.heading.is_some() { 3.0 } else { 2.0 } * ROW_H;
            if l.y - needed < BOTTOM {
                l.new_page();
            }
            if let Some(heading) = &section.heading {
                l.text(Style::Bold, 11.0, MARGIN, l.y, heading.as_str());
                l.y -= ROW_H + 2.0;
            }
            l.header(&section.columns, &xs);
            for row in &section.rows {
                if l.y < BOTTOM {
                    l.new_page();
                    l.header(&section.columns, &xs);
                }
                for ((cell, column), (cx, cw)) in row.iter().zip(&section.columns).zip(&xs) {
                    let text = fit(&cell_text(cell), cw - 4.0, TABLE_FONT, Style::Regular);
                    let tx = if column.kind == Kind::Money {
                        cx + cw - 2.0 - text_width(&text, TABLE_FONT)
                    } else {
                        cx + 2.0
                    };
                    let y = l.y;
                    l.text(Style::Regular, TABLE_FONT, tx, y, text);
                }
                let y = l.y - 4.0;
                let width = xs.last().map_or(0.0, |(x, w)| x + w - MARGIN);
                l.page().push(Op::Rule { y, gray: 0.85, width });
                l.y -= ROW_H;
            }
            if let Some(note) = &section.note {
                if l.y < BOTTOM {
                    l.new_page();
                }
                let y = l.y;
                l.text(Style::Bold, 9.0, MARGIN, y, note.as_str());
                l.y -= ROW_H;
            }
            l.y -= 10.0;
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Self::new()
    }
}

/// The footer of page `index` (from 0) of `pages`.
fn footer(title: &str, index: usize, pages: usize) -> String {
    format!("{title} - page {} of {pages}", index + 1)
}

/// The document as PDF bytes.
pub fn render(doc: &Document) -> Result<Vec<u8>, ExportError> {
    let chart_shapes = doc.chart.as_ref().map(|chart| chart::bars(chart.period, &chart.by_day));
    render_layout(&doc.title, &lay_out(doc), chart_shapes.as_ref())
}

/// Laid-out pages as PDF bytes, each with a footer naming `title` and the
/// page; `chart` is what the pages' [`Op::Chart`] draw.
pub fn render_layout(
    title: &str,
    layout: &Layout,
    chart_shapes: Option<&chart::Bars>,
) -> Result<Vec<u8>, ExportError> {
    let pages = layout.pages.len();
    let footers: Vec<String> = (0..pages).map(|i| footer(title, i, pages)).collect();
    let (mut regular, mut bold) = (GlyphSet::default(), GlyphSet::default());
    for op in layout.pages.iter().flatten() {
        if let Op::Text { style, text, .. } = op {
            match style {
                Style::Regular => regular.add(style.font(), text),
                Style::Bold => bold.add(style.font(), text),
            }
        }
    }
    for text in &footers {
        regular.add(Style::Regular.font(), text);
    }
    let fonts = [Embedded::new(Style::Regular, regular), Embedded::new(Style::Bold, bold)];

    let mut next_id = 1;
    let mut alloc = || {
        let r = Ref::new(next_id);
        next_id += 1;
        r
    };
    let (catalog, tree) = (alloc(), alloc());
    let font_refs: Vec<[Ref; 5]> =
        fonts.iter().map(|_| [alloc(), alloc(), alloc(), alloc(), alloc()]).collect();
    let mut pdf = Pdf::new();
    let page_refs: Vec<(Ref, Ref)> = (0..pages).map(|_| (alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_refs.iter().map(|(p, _)| *p)).count(pages as i32);
    for (font, refs) in fonts.iter().zip(&font_refs) {
        font.write(&mut pdf, *refs)?;
    }
    let font_of = |style: Style| match style {
        Style::Regular => (Name(b"F1"), &fonts[0]),
        Style::Bold => (Name(b"F2"), &fonts[1]),
    };

    for ((ops, (page_ref, content_ref)), footer) in
        layout.pages.iter().zip(&page_refs).zip(&footers)
    {
        let mut content = Content::new();
        for op in ops {
            match op {
                Op::Text { style, size, x, y, text } => {
                    let (name, font) = font_of(*style);
                    content
                        .set_fill_gray(0.0)
                        .begin_text()
                        .set_font(name, *size)
                        .next_line(*x, *y)
                        .show(Str(&font.encode(text)))
                        .end_text();
                }
                Op::Rule { y, gray, width } => {
                    content
                        .set_stroke_rgb(*gray, *gray, *gray)
                        .set_line_width(0.5)
                        .move_to(MARGIN, *y)
                        .line_to(MARGIN + *width, *y)
                        .stroke();
                }
                Op::Chart { y } => {
                    if let Some(shapes) = chart_shapes {
                        draw_chart(&mut content, shapes, *y);
                    }
                }
                Op::Line { points, rgb, width } => {
                    let [r, g, b] = *rgb;
                    content.set_stroke_rgb(r, g, b).set_line_width(*width);
                    for (i, (x, y)) in points.iter().enumerate() {
                        match i {
                            0 => content.move_to(*x, *y),
                            _ => content.line_to(*x, *y),
                        };
                    }
                    content.stroke();
                }
                Op::Fill { x, y, w, h, rgb } => {
                    let [r, g, b] = *rgb;
                    content.set_fill_rgb(r, g, b).rect(*x, *y, *w, *h).fill_nonzero();
                }
                Op::Frame { x, y, w, h, gray } => {
                    content
                        .set_stroke_rgb(*gray, *gray, *gray)
                        .set_line_width(0.75)
                        .rect(*x, *y, *w, *h)
                        .stroke();
                }
            }
        }
        let (name, font) = font_of(Style::Regular);
        content
            .set_fill_gray(0.0)
            .begin_text()
            .set_font(name, 8.0)
            .next_line(MARGIN, MARGIN - 12.0)
            .show(Str(&font.encode(footer)))
            .end_text();

        let mut page = pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).parent(tree).contents(*content_ref);
        let mut resources = page.resources();
        resources.fonts().pair(Name(b"F1"), font_refs[0][0]).pair(Name(b"F2"), font_refs[1][0]);
        resources.finish();
        page.finish();
        pdf.stream(*content_ref, &deflate(&content.finish())?).filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

/// The chart's gridlines, bars and baseline with its bottom-left corner at
/// (`MARGIN`, `bottom`).
fn draw_chart(content: &mut Content, shapes: &chart::Bars, bottom: f32) {
    content.save_state();
    content.transform([1.0, 0.0, 0.0, 1.0, MARGIN, bottom]);
    content.set_stroke_rgb(0.867, 0.867, 0.867).set_line_width(0.5);
    for &y in &shapes.gridlines {
        content.move_to(0.0, y).line_to(chart::WIDTH, y);
    }
    content.stroke();
    content.set_fill_rgb(0.184, 0.427, 0.71);
    for bar in &shapes.bars {
        content.rect(bar.x, bar.y, bar.width, bar.height);
    }
    content.fill_nonzero();
    content
        .set_stroke_rgb(0.2, 0.2, 0.2)
        .set_line_width(1.0)
        .move_to(0.0, 0.0)
        .line_to(chart::WIDTH, 0.0)
        .stroke();
    content.restore_state();
}

/// An export's report: summary and chart over every row, the table of the
/// first [`MAX_TABLE_ROWS`].
pub fn report(
    spec: &TableSpec,
    info: &ReportInfo,
    summary: &Summary,
    rows: &[Row],
) -> Result<Vec<u8>, ExportError> {
    let printed = rows.len().min(MAX_TABLE_ROWS);
    let all = (summary.rows as usize).max(rows.len());
    let charted: Decimal = summary.by_day.values().sum();
    let statuses: Vec<String> = spec
        .statuses
        .iter()
        .map(|s| {
            let (n, a) = summary.by_status.get(*s).cloned().unwrap_or_default();
            format!("{s}: {n} ({})", amount(a))
        })
        .collect();
    let doc = Document {
        title: format!("{} report", spec.title),
        subtitle: format!(
            "Tenant: {}    Period: {} to {}    Currency: {}    Generated: {}",
            info.tenant, info.period.from, info.period.to, info.currency, info.generated_at
        ),
        summary: vec![
            format!(
                "{} rows    Total of all rows: {} {}    {} in all: {} {}",
                summary.rows,
                amount(summary.total),
                info.currency,
                spec.chart_title,
                amount(charted),
                info.currency
            ),
            statuses.join("    "),
        ],
        chart: Some(Chart {
            title: spec.chart_title.to_owned(),
            period: info.period,
            by_day: summary.by_day.clone(),
            currency: info.currency.clone(),
        }),
        sections: vec![Section {
            heading: None,
            columns: spec.columns.clone(),
            rows: rows[..printed].to_vec(),
            note: (all > printed).then(|| {
                format!("Showing the first {printed} of {all} rows; the CSV and Excel exports hold every row.")
            }),
        }],
    };
    render(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_group_thousands() {
        assert_eq!(amount(dec!(1234567.8)), "1,234,567.80");
        assert_eq!(amount(dec!(-1000)), "-1,000.00");
        assert_eq!(amount(dec!(12.345)), "12.35");
        assert_eq!(amount(dec!(0)), "0.00");
    }

    #[test]
    fn long_text_is_cut_to_its_column_with_an_ellipsis() {
        let cut = fit("Αθηνά Εμπορική Ανώνυμη Εταιρεία", 60.0, TABLE_FONT, Style::Regular);
        assert!(cut.ends_with('…') && cut.starts_with("Αθηνά"), "{cut}");
        assert!(text_width(&cut, TABLE_FONT) <= 60.0);
        assert_eq!(fit("Łódź", 60.0, TABLE_FONT, Style::Regular), "Łódź");
    }

    #[test]
    fn long_tables_break_across_pages_with_their_header_repeated() {
        let columns = vec![Column { header: "Number", kind: Kind::Text, width: 10.0 }];
        let rows: Vec<Row> = (0..100).map(|i| vec![Cell::Text(format!("R{i}"))]).collect();
        let doc = Document {
            title: "T".into(),
            subtitle: "S".into(),
            summary: vec![],
            chart: None,
            sections: vec![Section { heading: Some("Rows".into()), columns, rows, note: None }],
        };
        let layout = lay_out(&doc);
        assert_eq!(layout.pages.len(), 3);
        for page in &layout.pages {
            let headers = page
                .iter()
                .filter(|op| matches!(op, Op::Text { style: Style::Bold, text, .. } if text == "Number"))
                .count();
            assert_eq!(headers, 1, "every page repeats the header row");
        }
        let rows_printed: usize = layout
            .pages
            .iter()
            .flatten()
            .filter(|op| matches!(op, Op::Text { style: Style::Regular, text, .. } if text.starts_with('R')))
            .count();
        assert_eq!(rows_printed, 100);
        assert!(render(&doc).unwrap().starts_with(b"%PDF-"));
    }
}
