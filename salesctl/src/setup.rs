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
    if config.ses_endpoint.is_some()
        && let Some(mailer) = sales_shared::digests::deliver::Mailer::from_config(config).await
    {
        mailer
            .verify_sender()
            .await
            .map_err(|message| SchemaError::Create { table: mailer.sender.clone(), message })?;
        report.push(format!("email identity {} (DigestSender): verified", mailer.sender));
    }
    if let (Some(alias), Some(endpoint)) = (&config.secrets_key_id, &config.kms_endpoint) {
        report.push(ensure_local_key(config, endpoint, alias).await?);
    }
    Ok(report)
}

/// The key that seals webhook secrets, on the local KMS (moto), made with
/// its alias unless the alias exists (the template's `SecretsKey` in AWS).
async fn ensure_local_key(
    config: &Config,
    endpoint: &str,
    alias: &str,
) -> Result<String, SchemaError> {
    let failed = |e: String| SchemaError::Create { table: alias.to_owned(), message: e };
    if !alias.starts_with("alias/") {
        return Ok(format!("key {alias} (SecretsKey): used as given"));
    }
    let shared = sales_shared::aws::sdk_config(config).await;
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(&shared).endpoint_url(endpoint).build(),
    );
    let known = kms.describe_key().key_id(alias).send().await.is_ok();
    if !known {
        let key = kms
            .create_key()
            .description("sales-analytics local: seals webhook signing secrets")
            .send()
            .await
            .map_err(|e| failed(format!("{}", aws_sdk_kms::error::DisplayErrorContext(e))))?;
        let id = key.key_metadata.map(|m| m.key_id).unwrap_or_default();
        // A parallel setup may have made the alias meanwhile: the key it
        // names serves as well.
        if let Err(e) = kms.create_alias().alias_name(alias).target_key_id(id).send().await {
            let exists = e.as_service_error().is_some_and(|e| e.is_already_exists_exception());
            if !exists {
                return Err(failed(format!("{}", aws_sdk_kms::error::DisplayErrorContext(e))));
            }
        }
    }
    Ok(format!("key {alias} (SecretsKey): {}", if known { "exists" } else { "created" }))
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
