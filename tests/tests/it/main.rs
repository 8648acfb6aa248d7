//! The cross-crate tests, one binary (so the AWS SDKs are linked once), a
//! module per area. Each runs against the private DynamoDB Local, S3 server
//! and moto that `infra/local/with-test-services.sh` starts.

mod alerts;
mod dashboard_end_to_end;
mod dashboard_endpoints;
mod digests;
mod exactly_once;
mod export_jobs;
mod exports;
mod hostile_input;
mod http_limits;
mod isolation;
mod openapi;
mod orders_invoices_payments;
mod platform;
mod read_budget;
mod read_cost;
mod reconcile;
mod reports;
mod response_shapes;
