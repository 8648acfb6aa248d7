//! Lambda entry point of the report scheduler: the monthly management
//! reports, on an EventBridge schedule (and the fan-out queue it feeds).

use export::{ReportContext, SchedulerEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sales_shared::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    let config = Config::from_env()?;
    let ctx = ReportContext::from_config(&config).await;
    let ctx = &ctx;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SchedulerEvent>| async move {
        export::run(ctx, event.payload).await.map_err(Error::from)
    }))
    .await
}
