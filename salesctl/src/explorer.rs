//! The API explorer of the local server: Swagger UI at `/docs`, built from
//! `docs/openapi.yaml`, where one pastes a token (Authorize) and calls every
//! endpoint of this server ("Try it out").
//!
//! Swagger UI's files come from the npm package `swagger-ui-dist`, which
//! `infra/local/stack.sh install` puts in the tools cache; the server reads
//! them from `--explorer-dir` (`SALES_EXPLORER_DIR`). Nothing is loaded from
//! a CDN: the page names only this server's `/docs/...` paths. Without the
//! package, `/docs` still answers, with the OpenAPI document's link and the
//! command that installs the rest.

use std::path::PathBuf;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// The OpenAPI document, as the repo has it.
pub const OPENAPI_YAML: &str = include_str!("../../docs/openapi.yaml");

/// Where the explorer serves the OpenAPI document.
pub const OPENAPI_PATH: &str = "/docs/openapi.yaml";

/// The `servers` entry of the document (the `make dev` address), replaced
/// in the served copy by this server's own origin, so that "Try it out"
/// calls the server the page came from, on whatever port it runs.
const LOCAL_SERVER: &str = "  - url: http://127.0.0.1:9000\n";
const THIS_SERVER: &str = "  - url: /\n";

/// The Swagger UI files the page loads, with their content types: the only
/// names `/docs/assets/{file}` serves.
const ASSETS: [(&str, &str); 4] = [
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"),
    ("favicon-32x32.png", "image/png"),
];

/// The explorer's routes; `assets` is the `swagger-ui-dist` package folder.
pub fn router(assets: Option<PathBuf>) -> Router {
    Router::new()
        .route("/docs", get(page))
        .route("/docs/", get(page))
        .route(OPENAPI_PATH, get(openapi))
        .route("/docs/assets/{file}", get(asset))
        .with_state(assets.filter(|dir| dir.join("swagger-ui-bundle.js").is_file()))
}

/// The OpenAPI document as served: its local server replaced by this one.
pub fn served_openapi() -> String {
    OPENAPI_YAML.replacen(LOCAL_SERVER, THIS_SERVER, 1)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], served_openapi()).into_response()
}

async fn page(State(assets): State<Option<PathBuf>>) -> Html<String> {
    Html(match assets {
        Some(_) => SWAGGER_PAGE.replace("{openapi}", OPENAPI_PATH),
        None => MISSING_PAGE.replace("{openapi}", OPENAPI_PATH),
    })
}

async fn asset(State(assets): State<Option<PathBuf>>, Path(file): Path<String>) -> Response {
    let Some((name, content_type)) = ASSETS.iter().find(|(name, _)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(dir) = assets else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(dir.join(name)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, *content_type)], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

const SWAGGER_PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Sales Analytics API explorer</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <noscript>The explorer needs JavaScript. The OpenAPI document is at <a href="{openapi}">{openapi}</a>.</noscript>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "{openapi}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      displayRequestDuration: true,
      docExpansion: "list",
      tryItOutEnabled: true,
      validatorUrl: null
    });
  </script>
</body>
</html>
"##;

const MISSING_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sales Analytics API explorer</title></head>
<body>
  <h1>Sales Analytics API explorer</h1>
  <p>The OpenAPI document is at <a href="{openapi}">{openapi}</a>.</p>
  <p>The interactive explorer (Swagger UI) is not installed: run
  <code>infra/local/stack.sh install explorer</code> (part of <code>make dev</code>),
  then restart the server.</p>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_points_try_it_out_at_this_server() {
        assert!(OPENAPI_YAML.contains(LOCAL_SERVER), "docs/openapi.yaml names the local server");
        let served = served_openapi();
        assert!(served.contains(THIS_SERVER));
        assert!(!served.contains(LOCAL_SERVER));
    }

    #[test]
    fn pages_name_the_document_and_only_local_assets() {
        for page in [SWAGGER_PAGE, MISSING_PAGE] {
            let html = page.replace("{openapi}", OPENAPI_PATH);
            assert!(html.contains("href=\"/docs/openapi.yaml\""));
            assert!(!html.contains("http://") && !html.contains("https://"), "no CDN: {html}");
        }
    }
}
