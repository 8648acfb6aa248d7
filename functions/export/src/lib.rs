//! The scheduled export: on its EventBridge schedule (the 1st of each
//! month), writes every registered tenant's management report of the
//! previous month (tenant-local) to S3. An event `{"detail": {"month":
//! "YYYY-MM"}}` (or `{"month": ...}`) reruns a given month; reruns overwrite
//! the same keys.

use aws_sdk_s3::config::SharedCredentialsProvider;
use sales_shared::config::{Clock, Config};
use sales_shared::exports::ExportError;
use sales_shared::exports::run::Destination;
use sales_shared::periods::{DateRange, local_today};
use sales_shared::reports::management::{parse_month, previous_month, write_management_report};
use sales_shared::store::aggregates::{AggregateReader, tenants};
use serde_json::{Value, json};

/// Clients and names, built once per process.
pub struct ReportContext {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub credentials: Option<SharedCredentialsProvider>,
    pub aggregates_table: String,
    pub bucket: String,
    pub link_ttl: std::time::Duration,
    pub clock: Clock,
}

impl ReportContext {
    pub async fn from_config(config: &Config) -> Self {
        let (s3, credentials) = sales_shared::aws::s3_with_credentials(config).await;
        ReportContext {
            dynamo: sales_shared::aws::dynamodb(config).await,
            s3,
            credentials,
            aggregates_table: config.aggregates_table.clone(),
            bucket: config.exports_bucket.clone(),
            link_ttl: config.export_link_ttl,
            clock: config.clock(),
        }
    }

    fn destination(&self) -> Destination<'_> {
        Destination {
            s3: &self.s3,
            credentials: self.credentials.as_ref(),
            bucket: &self.bucket,
            link_ttl: self.link_ttl,
        }
    }
}

/// The month an event asks for, if any.
pub fn requested_month(event: &Value) -> Result<Option<DateRange>, ExportError> {
    let text = event.pointer("/detail/month").or_else(|| event.get("month")).and_then(Value::as_str);
    text.map(|t| {
        parse_month(t)
            .ok_or_else(|| ExportError::Write { format: "report", message: format!("month `{t}` is not YYYY-MM") })
    })
    .transpose()
}

/// Writes one tenant's report of `month` (default: the month before the
/// tenant's today); returns the keys written.
pub async fn report_for_tenant(
    ctx: &ReportContext,
    tenant: &str,
    month: Option<DateRange>,
) -> Result<Vec<String>, ExportError> {
    let reader = AggregateReader::new(&ctx.dynamo, &ctx.aggregates_table, tenant);
    let settings = reader.settings().await?;
    let now = ctx.clock.now();
    let month = month.unwrap_or_else(|| previous_month(local_today(now, settings.tz())));
    write_management_report(&reader, &ctx.destination(), tenant, &settings.currency, month, now).await
}

/// The scheduled run: every registered tenant; one tenant's failure does
/// not stop the others, and fails the run at the end (so it is retried).
pub async fn run(ctx: &ReportContext, event: &Value) -> Result<Value, ExportError> {
    let month = requested_month(event)?;
    let mut written = Vec::new();
    let mut failed = Vec::new();
    for tenant in tenants(&ctx.dynamo, &ctx.aggregates_table).await? {
        match report_for_tenant(ctx, &tenant, month).await {
            Ok(keys) => {
                tracing::info!(tenant, ?keys, "management report written");
                written.extend(keys);
            }
            Err(err) => {
                tracing::error!(tenant, error = %err, "management report failed");
                failed.push(tenant);
            }
        }
    }
    if !failed.is_empty() {
        return Err(ExportError::Write { format: "report", message: format!("reports failed for {failed:?}") });
    }
    Ok(json!({ "written": written }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_from_events() {
        let scheduled = json!({"source": "aws.scheduler", "detail": {}});
        assert_eq!(requested_month(&scheduled).unwrap(), None);
        let rerun = json!({"detail": {"month": "2025-12"}});
        assert_eq!(requested_month(&rerun).unwrap().unwrap().days(), 31);
        assert!(requested_month(&json!({"month": "December"})).is_err());
    }
}
