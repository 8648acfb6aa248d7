//! AWS SDK clients, pointed at local services when endpoints are configured.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;

/// Attempts per request, with exponential backoff, for throttling and
/// transient errors.
pub const MAX_ATTEMPTS: u32 = 8;

use crate::config::Config;

/// The SDK configuration: the configured region, standard retries, and
/// credentials. With local endpoints, one fixed key pair (DynamoDB Local
/// keeps tables per key and region), read from the environment when set.
/// Otherwise, with the `credential-chain` feature (salesctl, the tests),
/// the SDK's whole default chain (profiles, SSO, web identity, container
/// and instance metadata); without it (the Lambda functions), the
/// environment's variables only, which is how Lambda hands a function its
/// role's credentials, and the rest of the chain is not linked
/// (docs/performance.md, "Release artifacts").
pub async fn sdk_config(config: &Config) -> aws_config::SdkConfig {
    let retries = RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS);
    let local = config.dynamodb_endpoint.is_some()
        || config.s3_endpoint.is_some()
        || config.sqs_endpoint.is_some()
        || config.lambda_endpoint.is_some()
        || config.sns_endpoint.is_some()
        || config.kms_endpoint.is_some()
        || config.secretsmanager_endpoint.is_some();
    let fixed_local_pair = local.then(|| {
        let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "local".into());
        let secret =
            std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "localsecret".into());
        Credentials::new(key, secret, None, None, "sales-local")
    });
    #[cfg(feature = "credential-chain")]
    {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .retry_config(retries);
        if let Some(pair) = fixed_local_pair {
            loader = loader.credentials_provider(pair);
        }
        loader.load().await
    }
    #[cfg(not(feature = "credential-chain"))]
    {
        use aws_config::environment::EnvironmentVariableCredentialsProvider;
        use aws_sdk_dynamodb::config::SharedCredentialsProvider;
        let credentials = match fixed_local_pair {
            Some(pair) => SharedCredentialsProvider::new(pair),
            None => SharedCredentialsProvider::new(EnvironmentVariableCredentialsProvider::new()),
        };
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .retry_config(retries)
            .credentials_provider(credentials)
            .build()
    }
}

pub async fn dynamodb(config: &Config) -> aws_sdk_dynamodb::Client {
    let shared = sdk_config(config).await;
    let mut builder = aws_sdk_dynamodb::config::Builder::from(&shared);
    if let Some(endpoint) = &config.dynamodb_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

/// An SQS client (moto's server locally: `SALES_SQS_ENDPOINT`).
#[cfg(feature = "sqs")]
pub async fn sqs(config: &Config) -> aws_sdk_sqs::Client {
    let shared = sdk_config(config).await;
    let mut builder = aws_sdk_sqs::config::Builder::from(&shared);
    if let Some(endpoint) = &config.sqs_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_sqs::Client::from_conf(builder.build())
}

/// An SNS client (moto's server in the tests: `SALES_SNS_ENDPOINT`).
#[cfg(feature = "alerts")]
pub async fn sns(config: &Config) -> aws_sdk_sns::Client {
    let shared = sdk_config(config).await;
    let mut builder = aws_sdk_sns::config::Builder::from(&shared);
    if let Some(endpoint) = &config.sns_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_sns::Client::from_conf(builder.build())
}

/// An SES client (moto's server locally: `SALES_SES_ENDPOINT`).
#[cfg(feature = "digests")]
pub async fn ses(config: &Config) -> aws_sdk_ses::Client {
    let shared = sdk_config(config).await;
    let mut builder = aws_sdk_ses::config::Builder::from(&shared);
    if let Some(endpoint) = &config.ses_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_ses::Client::from_conf(builder.build())
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
