//! Exports end to end: the December tenant's orders and invoices exported
//! as CSV, Excel and PDF to the local S3 server, downloaded through their
//! presigned links and parsed back (csv, calamine, pdftotext), values
//! checked against the API's own figures. The PDFs are also rendered to PNG
//! (pdftoppm) under `<target>/export-previews/` for a person to look at.

use std::io::Cursor;
use std::path::PathBuf;

use calamine::{Data, Reader, Xlsx};
use sales_shared::exports::upload::{MultipartUpload, PART_SIZE};
use sales_tests::december::{NOW, TENANT};
use sales_tests::{TestStack, token};

const BOTH: &str = "sales:read sales:export";

async fn december(name: &str) -> TestStack {
    sales_tests::december::stack(name).await.0
}

/// A source record of `tenant` (version 1, updated at the start of 2025)
/// with the fields of `body`.
fn record(tenant: &str, kind: &str, id: i64, body: serde_json::Value) -> serde_json::Value {
    let mut r = serde_json::json!({"type": kind, "tenant_id": tenant, "id": id, "version": 1,
        "updated_at": "2025-01-01T00:00:00Z"});
    if let (Some(r), Some(body)) = (r.as_object_mut(), body.as_object()) {
        r.extend(body.clone());
    }
    r
}

/// Follows the 303 to the presigned link; returns the file and its headers.
async fn download(
    stack: &TestStack,
    path: &str,
    tenant: &str,
) -> (Vec<u8>, reqwest::header::HeaderMap) {
    let (status, headers, body) = stack.get(path, Some(&token(tenant, BOTH))).await;
    assert_eq!(status, 303, "{path}: {body}");
    let location = headers["location"].to_str().unwrap().to_owned();
    let response = reqwest::get(&location).await.expect("presigned GET");
    assert_eq!(response.status(), 200, "{location}");
    let headers = response.headers().clone();
    (response.bytes().await.unwrap().to_vec(), headers)
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a byte-order mark");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn previews_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("export-previews");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// pdftotext's text of a PDF, and its first page rendered to PNG.
fn pdf_text(bytes: &[u8], name: &str) -> String {
    let dir = previews_dir();
    let pdf = dir.join(format!("{name}.pdf"));
    std::fs::write(&pdf, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils, installed by `make test` through infra/local/stack.sh install)");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    let png = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(dir.join(name))
        .status()
        .expect("pdftoppm runs");
    assert!(png.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn orders_export_in_every_format() {
    let stack = december("export-orders").await;

    // CSV: December's orders 2..7, the draft included, in date order.
    let (bytes, headers) = download(&stack, "/api/v1/sales/orders/export?format=csv", TENANT).await;
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"orders-2025-12-01-to-2025-12-31.csv\""
    );
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[0],
        [
            "Order number",
            "Date",
            "Customer number",
            "Customer",
            "Sales rep",
            "Source",
            "Status",
            "Total",
            "Currency"
        ]
    );
    assert_eq!(
        rows[1],
        [
            "ORD-2",
            "2025-12-01",
            "CUST-00001",
            "Acme",
            "Jane Smith",
            "online_store",
            "completed",
            "300.00",
            "USD"
        ]
    );
    assert_eq!(rows[4][..7], ["ORD-5", "2025-12-10", "CUST-00003", "Gamma", "", "api", "pending"]);
    let numbers: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(numbers, ["ORD-2", "ORD-3", "ORD-4", "ORD-5", "ORD-6", "ORD-7"]);
    // Revenue-bearing rows add up to the API's total revenue.
    let (_, _, metrics) = stack
        .get("/api/v1/sales/orders/performance-metrics", Some(&token(TENANT, "sales:read")))
        .await;
    let revenue: rust_decimal::Decimal = rows[1..]
        .iter()
        .filter(|r| r[6] != "draft" && r[6] != "cancelled")
        .map(|r| r[7].parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(revenue, sales_tests::dec(&metrics["data"]["order_metrics"]["total_revenue"]));

    // Filters.
    let (bytes, _) =
        download(&stack, "/api/v1/sales/orders/export?format=csv&status=cancelled", TENANT).await;
    assert_eq!(csv_rows(&bytes).len(), 2);
    let (bytes, _) = download(
        &stack,
        "/api/v1/sales/orders/export?format=csv&from_date=2025-11-01&to_date=2025-12-02",
        TENANT,
    )
    .await;
    assert_eq!(
        csv_rows(&bytes)[1..].iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
        ["ORD-1", "ORD-2", "ORD-3"]
    );

    // The JSON form.
    let (status, _, body) = stack
        .get_with(
            "/api/v1/sales/orders/export?format=excel",
            &token(TENANT, BOTH),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["rows"], 6);
    assert_eq!(body["data"]["format"], "excel");
    assert_eq!(body["data"]["expires_at"], "2025-12-20T12:15:00Z", "15 minutes by default");
    assert!(body["data"]["bytes"].as_u64().unwrap() > 0);
    assert!(body["meta"]["generated_at"].is_string());

    // Excel: numbers as numbers, dates as dates, one sheet.
    let url = body["data"]["url"].as_str().unwrap();
    let xlsx = reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).expect("an xlsx file");
    assert_eq!(book.sheet_names(), ["Orders"]);
    let range = book.worksheet_range("Orders").unwrap();
    assert_eq!(range.height(), 7);
    assert_eq!(range.get((0, 7)), Some(&Data::String("Total".into())));
    assert_eq!(range.get((1, 7)), Some(&Data::Float(300.0)));
    assert!(matches!(range.get((1, 1)), Some(Data::DateTime(_))), "{:?}", range.get((1, 1)));
    assert_eq!(range.get((1, 3)), Some(&Data::String("Acme".into())));

    // PDF: title, tenant, period, summary, chart label, the rows.
    let (pdf, headers) = download(&stack, "/api/v1/sales/orders/export?format=pdf", TENANT).await;
    assert_eq!(headers["content-type"].to_str().unwrap(), "application/pdf");
    let text = pdf_text(&pdf, "orders");
    for expected in [
        "Orders report",
        "Tenant: december",
        "Period: 2025-12-01 to 2025-12-31",
        "6 rows",
        "Total of all rows: 1,649.00 USD",
        "Revenue by day in all: 600.00 USD",
        "cancelled: 1 (50.00)",
        "Revenue by day",
        "ORD-7",
        "Jane Smith",
        "page 1 of 1",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

#[tokio::test]
async fn invoices_export_matches_the_api() {
    let stack = december("export-invoices").await;
    let (bytes, _) = download(&stack, "/api/v1/sales/invoices/export?format=csv", TENANT).await;
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[0],
        [
            "Invoice number",
            "Issue date",
            "Due date",
            "Customer number",
            "Customer",
            "Status",
            "Total",
            "Paid",
            "Balance",
            "Currency"
        ]
    );
    // Issued in December: 2, 3, 5, 6, 4, 8 by issue date (7 is a draft).
    let by_number: std::collections::BTreeMap<&str, &Vec<String>> =
        rows[1..].iter().map(|r| (r[0].as_str(), r)).collect();
    assert_eq!(by_number.len(), 6);
    assert_eq!(by_number["INV-3"][5..9], ["overdue", "200.00", "50.00", "150.00"]);
    assert_eq!(by_number["INV-5"][5..9], ["paid", "40.00", "0.00", "0.00"]);
    assert_eq!(by_number["INV-6"][5], "cancelled");
    assert_eq!(by_number["INV-8"][5..9], ["partially_paid", "75.00", "30.00", "45.00"]);
    assert_eq!(by_number["INV-4"][5], "sent");
    // Balances add up to the API's total outstanding.
    let (_, _, stats) =
        stack.get("/api/v1/sales/invoices/statistics", Some(&token(TENANT, "sales:read"))).await;
    let balance: rust_decimal::Decimal =
        rows[1..].iter().map(|r| r[8].parse::<rust_decimal::Decimal>().unwrap()).sum();
    assert_eq!(balance, sales_tests::dec(&stats["data"]["financial_metrics"]["total_outstanding"]));
    let (bytes, _) =
        download(&stack, "/api/v1/sales/invoices/export?format=csv&status=paid", TENANT).await;
    assert_eq!(csv_rows(&bytes).len(), 3);

    let (pdf, _) = download(&stack, "/api/v1/sales/invoices/export?format=pdf", TENANT).await;
    let text = pdf_text(&pdf, "invoices");
    for expected in
        ["Invoices report", "Invoiced by day", "INV-8", "partially_paid", "overdue: 1 (200.00)"]
    {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    let (xlsx, _) = download(&stack, "/api/v1/sales/invoices/export?format=excel", TENANT).await;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
    let range = book.worksheet_range("Invoices").unwrap();
    assert_eq!(range.height(), 7);
}

#[tokio::test]
async fn empty_exports_bad_requests_and_tenants() {
    let stack = december("export-edges").await;
    let empty = "from_date=2024-01-01&to_date=2024-01-31";
    let (bytes, _) =
        download(&stack, &format!("/api/v1/sales/orders/export?format=csv&{empty}"), TENANT).await;
    assert_eq!(csv_rows(&bytes).len(), 1, "the header alone");
    let (xlsx, _) =
        download(&stack, &format!("/api/v1/sales/orders/export?format=excel&{empty}"), TENANT)
            .await;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
    assert_eq!(book.worksheet_range("Orders").unwrap().height(), 1);
    let (pdf, _) =
        download(&stack, &format!("/api/v1/sales/invoices/export?format=pdf&{empty}"), TENANT)
            .await;
    assert!(pdf_text(&pdf, "empty").contains("0 rows"));

    for (path, parameter) in [
        ("/api/v1/sales/orders/export?format=xls", "format"),
        ("/api/v1/sales/orders/export", "format"),
        ("/api/v1/sales/orders/export?format=csv&status=late", "status"),
        ("/api/v1/sales/invoices/export?format=csv&status=shipped", "status"),
        (
            "/api/v1/sales/invoices/export?format=pdf&from_date=2025-12-31&to_date=2025-12-01",
            "from_date",
        ),
        ("/api/v1/sales/invoices/export?fromat=pdf", "fromat"),
    ] {
        let (status, _, body) = stack.get(path, Some(&token(TENANT, BOTH))).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{path}");
    }
    let (status, _, _) = stack
        .get("/api/v1/sales/orders/export?format=csv", Some(&token(TENANT, "sales:read")))
        .await;
    assert_eq!(status, 403, "sales:export is required");
    let (status, _, _) = stack.get("/api/v1/sales/orders/export?format=csv", None).await;
    assert_eq!(status, 401);

    // Another tenant's export holds none of December's rows, and its link
    // cannot be turned into one for December's key.
    let (status, _, mine) = stack
        .get_with(
            "/api/v1/sales/orders/export?format=csv",
            &token("other", BOTH),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(mine["data"]["rows"], 0);
    let url = mine["data"]["url"].as_str().unwrap();
    assert!(url.contains("/exports/other/orders/"), "{url}");
    let (_, _, theirs) = stack
        .get_with(
            "/api/v1/sales/orders/export?format=csv",
            &token(TENANT, BOTH),
            &[("accept", "application/json")],
        )
        .await;
    let their_key = theirs["data"]["url"]
        .as_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .rsplit_once("/exports/")
        .unwrap()
        .1
        .to_owned();
    let (base, query) = url.split_once('?').unwrap();
    let forged =
        format!("{}/exports/{their_key}?{query}", base.rsplit_once("/exports/").unwrap().0);
    let response = reqwest::get(&forged).await.unwrap();
    assert_eq!(response.status(), 403, "a link signed for one key does not open another");
}

#[tokio::test]
async fn a_file_over_one_multipart_part_arrives_whole() {
    let stack = TestStack::new("export-multipart", NOW).await;
    let s3 = sales_shared::aws::s3(&stack.config).await;
    let bucket = &stack.config.exports_bucket;
    let key = "exports/t/big.bin";
    let first: Vec<u8> = (0..PART_SIZE).map(|i| (i % 251) as u8).collect();
    let second = b"the last, smaller part".to_vec();
    let mut upload =
        MultipartUpload::start(&s3, bucket, key, "application/octet-stream", "attachment")
            .await
            .unwrap();
    upload.part(first.clone()).await.unwrap();
    upload.part(second.clone()).await.unwrap();
    let bytes = upload.finish().await.unwrap();
    assert_eq!(bytes, (first.len() + second.len()) as u64);
    let object = s3.get_object().bucket(bucket).key(key).send().await.unwrap();
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len(), first.len() + second.len());
    assert_eq!(&body[..first.len()], &first[..]);
    assert_eq!(&body[first.len()..], &second[..]);
}

#[tokio::test]
async fn text_that_starts_like_a_formula_is_neutralised_in_csv_and_stays_text_in_excel() {
    const HOSTILE: &str = "hostile";
    let mut stack = TestStack::new("export-hostile", NOW).await;
    let at = "2025-01-01T00:00:00Z";
    let record = |kind: &str, id: i64, body: serde_json::Value| record(HOSTILE, kind, id, body);
    let hyperlink = "=HYPERLINK(\"http://evil.example\",\"x\")";
    let records = [
        record("tenant_settings", 1, serde_json::json!({"time_zone": "UTC", "currency": "USD"})),
        record(
            "customer",
            1,
            serde_json::json!({"customer_number": "+SUM(1+1)", "company_name": hyperlink,
                "email": "a@evil.example", "created_at": at}),
        ),
        record("sales_rep", 5, serde_json::json!({"name": "@SUM(1,1)"})),
        record(
            "order",
            1,
            serde_json::json!({"order_number": "-2+3", "customer_id": 1, "sales_rep_id": 5, "source": "api",
                "status": "completed", "currency": "USD", "total_amount": "12.50",
                "ordered_at": "2025-12-10T12:00:00Z"}),
        ),
    ];
    let summary = stack.load_and_apply(HOSTILE, &records).await;
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);

    let (bytes, _) = download(&stack, "/api/v1/sales/orders/export?format=csv", HOSTILE).await;
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[1],
        [
            "'-2+3",
            "2025-12-10",
            "'+SUM(1+1)",
            &format!("'{hyperlink}"),
            "'@SUM(1,1)",
            "api",
            "completed",
            "12.50",
            "USD"
        ]
    );

    let (status, _, body) = stack
        .get_with(
            "/api/v1/sales/orders/export?format=excel",
            &token(HOSTILE, BOTH),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let xlsx = reqwest::get(body["data"]["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).expect("an xlsx file");
    let range = book.worksheet_range("Orders").unwrap();
    assert_eq!(
        range.get((1, 0)),
        Some(&Data::String("-2+3".into())),
        "Excel text is stored as text"
    );
    assert_eq!(range.get((1, 3)), Some(&Data::String(hyperlink.into())));
    assert_eq!(range.get((1, 7)), Some(&Data::Float(12.5)));
    assert!(
        book.worksheet_formula("Orders").unwrap().used_cells().all(|(_, _, f)| f.is_empty()),
        "no formulas"
    );
}

/// Names in Polish, Greek, Cyrillic and Turkish print in the PDF (the
/// embedded DejaVu Sans) and extract back unchanged.
#[tokio::test]
async fn pdfs_print_names_in_every_script() {
    const TENANT_U: &str = "unicode";
    const NAMES: [&str; 4] = ["Łódź Trading", "Αθηνά ΑΕ", "ООО Ромашка", "İstanbul Gıda"];
    let mut stack = TestStack::new("export-unicode", NOW).await;
    let at = "2025-01-01T00:00:00Z";
    let record = |kind: &str, id: i64, body: serde_json::Value| record(TENANT_U, kind, id, body);
    let mut records = vec![record(
        "tenant_settings",
        1,
        serde_json::json!({"time_zone": "Europe/Warsaw", "currency": "PLN"}),
    )];
    for (i, name) in NAMES.iter().enumerate() {
        let id = i as i64 + 1;
        records.push(record(
            "customer",
            id,
            serde_json::json!({"customer_number": format!("C-{id}"), "company_name": name, "created_at": at}),
        ));
        records.push(record(
            "order",
            id,
            serde_json::json!({"order_number": format!("Zamówienie-{id}"), "customer_id": id, "source": "online_store",
                "status": "completed", "currency": "PLN", "total_amount": "99.90",
                "ordered_at": format!("2025-12-0{id}T12:00:00Z")}),
        ));
    }
    let summary = stack.load_and_apply(TENANT_U, &records).await;
    assert!(summary.rejected.is_empty(), "{:?}", summary.rejected);

    let (pdf, _) = download(
        &stack,
        "/api/v1/sales/orders/export?format=pdf&from_date=2025-12-01&to_date=2025-12-31",
        TENANT_U,
    )
    .await;
    let text = pdf_text(&pdf, "unicode-names");
    for name in NAMES {
        assert!(text.contains(name), "`{name}` not extracted from the PDF:\n{text}");
    }
    assert!(text.contains("Zamówienie-1"), "{text}");
    assert!(
        !text.contains('?') && !text.contains('\u{FFFD}'),
        "no replacement characters:\n{text}"
    );
}

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
    let file = reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec();
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
    let xlsx = reqwest::get(excel["data"]["url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
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
        sales_shared::exports::run::Dataset::Orders,
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
