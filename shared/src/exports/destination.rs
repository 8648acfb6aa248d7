//! Where exports and reports go: the bucket, the S3 client and the
//! lifetime of the presigned links handed out.

use aws_sdk_s3::config::SharedCredentialsProvider;
use chrono::{DateTime, Utc};

use super::ExportError;
use super::upload::{Link, presigned_get};

/// Where the file goes and how long its link lives: the exports bucket
/// with the S3 client (and the credentials its links are signed with),
/// built once per process from the configuration.
#[derive(Clone)]
pub struct Destination {
    pub s3: aws_sdk_s3::Client,
    pub credentials: Option<SharedCredentialsProvider>,
    pub bucket: String,
    pub link_ttl: std::time::Duration,
}

impl Destination {
    /// The configured exports bucket (`SALES_EXPORTS_BUCKET`,
    /// `SALES_EXPORT_LINK_TTL_SECONDS`).
    pub async fn from_config(config: &crate::config::Config) -> Self {
        let (s3, credentials) = crate::aws::s3_with_credentials(config).await;
        Destination {
            s3,
            credentials,
            bucket: config.exports_bucket.clone(),
            link_ttl: config.export_link_ttl,
        }
    }

    /// Writes `bytes` at `key`, to download as `filename` (a rerun
    /// overwrites the same key).
    pub async fn put(
        &self,
        key: &str,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), ExportError> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_disposition(super::upload::attachment(filename))
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| super::upload::s3_error("PutObject", e))?;
        Ok(())
    }

    /// A fresh presigned link to `key`, downloading as `filename`.
    pub async fn link(
        &self,
        key: &str,
        filename: &str,
        now: DateTime<Utc>,
    ) -> Result<Link, ExportError> {
        presigned_get(
            &self.s3,
            self.credentials.as_ref(),
            &self.bucket,
            key,
            filename,
            self.link_ttl,
            now,
        )
        .await
    }
}
