//! S3: a multipart upload fed part by part (so an export's memory stays
//! flat whatever its size), and presigned GET links.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use chrono::{DateTime, Utc};

use super::ExportError;

/// Size of every part but the last (S3's minimum is 5 MiB).
pub const PART_SIZE: usize = 8 << 20;

pub(crate) fn s3_error(
    operation: &'static str,
    err: impl std::error::Error + 'static,
) -> ExportError {
    ExportError::S3 { operation, message: format!("{}", DisplayErrorContext(err)) }
}

/// An S3 object being written in parts.
pub struct MultipartUpload<'a> {
    client: &'a Client,
    bucket: String,
    key: String,
    upload_id: String,
    parts: Vec<CompletedPart>,
    bytes: u64,
}

impl<'a> MultipartUpload<'a> {
    pub async fn start(
        client: &'a Client,
        bucket: &str,
        key: &str,
        content_type: &str,
        content_disposition: &str,
    ) -> Result<Self, ExportError> {
        let out = client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .content_disposition(content_disposition)
            .send()
            .await
            .map_err(|e| s3_error("CreateMultipartUpload", e))?;
        let upload_id = out.upload_id.ok_or_else(|| ExportError::S3 {
            operation: "CreateMultipartUpload",
            message: "no upload id".into(),
        })?;
        Ok(MultipartUpload {
            client,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id,
            parts: Vec::new(),
            bytes: 0,
        })
    }

    /// Uploads one part (every part but the last must be >= 5 MiB).
    pub async fn part(&mut self, bytes: Vec<u8>) -> Result<(), ExportError> {
        if bytes.is_empty() && !self.parts.is_empty() {
            return Ok(());
        }
        let number = self.parts.len() as i32 + 1;
        self.bytes += bytes.len() as u64;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| s3_error("UploadPart", e))?;
        self.parts.push(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag).build());
        Ok(())
    }

    /// Uploads a file from disk in parts.
    pub async fn file(&mut self, path: &std::path::Path) -> Result<(), ExportError> {
        use tokio::io::AsyncReadExt;
        let mut file = tokio::fs::File::open(path).await.map_err(|e| s3_error("read file", e))?;
        loop {
            let mut buffer = Vec::with_capacity(PART_SIZE);
            let mut limited = (&mut file).take(PART_SIZE as u64);
            limited.read_to_end(&mut buffer).await.map_err(|e| s3_error("read file", e))?;
            if buffer.is_empty() {
                return Ok(());
            }
            self.part(buffer).await?;
        }
    }

    /// Completes the object; returns its size in bytes. If S3 refuses, the
    /// upload is aborted (no object is made).
    pub async fn finish(mut self) -> Result<u64, ExportError> {
        if self.parts.is_empty()
            && let Err(e) = self.part(Vec::new()).await
        {
            self.abort().await;
            return Err(e);
        }
        let parts = std::mem::take(&mut self.parts);
        let completed = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await;
        if let Err(e) = completed {
            self.abort().await;
            return Err(s3_error("CompleteMultipartUpload", e));
        }
        Ok(self.bytes)
    }

    /// Gives up the upload (nothing is left half-written).
    pub async fn abort(&self) {
        let result = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
        if let Err(e) = result {
            tracing::warn!(key = %self.key, error = %DisplayErrorContext(e), "aborting a multipart upload failed");
        }
    }
}

/// A presigned GET link.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// The link's lifetime: the configured one, but never past the expiry of
/// the credentials that sign it (a Lambda role's session), less a minute.
pub fn link_lifetime(
    configured: Duration,
    now: DateTime<Utc>,
    credentials_expire: Option<DateTime<Utc>>,
) -> Duration {
    match credentials_expire {
        Some(expiry) => {
            let left = (expiry - now - chrono::Duration::seconds(60))
                .to_std()
                .unwrap_or(Duration::from_secs(1));
            configured.min(left).max(Duration::from_secs(1))
        }
        None => configured,
    }
}

/// A presigned GET of `key` that downloads as `filename`; `credentials`:
/// the provider the client signs with (for its expiry).
pub async fn presigned_get(
    client: &Client,
    credentials: Option<&SharedCredentialsProvider>,
    bucket: &str,
    key: &str,
    filename: &str,
    configured: Duration,
    now: DateTime<Utc>,
) -> Result<Link, ExportError> {
    let expiry = match credentials {
        Some(provider) => provider
            .provide_credentials()
            .await
            .map_err(|e| s3_error("credentials", e))?
            .expiry()
            .map(DateTime::<Utc>::from),
        None => None,
    };
    let lifetime = link_lifetime(configured, Utc::now(), expiry);
    let presigning = PresigningConfig::expires_in(lifetime).map_err(|e| s3_error("presign", e))?;
    let request = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .response_content_disposition(attachment(filename))
        .presigned(presigning)
        .await
        .map_err(|e| s3_error("presign", e))?;
    let lifetime = chrono::Duration::from_std(lifetime).unwrap_or_default();
    Ok(Link { url: request.uri().to_owned(), expires_at: now + lifetime })
}

/// `Content-Disposition` of a download.
pub fn attachment(filename: &str) -> String {
    format!("attachment; filename=\"{filename}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_never_outlive_their_credentials() {
        let now: DateTime<Utc> = "2025-12-20T12:00:00Z".parse().unwrap();
        let fifteen = Duration::from_secs(900);
        assert_eq!(link_lifetime(fifteen, now, None), fifteen);
        let soon = now + chrono::Duration::seconds(360);
        assert_eq!(link_lifetime(fifteen, now, Some(soon)), Duration::from_secs(300));
        let later = now + chrono::Duration::hours(6);
        assert_eq!(link_lifetime(fifteen, now, Some(later)), fifteen);
        assert_eq!(link_lifetime(fifteen, now, Some(now)), Duration::from_secs(1));
    }
}
