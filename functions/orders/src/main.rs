//! Lambda entry point of the orders function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    sales_shared::http::run_http_function(orders::router).await
}
