//! An input that broke a rule, with the name of what broke it: a field of a
//! source record (the loader's rejected lines), a query parameter, or a
//! field of a JSON body (alert rules). The one error of bad input: the API
//! maps it once to a 400 naming the field (`http::error`), the loader
//! prints it once per rejected line.

use std::fmt;

/// A field that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// What broke the rule: `amount`, `lines[2].quantity`, `from_date`,
    /// `channels[0].url`; empty for the input as a whole (a malformed
    /// query string).
    pub field: String,
    /// The rule, worded for the caller (`must be > 0`).
    pub rule: String,
}

impl Rejection {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Rejection { field: field.into(), rule: rule.into() }
    }

    /// A rule the input as a whole broke: no field to name.
    pub fn whole(rule: impl Into<String>) -> Self {
        Rejection { field: String::new(), rule: rule.into() }
    }

    /// The field, unless the input as a whole is to blame.
    pub fn named_field(&self) -> Option<&str> {
        (!self.field.is_empty()).then_some(self.field.as_str())
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.named_field() {
            Some(field) => write!(f, "field `{field}` {}", self.rule),
            None => f.write_str(&self.rule),
        }
    }
}

impl std::error::Error for Rejection {}

pub type FieldResult<T> = Result<T, Rejection>;
