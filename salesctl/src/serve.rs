//! The local API server: every HTTP function's routes mounted in one axum
//! server on loopback, the same routers the Lambdas run.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use sales_shared::http::{ApiContext, not_found};

/// All functions' routes in one router.
pub fn app(ctx: Arc<ApiContext>) -> Router {
    Router::new()
        .merge(dashboard::routes())
        .merge(orders::routes())
        .merge(invoices::routes())
        .merge(payments::routes())
        .fallback(not_found)
        .with_state(ctx)
}

/// Serves until the process is stopped.
pub async fn serve(ctx: Arc<ApiContext>, address: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!(%address, "serving the API");
    axum::serve(listener, app(ctx)).await
}
