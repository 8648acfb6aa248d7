//! Lambda entry point of the alert evaluation: on the EventBridge schedule
//! it queues one message per tenant; on the evaluation queue's SQS event
//! it evaluates those tenants and queues their events for delivery.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use sales_shared::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    let config = Config::from_env()?;
    let ctx = Arc::new(alerts::EvaluatorContext::from_config(&config).await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<alerts::EvaluatorEvent>| {
        let ctx = ctx.clone();
        async move { alerts::run_evaluator(&ctx, event.payload).await.map_err(Error::from) }
    }))
    .await
}
