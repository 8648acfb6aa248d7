//! Bearer-token authentication. Tokens are JWTs verified with jsonwebtoken:
//! HS256 with a configured secret (local use only), RS256 or ES256 with keys
//! from a JWKS URL (cached by `kid`, refreshed on an unknown `kid` at most
//! once per [`JWKS_REFRESH_INTERVAL`]). Required claims: `exp`, `tenant_id`,
//! `scope` (space-separated); `iss` and `aud` are checked when configured.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// Least time between two JWKS fetches caused by unknown `kid`s.
pub const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    pub hs256_secret: Option<String>,
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// A permission a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    Export,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "sales:read",
            Scope::Export => "sales:export",
        }
    }
}

/// Why a request was not authenticated or authorized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("token lacks the {0} scope")]
    MissingScope(&'static str),
    #[error("signing keys unavailable: {0}")]
    KeysUnavailable(String),
}

/// The claims every token must carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub tenant_id: String,
    pub scope: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
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
    fetched_at: Option<Instant>,
}

/// Verifies bearer tokens; built once per process and shared.
pub struct Authenticator {
    config: AuthConfig,
    http: reqwest::Client,
    cache: RwLock<KeyCache>,
}

fn valid_tenant(t: &str) -> bool {
    (1..=64).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Authenticator {
    pub fn new(config: AuthConfig) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        Authenticator { config, http, cache: RwLock::new(KeyCache::default()) }
    }

    /// Verifies the `Authorization` header value.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        let token = match header.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => token.trim(),
            _ => return Err(AuthError::Invalid("expected `Authorization: Bearer <token>`".into())),
        };
        let jwt_header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        let (key, alg) = self.key_for(&jwt_header).await?;
        let mut validation = Validation::new(alg);
        validation.leeway = 5;
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
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if !valid_tenant(&data.claims.tenant_id) {
            return Err(AuthError::Invalid("tenant_id claim is malformed".into()));
        }
        Ok(Principal {
            tenant_id: data.claims.tenant_id,
            scopes: data.claims.scope.split_whitespace().map(str::to_owned).collect(),
        })
    }

    async fn key_for(&self, header: &Header) -> Result<(DecodingKey, Algorithm), AuthError> {
        match header.alg {
            Algorithm::HS256 => match &self.config.hs256_secret {
                Some(secret) => Ok((DecodingKey::from_secret(secret.as_bytes()), Algorithm::HS256)),
                None => Err(AuthError::Invalid("HS256 tokens are not accepted here".into())),
            },
            Algorithm::RS256 | Algorithm::ES256 if self.config.jwks_url.is_some() => {
                let kid = header.kid.as_deref().ok_or_else(|| AuthError::Invalid("token has no kid".into()))?;
                let (key, alg) = self.jwks_key(kid).await?;
                if alg != header.alg {
                    return Err(AuthError::Invalid("token algorithm does not match its key".into()));
                }
                Ok((key, alg))
            }
            other => Err(AuthError::Invalid(format!("algorithm {other:?} is not accepted"))),
        }
    }

    async fn jwks_key(&self, kid: &str) -> Result<(DecodingKey, Algorithm), AuthError> {
        if let Some(found) = self.cache.read().await.keys.get(kid) {
            return Ok(found.clone());
        }
        let mut cache = self.cache.write().await;
        if let Some(found) = cache.keys.get(kid) {
            return Ok(found.clone());
        }
        let may_refresh = cache.fetched_at.is_none_or(|at| at.elapsed() >= JWKS_REFRESH_INTERVAL);
        if !may_refresh {
            return Err(AuthError::Invalid(format!("unknown key id {kid}")));
        }
        let url = self.config.jwks_url.as_deref().unwrap_or_default();
        let set: JwkSet = async { self.http.get(url).send().await?.error_for_status()?.json().await }
            .await
            .map_err(|e: reqwest::Error| AuthError::KeysUnavailable(e.to_string()))?;
        cache.fetched_at = Some(Instant::now());
        cache.keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let alg = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => Algorithm::ES256,
                    _ => return None,
                };
                Some((kid, (DecodingKey::from_jwk(jwk).ok()?, alg)))
            })
            .collect();
        cache.keys.get(kid).cloned().ok_or_else(|| AuthError::Invalid(format!("unknown key id {kid}")))
    }
}

/// Mints an HS256 token (local development and tests).
pub fn mint_hs256(secret: &str, tenant_id: &str, scope: &str, ttl: Duration) -> String {
    let exp = jsonwebtoken::get_current_timestamp() + ttl.as_secs();
    let claims = Claims { tenant_id: tenant_id.into(), scope: scope.into(), exp, iss: None, aud: None, sub: None };
    mint(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
}

/// Signs arbitrary claims (tests of the failure cases use it too).
pub fn mint<C: Serialize>(header: &Header, claims: &C, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap_or_default()
}

#[cfg(test)]
mod tests;
