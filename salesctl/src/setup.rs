//! `salesctl setup`: creates the tables and the bucket on local services
//! from the definitions in `template.yaml`.

use sales_shared::config::Config;
use sales_shared::schema::{
    AGGREGATES_TABLE, ALERTS_TABLE, EXPORT_JOBS_TABLE, EXPORTS_BUCKET, SOURCE_TABLE, SchemaError,
    TEMPLATE, declares_bucket, ensure_bucket, ensure_table, table_definition,
};

/// Creates the tables (and, when `with_bucket`, the exports bucket) unless
/// they exist. Returns a line per resource for the user.
pub async fn create_resources(
    config: &Config,
    with_bucket: bool,
) -> Result<Vec<String>, SchemaError> {
    let dynamo = sales_shared::aws::dynamodb(config).await;
    let mut report = Vec::new();
    for (logical_id, name) in [
        (SOURCE_TABLE, &config.source_table),
        (AGGREGATES_TABLE, &config.aggregates_table),
        (ALERTS_TABLE, &config.alerts_table),
        (EXPORT_JOBS_TABLE, &config.export_jobs_table),
    ] {
        let definition = table_definition(TEMPLATE, logical_id)?;
        let created = ensure_table(&dynamo, &definition, name).await?;
        report.push(format!(
            "table {name} ({logical_id}): {}",
            if created { "created" } else { "exists" }
        ));
    }
    if with_bucket && declares_bucket(TEMPLATE, EXPORTS_BUCKET) {
        let s3 = sales_shared::aws::s3(config).await;
        let created = ensure_bucket(&s3, &config.exports_bucket).await?;
        report.push(format!(
            "bucket {} ({EXPORTS_BUCKET}): {}",
            config.exports_bucket,
            if created { "created" } else { "exists" }
        ));
    }
    if let (Some(url), Some(_)) = (&config.export_queue_url, &config.sqs_endpoint) {
        report.push(ensure_local_queue(config, url).await?);
    }
    Ok(report)
}

/// The export worker's queue on the local SQS (moto), named by the last
/// part of its URL; `CreateQueue` is idempotent.
async fn ensure_local_queue(config: &Config, url: &str) -> Result<String, SchemaError> {
    let name = url.rsplit('/').next().unwrap_or_default();
    let sqs = sales_shared::aws::sqs(config).await;
    let created =
        sqs.create_queue().queue_name(name).send().await.map_err(|e| SchemaError::Create {
            table: name.to_owned(),
            message: format!("{}", aws_sdk_sqs::error::DisplayErrorContext(e)),
        })?;
    Ok(format!("queue {} (ExportJobQueue): ready", created.queue_url.unwrap_or_default()))
}
