//! `GET /dashboard/revenue`: revenue by day, ISO week, month, quarter or
//! year over a range, or by product with `group_by=product`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use sales_shared::auth::Principal;
use sales_shared::figures::revenue::RevenueGrain;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::params::Params;
use sales_shared::queries::dashboard::{revenue as revenue_by_period, revenue_by_product};
use sales_shared::records::StrEnum;

pub async fn revenue(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "revenue").await?;
    let params =
        Params::parse(query.as_deref(), &["period", "from_date", "to_date", "group_by", "limit"])?;
    let range = params.date_range(view.today)?;
    if params.one_of("group_by", &["product"])?.is_some() {
        if params.get("period").is_some() {
            return Err(ApiError::parameter(
                "period",
                "`period` does not apply with group_by=product",
            ));
        }
        let ranked = revenue_by_product(&view.reader, range, params.limit()?).await?;
        return view.respond(ranked).await;
    }
    if params.get("limit").is_some() {
        return Err(ApiError::parameter("limit", "`limit` applies only with group_by=product"));
    }
    let grain = match params.get("period") {
        None => RevenueGrain::Month,
        Some(text) => RevenueGrain::parse(text).ok_or_else(|| {
            ApiError::parameter(
                "period",
                format!("`period` {}, got `{text}`", <RevenueGrain as StrEnum>::expected()),
            )
        })?,
    };
    view.respond(revenue_by_period(&view.reader, grain, range).await?).await
}
