//! Outbound HTTP(S) requests (the JWKS fetch, alert webhooks), every one
//! through the egress guard: the policy (`policy`: which URLs and addresses
//! may be reached) and the connector that applies it to the address
//! actually connected to (`connector`). One hyper client on the rustls
//! stack the AWS SDK already links, with aws-lc-rs as the one crypto
//! provider and the system's root certificates. reqwest would add a second
//! TLS provider (ring) and its own client (docs/performance.md, "Release
//! artifacts").

pub mod connector;
pub mod policy;

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub use connector::Refused;
pub use policy::{EgressPolicy, is_public_unicast};

use connector::GuardedConnector;

/// The outcome of an exchange: the status and the body read (up to a limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: http::StatusCode,
    pub body: Bytes,
}

/// Why no answer came. `Display` is the whole story, for the log only:
/// what a tenant sees is [`OutboundError::outcome`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// No connection: refused, unreachable, no such host, or an address
    /// the egress policy refuses.
    #[error("connection failed: {0}")]
    Connection(String),
    /// Connected, but the TLS handshake failed (certificate, protocol).
    #[error("TLS failed: {0}")]
    Tls(String),
    /// Connected, but the exchange broke off (reset, bad answer).
    #[error("request failed: {0}")]
    Request(String),
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
}

impl OutboundError {
    /// A short generic outcome (`timeout`, `connection_failed`,
    /// `tls_failed`, `request_failed`): what a delivery's history shows,
    /// without the addresses, ports or certificate names of the detail.
    pub fn outcome(&self) -> &'static str {
        match self {
            OutboundError::Connection(_) => "connection_failed",
            OutboundError::Tls(_) => "tls_failed",
            OutboundError::Request(_) => "request_failed",
            OutboundError::TimedOut(_) => "timeout",
        }
    }
}

/// The generic outcome of an answer that is not a success: `http_503`.
pub fn status_outcome(status: http::StatusCode) -> String {
    format!("http_{}", status.as_u16())
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<GuardedConnector>, Full<Bytes>>;

/// A reusable HTTP(S) client; built once per process.
pub struct Outbound {
    client: Result<HttpsClient, String>,
}

impl Outbound {
    /// A client that reaches what `policy` allows and nothing else.
    pub fn new(policy: EgressPolicy) -> Self {
        let client = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map(|builder| {
                let connector = builder
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(GuardedConnector::new(policy));
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
        let client = self.client.as_ref().map_err(|e| OutboundError::Tls(e.clone()))?;
        let exchange = async {
            let response = client.request(request).await.map_err(|e| classify(&e))?;
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

/// Sorts a client error by where it happened, keeping the whole chain as
/// the detail.
fn classify(error: &hyper_util::client::legacy::Error) -> OutboundError {
    let detail = error_chain(error);
    let mut tls = false;
    let mut refused = false;
    visit_chain(error, &mut |e| {
        tls |= e.is::<rustls::Error>();
        refused |= e.is::<Refused>();
    });
    match () {
        _ if refused => OutboundError::Connection(detail),
        _ if tls => OutboundError::Tls(detail),
        _ if error.is_connect() => OutboundError::Connection(detail),
        _ => OutboundError::Request(detail),
    }
}

/// Calls `visit` on `error` and every error under it, looking inside
/// `io::Error`s too (their `source()` skips the error they wrap).
fn visit_chain(
    error: &(dyn std::error::Error + 'static),
    visit: &mut dyn FnMut(&(dyn std::error::Error + 'static)),
) {
    visit(error);
    if let Some(inner) = error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        visit_chain(inner, visit);
    }
    if let Some(source) = error.source() {
        visit_chain(source, visit);
    }
}

/// The error and its sources in one line (hyper's own message is terse).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    visit_chain(error, &mut |e| {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
    });
    parts.join(": ")
}

/// A loopback server for the outbound tests (here and the JWKS fetch's).
#[cfg(test)]
pub(crate) mod test_server {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers every connection on 127.0.0.1 with `response` (raw HTTP/1.1).
    pub async fn answering(response: &'static str) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        addr
    }
}

#[cfg(test)]
mod tests {
    use super::test_server::answering;
    use super::*;

    const OK: &str = "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n";

    #[tokio::test]
    async fn local_runs_reach_127_0_0_1_and_localhost() {
        let addr = answering(OK).await;
        let client = Outbound::new(EgressPolicy::local(&[]));
        let second = Duration::from_secs(5);
        for url in [format!("http://{addr}/x"), format!("http://localhost:{}/x", addr.port())] {
            let answer = client.get(&url, second, 1024).await.expect(&url);
            assert_eq!(answer.status, http::StatusCode::NO_CONTENT, "{url}");
        }
    }

    /// The connector refuses what the policy refuses, whatever the URL
    /// check let through: a listener on loopback is never reached.
    #[tokio::test]
    async fn the_connector_refuses_loopback_outside_local_runs_and_says_only_connection_failed() {
        let addr = answering(OK).await;
        let client = Outbound::new(EgressPolicy::deployed(&[addr.port()]));
        let second = Duration::from_secs(5);
        for url in [
            format!("https://127.0.0.1:{}/x", addr.port()),
            format!("https://localhost:{}/x", addr.port()),
            format!("https://[::ffff:127.0.0.1]:{}/x", addr.port()),
            format!("http://127.0.0.1:{}/x", addr.port()),
        ] {
            let error = client.get(&url, second, 1024).await.expect_err(&url);
            assert_eq!(error.outcome(), "connection_failed", "{url}: {error}");
            assert!(error.to_string().contains("egress refused"), "{url}: {error}");
        }
        // Another port than the allowed ones, even to a public address.
        let error = client.get("https://8.8.8.8:444/x", second, 1024).await.expect_err("port");
        assert!(error.to_string().contains("egress refused: port 444"), "{error}");
    }

    #[tokio::test]
    async fn outcomes_are_generic_and_details_stay_in_the_error() {
        let client = Outbound::new(EgressPolicy::local(&[]));
        // Nothing listens there: refused.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = closed.local_addr().expect("addr").port();
        drop(closed);
        let error = client
            .get(&format!("http://127.0.0.1:{port}/x"), Duration::from_secs(5), 1024)
            .await
            .expect_err("refused");
        assert_eq!(error.outcome(), "connection_failed", "{error}");
        // Accepts and never answers: a time-out.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/x", silent.local_addr().expect("addr"));
        let error = client.get(&url, Duration::from_millis(300), 1024).await.expect_err("silent");
        assert_eq!(error.outcome(), "timeout");
        // Plain HTTP where TLS was expected: the handshake fails.
        let addr = answering(OK).await;
        let url = format!("https://127.0.0.1:{}/x", addr.port());
        let error = client.get(&url, Duration::from_secs(5), 1024).await.expect_err("not TLS");
        assert_eq!(error.outcome(), "tls_failed", "{error}");
        assert_eq!(status_outcome(http::StatusCode::SERVICE_UNAVAILABLE), "http_503");
    }
}
