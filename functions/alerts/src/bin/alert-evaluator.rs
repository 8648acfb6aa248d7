//! Lambda entry point of the scheduled alert evaluation (EventBridge).

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use sales_shared::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    let config = Config::from_env()?;
    let ctx = Arc::new(alerts::EvaluatorContext::from_config(&config).await);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let ctx = ctx.clone();
        async move { alerts::evaluate_all(&ctx).await.map_err(Error::from) }
    }))
    .await
}
