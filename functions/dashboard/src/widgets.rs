//! The dashboard widgets: recent orders, top customers, sales goals.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use sales_shared::auth::Principal;
use sales_shared::buckets::calendar_bucket_of;
use sales_shared::envelope::NoTotals;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::metrics::get;
use sales_shared::metrics::kpis::{TopCustomer, name_customers, top_customers as rank_customers};
use sales_shared::metrics::revenue::sales_goals as goals;
use sales_shared::money::json;
use sales_shared::params::Params;
use sales_shared::periods::DateRange;
use sales_shared::store::aggregates::{family, measure};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct RecentOrder {
    pub id: i64,
    pub order_number: String,
    pub customer_name: String,
    #[serde(serialize_with = "json::money")]
    pub total_amount: Decimal,
    pub status: String,
    pub order_date: NaiveDate,
}

/// `GET /dashboard/widgets/recent-orders`: the latest placed orders of all
/// time by `ordered_at`, cancelled included.
pub async fn recent_orders(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "recent-orders").await?;
    let params = Params::parse(query.as_deref(), &["limit", "cursor"])?;
    let limit = params.limit()?;
    // Key-based paging: a page reads its rows and one more, however deep.
    let after = view.after(&params)?;
    let (rows, next) = view.key_page(
        &params,
        view.reader.recent_orders(after.as_deref(), limit + 1).await?,
        limit,
    );
    let ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    let names = view.reader.customer_names(&ids).await?;
    let data: Vec<RecentOrder> = rows
        .into_iter()
        .map(|r| RecentOrder {
            id: r.order_id,
            order_number: r.order_number,
            customer_name: names.get(&r.customer_id).cloned().unwrap_or_default(),
            total_amount: sales_shared::money::from_cents(r.total_cents),
            status: r.status,
            order_date: r.ordered_on,
        })
        .collect();
    view.respond_list(data, NoTotals {}, next).await
}

/// `GET /dashboard/widgets/top-customers` (`period`, default month).
pub async fn top_customers(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "top-customers").await?;
    let params =
        Params::parse(query.as_deref(), &["period", "from_date", "to_date", "limit", "cursor"])?;
    let (_, period) = params.period(view.today)?;
    let limit = params.limit()?;
    let (mut rows, next) = match calendar_bucket_of(period) {
        // A calendar period: its derived ranking, paged by key.
        Some(bucket) => {
            let after = view.after(&params)?;
            let ranked = view.reader.top_customers(&bucket, after.as_deref(), limit + 1).await?;
            let rows = ranked
                .into_iter()
                .map(|(key, id, totals)| (key, TopCustomer::of(id, &totals)))
                .collect();
            view.key_page(&params, rows, limit)
        }
        // Any other range: ranked from the customers active in it.
        None => {
            let offset = view.offset(&params)?;
            let sets = view.reader.customer_sets(None, period).await?;
            view.page(&params, rank_customers(&sets, usize::MAX), offset, limit)
        }
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    name_customers(&mut rows, &view.reader.customer_names(&ids).await?);
    view.respond_list(rows, NoTotals {}, next).await
}

/// `GET /dashboard/widgets/sales-goals`: this month's target and progress.
pub async fn sales_goals(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "sales-goals").await?;
    Params::parse(query.as_deref(), &[])?;
    let today = view.today;
    let month = sales_shared::buckets::month_key(today);
    let target = view.reader.monthly_amounts(family::SALES_TARGETS).await?.get(&month).copied();
    let first = today.with_day(1).unwrap_or(today);
    let month_to_date = view.reader.sum(family::ORDERS, DateRange::new(first, today)).await?;
    view.respond(goals(today, target, get(&month_to_date, measure::REVENUE))).await
}
