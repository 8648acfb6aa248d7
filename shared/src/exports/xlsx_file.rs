//! Excel workbooks: numbers as numbers with the tenant's currency format,
//! dates as dates, the header row frozen and filtered, column widths set.
//! Worksheets are written in rust_xlsxwriter's constant-memory mode (rows go
//! to temporary files), and past Excel's 1 048 576 rows the rows continue on
//! further sheets.

use std::io::Write;

use rust_xlsxwriter::{Format as CellFormat, FormatAlign, Workbook, XlsxError};

use super::table::{Cell, Column, Row};
use super::{ExportError, Format};

/// Data rows per sheet: Excel's row limit less the header.
pub const ROWS_PER_SHEET: u32 = 1_048_575;

pub struct XlsxFile {
    workbook: Workbook,
    columns: Vec<Column>,
    sheet_name: String,
    sheets: usize,
    /// Data rows on the current sheet, and the most a sheet takes.
    rows: u32,
    rows_per_sheet: u32,
    header: CellFormat,
    money: CellFormat,
    date: CellFormat,
}

fn err(e: XlsxError) -> ExportError {
    ExportError::write(Format::Excel, e)
}

/// The number format of amounts in a currency (symbol where one is usual).
pub fn currency_format(currency: &str) -> String {
    let symbol = match currency {
        "USD" | "CAD" | "AUD" | "NZD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        "INR" => "₹",
        other => return format!("#,##0.00 \"{other}\""),
    };
    format!("\"{symbol}\"#,##0.00")
}

impl XlsxFile {
    pub fn new(columns: &[Column], sheet_name: &str, currency: &str) -> Result<Self, ExportError> {
        let mut file = XlsxFile {
            workbook: Workbook::new(),
            columns: columns.to_vec(),
            sheet_name: sheet_name.to_owned(),
            sheets: 0,
            rows: 0,
            rows_per_sheet: ROWS_PER_SHEET,
            header: CellFormat::new().set_bold().set_align(FormatAlign::Center),
            money: CellFormat::new().set_num_format(currency_format(currency)),
            date: CellFormat::new().set_num_format("yyyy-mm-dd"),
        };
        file.add_sheet()?;
        Ok(file)
    }

    /// Fewer rows per sheet (tests of the overflow onto further sheets).
    pub fn with_rows_per_sheet(mut self, rows: u32) -> Self {
        self.rows_per_sheet = rows.clamp(1, ROWS_PER_SHEET);
        self
    }

    fn add_sheet(&mut self) -> Result<(), ExportError> {
        self.sheets += 1;
        let name = if self.sheets == 1 {
            self.sheet_name.clone()
        } else {
            format!("{} {}", self.sheet_name, self.sheets)
        };
        let sheet = self.workbook.add_worksheet_with_constant_memory().map_err(err)?;
        sheet.set_name(&name).map_err(err)?;
        for (i, column) in self.columns.iter().enumerate() {
            sheet.set_column_width(i as u16, column.width).map_err(err)?;
            sheet
                .write_string_with_format(0, i as u16, column.header, &self.header)
                .map_err(err)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
        self.rows = 0;
        Ok(())
    }

    fn finish_sheet(&mut self) -> Result<(), ExportError> {
        let last_col = self.columns.len().saturating_sub(1) as u16;
        let rows = self.rows;
        let sheet = self.workbook.worksheet_from_index(self.sheets - 1).map_err(err)?;
        sheet.autofilter(0, 0, rows, last_col).map_err(err)?;
        Ok(())
    }

    pub fn write_row(&mut self, row: &Row) -> Result<(), ExportError> {
        if self.rows == self.rows_per_sheet {
            self.finish_sheet()?;
            self.add_sheet()?;
        }
        self.rows += 1;
        let r = self.rows;
        let sheet = self.workbook.worksheet_from_index(self.sheets - 1).map_err(err)?;
        write_cells(sheet, r, row, &self.money, &self.date)?;
        Ok(())
    }

    /// Saves the workbook to `out` (a temporary file: the zip is written
    /// once, at the end).
    pub fn finish<W: Write + Send>(mut self, out: W) -> Result<(), ExportError> {
        self.finish_sheet()?;
        self.workbook.save_to_writer(out).map_err(err)
    }
}

/// One row: text as strings, dates as dates, money as numbers in the
/// currency format.
pub(crate) fn write_cells(
    sheet: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    row: &Row,
    money: &CellFormat,
    date: &CellFormat,
) -> Result<(), ExportError> {
    for (c, cell) in row.iter().enumerate() {
        let c = c as u16;
        match cell {
            Cell::Text(t) => sheet.write_string(r, c, t).map(|_| ()),
            Cell::Date(d) => sheet.write_datetime_with_format(r, c, d, date).map(|_| ()),
            Cell::Money(m) => {
                let value = m.to_string().parse::<f64>().unwrap_or(0.0);
                sheet.write_number_with_format(r, c, value, money).map(|_| ())
            }
        }
        .map_err(err)?;
    }
    Ok(())
}

/// A small workbook of several sheets (the management report): each sheet
/// a header row, frozen and filtered, then its rows.
pub fn workbook(
    sheets: &[(&str, &[Column], &[Row])],
    currency: &str,
) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let header = CellFormat::new().set_bold().set_align(FormatAlign::Center);
    let money = CellFormat::new().set_num_format(currency_format(currency));
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    for (name, columns, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).map_err(err)?;
        for (i, column) in columns.iter().enumerate() {
            sheet.set_column_width(i as u16, column.width).map_err(err)?;
            sheet.write_string_with_format(0, i as u16, column.header, &header).map_err(err)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
        for (r, row) in rows.iter().enumerate() {
            write_cells(sheet, r as u32 + 1, row, &money, &date)?;
        }
        sheet
            .autofilter(0, 0, rows.len() as u32, columns.len().saturating_sub(1) as u16)
            .map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::exports::table::Kind;

    #[test]
    fn rows_past_a_sheet_continue_on_the_next_one() {
        let columns = [
            Column { header: "Number", kind: Kind::Text, width: 10.0 },
            Column { header: "Total", kind: Kind::Money, width: 10.0 },
        ];
        let mut file = XlsxFile::new(&columns, "Orders", "EUR").unwrap().with_rows_per_sheet(3);
        for i in 0..7 {
            file.write_row(&vec![
                Cell::Text(format!("R{i}")),
                Cell::Money(dec!(1.5) * Decimal::from(i)),
            ])
            .unwrap();
        }
        let mut bytes = Vec::new();
        file.finish(&mut bytes).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["Orders", "Orders 2", "Orders 3"]);
        let heights: Vec<usize> = ["Orders", "Orders 2", "Orders 3"]
            .iter()
            .map(|name| book.worksheet_range(name).unwrap().height())
            .collect();
        assert_eq!(heights, [4, 4, 2], "a header on every sheet, every row kept");
        let last = book.worksheet_range("Orders 3").unwrap();
        assert_eq!(last.get((0, 0)), Some(&Data::String("Number".into())));
        assert_eq!(last.get((1, 0)), Some(&Data::String("R6".into())));
        assert_eq!(last.get((1, 1)), Some(&Data::Float(9.0)));
        assert_eq!(currency_format("EUR"), "\"€\"#,##0.00");
        assert_eq!(currency_format("CHF"), "#,##0.00 \"CHF\"");
    }
}
