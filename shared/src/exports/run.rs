//! One export end to end: rows read a page at a time from the by-date
//! index, written in the requested format, uploaded to S3 in parts, and a
//! presigned link to the object.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::csv_file::CsvFile;
use super::pdf_report::{self, MAX_TABLE_ROWS, ReportInfo};
use super::table::{Row, Summary, TableSpec};
use super::tables::{Names, invoice_row, invoices_spec, order_row, orders_spec};
use super::upload::{MultipartUpload, PART_SIZE, attachment};
use super::xlsx_file::XlsxFile;
use super::{ExportError, Format};
use crate::layout::family;
use crate::periods::DateRange;
use crate::records::Customer;
use crate::store::aggregates::AggregateReader;
use crate::store::attr_number;
use crate::store::indexes::Item;

use super::Dataset;

impl Dataset {
    pub fn spec(self) -> TableSpec {
        match self {
            Dataset::Orders => orders_spec(),
            Dataset::Invoices => invoices_spec(),
        }
    }

    fn index(self) -> &'static str {
        match self {
            Dataset::Orders => family::ORDERS_BY_DATE,
            Dataset::Invoices => family::INVOICES_BY_ISSUE,
        }
    }
}

pub use super::destination::Destination;

/// One export request.
pub struct Request<'a> {
    pub dataset: Dataset,
    pub format: Format,
    pub tenant: &'a str,
    pub range: DateRange,
    pub status: Option<&'a str>,
    pub currency: &'a str,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

/// A written export (the object `key`, downloading as `filename`).
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub key: String,
    pub filename: String,
    pub rows: u64,
    pub bytes: u64,
}

/// `{kind}-{from}-to-{to}.{ext}`.
pub fn filename(dataset: Dataset, range: DateRange, format: Format) -> String {
    format!("{}-{}-to-{}.{}", dataset.as_str(), range.from, range.to, format.extension())
}

/// The object key: always under the tenant's own prefix.
pub fn object_key(tenant: &str, dataset: Dataset, now: DateTime<Utc>, format: Format) -> String {
    format!(
        "exports/{tenant}/{}/{}-{}.{}",
        dataset.as_str(),
        now.format("%Y%m%dT%H%M%SZ"),
        uuid::Uuid::new_v4().simple(),
        format.extension()
    )
}

/// Rows of a page, names of new customers fetched as they appear.
async fn rows_of(
    reader: &AggregateReader<'_>,
    request: &Request<'_>,
    spec: &TableSpec,
    items: &[Item],
    names: &mut Names,
) -> Result<Vec<Row>, ExportError> {
    let missing: Vec<i64> = items
        .iter()
        .filter_map(|i| attr_number(i, "customer_id"))
        .filter(|id| !names.customers.contains_key(id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        let found = reader.customer_info(&missing).await?;
        for id in missing {
            let entry = found
                .get(&id)
                .map(|(c, _): &(Customer, _)| (c.customer_number.clone(), c.company_name.clone()));
            names.customers.insert(id, entry.unwrap_or_default());
        }
    }
    Ok(items
        .iter()
        .filter_map(|item| match request.dataset {
            Dataset::Orders => order_row(item, names, request.currency),
            Dataset::Invoices => invoice_row(item, names, request.currency, request.today),
        })
        .filter(|row| {
            request
                .status
                .is_none_or(|s| matches!(row.get(spec.status_column), Some(super::table::Cell::Text(t)) if t == s))
        })
        .collect())
}

enum Sink {
    Csv(Box<CsvFile>),
    Excel(Box<XlsxFile>),
    Pdf { rows: Vec<Row> },
}

/// Told the rows written so far, after each page of the index (a job
/// shows them while it runs).
pub trait Progress {
    fn rows(&mut self, rows: u64) -> impl std::future::Future<Output = ()> + Send;
}

/// No one is watching (an export within a request).
pub struct Unwatched;

impl Progress for Unwatched {
    async fn rows(&mut self, _rows: u64) {}
}

/// Runs an export to the object `key`; on any failure the multipart
/// upload is aborted, so no object, partial or whole, is left (the object
/// exists once this returns `Ok`, and only then).
pub async fn export(
    reader: &AggregateReader<'_>,
    destination: &Destination,
    request: &Request<'_>,
    key: &str,
    progress: &mut impl Progress,
) -> Result<Exported, ExportError> {
    let spec = request.dataset.spec();
    let filename = filename(request.dataset, request.range, request.format);
    let key = key.to_owned();
    let mut upload = MultipartUpload::start(
        &destination.s3,
        &destination.bucket,
        &key,
        request.format.content_type(),
        &attachment(&filename),
    )
    .await?;
    match write(reader, request, &spec, &mut upload, progress).await {
        Ok(rows) => {
            let bytes = upload.finish().await?;
            Ok(Exported { key, filename, rows, bytes })
        }
        Err(e) => {
            upload.abort().await;
            Err(e)
        }
    }
}

async fn write(
    reader: &AggregateReader<'_>,
    request: &Request<'_>,
    spec: &TableSpec,
    upload: &mut MultipartUpload<'_>,
    progress: &mut impl Progress,
) -> Result<u64, ExportError> {
    let mut names = Names { reps: BTreeMap::new(), ..Default::default() };
    if request.dataset == Dataset::Orders {
        names.reps = reader.sales_reps().await?.into_iter().map(|(id, r)| (id, r.name)).collect();
    }
    let mut sink = match request.format {
        Format::Csv => Sink::Csv(Box::new(CsvFile::new(&spec.columns)?)),
        Format::Excel => {
            Sink::Excel(Box::new(XlsxFile::new(&spec.columns, spec.title, request.currency)?))
        }
        Format::Pdf => Sink::Pdf { rows: Vec::new() },
    };
    let mut summary = Summary::default();
    let mut pages = reader.dated_pages(request.dataset.index(), request.range);
    while let Some(items) = pages.next().await? {
        for row in rows_of(reader, request, spec, &items, &mut names).await? {
            summary.add(spec, &row);
            match &mut sink {
                Sink::Csv(file) => file.write_row(&row)?,
                Sink::Excel(file) => file.write_row(&row)?,
                Sink::Pdf { rows } => {
                    if rows.len() < MAX_TABLE_ROWS {
                        rows.push(row);
                    }
                }
            }
        }
        if let Sink::Csv(file) = &mut sink
            && let Some(part) = file.take_part(PART_SIZE)?
        {
            upload.part(part).await?;
        }
        progress.rows(summary.rows).await;
    }
    match sink {
        Sink::Csv(file) => upload.part(file.finish()?).await?,
        Sink::Excel(file) => {
            let temp =
                tempfile::NamedTempFile::new().map_err(|e| ExportError::write(Format::Excel, e))?;
            let mut out = std::io::BufWriter::new(temp.as_file());
            file.finish(&mut out)?;
            std::io::Write::flush(&mut out).map_err(|e| ExportError::write(Format::Excel, e))?;
            drop(out);
            upload.file(temp.path()).await?;
        }
        Sink::Pdf { rows } => {
            let info = ReportInfo {
                tenant: request.tenant.to_owned(),
                period: request.range,
                generated_at: request.now.format("%Y-%m-%d %H:%M UTC").to_string(),
                currency: request.currency.to_owned(),
            };
            let bytes = pdf_report::report(spec, &info, &summary, &rows)?;
            for chunk in bytes.chunks(PART_SIZE) {
                upload.part(chunk.to_vec()).await?;
            }
        }
    }
    Ok(summary.rows)
}
