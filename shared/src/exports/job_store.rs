//! Export jobs in the jobs table (`SALES_EXPORT_JOBS_TABLE`,
//! `ExportJobsTable` in the template; docs/data-model.md, "Export jobs
//! table"), and the queue that hands them to the worker:
//!
//! | pk | sk | item |
//! |---|---|---|
//! | `{tenant}#exports` | `{job id}` | a job: `spec` (JSON), `state`, `rows`, `bytes`, `object_key`, `filename`, `error`, `attempts`, `created_at`, `started_at`, `finished_at`, `expires_at` (TTL) |
//! | `{tenant}#idempotency` | `{Idempotency-Key}` | `job_id`, `fingerprint` (the spec's JSON), `expires_at` (TTL) |
//! | `{tenant}#export-slots` | `jobs` | `ids`: the tenant's queued and running jobs, which cap them (`store::slots`) |
//!
//! Job ids sort by creation, so a tenant's jobs newest first are one
//! backward query. Keys are built and read here only.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use chrono::{DateTime, TimeZone, Utc};

use super::jobs::{ExportSpec, Job, JobState, MAX_ATTEMPTS, STALE_AFTER_MINUTES, oldest_kept_id};
use crate::store::slots::Slots;
use crate::store::{StoreError, timestamp, unless_condition_failed};
use crate::store::{attr_number, attr_s, key_map};

use crate::store::Item;

mod keys {
    pub fn jobs(tenant: &str) -> String {
        format!("{tenant}#exports")
    }

    pub fn idempotency(tenant: &str) -> String {
        format!("{tenant}#idempotency")
    }

    /// The item that caps a tenant's queued and running jobs.
    pub fn slots(tenant: &str) -> String {
        format!("{tenant}#export-slots")
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn time(item: &Item, name: &str) -> Option<DateTime<Utc>> {
    attr_s(item, name)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// What creating a job found.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// A new job.
    New(Job),
    /// The job an earlier request with the same `Idempotency-Key` made.
    Existing(Job),
    /// The key was used for a different request.
    KeyReused,
}

/// The jobs of one tenant.
pub struct JobStore<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    tenant: &'a str,
}

impl<'a> JobStore<'a> {
    pub fn new(client: &'a aws_sdk_dynamodb::Client, table: &'a str, tenant: &'a str) -> Self {
        JobStore { client, table, tenant }
    }

    fn key(&self, id: &str) -> Item {
        key_map(keys::jobs(self.tenant), id.to_owned())
    }

    fn malformed(&self, id: &str, message: impl Into<String>) -> StoreError {
        StoreError::Malformed {
            key: format!("{}/{id}", keys::jobs(self.tenant)),
            message: message.into(),
        }
    }

    fn job_of(&self, item: &Item) -> Result<Job, StoreError> {
        let id = attr_s(item, "sk").unwrap_or_default().to_owned();
        let spec: ExportSpec = serde_json::from_str(attr_s(item, "spec").unwrap_or_default())
            .map_err(|e| self.malformed(&id, format!("spec: {e}")))?;
        let state = attr_s(item, "state")
            .and_then(JobState::parse)
            .ok_or_else(|| self.malformed(&id, "no state"))?;
        let created_at =
            time(item, "created_at").ok_or_else(|| self.malformed(&id, "no created_at"))?;
        let expires_at = attr_number::<i64>(item, "expires_at")
            .and_then(|t| Utc.timestamp_opt(t, 0).single())
            .ok_or_else(|| self.malformed(&id, "no expires_at"))?;
        Ok(Job {
            spec,
            state,
            rows: attr_number(item, "rows").unwrap_or(0),
            bytes: attr_number(item, "bytes").unwrap_or(0),
            object_key: attr_s(item, "object_key").map(str::to_owned),
            filename: attr_s(item, "filename").map(str::to_owned),
            error: attr_s(item, "error").map(str::to_owned),
            attempts: attr_number(item, "attempts").unwrap_or(0),
            created_at,
            started_at: time(item, "started_at"),
            finished_at: time(item, "finished_at"),
            expires_at,
            id,
        })
    }

    fn job_item(&self, job: &Job) -> Item {
        HashMap::from([
            ("pk".to_owned(), s(keys::jobs(self.tenant))),
            ("sk".to_owned(), s(&job.id)),
            ("spec".to_owned(), s(job.spec.fingerprint())),
            ("state".to_owned(), s(job.state.as_str())),
            ("rows".to_owned(), n(job.rows)),
            ("bytes".to_owned(), n(job.bytes)),
            ("attempts".to_owned(), n(job.attempts)),
            ("created_at".to_owned(), s(timestamp(job.created_at))),
            ("expires_at".to_owned(), n(job.expires_at.timestamp())),
        ])
    }

    /// Stores a new job, or with an idempotency key already used for the
    /// same request, finds the job it made (a key past its expiry counts as
    /// unused, as TTL deletes lazily).
    pub async fn create(
        &self,
        job: &Job,
        idempotency_key: Option<&str>,
    ) -> Result<Created, StoreError> {
        let Some(key) = idempotency_key else {
            self.client
                .put_item()
                .table_name(self.table)
                .set_item(Some(self.job_item(job)))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await
                .map_err(|e| StoreError::dynamo("PutItem", e))?;
            return Ok(Created::New(job.clone()));
        };
        let build = |put: aws_sdk_dynamodb::types::builders::PutBuilder| {
            put.build().map(|p: Put| TransactWriteItem::builder().put(p).build()).map_err(|e| {
                StoreError::Dynamo { operation: "TransactWriteItems", source: Box::new(e) }
            })
        };
        let put_job = build(
            Put::builder()
                .table_name(self.table)
                .set_item(Some(self.job_item(job)))
                .condition_expression("attribute_not_exists(pk)"),
        )?;
        let put_key = build(
            Put::builder()
                .table_name(self.table)
                .item("pk", s(keys::idempotency(self.tenant)))
                .item("sk", s(key))
                .item("job_id", s(&job.id))
                .item("fingerprint", s(job.spec.fingerprint()))
                .item("expires_at", n(job.expires_at.timestamp()))
                .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
                .expression_attribute_values(":now", n(job.created_at.timestamp())),
        )?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(put_job)
            .transact_items(put_key)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Created::New(job.clone())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_transaction_canceled_exception()) =>
            {
                // The key is taken, or a concurrent request with the same
                // key is writing it (a transaction conflict): read it, and
                // once more a moment later if it is not there yet.
                if let Some(found) = self.by_key(key, job).await? {
                    return Ok(found);
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                self.by_key(key, job).await?.ok_or_else(|| StoreError::Dynamo {
                    operation: "TransactWriteItems",
                    source: "the transaction was cancelled and the key is not there; try again"
                        .into(),
                })
            }
            Err(e) => Err(StoreError::dynamo("TransactWriteItems", e)),
        }
    }

    /// What an idempotency key already names, if it is taken: the job an
    /// earlier request for the same export made, or `KeyReused`.
    pub async fn by_key(&self, key: &str, job: &Job) -> Result<Option<Created>, StoreError> {
        let Some(item) = self.key_item(key).await? else {
            return Ok(None);
        };
        let expired = attr_number::<i64>(&item, "expires_at")
            .is_some_and(|at| at < job.created_at.timestamp());
        if expired {
            return Ok(None);
        }
        if attr_s(&item, "fingerprint") != Some(job.spec.fingerprint().as_str()) {
            return Ok(Some(Created::KeyReused));
        }
        let id = attr_s(&item, "job_id").unwrap_or_default();
        match self.get(id, job.created_at).await? {
            Some(existing) => Ok(Some(Created::Existing(existing))),
            None => Err(self.malformed(id, "an idempotency key names a job that is gone")),
        }
    }

    fn slots(&self) -> Slots<'a> {
        Slots::new(self.client, self.table, keys::slots(self.tenant), "jobs")
    }

    /// Takes one of the tenant's `cap` job slots for the job `id` (its
    /// queued and running jobs hold them), freeing first, when they are
    /// all held, those of jobs that ended or expired without freeing
    /// theirs; whether it got one.
    pub async fn take_slot(
        &self,
        id: &str,
        cap: usize,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let slots = self.slots();
        if slots.take(id, cap, now).await? {
            return Ok(true);
        }
        let active = async |held: &[String]| {
            let mut active = Vec::new();
            for id in held {
                if self.get(id, now).await?.is_some_and(|job| !job.state.is_final()) {
                    active.push(id.clone());
                }
            }
            Ok(active)
        };
        Ok(slots.reclaim(now, active).await? && slots.take(id, cap, now).await?)
    }

    /// Frees the slot of job `id` (it ended, or was never made).
    pub async fn free_slot(&self, id: &str) {
        if let Err(e) = self.slots().free(id).await {
            tracing::warn!(tenant = self.tenant, job = id, error = %e, "a job's slot stays taken until reclaimed");
        }
    }

    async fn key_item(&self, key: &str) -> Result<Option<Item>, StoreError> {
        let key = key_map(keys::idempotency(self.tenant), key.to_owned());
        crate::store::get_consistent(self.client, self.table, key).await
    }

    /// Frees an idempotency key (its job could not be queued: a retry with
    /// the key makes a new job).
    pub async fn release_key(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(self.table)
            .key("pk", s(keys::idempotency(self.tenant)))
            .key("sk", s(key))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DeleteItem", e))?;
        Ok(())
    }

    /// The job, if it is this tenant's and not past its 7 days at `now`
    /// (TTL deletes lazily).
    pub async fn get(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Job>, StoreError> {
        let item = crate::store::get_consistent(self.client, self.table, self.key(id)).await?;
        let job = item.as_ref().map(|item| self.job_of(item)).transpose()?;
        Ok(job.filter(|job| job.expires_at > now))
    }

    /// The tenant's jobs kept at `now`, newest first: up to `limit` after
    /// the job `after` (ids sort by creation, so the kept ones are a range).
    pub async fn list(
        &self,
        after: Option<&str>,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Job)>, StoreError> {
        let pk = keys::jobs(self.tenant);
        let out = self
            .client
            .query()
            .table_name(self.table)
            .key_condition_expression("pk = :pk AND sk > :oldest")
            .expression_attribute_values(":pk", s(&pk))
            .expression_attribute_values(":oldest", s(oldest_kept_id(now)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(after.map(|id| self.key(id)))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        out.items
            .unwrap_or_default()
            .iter()
            .map(|item| self.job_of(item).map(|job| (job.id.clone(), job)))
            .collect()
    }

    /// Starts a run: `queued`, or `running` left by a run that died (started
    /// over [`STALE_AFTER_MINUTES`] ago), to `running` with one more attempt,
    /// while attempts remain. `None` when the job is gone, final, running
    /// in a live run, or out of attempts.
    pub async fn claim(&self, id: &str, now: DateTime<Utc>) -> Result<Option<Job>, StoreError> {
        let stale = now - chrono::Duration::minutes(STALE_AFTER_MINUTES);
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key(id)))
            .update_expression("SET #state = :running, started_at = :now, #rows = :zero, attempts = attempts + :one")
            .condition_expression(
                "attempts < :max AND (#state = :queued OR (#state = :running AND started_at < :stale))",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#rows", "rows")
            .expression_attribute_values(":running", s(JobState::Running.as_str()))
            .expression_attribute_values(":queued", s(JobState::Queued.as_str()))
            .expression_attribute_values(":now", s(timestamp(now)))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(MAX_ATTEMPTS))
            .expression_attribute_values(":stale", s(timestamp(stale)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match unless_condition_failed(result)? {
            Some(out) => out.attributes.as_ref().map(|item| self.job_of(item)).transpose(),
            None => Ok(None),
        }
    }

    /// Notes the rows written so far by run `attempt` of a job.
    pub async fn progress(&self, id: &str, attempt: u32, rows: u64) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key(id)))
            .update_expression("SET #rows = :rows")
            .condition_expression("#state = :running AND attempts = :attempt")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#rows", "rows")
            .expression_attribute_values(":rows", n(rows))
            .expression_attribute_values(":running", s(JobState::Running.as_str()))
            .expression_attribute_values(":attempt", n(attempt))
            .send()
            .await;
        unless_condition_failed(result).map(|_| ())
    }

    /// Ends run `attempt` of a job with its file; whether the job was still
    /// that run's.
    #[allow(clippy::too_many_arguments)]
    pub async fn succeed(
        &self,
        id: &str,
        attempt: u32,
        rows: u64,
        bytes: u64,
        object_key: &str,
        filename: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key(id)))
            .update_expression(
                "SET #state = :done, #rows = :rows, #bytes = :bytes, object_key = :key, filename = :file, \
                 finished_at = :now",
            )
            .condition_expression("#state = :running AND attempts = :attempt")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#rows", "rows")
            .expression_attribute_names("#bytes", "bytes")
            .expression_attribute_values(":done", s(JobState::Succeeded.as_str()))
            .expression_attribute_values(":running", s(JobState::Running.as_str()))
            .expression_attribute_values(":rows", n(rows))
            .expression_attribute_values(":bytes", n(bytes))
            .expression_attribute_values(":key", s(object_key))
            .expression_attribute_values(":file", s(filename))
            .expression_attribute_values(":now", s(timestamp(now)))
            .expression_attribute_values(":attempt", n(attempt))
            .send()
            .await;
        let ended = unless_condition_failed(result)?.is_some();
        if ended {
            self.free_slot(id).await;
        }
        Ok(ended)
    }

    /// Ends a job that is not final yet as failed, saying why, if it is
    /// still at run `attempt` (0: never run); whether it was.
    pub async fn fail(
        &self,
        id: &str,
        attempt: u32,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(self.table)
            .set_key(Some(self.key(id)))
            .update_expression("SET #state = :failed, #error = :error, finished_at = :now")
            .condition_expression("(#state = :queued OR #state = :running) AND attempts = :attempt")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#error", "error")
            .expression_attribute_values(":failed", s(JobState::Failed.as_str()))
            .expression_attribute_values(":queued", s(JobState::Queued.as_str()))
            .expression_attribute_values(":running", s(JobState::Running.as_str()))
            .expression_attribute_values(":error", s(error))
            .expression_attribute_values(":now", s(timestamp(now)))
            .expression_attribute_values(":attempt", n(attempt))
            .send()
            .await;
        let ended = unless_condition_failed(result)?.is_some();
        if ended {
            self.free_slot(id).await;
        }
        Ok(ended)
    }
}
