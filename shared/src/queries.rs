//! The query layer: one function per figure set that reads the
//! aggregates, computes the figures with the pure rules of `metrics` and
//! names the rows. The HTTP handlers, the scheduled reports and the alert
//! evaluator all get their figures here, so an endpoint's numbers and a
//! report's are the same code. No HTTP here: a handler parses its
//! parameters, calls one query and responds.
//!
//! | figures | module |
//! |---|---|
//! | `/dashboard` overview, revenue by period and product, sales goals, recent orders | [`dashboard`] |
//! | `/dashboard/customer-analytics`, the top-customers widget | [`customers`] |
//! | `/dashboard/performance` (the KPIs) | [`performance`] |
//! | `/orders` by status, performance metrics, high-value orders | [`orders`] |
//! | `/invoices/statistics`, the aging report | [`invoices`] |
//! | `/payments/statistics`, failed and disputed payments | [`payments`] |
//! | the size of a request that reads per customer or invoice (the read budget) | [`budget`] |

pub mod budget;
pub mod customers;
pub mod dashboard;
pub mod invoices;
pub mod kpis;
pub mod orders;
pub mod payments;

use crate::paging::CursorMismatch;
use crate::store::StoreError;

/// What a paged query can fail with: the store, or a cursor of another
/// kind of list than the one the query reads.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cursor(#[from] CursorMismatch),
}
