//! `GET /dashboard/customer-analytics` and `GET /dashboard/performance`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use rust_decimal::Decimal;
use sales_shared::auth::Principal;
use sales_shared::buckets::{calendar_bucket_of, epoch};
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::metrics::customers::{
    CustomerSets, customer_since, lifetime_value, purchase_frequency_of_counts, segmentation,
    segmentation_of_counts,
};
use sales_shared::metrics::kpis::{
    AnalyticsTopCustomer, CustomerAnalytics, TopCustomer, analytics_top_customers, name_customers,
};
use sales_shared::params::Params;
use sales_shared::periods::DateRange;
use sales_shared::store::aggregates::family;

/// `GET /dashboard/customer-analytics` (`period`, default month; `limit`
/// for `top_customers`).
pub async fn customer_analytics(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "customer-analytics").await?;
    let params = Params::parse(query.as_deref(), &["period", "from_date", "to_date", "limit"])?;
    let (_, period) = params.period(view.today)?;
    let limit = params.limit()?;
    let reader = &view.reader;
    let vip = view.settings.vip_lifetime_revenue;
    // A calendar period ending today or later with no order dated after
    // it: derived counts, the lifetime-value histogram (lifetime values
    // now are those through its end) and its ranking.
    let current = period.to >= view.today && !reader.dated_after(family::ORDERS, period.to).await?;
    let mut out = match calendar_bucket_of(period).filter(|_| current) {
        Some(bucket) => {
            let counts = reader.bucket_counts(&bucket).await?;
            let orders = reader.sum(family::ORDERS, period).await?;
            let through = reader.sum_through(family::CUSTOMER_COUNTS, period.to).await?;
            let ranked = reader.top_customers(&bucket, None, limit).await?;
            let ids: Vec<i64> = ranked.iter().map(|(_, id, _)| *id).collect();
            let (days, lifetime) = reader.customer_histories(&ids, period.to).await?;
            CustomerAnalytics {
                customer_segmentation: segmentation_of_counts(&counts, &orders),
                customer_lifetime_value: reader.lifetime_values().await?,
                purchase_frequency: purchase_frequency_of_counts(&through),
                top_customers: ranked
                    .iter()
                    .map(|(_, id, totals)| AnalyticsTopCustomer {
                        customer: TopCustomer::of(*id, totals),
                        customer_since: days.get(id).and_then(customer_since),
                        lifetime_value: lifetime.get(id).map_or(Decimal::ZERO, |t| t.revenue()),
                    })
                    .collect(),
            }
        }
        // Any other range: from the customers active in it (distinct
        // customers do not add across buckets), their order days and
        // lifetime through the end; purchase frequency from the dated
        // counts; lifetime values from the histogram when they are today's.
        None => {
            let sets = reader.customer_sets(None, period).await?;
            let lifetime = if current {
                reader.lifetime_values().await?
            } else {
                let everyone = CustomerSets {
                    through: reader.customers(None, DateRange::new(epoch(), period.to)).await?,
                    ..Default::default()
                };
                lifetime_value(&everyone)
            };
            let through = reader.sum_through(family::CUSTOMER_COUNTS, period.to).await?;
            CustomerAnalytics {
                customer_segmentation: segmentation(&sets, vip),
                customer_lifetime_value: lifetime,
                purchase_frequency: purchase_frequency_of_counts(&through),
                top_customers: analytics_top_customers(&sets, limit),
            }
        }
    };
    let ids: Vec<i64> = out.top_customers.iter().map(|c| c.customer.customer_id).collect();
    let names = reader.customer_names(&ids).await?;
    name_customers(out.top_customers.iter_mut().map(|c| &mut c.customer), &names);
    view.respond(out).await
}

/// `GET /dashboard/performance` (`period`, default month).
pub async fn performance(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "performance").await?;
    let params = Params::parse(query.as_deref(), &["period", "from_date", "to_date"])?;
    let (kind, period) = params.period(view.today)?;
    view.respond(sales_shared::reports::performance::performance(&view.reader, kind, period).await?)
        .await
}
