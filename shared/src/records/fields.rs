//! Field-by-field extraction from a JSON object, each failure naming the
//! field and the rule it broke.

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::limits;
use crate::money::{MoneyError, parse_money_json};
use crate::rejection::{FieldResult, Rejection};

/// A closed set of string values (statuses, methods...).
pub trait StrEnum: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text)
    }
    fn expected() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
        format!("must be one of {}", names.join(", "))
    }
}

/// Declares a `StrEnum` with serde in its wire spelling.
#[macro_export]
macro_rules! str_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }
        impl $name {
            /// Its wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// The value spelled `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                <Self as $crate::records::StrEnum>::parse(text)
            }
        }
        impl $crate::records::StrEnum for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }
    };
}

/// A JSON object read with a field-name prefix (`lines[2].`) for nested ones.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Fields<'a> {
    pub fn new(obj: &'a Map<String, Value>) -> Self {
        Fields { obj, prefix: String::new() }
    }

    pub fn nested(obj: &'a Map<String, Value>, prefix: String) -> Self {
        Fields { obj, prefix }
    }

    pub fn name(&self, field: &str) -> String {
        format!("{}{}", self.prefix, field)
    }

    fn reject<T>(&self, field: &str, rule: impl Into<String>) -> FieldResult<T> {
        Err(Rejection::new(self.name(field), rule))
    }

    /// The value, or `None` when missing or `null`.
    pub fn get(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    fn required(&self, field: &str) -> FieldResult<&'a Value> {
        match self.get(field) {
            Some(v) => Ok(v),
            None => self.reject(field, "is required"),
        }
    }

    pub fn string(&self, field: &str) -> FieldResult<String> {
        match self.required(field)? {
            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            Value::String(_) => self.reject(field, "must not be empty"),
            _ => self.reject(field, "must be a string"),
        }
    }

    pub fn opt_string(&self, field: &str) -> FieldResult<Option<String>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => self.reject(field, "must be a string or null"),
        }
    }

    fn integer_value(&self, field: &str, v: &Value) -> FieldResult<i64> {
        match v.as_i64() {
            Some(i) => Ok(i),
            None => self.reject(field, "must be an integer"),
        }
    }

    /// A required integer > 0 (ids).
    pub fn id(&self, field: &str) -> FieldResult<i64> {
        let v = self.integer_value(field, self.required(field)?)?;
        if v > 0 { Ok(v) } else { self.reject(field, "must be an integer > 0") }
    }

    pub fn opt_id(&self, field: &str) -> FieldResult<Option<i64>> {
        match self.get(field) {
            None => Ok(None),
            Some(_) => self.id(field).map(Some),
        }
    }

    /// An integer >= `min`, `default` when missing.
    pub fn int_at_least(&self, field: &str, min: i64, default: i64) -> FieldResult<i64> {
        match self.get(field) {
            None => Ok(default),
            Some(v) => {
                let i = self.integer_value(field, v)?;
                if i >= min {
                    Ok(i)
                } else {
                    self.reject(field, format!("must be an integer >= {min}"))
                }
            }
        }
    }

    pub fn opt_int_at_least(&self, field: &str, min: i64) -> FieldResult<Option<i64>> {
        match self.get(field) {
            None => Ok(None),
            Some(_) => self.int_at_least(field, min, min).map(Some),
        }
    }

    pub fn bool_or(&self, field: &str, default: bool) -> FieldResult<bool> {
        match self.get(field) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => self.reject(field, "must be true or false"),
        }
    }

    /// A money amount: exact, at most two fractional digits, within
    /// [`limits::MAX_MONEY`] and at least `min`.
    fn money_value(&self, field: &str, v: &Value, min: MoneyMin) -> FieldResult<Decimal> {
        let d = parse_money_json(v).map_err(|e| {
            let rule = if e == MoneyError::OutOfRange { limits::MONEY_RULE } else { e.rule() };
            Rejection::new(self.name(field), rule)
        })?;
        limits::check_money(&self.name(field), d)?;
        match min {
            MoneyMin::Any => Ok(d),
            MoneyMin::NonNegative if d >= Decimal::ZERO => Ok(d),
            MoneyMin::Positive if d > Decimal::ZERO => Ok(d),
            MoneyMin::NonNegative => self.reject(field, "must be >= 0"),
            MoneyMin::Positive => self.reject(field, "must be > 0"),
        }
    }

    pub fn money(&self, field: &str, min: MoneyMin) -> FieldResult<Decimal> {
        let v = self.required(field)?;
        self.money_value(field, v, min)
    }

    pub fn money_or_zero(&self, field: &str) -> FieldResult<Decimal> {
        match self.get(field) {
            None => Ok(Decimal::ZERO),
            Some(v) => self.money_value(field, v, MoneyMin::NonNegative),
        }
    }

    pub fn opt_money(&self, field: &str, min: MoneyMin) -> FieldResult<Option<Decimal>> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => self.money_value(field, v, min).map(Some),
        }
    }

    pub fn timestamp(&self, field: &str) -> FieldResult<DateTime<FixedOffset>> {
        match self.required(field)? {
            Value::String(s) => DateTime::parse_from_rfc3339(s)
                .or_else(|_| self.reject(field, "must be an RFC 3339 timestamp with offset")),
            _ => self.reject(field, "must be an RFC 3339 timestamp string"),
        }
    }

    pub fn opt_timestamp(&self, field: &str) -> FieldResult<Option<DateTime<FixedOffset>>> {
        match self.get(field) {
            None => Ok(None),
            Some(_) => self.timestamp(field).map(Some),
        }
    }

    pub fn date(&self, field: &str) -> FieldResult<NaiveDate> {
        match self.required(field)? {
            Value::String(s) => parse_date(s)
                .ok_or_else(|| Rejection::new(self.name(field), "must be a date YYYY-MM-DD")),
            _ => self.reject(field, "must be a date string YYYY-MM-DD"),
        }
    }

    pub fn opt_date(&self, field: &str) -> FieldResult<Option<NaiveDate>> {
        match self.get(field) {
            None => Ok(None),
            Some(_) => self.date(field).map(Some),
        }
    }

    /// A calendar month `YYYY-MM`.
    pub fn month(&self, field: &str) -> FieldResult<String> {
        let s = self.string(field)?;
        let ok = s.len() == 7 && parse_date(&format!("{s}-01")).is_some();
        if ok { Ok(s) } else { self.reject(field, "must be a month YYYY-MM") }
    }

    pub fn currency(&self, field: &str) -> FieldResult<String> {
        let s = self.string(field)?;
        if s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(s)
        } else {
            self.reject(field, "must be an ISO 4217 currency code (3 capital letters)")
        }
    }

    pub fn enumeration<E: StrEnum>(&self, field: &str) -> FieldResult<E> {
        match self.required(field)? {
            Value::String(s) => {
                E::parse(s).ok_or_else(|| Rejection::new(self.name(field), E::expected()))
            }
            _ => self.reject(field, E::expected()),
        }
    }

    pub fn opt_enumeration<E: StrEnum>(&self, field: &str) -> FieldResult<Option<E>> {
        match self.get(field) {
            None => Ok(None),
            Some(_) => self.enumeration(field).map(Some),
        }
    }

    /// The elements of an array field (empty when missing), each an object,
    /// at most `max` of them (checked before any element is read).
    pub fn objects(&self, field: &str, max: usize) -> FieldResult<Vec<Fields<'a>>> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                limits::check_count(&self.name(field), items.len(), max)?;
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::Object(obj) => {
                            Ok(Fields::nested(obj, format!("{}[{i}].", self.name(field))))
                        }
                        _ => self.reject(&format!("{field}[{i}]"), "must be an object"),
                    })
                    .collect()
            }
            Some(_) => self.reject(field, "must be an array"),
        }
    }

    pub fn opt_object(&self, field: &str) -> FieldResult<Option<Fields<'a>>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Object(obj)) => {
                Ok(Some(Fields::nested(obj, format!("{}.", self.name(field)))))
            }
            Some(_) => self.reject(field, "must be an object or null"),
        }
    }
}

/// Lower bound of a money field.
#[derive(Debug, Clone, Copy)]
pub enum MoneyMin {
    Any,
    NonNegative,
    Positive,
}

/// Strict `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}
