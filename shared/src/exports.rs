//! Exports: a table of rows written as CSV, Excel or a printable PDF
//! report, streamed to S3 with a multipart upload and handed out as a
//! presigned link. The writers are pure (bytes in, bytes out); `upload`
//! holds the S3 side.

#[cfg(feature = "exports")]
pub mod chart;
#[cfg(feature = "exports")]
pub mod csv_file;
#[cfg(feature = "s3")]
pub mod destination;
#[cfg(feature = "exports")]
pub mod font;
#[cfg(feature = "jobs")]
pub mod job_store;
#[cfg(feature = "jobs")]
pub mod jobs;
#[cfg(feature = "exports")]
pub mod pdf_report;
#[cfg(feature = "exports")]
pub mod run;
#[cfg(feature = "exports")]
pub mod table;
#[cfg(feature = "exports")]
pub mod tables;
#[cfg(feature = "s3")]
pub mod upload;
#[cfg(feature = "exports")]
pub mod xlsx_file;

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    Orders,
    Invoices,
}

impl Dataset {
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Orders => "orders",
            Dataset::Invoices => "invoices",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Dataset::Orders, Dataset::Invoices].into_iter().find(|d| d.name() == text)
    }
}

/// A file format of the `format` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Excel,
    Pdf,
}

impl Format {
    pub const NAMES: [&'static str; 3] = ["csv", "excel", "pdf"];

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "csv" => Format::Csv,
            "excel" => Format::Excel,
            "pdf" => Format::Pdf,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn extension(self) -> &'static str {
        ["csv", "xlsx", "pdf"][self as usize]
    }

    pub fn content_type(self) -> &'static str {
        [
            "text/csv; charset=utf-8",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/pdf",
        ][self as usize]
    }
}

/// A failure while writing a file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the {format} file failed: {message}")]
    Write { format: &'static str, message: String },
    #[error("S3 {operation} failed: {message}")]
    S3 { operation: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl ExportError {
    pub fn write(format: Format, err: impl std::fmt::Display) -> Self {
        ExportError::Write { format: format.name(), message: err.to_string() }
    }

    /// What a tenant is told (a failed job's `error`): the writer's
    /// message, or which storage step failed, without the SDK's detail
    /// (bucket, request ids), which the log keeps.
    pub fn for_tenant(&self) -> String {
        match self {
            ExportError::Write { .. } => self.to_string(),
            ExportError::S3 { operation, .. } => {
                format!("storing the file failed (S3 {operation}); ask again")
            }
            ExportError::Store(_) => "reading the data failed; ask again".to_owned(),
        }
    }
}
