//! Bearer-token authentication. Tokens are JWTs verified with jsonwebtoken:
//! HS256 with a configured secret (local use only), RS256 or ES256 with keys
//! from a JWKS URL (cached by `kid`, refreshed on an unknown `kid` at most
//! once per [`JWKS_REFRESH_INTERVAL`]).
//!
//! Required claims: `exp`, `tenant_id`, `scope` (space-separated). `iss` and
//! `aud` are checked when configured (`aud` may be a string or an array, as
//! RFC 7519 allows; it must contain the configured audience). `exp`, `nbf`
//! and a numeric `iat` are checked against the clock with
//! [`CLOCK_SKEW_LEEWAY`]. Only `tenant_id`, `scope` and `iat` are read into
//! Rust types; every other claim is ignored whatever its JSON type
//! (jsonwebtoken checks `exp`, `nbf`, `iss` and `aud` on the raw claims),
//! except a `sub` that is an array or an object, which jsonwebtoken's own
//! claim parser cannot skip (RFC 7519 requires a string there).
//!
//! An [`AuthError`]'s `Display` is what the caller sees and never carries
//! parser or key details; those stay in the variant and go to the log.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::outbound::EgressPolicy;
use jwks_fetch::JwksFetcher;

mod jwks_fetch;

/// Least time between two JWKS fetches (an unknown `kid`, keys past their
/// age, or a failed fetch).
pub const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// Default `SALES_JWKS_MAX_AGE_SECONDS`: fetched keys are used for an hour,
/// then fetched again, so a key the identity provider revoked stops being
/// accepted within the hour.
pub const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(3600);

/// Clock skew tolerated between the token issuer and us: a token is still
/// accepted this long after its `exp`, and this long before its `nbf` or
/// `iat` (an issuer whose clock runs a little ahead).
pub const CLOCK_SKEW_LEEWAY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Never printed: `Debug` shows it redacted.
    pub hs256_secret: Option<SecretString>,
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// How long fetched keys are used before they are fetched again.
    pub jwks_max_age: Duration,
    /// Where the JWKS fetch may go (the process's egress policy).
    pub egress: EgressPolicy,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            hs256_secret: None,
            jwks_url: None,
            issuer: None,
            audience: None,
            jwks_max_age: DEFAULT_JWKS_MAX_AGE,
            egress: EgressPolicy::deployed(&[]),
        }
    }
}

crate::str_enum! {
    /// A permission a token grants.
    Scope {
        Read => "sales:read",
        Export => "sales:export",
        Alerts => "sales:alerts",
        Reports => "sales:reports",
    }
}

/// Why a request was not authenticated or authorized. `Display` is the
/// generic message the caller gets; the `String`s are details for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    /// Malformed, forged, not yet valid, wrong issuer or audience, unknown
    /// key...: the detail says which.
    #[error("invalid token")]
    Invalid(String),
    #[error("token expired")]
    Expired,
    #[error("token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("signing keys unavailable")]
    KeysUnavailable(String),
}

impl AuthError {
    fn invalid(detail: impl std::fmt::Display) -> Self {
        AuthError::Invalid(detail.to_string())
    }

    /// What the log gets: the public message and, where there is one, the
    /// detail.
    fn log(&self) {
        match self {
            AuthError::Missing | AuthError::Expired => {
                tracing::debug!(reason = %self, "bearer token refused")
            }
            AuthError::Invalid(detail) => {
                tracing::warn!(reason = %self, detail = %detail, "bearer token refused")
            }
            AuthError::KeysUnavailable(detail) => {
                tracing::error!(detail = %detail, "signing keys unavailable")
            }
            AuthError::MissingScope(_) => tracing::debug!(reason = %self, "bearer token refused"),
        }
    }
}

impl From<jsonwebtoken::errors::Error> for AuthError {
    fn from(err: jsonwebtoken::errors::Error) -> Self {
        match err.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
            _ => AuthError::invalid(err),
        }
    }
}

/// The claims [`mint_hs256`] writes.
#[derive(Debug, Clone, Serialize)]
pub struct Claims {
    pub tenant_id: String,
    pub scope: String,
    pub exp: u64,
}

/// The claims read from a verified token: only those used here, so that
/// any other claim (a numeric `sub`, an array `aud`, ...) cannot make the
/// token fail to parse. `exp`, `nbf`, `iss` and `aud` are checked by
/// jsonwebtoken on the raw claims.
#[derive(Debug, Deserialize)]
struct TokenClaims {
    tenant_id: String,
    scope: String,
    /// Checked only when numeric (RFC 7519's NumericDate).
    #[serde(default)]
    iat: Option<serde_json::Value>,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: String,
    pub scopes: Vec<String>,
}

impl Principal {
    pub fn require(&self, scope: Scope) -> Result<(), AuthError> {
        if self.scopes.iter().any(|s| s == scope.as_str()) {
            Ok(())
        } else {
            Err(AuthError::MissingScope(scope.as_str()))
        }
    }
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    /// When `keys` were fetched; past the maximum age they are not used.
    fetched_at: Option<Instant>,
    /// The last fetch, successful or not (throttles fetches).
    attempted_at: Option<Instant>,
}

impl KeyCache {
    /// The key `kid` if the keys are younger than `max_age`.
    fn fresh(&self, kid: &str, max_age: Duration) -> Option<(DecodingKey, Algorithm)> {
        let fresh = self.fetched_at.is_some_and(|at| at.elapsed() < max_age);
        fresh.then(|| self.keys.get(kid).cloned()).flatten()
    }
}

/// Verifies bearer tokens; built once per process and shared.
pub struct Authenticator {
    config: AuthConfig,
    keys_source: JwksFetcher,
    cache: RwLock<KeyCache>,
}

fn valid_tenant(t: &str) -> bool {
    (1..=64).contains(&t.len())
        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Authenticator {
    pub fn new(config: AuthConfig) -> Self {
        let keys_source = JwksFetcher::new(config.egress.clone(), Duration::from_secs(5));
        Authenticator { config, keys_source, cache: RwLock::new(KeyCache::default()) }
    }

    /// Verifies the `Authorization` header value. A refusal is logged with
    /// its detail; the error's `Display` stays generic.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let result = self.verify(authorization).await;
        if let Err(err) = &result {
            err.log();
        }
        result
    }

    async fn verify(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        let token = match header.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                token.trim()
            }
            _ => return Err(AuthError::invalid("expected `Authorization: Bearer <token>`")),
        };
        let jwt_header = jsonwebtoken::decode_header(token).map_err(AuthError::invalid)?;
        let (key, alg) = self.key_for(&jwt_header).await?;
        let validation = self.validation(alg);
        let data = jsonwebtoken::decode::<TokenClaims>(token, &key, &validation)?;
        check_iat(data.claims.iat.as_ref(), jsonwebtoken::get_current_timestamp())?;
        if !valid_tenant(&data.claims.tenant_id) {
            return Err(AuthError::invalid("tenant_id claim is malformed"));
        }
        Ok(Principal {
            tenant_id: data.claims.tenant_id,
            scopes: data.claims.scope.split_whitespace().map(str::to_owned).collect(),
        })
    }

    /// `exp` required; `nbf` checked when present; `iss` and `aud`
    /// required and checked when configured, `aud` ignored otherwise.
    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.leeway = CLOCK_SKEW_LEEWAY.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(iss) = &self.config.issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        match &self.config.audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    async fn key_for(&self, header: &Header) -> Result<(DecodingKey, Algorithm), AuthError> {
        match header.alg {
            Algorithm::HS256 => match &self.config.hs256_secret {
                Some(secret) => Ok((
                    DecodingKey::from_secret(secret.expose_secret().as_bytes()),
                    Algorithm::HS256,
                )),
                None => Err(AuthError::invalid("HS256 tokens are not accepted here")),
            },
            Algorithm::RS256 | Algorithm::ES256 if self.config.jwks_url.is_some() => {
                let kid =
                    header.kid.as_deref().ok_or_else(|| AuthError::invalid("token has no kid"))?;
                let (key, alg) = self.jwks_key(kid).await?;
                if alg != header.alg {
                    return Err(AuthError::invalid("token algorithm does not match its key"));
                }
                Ok((key, alg))
            }
            other => Err(AuthError::invalid(format_args!("algorithm {other:?} is not accepted"))),
        }
    }

    async fn jwks_key(&self, kid: &str) -> Result<(DecodingKey, Algorithm), AuthError> {
        let max_age = self.config.jwks_max_age;
        if let Some(found) = self.cache.read().await.fresh(kid, max_age) {
            return Ok(found);
        }
        let mut cache = self.cache.write().await;
        if let Some(found) = cache.fresh(kid, max_age) {
            return Ok(found);
        }
        let may_fetch = cache.attempted_at.is_none_or(|at| at.elapsed() >= JWKS_REFRESH_INTERVAL);
        if !may_fetch {
            let stale = cache.fetched_at.is_none_or(|at| at.elapsed() >= max_age);
            return Err(match stale {
                true => AuthError::KeysUnavailable(
                    "signing keys past their age, refetch throttled".into(),
                ),
                false => AuthError::invalid(format_args!("unknown key id {kid:?}")),
            });
        }
        cache.attempted_at = Some(Instant::now());
        let url = self.config.jwks_url.as_deref().unwrap_or_default();
        let set = self.keys_source.fetch(url).await.map_err(AuthError::KeysUnavailable)?;
        cache.fetched_at = Some(Instant::now());
        cache.keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let alg = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                        Algorithm::ES256
                    }
                    _ => return None,
                };
                Some((kid, (DecodingKey::from_jwk(jwk).ok()?, alg)))
            })
            .collect();
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| AuthError::invalid(format_args!("unknown key id {kid:?}")))
    }
}

/// Refuses an `iat` (issued at) later than now plus [`CLOCK_SKEW_LEEWAY`]
/// (jsonwebtoken does not check `iat`). A missing or non-numeric `iat` is
/// ignored.
fn check_iat(iat: Option<&serde_json::Value>, now: u64) -> Result<(), AuthError> {
    let Some(iat) = iat.and_then(serde_json::Value::as_f64) else {
        return Ok(());
    };
    let latest = now.saturating_add(CLOCK_SKEW_LEEWAY.as_secs());
    if iat > latest as f64 {
        return Err(AuthError::invalid(format_args!(
            "iat {iat} is after {latest} (now plus leeway)"
        )));
    }
    Ok(())
}

/// Mints an HS256 token (local development and tests).
pub fn mint_hs256(secret: &str, tenant_id: &str, scope: &str, ttl: Duration) -> String {
    let exp = jsonwebtoken::get_current_timestamp().saturating_add(ttl.as_secs());
    let claims = Claims { tenant_id: tenant_id.into(), scope: scope.into(), exp };
    mint(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
}

/// Signs arbitrary claims (tests of the failure cases use it too).
pub fn mint<C: Serialize>(header: &Header, claims: &C, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap_or_default()
}

#[cfg(test)]
mod tests;
