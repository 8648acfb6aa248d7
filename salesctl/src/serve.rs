//! The local API server: every HTTP function's routes mounted in one axum
//! router on loopback, with the same JSON fallbacks and request limits the
//! Lambdas run (`sales_shared::http::router`).
//!
//! The server is hyper's HTTP/1 connection builder rather than
//! `axum::serve`, so that hyper's own limits sit above ours (our middleware,
//! not hyper, answers the common cases with the JSON envelope), and so that
//! the few answers hyper still gives itself before any router runs (a request
//! target over its hard 64 KiB, more than [`HYPER_MAX_HEADERS`] header
//! fields or a head over its ~400 KB buffer, a malformed request) are
//! rewritten from hyper's empty bodies into the same envelope.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use sales_shared::http::ApiContext;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;

/// Header fields hyper parses before it answers 431 itself (hyper's default
/// is 100, which would pre-empt `router::MAX_HEADERS`' JSON answer).
pub const HYPER_MAX_HEADERS: usize = 1000;

/// How long a client may take to send a request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// All functions' routes in one router, built like each function's own.
pub fn app(ctx: Arc<ApiContext>) -> Router {
    let routes = Router::new()
        .merge(dashboard::routes())
        .merge(orders::routes())
        .merge(invoices::routes())
        .merge(payments::routes())
        .merge(alerts::routes())
        .merge(export::api_routes());
    sales_shared::http::router::api_router(routes, ctx)
}

/// The export worker beside the API, fed from the local queue as Lambda's
/// SQS poller feeds the `export-worker` function (`export::jobs`).
pub async fn spawn_export_worker(config: &sales_shared::config::Config) {
    let queue = sales_shared::queue::Queue::at(config, config.export_queue_url.as_ref()).await;
    let Some(queue) = queue else {
        tracing::warn!("SALES_EXPORT_QUEUE_URL is not set: export jobs are refused");
        return;
    };
    let ctx = export::ReportContext::worker(config).await;
    tracing::info!(queue = %queue.url, "export worker polling");
    tokio::spawn(async move {
        loop {
            if let Err(e) = export::jobs::drain_queue(&ctx, &queue, Duration::from_secs(2)).await {
                tracing::warn!(error = %e, "export worker: the queue is unavailable; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    });
}

/// Serves the API, and the API explorer at `/docs` (`crate::explorer`,
/// Swagger UI from `explorer_assets`), until the process is stopped.
pub async fn serve(
    ctx: Arc<ApiContext>,
    address: SocketAddr,
    explorer_assets: Option<PathBuf>,
) -> io::Result<()> {
    let listener = TcpListener::bind(address).await?;
    tracing::info!(%address, "serving the API, and its explorer at /docs");
    serve_on(listener, app(ctx).merge(crate::explorer::router(explorer_assets))).await
}

/// Serves `app` on an already bound listener (tests bind port 0).
pub async fn serve_on(listener: TcpListener, app: Router) -> io::Result<()> {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors and the like: wait, don't spin.
                tracing::error!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_headers(HYPER_MAX_HEADERS);
            let io = TokioIo::new(JsonErrors::new(stream));
            if let Err(e) = http.serve_connection(io, service).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// hyper's automatic answer to a request it could not parse, in the JSON
/// envelope; `None` for any other bytes. hyper writes such an answer as one
/// status line and header block with `content-length: 0` and no content
/// type, which no answer of the routers has (theirs carry a JSON body).
pub fn hyper_error_as_json(head: &[u8]) -> Option<Vec<u8>> {
    let (code, message) = match head.get(..13)? {
        b"HTTP/1.1 400 " => ("bad_request", "malformed HTTP request".to_owned()),
        b"HTTP/1.1 414 " => (
            "uri_too_long",
            "the request target is longer than the server reads (64 KiB)".to_owned(),
        ),
        b"HTTP/1.1 431 " => (
            "header_fields_too_large",
            format!(
                "the request head has more than {HYPER_MAX_HEADERS} header fields or is too large to read"
            ),
        ),
        _ => return None,
    };
    let text = std::str::from_utf8(head).ok()?;
    let lines = text.strip_suffix("\r\n\r\n")?;
    if lines.contains("\r\n\r\n") {
        return None;
    }
    let mut lines = lines.split("\r\n");
    let status_line = lines.next()?;
    let headers: Vec<&str> = lines.collect();
    let is =
        |h: &&str, name: &str| h.len() > name.len() && h[..name.len()].eq_ignore_ascii_case(name);
    let empty = headers
        .iter()
        .any(|h| is(h, "content-length:") && h["content-length:".len()..].trim() == "0");
    if !empty || headers.iter().any(|h| is(h, "content-type:") || is(h, "transfer-encoding:")) {
        return None;
    }
    let body = sales_shared::http::error_json(code, message);
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for header in headers.iter().filter(|h| !is(h, "content-length:")) {
        out.push_str(header);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    Some(out.into_bytes())
}

/// A connection's byte stream with hyper's own error answers rewritten by
/// [`hyper_error_as_json`]. Not vectored, so hyper hands each response head
/// over in one buffer.
struct JsonErrors<T> {
    inner: T,
    pending: Vec<u8>,
    sent: usize,
}

impl<T> JsonErrors<T> {
    fn new(inner: T) -> Self {
        JsonErrors { inner, pending: Vec::new(), sent: 0 }
    }
}

impl<T: AsyncWrite + Unpin> JsonErrors<T> {
    /// Writes what is left of a rewritten answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.pending.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for JsonErrors<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for JsonErrors<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(answer) = hyper_error_as_json(buf) {
            this.pending = answer;
            // The rest goes out on the next write, flush or shutdown.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_s_empty_error_answers_are_rewritten() {
        let hyper = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(hyper_error_as_json(hyper).unwrap()).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        assert!(head.contains("date: Thu"), "{head}");
        assert!(!head.contains("content-length: 0"), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "uri_too_long");

        let ours = b"HTTP/1.1 414 URI Too Long\r\ncontent-type: application/json\r\ncontent-length: 60\r\n\r\n";
        assert_eq!(hyper_error_as_json(ours), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(hyper_error_as_json(ok), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nHTTP/1.1 400 Bad Request\r\n\r\n";
        assert_eq!(hyper_error_as_json(with_body), None);
        let partial = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n";
        assert_eq!(hyper_error_as_json(partial), None);
    }
}
