//! The stream-triggered rollup: turns each change of the source table into
//! aggregate deltas, applied exactly once in effect (see [`apply`]).

pub mod apply;
pub mod contrib;
pub mod rebuild;

use std::collections::HashMap;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use sales_shared::config::Config;
use sales_shared::records::{SourceRecord, TenantSettings, check_currency};
use sales_shared::store::aggregates::{key_map, padded_sequence, tenant_registry_key, watermark_key};
use sales_shared::store::{StoreError, source};

use crate::apply::{PreparedChange, apply_group, group_changes};
use crate::contrib::{Contribution, Delta, contribution};

/// Clients and tables, built once per process.
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
    #[error("record cannot be applied: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Apply(#[from] apply::ApplyError),
}

fn image(item: &serde_dynamo::Item) -> Result<Option<SourceRecord>, StoreError> {
    if item.is_empty() { Ok(None) } else { source::decode(item.clone()).map(Some) }
}

/// A change ready to apply, and the tenant and stream time it advances.
struct Prepared {
    change: PreparedChange,
    written_at: DateTime<Utc>,
}

async fn prepare(
    ctx: &RollupContext,
    record: &EventRecord,
    tenants: &mut HashMap<String, TenantSettings>,
) -> Result<Prepared, RollupError> {
    let sequence = record.change.sequence_number.as_deref().ok_or(RollupError::NoSequence)?;
    let new = image(&record.change.new_image)?;
    let old = image(&record.change.old_image)?;
    let any = new.as_ref().or(old.as_ref()).ok_or(RollupError::NoImage)?;
    let key = any.key.clone();
    let settings = match tenants.get(&key.tenant_id) {
        Some(settings) => settings,
        None => {
            let settings = source::tenant_settings(&ctx.dynamo, &ctx.source_table, &key.tenant_id).await?;
            tenants.entry(key.tenant_id.clone()).or_insert(settings)
        }
    };
    if let Some(record) = &new {
        check_currency(record, &settings.currency)
            .map_err(|rejection| RollupError::Invalid(format!("{:?} {}: {rejection}", key.record_type, key.id)))?;
    }
    let tz: Tz = settings.tz();
    let contribution_of = |r: &Option<SourceRecord>| r.as_ref().map(|r| contribution(r, tz)).unwrap_or_default();
    let (old_c, new_c): (Contribution, Contribution) = (contribution_of(&old), contribution_of(&new));
    let version = new.as_ref().or(old.as_ref()).map(|r| r.version).unwrap_or_default();
    Ok(Prepared {
        written_at: record.change.approximate_creation_date_time,
        change: PreparedChange {
            delta: Delta::between(&key.tenant_id, &old_c, &new_c),
            key,
            sequence: padded_sequence(sequence),
            version,
        },
    })
}

/// Handles one batch of stream records. Records are applied in order; on
/// the first that cannot be applied, it and every later one are reported
/// as batch item failures so Lambda retries from there.
pub async fn handle(ctx: &RollupContext, event: Event) -> DynamoDbEventResponse {
    let mut tenants = HashMap::new();
    let mut changes = Vec::new();
    let mut written: Vec<(String, DateTime<Utc>)> = Vec::new();
    let mut failed_at: Option<usize> = None;
    for (index, record) in event.records.iter().enumerate() {
        match prepare(ctx, record, &mut tenants).await {
            Ok(p) => {
                written.push((p.change.key.tenant_id.clone(), p.written_at));
                changes.push(p.change);
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
                for (tenant, at) in &written[position..position + size] {
                    let entry = newest.entry(tenant.clone()).or_insert(*at);
                    *entry = (*entry).max(*at);
                }
                position += size;
            }
            Err(err) => {
                tracing::error!(error = %err, "applying a group of changes failed");
                failed_at = Some(position);
                break;
            }
        }
    }
    if let Some((index, err)) = grouping.too_large {
        tracing::error!(error = %err, "change cannot be applied in one transaction");
        failed_at = Some(failed_at.map_or(index, |f| f.min(index)));
    }
    for (tenant, at) in newest {
        if let Err(err) = advance_watermark(ctx, &tenant, at).await {
            tracing::warn!(error = %err, tenant, "watermark not advanced");
        }
    }
    let mut response = DynamoDbEventResponse::default();
    if let Some(index) = failed_at {
        for record in &event.records[index..] {
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

/// Moves the tenant's `data_through` forward (never back).
async fn advance_watermark(ctx: &RollupContext, tenant: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
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
        Ok(out) if out.attributes.as_ref().is_none_or(|a| a.is_empty()) => register_tenant(ctx, tenant).await,
        Ok(_) => Ok(()),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
        Err(err) => Err(StoreError::dynamo("UpdateItem", err)),
    }
}
