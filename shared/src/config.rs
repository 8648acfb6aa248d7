//! Configuration from the environment, read once at start-up.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::auth::{AuthConfig, DEFAULT_JWKS_MAX_AGE};
use crate::outbound::EgressPolicy;

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
    /// `SALES_SQS_ENDPOINT`: a local SQS (moto's server) instead of AWS.
    pub sqs_endpoint: Option<String>,
    /// `SALES_LAMBDA_ENDPOINT`: a local Lambda API (moto's server), for
    /// `salesctl rebuild --pause-mapping` in tests.
    pub lambda_endpoint: Option<String>,
    /// `SALES_REPORT_QUEUE_URL`: the scheduled report's per-tenant queue;
    /// unset, the scheduled run writes every tenant's report itself.
    pub report_queue_url: Option<String>,
    /// `SALES_ALERTS_TABLE`: alert rules and their history.
    pub alerts_table: String,
    /// `SALES_ALERTS_TOPIC_ARN`: the SNS topic of alerts' `sns` channel.
    pub alerts_topic_arn: Option<String>,
    /// `SALES_ALERT_EVALUATION_QUEUE_URL`: the schedule's per-tenant
    /// fan-out of alert evaluations; unset, one run evaluates every tenant.
    pub alert_evaluation_queue_url: Option<String>,
    /// `SALES_ALERT_DELIVERY_QUEUE_URL`: claimed alert events to deliver;
    /// unset, the evaluating process delivers them.
    pub alert_delivery_queue_url: Option<String>,
    /// `SALES_SNS_ENDPOINT`: a local SNS (moto's server) instead of AWS.
    pub sns_endpoint: Option<String>,
    /// `SALES_EXPORT_JOBS_TABLE`: export jobs and their idempotency keys.
    pub export_jobs_table: String,
    /// `SALES_EXPORT_QUEUE_URL`: the queue the export worker consumes;
    /// unset, export jobs are refused (503).
    pub export_queue_url: Option<String>,
    /// `SALES_EXPORT_SYNC_MAX_ROWS` (default 50 000): the most rows a
    /// `GET .../export` writes within the request; a larger range answers
    /// 202 with an export job.
    pub export_sync_max_rows: u64,
    /// `SALES_SYNC_READ_BUDGET` (default 20 000): the most items a request
    /// may read within it; a request whose size (learnt from a bounded
    /// read) is larger answers 202 with a job that writes the same JSON.
    pub sync_read_budget: u64,
    /// `SALES_EXPORT_JOBS_PER_TENANT` (default 5): the most export jobs a
    /// tenant may have queued or running at once; the next answers 429.
    pub export_jobs_per_tenant: usize,
    pub region: String,
    pub auth: AuthConfig,
    /// `SALES_ANALYTICS_NOW`, honoured only when `local`.
    pub pinned_now: Option<DateTime<Utc>>,
    /// `SALES_EXPORT_LINK_TTL_SECONDS` (default 900): how long presigned
    /// export links live. At most one hour outside local runs: a link dies
    /// with the credentials that signed it (a Lambda role's session), whose
    /// expiry the function cannot see, and the hour keeps links well inside.
    pub export_link_ttl: std::time::Duration,
    /// `SALES_CURSOR_SECRET`: the key list cursors are signed with (the
    /// same for every instance of every function; required outside local).
    /// Never printed: `Debug` shows it redacted. With
    /// `cursor_secret_arn`, empty until [`crate::secrets::resolve`] reads
    /// it at start-up.
    pub cursor_secret: SecretString,
    /// `SALES_CURSOR_SECRET_ARN`: the Secrets Manager secret that holds the
    /// cursor key, read once per instance at start-up (in AWS, instead of
    /// `SALES_CURSOR_SECRET`).
    pub cursor_secret_arn: Option<String>,
    /// `SALES_SECRETSMANAGER_ENDPOINT`: a local Secrets Manager (moto).
    pub secretsmanager_endpoint: Option<String>,
    /// `SALES_SECRETS_KEY_ID`: the KMS key (id, ARN or `alias/...`) that
    /// seals webhook signing secrets; unset, they are kept in plain text
    /// (local runs without KMS).
    pub secrets_key_id: Option<String>,
    /// `SALES_KMS_ENDPOINT`: a local KMS (moto).
    pub kms_endpoint: Option<String>,
    /// `SALES_SES_ENDPOINT`: a local SES (moto's server) instead of AWS.
    pub ses_endpoint: Option<String>,
    /// `SALES_DIGEST_SENDER`: the `From` address of digest emails, an
    /// identity verified in SES; unset, digests go to webhooks only and
    /// each email recipient's send fails with that reason.
    pub digest_sender: Option<String>,
    /// `SALES_SES_CONFIGURATION_SET`: the SES configuration set digest
    /// emails are sent with (its event destination carries bounces and
    /// complaints to the feedback function).
    pub ses_configuration_set: Option<String>,
    /// `SALES_DIGEST_QUEUE_URL`: the digest schedule's per-tenant fan-out;
    /// unset, one run sends every tenant's digests.
    pub digest_queue_url: Option<String>,
    /// `SALES_PUBLIC_API_URL`: the API's public base URL (no trailing
    /// slash), for the unsubscribe links of digest emails.
    pub public_api_url: String,
    /// Where outbound requests may go: public `https://` on port 443 and
    /// the ports of `SALES_WEBHOOK_PORTS` (comma-separated); locally also
    /// 127.0.0.1 and localhost (`crate::outbound::policy`).
    pub egress: EgressPolicy,
}

/// The `From` of digest emails on the local stack (verified in moto's SES
/// by `salesctl setup`).
pub const LOCAL_DIGEST_SENDER: &str = "digests@sales-analytics.test";

/// The cursor key of local runs and tests.
pub const LOCAL_CURSOR_SECRET: &str = "local-cursor-secret-change-me";

/// Default lifetime of an export link: 15 minutes.
pub const DEFAULT_EXPORT_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(900);
/// Default `SALES_EXPORT_SYNC_MAX_ROWS`: about ten 1 MB pages of the
/// by-date index, a few seconds (docs/performance.md, "Exports").
pub const DEFAULT_EXPORT_SYNC_MAX_ROWS: u64 = 50_000;
/// Default `SALES_SYNC_READ_BUDGET`: about a second and a half of
/// DynamoDB reads (docs/performance.md, "A budget instead of a timeout").
pub const DEFAULT_SYNC_READ_BUDGET: u64 = 20_000;
/// Default `SALES_EXPORT_JOBS_PER_TENANT`.
pub const DEFAULT_EXPORT_JOBS_PER_TENANT: usize = 5;
/// Longest lifetime S3 accepts for a presigned link: 7 days (local runs).
pub const MAX_EXPORT_LINK_TTL_SECONDS: u64 = 604_800;
/// Longest link lifetime outside local runs: one hour.
pub const MAX_DEPLOYED_EXPORT_LINK_TTL_SECONDS: u64 = 3_600;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is invalid: {message}")]
    Invalid { name: &'static str, message: String },
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The local stack's defaults (as in `infra/local/config.sh`), for a
/// variable the environment does not set.
fn local_default(name: &str) -> Option<String> {
    local_default_with(name, env_var)
}

/// [`local_default`] with the stack's ports (`SALES_*_PORT`) read from `ports`.
fn local_default_with(name: &str, ports: impl Fn(&str) -> Option<String>) -> Option<String> {
    let port = |var: &str, default: &str| ports(var).unwrap_or_else(|| default.to_owned());
    Some(match name {
        "SALES_ENV" => "local".to_owned(),
        "SALES_JWT_SECRET" => "local-dev-secret-change-me".to_owned(),
        "SALES_DYNAMODB_ENDPOINT" => {
            format!("http://127.0.0.1:{}", port("SALES_DYNAMODB_PORT", "8000"))
        }
        "SALES_S3_ENDPOINT" => format!("http://127.0.0.1:{}", port("SALES_S3_PORT", "9100")),
        "SALES_SQS_ENDPOINT" => format!("http://127.0.0.1:{}", port("SALES_MOTO_PORT", "9200")),
        "SALES_SES_ENDPOINT" => format!("http://127.0.0.1:{}", port("SALES_MOTO_PORT", "9200")),
        "SALES_PUBLIC_API_URL" => format!("http://127.0.0.1:{}", port("SALES_API_PORT", "9000")),
        "SALES_DIGEST_SENDER" => LOCAL_DIGEST_SENDER.to_owned(),
        "SALES_EXPORT_QUEUE_URL" => {
            format!(
                "http://127.0.0.1:{}/123456789012/sales-export-jobs",
                port("SALES_MOTO_PORT", "9200")
            )
        }
        _ => return None,
    })
}

impl Config {
    /// Configuration of a deployed function: the environment only.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_var)
    }

    /// Configuration of the command-line tool: the environment, and the
    /// local stack's defaults for what it leaves unset (unless
    /// `SALES_ENV` says otherwise).
    pub fn from_env_or_local_stack() -> Result<Self, ConfigError> {
        if env_var("SALES_ENV").is_some_and(|e| e != "local") {
            return Self::from_env();
        }
        Self::from_lookup(|name| env_var(name).or_else(|| local_default(name)))
    }

    /// Configuration from `var`, which answers a variable's value by name
    /// (`SALES_*`, as the environment would): the one place where every
    /// setting is read, with its default and its check. Tests and benches
    /// build their configuration through it too, from their variables.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let local = var("SALES_ENV").as_deref() == Some("local");
        let pinned_now = match (local, var("SALES_ANALYTICS_NOW")) {
            (true, Some(text)) => Some(
                DateTime::parse_from_rfc3339(&text)
                    .map_err(|e| ConfigError::Invalid {
                        name: "SALES_ANALYTICS_NOW",
                        message: e.to_string(),
                    })?
                    .with_timezone(&Utc),
            ),
            _ => None,
        };
        let ports = match var("SALES_WEBHOOK_PORTS") {
            None => Vec::new(),
            Some(text) => text
                .split(',')
                .map(|p| p.trim().parse::<u16>().ok().filter(|p| *p > 0))
                .collect::<Option<Vec<u16>>>()
                .ok_or_else(|| ConfigError::Invalid {
                    name: "SALES_WEBHOOK_PORTS",
                    message: format!("must be comma-separated port numbers, got `{text}`"),
                })?,
        };
        let egress =
            if local { EgressPolicy::local(&ports) } else { EgressPolicy::deployed(&ports) };
        let jwks_max_age = match var("SALES_JWKS_MAX_AGE_SECONDS") {
            None => DEFAULT_JWKS_MAX_AGE,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|s| (60..=86_400).contains(s))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "SALES_JWKS_MAX_AGE_SECONDS",
                    message: format!("must be whole seconds from 60 to 86400, got `{text}`"),
                })?,
        };
        let auth = AuthConfig {
            hs256_secret: if local {
                var("SALES_JWT_SECRET").map(SecretString::from)
            } else {
                None
            },
            jwks_url: var("SALES_JWT_JWKS_URL"),
            issuer: var("SALES_JWT_ISSUER"),
            audience: var("SALES_JWT_AUDIENCE"),
            jwks_max_age,
            egress: egress.clone(),
        };
        let max_link_ttl =
            if local { MAX_EXPORT_LINK_TTL_SECONDS } else { MAX_DEPLOYED_EXPORT_LINK_TTL_SECONDS };
        let export_link_ttl = match var("SALES_EXPORT_LINK_TTL_SECONDS") {
            None => DEFAULT_EXPORT_LINK_TTL,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=max_link_ttl).contains(s))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "SALES_EXPORT_LINK_TTL_SECONDS",
                    message: if local {
                        format!("must be whole seconds from 1 to {max_link_ttl}, got `{text}`")
                    } else {
                        format!(
                            "must be whole seconds from 1 to {max_link_ttl} outside local runs (a link must not \
                             outlive the credentials that sign it), got `{text}`"
                        )
                    },
                })?,
        };
        // A count of at least 1 (`what` it counts), or its default.
        let at_least_one = |name: &'static str, default: u64, what: &str| match var(name) {
            None => Ok(default),
            Some(text) => {
                text.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| ConfigError::Invalid {
                    name,
                    message: format!("must be a whole number of {what}, at least 1, got `{text}`"),
                })
            }
        };
        let export_sync_max_rows =
            at_least_one("SALES_EXPORT_SYNC_MAX_ROWS", DEFAULT_EXPORT_SYNC_MAX_ROWS, "rows")?;
        let sync_read_budget =
            at_least_one("SALES_SYNC_READ_BUDGET", DEFAULT_SYNC_READ_BUDGET, "items")?;
        let export_jobs_per_tenant = match var("SALES_EXPORT_JOBS_PER_TENANT") {
            None => DEFAULT_EXPORT_JOBS_PER_TENANT,
            Some(text) => {
                text.parse::<usize>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
                    ConfigError::Invalid {
                        name: "SALES_EXPORT_JOBS_PER_TENANT",
                        message: format!("must be a whole number from 1 to 100, got `{text}`"),
                    }
                })?
            }
        };
        let cursor_secret_arn = var("SALES_CURSOR_SECRET_ARN");
        let cursor_secret = match (var("SALES_CURSOR_SECRET"), &cursor_secret_arn, local) {
            (Some(secret), _, _) => SecretString::from(secret),
            (None, Some(_), _) => SecretString::from(String::new()),
            (None, None, true) => SecretString::from(LOCAL_CURSOR_SECRET),
            (None, None, false) => {
                return Err(ConfigError::Invalid {
                    name: "SALES_CURSOR_SECRET",
                    message: "or SALES_CURSOR_SECRET_ARN is required outside local runs (the key list cursors are signed with)"
                        .into(),
                });
            }
        };
        let public_api_url = match var("SALES_PUBLIC_API_URL") {
            None => String::new(),
            Some(url) if url.starts_with("https://") || (local && url.starts_with("http://")) => {
                url.trim_end_matches('/').to_owned()
            }
            Some(url) => {
                return Err(ConfigError::Invalid {
                    name: "SALES_PUBLIC_API_URL",
                    message: format!("must be an https:// URL, got `{url}`"),
                });
            }
        };
        if auth.hs256_secret.is_none() && auth.jwks_url.is_none() {
            tracing::warn!(
                "neither SALES_JWT_JWKS_URL nor a local SALES_JWT_SECRET is set: every token is refused"
            );
        }
        Ok(Config {
            local,
            source_table: var("SALES_SOURCE_TABLE").unwrap_or_else(|| "sales-source".into()),
            aggregates_table: var("SALES_AGGREGATES_TABLE")
                .unwrap_or_else(|| "sales-aggregates".into()),
            exports_bucket: var("SALES_EXPORTS_BUCKET").unwrap_or_else(|| "sales-exports".into()),
            dynamodb_endpoint: var("SALES_DYNAMODB_ENDPOINT"),
            s3_endpoint: var("SALES_S3_ENDPOINT"),
            sqs_endpoint: var("SALES_SQS_ENDPOINT"),
            lambda_endpoint: var("SALES_LAMBDA_ENDPOINT"),
            report_queue_url: var("SALES_REPORT_QUEUE_URL"),
            alerts_table: var("SALES_ALERTS_TABLE").unwrap_or_else(|| "sales-alerts".into()),
            alerts_topic_arn: var("SALES_ALERTS_TOPIC_ARN"),
            sns_endpoint: var("SALES_SNS_ENDPOINT"),
            alert_evaluation_queue_url: var("SALES_ALERT_EVALUATION_QUEUE_URL"),
            alert_delivery_queue_url: var("SALES_ALERT_DELIVERY_QUEUE_URL"),
            export_jobs_table: var("SALES_EXPORT_JOBS_TABLE")
                .unwrap_or_else(|| "sales-export-jobs".into()),
            export_queue_url: var("SALES_EXPORT_QUEUE_URL"),
            export_sync_max_rows,
            sync_read_budget,
            export_jobs_per_tenant,
            // Local services: the stack's one fixed region (DynamoDB Local
            // keeps tables per key and region).
            region: match var("SALES_DYNAMODB_ENDPOINT") {
                Some(_) => "us-east-1".into(),
                None => var("AWS_REGION")
                    .or_else(|| var("AWS_DEFAULT_REGION"))
                    .unwrap_or_else(|| "us-east-1".into()),
            },
            auth,
            pinned_now,
            export_link_ttl,
            cursor_secret,
            cursor_secret_arn,
            secretsmanager_endpoint: var("SALES_SECRETSMANAGER_ENDPOINT"),
            secrets_key_id: var("SALES_SECRETS_KEY_ID"),
            kms_endpoint: var("SALES_KMS_ENDPOINT"),
            ses_endpoint: var("SALES_SES_ENDPOINT"),
            digest_sender: var("SALES_DIGEST_SENDER"),
            ses_configuration_set: var("SALES_SES_CONFIGURATION_SET"),
            digest_queue_url: var("SALES_DIGEST_QUEUE_URL"),
            public_api_url,
            egress,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use secrecy::ExposeSecret;

    use super::*;

    /// The defaults of `infra/local/config.sh` (`export NAME="${NAME:-VALUE}"`,
    /// `$OTHER` expanded from earlier lines).
    fn local_stack_defaults() -> BTreeMap<String, String> {
        let text = include_str!("../../infra/local/config.sh");
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("export ") else { continue };
            let Some((name, value)) = rest.split_once('=') else { continue };
            let Some(default) =
                value.strip_prefix(&format!("\"${{{name}:-")).and_then(|v| v.strip_suffix("}\""))
            else {
                continue;
            };
            let mut expanded = default.to_owned();
            for (known, value) in &out {
                expanded = expanded.replace(&format!("${known}"), value);
            }
            out.insert(name.to_owned(), expanded);
        }
        out
    }

    #[test]
    fn the_tools_local_defaults_are_the_local_stacks() {
        let stack = local_stack_defaults();
        assert!(stack.len() > 8, "config.sh read: {stack:?}");
        for name in [
            "SALES_ENV",
            "SALES_JWT_SECRET",
            "SALES_DYNAMODB_ENDPOINT",
            "SALES_S3_ENDPOINT",
            "SALES_SQS_ENDPOINT",
            "SALES_EXPORT_QUEUE_URL",
            "SALES_SES_ENDPOINT",
            "SALES_PUBLIC_API_URL",
            "SALES_DIGEST_SENDER",
        ] {
            // The defaults, whatever ports this process's environment sets.
            assert_eq!(local_default_with(name, |_| None), stack.get(name).cloned(), "{name}");
        }
        let config = Config::from_lookup(|name| local_default_with(name, |_| None)).unwrap();
        for (name, value) in [
            ("SALES_SOURCE_TABLE", config.source_table.clone()),
            ("SALES_AGGREGATES_TABLE", config.aggregates_table.clone()),
            ("SALES_EXPORTS_BUCKET", config.exports_bucket.clone()),
            ("SALES_ALERTS_TABLE", config.alerts_table.clone()),
            ("SALES_EXPORT_JOBS_TABLE", config.export_jobs_table.clone()),
            ("SALES_EXPORT_LINK_TTL_SECONDS", config.export_link_ttl.as_secs().to_string()),
            ("SALES_EXPORT_JOBS_PER_TENANT", config.export_jobs_per_tenant.to_string()),
        ] {
            assert_eq!(stack.get(name), Some(&value), "{name}");
        }
    }

    #[test]
    fn local_defaults_fill_only_what_is_unset() {
        assert_eq!(local_default("SALES_ENV").as_deref(), Some("local"));
        assert!(
            local_default("SALES_DYNAMODB_ENDPOINT")
                .is_some_and(|e| e.starts_with("http://127.0.0.1:"))
        );
        assert_eq!(local_default("SALES_SOURCE_TABLE"), None);
        let lookup = |name: &str| match name {
            "SALES_ENV" => Some("local".to_owned()),
            "SALES_ANALYTICS_NOW" => Some("2025-12-17T10:00:00Z".to_owned()),
            "SALES_JWT_SECRET" => Some("s".to_owned()),
            _ => None,
        };
        let config = Config::from_lookup(lookup).unwrap();
        assert_eq!(config.clock().now().to_rfc3339(), "2025-12-17T10:00:00+00:00");
        let hs256 = config.auth.hs256_secret.as_ref().map(|s| s.expose_secret().to_owned());
        assert_eq!(hs256.as_deref(), Some("s"));
        // Outside local mode the pinned clock and the HS256 secret are ignored.
        let aws = |name: &str| match name {
            "SALES_ENV" => Some("aws".into()),
            "SALES_CURSOR_SECRET" => Some("k".into()),
            _ => lookup(name),
        };
        let deployed = Config::from_lookup(aws).unwrap();
        assert_eq!(deployed.cursor_secret.expose_secret(), "k");
        let keyless = |name: &str| if name == "SALES_CURSOR_SECRET" { None } else { aws(name) };
        assert!(matches!(
            Config::from_lookup(keyless),
            Err(ConfigError::Invalid { name: "SALES_CURSOR_SECRET", .. })
        ));
        assert_eq!(config.cursor_secret.expose_secret(), LOCAL_CURSOR_SECRET);
        // Neither secret is ever printed.
        let printed = format!("{config:?} {deployed:?}");
        assert!(
            !printed.contains(LOCAL_CURSOR_SECRET)
                && !printed.contains("\"s\"")
                && !printed.contains("\"k\""),
            "{printed}"
        );
        assert!(deployed.pinned_now.is_none());
        assert!(deployed.auth.hs256_secret.is_none());
        // Loopback webhooks and JWKS only locally.
        assert_eq!(config.egress, EgressPolicy::local(&[]));
        assert_eq!(deployed.egress, EgressPolicy::deployed(&[]));
        assert_eq!(deployed.auth.egress, deployed.egress);
        assert_eq!(deployed.auth.jwks_max_age, DEFAULT_JWKS_MAX_AGE);
    }

    #[test]
    fn webhook_ports_and_the_jwks_age_are_settings() {
        let with = |ports: &'static str, age: &'static str| {
            move |name: &str| match name {
                "SALES_ENV" => Some("aws".to_owned()),
                "SALES_CURSOR_SECRET" => Some("k".to_owned()),
                "SALES_WEBHOOK_PORTS" => Some(ports.to_owned()),
                "SALES_JWKS_MAX_AGE_SECONDS" => Some(age.to_owned()),
                _ => None,
            }
        };
        let config = Config::from_lookup(with("8443, 9443", "600")).unwrap();
        assert_eq!(config.egress.ports(), &[443, 8443, 9443]);
        assert_eq!(config.auth.jwks_max_age, std::time::Duration::from_secs(600));
        for (ports, age, name) in [
            ("8443,x", "600", "SALES_WEBHOOK_PORTS"),
            ("0", "600", "SALES_WEBHOOK_PORTS"),
            ("443", "59", "SALES_JWKS_MAX_AGE_SECONDS"),
            ("443", "never", "SALES_JWKS_MAX_AGE_SECONDS"),
        ] {
            match Config::from_lookup(with(ports, age)) {
                Err(ConfigError::Invalid { name: named, .. }) => assert_eq!(named, name),
                other => panic!("{ports} / {age} accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn the_read_budget_is_a_setting_of_at_least_one_item() {
        let with = |budget: Option<&'static str>| {
            move |name: &str| match name {
                "SALES_ENV" => Some("aws".to_owned()),
                "SALES_CURSOR_SECRET" => Some("k".to_owned()),
                "SALES_SYNC_READ_BUDGET" => budget.map(str::to_owned),
                _ => None,
            }
        };
        assert_eq!(Config::from_lookup(with(None)).unwrap().sync_read_budget, 20_000);
        assert_eq!(Config::from_lookup(with(Some("500"))).unwrap().sync_read_budget, 500);
        for bad in ["0", "-1", "many"] {
            let err = Config::from_lookup(with(Some(bad))).unwrap_err().to_string();
            assert!(err.contains("SALES_SYNC_READ_BUDGET"), "{bad}: {err}");
        }
    }

    #[test]
    fn link_lifetime_is_capped_at_an_hour_outside_local_runs() {
        let with = |env: &'static str, ttl: &'static str| {
            move |name: &str| match name {
                "SALES_ENV" => Some(env.to_owned()),
                "SALES_CURSOR_SECRET" => Some("k".to_owned()),
                "SALES_EXPORT_LINK_TTL_SECONDS" => Some(ttl.to_owned()),
                _ => None,
            }
        };
        let hour = Config::from_lookup(with("aws", "3600")).unwrap();
        assert_eq!(hour.export_link_ttl, std::time::Duration::from_secs(3600));
        match Config::from_lookup(with("aws", "3601")) {
            Err(ConfigError::Invalid { name: "SALES_EXPORT_LINK_TTL_SECONDS", message }) => {
                assert!(message.contains("from 1 to 3600 outside local runs"), "{message}");
                assert!(message.contains("`3601`"), "{message}");
            }
            other => panic!("3601 s accepted outside local runs: {other:?}"),
        }
        assert!(Config::from_lookup(with("aws", "604800")).is_err());
        // Locally S3's own limit (7 days) still applies.
        let week = Config::from_lookup(with("local", "604800")).unwrap();
        assert_eq!(week.export_link_ttl, std::time::Duration::from_secs(604_800));
        assert!(Config::from_lookup(with("local", "604801")).is_err());
        // Unset: 15 minutes everywhere.
        let unset = |name: &str| {
            if name == "SALES_EXPORT_LINK_TTL_SECONDS" { None } else { with("aws", "")(name) }
        };
        assert_eq!(Config::from_lookup(unset).unwrap().export_link_ttl, DEFAULT_EXPORT_LINK_TTL);
    }
}
