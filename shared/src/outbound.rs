//! Outbound HTTP(S) requests (the JWKS fetch, alert webhooks) on the hyper
//! and rustls stack the AWS SDK already links, with aws-lc-rs as the one
//! crypto provider and the system's root certificates. reqwest would add a
//! second TLS provider (ring) and its own client (docs/performance.md,
//! "Release artifacts").

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The outcome of an exchange: the status and the body read (up to a limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: http::StatusCode,
    pub body: Bytes,
}

/// Why no answer came: a message for the log or the rule's history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("{0}")]
    Request(String),
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
}

/// A reusable HTTP(S) client; built once per process.
pub struct Outbound {
    client: Result<Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>, String>,
}

impl Default for Outbound {
    fn default() -> Self {
        Self::new()
    }
}

impl Outbound {
    pub fn new() -> Self {
        let client = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map(|builder| {
                let connector = builder.https_or_http().enable_http1().build();
                Client::builder(TokioExecutor::new()).build(connector)
            })
            .map_err(|e| format!("no TLS root certificates: {e}"));
        Outbound { client }
    }

    /// Sends `request` and reads at most `max_body` bytes of the answer,
    /// all within `timeout`.
    pub async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
        timeout: Duration,
        max_body: usize,
    ) -> Result<Answer, OutboundError> {
        let client = self.client.as_ref().map_err(|e| OutboundError::Request(e.clone()))?;
        let exchange = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| OutboundError::Request(error_chain(&e)))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), max_body)
                .collect()
                .await
                .map_err(|e| OutboundError::Request(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok(Answer { status, body })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| OutboundError::TimedOut(timeout))?
    }

    /// `GET url`.
    pub async fn get(
        &self,
        url: &str,
        timeout: Duration,
        max_body: usize,
    ) -> Result<Answer, OutboundError> {
        let request = http::Request::get(url)
            .body(Full::default())
            .map_err(|e| OutboundError::Request(format!("bad URL {url:?}: {e}")))?;
        self.send(request, timeout, max_body).await
    }
}

/// The error and its sources in one line (hyper's own message is terse).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
