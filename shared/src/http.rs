//! What every HTTP function shares: the per-process context and one
//! request's view of a tenant (`context`), the one error type mapped to
//! HTTP (`error`), the router every function builds (`router`: request
//! limits, JSON fallbacks, the panic catcher, the route-table macro), and
//! the JSON envelope (`crate::envelope`).

mod context;
mod error;
/// The export endpoints' parameters and answers (the export function).
#[cfg(feature = "exports")]
pub mod exports;
/// Queueing export jobs: large exports, answers over the read budget.
#[cfg(feature = "jobs")]
pub mod jobs;
pub mod router;

pub use context::{
    ApiContext, ITEMS_READ_HEADER, TenantView, lambda_handler, made, not_found, run_http_function,
    without_stage_prefix,
};
pub use error::{ApiError, error_json};
