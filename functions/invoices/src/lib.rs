//! The invoices Lambda's router. Its endpoints of the API guide arrive with the
//! issue "Orders, invoices and payments functions"; until then every path
//! answers a JSON 404.

use std::sync::Arc;

use axum::Router;
use sales_shared::http::{ApiContext, not_found};

/// The routes, for mounting beside other functions' routes locally.
pub fn routes() -> Router<Arc<ApiContext>> {
    Router::new()
}

/// The function's whole router.
pub fn router(ctx: Arc<ApiContext>) -> Router {
    routes().fallback(not_found).with_state(ctx)
}
