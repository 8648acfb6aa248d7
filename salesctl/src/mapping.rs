//! The rollup's event source mapping, paused around a rebuild in AWS: a
//! rebuild rewrites aggregates from the source records, so no stream batch
//! may be applied while it runs (nothing lost, nothing doubled). Pausing
//! disables the mapping, waits until Lambda reports it disabled, then waits
//! the rollup's timeout so that a batch already in flight has ended;
//! resuming enables it again, and it goes on from where it stopped.

use std::time::Duration;

use aws_sdk_lambda::error::DisplayErrorContext;
use sales_shared::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("Lambda {operation} on mapping {uuid}: {message}")]
    Lambda { operation: &'static str, uuid: String, message: String },
    #[error("mapping {uuid} still {state} after {waited:?} (expected {expected})")]
    Stuck { uuid: String, state: String, expected: &'static str, waited: Duration },
}

/// How long to wait for a state change, and how often to look.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    pub state_timeout: Duration,
    pub poll: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Waits { state_timeout: Duration::from_secs(900), poll: Duration::from_secs(5) }
    }
}

/// A paused mapping; [`PausedMapping::resume`] enables it again.
pub struct PausedMapping {
    client: aws_sdk_lambda::Client,
    uuid: String,
    waits: Waits,
}

pub async fn lambda_client(config: &Config) -> aws_sdk_lambda::Client {
    let shared = sales_shared::aws::sdk_config(config).await;
    let mut builder = aws_sdk_lambda::config::Builder::from(&shared);
    if let Some(endpoint) = &config.lambda_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_lambda::Client::from_conf(builder.build())
}

fn lambda_error(
    operation: &'static str,
    uuid: &str,
    err: impl std::error::Error + 'static,
) -> MappingError {
    MappingError::Lambda {
        operation,
        uuid: uuid.to_owned(),
        message: DisplayErrorContext(err).to_string(),
    }
}

/// Disables the mapping `uuid`, waits until it is disabled and then for the
/// rollup's timeout (a batch in flight ends within it). `say` reports each
/// step.
pub async fn pause(
    client: aws_sdk_lambda::Client,
    uuid: &str,
    waits: Waits,
    say: &(dyn Fn(&str) + Sync),
) -> Result<PausedMapping, MappingError> {
    let mapping = client
        .get_event_source_mapping()
        .uuid(uuid)
        .send()
        .await
        .map_err(|e| lambda_error("GetEventSourceMapping", uuid, e))?;
    let function = mapping.function_arn().unwrap_or_default().to_owned();
    let timeout = client
        .get_function_configuration()
        .function_name(&function)
        .send()
        .await
        .map_err(|e| lambda_error("GetFunctionConfiguration", uuid, e))?
        .timeout()
        .unwrap_or(900);
    say(&format!("pausing the stream mapping {uuid} (function {function})"));
    let paused = PausedMapping { client, uuid: uuid.to_owned(), waits };
    paused.set_enabled(false).await?;
    let settle =
        Duration::from_secs(u64::try_from(timeout).unwrap_or(900)) + Duration::from_secs(5);
    say(&format!(
        "mapping disabled; waiting {settle:?} (the rollup's timeout) for a batch in flight to end"
    ));
    tokio::time::sleep(settle).await;
    Ok(paused)
}

impl PausedMapping {
    /// Enables the mapping again and waits until it is enabled.
    pub async fn resume(self, say: &(dyn Fn(&str) + Sync)) -> Result<(), MappingError> {
        self.set_enabled(true).await?;
        say(&format!("stream mapping {} enabled again", self.uuid));
        Ok(())
    }

    /// Enables or disables the mapping and waits until Lambda reports it so.
    async fn set_enabled(&self, enabled: bool) -> Result<(), MappingError> {
        self.client
            .update_event_source_mapping()
            .uuid(&self.uuid)
            .enabled(enabled)
            .send()
            .await
            .map_err(|e| lambda_error("UpdateEventSourceMapping", &self.uuid, e))?;
        self.wait_for(if enabled { "Enabled" } else { "Disabled" }).await
    }

    async fn wait_for(&self, expected: &'static str) -> Result<(), MappingError> {
        let started = std::time::Instant::now();
        loop {
            let state = self
                .client
                .get_event_source_mapping()
                .uuid(&self.uuid)
                .send()
                .await
                .map_err(|e| lambda_error("GetEventSourceMapping", &self.uuid, e))?
                .state()
                .unwrap_or_default()
                .to_owned();
            if state == expected {
                return Ok(());
            }
            if started.elapsed() >= self.waits.state_timeout {
                return Err(MappingError::Stuck {
                    uuid: self.uuid.clone(),
                    state,
                    expected,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(self.waits.poll).await;
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PausedRebuildError {
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(
        "{source} (the stream mapping {uuid} stays disabled: fix the cause and run the rebuild again, which enables it at the end)"
    )]
    Rebuild { source: sales_shared::store::StoreError, uuid: String },
}

/// `salesctl rebuild` in AWS: the rollup's stream mapping paused around
/// the rebuild. When the rebuild fails the mapping stays disabled (the
/// aggregates may be half rewritten; a stream batch applied on them would
/// be lost in the next rebuild's comparison or counted twice).
pub async fn rebuild_paused(
    config: &Config,
    tenant: &str,
    uuid: &str,
    waits: Waits,
    visible: bool,
) -> Result<usize, PausedRebuildError> {
    let say = |message: &str| eprintln!("{message}");
    let paused = pause(lambda_client(config).await, uuid, waits, &say).await?;
    let written = crate::reconcile::rebuild(config, tenant, visible)
        .await
        .map_err(|source| PausedRebuildError::Rebuild { source, uuid: uuid.to_owned() })?;
    paused.resume(&say).await?;
    Ok(written)
}
