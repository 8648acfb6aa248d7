//! `salesctl load`: validates JSON Lines records and writes them to the
//! source table through the conditional write upstream services use.
//!
//! Files are read as bytes and split at `\n` (a trailing `\r` removed), in
//! order. A line is rejected, with its line number, field and rule, when it
//! is longer than 256 KiB (before any parsing), not UTF-8, breaks a record
//! rule, or when DynamoDB refuses its item alone (a `ValidationException`,
//! see [`source::item_refusal`]); the rest still load. Only a failure that
//! is not about one item (table missing, connection refused, credentials)
//! stops the load, and what was done until then stays in the summary.
//!
//! Writes run concurrently in chunks of distinct records (so two versions
//! of one record keep their order), each a conditional `PutItem` that
//! changes nothing unless the version is newer; throttling is retried by
//! the SDK with backoff.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::future::join_all;
use indicatif::ProgressBar;
use sales_shared::records::limits::check_line_size;
use sales_shared::records::{
    RecordBody, RecordKey, Rejection, SourceRecord, check_currency, parse_record,
};
use sales_shared::store::StoreError;

use crate::progress;
use sales_shared::store::aggregates::read_ledgers;
use sales_shared::store::source::{self, PutOutcome};

/// Records written concurrently at most.
pub const CHUNK: usize = 32;

/// A line that was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRejection {
    pub file: PathBuf,
    pub line: usize,
    pub rejection: Rejection,
}

impl std::fmt::Display for LineRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.rejection)
    }
}

/// What a load did.
#[derive(Debug, Default)]
pub struct LoadSummary {
    pub loaded: usize,
    pub unchanged: usize,
    /// In file order, by line within a file.
    pub rejected: Vec<LineRejection>,
    /// The newest version written per record, for `--wait`.
    pub written: HashMap<RecordKey, i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("writing {}:{line}: {source}", file.display())]
    Write { file: PathBuf, line: usize, source: StoreError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "timed out after {0:?} waiting for the rollups ({1} of {2} records applied); is the stream pump running?"
    )]
    WaitTimeout(Duration, usize, usize),
}

/// Where and how to load.
pub struct Loader<'a> {
    pub dynamo: &'a aws_sdk_dynamodb::Client,
    pub source_table: &'a str,
    pub tenant: &'a str,
    pub progress: bool,
}

impl Loader<'_> {
    /// Loads the files in order into `summary`. On an error the summary
    /// still holds every line loaded and rejected before it.
    pub async fn load_files(
        &self,
        files: &[PathBuf],
        summary: &mut LoadSummary,
    ) -> Result<(), LoadError> {
        let mut currency =
            source::tenant_settings(self.dynamo, self.source_table, self.tenant).await?.currency;
        for path in files {
            let bytes = std::fs::read(path)
                .map_err(|source| LoadError::Read { path: path.clone(), source })?;
            self.load_bytes(path, &bytes, &mut currency, summary).await?;
        }
        Ok(())
    }

    /// Loads JSON Lines text (blank lines are skipped).
    pub async fn load_text(
        &self,
        path: &Path,
        text: &str,
        currency: &mut String,
        summary: &mut LoadSummary,
    ) -> Result<(), LoadError> {
        self.load_bytes(path, text.as_bytes(), currency, summary).await
    }

    /// Loads JSON Lines bytes (blank lines are skipped); `currency` is the
    /// tenant's, updated when the data loads new settings.
    pub async fn load_bytes(
        &self,
        path: &Path,
        bytes: &[u8],
        currency: &mut String,
        summary: &mut LoadSummary,
    ) -> Result<(), LoadError> {
        let first_rejection = summary.rejected.len();
        let lines = split_lines(bytes);
        let bar = self.progress_bar(path, lines.len() as u64);
        let result = self.load_lines(path, lines, &bar, currency, summary).await;
        // Write refusals arrive a chunk late: report in line order.

        summary.rejected[first_rejection..].sort_by_key(|r| r.line);
        match &result {
            Ok(()) => bar.finish_and_clear(),
            Err(_) => bar.abandon(),
        }
        result
    }

    async fn load_lines(
        &self,
        path: &Path,
        lines: Vec<(usize, &[u8])>,
        bar: &ProgressBar,
        currency: &mut String,
        summary: &mut LoadSummary,
    ) -> Result<(), LoadError> {
        let mut chunk: Vec<(usize, SourceRecord)> = Vec::new();
        for (line, content) in lines {
            bar.inc(1);
            let record = match self.validate(content, currency) {
                Ok(record) => record,
                Err(rejection) => {
                    summary.rejected.push(LineRejection { file: path.to_owned(), line, rejection });
                    continue;
                }
            };
            let settings_currency = match &record.body {
                Some(RecordBody::TenantSettings(s)) => Some(s.currency.clone()),
                _ => None,
            };
            let settings = settings_currency.is_some();
            let repeats = chunk.iter().any(|(_, r)| r.key == record.key);
            if repeats || chunk.len() >= CHUNK || settings {
                self.write_chunk(path, std::mem::take(&mut chunk), summary).await?;
            }
            chunk.push((line, record));
            if settings {
                // Later lines are checked against the settings just loaded.
                if self.write_chunk(path, std::mem::take(&mut chunk), summary).await? {
                    *currency = settings_currency.unwrap_or_default();
                }
            }
        }
        self.write_chunk(path, chunk, summary).await?;
        Ok(())
    }

    /// Every line of `bytes` validated as [`Loader::load_bytes`] validates
    /// it (each against the currency of the settings before it, from
    /// `currency`), for a writer that puts them all at once: the records,
    /// or the first line that breaks a rule.
    pub fn validate_all(
        &self,
        path: &Path,
        bytes: &[u8],
        mut currency: String,
    ) -> Result<Vec<SourceRecord>, LineRejection> {
        let mut records = Vec::new();
        for (line, content) in split_lines(bytes) {
            let record = self.validate(content, &currency).map_err(|rejection| LineRejection {
                file: path.to_owned(),
                line,
                rejection,
            })?;
            if let Some(RecordBody::TenantSettings(settings)) = &record.body {
                currency = settings.currency.clone();
            }
            records.push(record);
        }
        Ok(records)
    }

    fn validate(&self, line: &[u8], currency: &str) -> Result<SourceRecord, Rejection> {
        let record = parse_record(check_line(line)?)?;
        if record.key.tenant_id != self.tenant {
            return Err(Rejection::new(
                "tenant_id",
                format!("must equal the tenant being loaded ({})", self.tenant),
            ));
        }
        check_currency(&record, currency)?;
        Ok(record)
    }

    /// Writes a chunk concurrently; returns whether anything was written.
    /// Every result is accounted for before the first failure (if any) is
    /// returned.
    async fn write_chunk(
        &self,
        path: &Path,
        chunk: Vec<(usize, SourceRecord)>,
        summary: &mut LoadSummary,
    ) -> Result<bool, LoadError> {
        let results = join_all(
            chunk.iter().map(|(_, r)| source::put_if_newer(self.dynamo, self.source_table, r)),
        )
        .await;
        let mut any = false;
        let mut failure = None;
        for ((line, record), result) in chunk.into_iter().zip(results) {
            match result {
                Ok(PutOutcome::Written) => {
                    any = true;
                    summary.loaded += 1;
                    let version = summary.written.entry(record.key).or_default();
                    *version = (*version).max(record.version);
                }
                Ok(PutOutcome::Unchanged) => summary.unchanged += 1,
                Ok(PutOutcome::Refused(message)) => summary.rejected.push(LineRejection {
                    file: path.to_owned(),
                    line,
                    rejection: Rejection::new(
                        "(item)",
                        format!("was refused by DynamoDB ({message})"),
                    ),
                }),
                Err(source) => {
                    failure.get_or_insert(LoadError::Write { file: path.to_owned(), line, source });
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(any),
        }
    }

    fn progress_bar(&self, path: &Path, len: u64) -> ProgressBar {
        progress::bar(self.progress, len, &format!("loading {}", path.display()), "lines")
    }
}

/// The lines of JSON Lines bytes, numbered from 1: split at `\n`, a
/// trailing `\r` removed, blank lines left out.
pub fn split_lines(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix(b"\r").unwrap_or(line)))
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .collect()
}

/// Checks a line's size (before anything else) and its encoding; returns
/// the text for `parse_record`.
pub fn check_line(line: &[u8]) -> Result<&str, Rejection> {
    check_line_size(line.len())?;
    std::str::from_utf8(line).map_err(|e| {
        Rejection::new(
            "(line)",
            format!("must be valid UTF-8 (byte {} is not)", e.valid_up_to() + 1),
        )
    })
}

/// Waits until the rollups have applied every written record version.
pub async fn wait_for_rollups(
    dynamo: &aws_sdk_dynamodb::Client,
    aggregates_table: &str,
    written: &HashMap<RecordKey, i64>,
    timeout: Duration,
    progress: bool,
) -> Result<(), LoadError> {
    let started = Instant::now();
    let bar =
        progress::bar(progress, written.len() as u64, "waiting for rollups", "records applied");
    let mut remaining: Vec<(&RecordKey, i64)> = written.iter().map(|(k, v)| (k, *v)).collect();
    loop {
        let keys: Vec<&RecordKey> = remaining.iter().map(|(k, _)| *k).collect();
        let ledgers = read_ledgers(dynamo, aggregates_table, &keys).await?;
        remaining.retain(|(key, version)| {
            ledgers.get(*key).is_none_or(|entry| entry.version < *version)
        });
        bar.set_position((written.len() - remaining.len()) as u64);
        if remaining.is_empty() {
            bar.finish_and_clear();
            return Ok(());
        }
        if started.elapsed() > timeout {
            bar.abandon();
            return Err(LoadError::WaitTimeout(
                timeout,
                written.len() - remaining.len(),
                written.len(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::types::error::ItemCollectionSizeLimitExceededException;
    use sales_shared::records::limits::MAX_LINE_BYTES;

    use super::*;

    #[test]
    fn splits_bytes_into_numbered_lines() {
        let lines = split_lines(b"a\r\n\n  \r\nb\xff\nc\r\r\n\nd");
        assert_eq!(
            lines,
            vec![(1, &b"a"[..]), (4, &b"b\xff"[..]), (5, &b"c\r"[..]), (7, &b"d"[..])]
        );
        assert!(split_lines(b"").is_empty());
        assert!(split_lines(b"\n\n").is_empty());
    }

    #[test]
    fn line_checks_name_the_limit_and_the_encoding() {
        assert_eq!(check_line(b"{}"), Ok("{}"));
        let bad = check_line(b"{\"a\":\"\xc3\x28\"}").unwrap_err();
        assert_eq!(bad.field, "(line)");
        assert_eq!(bad.rule, "must be valid UTF-8 (byte 7 is not)");
        let long = vec![b' '; MAX_LINE_BYTES + 1];
        let r = check_line(&long).unwrap_err();
        assert_eq!(r.field, "(line)");
        assert!(r.rule.contains("at most 262144 bytes (256 KiB)"), "{}", r.rule);
        assert!(check_line(&long[1..]).is_ok());
    }

    /// A line padded to exactly 256 KiB through `field` with `unit` (then
    /// `x`s for the remainder).
    fn at_line_limit(mut value: serde_json::Value, field: &str, unit: &str) -> String {
        value[field] = serde_json::json!("");
        let base = value.to_string();
        let room = MAX_LINE_BYTES - base.len();
        let escaped = serde_json::to_string(unit).unwrap_or_default();
        let unit_bytes = escaped.len() - 2;
        let padding = format!(
            "{}{}",
            escaped[1..escaped.len() - 1].repeat(room / unit_bytes),
            "x".repeat(room % unit_bytes)
        );
        let line =
            base.replacen(&format!("\"{field}\":\"\""), &format!("\"{field}\":\"{padding}\""), 1);
        assert_eq!(line.len(), MAX_LINE_BYTES);
        line
    }

    /// DynamoDB's item size: attribute names plus values.
    fn item_bytes(item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> usize {
        use aws_sdk_dynamodb::types::AttributeValue;
        item.iter()
            .map(|(name, value)| {
                name.len()
                    + match value {
                        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
                        AttributeValue::Bool(_) => 1,
                        other => panic!("unexpected attribute {other:?}"),
                    }
            })
            .sum()
    }

    #[test]
    fn a_record_at_the_line_limit_stays_far_under_the_item_limit() {
        // The canonical JSON never escapes more than the line did, and the
        // fields it adds (nulls, defaults, timestamps with +00:00, amounts
        // as strings) are bounded by the line and application counts.
        use serde_json::json;
        let envelope = |record_type: &str| {
            json!({"type": record_type, "tenant_id": "t".repeat(64), "id": i64::MAX, "version": i64::MAX,
                "updated_at": "2025-12-01T00:00:00Z"})
        };
        let mut customer = envelope("customer");
        customer["customer_number"] = json!("C");
        customer["company_name"] = json!("");
        let mut order = envelope("order");
        for (k, v) in [
            ("order_number", json!("")),
            ("customer_id", json!(1)),
            ("source", json!("api")),
            ("status", json!("completed")),
            ("currency", json!("USD")),
            ("total_amount", json!(0)),
            ("ordered_at", json!("2025-12-01T10:00:00Z")),
        ] {
            order[k] = v;
        }
        order["lines"] =
            json!(vec![json!({"product_id":1,"quantity":1,"unit_price":0,"line_total":0}); 500]);
        let mut invoice = envelope("invoice");
        for (k, v) in [
            ("invoice_number", json!("")),
            ("customer_id", json!(1)),
            ("status", json!("sent")),
            ("currency", json!("USD")),
            ("total_amount", json!(1000)),
            ("issued_at", json!("2025-12-01T10:00:00Z")),
            ("due_date", json!("2025-12-31")),
        ] {
            invoice[k] = v;
        }
        invoice["payment_applications"] = json!(vec![
            json!({"payment_id":1,"amount":1,"applied_at":"2025-12-01T10:00:00Z"});
            1000
        ]);
        let lines = [
            at_line_limit(customer.clone(), "company_name", "x"),
            at_line_limit(customer.clone(), "company_name", "\u{1}"),
            at_line_limit(customer, "company_name", "\u{1F600}"),
            at_line_limit(order, "order_number", "\""),
            at_line_limit(invoice, "invoice_number", "\\"),
        ];
        for line in lines {
            let record = parse_record(&line).unwrap_or_else(|r| panic!("{r}"));
            let size = item_bytes(&source::encode(&record));
            assert!(size < MAX_LINE_BYTES + 16 * 1024, "{size} bytes stored for a 256 KiB line");
            assert!(size < 400 * 1024);
        }
    }

    #[test]
    fn only_refusals_of_the_item_itself_are_rejections() {
        let generic = |code: &str, message: &str| {
            PutItemError::generic(ErrorMetadata::builder().code(code).message(message).build())
        };
        assert_eq!(
            source::item_refusal(&generic(
                "ValidationException",
                "Item size has exceeded the maximum allowed size"
            )),
            Some("ValidationException: Item size has exceeded the maximum allowed size".into())
        );
        let collection = PutItemError::ItemCollectionSizeLimitExceededException(
            ItemCollectionSizeLimitExceededException::builder()
                .message("Item collection size limit exceeded")
                .meta(
                    ErrorMetadata::builder()
                        .code("ItemCollectionSizeLimitExceededException")
                        .build(),
                )
                .build(),
        );
        assert!(source::item_refusal(&collection).is_some());
        for code in [
            "ResourceNotFoundException",
            "UnrecognizedClientException",
            "ThrottlingException",
            "InternalServerError",
        ] {
            assert_eq!(source::item_refusal(&generic(code, "no")), None, "{code}");
        }
    }
}
