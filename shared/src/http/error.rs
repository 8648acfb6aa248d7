//! The API's one error type and its mapping to HTTP answers.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::AuthError;
use crate::rejection::Rejection;
use crate::store::StoreError;

/// The API's one error type.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { parameter: Option<String>, message: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("no such endpoint")]
    NotFound,
    /// A resource the path names does not exist (or is not the caller's).
    #[error("{0}")]
    Missing(&'static str),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request over the limits of its head or body (413, 414, 431).
    #[error("{message}")]
    Refused { status: StatusCode, code: &'static str, message: String },
    /// A per-tenant cap reached (429): the client may try again after
    /// `retry_after` seconds (`Retry-After`).
    #[error("{message}")]
    TooMany { code: &'static str, message: String, retry_after: u32 },
    /// A handler panicked (logged where it was caught).
    #[error("internal error")]
    Internal,
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    #[error("export failure: {0}")]
    Export(#[from] crate::exports::ExportError),
}

impl ApiError {
    pub fn parameter(name: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { parameter: Some(name.to_owned()), message: message.into() }
    }
}

impl From<Rejection> for ApiError {
    fn from(err: Rejection) -> Self {
        ApiError::BadRequest { parameter: err.named_field().map(str::to_owned), message: err.rule }
    }
}

/// A signed cursor of this endpoint and query, but of the other kind of
/// list: the list changed its paging since (a day passed, or an event
/// dated after today arrived). The client starts again from the first page.
impl From<crate::paging::CursorMismatch> for ApiError {
    fn from(_: crate::paging::CursorMismatch) -> Self {
        ApiError::parameter(
            "cursor",
            "`cursor` is not a cursor of this list (start again without it)",
        )
    }
}

impl From<crate::queries::QueryError> for ApiError {
    fn from(err: crate::queries::QueryError) -> Self {
        match err {
            crate::queries::QueryError::Store(err) => err.into(),
            crate::queries::QueryError::Cursor(err) => err.into(),
        }
    }
}

/// The error envelope's JSON text, for answers written below axum (the
/// local server's rewrite of hyper's own refusals).
pub fn error_json(code: &str, message: String) -> String {
    serde_json::to_string(&ErrorBody { error: ErrorDetail { code, message, parameter: None } })
        .unwrap_or_default()
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, parameter, challenge) = match &self {
            ApiError::BadRequest { parameter, .. } => {
                (StatusCode::BAD_REQUEST, "invalid_parameter", parameter.as_deref(), None)
            }
            ApiError::Auth(AuthError::MissingScope(scope)) => (
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                None,
                Some(format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\"")),
            ),
            ApiError::Auth(AuthError::KeysUnavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "keys_unavailable", None, None)
            }
            ApiError::Auth(_) => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                None,
                Some("Bearer error=\"invalid_token\"".to_owned()),
            ),
            ApiError::NotFound | ApiError::Missing(_) => {
                (StatusCode::NOT_FOUND, "not_found", None, None)
            }
            ApiError::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None, None)
            }
            ApiError::Refused { status, code, .. } => (*status, *code, None, None),
            ApiError::TooMany { code, .. } => (StatusCode::TOO_MANY_REQUESTS, *code, None, None),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", None, None),
            ApiError::Store(err) => {
                tracing::error!(error = %err, "storage failure");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", None, None)
            }
            ApiError::Export(err) => {
                tracing::error!(error = %err, "export failure");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", None, None)
            }
        };
        let message = match &self {
            ApiError::Store(_) | ApiError::Export(_) => "internal error".to_owned(),
            // Generic by design ("invalid token", "token expired", ...): the
            // detail of a refusal is logged by `Authenticator::authenticate`.
            ApiError::Auth(err) => err.to_string(),
            other => other.to_string(),
        };
        let body = Json(ErrorBody { error: ErrorDetail { code, message, parameter } });
        let mut response = (status, body).into_response();
        if let Some(value) = challenge.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if let ApiError::TooMany { retry_after, .. } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after));
        }
        response
    }
}
