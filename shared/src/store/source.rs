//! The source table. One item per record: `pk = {tenant}#{type}#{id % 8}`
//! (write sharding), `sk = {id:020}`, the envelope as attributes and the
//! validated body as canonical JSON in `record` (absent on tombstones). The
//! body as a JSON string keeps money exact and never writes an empty map.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::DateTime;
use serde::Deserialize;

use super::StoreError;
use crate::records::{RecordBody, RecordKey, RecordType, SourceRecord, TenantSettings};

/// Partition-key shards per tenant and type, so that one tenant's writes
/// spread over several partitions.
pub const WRITE_SHARDS: i64 = 8;

pub fn partition_key(key: &RecordKey) -> String {
    shard_partition(&key.tenant_id, key.record_type, key.id % WRITE_SHARDS)
}

/// The partition holding one write shard of a tenant's records of a type.
pub fn shard_partition(tenant: &str, record_type: RecordType, shard: i64) -> String {
    format!("{tenant}#{}#{shard}", record_type.as_str())
}

pub fn sort_key(id: i64) -> String {
    format!("{id:020}")
}

/// The key attributes of a record's item.
pub fn item_key(key: &RecordKey) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(partition_key(key))),
        ("sk".to_owned(), AttributeValue::S(sort_key(key.id))),
    ])
}

/// The item written for a record version.
pub fn encode(record: &SourceRecord) -> HashMap<String, AttributeValue> {
    let mut item = item_key(&record.key);
    item.insert("tenant_id".into(), AttributeValue::S(record.key.tenant_id.clone()));
    item.insert("type".into(), AttributeValue::S(record.key.record_type.as_str().into()));
    item.insert("id".into(), AttributeValue::N(record.key.id.to_string()));
    item.insert("version".into(), AttributeValue::N(record.version.to_string()));
    item.insert("updated_at".into(), AttributeValue::S(record.updated_at.to_rfc3339()));
    match &record.body {
        Some(body) => {
            item.insert("record".into(), AttributeValue::S(body.to_json()));
        }
        None => {
            item.insert("deleted".into(), AttributeValue::Bool(true));
        }
    }
    item
}

/// A source item as stored (and as a stream image carries it).
#[derive(Debug, Deserialize)]
pub struct StoredItem {
    pub tenant_id: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub id: i64,
    pub version: i64,
    pub updated_at: String,
    #[serde(default)]
    pub deleted: bool,
    pub record: Option<String>,
}

impl StoredItem {
    /// The record's identity and version, readable even when its body is not.
    pub fn identity(&self) -> Option<(RecordKey, i64)> {
        let record_type = RecordType::parse(&self.record_type)?;
        Some((
            RecordKey { tenant_id: self.tenant_id.clone(), record_type, id: self.id },
            self.version,
        ))
    }

    pub fn decode(self) -> Result<SourceRecord, StoreError> {
        let malformed = |message: String| StoreError::Malformed {
            key: format!("{}#{}#{}", self.tenant_id, self.record_type, self.id),
            message,
        };
        let record_type = RecordType::parse(&self.record_type)
            .ok_or_else(|| malformed(format!("unknown record type {}", self.record_type)))?;
        let updated_at =
            DateTime::parse_from_rfc3339(&self.updated_at).map_err(|e| malformed(e.to_string()))?;
        let body = match (&self.record, self.deleted) {
            (_, true) => None,
            (Some(text), false) => Some(
                RecordBody::from_json(record_type, text).map_err(|e| malformed(e.to_string()))?,
            ),
            (None, false) => return Err(malformed("neither a record nor a tombstone".into())),
        };
        Ok(SourceRecord {
            key: RecordKey { tenant_id: self.tenant_id, record_type, id: self.id },
            version: self.version,
            updated_at,
            body,
        })
    }
}

/// Reads the envelope of a source item (SDK or stream-image form).
pub fn decode_stored<I: Into<serde_dynamo::Item>>(item: I) -> Result<StoredItem, StoreError> {
    serde_dynamo::from_item(item.into())
        .map_err(|e| StoreError::Malformed { key: "(source item)".into(), message: e.to_string() })
}

/// Decodes an item of the source table (SDK or stream-image form).
pub fn decode<I: Into<serde_dynamo::Item>>(item: I) -> Result<SourceRecord, StoreError> {
    decode_stored(item)?.decode()
}

/// What a conditional write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Written,
    /// The stored version is the same or newer: nothing changed.
    Unchanged,
    /// DynamoDB refused this item itself (see [`item_refusal`]); its code
    /// and message. Nothing changed; other items are not concerned.
    Refused(String),
}

/// Why DynamoDB refused a `PutItem` because of the item itself: a
/// `ValidationException` (item over 400 KB, an attribute or index key
/// value it does not accept) or an item collection past its size limit.
/// `None` for every other error (missing table, throttling, credentials).
pub fn item_refusal(err: &aws_sdk_dynamodb::operation::put_item::PutItemError) -> Option<String> {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    let code = err.code().unwrap_or_default();
    let refused =
        code == "ValidationException" || err.is_item_collection_size_limit_exceeded_exception();
    refused.then(|| format!("{code}: {}", err.message().unwrap_or("no message")))
}

/// Writes the record unless the stored version is the same or newer.
pub async fn put_if_newer(
    client: &Client,
    table: &str,
    record: &SourceRecord,
) -> Result<PutOutcome, StoreError> {
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(encode(record)))
        .condition_expression("attribute_not_exists(pk) OR version < :v")
        .expression_attribute_values(":v", AttributeValue::N(record.version.to_string()))
        .send()
        .await;
    match result {
        Ok(_) => Ok(PutOutcome::Written),
        Err(err) => {
            if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) {
                Ok(PutOutcome::Unchanged)
            } else if let Some(refusal) = err.as_service_error().and_then(item_refusal) {
                Ok(PutOutcome::Refused(refusal))
            } else {
                Err(StoreError::dynamo("PutItem", err))
            }
        }
    }
}

/// Reads one record (tombstones included) by key.
pub async fn get(
    client: &Client,
    table: &str,
    key: &RecordKey,
) -> Result<Option<SourceRecord>, StoreError> {
    super::get_consistent(client, table, item_key(key)).await?.map(decode).transpose()
}

/// The tenant's settings, defaults when none were written (or deleted).
pub async fn tenant_settings(
    client: &Client,
    table: &str,
    tenant_id: &str,
) -> Result<TenantSettings, StoreError> {
    let key = RecordKey {
        tenant_id: tenant_id.to_owned(),
        record_type: RecordType::TenantSettings,
        id: 1,
    };
    Ok(match get(client, table, &key).await? {
        Some(SourceRecord { body: Some(RecordBody::TenantSettings(s)), .. }) => s,
        _ => TenantSettings::default(),
    })
}
