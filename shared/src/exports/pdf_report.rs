//! Reports a manager would print: A4 landscape, a title, who and when, a
//! summary block, the day-by-day chart (bars and rules drawn on the
//! page), then tables that break across pages with their header rows
//! repeated, and page numbers. Text uses the PDF standard fonts Helvetica
//! and Helvetica-Bold (WinAnsi encoding): nothing to embed, no C library.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rust_decimal::Decimal;

use super::ExportError;
use super::chart;
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

/// Text as WinAnsi bytes (Helvetica's encoding); other characters become '?'.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            _ => b'?',
        })
        .collect()
}

/// Helvetica advance widths (per 1000 em) of the characters amounts use.
fn char_width(c: u8) -> f32 {
    match c {
        b'0'..=b'9' => 556.0,
        b',' | b'.' | b' ' => 278.0,
        b'-' => 333.0,
        b'A'..=b'Z' => 667.0,
        b'i' | b'l' | b'j' => 222.0,
        b'm' | b'w' => 833.0,
        _ => 556.0,
    }
}

fn text_width(bytes: &[u8], size: f32) -> f32 {
    bytes.iter().map(|c| char_width(*c)).sum::<f32>() * size / 1000.0
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
fn fit(text: &str, width: f32, size: f32) -> Vec<u8> {
    let mut bytes = win_ansi(text);
    if text_width(&bytes, size) <= width {
        return bytes;
    }
    while !bytes.is_empty() && text_width(&bytes, size) + 556.0 * size / 1000.0 > width {
        bytes.pop();
    }
    bytes.push(0x85);
    bytes
}

/// What a page shows, laid out before the PDF is written.
enum Op {
    Text { bold: bool, size: f32, x: f32, y: f32, bytes: Vec<u8> },
    Rule { y: f32, gray: f32, width: f32 },
    Chart { y: f32 },
}

struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }
    fn text(&mut self, bold: bool, size: f32, x: f32, y: f32, bytes: Vec<u8>) {
        self.page().push(Op::Text { bold, size, x, y, bytes });
    }
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }
    fn header(&mut self, columns: &[Column], xs: &[(f32, f32)]) {
        for (column, (cx, cw)) in columns.iter().zip(xs) {
            let bytes = fit(column.header, cw - 4.0, TABLE_FONT);
            let tx = if column.kind == Kind::Money { cx + cw - 2.0 - text_width(&bytes, TABLE_FONT) } else { cx + 2.0 };
            let y = self.y;
            self.text(true, TABLE_FONT, tx, y, bytes);
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
    let mut l = Layout { pages: vec![Vec::new()], y: PAGE_H - MARGIN - 18.0 };
    l.text(true, 18.0, MARGIN, l.y, win_ansi(&doc.title));
    l.y -= 18.0;
    l.text(false, 10.0, MARGIN, l.y, win_ansi(&doc.subtitle));
    l.y -= 22.0;
    if !doc.summary.is_empty() {
        l.text(true, 11.0, MARGIN, l.y, b"Summary".to_vec());
        l.y -= 14.0;
        for line in &doc.summary {
            l.text(false, 9.0, MARGIN, l.y, win_ansi(line));
            l.y -= 12.0;
        }
        l.y -= 8.0;
    }
    if let Some(chart) = &doc.chart {
        let shapes = chart::bars(chart.period, &chart.by_day);
        let label = format!("{} (scale 0 to {} {})", chart.title, amount(shapes.max), chart.currency);
        l.text(true, 10.0, MARGIN, l.y, win_ansi(&label));
        l.y -= 6.0 + chart::HEIGHT;
        let y = l.y;
        l.page().push(Op::Chart { y });
        l.y -= 10.0;
        l.text(false, 7.0, MARGIN, l.y, chart.period.from.to_string().into_bytes());
        l.text(false, 7.0, MARGIN + chart::WIDTH - 40.0, l.y, chart.period.to.to_string().into_bytes());
        l.y -= 22.0;
    }
    for section in &doc.sections {
        let xs = column_positions(&section.columns);
        let needed = if section.heading.is_some() { 3.0 } else { 2.0 } * ROW_H;
        if l.y - needed < BOTTOM {
            l.new_page();
        }
        if let Some(heading) = &section.heading {
            l.text(true, 11.0, MARGIN, l.y, win_ansi(heading));
            l.y -= ROW_H + 2.0;
        }
        l.header(&section.columns, &xs);
        for row in &section.rows {
            if l.y < BOTTOM {
                l.new_page();
                l.header(&section.columns, &xs);
            }
            for ((cell, column), (cx, cw)) in row.iter().zip(&section.columns).zip(&xs) {
                let bytes = fit(&cell_text(cell), cw - 4.0, TABLE_FONT);
                let tx =
                    if column.kind == Kind::Money { cx + cw - 2.0 - text_width(&bytes, TABLE_FONT) } else { cx + 2.0 };
                let y = l.y;
                l.text(false, TABLE_FONT, tx, y, bytes);
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
            l.text(true, 9.0, MARGIN, y, win_ansi(note));
            l.y -= ROW_H;
        }
        l.y -= 10.0;
    }
    l
}

/// The document as PDF bytes.
pub fn render(doc: &Document) -> Result<Vec<u8>, ExportError> {
    let layout = lay_out(doc);
    let pages = layout.pages.len();
    let mut next_id = 1;
    let mut alloc = || {
        let r = Ref::new(next_id);
        next_id += 1;
        r
    };
    let (catalog, tree, font, bold) = (alloc(), alloc(), alloc(), alloc());
    let mut pdf = Pdf::new();
    let chart_shapes = doc.chart.as_ref().map(|chart| chart::bars(chart.period, &chart.by_day));
    let page_refs: Vec<(Ref, Ref)> = (0..pages).map(|_| (alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_refs.iter().map(|(p, _)| *p)).count(pages as i32);
    pdf.type1_font(font).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));

    for (index, (ops, (page_ref, content_ref))) in layout.pages.iter().zip(&page_refs).enumerate() {
        let mut content = Content::new();
        for op in ops {
            match op {
                Op::Text { bold, size, x, y, bytes } => {
                    let name = if *bold { Name(b"F2") } else { Name(b"F1") };
                    content.begin_text().set_font(name, *size).next_line(*x, *y).show(Str(bytes)).end_text();
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
                    if let Some(shapes) = &chart_shapes {
                        draw_chart(&mut content, shapes, *y);
                    }
                }
            }
        }
        let footer = win_ansi(&format!("{} - page {} of {}", doc.title, index + 1, pages));
        content.begin_text().set_font(Name(b"F1"), 8.0).next_line(MARGIN, MARGIN - 12.0).show(Str(&footer)).end_text();

        let mut page = pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).parent(tree).contents(*content_ref);
        let mut resources = page.resources();
        resources.fonts().pair(Name(b"F1"), font).pair(Name(b"F2"), bold);
        resources.finish();
        page.finish();
        pdf.stream(*content_ref, &content.finish());
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
    content.set_stroke_rgb(0.2, 0.2, 0.2).set_line_width(1.0).move_to(0.0, 0.0).line_to(chart::WIDTH, 0.0).stroke();
    content.restore_state();
}

/// An export's report: summary and chart over every row, the table of the
/// first [`MAX_TABLE_ROWS`].
pub fn report(spec: &TableSpec, info: &ReportInfo, summary: &Summary, rows: &[Row]) -> Result<Vec<u8>, ExportError> {
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
    fn text_is_win_ansi() {
        assert_eq!(win_ansi("Café €5 – ok ✓"), b"Caf\xe9 \x805 \x96 ok ?".to_vec());
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
            let headers =
                page.iter().filter(|op| matches!(op, Op::Text { bold: true, bytes, .. } if bytes == b"Number")).count();
            assert_eq!(headers, 1, "every page repeats the header row");
        }
        let rows_printed: usize = layout
            .pages
            .iter()
            .flatten()
            .filter(|op| matches!(op, Op::Text { bold: false, bytes, .. } if bytes.starts_with(b"R")))
            .count();
        assert_eq!(rows_printed, 100);
        assert!(render(&doc).unwrap().starts_with(b"%PDF-"));
    }
}
