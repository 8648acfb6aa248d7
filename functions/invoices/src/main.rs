//! Lambda entry point of the invoices function.

use lambda_http::{Error, run};
use sales_shared::config::Config;
use sales_shared::http::ApiContext;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = Config::from_env()?;
    let ctx = ApiContext::from_config(&config).await;
    run(invoices::router(ctx)).await
}
