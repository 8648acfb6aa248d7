//! Configuration from the environment, read once at start-up.

use chrono::{DateTime, Utc};

use crate::auth::AuthConfig;

/// Where the functions find their tables, bucket and (locally) services.
#[derive(Debug, Clone)]
pub struct Config {
    /// `local` enables the HS256 dev secret and the pinned clock; `aws` in
    /// the SAM template.
    pub local: bool,
    pub source_table: String,
    pub aggregates_table: String,
    pub exports_bucket: String,
    pub dynamodb_endpoint: Option<String>,
    pub s3_endpoint: Option<String>,
    pub region: String,
    pub auth: AuthConfig,
    /// `SALES_ANALYTICS_NOW`, honoured only when `local`.
    pub pinned_now: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is invalid: {message}")]
    Invalid { name: &'static str, message: String },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let local = var("SALES_ENV").as_deref() == Some("local");
        let pinned_now = match (local, var("SALES_ANALYTICS_NOW")) {
            (true, Some(text)) => Some(
                DateTime::parse_from_rfc3339(&text)
                    .map_err(|e| ConfigError::Invalid { name: "SALES_ANALYTICS_NOW", message: e.to_string() })?
                    .with_timezone(&Utc),
            ),
            _ => None,
        };
        let auth = AuthConfig {
            hs256_secret: if local { var("SALES_JWT_SECRET") } else { None },
            jwks_url: var("SALES_JWT_JWKS_URL"),
            issuer: var("SALES_JWT_ISSUER"),
            audience: var("SALES_JWT_AUDIENCE"),
        };
        if auth.hs256_secret.is_none() && auth.jwks_url.is_none() {
            tracing::warn!("neither SALES_JWT_JWKS_URL nor a local SALES_JWT_SECRET is set: every token is refused");
        }
        Ok(Config {
            local,
            source_table: var("SALES_SOURCE_TABLE").unwrap_or_else(|| "sales-source".into()),
            aggregates_table: var("SALES_AGGREGATES_TABLE").unwrap_or_else(|| "sales-aggregates".into()),
            exports_bucket: var("SALES_EXPORTS_BUCKET").unwrap_or_else(|| "sales-exports".into()),
            dynamodb_endpoint: var("SALES_DYNAMODB_ENDPOINT"),
            s3_endpoint: var("SALES_S3_ENDPOINT"),
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into()),
            auth,
            pinned_now,
        })
    }

    /// The clock every function uses.
    pub fn clock(&self) -> Clock {
        Clock { pinned: self.pinned_now }
    }
}

/// The current time, pinnable for tests and local runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    pinned: Option<DateTime<Utc>>,
}

impl Clock {
    pub fn pinned(at: DateTime<Utc>) -> Self {
        Clock { pinned: Some(at) }
    }
    pub fn system() -> Self {
        Clock { pinned: None }
    }
    pub fn now(&self) -> DateTime<Utc> {
        self.pinned.unwrap_or_else(Utc::now)
    }
}
