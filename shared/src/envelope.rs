//! The JSON envelope of every answer: `{"data": ..., "meta": ...}`, and
//! for lists `meta` with the endpoint's totals and `next_cursor`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// `meta` of every response.
#[derive(Debug, Serialize)]
pub struct Meta {
    pub generated_at: String,
    pub data_through: Option<String>,
}

impl Meta {
    pub fn new(generated_at: DateTime<Utc>, data_through: Option<DateTime<Utc>>) -> Self {
        Meta {
            generated_at: generated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            data_through: data_through.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        }
    }
}

/// `{"data": ..., "meta": ...}`.
#[derive(Debug, Serialize)]
pub struct Envelope<T: Serialize> {
    pub data: T,
    pub meta: Meta,
}

/// `{"data": [...], "meta": {..totals, next_cursor, generated_at, data_through}}`.
#[derive(Debug, Serialize)]
pub struct ListEnvelope<T: Serialize, M: Serialize> {
    pub data: T,
    pub meta: ListMeta<M>,
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
