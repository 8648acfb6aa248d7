//! Lambda entry point of the digests' feedback: SES bounce and complaint
//! notifications, through SNS, suppress the addresses.

use aws_lambda_events::sns::SnsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sales_shared::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    let config = Config::from_env()?;
    let dynamo = sales_shared::aws::dynamodb(&config).await;
    let (dynamo, table, clock) = (&dynamo, &config.alerts_table, config.clock());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SnsEvent>| async move {
        let now = clock.now();
        export::digests::run_feedback(dynamo, table, now, event.payload).await.map_err(Error::from)
    }))
    .await
}
