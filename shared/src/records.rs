//! Source records as upstream services write them (the contract is this
//! module's types and `limits`; docs/data-model.md, "Source table"):
//! their types, validation with field-level rejections, and the canonical
//! JSON form stored in the source table.

mod fields;
pub mod limits;
mod types;

pub use crate::rejection::{FieldResult, Rejection};
pub use fields::{Fields, MoneyMin, StrEnum, parse_date};
pub use limits::check_limits;
pub use types::*;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::str_enum;

str_enum!(
    /// The record types of the source table.
    RecordType {
        TenantSettings => "tenant_settings",
        Customer => "customer",
        Product => "product",
        SalesRep => "sales_rep",
        Order => "order",
        Invoice => "invoice",
        Payment => "payment",
        SalesTarget => "sales_target",
        MarketingSpend => "marketing_spend",
    }
);

/// Identity of a source record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    pub tenant_id: String,
    pub record_type: RecordType,
    pub id: i64,
}

/// One version of a source record; `body` is `None` for a deletion
/// (tombstone).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub key: RecordKey,
    pub version: i64,
    pub updated_at: DateTime<FixedOffset>,
    pub body: Option<RecordBody>,
}

/// The type-specific part of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordBody {
    TenantSettings(TenantSettings),
    Customer(Customer),
    Product(Product),
    SalesRep(SalesRep),
    Order(Order),
    Invoice(Invoice),
    Payment(Payment),
    SalesTarget(MonthlyAmount),
    MarketingSpend(MonthlyAmount),
}

impl RecordBody {
    /// The canonical JSON stored in the source table.
    pub fn to_json(&self) -> String {
        let result = match self {
            RecordBody::TenantSettings(v) => serde_json::to_string(v),
            RecordBody::Customer(v) => serde_json::to_string(v),
            RecordBody::Product(v) => serde_json::to_string(v),
            RecordBody::SalesRep(v) => serde_json::to_string(v),
            RecordBody::Order(v) => serde_json::to_string(v),
            RecordBody::Invoice(v) => serde_json::to_string(v),
            RecordBody::Payment(v) => serde_json::to_string(v),
            RecordBody::SalesTarget(v) | RecordBody::MarketingSpend(v) => serde_json::to_string(v),
        };
        // Serializing plain structs of strings, numbers and decimals cannot fail.
        result.unwrap_or_default()
    }

    /// Reads the canonical JSON back.
    pub fn from_json(record_type: RecordType, text: &str) -> serde_json::Result<Self> {
        Ok(match record_type {
            RecordType::TenantSettings => RecordBody::TenantSettings(serde_json::from_str(text)?),
            RecordType::Customer => RecordBody::Customer(serde_json::from_str(text)?),
            RecordType::Product => RecordBody::Product(serde_json::from_str(text)?),
            RecordType::SalesRep => RecordBody::SalesRep(serde_json::from_str(text)?),
            RecordType::Order => RecordBody::Order(serde_json::from_str(text)?),
            RecordType::Invoice => RecordBody::Invoice(serde_json::from_str(text)?),
            RecordType::Payment => RecordBody::Payment(serde_json::from_str(text)?),
            RecordType::SalesTarget => RecordBody::SalesTarget(serde_json::from_str(text)?),
            RecordType::MarketingSpend => RecordBody::MarketingSpend(serde_json::from_str(text)?),
        })
    }

    /// The currency a record carries, for the tenant-currency rule.
    pub fn currency(&self) -> Option<&str> {
        match self {
            RecordBody::Order(o) => Some(&o.currency),
            RecordBody::Invoice(i) => Some(&i.currency),
            RecordBody::Payment(p) => Some(&p.currency),
            _ => None,
        }
    }
}

fn valid_tenant_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The envelope rules of a record that reached us without `parse_record`
/// (a stream image written by another service): tenant id format, `id >
/// 0`, `version >= 1`, and `id = 1` for tenant settings.
pub fn check_envelope(record: &SourceRecord) -> FieldResult<()> {
    if !valid_tenant_id(&record.key.tenant_id) {
        return Err(Rejection::new(
            "tenant_id",
            "must be 1-64 characters of A-Z, a-z, 0-9, _ or -",
        ));
    }
    if record.key.id <= 0 {
        return Err(Rejection::new("id", "must be an integer > 0"));
    }
    if record.version < 1 {
        return Err(Rejection::new("version", "must be an integer >= 1"));
    }
    if record.key.record_type == RecordType::TenantSettings && record.key.id != 1 {
        return Err(Rejection::new("id", "must be 1 for tenant_settings"));
    }
    Ok(())
}

/// Parses and validates one JSON Lines record (without its line break).
/// Field rules and size limits ([`limits`]) follow this module's types and `limits`;
/// unknown fields are ignored.
pub fn parse_record(line: &str) -> FieldResult<SourceRecord> {
    limits::check_line_size(line.len())?;
    let value: Value = serde_json::from_str(line)
        .map_err(|e| Rejection::new("(line)", format!("must be a JSON object ({e})")))?;
    let Value::Object(obj) = value else {
        return Err(Rejection::new("(line)", "must be a JSON object"));
    };
    let f = Fields::new(&obj);
    let record_type: RecordType = f.enumeration("type")?;
    let tenant_id = f.string("tenant_id")?;
    if !valid_tenant_id(&tenant_id) {
        return Err(Rejection::new(
            "tenant_id",
            "must be 1-64 characters of A-Z, a-z, 0-9, _ or -",
        ));
    }
    let id = f.id("id")?;
    let version = match f.get("version") {
        None => return Err(Rejection::new("version", "is required")),
        Some(_) => f.int_at_least("version", 1, 1)?,
    };
    let updated_at = f.timestamp("updated_at")?;
    let deleted = f.bool_or("deleted", false)?;
    let body = if deleted { None } else { Some(types::parse_body(record_type, &f)?) };
    if record_type == RecordType::TenantSettings && id != 1 {
        return Err(Rejection::new("id", "must be 1 for tenant_settings"));
    }
    let record =
        SourceRecord { key: RecordKey { tenant_id, record_type, id }, version, updated_at, body };
    // The field helpers applied every limit already; this keeps one rule set
    // with the re-check of records that arrive from the table.
    check_limits(&record)?;
    Ok(record)
}

/// The rule that order, invoice and payment amounts are in the tenant's
/// currency.
pub fn check_currency(record: &SourceRecord, tenant_currency: &str) -> FieldResult<()> {
    match record.body.as_ref().and_then(RecordBody::currency) {
        Some(c) if c != tenant_currency => Err(Rejection::new(
            "currency",
            format!("must equal the tenant's currency {tenant_currency}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
