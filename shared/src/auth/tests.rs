use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet};

use super::*;

const SECRET: &str = "unit-test-secret";

fn hs_auth() -> Authenticator {
    Authenticator::new(AuthConfig { hs256_secret: Some(SECRET.into()), ..Default::default() })
}

fn claims(exp_offset: i64) -> Claims {
    Claims {
        tenant_id: "t1".into(),
        scope: "sales:read".into(),
        exp: (jsonwebtoken::get_current_timestamp() as i64 + exp_offset) as u64,
        iss: None,
        aud: None,
        sub: None,
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn accepts_a_valid_hs256_token_and_reads_scopes() {
    let token = mint_hs256(SECRET, "t1", "sales:read sales:export", Duration::from_secs(60));
    let p = hs_auth().authenticate(Some(&bearer(&token))).await.unwrap();
    assert_eq!(p.tenant_id, "t1");
    assert!(p.require(Scope::Export).is_ok());
    let read_only = mint_hs256(SECRET, "t1", "sales:read", Duration::from_secs(60));
    let p = hs_auth().authenticate(Some(&bearer(&read_only))).await.unwrap();
    assert_eq!(p.require(Scope::Export), Err(AuthError::MissingScope("sales:export")));
}

#[tokio::test]
async fn rejects_missing_malformed_expired_forged_and_unsigned_tokens() {
    let auth = hs_auth();
    assert_eq!(auth.authenticate(None).await, Err(AuthError::Missing));
    assert!(matches!(auth.authenticate(Some("Basic abc")).await, Err(AuthError::Invalid(_))));
    assert!(matches!(auth.authenticate(Some("Bearer not.a.jwt")).await, Err(AuthError::Invalid(_))));
    let hs = Header::new(Algorithm::HS256);
    let expired = mint(&hs, &claims(-3600), &EncodingKey::from_secret(SECRET.as_bytes()));
    assert!(
        matches!(auth.authenticate(Some(&bearer(&expired))).await, Err(AuthError::Invalid(m)) if m.contains("Expired"))
    );
    let forged = mint(&hs, &claims(600), &EncodingKey::from_secret(b"another-secret"));
    assert!(matches!(auth.authenticate(Some(&bearer(&forged))).await, Err(AuthError::Invalid(_))));
    // alg: none, built by hand.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = b64.encode(serde_json::to_vec(&claims(600)).unwrap());
    let unsigned = format!("{head}.{body}.");
    assert!(matches!(auth.authenticate(Some(&bearer(&unsigned))).await, Err(AuthError::Invalid(_))));
    // A signed token without the tenant_id claim.
    let no_tenant = mint(
        &hs,
        &serde_json::json!({"scope": "sales:read", "exp": claims(600).exp}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    );
    assert!(matches!(auth.authenticate(Some(&bearer(&no_tenant))).await, Err(AuthError::Invalid(_))));
    // No exp.
    let no_exp = mint(
        &hs,
        &serde_json::json!({"scope": "sales:read", "tenant_id": "t1"}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    );
    assert!(matches!(auth.authenticate(Some(&bearer(&no_exp))).await, Err(AuthError::Invalid(_))));
}

#[tokio::test]
async fn checks_issuer_and_audience_when_configured() {
    let auth = Authenticator::new(AuthConfig {
        hs256_secret: Some(SECRET.into()),
        issuer: Some("https://issuer.example".into()),
        audience: Some("sales-api".into()),
        ..Default::default()
    });
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let hs = Header::new(Algorithm::HS256);
    let mut good = claims(600);
    good.iss = Some("https://issuer.example".into());
    good.aud = Some("sales-api".into());
    assert!(auth.authenticate(Some(&bearer(&mint(&hs, &good, &key)))).await.is_ok());
    let mut wrong_aud = good.clone();
    wrong_aud.aud = Some("other".into());
    assert!(auth.authenticate(Some(&bearer(&mint(&hs, &wrong_aud, &key)))).await.is_err());
    let mut no_iss = good.clone();
    no_iss.iss = None;
    assert!(auth.authenticate(Some(&bearer(&mint(&hs, &no_iss, &key)))).await.is_err());
}

fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

/// Serves a JWKS on loopback and counts fetches.
async fn jwks_server(set: Arc<std::sync::Mutex<JwkSet>>, hits: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let set = set.clone();
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                let body = serde_json::to_string(&*set.lock().unwrap()).unwrap();
                ([("content-type", "application/json")], body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}/jwks.json")
}

#[tokio::test]
async fn verifies_rs256_and_es256_from_jwks_and_refreshes_on_unknown_kid() {
    let rsa = EncodingKey::from_rsa_pem(include_bytes!("../../testdata/rsa-test-key.pem")).unwrap();
    let ec = EncodingKey::from_ec_pem(include_bytes!("../../testdata/ec-test-key.pem")).unwrap();
    let set = Arc::new(std::sync::Mutex::new(JwkSet { keys: vec![jwk(&rsa, Algorithm::RS256, "rsa-1")] }));
    let hits = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(set.clone(), hits.clone()).await;
    let auth = Authenticator::new(AuthConfig { jwks_url: Some(url), ..Default::default() });

    let mut rs_header = Header::new(Algorithm::RS256);
    rs_header.kid = Some("rsa-1".into());
    let token = mint(&rs_header, &claims(600), &rsa);
    assert_eq!(auth.authenticate(Some(&bearer(&token))).await.unwrap().tenant_id, "t1");
    assert!(auth.authenticate(Some(&bearer(&token))).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 1, "keys are cached");

    // HS256 is refused when only a JWKS is configured.
    let hs = mint_hs256(SECRET, "t1", "sales:read", Duration::from_secs(60));
    assert!(auth.authenticate(Some(&bearer(&hs))).await.is_err());

    // A key rotated in after the first fetch: the unknown kid is refused
    // while the refresh interval has not passed (throttled)...
    set.lock().unwrap().keys.push(jwk(&ec, Algorithm::ES256, "ec-1"));
    let mut es_header = Header::new(Algorithm::ES256);
    es_header.kid = Some("ec-1".into());
    let es_token = mint(&es_header, &claims(600), &ec);
    assert!(auth.authenticate(Some(&bearer(&es_token))).await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 1, "refresh is throttled");
    // ...and accepted once the cache may refresh.
    auth.cache.write().await.fetched_at = Some(Instant::now() - JWKS_REFRESH_INTERVAL);
    assert!(auth.authenticate(Some(&bearer(&es_token))).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    // A token signed by a key not in the set, claiming a known kid.
    let other_rsa = EncodingKey::from_ec_pem(include_bytes!("../../testdata/ec-test-key.pem")).unwrap();
    let mut lying = Header::new(Algorithm::ES256);
    lying.kid = Some("rsa-1".into());
    assert!(auth.authenticate(Some(&bearer(&mint(&lying, &claims(600), &other_rsa)))).await.is_err());
}
