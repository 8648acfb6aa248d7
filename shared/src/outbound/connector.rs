//! The TCP connector behind every outbound request: the egress policy
//! applied to the address actually connected to. A URL's IP literal is
//! checked as it stands; a host name is resolved here and only the
//! addresses the policy allows are tried, so a name that resolves to a
//! private address at delivery time (DNS rebinding) is refused like a
//! private literal.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::policy::{EgressPolicy, Host};

/// A connection the egress policy refused: the detail for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("egress refused: {0}")]
pub struct Refused(pub String);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Resolves a host name and keeps the addresses the policy allows for it.
#[derive(Clone)]
pub struct GuardedResolver {
    policy: Arc<EgressPolicy>,
}

impl tower::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = Host::Name(name.as_str().to_ascii_lowercase());
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(|e| -> BoxError { Box::new(e) })?
                .collect();
            let allowed: Vec<SocketAddr> =
                resolved.iter().copied().filter(|a| policy.allows(&host, a.ip())).collect();
            if allowed.is_empty() {
                let addresses: Vec<String> = resolved.iter().map(|a| a.ip().to_string()).collect();
                return Err(Box::new(Refused(format!(
                    "{} resolves to no allowed address ({})",
                    name.as_str(),
                    addresses.join(", ")
                ))) as BoxError);
            }
            Ok(allowed.into_iter())
        })
    }
}

/// The TCP connector of [`super::Outbound`]: scheme, port and IP literal
/// checked, host names through [`GuardedResolver`].
#[derive(Clone)]
pub struct GuardedConnector {
    policy: Arc<EgressPolicy>,
    tcp: HttpConnector<GuardedResolver>,
}

impl GuardedConnector {
    pub fn new(policy: EgressPolicy) -> Self {
        let policy = Arc::new(policy);
        let mut tcp = HttpConnector::new_with_resolver(GuardedResolver { policy: policy.clone() });
        // `https://` is wrapped in TLS around this connector.
        tcp.enforce_http(false);
        GuardedConnector { policy, tcp }
    }

    /// What the URI itself may name: the host as written and the port.
    fn check(&self, uri: &Uri) -> Result<(), Refused> {
        let host = uri.host().unwrap_or_default();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let host = match bare.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Name(bare.to_ascii_lowercase()),
        };
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        if !self.policy.allows_port(&host, port) {
            return Err(Refused(format!("port {port} of {bare}")));
        }
        if let Host::Ip(ip) = host
            && !self.policy.allows(&host, ip)
        {
            return Err(Refused(format!("address {ip}")));
        }
        Ok(())
    }
}

impl tower::Service<Uri> for GuardedConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let checked = self.check(&uri);
        let mut tcp = self.tcp.clone();
        Box::pin(async move {
            checked?;
            tcp.call(uri).await.map_err(Into::into)
        })
    }
}

/// How long a creation-time lookup may take.
pub const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A URL's host as it resolves now, checked when a client names it (a
/// webhook at creation): refused when any address it resolves to is one
/// the policy refuses. A name that does not resolve (yet), or not within
/// [`RESOLVE_TIMEOUT`], is accepted: the connector checks whatever it
/// resolves to at delivery.
pub async fn check_resolution(policy: &EgressPolicy, url: &str) -> Result<(), String> {
    let destination = policy.check_url(url)?;
    let Host::Name(name) = &destination.host else {
        return Ok(());
    };
    let lookup = tokio::net::lookup_host((name.as_str(), destination.port));
    let Ok(Ok(addresses)) = tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await else {
        return Ok(());
    };
    for address in addresses {
        if !policy.allows(&destination.host, address.ip()) {
            return Err(format!("a host that resolves to public addresses only ({name} does not)"));
        }
    }
    Ok(())
}
