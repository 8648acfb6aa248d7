//! Lambda entry point of the digest scheduler: hourly on an EventBridge
//! schedule, and the per-tenant queue it feeds.

use export::digests::{DigestEvent, SchedulerContext, run};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sales_shared::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    let config = sales_shared::secrets::resolve(Config::from_env()?).await?;
    let ctx = SchedulerContext::from_config(&config).await;
    let ctx = &ctx;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<DigestEvent>| async move {
        run(ctx, event.payload).await.map_err(Error::from)
    }))
    .await
}
