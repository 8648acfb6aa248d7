//! One DynamoDB item as the SDK hands it, and reading and writing its
//! attributes: what every table's store (aggregates, alerts, export jobs)
//! shares.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// An item as the SDK returns it.
pub type Item = HashMap<String, AttributeValue>;

/// The key attributes `pk` and `sk`.
pub fn key_map(pk: String, sk: String) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk)),
        ("sk".to_owned(), AttributeValue::S(sk)),
    ])
}

/// A number attribute parsed as `T` (ids and versions as i64, measures
/// and amounts as `Measure`).
pub fn attr_number<T: std::str::FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())
}

/// A string attribute.
pub fn attr_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}
