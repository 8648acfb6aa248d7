//! Table and bucket definitions, read from `template.yaml` (the one source of
//! truth) and created on local services.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus,
};
use serde_yaml::Value;

/// The SAM template, compiled in.
pub const TEMPLATE: &str = include_str!("../../template.yaml");

/// Logical ids in the template.
pub const SOURCE_TABLE: &str = "SourceTable";
pub const AGGREGATES_TABLE: &str = "AggregatesTable";
pub const ALERTS_TABLE: &str = "AlertsTable";
pub const EXPORT_JOBS_TABLE: &str = "ExportJobsTable";
pub const EXPORTS_BUCKET: &str = "ExportsBucket";

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("template.yaml: {0}")]
    Template(String),
    #[error("creating {table}: {message}")]
    Create { table: String, message: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexDefinition {
    pub name: String,
    pub key_schema: Vec<(String, String)>,
    pub projection: String,
}

/// What `CreateTable` needs, as the template declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDefinition {
    pub logical_id: String,
    pub attributes: Vec<(String, String)>,
    pub key_schema: Vec<(String, String)>,
    pub stream_view_type: Option<String>,
    pub indexes: Vec<IndexDefinition>,
}

fn template_err(message: impl Into<String>) -> SchemaError {
    SchemaError::Template(message.into())
}

fn field<'a>(v: &'a Value, name: &str, context: &str) -> Result<&'a Value, SchemaError> {
    v.get(name).ok_or_else(|| template_err(format!("{context} has no {name}")))
}

fn text(v: &Value, name: &str, context: &str) -> Result<String, SchemaError> {
    field(v, name, context)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| template_err(format!("{context}.{name} is not a plain string")))
}

fn pairs(
    v: &Value,
    list: &str,
    a: &str,
    b: &str,
    context: &str,
) -> Result<Vec<(String, String)>, SchemaError> {
    field(v, list, context)?
        .as_sequence()
        .ok_or_else(|| template_err(format!("{context}.{list} is not a list")))?
        .iter()
        .map(|item| Ok((text(item, a, context)?, text(item, b, context)?)))
        .collect()
}

/// Reads one `AWS::DynamoDB::Table` resource of the template.
pub fn table_definition(template: &str, logical_id: &str) -> Result<TableDefinition, SchemaError> {
    let doc: Value = serde_yaml::from_str(template).map_err(|e| template_err(e.to_string()))?;
    let resource = field(field(&doc, "Resources", "template")?, logical_id, "Resources")?;
    if resource.get("Type").and_then(Value::as_str) != Some("AWS::DynamoDB::Table") {
        return Err(template_err(format!("{logical_id} is not an AWS::DynamoDB::Table")));
    }
    let props = field(resource, "Properties", logical_id)?;
    let stream_view_type = match props.get("StreamSpecification") {
        Some(spec) => Some(text(spec, "StreamViewType", logical_id)?),
        None => None,
    };
    let indexes = match props.get("GlobalSecondaryIndexes").and_then(Value::as_sequence) {
        Some(list) => list
            .iter()
            .map(|gsi| {
                Ok(IndexDefinition {
                    name: text(gsi, "IndexName", logical_id)?,
                    key_schema: pairs(gsi, "KeySchema", "AttributeName", "KeyType", logical_id)?,
                    projection: text(
                        field(gsi, "Projection", logical_id)?,
                        "ProjectionType",
                        logical_id,
                    )?,
                })
            })
            .collect::<Result<_, SchemaError>>()?,
        None => Vec::new(),
    };
    Ok(TableDefinition {
        logical_id: logical_id.to_owned(),
        attributes: pairs(
            props,
            "AttributeDefinitions",
            "AttributeName",
            "AttributeType",
            logical_id,
        )?,
        key_schema: pairs(props, "KeySchema", "AttributeName", "KeyType", logical_id)?,
        stream_view_type,
        indexes,
    })
}

/// Whether the template declares the bucket.
pub fn declares_bucket(template: &str, logical_id: &str) -> bool {
    serde_yaml::from_str::<Value>(template)
        .ok()
        .and_then(|doc| {
            doc.get("Resources")?
                .get(logical_id)?
                .get("Type")?
                .as_str()
                .map(|t| t == "AWS::S3::Bucket")
        })
        .unwrap_or(false)
}

fn key_elements(pairs: &[(String, String)]) -> Result<Vec<KeySchemaElement>, SchemaError> {
    pairs
        .iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind.as_str()))
                .build()
                .map_err(|e| template_err(e.to_string()))
        })
        .collect()
}

/// Creates the table unless it exists, and waits until it is active.
/// Returns whether it was created.
pub async fn ensure_table(
    client: &aws_sdk_dynamodb::Client,
    definition: &TableDefinition,
    table_name: &str,
) -> Result<bool, SchemaError> {
    let create_err =
        |message: String| SchemaError::Create { table: table_name.to_owned(), message };
    if client.describe_table().table_name(table_name).send().await.is_ok() {
        return Ok(false);
    }
    let mut request =
        client.create_table().table_name(table_name).billing_mode(BillingMode::PayPerRequest);
    for (name, kind) in &definition.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(|e| create_err(e.to_string()))?,
        );
    }
    request = request.set_key_schema(Some(key_elements(&definition.key_schema)?));
    if let Some(view) = &definition.stream_view_type {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view.as_str()))
                .build()
                .map_err(|e| create_err(e.to_string()))?,
        );
    }
    for index in &definition.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(key_elements(&index.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(index.projection.as_str()))
                        .build(),
                )
                .build()
                .map_err(|e| create_err(e.to_string()))?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| create_err(format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(e))))?;
    for _ in 0..100 {
        let status = client
            .describe_table()
            .table_name(table_name)
            .send()
            .await
            .ok()
            .and_then(|d| d.table().and_then(|t| t.table_status().cloned()));
        if status == Some(TableStatus::Active) {
            return Ok(true);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(create_err("table did not become active".into()))
}

#[cfg(feature = "s3")]
/// Creates the bucket unless it exists.
pub async fn ensure_bucket(client: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, SchemaError> {
    if client.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(false);
    }
    let Err(e) = client.create_bucket().bucket(bucket).send().await else { return Ok(true) };
    // Created meanwhile by another setup (tests set up side by side; local
    // S3 servers answer either error): fine if it is ours to use.
    let raced = e
        .as_service_error()
        .is_some_and(|s| s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists());
    if raced && client.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(false);
    }
    Err(SchemaError::Create {
        table: bucket.to_owned(),
        message: format!("{}", aws_sdk_s3::error::DisplayErrorContext(e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_declares_the_tables_the_code_relies_on() {
        let source = table_definition(TEMPLATE, SOURCE_TABLE).unwrap();
        assert_eq!(
            source.key_schema,
            vec![("pk".into(), "HASH".into()), ("sk".into(), "RANGE".into())]
        );
        assert_eq!(source.stream_view_type.as_deref(), Some("NEW_AND_OLD_IMAGES"));
        let aggregates = table_definition(TEMPLATE, AGGREGATES_TABLE).unwrap();
        assert_eq!(aggregates.key_schema, source.key_schema);
        assert!(aggregates.attributes.contains(&("pk".into(), "S".into())));
        assert!(declares_bucket(TEMPLATE, EXPORTS_BUCKET));
        let jobs = table_definition(TEMPLATE, EXPORT_JOBS_TABLE).unwrap();
        assert_eq!(jobs.key_schema, source.key_schema);
        assert!(table_definition(TEMPLATE, EXPORTS_BUCKET).is_err());
    }
}
