use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet};

use serde_json::json;

use super::*;

const SECRET: &str = "unit-test-secret";

fn hs_auth() -> Authenticator {
    Authenticator::new(AuthConfig { hs256_secret: Some(SECRET.into()), ..Default::default() })
}

fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

fn claims(exp_offset: i64) -> Claims {
    Claims { tenant_id: "t1".into(), scope: "sales:read".into(), exp: (now() + exp_offset) as u64 }
}

/// `claims(600)` as JSON, with `extra` merged in (a `null` removes a claim).
fn claims_with(extra: serde_json::Value) -> serde_json::Value {
    let mut claims = serde_json::to_value(claims(600)).unwrap();
    let (Some(map), Some(extra)) = (claims.as_object_mut(), extra.as_object()) else {
        panic!("objects")
    };
    for (name, value) in extra {
        if value.is_null() {
            map.remove(name);
        } else {
            map.insert(name.clone(), value.clone());
        }
    }
    claims
}

fn hs256(claims: &serde_json::Value) -> String {
    mint(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(SECRET.as_bytes()))
}

const DAY: i64 = 24 * 3600;

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
    assert!(matches!(
        auth.authenticate(Some("Bearer not.a.jwt")).await,
        Err(AuthError::Invalid(_))
    ));
    let hs = Header::new(Algorithm::HS256);
    let expired = mint(&hs, &claims(-3600), &EncodingKey::from_secret(SECRET.as_bytes()));
    assert_eq!(auth.authenticate(Some(&bearer(&expired))).await, Err(AuthError::Expired));
    let forged = mint(&hs, &claims(600), &EncodingKey::from_secret(b"another-secret"));
    assert!(matches!(auth.authenticate(Some(&bearer(&forged))).await, Err(AuthError::Invalid(_))));
    // alg: none, built by hand.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let head = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = b64.encode(serde_json::to_vec(&claims(600)).unwrap());
    let unsigned = format!("{head}.{body}.");
    assert!(matches!(
        auth.authenticate(Some(&bearer(&unsigned))).await,
        Err(AuthError::Invalid(_))
    ));
    // A signed token without the tenant_id claim.
    let no_tenant = mint(
        &hs,
        &serde_json::json!({"scope": "sales:read", "exp": claims(600).exp}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    );
    assert!(matches!(
        auth.authenticate(Some(&bearer(&no_tenant))).await,
        Err(AuthError::Invalid(_))
    ));
    // No exp.
    let no_exp = mint(
        &hs,
        &serde_json::json!({"scope": "sales:read", "tenant_id": "t1"}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    );
    assert!(matches!(auth.authenticate(Some(&bearer(&no_exp))).await, Err(AuthError::Invalid(_))));
}

fn iss_aud_auth() -> Authenticator {
    Authenticator::new(AuthConfig {
        hs256_secret: Some(SECRET.into()),
        issuer: Some("https://issuer.example".into()),
        audience: Some("sales-api".into()),
        ..Default::default()
    })
}

#[tokio::test]
async fn checks_issuer_and_audience_when_configured() {
    let auth = iss_aud_auth();
    let good = json!({"iss": "https://issuer.example", "aud": "sales-api"});
    assert!(auth.authenticate(Some(&bearer(&hs256(&claims_with(good.clone()))))).await.is_ok());
    for bad in [
        json!({"aud": "other"}),
        json!({"aud": null}),
        json!({"aud": 7}),
        json!({"iss": null}),
        json!({"iss": "https://elsewhere.example"}),
    ] {
        let mut extra = good.clone();
        extra.as_object_mut().unwrap().extend(bad.as_object().unwrap().clone());
        let refused = auth.authenticate(Some(&bearer(&hs256(&claims_with(extra))))).await;
        assert!(matches!(refused, Err(AuthError::Invalid(_))), "{bad}: {refused:?}");
    }
}

#[tokio::test]
async fn audience_may_be_a_string_or_an_array_containing_ours() {
    let auth = iss_aud_auth();
    let iss = "https://issuer.example";
    for (aud, accepted) in [
        (json!("sales-api"), true),
        (json!(["sales-api"]), true),
        (json!(["account", "sales-api", "other"]), true),
        (json!(["account", "other"]), false),
        (json!([]), false),
        (json!("account"), false),
    ] {
        let token = hs256(&claims_with(json!({"iss": iss, "aud": aud})));
        let result = auth.authenticate(Some(&bearer(&token))).await;
        assert_eq!(result.is_ok(), accepted, "aud {aud}: {result:?}");
        if !accepted {
            assert!(matches!(result, Err(AuthError::Invalid(_))), "aud {aud}: {result:?}");
        }
    }
}

#[tokio::test]
async fn without_a_configured_audience_aud_of_any_shape_is_ignored() {
    let auth = hs_auth();
    for aud in [json!("anyone"), json!(["a", "b"]), json!([]), json!(42), json!({"x": 1})] {
        let token = hs256(&claims_with(json!({ "aud": aud })));
        assert!(auth.authenticate(Some(&bearer(&token))).await.is_ok(), "aud {aud}");
    }
}

#[tokio::test]
async fn claims_we_do_not_use_are_ignored_whatever_their_type() {
    let auth = hs_auth();
    for extra in [
        json!({"sub": 12345}),
        json!({"sub": 1.5}),
        json!({"sub": true}),
        json!({"sub": null}),
        json!({"sub": "user-1"}),
        json!({"jti": 99, "azp": ["x"], "roles": {"admin": false}, "email_verified": "yes"}),
        json!({"iat": "yesterday"}),
    ] {
        let token = hs256(&claims_with(extra.clone()));
        let principal = auth.authenticate(Some(&bearer(&token))).await;
        assert_eq!(principal.map(|p| p.tenant_id), Ok("t1".to_owned()), "{extra}");
    }
    // The one exception, in jsonwebtoken (11.1) itself: its own claim
    // parser cannot skip a `sub` that is an array or an object (RFC 7519
    // requires a string there). Such a token is an ordinary 401, not a panic.
    for sub in [json!(["a"]), json!({"id": 1})] {
        let token = hs256(&claims_with(json!({ "sub": sub })));
        let refused = auth.authenticate(Some(&bearer(&token))).await;
        assert!(matches!(refused, Err(AuthError::Invalid(_))), "sub {sub}: {refused:?}");
    }
}

#[tokio::test]
async fn nbf_and_iat_in_the_future_are_refused_beyond_the_leeway() {
    let auth = hs_auth();
    let leeway = CLOCK_SKEW_LEEWAY.as_secs() as i64;
    assert!(leeway > 10, "the skew cases below stay inside the leeway");
    for (extra, accepted) in [
        (json!({"nbf": now() + DAY}), false),
        (json!({"iat": now() + DAY}), false),
        (json!({"iat": (now() + DAY) as f64 + 0.5}), false),
        (json!({"nbf": now() + leeway + 60}), false),
        (json!({"iat": now() + leeway + 60}), false),
        // An issuer whose clock is a few seconds ahead of ours.
        (json!({"nbf": now() + 10, "iat": now() + 10}), true),
        (json!({"nbf": now() - 60, "iat": now() - 60}), true),
        (json!({"iat": (now() - 60) as f64 + 0.25}), true),
        // ...or behind: expired a few seconds ago.
        (json!({"exp": now() - 10}), true),
        (json!({"exp": now() - leeway - 60}), false),
    ] {
        let token = hs256(&claims_with(extra.clone()));
        let result = auth.authenticate(Some(&bearer(&token))).await;
        assert_eq!(result.is_ok(), accepted, "{extra}: {result:?}");
    }
    // A malformed nbf is refused too (it is checked, so it must parse).
    let token = hs256(&claims_with(json!({"nbf": "tomorrow"})));
    assert!(matches!(auth.authenticate(Some(&bearer(&token))).await, Err(AuthError::Invalid(_))));
}

#[test]
fn iat_check_stands_alone() {
    let now = 1_800_000_000;
    let leeway = CLOCK_SKEW_LEEWAY.as_secs();
    assert!(check_iat(None, now).is_ok());
    assert!(check_iat(Some(&json!("soon")), now).is_ok());
    assert!(check_iat(Some(&json!(now + leeway)), now).is_ok());
    assert!(check_iat(Some(&json!(now + leeway + 1)), now).is_err());
    assert!(check_iat(Some(&json!(-5)), now).is_ok());
    assert!(check_iat(Some(&json!(1e300)), now).is_err());
    assert!(check_iat(Some(&json!(now)), u64::MAX).is_ok(), "no overflow near the clock's end");
}

/// The answer an API function gives for an authentication failure.
async fn answer(err: AuthError) -> (u16, Option<String>, serde_json::Value) {
    use axum::response::IntoResponse;
    let response = crate::http::ApiError::from(err).into_response();
    let status = response.status().as_u16();
    let challenge =
        response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, challenge, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn refusals_are_generic_401s_without_parser_details() {
    let auth = hs_auth();
    let no_exp = hs256(&claims_with(json!({"exp": null})));
    let no_tenant = hs256(&claims_with(json!({"tenant_id": null})));
    let numeric_tenant = hs256(&claims_with(json!({"tenant_id": 7})));
    let tomorrow = hs256(&claims_with(json!({"nbf": now() + DAY})));
    let expired = hs256(&claims_with(json!({"exp": now() - DAY})));
    let cases = [
        (None, "missing bearer token"),
        (Some("Basic abc".to_owned()), "invalid token"),
        (Some(bearer("not.a.jwt")), "invalid token"),
        (Some(bearer("eyJhbGciOiJIUzI1NiJ9.e30")), "invalid token"),
        (Some(bearer(&no_exp)), "invalid token"),
        (Some(bearer(&no_tenant)), "invalid token"),
        (Some(bearer(&numeric_tenant)), "invalid token"),
        (Some(bearer(&tomorrow)), "invalid token"),
        (Some(bearer(&expired)), "token expired"),
    ];
    for (header, message) in cases {
        let err = auth.authenticate(header.as_deref()).await.unwrap_err();
        if let AuthError::Invalid(detail) = &err {
            assert!(!detail.is_empty(), "the log gets the detail");
        }
        let (status, challenge, body) = answer(err.clone()).await;
        assert_eq!(status, 401, "{header:?}");
        assert_eq!(challenge.as_deref(), Some("Bearer error=\"invalid_token\""));
        assert_eq!(body["error"]["code"], "invalid_token");
        assert_eq!(body["error"]["message"], message, "{header:?}: {err:?}");
    }
    // The detail that used to reach the caller.
    let Err(AuthError::Invalid(detail)) = auth.authenticate(Some(&bearer(&no_tenant))).await else {
        panic!("refused")
    };
    assert!(detail.contains("tenant_id"), "{detail}");
    let (_, _, body) = answer(AuthError::Invalid(detail)).await;
    let text = body.to_string();
    for leak in ["missing field", "line 1", "column", "tenant_id", "invalid type"] {
        assert!(!text.contains(leak), "{leak:?} in {text}");
    }
    // Key-fetch failures are 503s without the fetch error.
    let (status, _, body) =
        answer(AuthError::KeysUnavailable("error sending request for url (http://idp)".into()))
            .await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["message"], "signing keys unavailable");
    // Missing scope stays a 403 naming the scope.
    let (status, challenge, body) = answer(AuthError::MissingScope("sales:export")).await;
    assert_eq!(status, 403);
    assert_eq!(
        challenge.as_deref(),
        Some("Bearer error=\"insufficient_scope\", scope=\"sales:export\"")
    );
    assert_eq!(body["error"]["message"], "token lacks the sales:export scope");
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
    let set = Arc::new(std::sync::Mutex::new(JwkSet {
        keys: vec![jwk(&rsa, Algorithm::RS256, "rsa-1")],
    }));
    let hits = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(set.clone(), hits.clone()).await;
    let auth = Authenticator::new(AuthConfig {
        jwks_url: Some(url),
        egress: EgressPolicy::local(&[]),
        ..Default::default()
    });

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
    auth.cache.write().await.attempted_at = Some(Instant::now() - JWKS_REFRESH_INTERVAL);
    assert!(auth.authenticate(Some(&bearer(&es_token))).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    // A token signed by a key not in the set, claiming a known kid.
    let other_rsa =
        EncodingKey::from_ec_pem(include_bytes!("../../testdata/ec-test-key.pem")).unwrap();
    let mut lying = Header::new(Algorithm::ES256);
    lying.kid = Some("rsa-1".into());
    assert!(
        auth.authenticate(Some(&bearer(&mint(&lying, &claims(600), &other_rsa)))).await.is_err()
    );
}

#[tokio::test]
async fn rs256_and_es256_tokens_from_an_identity_provider_with_array_audiences() {
    let rsa = EncodingKey::from_rsa_pem(include_bytes!("../../testdata/rsa-test-key.pem")).unwrap();
    let ec = EncodingKey::from_ec_pem(include_bytes!("../../testdata/ec-test-key.pem")).unwrap();
    let set = JwkSet {
        keys: vec![jwk(&rsa, Algorithm::RS256, "rsa-1"), jwk(&ec, Algorithm::ES256, "ec-1")],
    };
    let url =
        jwks_server(Arc::new(std::sync::Mutex::new(set)), Arc::new(AtomicUsize::new(0))).await;
    let auth = Authenticator::new(AuthConfig {
        jwks_url: Some(url),
        egress: EgressPolicy::local(&[]),
        issuer: Some("https://idp.example/".into()),
        audience: Some("sales-api".into()),
        ..Default::default()
    });
    let mut rs = Header::new(Algorithm::RS256);
    rs.kid = Some("rsa-1".into());
    let mut es = Header::new(Algorithm::ES256);
    es.kid = Some("ec-1".into());
    // What a typical provider sends: several audiences, a numeric subject,
    // iat and nbf a moment ago, claims of its own.
    let provider = |aud: serde_json::Value| {
        claims_with(json!({
            "iss": "https://idp.example/",
            "aud": aud,
            "sub": 4_200_017,
            "iat": now() - 5,
            "nbf": now() - 5,
            "azp": "dashboard-spa",
            "groups": ["finance"],
        }))
    };
    for (header, key) in [(&rs, &rsa), (&es, &ec)] {
        for (aud, accepted) in [
            (json!(["https://idp.example/userinfo", "sales-api"]), true),
            (json!("sales-api"), true),
            (json!(["https://idp.example/userinfo", "billing-api"]), false),
        ] {
            let token = mint(header, &provider(aud.clone()), key);
            let result = auth.authenticate(Some(&bearer(&token))).await;
            assert_eq!(result.is_ok(), accepted, "{:?} aud {aud}: {result:?}", header.alg);
            if let Ok(principal) = result {
                assert_eq!(principal.tenant_id, "t1");
            }
        }
        let mut early = provider(json!(["sales-api"]));
        early["nbf"] = json!(now() + DAY);
        let result = auth.authenticate(Some(&bearer(&mint(header, &early, key)))).await;
        assert!(matches!(result, Err(AuthError::Invalid(_))), "{result:?}");
    }
}

/// A key the identity provider revoked stops working once the fetched keys
/// pass their maximum age, even while the warm instance keeps running.
#[tokio::test]
async fn a_revoked_key_stops_working_after_the_maximum_age() {
    let rsa = EncodingKey::from_rsa_pem(include_bytes!("../../testdata/rsa-test-key.pem")).unwrap();
    let set = Arc::new(std::sync::Mutex::new(JwkSet {
        keys: vec![jwk(&rsa, Algorithm::RS256, "rsa-1")],
    }));
    let hits = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(set.clone(), hits.clone()).await;
    let max_age = Duration::from_secs(600);
    let auth = Authenticator::new(AuthConfig {
        jwks_url: Some(url),
        egress: EgressPolicy::local(&[]),
        jwks_max_age: max_age,
        ..Default::default()
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-1".into());
    let token = mint(&header, &claims(6000), &rsa);
    assert!(auth.authenticate(Some(&bearer(&token))).await.is_ok());
    // The provider revokes the key; within the age the cached key serves.
    set.lock().unwrap().keys.clear();
    assert!(auth.authenticate(Some(&bearer(&token))).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Past the age (and the fetch throttle): fetched again, and refused.
    {
        let mut cache = auth.cache.write().await;
        cache.fetched_at = Some(Instant::now() - max_age);
        cache.attempted_at = Some(Instant::now() - max_age);
    }
    let refused = auth.authenticate(Some(&bearer(&token))).await;
    assert!(matches!(refused, Err(AuthError::Invalid(_))), "{refused:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    // Stale keys are never used, even when a refetch is throttled.
    auth.cache.write().await.keys.insert(
        "rsa-1".into(),
        (DecodingKey::from_jwk(&jwk(&rsa, Algorithm::RS256, "rsa-1")).unwrap(), Algorithm::RS256),
    );
    auth.cache.write().await.fetched_at = Some(Instant::now() - max_age);
    let refused = auth.authenticate(Some(&bearer(&token))).await;
    assert!(matches!(refused, Err(AuthError::KeysUnavailable(_))), "{refused:?}");
}
