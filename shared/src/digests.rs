//! Scheduled digests: subscriptions (`/api/v1/sales/subscriptions`), when
//! each digest is due (`schedule`), what it holds (`content`), the email
//! that carries it (`email`), its one-click unsubscribe links
//! (`unsubscribe`), the hourly run that claims and sends each period once
//! (`deliver`), and the bounces and complaints that suppress an address
//! (`feedback`). docs/api.md, "Digests".

pub mod feedback;
pub mod schedule;
pub mod store;
pub mod subscription;
pub mod unsubscribe;

#[cfg(feature = "digests")]
pub mod content;
#[cfg(feature = "digests")]
pub mod deliver;
#[cfg(feature = "digests")]
pub mod email;

/// What a digest run fails on (a recipient SES refuses is an outcome of
/// the send, not an error).
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Query(#[from] crate::queries::QueryError),
    #[cfg(feature = "digests")]
    #[error(transparent)]
    Render(#[from] crate::exports::ExportError),
    #[error("encoding the webhook body failed: {0}")]
    Body(String),
    #[error(
        "the claim of period {0} passed to another run (it stalled past the stale-claim limit)"
    )]
    ClaimLost(String),
}
