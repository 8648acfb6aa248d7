//! What the `salesctl` binary tests share: the binary on its own tables of
//! DynamoDB Local, its output as text, and a child process ended on drop.

#![allow(dead_code)] // each test binary uses its own share of these

use std::process::{Child, Command, Output, Stdio};

/// `salesctl ARGS` on tables named `{tables}-source` and `{tables}-aggregates`.
pub fn salesctl(tables: &str, args: &[&str]) -> Command {
    std::env::var("SALES_DYNAMODB_ENDPOINT")
        .expect("run through `make test` (infra/local/with-test-services.sh)");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_salesctl"));
    cmd.args(args)
        .env("SALES_ENV", "local")
        .env("SALES_JWT_SECRET", "cli-test-secret")
        .env("SALES_SOURCE_TABLE", format!("{tables}-source"))
        .env("SALES_AGGREGATES_TABLE", format!("{tables}-aggregates"))
        .env("SALES_EXPORTS_BUCKET", format!("{tables}-exports"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

pub fn run(tables: &str, args: &[&str]) -> Output {
    salesctl(tables, args).output().expect("salesctl runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A child process (a pump, a load) killed and reaped when dropped.
pub struct Process(pub Child);

impl Process {
    /// Starts `salesctl ARGS` with its output discarded.
    pub fn quiet(tables: &str, args: &[&str]) -> Self {
        let child = salesctl(tables, args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("salesctl starts");
        Process(child)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A completed order line for tenant `cli`.
pub fn order(id: i64, amount: &str) -> String {
    format!(
        r#"{{"type":"order","tenant_id":"cli","id":{id},"version":1,"updated_at":"2025-12-01T00:00:00Z","order_number":"O-{id}","customer_id":1,"source":"api","status":"completed","currency":"USD","total_amount":"{amount}","ordered_at":"2025-12-01T10:00:00Z"}}"#
    )
}
