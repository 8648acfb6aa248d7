//! The cursor key from Secrets Manager: in AWS the functions get the
//! secret's ARN (`SALES_CURSOR_SECRET_ARN`), not the key, and read it once
//! per instance at start-up; the key then lives in memory only (no
//! environment variable, no console or `GetFunctionConfiguration` shows
//! it). Rotating it: put a new value, and instances started after read it
//! (cursors signed with the old key answer 400 `cursor`: the client starts
//! the list again).

use secrecy::SecretString;

use crate::config::{Config, ConfigError};

/// `config` with its cursor key read from Secrets Manager when it names a
/// secret (`SALES_CURSOR_SECRET_ARN`); as it is otherwise.
pub async fn resolve(mut config: Config) -> Result<Config, ConfigError> {
    let Some(arn) = config.cursor_secret_arn.clone() else {
        return Ok(config);
    };
    let shared = crate::aws::sdk_config(&config).await;
    let mut builder = aws_sdk_secretsmanager::config::Builder::from(&shared);
    if let Some(endpoint) = &config.secretsmanager_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    let client = aws_sdk_secretsmanager::Client::from_conf(builder.build());
    let invalid =
        |message: String| ConfigError::Invalid { name: "SALES_CURSOR_SECRET_ARN", message };
    let out = client.get_secret_value().secret_id(&arn).send().await.map_err(|e| {
        invalid(format!(
            "the secret could not be read: {}",
            aws_sdk_secretsmanager::error::DisplayErrorContext(e)
        ))
    })?;
    match out.secret_string {
        Some(key) if !key.is_empty() => {
            config.cursor_secret = SecretString::from(key);
            Ok(config)
        }
        _ => Err(invalid("the secret holds no text value".into())),
    }
}
