//! RFC 4180 CSV, UTF-8 with a byte-order mark (so Excel reads currency
//! symbols and accents right) and a header row, produced in parts.

use super::table::{Column, Row};
use super::{ExportError, Format};

pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
}

/// UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

fn writer(buffer: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buffer)
}

impl CsvFile {
    pub fn new(columns: &[Column]) -> Result<Self, ExportError> {
        let mut buffer = Vec::with_capacity(1 << 16);
        buffer.extend_from_slice(BOM);
        let mut writer = writer(buffer);
        writer.write_record(columns.iter().map(|c| c.header)).map_err(|e| ExportError::write(Format::Csv, e))?;
        Ok(CsvFile { writer })
    }

    pub fn write_row(&mut self, row: &Row) -> Result<(), ExportError> {
        self.writer.write_record(row.iter().map(|c| c.display())).map_err(|e| ExportError::write(Format::Csv, e))
    }

    /// The bytes written so far once they reach `at_least` (a multipart
    /// part), leaving the writer empty.
    pub fn take_part(&mut self, at_least: usize) -> Result<Option<Vec<u8>>, ExportError> {
        self.writer.flush().map_err(|e| ExportError::write(Format::Csv, e))?;
        if self.writer.get_ref().len() < at_least {
            return Ok(None);
        }
        let full = std::mem::replace(&mut self.writer, writer(Vec::with_capacity(at_least + (1 << 16))));
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
        file.write_row(&vec![Cell::Text("Café \"Zürich\", AG".into()), Cell::Money(dec!(1234.5))]).unwrap();
        let bytes = file.finish().unwrap();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "Name,Total\r\n\"Café \"\"Zürich\"\", AG\",1234.50\r\n");
    }
}
