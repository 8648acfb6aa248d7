//! What every HTTP router does before and around its handlers, so that every
//! answer is the JSON error envelope: request limits (414 URI too long, 431
//! header fields too large, 413 body too large), the JSON 404 of unknown
//! paths, the JSON 405 (with `Allow`) of other methods on known paths, and a
//! JSON 500 instead of a dropped connection if a handler panics.
//!
//! Every function's `router()` and `salesctl serve`'s `app()` build their
//! router with [`api_router`], so the Lambdas and the local server behave
//! alike. In AWS, API Gateway enforces its own, larger limits before the
//! function runs (docs/api.md, "Limits").

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;

use crate::http::{ApiContext, ApiError, not_found};

/// Longest request target (path and query string), in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header fields in a request (a repeated name counts once per value).
pub const MAX_HEADERS: usize = 100;
/// Largest header block: the names and values of every field, in bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Largest request body: an alert rule with ten channels of 2048-byte URLs
/// fits. The GET endpoints ignore a body within it.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// The whole router of an HTTP function (or of the local server): `routes`
/// with the JSON 404 and 405 fallbacks, the shared context, and the request
/// limits around everything (fallbacks included).
pub fn api_router(routes: Router<Arc<ApiContext>>, ctx: Arc<ApiContext>) -> Router {
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ctx)
        .layer(axum::middleware::from_fn(limits))
}

/// The public functions of every HTTP function's library, from its route
/// table `fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); N]`:
/// `paths()`, `routes()` and `router(ctx)`.
#[macro_export]
macro_rules! http_function_routes {
    ($table:ident) => {
        /// The paths `routes()` serves (the OpenAPI test compares them with
        /// docs/openapi.yaml).
        pub fn paths() -> Vec<&'static str> {
            $table().into_iter().map(|(path, _)| path).collect()
        }

        /// The routes, for mounting beside other functions' routes locally.
        pub fn routes() -> ::axum::Router<::std::sync::Arc<$crate::http::ApiContext>> {
            $table()
                .into_iter()
                .fold(::axum::Router::new(), |router, (path, handler)| router.route(path, handler))
        }

        /// The function's whole router: the routes with the JSON fallbacks
        /// and the request limits of `sales_shared::http::router`.
        pub fn router(ctx: ::std::sync::Arc<$crate::http::ApiContext>) -> ::axum::Router {
            $crate::http::router::api_router(routes(), ctx)
        }
    };
}

/// JSON 405 for a method a known path does not serve; axum adds `Allow`.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The refusal of a request over a limit, in the API's error envelope.
pub fn error_response(status: StatusCode, code: &'static str, message: String) -> Response {
    ApiError::Refused { status, code, message }.into_response()
}

/// The refusal of a request head over the limits, if it is.
pub fn check_head(path_and_query: &str, headers: &HeaderMap) -> Option<Response> {
    if path_and_query.len() > MAX_URI_BYTES {
        return Some(error_response(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!(
                "the request target (path and query) has {} bytes; at most {MAX_URI_BYTES} are accepted",
                path_and_query.len()
            ),
        ));
    }
    if headers.len() > MAX_HEADERS {
        return Some(error_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header_fields_too_large",
            format!(
                "the request has {} header fields; at most {MAX_HEADERS} are accepted",
                headers.len()
            ),
        ));
    }
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if bytes > MAX_HEADER_BYTES {
        return Some(error_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header_fields_too_large",
            format!(
                "the request's header fields have {bytes} bytes; at most {MAX_HEADER_BYTES} are accepted"
            ),
        ));
    }
    None
}

fn body_too_large() -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("a request body may have at most {MAX_BODY_BYTES} bytes"),
    )
}

/// The request with its body checked against [`MAX_BODY_BYTES`]: by its
/// declared length when it has one, else read (at most the limit).
async fn checked_body(request: Request) -> Result<Request, Response> {
    let hint = request.body().size_hint();
    if hint.lower() > MAX_BODY_BYTES as u64 {
        return Err(body_too_large());
    }
    if hint.upper().is_some_and(|upper| upper <= MAX_BODY_BYTES as u64) {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => Ok(Request::from_parts(parts, Body::from(bytes))),
        Err(_) => Err(body_too_large()),
    }
}

/// The middleware: limits first, then the router; a panic below becomes a
/// logged JSON 500.
pub async fn limits(request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query().map_or("", |pq| pq.as_str());
    if let Some(refused) = check_head(target, request.headers()) {
        return refused;
    }
    let request = match checked_body(request).await {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            tracing::error!(panic = %panic_message(panic.as_ref()), "handler panicked");
            ApiError::Internal.into_response()
        }
    }
}

/// The message of a caught panic (empty when it carried none).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn status(refusal: Option<Response>) -> Option<u16> {
        refusal.map(|response| response.status().as_u16())
    }

    #[test]
    fn heads_over_the_limits_are_refused() {
        let headers = HeaderMap::new();
        assert_eq!(status(check_head(&"a".repeat(MAX_URI_BYTES), &headers)), None);
        assert_eq!(status(check_head(&"a".repeat(MAX_URI_BYTES + 1), &headers)), Some(414));

        let mut many = HeaderMap::new();
        for i in 0..MAX_HEADERS {
            many.insert(
                axum::http::HeaderName::try_from(format!("x-h{i}")).unwrap(),
                HeaderValue::from_static("v"),
            );
        }
        assert_eq!(status(check_head("/", &many)), None);
        many.append("x-h0", HeaderValue::from_static("again"));
        assert_eq!(status(check_head("/", &many)), Some(431));

        let mut big = HeaderMap::new();
        big.insert("x-big", HeaderValue::try_from("v".repeat(MAX_HEADER_BYTES)).unwrap());
        assert_eq!(status(check_head("/", &big)), Some(431));
    }
}
