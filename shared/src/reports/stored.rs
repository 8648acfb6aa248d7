//! The scheduled management reports stored in the exports bucket, listed
//! with fresh presigned links (`GET /reports`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::exports::destination::Destination;
use crate::exports::upload::s3_error;
use crate::exports::{ExportError, Format};

/// A stored report with a fresh link.
#[derive(Debug, Clone, Serialize)]
pub struct StoredReport {
    pub month: String,
    pub format: &'static str,
    pub url: String,
    pub expires_at: String,
    pub bytes: i64,
    pub generated_at: Option<String>,
}

/// The tenant's stored reports, newest month first, each with a fresh link.
pub async fn list_reports(
    destination: &Destination,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<Vec<StoredReport>, ExportError> {
    let prefix = format!("reports/{tenant}/");
    let mut objects = Vec::new();
    let mut token = None;
    loop {
        let out = destination
            .s3
            .list_objects_v2()
            .bucket(&destination.bucket)
            .prefix(&prefix)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| s3_error("ListObjectsV2", e))?;
        objects.extend(out.contents.unwrap_or_default());
        token = out.next_continuation_token;
        if token.is_none() {
            break;
        }
    }
    let mut reports = Vec::new();
    for object in objects {
        let Some(key) = object.key.clone() else { continue };
        let Some(rest) = key.strip_prefix(&prefix) else { continue };
        let Some((month, file)) = rest.split_once('/') else { continue };
        let format = match file.rsplit_once('.').map(|(_, ext)| ext) {
            Some("pdf") => Format::Pdf,
            Some("xlsx") => Format::Excel,
            _ => continue,
        };
        let filename = format!("management-report-{month}.{}", format.extension());
        let link = destination.link(&key, &filename, now).await?;
        reports.push(StoredReport {
            month: month.to_owned(),
            format: format.as_str(),
            url: link.url,
            expires_at: link.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            bytes: object.size.unwrap_or(0),
            generated_at: object
                .last_modified
                .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), 0))
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        });
    }
    reports.sort_by(|a, b| b.month.cmp(&a.month).then(a.format.cmp(b.format)));
    Ok(reports)
}
