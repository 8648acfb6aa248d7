//! AWS SDK clients, pointed at local services when endpoints are configured.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};

/// Attempts per request, with exponential backoff, for throttling and
/// transient errors.
pub const MAX_ATTEMPTS: u32 = 8;

use crate::config::Config;

pub async fn sdk_config(config: &Config) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if config.dynamodb_endpoint.is_some()
        || config.s3_endpoint.is_some()
        || config.sqs_endpoint.is_some()
        || config.lambda_endpoint.is_some()
    {
        // Local services: one fixed key pair (DynamoDB Local keeps tables per
        // key and region), read from the environment when set.
        let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "local".into());
        let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "localsecret".into());
        loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            key,
            secret,
            None,
            None,
            "sales-local",
        ));
    }
    loader.load().await
}

pub async fn dynamodb(config: &Config) -> aws_sdk_dynamodb::Client {
    let shared = sdk_config(config).await;
    let mut builder = aws_sdk_dynamodb::config::Builder::from(&shared);
    if let Some(endpoint) = &config.dynamodb_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

#[cfg(feature = "s3")]
pub async fn s3(config: &Config) -> aws_sdk_s3::Client {
    s3_with_credentials(config).await.0
}

#[cfg(feature = "s3")]
/// The S3 client and the credentials provider it signs with (presigned
/// links must not outlive those credentials).
pub async fn s3_with_credentials(
    config: &Config,
) -> (aws_sdk_s3::Client, Option<aws_sdk_s3::config::SharedCredentialsProvider>) {
    let shared = sdk_config(config).await;
    let credentials = shared.credentials_provider();
    let mut builder = aws_sdk_s3::config::Builder::from(&shared);
    if let Some(endpoint) = &config.s3_endpoint {
        builder = builder.endpoint_url(endpoint).force_path_style(true);
    }
    (aws_sdk_s3::Client::from_conf(builder.build()), credentials)
}
