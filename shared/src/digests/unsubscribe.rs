//! One-click unsubscribe links (RFC 8058): each message carries a token
//! that names its tenant, subscription and address, signed with a key
//! derived from the deployment's cursor secret (`SALES_CURSOR_SECRET` or
//! its Secrets Manager secret), so that the link works without a login
//! and cannot be forged or moved to another address. The token does not
//! expire: an old digest's link still unsubscribes.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The path of the unsubscribe endpoint (`?token=`).
pub const PATH: &str = "/api/v1/sales/unsubscribe";

/// Who unsubscribes from what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsubscribe {
    #[serde(rename = "t")]
    pub tenant: String,
    #[serde(rename = "s")]
    pub subscription: String,
    #[serde(rename = "a")]
    pub address: String,
}

/// Signs and reads unsubscribe tokens.
pub struct UnsubscribeSigner {
    key: hmac::Key,
}

impl std::fmt::Debug for UnsubscribeSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeSigner(..)")
    }
}

impl UnsubscribeSigner {
    /// A signer whose key is derived from `secret` for this use only (a
    /// cursor's signature is not a token's).
    pub fn new(secret: &[u8]) -> Self {
        let root = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derived = hmac::sign(&root, b"sales-analytics/unsubscribe/v1");
        UnsubscribeSigner { key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()) }
    }

    pub fn token(&self, who: &Unsubscribe) -> String {
        let payload = serde_json::to_vec(who).unwrap_or_default();
        let tag = hmac::sign(&self.key, &payload);
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// What a token names, if this signer made it.
    pub fn read(&self, token: &str) -> Option<Unsubscribe> {
        let (payload, tag) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        hmac::verify(&self.key, &payload, &tag).ok()?;
        serde_json::from_slice(&payload).ok()
    }

    /// The link of a message to `who`, on the API at `base` (no trailing
    /// slash).
    pub fn link(&self, base: &str, who: &Unsubscribe) -> String {
        format!("{base}{PATH}?token={}", self.token(who))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Unsubscribe {
        Unsubscribe {
            tenant: "acme".into(),
            subscription: "sub_0123".into(),
            address: "cfo@example.com".into(),
        }
    }

    #[test]
    fn a_token_reads_back_only_with_its_key_and_unaltered() {
        let signer = UnsubscribeSigner::new(b"secret");
        let token = signer.token(&who());
        assert_eq!(signer.read(&token), Some(who()));
        assert_eq!(UnsubscribeSigner::new(b"other").read(&token), None);
        // Another address under the same signature.
        let (_, tag) = token.split_once('.').unwrap();
        let moved = Unsubscribe { address: "ceo@example.com".into(), ..who() };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&moved).unwrap());
        assert_eq!(signer.read(&format!("{payload}.{tag}")), None);
        assert_eq!(signer.read("garbage"), None);
        assert!(
            signer
                .link("https://api.example.com", &who())
                .starts_with("https://api.example.com/api/v1/sales/unsubscribe?token=")
        );
    }
}
