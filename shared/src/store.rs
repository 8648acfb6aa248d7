//! DynamoDB access: the source table (records as upstream writes them) and
//! the aggregates table (what the API reads). The layout is described in
//! `docs/data-model.md`.

pub mod aggregates;
pub mod high_value;
pub mod indexes;
pub mod slots;
pub mod source;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};

/// An item as the SDK returns it.
pub type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed: {message}")]
    Dynamo { operation: &'static str, message: String },
    #[error("stored item {key} is malformed: {message}")]
    Malformed { key: String, message: String },
    #[error("a signing secret could not be sealed or opened: {message}")]
    Secret { message: String },
}

impl StoreError {
    pub fn dynamo<E: std::error::Error + 'static, R: std::fmt::Debug>(
        operation: &'static str,
        err: SdkError<E, R>,
    ) -> Self {
        StoreError::Dynamo { operation, message: format!("{}", DisplayErrorContext(err)) }
    }
}

/// An instant as the tables keep it: RFC 3339 in UTC with milliseconds, a
/// fixed width, so that text order is time order (sort keys, conditions).
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An `UpdateItem`'s output, `None` when its condition failed.
pub fn unless_condition_failed<T, R: std::fmt::Debug>(
    result: Result<T, SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>>,
) -> Result<Option<T>, StoreError> {
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    match result {
        Ok(out) => Ok(Some(out)),
        Err(e)
            if e.as_service_error()
                .is_some_and(UpdateItemError::is_conditional_check_failed_exception) =>
        {
            Ok(None)
        }
        Err(e) => Err(StoreError::dynamo("UpdateItem", e)),
    }
}

/// Every item of one partition (consistent reads, all pages).
pub async fn query_partition(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()),
            )
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query", e))?;
        items.extend(out.items.unwrap_or_default());
        start = out.last_evaluated_key;
        if start.is_none() {
            return Ok(items);
        }
    }
}

/// BatchGetItem requests one call keeps in flight (DynamoDB answers each
/// in milliseconds; a reader of thousands of keys waits for the slowest
/// of a few rounds instead of one request after another).
const BATCH_GETS_IN_FLIGHT: usize = 8;

/// Items by key, 100 keys a request, up to [`BATCH_GETS_IN_FLIGHT`]
/// requests at once, unprocessed keys retried (duplicate keys read once,
/// missing items left out). Items come in the order of their requests.
pub async fn batch_get_items(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    mut keys: Vec<(String, String)>,
    consistent: bool,
) -> Result<Vec<Item>, StoreError> {
    use futures::{StreamExt, TryStreamExt};
    keys.sort();
    keys.dedup();
    let chunks: Vec<Vec<(String, String)>> = keys.chunks(100).map(<[_]>::to_vec).collect();
    let found: Vec<Vec<Item>> = futures::stream::iter(chunks)
        .map(|chunk| batch_get(client, table, chunk, consistent))
        .buffered(BATCH_GETS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// One BatchGetItem of at most 100 keys, with its unprocessed keys retried.
async fn batch_get(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keys: Vec<(String, String)>,
    consistent: bool,
) -> Result<Vec<Item>, StoreError> {
    let mut request =
        aws_sdk_dynamodb::types::KeysAndAttributes::builder().consistent_read(consistent);
    for (pk, sk) in keys {
        request = request.keys(aggregates::key_map(pk, sk));
    }
    let mut pending = Some(
        request
            .build()
            .map_err(|e| StoreError::Malformed { key: "batch".into(), message: e.to_string() })?,
    );
    let mut found = Vec::new();
    while let Some(req) = pending.take() {
        let out = client
            .batch_get_item()
            .request_items(table, req)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("BatchGetItem", e))?;
        found.extend(out.responses.unwrap_or_default().remove(table).unwrap_or_default());
        pending =
            out.unprocessed_keys.and_then(|mut u| u.remove(table)).filter(|k| !k.keys().is_empty());
        if pending.is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    Ok(found)
}
