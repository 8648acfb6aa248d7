//! Lambda entry point of the alert evaluation: on the EventBridge schedule
//! it queues one message per tenant; on the evaluation queue's SQS event
//! it evaluates those tenants and queues their events for delivery.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sales_shared::config::Config;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    let config = Config::from_env()?;
    let ctx = Arc::new(alerts::EvaluatorContext::from_config(&config).await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let ctx = ctx.clone();
        async move {
            if event.payload.get("Records").is_some() {
                let event: SqsEvent = serde_json::from_value(event.payload)?;
                return Ok(serde_json::to_value(alerts::run_evaluations(&ctx, event).await)?);
            }
            alerts::run_schedule(&ctx).await.map_err(Error::from)?;
            Ok::<Value, Error>(Value::Null)
        }
    }))
    .await
}
