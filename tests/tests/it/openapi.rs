//! docs/openapi.yaml against the routers, both ways: every path and method
//! of the document is served and every route served is in the document;
//! every operation documents exactly the query parameters its handler
//! accepts, and the error responses every request can get.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Method, Request};
use sales_shared::http::ApiContext;
use sales_tests::{TestStack, token};
use serde_json::Value;
use tower::ServiceExt;

const METHODS: [&str; 8] = ["get", "head", "post", "put", "patch", "delete", "options", "trace"];

fn document() -> serde_yaml::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("docs/openapi.yaml is readable");
    serde_yaml::from_str(&text).expect("docs/openapi.yaml is YAML")
}

/// Follows a local `$ref` (`#/components/...`) if `node` is one.
fn resolve<'a>(doc: &'a serde_yaml::Value, node: &'a serde_yaml::Value) -> &'a serde_yaml::Value {
    match node.get("$ref").and_then(|r| r.as_str()) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix("#/")
                .unwrap_or_else(|| panic!("not a local $ref: {reference}"));
            let target = pointer.split('/').fold(doc, |node, key| {
                node.get(key).unwrap_or_else(|| panic!("{reference} does not resolve at `{key}`"))
            });
            resolve(doc, target)
        }
        None => node,
    }
}

/// (path, method) -> operation of the document.
fn operations(doc: &serde_yaml::Value) -> BTreeMap<(String, String), &serde_yaml::Value> {
    let paths = doc.get("paths").and_then(|p| p.as_mapping()).expect("`paths` is a mapping");
    let mut out = BTreeMap::new();
    for (path, item) in paths {
        let path = path.as_str().expect("path keys are strings").to_owned();
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                out.insert((path.clone(), method.to_owned()), operation);
            }
        }
    }
    out
}

/// Every route the six HTTP functions serve.
fn served_paths() -> BTreeSet<&'static str> {
    let all: Vec<&'static str> = [
        dashboard::paths(),
        orders::paths(),
        invoices::paths(),
        payments::paths(),
        alerts::paths(),
        export::api_paths(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let unique: BTreeSet<&'static str> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "two functions serve the same path: {all:?}");
    unique
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
) -> (u16, Option<String>, Value) {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response =
        app.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("response");
    let status = response.status().as_u16();
    let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, allow, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[test]
fn every_documented_path_is_served_and_every_served_path_is_documented() {
    let doc = document();
    let documented: BTreeSet<String> = operations(&doc).into_keys().map(|(path, _)| path).collect();
    let served: BTreeSet<String> = served_paths().into_iter().map(str::to_owned).collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not in docs/openapi.yaml: {missing:?}");
    assert!(extra.is_empty(), "in docs/openapi.yaml but not served: {extra:?}");
}

#[test]
fn every_operation_documents_the_errors_any_request_can_get() {
    let doc = document();
    assert_eq!(doc.get("openapi").and_then(|v| v.as_str()), Some("3.1.0"));
    let bearer = resolve(&doc, &doc["components"]["securitySchemes"]["bearer"]);
    assert_eq!(bearer["scheme"].as_str(), Some("bearer"));
    for ((path, method), operation) in operations(&doc) {
        let responses =
            operation.get("responses").unwrap_or_else(|| panic!("{method} {path}: no responses"));
        let success =
            ["200", "201", "202", "204"].into_iter().find(|s| responses.get(*s).is_some());
        assert!(success.is_some(), "{method} {path}: no success answer documented");
        // The unsubscribe link's operations take no bearer token.
        let public =
            operation.get("security").and_then(|s| s.as_sequence()).is_some_and(Vec::is_empty);
        let statuses: &[&str] = if public {
            &["400", "413", "414", "431", "500"]
        } else {
            &["400", "401", "403", "413", "414", "431", "500"]
        };
        for &status in statuses {
            let response =
                responses.get(status).unwrap_or_else(|| panic!("{method} {path}: no {status}"));
            let response = resolve(&doc, response);
            assert!(
                response.get("content").is_some(),
                "{method} {path} {status}: no body documented"
            );
        }
        for parameter in
            operation.get("parameters").and_then(|p| p.as_sequence()).into_iter().flatten()
        {
            let parameter = resolve(&doc, parameter);
            // Query parameters, and the one header parameter, `Idempotency-Key`.
            let place = parameter["in"].as_str();
            assert!(
                place == Some("query")
                    || (place == Some("header") && parameter["name"] == "Idempotency-Key"),
                "{method} {path}: {parameter:?}"
            );
            assert!(
                parameter.get("schema").is_some(),
                "{method} {path}: a parameter without a schema"
            );
        }
    }
}

#[tokio::test]
async fn the_routers_serve_exactly_the_documented_methods() {
    let stack = TestStack::new("openapi-methods", "2025-12-17T12:00:00Z").await;
    let doc = document();
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, method) in operations(&doc).into_keys() {
        documented.entry(path).or_default().insert(method);
    }
    let public: BTreeSet<String> = operations(&doc)
        .into_iter()
        .filter(|(_, op)| {
            op.get("security").and_then(|s| s.as_sequence()).is_some_and(Vec::is_empty)
        })
        .map(|((path, _), _)| path)
        .collect();
    for (path, methods) in &documented {
        let mut served = BTreeSet::new();
        for method in METHODS {
            let (status, allow, body) = call(&stack.app, method, path, None).await;
            assert_ne!(status, 404, "{method} {path} fell through to the 404 fallback: {body}");
            if status == 405 {
                assert_eq!(body["error"]["code"], "method_not_allowed", "{method} {path}: {body}");
                let allowed: BTreeSet<String> = allow
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .map(|m| m.trim().to_ascii_lowercase())
                    .collect();
                let mut expected = methods.clone();
                if expected.contains("get") {
                    expected.insert("head".to_owned());
                }
                assert_eq!(allowed, expected, "{method} {path}: Allow lists the path's methods");
            } else if public.contains(path) {
                // Served without a token: the handler wants its link's.
                assert_eq!(status, 400, "{method} {path}: {body}");
                if method != "head" {
                    assert_eq!(body["error"]["parameter"], "token", "{method} {path}: {body}");
                }
                served.insert(method.to_owned());
            } else {
                // Served: the request reached the handler, which wants a token.
                assert_eq!(status, 401, "{method} {path}: {body}");
                served.insert(method.to_owned());
            }
        }
        // HEAD is axum's automatic companion of GET, not documented apart.
        let mut expected = methods.clone();
        if expected.contains("get") {
            expected.insert("head".to_owned());
        }
        assert_eq!(served, expected, "{path}: methods served vs documented");
    }

    // Each function's own router serves its paths and only those.
    let ctx = ApiContext::from_config(&stack.config).await;
    let functions: [(&str, axum::Router, Vec<&str>); 6] = [
        ("dashboard", dashboard::router(ctx.clone()), dashboard::paths()),
        ("orders", orders::router(ctx.clone()), orders::paths()),
        ("invoices", invoices::router(ctx.clone()), invoices::paths()),
        ("payments", payments::router(ctx.clone()), payments::paths()),
        ("alerts", alerts::router(ctx.clone()), alerts::paths()),
        ("export-api", export::api_router(ctx.clone()), export::api_paths()),
    ];
    for (name, router, own) in &functions {
        for path in documented.keys() {
            let (status, _, body) = call(router, "get", path, None).await;
            let expected = match (own.contains(&path.as_str()), public.contains(path)) {
                (false, _) => 404,
                (true, true) => 400,
                (true, false) => 401,
            };
            assert_eq!(status, expected, "{name} router, GET {path}: {body}");
        }
    }
}

/// The names `Params::parse` accepts, from its 400 for an unknown name
/// ("unknown parameter `x`; accepted: a, b").
fn accepted_names(body: &Value) -> BTreeSet<String> {
    let message = body["error"]["message"].as_str().unwrap_or_default();
    let (_, list) =
        message.split_once("accepted:").unwrap_or_else(|| panic!("no accepted list in {body}"));
    list.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).collect()
}

#[tokio::test]
async fn every_operation_documents_exactly_the_parameters_its_handler_accepts() {
    let stack = TestStack::new("openapi-params", "2025-12-17T12:00:00Z").await;
    let both = token("t1", "sales:read sales:export sales:alerts sales:reports");
    let doc = document();
    for ((path, method), operation) in operations(&doc) {
        let documented: BTreeSet<String> = operation
            .get("parameters")
            .and_then(|p| p.as_sequence())
            .into_iter()
            .flatten()
            .map(|p| resolve(&doc, p))
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().expect("parameter name").to_owned())
            .collect();
        let (status, _, body) =
            call(&stack.app, &method, &format!("{path}?not_a_parameter=1"), Some(&both)).await;
        assert_eq!(status, 400, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{method} {path}: {body}");
        assert_eq!(body["error"]["parameter"], "not_a_parameter", "{method} {path}: {body}");
        assert_eq!(
            accepted_names(&body),
            documented,
            "{method} {path}: accepted vs documented parameters"
        );
    }
}
