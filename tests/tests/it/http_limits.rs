//! Every answer is the JSON error envelope, hostile requests included:
//! other methods (405 with `Allow`), long request targets (414), many or
//! large header fields (431), bodies (413), a panicking handler (500), both
//! through the in-process router and over the real TCP server of
//! `salesctl serve` (where hyper's own answers are rewritten too).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use sales_shared::http::ApiContext;
use sales_shared::http::router::{MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_BYTES};
use sales_tests::TestStack;
use serde_json::Value;
use tower::ServiceExt;

const DASHBOARD: &str = "/api/v1/sales/dashboard";

struct Answer {
    status: u16,
    allow: Option<String>,
    content_type: Option<String>,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// The status, and the envelope's code (asserting the envelope's shape).
    fn error(&self) -> (u16, &str) {
        assert_eq!(self.content_type.as_deref(), Some("application/json"), "{:?}", self.body);
        assert!(self.body["error"]["message"].is_string(), "{}", self.body);
        (self.status, self.code())
    }
}

async fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.expect("response");
    let header =
        |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, allow, content_type) =
        (response.status().as_u16(), header("allow"), header("content-type"));
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    Answer {
        status,
        allow,
        content_type,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

fn get(uri: &str) -> axum::http::request::Builder {
    Request::builder().method(Method::GET).uri(uri)
}

/// `count` distinct header fields `x-h{i}: v`.
fn many_headers(
    mut request: axum::http::request::Builder,
    count: usize,
) -> axum::http::request::Builder {
    for i in 0..count {
        request = request.header(format!("x-h{i}"), "v");
    }
    request
}

fn all_paths() -> Vec<&'static str> {
    [dashboard::paths(), orders::paths(), invoices::paths(), payments::paths()]
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::test]
async fn other_methods_are_json_405s_with_allow_on_every_path_and_router() {
    let stack = TestStack::new("limits-405", "2025-12-17T12:00:00Z").await;
    let ctx = ApiContext::from_config(&stack.config).await;
    let routers = [
        stack.app.clone(),
        dashboard::router(ctx.clone()),
        orders::router(ctx.clone()),
        invoices::router(ctx.clone()),
        payments::router(ctx.clone()),
    ];
    for path in all_paths() {
        for method in ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            let request = || {
                Request::builder().method(method).uri(path).body(Body::empty()).expect("request")
            };
            let answer = send(&stack.app, request()).await;
            assert_eq!(answer.error(), (405, "method_not_allowed"), "{method} {path}");
            assert_eq!(answer.allow.as_deref(), Some("GET,HEAD"), "{method} {path}");
            // The function that owns the path answers the same.
            let mut owners = 0;
            for router in &routers[1..] {
                let answer = send(router, request()).await;
                if answer.status != 404 {
                    assert_eq!(answer.error(), (405, "method_not_allowed"), "{method} {path}");
                    assert_eq!(answer.allow.as_deref(), Some("GET,HEAD"));
                    owners += 1;
                }
            }
            assert_eq!(owners, 1, "{path}");
        }
    }
    // An unknown path is a JSON 404 whatever the method.
    let answer =
        send(&stack.app, Request::post("/api/v1/sales/nothing").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.error(), (404, "not_found"));
}

#[tokio::test]
async fn long_targets_many_headers_and_bodies_are_refused_with_json() {
    let stack = TestStack::new("limits-head", "2025-12-17T12:00:00Z").await;
    let app = &stack.app;
    let query_of = |total: usize| "a".repeat(total - DASHBOARD.len() - "?x=".len());

    // At the limit the request reaches the handler (401 without a token).
    let at_limit = format!("{DASHBOARD}?x={}", query_of(MAX_URI_BYTES));
    assert_eq!(send(app, get(&at_limit).body(Body::empty()).unwrap()).await.status, 401);
    let over = format!("{DASHBOARD}?x={}", query_of(MAX_URI_BYTES + 1));
    assert_eq!(
        send(app, get(&over).body(Body::empty()).unwrap()).await.error(),
        (414, "uri_too_long")
    );
    // Checked before routing: unknown paths and other methods too.
    let unknown = format!("/nothing?x={}", "a".repeat(MAX_URI_BYTES));
    assert_eq!(
        send(app, get(&unknown).body(Body::empty()).unwrap()).await.error(),
        (414, "uri_too_long")
    );
    let post = Request::post(&over).body(Body::empty()).unwrap();
    assert_eq!(send(app, post).await.error(), (414, "uri_too_long"));

    let fine = many_headers(get(DASHBOARD), MAX_HEADERS).body(Body::empty()).unwrap();
    assert_eq!(send(app, fine).await.status, 401);
    let many = many_headers(get(DASHBOARD), MAX_HEADERS + 1).body(Body::empty()).unwrap();
    assert_eq!(send(app, many).await.error(), (431, "header_fields_too_large"));
    let two_hundred = many_headers(get(DASHBOARD), 200).body(Body::empty()).unwrap();
    assert_eq!(send(app, two_hundred).await.error(), (431, "header_fields_too_large"));
    let big =
        get(DASHBOARD).header("x-big", "v".repeat(MAX_HEADER_BYTES)).body(Body::empty()).unwrap();
    assert_eq!(send(app, big).await.error(), (431, "header_fields_too_large"));

    let small = get(DASHBOARD).body(Body::from("x".repeat(MAX_BODY_BYTES))).unwrap();
    assert_eq!(send(app, small).await.status, 401);
    let large = get(DASHBOARD).body(Body::from("x".repeat(MAX_BODY_BYTES + 1))).unwrap();
    assert_eq!(send(app, large).await.error(), (413, "body_too_large"));
    // A body of unknown length is read up to the limit, no further.
    let endless = futures::stream::repeat_with(|| {
        Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; 4096]))
    });
    let streamed = get(DASHBOARD).body(Body::from_stream(endless)).unwrap();
    assert_eq!(send(app, streamed).await.error(), (413, "body_too_large"));
}

#[tokio::test]
async fn a_panicking_handler_is_a_json_500_not_a_dropped_connection() {
    async fn boom() -> &'static str {
        panic!("boom")
    }
    let app = axum::Router::new()
        .route("/boom", axum::routing::get(boom))
        .layer(axum::middleware::from_fn(sales_shared::http::router::limits));
    let answer = send(&app, get("/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(answer.error(), (500, "internal_error"));
    assert_eq!(answer.body["error"]["message"], "internal error");
}

/// The local server on a free port, serving `app` until the test ends.
async fn local_server(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(salesctl::serve::serve_on(listener, app));
    format!("http://{address}")
}

async fn over_tcp(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("an HTTP answer");
    let header =
        |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, allow, content_type) =
        (response.status().as_u16(), header("allow"), header("content-type"));
    let bytes = response.bytes().await.expect("body");
    Answer {
        status,
        allow,
        content_type,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

#[tokio::test]
async fn the_local_tcp_server_answers_every_refusal_with_json() {
    let stack = TestStack::new("limits-tcp", "2025-12-17T12:00:00Z").await;
    let base = local_server(stack.app.clone()).await;
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    let url = format!("{base}{DASHBOARD}");

    for method in ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        let answer =
            over_tcp(client.request(Method::from_bytes(method.as_bytes()).unwrap(), &url)).await;
        assert_eq!(answer.error(), (405, "method_not_allowed"), "{method}");
        assert_eq!(answer.allow.as_deref(), Some("GET,HEAD"), "{method}");
    }
    assert_eq!(over_tcp(client.get(&url)).await.error(), (401, "invalid_token"));

    // Over our limit: the middleware; over hyper's hard 64 KiB: hyper's
    // answer, rewritten into the envelope (sent raw: the client's URI type
    // stops at 64 KiB too).
    let answer = over_tcp(client.get(format!("{url}?x={}", "a".repeat(10_000)))).await;
    assert_eq!(answer.error(), (414, "uri_too_long"));
    let long =
        format!("GET {DASHBOARD}?x={} HTTP/1.1\r\nhost: localhost\r\n\r\n", "a".repeat(100_000));
    let (head, body) = raw_exchange(&base, long.as_bytes()).await;
    assert!(head.starts_with("HTTP/1.1 414 "), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    assert_eq!(body["error"]["code"], "uri_too_long");
    // Over our limit: the middleware; over hyper's raised one: hyper's, rewritten.
    for count in [200, salesctl::serve::HYPER_MAX_HEADERS + 10] {
        let mut request = client.get(&url);
        for i in 0..count {
            request = request.header(format!("x-h{i}"), "v");
        }
        assert_eq!(
            over_tcp(request).await.error(),
            (431, "header_fields_too_large"),
            "{count} headers"
        );
    }
    let answer = over_tcp(client.get(&url).body("x".repeat(MAX_BODY_BYTES + 1))).await;
    assert_eq!(answer.error(), (413, "body_too_large"));

    // A request hyper cannot parse at all.
    let (head, body) = raw_exchange(&base, b"NOT HTTP AT ALL\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    assert_eq!(body["error"]["code"], "bad_request");
}

/// Sends `request` as raw bytes on a new connection; the answer's head and
/// JSON body (the server closes the connection after these answers).
async fn raw_exchange(base: &str, request: &[u8]) -> (String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket =
        tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.expect("connect");
    socket.write_all(request).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut raw))
        .await
        .expect("answered")
        .expect("read");
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head in {raw}"));
    (head.to_owned(), serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}")))
}
