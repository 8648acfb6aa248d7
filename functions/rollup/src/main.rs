//! Lambda entry point of the rollup, triggered by the source table's stream.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use rollup::RollupContext;
use sales_shared::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    let config = Config::from_env()?;
    let ctx = Arc::new(RollupContext::from_config(&config).await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let ctx = ctx.clone();
        // Boxed: the handler's future is deep (every store read it awaits),
        // and inline in this one rustc's layout query can pass its depth
        // limit in a cold build ("queries overflow the depth limit").
        async move { Ok::<_, Error>(Box::pin(rollup::handle(&ctx, event.payload)).await) }
    }))
    .await
}
