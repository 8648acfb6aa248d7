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

/// A cursor of the other kind of list than the one being read (an offset
/// where a key was expected, or the reverse, or a key of another index): a
/// client's mistake, answered as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the cursor does not belong to this list")]
pub struct CursorMismatch;

impl Position {
    /// The key a key-paged list resumes after (`None` on the first page).
    pub fn key(start: Option<Position>) -> Result<Option<String>, CursorMismatch> {
        match start {
            None => Ok(None),
            Some(Position::After(key)) => Ok(Some(key)),
            Some(Position::Offset(_)) => Err(CursorMismatch),
        }
    }

    /// The offset a ranked list resumes at (0 on the first page).
    pub fn offset(start: Option<Position>) -> Result<usize, CursorMismatch> {
        match start {
            None => Ok(0),
            Some(Position::Offset(offset)) => Ok(offset),
            Some(Position::After(_)) => Err(CursorMismatch),
        }
    }
}

/// One page of a list: its rows (or a report holding them), the list's
/// totals, and where the next page starts (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage<T, M> {
    pub data: T,
    pub totals: M,
    pub next: Option<Position>,
}

impl<T, M> ListPage<T, M> {
    /// The same page with its data transformed (named, or made rows of a
    /// report).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ListPage<U, M> {
        ListPage { data: f(self.data), totals: self.totals, next: self.next }
    }
}

impl<T, M> ListPage<Vec<T>, M> {
    /// A key-paged list's page from `rows` read for `limit + 1` (each with
    /// its key): the first `limit`, and when there were more, the position
    /// after the last one kept.
    pub fn of_keyed(mut rows: Vec<(String, T)>, limit: usize, totals: M) -> Self {
        let next = (rows.len() > limit).then(|| {
            rows.truncate(limit);
            Position::After(rows.last().map(|(key, _)| key.clone()).unwrap_or_default())
        });
        ListPage { data: rows.into_iter().map(|(_, row)| row).collect(), totals, next }
    }

    /// One page of ranked `rows` from `offset`.
    pub fn of_ranked(rows: Vec<T>, offset: usize, limit: usize, totals: M) -> Self {
        let (data, next) = page(rows, offset, limit);
        ListPage { data, totals, next: next.map(Position::Offset) }
    }
}

/// One page of `rows` from `offset`, and the offset of the next page.
fn page<T>(rows: Vec<T>, offset: usize, limit: usize) -> (Vec<T>, Option<usize>) {
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
    fn list_pages_keep_the_first_rows_and_say_where_the_next_starts() {
        let keyed = |n: usize| (1..=n).map(|i| (format!("k{i}"), i)).collect::<Vec<_>>();
        let more = ListPage::of_keyed(keyed(4), 3, ());
        assert_eq!((more.data, more.next), (vec![1, 2, 3], Some(Position::After("k3".into()))));
        let last = ListPage::of_keyed(keyed(3), 3, ());
        assert_eq!((last.data, last.next), (vec![1, 2, 3], None));
        let ranked = ListPage::of_ranked((1..=5).collect(), 2, 2, "totals");
        assert_eq!(
            (ranked.data, ranked.totals, ranked.next),
            (vec![3, 4], "totals", Some(Position::Offset(4)))
        );
    }

    #[test]
    fn a_cursor_of_the_other_kind_of_list_is_a_mismatch() {
        assert_eq!(Position::key(None), Ok(None));
        assert_eq!(Position::key(Some(Position::After("k".into()))), Ok(Some("k".into())));
        assert_eq!(Position::key(Some(Position::Offset(3))), Err(CursorMismatch));
        assert_eq!(Position::offset(None), Ok(0));
        assert_eq!(Position::offset(Some(Position::Offset(3))), Ok(3));
        assert_eq!(Position::offset(Some(Position::After("k".into()))), Err(CursorMismatch));
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
