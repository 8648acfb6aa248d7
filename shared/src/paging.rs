//! `limit` / `cursor` pagination of list endpoints: the cursor is an opaque
//! token for an offset into the ranked result; `meta.next_cursor` is null on
//! the last page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::http::Meta;

pub fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

pub fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("o:")?.parse().ok()
}

/// One page of `rows` from `offset`, and the cursor of the next page.
pub fn page<T>(rows: Vec<T>, offset: usize, limit: usize) -> (Vec<T>, Option<String>) {
    let total = rows.len();
    let page: Vec<T> = rows.into_iter().skip(offset).take(limit).collect();
    let next = (offset + limit < total).then(|| encode_cursor(offset + limit));
    (page, next)
}

/// `meta` of a list: the endpoint's totals (for the whole result, not the
/// page), `next_cursor`, `generated_at` and `data_through`.
#[derive(Debug, Serialize)]
pub struct ListMeta<T: Serialize> {
    #[serde(flatten)]
    pub totals: T,
    pub next_cursor: Option<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// No totals beyond paging.
#[derive(Debug, Serialize)]
pub struct NoTotals {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_cursors() {
        let (first, next) = page((1..=25).collect(), 0, 10);
        assert_eq!(first, (1..=10).collect::<Vec<_>>());
        let offset = decode_cursor(next.as_deref().unwrap()).unwrap();
        let (last, next) = page((1..=25).collect::<Vec<_>>(), offset + 10, 10);
        assert_eq!(last, vec![21, 22, 23, 24, 25]);
        assert_eq!(next, None);
        assert_eq!(decode_cursor("not-a-cursor"), None);
    }
}
