//! Lambda entry point of alert delivery: the delivery queue's SQS event,
//! one delivery round per message.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sales_shared::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    let config = Config::from_env()?;
    let ctx = Arc::new(alerts::EvaluatorContext::from_config(&config).await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let ctx = ctx.clone();
        async move { Ok::<_, Error>(alerts::run_deliveries(&ctx, event.payload).await) }
    }))
    .await
}
