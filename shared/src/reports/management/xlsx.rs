//! The management report as an Excel workbook: the PDF's figures on sheets
//! of their own, numbers as numbers (amounts in the tenant's currency
//! format), and native Excel charts drawn from those cells (rust_xlsxwriter
//! writes the chart parts: no picture of a chart).

use chrono::Datelike;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Chart, ChartType, Format as CellFormat, FormatAlign, Workbook, Worksheet, XlsxError,
};

use super::Stamp;
use super::definitions::DEFINITIONS;
use super::figures::{ManagementFigures, months_before, short_label};
use super::pdf::tables;
use super::tiles::{Change, Tile, Unit};
use crate::exports::pdf_report::Section;
use crate::exports::xlsx_file::{currency_format, write_cells};
use crate::exports::{ExportError, Format};

fn err(e: XlsxError) -> ExportError {
    ExportError::write(Format::Excel, e)
}

fn number(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

struct Formats {
    header: CellFormat,
    money: CellFormat,
    date: CellFormat,
    percent: CellFormat,
    count: CellFormat,
    days: CellFormat,
    change_percent: CellFormat,
    change_points: CellFormat,
}

impl Formats {
    fn of(currency: &str) -> Self {
        Formats {
            header: CellFormat::new().set_bold().set_align(FormatAlign::Center),
            money: CellFormat::new().set_num_format(currency_format(currency)),
            date: CellFormat::new().set_num_format("yyyy-mm-dd"),
            percent: CellFormat::new().set_num_format("0.00\"%\""),
            count: CellFormat::new().set_num_format("#,##0"),
            days: CellFormat::new().set_num_format("0.0\" days\""),
            change_percent: CellFormat::new().set_num_format("+0.0\"%\";-0.0\"%\";0.0\"%\""),
            change_points: CellFormat::new().set_num_format("+0.0\" pp\";-0.0\" pp\";0.0\" pp\""),
        }
    }
    fn of_unit(&self, unit: Unit) -> &CellFormat {
        match unit {
            Unit::Money => &self.money,
            Unit::Count => &self.count,
            Unit::Percent => &self.percent,
            Unit::Days => &self.days,
        }
    }
}

fn headers(sheet: &mut Worksheet, names: &[&str], f: &Formats) -> Result<(), ExportError> {
    for (c, name) in names.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &f.header).map_err(err)?;
        sheet.set_column_width(c as u16, 16).map_err(err)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    Ok(())
}

fn write_change(
    sheet: &mut Worksheet,
    r: u32,
    c: u16,
    change: Change,
    f: &Formats,
) -> Result<(), ExportError> {
    match change {
        Change::Percent(p) => sheet.write_number_with_format(r, c, number(p), &f.change_percent),
        Change::Points(p) => sheet.write_number_with_format(r, c, number(p), &f.change_points),
        Change::FromZero => sheet.write_string(r, c, "new"),
    }
    .map_err(err)?;
    Ok(())
}

/// The workbook's bytes.
pub fn render(figures: &ManagementFigures, stamp: &Stamp) -> Result<Vec<u8>, ExportError> {
    let f = Formats::of(&stamp.currency);
    let mut book = Workbook::new();
    summary(book.add_worksheet(), figures, stamp, &f)?;
    trend(book.add_worksheet(), figures, &f)?;
    by_day(book.add_worksheet(), figures, &f)?;
    aging(book.add_worksheet(), figures, &f)?;
    products(book.add_worksheet(), figures, &f)?;
    let names = ["Top customers", "Overdue balances", "Failed payments", "Open disputes"];
    for (name, section) in names.iter().zip(tables(figures)) {
        table(book.add_worksheet(), name, &section, &f)?;
    }
    let sheet = book.add_worksheet();
    sheet.set_name("Definitions").map_err(err)?;
    headers(sheet, &["Figure", "Definition"], &f)?;
    sheet.set_column_width(1, 110).map_err(err)?;
    for (r, (name, definition)) in DEFINITIONS.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *name).map_err(err)?;
        sheet.write_string(r, 1, *definition).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

fn summary(
    sheet: &mut Worksheet,
    fig: &ManagementFigures,
    stamp: &Stamp,
    f: &Formats,
) -> Result<(), ExportError> {
    sheet.set_name("Summary").map_err(err)?;
    let this = short_label(fig.month);
    let previous = short_label(months_before(fig.month, 1));
    let last_year = short_label(months_before(fig.month, 12));
    let (change_prev, change_year) =
        (format!("Change vs {previous}"), format!("Change vs {last_year}"));
    let names = ["Figure", &this, &previous, &change_prev, &last_year, &change_year, "API field"];
    headers(sheet, &names, f)?;
    sheet.set_column_width(6, 40).map_err(err)?;
    sheet.set_column_width(0, 26).map_err(err)?;
    for (r, tile) in fig.tiles.iter().enumerate() {
        let r = r as u32 + 1;
        let format = f.of_unit(tile.unit);
        sheet.write_string(r, 0, tile.label).map_err(err)?;
        sheet.write_string(r, 6, tile.field).map_err(err)?;
        sheet.write_number_with_format(r, 1, number(tile.value()), format).map_err(err)?;
        if let Some(base) = tile.previous() {
            sheet.write_number_with_format(r, 2, number(base), format).map_err(err)?;
            write_change(sheet, r, 3, tile.change_from(base), f)?;
        }
        if let Some(base) = tile.last_year() {
            sheet.write_number_with_format(r, 4, number(base), format).map_err(err)?;
            write_change(sheet, r, 5, tile.change_from(base), f)?;
        }
    }
    let below = fig.tiles.len() as u32 + 2;
    for (i, (name, value)) in stamp.fields().into_iter().enumerate() {
        sheet.write_string(below + i as u32, 0, name).map_err(err)?;
        sheet.write_string(below + i as u32, 1, value).map_err(err)?;
    }
    Ok(())
}

fn trend(sheet: &mut Worksheet, fig: &ManagementFigures, f: &Formats) -> Result<(), ExportError> {
    sheet.set_name("Trend").map_err(err)?;
    let mut names = vec!["Month"];
    names.extend(fig.tiles.iter().map(|t| t.label));
    headers(sheet, &names, f)?;
    for (r, label) in fig.month_labels.iter().enumerate() {
        sheet.write_string(r as u32 + 1, 0, label).map_err(err)?;
    }
    for (c, tile) in fig.tiles.iter().enumerate() {
        write_tile_column(sheet, c as u16 + 1, tile, f)?;
    }
    let last = fig.month_labels.len() as u32;
    let mut chart = Chart::new(ChartType::Line);
    chart
        .add_series()
        .set_name(("Trend", 0, 1))
        .set_categories(("Trend", 1, 0, last, 0))
        .set_values(("Trend", 1, 1, last, 1));
    chart.title().set_name("Revenue by month");
    chart.y_axis().set_name("Revenue").set_major_gridlines(true);
    chart.x_axis().set_name("Month");
    chart.legend().set_hidden();
    sheet.insert_chart(last + 2, 1, &chart).map_err(err)?;
    Ok(())
}

fn write_tile_column(
    sheet: &mut Worksheet,
    c: u16,
    tile: &Tile,
    f: &Formats,
) -> Result<(), ExportError> {
    for (r, value) in tile.months.iter().enumerate() {
        sheet
            .write_number_with_format(r as u32 + 1, c, number(*value), f.of_unit(tile.unit))
            .map_err(err)?;
    }
    Ok(())
}

fn by_day(sheet: &mut Worksheet, fig: &ManagementFigures, f: &Formats) -> Result<(), ExportError> {
    sheet.set_name("Revenue by day").map_err(err)?;
    let this = short_label(fig.month);
    let previous = short_label(months_before(fig.month, 1));
    headers(sheet, &["Date", "Day", &this, &previous], f)?;
    let days: Vec<_> = fig.month.iter_days().collect();
    for (i, day) in days.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_datetime_with_format(r, 0, day, &f.date).map_err(err)?;
        sheet.write_number(r, 1, day.day()).map_err(err)?;
        let revenue = fig.revenue_by_day.get(day).copied().unwrap_or_default();
        sheet.write_number_with_format(r, 2, number(revenue), &f.money).map_err(err)?;
        if let Some(v) = fig.previous_by_day.get(&day.day()) {
            sheet.write_number_with_format(r, 3, number(*v), &f.money).map_err(err)?;
        }
    }
    let last = days.len() as u32;
    let mut chart = Chart::new(ChartType::Line);
    for c in [2u16, 3] {
        chart
            .add_series()
            .set_name(("Revenue by day", 0, c))
            .set_categories(("Revenue by day", 1, 1, last, 1))
            .set_values(("Revenue by day", 1, c, last, c));
    }
    chart.title().set_name("Revenue by day");
    chart.y_axis().set_name("Revenue").set_major_gridlines(true);
    chart.x_axis().set_name("Day of month");
    sheet.insert_chart(1, 5, &chart).map_err(err)?;
    Ok(())
}

fn aging(sheet: &mut Worksheet, fig: &ManagementFigures, f: &Formats) -> Result<(), ExportError> {
    sheet.set_name("Aging").map_err(err)?;
    let labels: Vec<String> = fig
        .aging
        .first()
        .map(|(_, b)| b.iter().map(|(l, _)| l.clone()).collect())
        .unwrap_or_default();
    let mut names = vec!["Month end"];
    names.extend(labels.iter().map(String::as_str));
    names.push("Total");
    headers(sheet, &names, f)?;
    for (i, (end, buckets)) in fig.aging.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_datetime_with_format(r, 0, end, &f.date).map_err(err)?;
        for (c, (_, amount)) in buckets.iter().enumerate() {
            sheet
                .write_number_with_format(r, c as u16 + 1, number(*amount), &f.money)
                .map_err(err)?;
        }
        let total: Decimal = buckets.iter().map(|(_, a)| *a).sum();
        sheet
            .write_number_with_format(r, labels.len() as u16 + 1, number(total), &f.money)
            .map_err(err)?;
    }
    let last = fig.aging.len() as u32;
    let mut chart = Chart::new(ChartType::ColumnStacked);
    for c in 1..=labels.len() as u16 {
        chart
            .add_series()
            .set_name(("Aging", 0, c))
            .set_categories(("Aging", 1, 0, last, 0))
            .set_values(("Aging", 1, c, last, c));
    }
    chart.title().set_name("Receivables aging at month end");
    chart.y_axis().set_name("Outstanding").set_major_gridlines(true);
    sheet.insert_chart(last + 2, 1, &chart).map_err(err)?;
    Ok(())
}

fn products(
    sheet: &mut Worksheet,
    fig: &ManagementFigures,
    f: &Formats,
) -> Result<(), ExportError> {
    sheet.set_name("Products").map_err(err)?;
    headers(sheet, &["Product", "Revenue"], f)?;
    sheet.set_column_width(0, 34).map_err(err)?;
    for (i, (name, revenue)) in fig.products.iter().enumerate() {
        sheet.write_string(i as u32 + 1, 0, name).map_err(err)?;
        sheet.write_number_with_format(i as u32 + 1, 1, number(*revenue), &f.money).map_err(err)?;
    }
    let last = fig.products.len().max(1) as u32;
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name(("Products", 0, 1))
        .set_categories(("Products", 1, 0, last, 0))
        .set_values(("Products", 1, 1, last, 1));
    chart.title().set_name("Revenue by product (top 10 and other)");
    chart.x_axis().set_name("Revenue").set_major_gridlines(true);
    chart.y_axis().set_reverse();
    chart.legend().set_hidden();
    sheet.insert_chart(1, 3, &chart).map_err(err)?;
    Ok(())
}

fn table(
    sheet: &mut Worksheet,
    name: &str,
    section: &Section,
    f: &Formats,
) -> Result<(), ExportError> {
    sheet.set_name(name).map_err(err)?;
    let names: Vec<&str> = section.columns.iter().map(|c| c.header).collect();
    headers(sheet, &names, f)?;
    for (c, column) in section.columns.iter().enumerate() {
        sheet.set_column_width(c as u16, column.width.max(10.0)).map_err(err)?;
    }
    for (r, row) in section.rows.iter().enumerate() {
        write_cells(sheet, r as u32 + 1, row, &f.money, &f.date)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::io::Read;

    use super::*;

    #[test]
    fn sheets_hold_numbers_and_native_charts() {
        let (figures, stamp) = crate::reports::management::pdf::tests::sample();
        let bytes = render(&figures, &stamp).unwrap();
        let mut zip = zip_names(&bytes);
        zip.sort();
        let charts: Vec<&String> =
            zip.iter().filter(|n| n.starts_with("xl/charts/chart")).collect();
        assert_eq!(charts.len(), 4, "trend, by day, aging, products: {zip:?}");
        assert!(!zip.iter().any(|n| n.starts_with("xl/media/")), "no pictures: {zip:?}");
        let mut sheet = String::new();
        zip_file(&bytes, "xl/worksheets/sheet1.xml").read_to_string(&mut sheet).unwrap();
        assert!(sheet.contains("<v>1234.5</v>"), "the revenue tile as a number: {sheet}");
    }

    fn zip_names(bytes: &[u8]) -> Vec<String> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        archive.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect()
    }

    fn zip_file(bytes: &[u8], name: &str) -> Cursor<Vec<u8>> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        archive.by_name(name).unwrap().read_to_end(&mut out).unwrap();
        Cursor::new(out)
    }
}
