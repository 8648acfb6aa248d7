//! Fetches a JWKS document over HTTPS (or plain HTTP, for a local identity
//! provider) with the outbound client, under the process's egress policy.

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;

use crate::outbound::{EgressPolicy, Outbound};

/// A key set larger than this is refused (a few keys take a few KB).
const MAX_JWKS_BYTES: usize = 1 << 20;

/// A reusable client for JWKS URLs; built once per process.
pub(crate) struct JwksFetcher {
    http: Outbound,
    timeout: Duration,
}

impl JwksFetcher {
    pub(crate) fn new(egress: EgressPolicy, timeout: Duration) -> Self {
        JwksFetcher { http: Outbound::new(egress), timeout }
    }

    /// GETs `url` and parses a key set; any failure (transport, status
    /// other than 2xx, time-out, oversized or malformed body) as a message
    /// for the log.
    pub(crate) async fn fetch(&self, url: &str) -> Result<JwkSet, String> {
        if url.parse::<http::Uri>().is_err() {
            return Err(format!("bad JWKS URL {url:?}"));
        }
        let answer =
            self.http.get(url, self.timeout, MAX_JWKS_BYTES).await.map_err(|e| match e {
                crate::outbound::OutboundError::TimedOut(after) => {
                    format!("JWKS fetch timed out after {after:?} ({url})")
                }
                other => format!("error sending request for url ({url}): {other}"),
            })?;
        if !answer.status.is_success() {
            return Err(format!("JWKS answered {} ({url})", answer.status));
        }
        serde_json::from_slice(&answer.body)
            .map_err(|e| format!("JWKS from {url} is not a key set: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JWKS URL on a loopback server answering `response`.
    async fn raw_server(response: &'static str) -> String {
        let addr = crate::outbound::test_server::answering(response).await;
        format!("http://{addr}/jwks.json")
    }

    #[tokio::test]
    async fn reads_a_key_set() {
        let url = raw_server(
            "HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{\"keys\":[]}",
        )
        .await;
        let set = JwksFetcher::new(EgressPolicy::local(&[]), Duration::from_secs(5))
            .fetch(&url)
            .await
            .expect("key set");
        assert!(set.keys.is_empty());
    }

    #[tokio::test]
    async fn refuses_an_error_status_a_bad_body_a_silent_server_and_a_bad_url() {
        let fetcher = JwksFetcher::new(EgressPolicy::local(&[]), Duration::from_millis(300));
        let failing = raw_server(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(fetcher.fetch(&failing).await.expect_err("503").contains("503"));
        let garbage =
            raw_server("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello")
                .await;
        assert!(fetcher.fetch(&garbage).await.expect_err("not JSON").contains("not a key set"));
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let silent_url = format!("http://{}/jwks.json", silent.local_addr().expect("addr"));
        assert!(fetcher.fetch(&silent_url).await.expect_err("time-out").contains("timed out"));
        assert!(fetcher.fetch("not a url").await.expect_err("bad URL").contains("bad JWKS URL"));
    }
}
