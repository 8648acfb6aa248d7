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

crate::str_enum! {
    /// What is exported.
    Dataset { Orders => "orders", Invoices => "invoices" }
}

crate::str_enum! {
    /// A file format of the `format` parameter.
    Format { Csv => "csv", Excel => "excel", Pdf => "pdf" }
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Excel => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Excel => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
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
        ExportError::Write { format: format.as_str(), message: err.to_string() }
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
