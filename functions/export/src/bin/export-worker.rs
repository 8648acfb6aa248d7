//! Lambda entry point of the export worker (SQS: one export job a message).

use aws_lambda_events::sqs::SqsEvent;
use export::ReportContext;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use sales_shared::config::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    sales_shared::logging::init();
    // The cursor key too: the answers it writes for requests over the read
    // budget carry cursors the API must accept.
    let config = sales_shared::secrets::resolve(Config::from_env()?).await?;
    let ctx = ReportContext::worker(&config).await;
    let ctx = &ctx;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(export::jobs::run_messages(ctx, event.payload).await)
    }))
    .await
}
