//! The stream-triggered rollup: turns each change of the source table into
//! aggregate deltas, applied exactly once in effect (see [`apply`]).

pub mod apply;
pub mod contributions;
pub mod derive;
pub mod rebuild;

use std::collections::HashMap;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};
use sales_shared::config::Config;
use sales_shared::layout::{padded_sequence, tenant_registry_key, watermark_key};
use sales_shared::records::{RecordKey, TenantSettings};
use sales_shared::store::key_map;
use sales_shared::store::{StoreError, source};

use crate::apply::{PreparedChange, apply_group, group_changes};
use crate::contributions::{Contribution, Delta, checked_contribution};
use crate::derive::DeriveSettings;

/// Clients and tables, built once per process.
#[derive(Clone)]
pub struct RollupContext {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub source_table: String,
    pub aggregates_table: String,
}

impl RollupContext {
    pub async fn from_config(config: &Config) -> Self {
        RollupContext {
            dynamo: sales_shared::aws::dynamodb(config).await,
            source_table: config.source_table.clone(),
            aggregates_table: config.aggregates_table.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    #[error("stream record has no sequence number")]
    NoSequence,
    #[error("stream record has neither a new nor an old image")]
    NoImage,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One side (new or old) of a stream record, as the rollup sees it.
enum Image {
    /// No image: an insert's old side or a removal's new side.
    Absent,
    /// A version the aggregates include, with its contribution.
    Valid { key: RecordKey, version: i64, contribution: Contribution },
    /// A version that contributes nothing: it breaks a record limit,
    /// carries another currency, overflows, or its body is unreadable.
    /// `rebuild` leaves it out the same way.
    Refused { key: RecordKey, version: i64, reason: String },
    /// Not even the record's identity can be read: nothing to apply.
    Unreadable(String),
}

impl Image {
    fn identity(&self) -> Option<(&RecordKey, i64)> {
        match self {
            Image::Valid { key, version, .. } | Image::Refused { key, version, .. } => {
                Some((key, *version))
            }
            Image::Absent | Image::Unreadable(_) => None,
        }
    }

    fn contribution(&self) -> Contribution {
        match self {
            Image::Valid { contribution, .. } => contribution.clone(),
            _ => Contribution::default(),
        }
    }

    /// Why this image is not applied, if it is not.
    fn problem(&self) -> Option<String> {
        match self {
            Image::Refused { key, reason, .. } => {
                Some(format!("{:?} {} {}: {reason}", key.record_type, key.tenant_id, key.id))
            }
            Image::Unreadable(reason) => Some(reason.clone()),
            Image::Absent | Image::Valid { .. } => None,
        }
    }
}

async fn read_image(
    ctx: &RollupContext,
    item: &serde_dynamo::Item,
    tenants: &mut HashMap<String, TenantSettings>,
) -> Result<Image, StoreError> {
    if item.is_empty() {
        return Ok(Image::Absent);
    }
    let stored = match source::decode_stored(item.clone()) {
        Ok(stored) => stored,
        Err(err) => return Ok(Image::Unreadable(err.to_string())),
    };
    let Some((key, version)) = stored.identity() else {
        return Ok(Image::Unreadable(format!("unknown record type {}", stored.record_type)));
    };
    let record = match stored.decode() {
        Ok(record) => record,
        Err(err) => return Ok(Image::Refused { key, version, reason: err.to_string() }),
    };
    let settings = match tenants.get(&key.tenant_id) {
        Some(settings) => settings,
        None => {
            let settings = match source::tenant_settings(
                &ctx.dynamo,
                &ctx.source_table,
                &key.tenant_id,
            )
            .await
            {
                Ok(settings) => settings,
                // Unreadable settings count as the defaults, as in `rebuild`.
                Err(err @ StoreError::Malformed { .. }) => {
                    tracing::error!(error = %err, tenant = key.tenant_id, "tenant settings unreadable; using the defaults");
                    TenantSettings::default()
                }
                Err(err) => return Err(err),
            };
            tenants.entry(key.tenant_id.clone()).or_insert(settings)
        }
    };
    Ok(match checked_contribution(&record, settings) {
        Ok(contribution) => Image::Valid { key, version, contribution },
        Err(rejection) => Image::Refused { key, version, reason: rejection.to_string() },
    })
}

/// A change ready to apply (if anything is readable), the tenant and stream
/// time it advances, and why its new image is refused, if it is.
struct Prepared {
    change: Option<PreparedChange>,
    written_at: DateTime<Utc>,
    refused: Option<String>,
}

async fn prepare(
    ctx: &RollupContext,
    record: &EventRecord,
    tenants: &mut HashMap<String, TenantSettings>,
) -> Result<Prepared, RollupError> {
    let sequence = record.change.sequence_number.as_deref().ok_or(RollupError::NoSequence)?;
    if record.change.new_image.is_empty() && record.change.old_image.is_empty() {
        // Nothing to apply, ever: reported alone, like a refused image.
        let refused = Some(RollupError::NoImage.to_string());
        return Ok(Prepared {
            change: None,
            written_at: record.change.approximate_creation_date_time,
            refused,
        });
    }
    let new = read_image(ctx, &record.change.new_image, tenants).await?;
    let old = read_image(ctx, &record.change.old_image, tenants).await?;
    let refused = new.problem();
    let change = new.identity().or(old.identity()).map(|(key, version)| PreparedChange {
        delta: Delta::between(&key.tenant_id, &old.contribution(), &new.contribution()),
        key: key.clone(),
        sequence: padded_sequence(sequence),
        version,
        settings: tenants.get(&key.tenant_id).map(DeriveSettings::of).unwrap_or_default(),
    });
    Ok(Prepared { change, written_at: record.change.approximate_creation_date_time, refused })
}

/// Handles one batch of stream records, in order.
///
/// A record whose new image the aggregates cannot include (a broken rule,
/// an unreadable item) is applied as contributing nothing and reported as
/// a batch item failure on its own, so that Lambda's retries end in the
/// dead-letter destination while every other record and tenant goes on;
/// `rebuild` leaves such a version out the same way, so `verify` stays
/// clean. A failure that may pass (storage) stops the batch there: that
/// record and every later one are reported, and Lambda retries from it.
pub async fn handle(ctx: &RollupContext, event: Event) -> DynamoDbEventResponse {
    let mut tenants = HashMap::new();
    let mut changes = Vec::new();
    // (index in the batch, tenant, stream time) of each change to apply.
    let mut written: Vec<(usize, String, DateTime<Utc>)> = Vec::new();
    let mut refused = vec![false; event.records.len()];
    let mut failed_at: Option<usize> = None;
    for (index, record) in event.records.iter().enumerate() {
        match prepare(ctx, record, &mut tenants).await {
            Ok(p) => {
                if let Some(reason) = &p.refused {
                    tracing::error!(event_id = %record.event_id, sequence = ?record.change.sequence_number, reason, "stream record refused: it contributes nothing");
                    refused[index] = true;
                }
                if let Some(change) = p.change {
                    written.push((index, change.key.tenant_id.clone(), p.written_at));
                    changes.push(change);
                }
            }
            Err(err) => {
                tracing::error!(event_id = %record.event_id, sequence = ?record.change.sequence_number, error = %err, "cannot apply stream record");
                failed_at = Some(index);
                break;
            }
        }
    }
    let mut newest: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut position = 0;
    let grouping = group_changes(changes);
    for group in grouping.groups {
        let size = group.len();
        match apply_group(&ctx.dynamo, &ctx.aggregates_table, group).await {
            Ok(_) => {
                for (_, tenant, at) in &written[position..position + size] {
                    let entry = newest.entry(tenant.clone()).or_insert(*at);
                    *entry = (*entry).max(*at);
                }
                position += size;
            }
            Err(err) => {
                tracing::error!(error = %err, "applying a group of changes failed");
                failed_at =
                    Some(failed_at.map_or(written[position].0, |f| f.min(written[position].0)));
                break;
            }
        }
    }
    for (tenant, at) in newest {
        if let Err(err) = advance_watermark(ctx, &tenant, at).await {
            tracing::warn!(error = %err, tenant, "watermark not advanced");
        }
    }
    let mut response = DynamoDbEventResponse::default();
    let failed = |index: usize| failed_at.is_some_and(|f| index >= f) || refused[index];
    for (index, record) in event.records.iter().enumerate() {
        if failed(index) {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Adds the tenant to the registry the scheduled reports read (on its
/// first watermark).
async fn register_tenant(ctx: &RollupContext, tenant: &str) -> Result<(), StoreError> {
    let (pk, sk) = tenant_registry_key(tenant);
    ctx.dynamo
        .put_item()
        .table_name(&ctx.aggregates_table)
        .set_item(Some(key_map(pk, sk)))
        .send()
        .await
        .map_err(|e| StoreError::dynamo("PutItem", e))?;
    Ok(())
}

/// Moves the tenant's `data_through` forward (never back), registering the
/// tenant on its first watermark.
pub async fn advance_watermark(
    ctx: &RollupContext,
    tenant: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (pk, sk) = watermark_key(tenant);
    let text = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let result = ctx
        .dynamo
        .update_item()
        .table_name(&ctx.aggregates_table)
        .set_key(Some(key_map(pk, sk)))
        .update_expression("SET through = :t")
        .condition_expression("attribute_not_exists(through) OR through < :t")
        .expression_attribute_values(":t", AttributeValue::S(text))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedOld)
        .send()
        .await;
    match result {
        Ok(out) if out.attributes.as_ref().is_none_or(|a| a.is_empty()) => {
            register_tenant(ctx, tenant).await
        }
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(StoreError::dynamo("UpdateItem", err)),
    }
}
