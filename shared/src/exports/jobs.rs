//! Export jobs: an export too large for a request, written by the export
//! worker in the background (docs/architecture.md, "Export jobs"). This
//! module holds what a job is and how it moves; `job_store` keeps it.
//!
//! A job goes `queued` -> `running` -> `succeeded` or `failed`. A worker
//! that dies mid-run (a Lambda timeout, a crash) leaves it `running`; the
//! queue delivers the message again and the next attempt starts over, at
//! most [`MAX_ATTEMPTS`] times.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{Dataset, Format};
use crate::periods::DateRange;

/// The prefix of a job's id: `exp_`, then the creation time in
/// milliseconds (12 hex digits, so ids sort by age) and 8 random bytes.
pub const JOB_ID_PREFIX: &str = "exp_";

/// How long a job and its file are kept (the bucket's `exports/`
/// lifecycle rule in template.yaml says the same).
pub const RETENTION_DAYS: i64 = 7;

/// Runs of one job before it is failed for good.
pub const MAX_ATTEMPTS: u32 = 3;

/// A run started longer ago than this is dead (the worker's timeout is 15
/// minutes): another delivery of its message may take the job over. A
/// younger run is alive, and a second delivery leaves it alone.
pub const STALE_AFTER_MINUTES: i64 = 16;

/// An `Idempotency-Key` header's longest value.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The time part of a job id made at `at`.
fn id_time(at: DateTime<Utc>) -> String {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default() & 0xffff_ffff_ffff;
    format!("{JOB_ID_PREFIX}{millis:012x}")
}

/// A new job id, created at `now`.
pub fn new_job_id(now: DateTime<Utc>) -> String {
    format!("{}{}", id_time(now), crate::ids::random_hex(8))
}

/// Every id of a job still kept at `now` sorts after this one.
pub fn oldest_kept_id(now: DateTime<Utc>) -> String {
    id_time(now - chrono::Duration::days(RETENTION_DAYS))
}

/// Whether `id` has the form [`new_job_id`] gives.
pub fn is_job_id(id: &str) -> bool {
    id.strip_prefix(JOB_ID_PREFIX).is_some_and(|rest| {
        rest.len() == 28 && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Whether an `Idempotency-Key` is acceptable: 1 to 255 visible ASCII
/// characters.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=MAX_IDEMPOTENCY_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

crate::str_enum! {
    /// Where a job is.
    JobState { Queued => "queued", Running => "running", Succeeded => "succeeded", Failed => "failed" }
}

impl JobState {
    /// Whether the job will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed)
    }
}

/// What a job exports, its defaults resolved when it was made (so a job
/// run tomorrow covers the same days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSpec {
    pub dataset: String,
    pub format: String,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A deferred answer ([`RESPONSE_DATASET`]): the path and query of the
    /// request whose JSON the job writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

/// The `dataset` of a job that writes a request's JSON answer (a request
/// over the read budget), and its `format`.
pub const RESPONSE_DATASET: &str = "response";
pub const RESPONSE_FORMAT: &str = "json";

impl ExportSpec {
    pub fn new(dataset: Dataset, format: Format, range: DateRange, status: Option<&str>) -> Self {
        ExportSpec {
            dataset: dataset.as_str().to_owned(),
            format: format.as_str().to_owned(),
            from_date: range.from,
            to_date: range.to,
            status: status.map(str::to_owned),
            request: None,
        }
    }

    /// A job answering the request `path_and_query` (from `/api/v1/...`)
    /// about the days `range`.
    pub fn response(path_and_query: &str, range: DateRange) -> Self {
        ExportSpec {
            dataset: RESPONSE_DATASET.to_owned(),
            format: RESPONSE_FORMAT.to_owned(),
            from_date: range.from,
            to_date: range.to,
            status: None,
            request: Some(path_and_query.to_owned()),
        }
    }

    pub fn dataset(&self) -> Option<Dataset> {
        Dataset::parse(&self.dataset)
    }

    pub fn format(&self) -> Option<Format> {
        Format::parse(&self.format)
    }

    pub fn range(&self) -> DateRange {
        DateRange { from: self.from_date, to: self.to_date }
    }

    /// The spec as stored and compared for a repeated `Idempotency-Key`.
    pub fn fingerprint(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub spec: ExportSpec,
    pub state: JobState,
    /// Rows written so far (while running) or in all.
    pub rows: u64,
    pub bytes: u64,
    /// The S3 object, once succeeded.
    pub object_key: Option<String>,
    pub filename: Option<String>,
    pub error: Option<String>,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When the job and its file are deleted.
    pub expires_at: DateTime<Utc>,
}

impl Job {
    /// A job just made.
    pub fn queued(id: String, spec: ExportSpec, now: DateTime<Utc>) -> Self {
        Job {
            id,
            spec,
            state: JobState::Queued,
            rows: 0,
            bytes: 0,
            object_key: None,
            filename: None,
            error: None,
            attempts: 0,
            created_at: now,
            started_at: None,
            finished_at: None,
            expires_at: now + chrono::Duration::days(RETENTION_DAYS),
        }
    }

    /// The job's S3 key: the same for every attempt, so a retry overwrites
    /// rather than adds (and a multipart upload is only an object once
    /// complete).
    pub fn object_key(&self, tenant: &str, format: Format) -> String {
        self.key_with(tenant, format.extension())
    }

    /// The S3 key of a deferred answer's JSON.
    pub fn response_key(&self, tenant: &str) -> String {
        self.key_with(tenant, RESPONSE_FORMAT)
    }

    /// The file name of the job's file with `extension`.
    pub fn filename(&self, extension: &str) -> String {
        format!("{}.{extension}", self.id)
    }

    fn key_with(&self, tenant: &str, extension: &str) -> String {
        format!("exports/{tenant}/jobs/{}", self.filename(extension))
    }
}

/// A link to a finished job's file.
#[derive(Debug, Clone, PartialEq)]
pub struct JobLink {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub id: String,
    pub status: &'static str,
    pub status_url: String,
    pub request: ExportSpec,
    pub rows: u64,
    pub bytes: u64,
    /// A fresh presigned link, once succeeded.
    pub url: Option<String>,
    /// When `url` stops working.
    pub expires_at: Option<String>,
    pub error: Option<String>,
    pub attempts: u32,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// When the job and its file are deleted.
    pub job_expires_at: String,
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The path of a job's status.
pub fn status_path(id: &str) -> String {
    format!("/api/v1/sales/exports/{id}")
}

impl JobView {
    pub fn new(job: &Job, link: Option<JobLink>) -> Self {
        JobView {
            id: job.id.clone(),
            status: job.state.as_str(),
            status_url: status_path(&job.id),
            request: job.spec.clone(),
            rows: job.rows,
            bytes: job.bytes,
            url: link.as_ref().map(|l| l.url.clone()),
            expires_at: link.map(|l| timestamp(l.expires_at)),
            error: job.error.clone(),
            attempts: job.attempts,
            created_at: timestamp(job.created_at),
            started_at: job.started_at.map(timestamp),
            finished_at: job.finished_at.map(timestamp),
            job_expires_at: timestamp(job.expires_at),
        }
    }
}

/// The queue message that names a job to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMessage {
    pub tenant: String,
    pub job: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn job_ids_sort_by_creation_and_have_one_form() {
        let early = new_job_id(at("2025-12-01T00:00:00Z"));
        let late = new_job_id(at("2025-12-01T00:00:00.001Z"));
        assert!(is_job_id(&early) && is_job_id(&late), "{early} {late}");
        assert!(early < late);
        assert!(!is_job_id("exp_123"));
        assert!(!is_job_id(&early.to_uppercase()));
        assert!(!is_job_id(&format!("rule_{}", &early[4..])));
        // Kept jobs sort after the oldest kept id, expired ones before.
        let now = at("2025-12-08T00:00:00.001Z");
        assert!(early < oldest_kept_id(now) && late > oldest_kept_id(now));
    }

    #[test]
    fn idempotency_keys_are_visible_ascii_up_to_255() {
        assert!(valid_idempotency_key("order-export-2025-12"));
        assert!(!valid_idempotency_key(""));
        assert!(!valid_idempotency_key("has space"));
        assert!(!valid_idempotency_key("ключ"));
        assert!(valid_idempotency_key(&"k".repeat(255)));
        assert!(!valid_idempotency_key(&"k".repeat(256)));
    }

    #[test]
    fn states_round_trip_and_final_ones_are_final() {
        for state in [JobState::Queued, JobState::Running, JobState::Succeeded, JobState::Failed] {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert!(JobState::Failed.is_final() && JobState::Succeeded.is_final());
        assert!(!JobState::Running.is_final() && !JobState::Queued.is_final());
        assert_eq!(JobState::parse("done"), None);
    }

    #[test]
    fn a_job_keeps_one_key_and_expires_with_its_file() {
        let now = at("2025-12-20T10:00:00Z");
        let spec = ExportSpec::new(
            Dataset::Orders,
            Format::Csv,
            DateRange { from: "2022-01-01".parse().unwrap(), to: "2025-12-20".parse().unwrap() },
            Some("completed"),
        );
        let job = Job::queued("exp_0000000000010000000000000000".into(), spec.clone(), now);
        assert_eq!(
            job.object_key("acme", Format::Csv),
            "exports/acme/jobs/exp_0000000000010000000000000000.csv"
        );
        assert_eq!(job.expires_at, at("2025-12-27T10:00:00Z"));
        let view = JobView::new(&job, None);
        assert_eq!(view.status, "queued");
        assert_eq!(view.status_url, "/api/v1/sales/exports/exp_0000000000010000000000000000");
        assert_eq!(view.url, None);
        // Same request, same fingerprint; a different status filter differs.
        assert_eq!(spec.fingerprint(), job.spec.fingerprint());
        let other = ExportSpec { status: None, ..spec };
        assert_ne!(other.fingerprint(), job.spec.fingerprint());
    }
}
