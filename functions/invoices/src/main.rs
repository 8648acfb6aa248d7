//! Lambda entry point of the invoices function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    sales_shared::http::run_http_function(invoices::router).await
}
