//! DynamoDB access: the source table (records as upstream writes them) and
//! the aggregates table (what the API reads). The layout is described in
//! `docs/data-model.md`; every key and measure name is built in
//! `crate::layout`, and every item's attributes are read with
//! [`item`]'s helpers (the alerts and export-job stores use those too).
//!
//! ## The reader's contract
//! [`aggregates::AggregateReader`] is one tenant's read-only view of the
//! aggregates table, counting the items it reads. Its methods live beside
//! the data they read, one file per area (`tests/store_contract.rs` keeps
//! this table equal to the code):
//!
//! | area | file | methods |
//! |---|---|---|
//! | dated sums over a range's cover, settings, watermark, ledger | `store/aggregates.rs` | `new`, `items_read`, `query_range`, `query_ranges`, `get`, `sum`, `sum_without_years`, `sum_through`, `settings`, `watermark`, `ledger` |
//! | index partitions: paging, entity sums, rankings | `store/indexes.rs` | `scan_partition`, `sum_entities`, `sum_shards`, `ranking`, `dated_after`, `last_dated`, `query_page`, `dated_pages` |
//! | dimension copies (customers, reps, products) and monthly amounts | `store/indexes/copies.rs` | `customer_info`, `customer_names`, `sales_reps`, `products`, `monthly_amounts` |
//! | customers: counts, histories, lifetimes, rankings | `store/indexes/customers.rs` | `customers`, `customer_counts`, `lifetime_values`, `lifetime_values_corrected`, `customer_histories`, `customer_counts_in`, `range_counts`, `returns_before`, `bucket_counts`, `top_customers`, `customer_days`, `days_of_customers_after`, `customer_sets` |
//! | top customers of any range, by revenue or amount invoiced (threshold algorithm) | `store/indexes/top_k.rs` | `top_customers_in`, `top_invoiced_in`, `threshold_top_k`, `customer_totals_in` |
//! | invoices: open at a date, balances, aging | `store/indexes/invoices.rs` | `invoices_open_at`, `customers_by_balance`, `customer_invoices_in`, `invoice_events_after`, `aging_totals`, `open_in_period` |
//! | orders: by amount, extremes, recent, by day | `store/indexes/orders.rs` | `orders_from_amount`, `order_extremes`, `recent_orders`, `daily_orders` |
//! | high-value orders | `store/high_value.rs` | `high_value_page`, `order_totals_between` |
//! | payments: failed, disputes | `store/indexes/payments.rs` | `failed_payments_page`, `open_disputes_page`, `open_dispute_totals` |
//!
//! Writes are the rollup's (`functions/rollup`) and the stores of their
//! own tables: `alerts::store` and `digests::store` (their capped spec
//! items through [`spec_items`]), `exports::job_store`, [`slots`]
//! (per-tenant caps), [`source`] (the loader).

pub mod aggregates;
pub mod high_value;
pub mod indexes;
pub mod item;
pub mod slots;
pub mod source;
pub mod spec_items;

pub use item::{Item, attr_number, attr_s, key_map};

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A DynamoDB call failed; `source` is the SDK's error (its display
    /// here includes its context: service code, message, request id).
    #[error("DynamoDB {operation} failed: {}", DisplayErrorContext(&**source))]
    Dynamo {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("stored item {key} is malformed: {message}")]
    Malformed { key: String, message: String },
    #[error("a signing secret could not be sealed or opened: {message}")]
    Secret { message: String },
}

impl StoreError {
    pub fn dynamo<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        StoreError::Dynamo { operation, source: Box::new(err) }
    }
}

/// An instant as the tables keep it: RFC 3339 in UTC with milliseconds, a
/// fixed width, so that text order is time order (sort keys, conditions).
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An `UpdateItem`'s output, `None` when its condition failed.
pub fn unless_condition_failed<T, R: std::fmt::Debug + Send + Sync + 'static>(
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
    client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()),
        )
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<Item>, _>>()
        .await
        .map_err(|e| StoreError::dynamo("Query", e))
}

/// One item, read consistently (what was written before is there).
pub async fn get_consistent(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: Item,
) -> Result<Option<Item>, StoreError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| StoreError::dynamo("GetItem", e))?;
    Ok(out.item)
}

/// A page of one partition, newest sort key first: up to `limit` items
/// after the sort key `after` (the previous page's last).
pub async fn newest_first(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Item>, StoreError> {
    let out = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()),
        )
        .scan_index_forward(false)
        .limit(i32::try_from(limit).unwrap_or(i32::MAX))
        .set_exclusive_start_key(after.map(|sk| key_map(pk.to_owned(), sk.to_owned())))
        .send()
        .await
        .map_err(|e| StoreError::dynamo("Query", e))?;
    Ok(out.items.unwrap_or_default())
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
        request = request.keys(key_map(pk, sk));
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
