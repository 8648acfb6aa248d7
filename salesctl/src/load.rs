//! `salesctl load`: validates JSON Lines records and writes them to the
//! source table through the conditional write upstream services use.
//!
//! Lines are read in order; a rejected line is reported with its line
//! number, field and rule and the rest still load. Writes run concurrently
//! in chunks of distinct records (so two versions of one record keep their
//! order), each a conditional `PutItem` that changes nothing unless the
//! version is newer; throttling is retried by the SDK with backoff.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::future::join_all;
use indicatif::ProgressBar;
use sales_shared::records::{RecordBody, RecordKey, Rejection, SourceRecord, check_currency, parse_record};
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
    pub rejected: Vec<LineRejection>,
    /// The newest version written per record, for `--wait`.
    pub written: HashMap<RecordKey, i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("timed out after {0:?} waiting for the rollups ({1} of {2} records applied); is the stream pump running?")]
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
    /// Loads the files in order.
    pub async fn load_files(&self, files: &[PathBuf]) -> Result<LoadSummary, LoadError> {
        let mut summary = LoadSummary::default();
        let mut currency = source::tenant_settings(self.dynamo, self.source_table, self.tenant).await?.currency;
        for path in files {
            let text =
                std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: path.clone(), source })?;
            self.load_text(path, &text, &mut currency, &mut summary).await?;
        }
        Ok(summary)
    }

    /// Loads JSON Lines text (blank lines are skipped).
    pub async fn load_text(
        &self,
        path: &Path,
        text: &str,
        currency: &mut String,
        summary: &mut LoadSummary,
    ) -> Result<(), LoadError> {
        let lines: Vec<(usize, &str)> =
            text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim().is_empty()).collect();
        let bar = self.progress_bar(path, lines.len() as u64);
        let mut chunk: Vec<SourceRecord> = Vec::new();
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
            let repeats = chunk.iter().any(|r| r.key == record.key);
            if repeats || chunk.len() >= CHUNK || settings {
                self.write_chunk(std::mem::take(&mut chunk), summary).await?;
            }
            chunk.push(record);
            if settings {
                // Later lines are checked against the settings just loaded.
                if self.write_chunk(std::mem::take(&mut chunk), summary).await? {
                    *currency = settings_currency.unwrap_or_default();
                }
            }
        }
        self.write_chunk(chunk, summary).await?;
        bar.finish_and_clear();
        Ok(())
    }

    fn validate(&self, line: &str, currency: &str) -> Result<SourceRecord, Rejection> {
        let record = parse_record(line)?;
        if record.key.tenant_id != self.tenant {
            return Err(Rejection::new("tenant_id", format!("must equal the tenant being loaded ({})", self.tenant)));
        }
        check_currency(&record, currency)?;
        Ok(record)
    }

    /// Writes a chunk concurrently; returns whether anything was written.
    async fn write_chunk(&self, chunk: Vec<SourceRecord>, summary: &mut LoadSummary) -> Result<bool, LoadError> {
        let results = join_all(chunk.iter().map(|r| source::put_if_newer(self.dynamo, self.source_table, r))).await;
        let mut any = false;
        for (record, result) in chunk.into_iter().zip(results) {
            match result? {
                PutOutcome::Written => {
                    any = true;
                    summary.loaded += 1;
                    let version = summary.written.entry(record.key.clone()).or_default();
                    *version = (*version).max(record.version);
                }
                PutOutcome::Unchanged => summary.unchanged += 1,
            }
        }
        Ok(any)
    }

    fn progress_bar(&self, path: &Path, len: u64) -> ProgressBar {
        let bar = progress::bar(self.progress, len, "{msg} [{bar:40}] {pos}/{len} lines ({per_sec}, eta {eta})");
        bar.set_message(path.display().to_string());
        bar
    }
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
        progress::bar(progress, written.len() as u64, "waiting for rollups [{bar:40}] {pos}/{len} records applied");
    let mut remaining: Vec<(&RecordKey, i64)> = written.iter().map(|(k, v)| (k, *v)).collect();
    loop {
        let keys: Vec<&RecordKey> = remaining.iter().map(|(k, _)| *k).collect();
        let ledgers = read_ledgers(dynamo, aggregates_table, &keys).await?;
        remaining.retain(|(key, version)| ledgers.get(*key).is_none_or(|entry| entry.version < *version));
        bar.set_position((written.len() - remaining.len()) as u64);
        if remaining.is_empty() {
            bar.finish_and_clear();
            return Ok(());
        }
        if started.elapsed() > timeout {
            bar.abandon();
            return Err(LoadError::WaitTimeout(timeout, written.len() - remaining.len(), written.len()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
