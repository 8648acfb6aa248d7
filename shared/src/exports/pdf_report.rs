//! A report a manager would print: A4 landscape, title, tenant, period, a
//! summary block, the day-by-day chart (SVG rendered into the PDF by
//! svg2pdf), and the table with page breaks, repeated headers and page
//! numbers. Text uses the PDF standard font Helvetica (WinAnsi encoding),
//! so nothing needs embedding and no C library is involved.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use rust_decimal::Decimal;

use super::chart;
use super::table::{Cell, Kind, Row, Summary, TableSpec};
use super::{ExportError, Format};
use crate::periods::DateRange;

const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;
const MARGIN: f32 = 36.0;
const ROW_H: f32 = 14.0;
const TABLE_FONT: f32 = 8.0;
const FIRST_TABLE_TOP: f32 = 250.0;
const OTHER_TABLE_TOP: f32 = PAGE_H - MARGIN - 10.0;
const TABLE_BOTTOM: f32 = MARGIN + 20.0;

/// Most table rows a report prints; the summary and chart still cover
/// every row, and the report says how many it left to the CSV and Excel
/// files.
pub const MAX_TABLE_ROWS: usize = 20_000;

/// Who and what the report is for.
#[derive(Debug, Clone)]
pub struct ReportInfo {
    pub tenant: String,
    pub period: DateRange,
    pub generated_at: String,
    pub currency: String,
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

struct Writer {
    content: Content,
}

impl Writer {
    fn text(&mut self, font: &[u8], size: f32, x: f32, y: f32, bytes: &[u8]) {
        self.content.begin_text().set_font(Name(font), size).next_line(x, y).show(Str(bytes)).end_text();
    }

    fn rule(&mut self, x1: f32, y: f32, x2: f32, gray: f32) {
        self.content.set_stroke_rgb(gray, gray, gray).set_line_width(0.5).move_to(x1, y).line_to(x2, y).stroke();
    }
}

/// Number of pages for `rows` table rows.
fn page_count(rows: usize) -> usize {
    let first = ((FIRST_TABLE_TOP - TABLE_BOTTOM) / ROW_H) as usize - 1;
    let other = ((OTHER_TABLE_TOP - TABLE_BOTTOM) / ROW_H) as usize - 1;
    1 + rows.saturating_sub(first).div_ceil(other)
}

/// The report as PDF bytes. `rows`: the table (at most [`MAX_TABLE_ROWS`]
/// are printed); `summary`: totals of every row of the export.
pub fn report(spec: &TableSpec, info: &ReportInfo, summary: &Summary, rows: &[Row]) -> Result<Vec<u8>, ExportError> {
    let printed = &rows[..rows.len().min(MAX_TABLE_ROWS)];
    let pages = page_count(printed.len());
    let mut next_id = 1;
    let mut alloc = || {
        let r = Ref::new(next_id);
        next_id += 1;
        r
    };
    let (catalog, tree, font, bold) = (alloc(), alloc(), alloc(), alloc());

    // The chart: SVG -> PDF form XObject.
    let (svg, max_day) = chart::bars_svg(info.period, &summary.by_day);
    let tree_svg = svg2pdf::usvg::Tree::from_str(&svg, &svg2pdf::usvg::Options::default())
        .map_err(|e| ExportError::write(Format::Pdf, e))?;
    let (chunk, chart_ref) = svg2pdf::to_chunk(&tree_svg, svg2pdf::ConversionOptions::default())
        .map_err(|e| ExportError::write(Format::Pdf, e))?;
    let mut map = std::collections::HashMap::new();
    let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(&mut alloc));
    let chart_ref = map.get(&chart_ref).copied().ok_or_else(|| ExportError::write(Format::Pdf, "chart reference"))?;

    let page_refs: Vec<(Ref, Ref)> = (0..pages).map(|_| (alloc(), alloc())).collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_refs.iter().map(|(p, _)| *p)).count(pages as i32);
    pdf.type1_font(font).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));

    let usable = PAGE_W - 2.0 * MARGIN;
    let total_width: f64 = spec.columns.iter().map(|c| c.width).sum();
    let mut xs = Vec::new();
    let mut x = MARGIN;
    for column in &spec.columns {
        let w = usable * (column.width / total_width) as f32;
        xs.push((x, w));
        x += w;
    }

    let mut remaining = printed.iter();
    for (index, (page_ref, content_ref)) in page_refs.iter().enumerate() {
        let mut w = Writer { content: Content::new() };
        let mut y = if index == 0 {
            let title = format!("{} report", spec.title);
            w.text(b"F2", 18.0, MARGIN, PAGE_H - MARGIN - 18.0, &win_ansi(&title));
            let line = format!(
                "Tenant: {}    Period: {} to {}    Currency: {}    Generated: {}",
                info.tenant, info.period.from, info.period.to, info.currency, info.generated_at
            );
            w.text(b"F1", 10.0, MARGIN, PAGE_H - MARGIN - 36.0, &win_ansi(&line));
            w.text(b"F2", 11.0, MARGIN, PAGE_H - MARGIN - 58.0, b"Summary");
            let charted: Decimal = summary.by_day.values().sum();
            let head = format!(
                "{} rows    Total of all rows: {} {}    {} in all: {} {}",
                summary.rows,
                amount(summary.total),
                info.currency,
                spec.chart_title,
                amount(charted),
                info.currency
            );
            w.text(b"F1", 10.0, MARGIN, PAGE_H - MARGIN - 72.0, &win_ansi(&head));
            let statuses: Vec<String> = spec
                .statuses
                .iter()
                .map(|s| {
                    let (n, a) = summary.by_status.get(*s).cloned().unwrap_or_default();
                    format!("{s}: {n} ({})", amount(a))
                })
                .collect();
            w.text(b"F1", 9.0, MARGIN, PAGE_H - MARGIN - 86.0, &win_ansi(&statuses.join("    ")));
            let label = format!("{} (scale 0 to {} {})", spec.chart_title, amount(max_day), info.currency);
            w.text(b"F2", 10.0, MARGIN, PAGE_H - MARGIN - 106.0, &win_ansi(&label));
            let chart_bottom = FIRST_TABLE_TOP + 30.0;
            w.content.save_state();
            w.content.transform([chart::WIDTH as f32, 0.0, 0.0, chart::HEIGHT as f32, MARGIN, chart_bottom]);
            w.content.x_object(Name(b"Chart"));
            w.content.restore_state();
            let first = info.period.from.to_string();
            let last = info.period.to.to_string();
            w.text(b"F1", 7.0, MARGIN, chart_bottom - 10.0, first.as_bytes());
            w.text(b"F1", 7.0, MARGIN + chart::WIDTH as f32 - 40.0, chart_bottom - 10.0, last.as_bytes());
            FIRST_TABLE_TOP
        } else {
            OTHER_TABLE_TOP
        };

        // Header row, repeated on every page.
        for (column, (cx, cw)) in spec.columns.iter().zip(&xs) {
            let bytes = fit(column.header, cw - 4.0, TABLE_FONT);
            let tx = if column.kind == Kind::Money { cx + cw - 2.0 - text_width(&bytes, TABLE_FONT) } else { cx + 2.0 };
            w.text(b"F2", TABLE_FONT, tx, y, &bytes);
        }
        w.rule(MARGIN, y - 4.0, PAGE_W - MARGIN, 0.2);
        y -= ROW_H;
        while y >= TABLE_BOTTOM {
            let Some(row) = remaining.next() else { break };
            for ((cell, column), (cx, cw)) in row.iter().zip(&spec.columns).zip(&xs) {
                let bytes = fit(&cell_text(cell), cw - 4.0, TABLE_FONT);
                let tx =
                    if column.kind == Kind::Money { cx + cw - 2.0 - text_width(&bytes, TABLE_FONT) } else { cx + 2.0 };
                w.text(b"F1", TABLE_FONT, tx, y, &bytes);
            }
            w.rule(MARGIN, y - 4.0, PAGE_W - MARGIN, 0.85);
            y -= ROW_H;
        }
        let all = (summary.rows as usize).max(rows.len());
        if index + 1 == pages && all > printed.len() {
            let note =
                format!("Showing the first {} of {all} rows; the CSV and Excel exports hold every row.", printed.len());
            w.text(b"F2", 9.0, MARGIN, TABLE_BOTTOM - 12.0, &win_ansi(&note));
        }
        let footer = format!("{} report - page {} of {}", spec.title, index + 1, pages);
        w.text(b"F1", 8.0, MARGIN, MARGIN - 12.0, &win_ansi(&footer));

        let mut page = pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).parent(tree).contents(*content_ref);
        let mut resources = page.resources();
        resources.fonts().pair(Name(b"F1"), font).pair(Name(b"F2"), bold);
        if index == 0 {
            resources.x_objects().pair(Name(b"Chart"), chart_ref);
        }
        resources.finish();
        page.finish();
        pdf.stream(*content_ref, &w.content.finish());
    }
    pdf.extend(&chunk);
    Ok(pdf.finish())
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
    fn pages_hold_the_rows() {
        assert_eq!(page_count(0), 1);
        let first = ((FIRST_TABLE_TOP - TABLE_BOTTOM) / ROW_H) as usize - 1;
        assert_eq!(page_count(first), 1);
        assert_eq!(page_count(first + 1), 2);
    }
}
