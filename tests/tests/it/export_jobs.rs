//! Export jobs (`POST /exports`, `GET /exports/{id}`, the worker): jobs
//! run in the background, large exports become jobs, failures say why,
//! live runs are left alone and expired jobs are gone.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use sales_tests::december::TENANT;
use sales_tests::{TestStack, fetch, token};

use super::exports::{BOTH, csv_rows, december, download};

/// `POST /exports`, then the job as a client follows it.
async fn post_job(
    stack: &TestStack,
    tenant: &str,
    body: serde_json::Value,
    key: Option<&str>,
) -> (u16, serde_json::Value, Option<String>) {
    let mut request = axum::http::Request::post("/api/v1/sales/exports")
        .header("authorization", format!("Bearer {}", token(tenant, BOTH)))
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = tower::ServiceExt::oneshot(
        stack.app.clone(),
        request.body(axum::body::Body::from(body.to_string())).unwrap(),
    )
    .await
    .unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default(), location)
}

async fn job(stack: &TestStack, tenant: &str, id: &str) -> (u16, serde_json::Value) {
    let (status, _, body) =
        stack.get(&format!("/api/v1/sales/exports/{id}"), Some(&token(tenant, BOTH))).await;
    (status.as_u16(), body)
}

/// A job over six years, run by the worker: its file holds every order of
/// the range, and the rows of December exactly as the export within the
/// request gives them; the same `Idempotency-Key` finds the same job; jobs
/// are the tenant's own and listed newest first.
#[tokio::test]
async fn export_jobs_run_in_the_background() {
    let stack = december("export-jobs").await;
    let years = serde_json::json!({"dataset": "orders", "format": "csv", "from_date": "2020-01-01", "to_date": "2025-12-31"});

    // Scope, and bad bodies named.
    let (status, _, _) = stack
        .send("POST", "/api/v1/sales/exports", Some(&token(TENANT, "sales:read")), Some(&years))
        .await;
    assert_eq!(status, 403);
    let (status, body, _) =
        post_job(&stack, TENANT, serde_json::json!({"dataset": "orders", "format": "docx"}), None)
            .await;
    assert_eq!((status, body["error"]["parameter"].as_str()), (400, Some("format")), "{body}");
    let (status, body, _) =
        post_job(&stack, TENANT, serde_json::json!({"format": "csv"}), None).await;
    assert_eq!((status, body["error"]["parameter"].as_str()), (400, Some("dataset")), "{body}");

    // 202, Location, queued.
    let (status, body, location) = post_job(&stack, TENANT, years.clone(), Some("six-years")).await;
    assert_eq!(status, 202, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["data"]["status"], "queued");
    assert_eq!(body["data"]["status_url"], format!("/api/v1/sales/exports/{id}"));
    assert_eq!(location.as_deref(), Some(format!("/api/v1/sales/exports/{id}").as_str()));
    assert_eq!(body["data"]["url"], serde_json::Value::Null);

    // The same key and request: the same job; the key with another request: 409.
    let (status, again, _) = post_job(&stack, TENANT, years.clone(), Some("six-years")).await;
    assert_eq!((status, again["data"]["id"].as_str()), (202, Some(id.as_str())));
    let mut other = years.clone();
    other["format"] = "excel".into();
    let (status, body, _) = post_job(&stack, TENANT, other.clone(), Some("six-years")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused")),
        "{body}"
    );

    // Another tenant sees nothing of it.
    assert_eq!(job(&stack, "someone-else", &id).await.0, 404);
    assert_eq!(job(&stack, TENANT, "exp_0000").await.0, 404);

    // The worker runs it (once: a repeated message finds it finished).
    assert_eq!(stack.run_export_jobs().await, 1);
    let (status, done) = job(&stack, TENANT, &id).await;
    assert_eq!(status, 200);
    assert_eq!(done["data"]["status"], "succeeded", "{done}");
    assert_eq!(done["data"]["rows"], 7, "orders 1 to 7, November's included");
    assert_eq!(done["data"]["error"], serde_json::Value::Null);
    assert_eq!(done["data"]["attempts"], 1);
    let url = done["data"]["url"].as_str().expect("a link once succeeded");
    let file = fetch(url).await;
    assert_eq!(done["data"]["bytes"].as_u64(), Some(file.len() as u64));
    let job_rows = csv_rows(&file);
    assert_eq!(job_rows.len(), 8);

    // December's rows are exactly what the export within the request gives.
    let (bytes, _) = download(
        &stack,
        "/api/v1/sales/orders/export?format=csv&from_date=2025-12-01&to_date=2025-12-31",
        TENANT,
    )
    .await;
    let december_rows = csv_rows(&bytes);
    let in_december: Vec<Vec<String>> = job_rows
        .iter()
        .filter(|r| r[1].starts_with("2025-12") || r[0] == "Order number")
        .cloned()
        .collect();
    assert_eq!(in_december, december_rows);

    // An Excel job of the same range holds the same rows.
    let (_, excel, _) = post_job(&stack, TENANT, other, None).await;
    assert_eq!(stack.run_export_jobs().await, 1);
    let (_, excel) = job(&stack, TENANT, excel["data"]["id"].as_str().unwrap()).await;
    assert_eq!(excel["data"]["status"], "succeeded", "{excel}");
    let xlsx = fetch(excel["data"]["url"].as_str().unwrap()).await;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).expect("an xlsx file");
    let range = book.worksheet_range("Orders").unwrap();
    assert_eq!(range.height(), 8);
    for (r, row) in job_rows.iter().enumerate().skip(1) {
        assert_eq!(range.get((r, 0)), Some(&Data::String(row[0].clone())));
    }

    // Newest first, a page at a time.
    let listed = |path: String| {
        let stack = &stack;
        async move { stack.get(&path, Some(&token(TENANT, BOTH))).await.2 }
    };
    let page = listed("/api/v1/sales/exports?limit=1".into()).await;
    assert_eq!(page["data"][0]["id"], excel["data"]["id"]);
    let cursor = page["meta"]["next_cursor"].as_str().expect("a second page").to_owned();
    let page = listed(format!("/api/v1/sales/exports?limit=1&cursor={cursor}")).await;
    assert_eq!(page["data"][0]["id"].as_str(), Some(id.as_str()));
    assert_eq!(page["data"][0]["status"], "succeeded");
    assert!(page["meta"]["next_cursor"].is_null(), "{page}");
    let (_, _, theirs) =
        stack.get("/api/v1/sales/exports", Some(&token("someone-else", BOTH))).await;
    assert_eq!(theirs["data"], serde_json::json!([]));
}

/// Past `SALES_EXPORT_SYNC_MAX_ROWS` rows, `GET .../export` answers 202
/// with a job instead of the file; within it, the 303 as before.
#[tokio::test]
async fn large_exports_become_jobs() {
    let mut stack = december("export-threshold").await;
    let config = sales_shared::config::Config { export_sync_max_rows: 6, ..stack.config.clone() };
    stack.app = salesctl::serve::app(sales_shared::http::ApiContext::from_config(&config).await);

    // December: 6 orders, within the limit.
    let (status, _, _) =
        stack.get("/api/v1/sales/orders/export?format=csv", Some(&token(TENANT, BOTH))).await;
    assert_eq!(status, 303);
    // November and December: 7 orders, a job.
    let path = "/api/v1/sales/orders/export?format=csv&from_date=2025-11-01&to_date=2025-12-31";
    let (status, headers, body) = stack.get(path, Some(&token(TENANT, BOTH))).await;
    assert_eq!(status, 202, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(headers["location"].to_str().unwrap(), format!("/api/v1/sales/exports/{id}"));
    assert_eq!(body["data"]["request"]["from_date"], "2025-11-01");
    assert_eq!(body["data"]["status"], "queued");
    // With a status filter that holds fewer rows, the file comes at once.
    let (status, _, _) =
        stack.get(&format!("{path}&status=completed"), Some(&token(TENANT, BOTH))).await;
    assert_eq!(status, 303);

    assert_eq!(stack.run_export_jobs().await, 1);
    let (_, done) = job(&stack, TENANT, &id).await;
    assert_eq!(
        (done["data"]["status"].as_str(), done["data"]["rows"].as_u64()),
        (Some("succeeded"), Some(7))
    );
}

/// A job that cannot write its file fails, says why, and leaves nothing in
/// the bucket; a repeated message does not run it again.
#[tokio::test]
async fn a_failed_job_says_why_and_leaves_no_file() {
    let stack = december("export-job-fails").await;
    let body = serde_json::json!({"dataset": "invoices", "format": "pdf", "from_date": "2025-01-01", "to_date": "2025-12-31"});
    let (status, created, _) = post_job(&stack, TENANT, body, None).await;
    assert_eq!(status, 202, "{created}");
    let id = created["data"]["id"].as_str().unwrap().to_owned();

    // A worker whose bucket does not exist (moto's S3 says so at once;
    // s3s-fs would take the parts of any bucket).
    let broken = sales_shared::config::Config {
        s3_endpoint: stack.config.sqs_endpoint.clone(),
        exports_bucket: "no-such-bucket".into(),
        ..stack.config.clone()
    };
    assert_eq!(stack.run_export_jobs_with(&broken).await, 1);
    let (_, failed) = job(&stack, TENANT, &id).await;
    assert_eq!(failed["data"]["status"], "failed", "{failed}");
    let error = failed["data"]["error"].as_str().unwrap();
    // Which step failed, without the SDK's detail (the log has it).
    assert_eq!(error, "storing the file failed (S3 CreateMultipartUpload); ask again");
    assert_eq!(failed["data"]["url"], serde_json::Value::Null);

    let s3 = sales_shared::aws::s3(&stack.config).await;
    let listed = s3
        .list_objects_v2()
        .bucket(&stack.config.exports_bucket)
        .prefix(format!("exports/{TENANT}/jobs/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(0), "{:?}", listed.contents());

    // The message again (a redelivery): nothing runs.
    let ctx = export::ReportContext::from_config(&stack.config).await;
    let outcome = export::jobs::run_job(&ctx, TENANT, &id).await.unwrap();
    assert_eq!(outcome, export::jobs::Outcome::Skipped("already finished"));
}

/// A second delivery while a run is alive leaves the job to that run; a
/// job past its 7 days is gone from the API before TTL removes it.
#[tokio::test]
async fn live_runs_are_left_alone_and_expired_jobs_are_gone() {
    use sales_shared::exports::job_store::{Created, JobStore};
    use sales_shared::exports::jobs::{ExportSpec, Job, new_job_id};

    let stack = december("export-job-runs").await;
    let body = serde_json::json!({"dataset": "orders", "format": "csv"});
    let (_, created, _) = post_job(&stack, TENANT, body, None).await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let store = JobStore::new(&stack.dynamo, &stack.config.export_jobs_table, TENANT);

    // A run takes the job (as a worker would), then the message comes again.
    let now = chrono::Utc::now();
    let running = store.claim(&id, now).await.unwrap().expect("claimed");
    assert_eq!(running.attempts, 1);
    let ctx = export::ReportContext::from_config(&stack.config).await;
    let outcome = export::jobs::run_job(&ctx, TENANT, &id).await.unwrap();
    assert_eq!(outcome, export::jobs::Outcome::Skipped("running in another run"));
    let (_, seen) = job(&stack, TENANT, &id).await;
    assert_eq!(
        (seen["data"]["status"].as_str(), seen["data"]["attempts"].as_u64()),
        (Some("running"), Some(1))
    );
    // That run's end is recorded; an older run's would not be.
    assert!(!store.fail(&id, 0, "a stale run", now).await.unwrap());
    assert!(store.succeed(&id, 1, 7, 100, "exports/k.csv", "k.csv", now).await.unwrap());
    let (_, seen) = job(&stack, TENANT, &id).await;
    assert_eq!(seen["data"]["status"], "succeeded");

    // A job made 8 days ago whose item is still there (TTL is lazy).
    let old = now - chrono::Duration::days(8);
    let spec = ExportSpec::new(
        sales_shared::exports::Dataset::Orders,
        sales_shared::exports::Format::Csv,
        sales_shared::periods::DateRange {
            from: "2025-12-01".parse().unwrap(),
            to: "2025-12-31".parse().unwrap(),
        },
        None,
    );
    let stale = Job::queued(new_job_id(old), spec, old);
    assert!(matches!(store.create(&stale, None).await.unwrap(), Created::New(_)));
    assert_eq!(job(&stack, TENANT, &stale.id).await.0, 404);
    let (_, _, list) = stack.get("/api/v1/sales/exports", Some(&token(TENANT, BOTH))).await;
    let ids: Vec<&str> =
        list["data"].as_array().unwrap().iter().filter_map(|j| j["id"].as_str()).collect();
    assert_eq!(ids, [id.as_str()], "only the kept job is listed");
}
