//! Lambda entry point of the export API (files within the request, and
//! export jobs).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    sales_shared::http::run_http_function(export::api_router).await
}
