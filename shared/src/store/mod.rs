//! DynamoDB access: the source table (records as upstream writes them) and
//! the aggregates table (what the API reads). The layout is described in
//! `docs/data-model.md`.

pub mod aggregates;
pub mod source;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed: {message}")]
    Dynamo { operation: &'static str, message: String },
    #[error("stored item {key} is malformed: {message}")]
    Malformed { key: String, message: String },
}

impl StoreError {
    pub fn dynamo<E: std::error::Error + 'static, R: std::fmt::Debug>(
        operation: &'static str,
        err: SdkError<E, R>,
    ) -> Self {
        StoreError::Dynamo { operation, message: format!("{}", DisplayErrorContext(err)) }
    }
}
