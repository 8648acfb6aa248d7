//! Lambda entry point of the alert rules API.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    sales_shared::http::run_http_function(alerts::router).await
}
