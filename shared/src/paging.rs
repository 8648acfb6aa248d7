//! `limit` / `cursor` pagination of list endpoints. A cursor names a
//! position in the result (an offset into a ranked list, or the key after
//! which an index is read on) and is signed: an HMAC-SHA256 tag over the
//! position, the endpoint, the tenant and the request's other query
//! parameters, with a key from configuration (`SALES_CURSOR_SECRET`). A
//! forged, altered or foreign cursor is a 400, so a request can only ever
//! resume where a previous page of the same query ended.
//! `meta.next_cursor` is null on the last page.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Bytes of the HMAC tag a cursor carries (128 bits).
const TAG_BYTES: usize = 16;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// An offset into a ranked result.
    Offset(usize),
    /// Just after this sort key of an index.
    After(String),
}

impl Position {
    fn encode(&self) -> String {
        match self {
            Position::Offset(offset) => format!("o:{offset}"),
            Position::After(key) => format!("k:{key}"),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        match text.split_once(':')? {
            ("o", offset) => offset.parse().ok().map(Position::Offset),
            ("k", key) if !key.is_empty() => Some(Position::After(key.to_owned())),
            _ => None,
        }
    }
}

/// Signs and checks cursors; one per process, from configuration.
#[derive(Clone)]
pub struct CursorSigner {
    key: hmac::Key,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSigner(..)")
    }
}

/// What a cursor is bound to: the endpoint, the tenant and the request's
/// query parameters other than `cursor` and `limit` (so a client may
/// change the page size between pages, but not the query).
#[derive(Debug, Clone)]
pub struct CursorScope {
    text: String,
}

impl CursorScope {
    pub fn new<'a>(
        endpoint: &str,
        tenant: &str,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut pairs: Vec<(&str, &str)> =
            params.into_iter().filter(|(name, _)| !matches!(*name, "cursor" | "limit")).collect();
        pairs.sort();
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        CursorScope { text: format!("{endpoint}\n{tenant}\n{query}") }
    }
}

impl CursorSigner {
    pub fn new(secret: &[u8]) -> Self {
        CursorSigner { key: hmac::Key::new(hmac::HMAC_SHA256, secret) }
    }

    fn message(scope: &CursorScope, payload: &str) -> Vec<u8> {
        format!("{}\n{payload}", scope.text).into_bytes()
    }

    /// The cursor of `position` for requests in `scope`.
    pub fn encode(&self, scope: &CursorScope, position: &Position) -> String {
        let payload = position.encode();
        let tag = hmac::sign(&self.key, &Self::message(scope, &payload));
        let tag = &tag.as_ref()[..TAG_BYTES];
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The position of a cursor this signer issued for `scope`; `None` for
    /// anything else (forged, altered, truncated, or another query's).
    pub fn decode(&self, scope: &CursorScope, cursor: &str) -> Option<Position> {
        let (payload, tag) = cursor.split_once('.')?;
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if tag.len() != TAG_BYTES {
            return None;
        }
        let expected = hmac::sign(&self.key, &Self::message(scope, &payload));
        aws_lc_rs::constant_time::verify_slices_are_equal(&expected.as_ref()[..TAG_BYTES], &tag)
            .ok()?;
        Position::decode(&payload)
    }
}

/// One page of `rows` from `offset`, and the offset of the next page.
pub fn page<T>(rows: Vec<T>, offset: usize, limit: usize) -> (Vec<T>, Option<usize>) {
    let total = rows.len();
    let page: Vec<T> = rows.into_iter().skip(offset).take(limit).collect();
    let end = offset.saturating_add(limit);
    (page, (end < total).then_some(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(query: &[(&'static str, &'static str)]) -> CursorScope {
        CursorScope::new("high-value", "acme", query.iter().copied())
    }

    #[test]
    fn pages_and_offsets() {
        let (first, next) = page((1..=25).collect(), 0, 10);
        assert_eq!(first, (1..=10).collect::<Vec<_>>());
        assert_eq!(next, Some(10));
        let (last, next) = page((1..=25).collect::<Vec<_>>(), 20, 10);
        assert_eq!(last, vec![21, 22, 23, 24, 25]);
        assert_eq!(next, None);
        // An offset at the end of usize neither panics nor wraps.
        let (none, next) = page((1..=3).collect::<Vec<_>>(), usize::MAX, 10);
        assert!(none.is_empty());
        assert_eq!(next, None);
    }

    #[test]
    fn a_cursor_round_trips_only_in_its_own_scope() {
        let signer = CursorSigner::new(b"secret");
        let here = scope(&[("period", "year"), ("status", "completed")]);
        let cursor = signer.encode(&here, &Position::Offset(20));
        assert_eq!(signer.decode(&here, &cursor), Some(Position::Offset(20)));
        // Parameter order and `limit` do not matter; the rest does.
        let reordered = scope(&[("status", "completed"), ("limit", "50"), ("period", "year")]);
        assert_eq!(signer.decode(&reordered, &cursor), Some(Position::Offset(20)));
        assert_eq!(
            signer.decode(&scope(&[("period", "month"), ("status", "completed")]), &cursor),
            None
        );
        let other_tenant =
            CursorScope::new("high-value", "other", [("period", "year"), ("status", "completed")]);
        assert_eq!(signer.decode(&other_tenant, &cursor), None);
        let other_endpoint =
            CursorScope::new("failed", "acme", [("period", "year"), ("status", "completed")]);
        assert_eq!(signer.decode(&other_endpoint, &cursor), None);
        assert_eq!(CursorSigner::new(b"another key").decode(&here, &cursor), None);
        let key = signer.encode(&here, &Position::After("2025-12-01T00:00:00Z#1".into()));
        assert_eq!(
            signer.decode(&here, &key),
            Some(Position::After("2025-12-01T00:00:00Z#1".into()))
        );
    }

    #[test]
    fn forged_and_altered_cursors_are_refused() {
        let signer = CursorSigner::new(b"secret");
        let here = scope(&[]);
        // The old unsigned form, with an offset past u64.
        let old = URL_SAFE_NO_PAD.encode("o:18446744073709551615");
        assert_eq!(signer.decode(&here, &old), None);
        let cursor = signer.encode(&here, &Position::Offset(10));
        let (_, tag) = cursor.split_once('.').unwrap();
        let altered = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("o:1000000"));
        assert_eq!(signer.decode(&here, &altered), None);
        for junk in
            ["", ".", "zzz", "a.b", "o:10", &format!("{cursor}x"), &cursor[..cursor.len() - 2]]
        {
            assert_eq!(signer.decode(&here, junk), None, "{junk}");
        }
    }
}
