//! The read budget (`SALES_SYNC_READ_BUDGET`): a request whose size,
//! learnt from a bounded read, is over the budget answers 202 with a job,
//! and the job's JSON (`GET /exports/{id}`, then its link) is the answer
//! the same request gives within a budget large enough.

use axum::body::Body;
use axum::http::Request;
use sales_shared::config::Config;
use sales_tests::december::TENANT;
use sales_tests::{fetch, send_to, token};

use super::exports::BOTH;

/// Requests that read per customer or per invoice: custom ranges of
/// customer figures, one rep's customers, invoice statistics of a custom
/// range, the aging report at a past date.
const OVER_BUDGET: [&str; 5] = [
    "/api/v1/sales/dashboard/customer-analytics?period=custom&from_date=2025-12-01&to_date=2025-12-15",
    "/api/v1/sales/dashboard/widgets/top-customers?period=custom&from_date=2025-11-01&to_date=2025-12-20",
    "/api/v1/sales/orders/performance-metrics?sales_rep_id=5&from_date=2025-12-01&to_date=2025-12-20",
    "/api/v1/sales/invoices/statistics?from_date=2025-11-15&to_date=2025-12-20",
    "/api/v1/sales/invoices/aging-report?as_of_date=2025-12-19&include_paid=true",
];

fn get(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn requests_over_the_read_budget_answer_with_a_job_holding_the_same_json() {
    let (stack, read) = sales_tests::december::stack("read-budget").await;
    let small = Config { sync_read_budget: 1, ..stack.config.clone() };
    let small_app = stack.app_with(&small).await;

    let mut jobs = Vec::new();
    for path in OVER_BUDGET {
        let (status, headers, body) = send_to(&small_app, get(path, &read)).await;
        assert_eq!(status, 202, "{path}: {body}");
        let id = body["data"]["id"].as_str().expect("a job id").to_owned();
        let status_url = format!("/api/v1/sales/exports/{id}");
        assert_eq!(headers["location"].to_str().unwrap(), status_url);
        assert_eq!(body["data"]["status"], "queued");
        assert_eq!(body["data"]["request"]["dataset"], "response");
        assert_eq!(body["data"]["request"]["format"], "json");
        assert_eq!(body["data"]["request"]["request"], path);
        jobs.push((path, status_url));
    }
    // A calendar period reads derived items only: answered at once.
    let month = "/api/v1/sales/dashboard/customer-analytics?period=month";
    let (status, _, body) = send_to(&small_app, get(month, &read)).await;
    assert_eq!(status, 200, "{body}");

    assert_eq!(stack.run_export_jobs().await, OVER_BUDGET.len());
    for (path, status_url) in jobs {
        // Followed with the read scope that asked.
        let (status, _, job) = stack.get(&status_url, Some(&read)).await;
        assert_eq!(status, 200, "{job}");
        assert_eq!(job["data"]["status"], "succeeded", "{path}: {job}");
        let file = fetch(job["data"]["url"].as_str().expect("a link")).await;
        assert_eq!(job["data"]["bytes"].as_u64(), Some(file.len() as u64));
        let deferred: serde_json::Value = serde_json::from_slice(&file).expect("JSON");
        let (status, _, now) = stack.get(path, Some(&read)).await;
        assert_eq!(status, 200, "{now}");
        assert_eq!(deferred, now, "{path}: the job's answer differs from the request's");
    }
}

/// An export job stays the export scope's: a read-only token sees the
/// answers deferred for it, not the tenant's files.
#[tokio::test]
async fn read_only_tokens_see_deferred_answers_only() {
    let (stack, read) = sales_tests::december::stack("read-budget-scope").await;
    let body = serde_json::json!({"dataset": "orders", "format": "csv"});
    let (status, _, export) =
        stack.send("POST", "/api/v1/sales/exports", Some(&token(TENANT, BOTH)), Some(&body)).await;
    assert_eq!(status, 202, "{export}");
    let status_url = export["data"]["status_url"].as_str().unwrap().to_owned();
    let (status, _, refused) = stack.get(&status_url, Some(&read)).await;
    assert_eq!(
        (status.as_u16(), refused["error"]["code"].as_str()),
        (403, Some("insufficient_scope")),
        "{refused}"
    );
    let (status, _, _) = stack.get(&status_url, Some(&token(TENANT, BOTH))).await;
    assert_eq!(status, 200);
}
