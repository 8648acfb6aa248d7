//! A field of a record that broke a rule: what the parser
//! ([`super::fields`]) and the limits ([`super::limits`]) both answer.

use std::fmt;

/// A field that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub field: String,
    pub rule: String,
}

impl Rejection {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Rejection { field: field.into(), rule: rule.into() }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}` {}", self.field, self.rule)
    }
}

pub type FieldResult<T> = Result<T, Rejection>;
