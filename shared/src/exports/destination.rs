//! Where exports and reports go: the bucket, the S3 client and the
//! lifetime of the presigned links handed out.

use aws_sdk_s3::config::SharedCredentialsProvider;
use chrono::{DateTime, Utc};

use super::ExportError;
use super::upload::{Link, presigned_get};

/// Where the file goes and how long its link lives.
pub struct Destination<'a> {
    pub s3: &'a aws_sdk_s3::Client,
    pub credentials: Option<&'a SharedCredentialsProvider>,
    pub bucket: &'a str,
    pub link_ttl: std::time::Duration,
}

impl Destination<'_> {
    /// A fresh presigned link to `key`, downloading as `filename`.
    pub async fn link(
        &self,
        key: &str,
        filename: &str,
        now: DateTime<Utc>,
    ) -> Result<Link, ExportError> {
        presigned_get(self.s3, self.credentials, self.bucket, key, filename, self.link_ttl, now)
            .await
    }
}
