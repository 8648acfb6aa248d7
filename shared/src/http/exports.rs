//! What the export endpoints share: the export parameters (a query's or a
//! job request's, checked alike), the rows a range holds (which decides
//! between an export within the request and a job), and the answers.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, SecondsFormat};
use serde::Serialize;

use super::ApiError;
use crate::exports::Dataset;
use crate::exports::Format;
use crate::exports::jobs::ExportSpec;
use crate::exports::run::Exported;
use crate::exports::tables::INVOICE_STATUSES;
use crate::exports::upload::Link;
use crate::layout::{family, measure};
use crate::params::Params;
use crate::periods::DateRange;
use crate::records::{OrderStatus, StrEnum};
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// The parameters of an export (besides the dataset, which a path names).
pub const EXPORT_PARAMETERS: [&str; 4] = ["format", "from_date", "to_date", "status"];

/// An export's format, range (default: the month of `today`) and status
/// filter, each a 400 naming the parameter when wrong.
pub fn export_spec(
    params: &Params,
    dataset: Dataset,
    today: NaiveDate,
) -> Result<ExportSpec, ApiError> {
    let format = match params.get("format") {
        None => {
            return Err(ApiError::parameter("format", "`format` is required: csv, excel or pdf"));
        }
        Some(text) => Format::parse(text).ok_or_else(|| {
            ApiError::parameter(
                "format",
                format!("`format` must be one of csv, excel, pdf, got `{text}`"),
            )
        })?,
    };
    let range = params.date_range(today)?;
    let order_statuses: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
    let statuses: &[&str] = match dataset {
        Dataset::Orders => &order_statuses,
        Dataset::Invoices => &INVOICE_STATUSES,
    };
    let status = params.one_of("status", statuses)?;
    Ok(ExportSpec::new(dataset, format, range, status))
}

/// The dataset a job request's `dataset` names.
pub fn dataset_param(value: Option<&str>) -> Result<Dataset, ApiError> {
    let text = value.ok_or_else(|| {
        ApiError::parameter("dataset", "`dataset` is required: orders or invoices")
    })?;
    Dataset::parse(text).ok_or_else(|| {
        ApiError::parameter(
            "dataset",
            format!("`dataset` must be one of orders, invoices, got `{text}`"),
        )
    })
}

/// A job request's JSON body as parameters: an object whose fields are
/// strings (or null, for absent); anything else is a 400 naming the field.
pub fn body_params(body: &[u8], allowed: &[&str]) -> Result<Params, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest { parameter: None, message: format!("the body is not JSON: {e}") }
    })?;
    let serde_json::Value::Object(fields) = value else {
        return Err(ApiError::BadRequest {
            parameter: None,
            message: "the body must be a JSON object".into(),
        });
    };
    let mut pairs = Vec::new();
    for (name, value) in fields {
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::String(text) => pairs.push((name, text)),
            _ if !allowed.contains(&name.as_str()) => pairs.push((name, String::new())),
            other => {
                return Err(ApiError::parameter(
                    &name,
                    format!("`{name}` must be a string, got {other}"),
                ));
            }
        }
    }
    Ok(Params::from_pairs(pairs, allowed)?)
}

/// Rows an export of `range` holds: every order (drafts included) or
/// every issued invoice of the range, from the day, month and year
/// measures (a bounded read). An orders `status` filter counts that
/// status; an invoice filter (an effective status, known only per
/// invoice) counts them all.
pub async fn rows_in_range(
    reader: &AggregateReader<'_>,
    dataset: Dataset,
    range: DateRange,
    status: Option<&str>,
) -> Result<u64, StoreError> {
    let total: i128 = match dataset {
        Dataset::Orders => {
            let sums = reader.sum(family::ORDERS, range).await?;
            let statuses: Vec<&str> = match status {
                Some(s) => vec![s],
                None => OrderStatus::ALL.iter().map(|s| s.as_str()).collect(),
            };
            statuses.iter().map(|s| sums.get(&measure::status(s)).copied().unwrap_or(0)).sum()
        }
        Dataset::Invoices => {
            reader.sum(family::INVOICES, range).await?.get(measure::ISSUED).copied().unwrap_or(0)
        }
    };
    Ok(u64::try_from(total).unwrap_or(0))
}

/// `{"data": {url, expires_at, rows, bytes, format}}` of an export done
/// within the request (`Accept: application/json`).
#[derive(Debug, Serialize)]
pub struct ExportOut {
    pub url: String,
    pub expires_at: String,
    pub rows: u64,
    pub bytes: u64,
    pub format: &'static str,
}

impl ExportOut {
    pub fn new(exported: Exported, link: Link, format: Format) -> Self {
        ExportOut {
            url: link.url,
            expires_at: link.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            rows: exported.rows,
            bytes: exported.bytes,
            format: format.as_str(),
        }
    }
}

/// Whether the client asked for JSON rather than the 303.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("application/json")))
}

/// `303 See Other` to `url`.
pub fn see_other(url: &str) -> Result<Response, ApiError> {
    let location = HeaderValue::from_str(url).map_err(|e| {
        ApiError::Export(crate::exports::ExportError::S3 {
            operation: "presign",
            message: e.to_string(),
        })
    })?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_job_body_is_checked_like_a_query() {
        let allowed = ["dataset", "format", "from_date", "to_date", "status"];
        let params = body_params(
            br#"{"dataset": "orders", "format": "csv", "from_date": "2022-01-01", "to_date": "2025-12-31", "status": null}"#,
            &allowed,
        )
        .unwrap();
        let spec =
            export_spec(&params, dataset_param(params.get("dataset")).unwrap(), day("2025-12-20"))
                .unwrap();
        assert_eq!(
            (spec.from_date, spec.to_date, spec.status),
            (day("2022-01-01"), day("2025-12-31"), None)
        );

        let field = |body: &[u8]| match body_params(body, &allowed)
            .and_then(|p| export_spec(&p, dataset_param(p.get("dataset"))?, day("2025-12-20")))
        {
            Err(ApiError::BadRequest { parameter, .. }) => parameter,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(br#"{"dataset": "orders", "format": 3}"#), Some("format".into()));
        assert_eq!(field(br#"{"dataset": "orders", "format": "docx"}"#), Some("format".into()));
        assert_eq!(field(br#"{"dataset": "payments", "format": "csv"}"#), Some("dataset".into()));
        assert_eq!(field(br#"{"format": "csv"}"#), Some("dataset".into()));
        assert_eq!(
            field(br#"{"dataset": "orders", "format": "csv", "fromdate": "2025-01-01"}"#),
            Some("fromdate".into())
        );
        assert_eq!(
            field(br#"{"dataset": "orders", "format": "csv", "extra": [1]}"#),
            Some("extra".into())
        );
        assert_eq!(
            field(br#"{"dataset": "invoices", "format": "csv", "status": "shipped"}"#),
            Some("status".into()),
            "an order status is not an invoice status"
        );
        assert_eq!(
            field(br#"{"dataset": "orders", "format": "csv", "from_date": "2025-12-31", "to_date": "2025-01-01"}"#),
            Some("from_date".into())
        );
        assert!(matches!(
            body_params(b"[1]", &allowed),
            Err(ApiError::BadRequest { parameter: None, .. })
        ));
        assert!(matches!(
            body_params(b"{", &allowed),
            Err(ApiError::BadRequest { parameter: None, .. })
        ));
    }

    #[test]
    fn json_is_asked_for_by_accept() {
        let mut headers = HeaderMap::new();
        assert!(!wants_json(&headers));
        headers
            .insert(header::ACCEPT, HeaderValue::from_static("text/html, application/json;q=0.9"));
        assert!(wants_json(&headers));
    }
}
