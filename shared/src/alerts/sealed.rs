//! Webhook signing secrets at rest: envelope encryption with the stack's
//! KMS key (`SALES_SECRETS_KEY_ID`). Each secret gets its own data key
//! (`GenerateDataKey`, AES-256); the secret is sealed with it (AES-256-GCM,
//! a random nonce) and only the data key's KMS ciphertext is kept beside
//! it, so the table and its backups hold nothing a reader without
//! `kms:Decrypt` on the key can use. The tenant and the rule are the KMS
//! encryption context and the seal's associated data: a sealed secret
//! copied onto another rule, or another tenant's, does not open.
//!
//! Without a key (a local run with no KMS), secrets stay in plain text, as
//! rules written before sealing existed do; both are read.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::store::Item;
#[cfg(feature = "alerts")]
pub use sealing::SecretBox;

/// The attribute of a secret kept in plain text.
const PLAIN: &str = "secret";
/// The attribute of a sealed secret: a map of `key` (the data key as KMS
/// encrypted it), `nonce` and `data` (the sealed secret and its tag).
const SEALED: &str = "sealed_secret";

/// A rule's signing secret as its item keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredSecret {
    Plain(String),
    Sealed { key: Vec<u8>, nonce: Vec<u8>, data: Vec<u8> },
}

impl StoredSecret {
    /// The attribute (name, value) that keeps it.
    pub fn attribute(&self) -> (&'static str, AttributeValue) {
        match self {
            StoredSecret::Plain(secret) => (PLAIN, AttributeValue::S(secret.clone())),
            StoredSecret::Sealed { key, nonce, data } => {
                let blob = |bytes: &[u8]| AttributeValue::B(Blob::new(bytes.to_vec()));
                let map = [("key", blob(key)), ("nonce", blob(nonce)), ("data", blob(data))]
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value))
                    .collect();
                (SEALED, AttributeValue::M(map))
            }
        }
    }

    /// The secret `item` keeps, sealed or not.
    pub fn of_item(item: &Item) -> Option<Self> {
        if let Some(AttributeValue::M(map)) = item.get(SEALED) {
            let bytes = |name: &str| match map.get(name) {
                Some(AttributeValue::B(blob)) => Some(blob.as_ref().to_vec()),
                _ => None,
            };
            return Some(StoredSecret::Sealed {
                key: bytes("key")?,
                nonce: bytes("nonce")?,
                data: bytes("data")?,
            });
        }
        match item.get(PLAIN) {
            Some(AttributeValue::S(secret)) => Some(StoredSecret::Plain(secret.clone())),
            _ => None,
        }
    }
}

#[cfg(feature = "alerts")]
mod sealing {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
    use aws_sdk_kms::primitives::Blob;
    use aws_sdk_kms::types::DataKeySpec;

    use super::StoredSecret;
    use crate::config::Config;
    use crate::store::StoreError;

    /// What seals and opens secrets: the KMS key, if the stack has one.
    #[derive(Clone)]
    pub struct SecretBox {
        kms: Option<(aws_sdk_kms::Client, String)>,
    }

    impl SecretBox {
        pub async fn from_config(config: &Config) -> Self {
            let Some(key_id) = config.secrets_key_id.clone() else {
                return SecretBox { kms: None };
            };
            let shared = crate::aws::sdk_config(config).await;
            let mut builder = aws_sdk_kms::config::Builder::from(&shared);
            if let Some(endpoint) = &config.kms_endpoint {
                builder = builder.endpoint_url(endpoint);
            }
            SecretBox { kms: Some((aws_sdk_kms::Client::from_conf(builder.build()), key_id)) }
        }

        /// Whether secrets are sealed (a key is configured).
        pub fn seals(&self) -> bool {
            self.kms.is_some()
        }

        /// `secret` as rule `rule` of `tenant` keeps it.
        pub async fn seal(
            &self,
            secret: &str,
            tenant: &str,
            rule: &str,
        ) -> Result<StoredSecret, StoreError> {
            let Some((kms, key_id)) = &self.kms else {
                return Ok(StoredSecret::Plain(secret.to_owned()));
            };
            let out = kms
                .generate_data_key()
                .key_id(key_id)
                .key_spec(DataKeySpec::Aes256)
                .set_encryption_context(Some(context(tenant, rule)))
                .send()
                .await
                .map_err(|e| secret_error("GenerateDataKey", e))?;
            let (Some(plain_key), Some(sealed_key)) = (out.plaintext, out.ciphertext_blob) else {
                return Err(StoreError::Secret { message: "GenerateDataKey gave no key".into() });
            };
            let nonce: [u8; NONCE_LEN] = crate::ids::random_bytes();
            let mut data = secret.as_bytes().to_vec();
            cipher(plain_key.as_ref())?
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(aad(tenant, rule).as_bytes()),
                    &mut data,
                )
                .map_err(|_| StoreError::Secret { message: "sealing failed".into() })?;
            Ok(StoredSecret::Sealed { key: sealed_key.into_inner(), nonce: nonce.to_vec(), data })
        }

        /// The secret `stored` keeps, for rule `rule` of `tenant`.
        pub async fn open(
            &self,
            stored: &StoredSecret,
            tenant: &str,
            rule: &str,
        ) -> Result<String, StoreError> {
            let (key, nonce, data) = match stored {
                StoredSecret::Plain(secret) => return Ok(secret.clone()),
                StoredSecret::Sealed { key, nonce, data } => (key, nonce, data),
            };
            let Some((kms, _)) = &self.kms else {
                return Err(StoreError::Secret {
                    message: "a sealed secret and no key to open it (SALES_SECRETS_KEY_ID)".into(),
                });
            };
            let out = kms
                .decrypt()
                .ciphertext_blob(Blob::new(key.clone()))
                .set_encryption_context(Some(context(tenant, rule)))
                .send()
                .await
                .map_err(|e| secret_error("Decrypt", e))?;
            let plain_key = out
                .plaintext
                .ok_or_else(|| StoreError::Secret { message: "Decrypt gave no key".into() })?;
            let nonce = Nonce::try_assume_unique_for_key(nonce)
                .map_err(|_| StoreError::Secret { message: "a malformed nonce".into() })?;
            let mut bytes = data.clone();
            let opened = cipher(plain_key.as_ref())?
                .open_in_place(nonce, Aad::from(aad(tenant, rule).as_bytes()), &mut bytes)
                .map_err(|_| StoreError::Secret {
                    message: "the sealed secret does not open".into(),
                })?;
            String::from_utf8(opened.to_vec())
                .map_err(|_| StoreError::Secret { message: "the opened secret is not text".into() })
        }
    }

    fn cipher(key: &[u8]) -> Result<LessSafeKey, StoreError> {
        UnboundKey::new(&AES_256_GCM, key)
            .map(LessSafeKey::new)
            .map_err(|_| StoreError::Secret { message: "the data key is not AES-256".into() })
    }

    /// The KMS encryption context: CloudTrail names the tenant and the rule of
    /// each use, and the key only decrypts for the same pair.
    fn context(tenant: &str, rule: &str) -> std::collections::HashMap<String, String> {
        [("tenant_id".to_owned(), tenant.to_owned()), ("rule_id".to_owned(), rule.to_owned())]
            .into()
    }

    /// The seal's associated data: the same pair.
    fn aad(tenant: &str, rule: &str) -> String {
        format!("{tenant}\u{0}{rule}")
    }

    fn secret_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
        operation: &'static str,
        err: aws_sdk_kms::error::SdkError<E, R>,
    ) -> StoreError {
        StoreError::Secret {
            message: format!("KMS {operation}: {}", aws_sdk_kms::error::DisplayErrorContext(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_secret_reads_back_from_its_attribute() {
        for stored in [
            StoredSecret::Plain("whsec_1".into()),
            StoredSecret::Sealed { key: vec![1, 2], nonce: vec![3; 12], data: vec![4, 5, 6] },
        ] {
            let (name, value) = stored.attribute();
            let item = Item::from([(name.to_owned(), value)]);
            assert_eq!(StoredSecret::of_item(&item), Some(stored));
        }
        assert_eq!(StoredSecret::of_item(&Item::new()), None);
    }
}
