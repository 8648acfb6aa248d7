//! The library every Sales Analytics function uses: source records, money,
//! periods and buckets, DynamoDB layout and access, auth, and HTTP errors.

pub mod alerts;
pub mod auth;
pub mod aws;
pub mod calendar;
pub mod config;
pub mod digests;
pub mod envelope;
pub mod exports;
pub mod figures;
pub mod http;
pub mod ids;
pub mod layout;
pub mod logging;
pub mod money;
pub mod outbound;
pub mod paging;
pub mod params;
pub mod periods;
pub mod queries;
#[cfg(feature = "sqs")]
pub mod queue;
pub mod records;
pub mod rejection;
pub mod reports;
pub mod schema;
pub mod secrets;
pub mod sketch;
pub mod store;
