//! `GET /dashboard/customer-analytics` and `GET /dashboard/performance`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sales_shared::auth::Principal;
use sales_shared::buckets::{Grain, bucket_key, calendar_bucket_of, epoch, previous_calendar_bucket};
use sales_shared::http::{ApiContext, ApiError, TenantView};
use sales_shared::metrics::customers::{
    CustomerCounts, CustomerSets, customer_since, lifetime_value, purchase_frequency_of_counts, segmentation,
    segmentation_of_counts,
};
use sales_shared::metrics::get;
use sales_shared::metrics::kpis::{
    AnalyticsTopCustomer, CashCycles, CustomerAnalytics, CustomerKpiInputs, KpiInputs, Receivables, TopCustomer,
    analytics_top_customers, average_lifetime_value, name_customers, performance as kpis, retention,
    retention_of_counts,
};
use sales_shared::params::Params;
use sales_shared::periods::DateRange;
use sales_shared::store::StoreError;
use sales_shared::store::aggregates::{AggregateReader, family, measure};

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

/// Receivables at the edges of a period (opening, closing, closing not yet due).
async fn receivables(view: &TenantView<'_>, period: DateRange) -> Result<Receivables, StoreError> {
    let ar_through = |day: NaiveDate| async move {
        Ok::<_, StoreError>(get(&view.reader.sum_through(family::INVOICES, day).await?, measure::AR_CHANGE))
    };
    let opening = match period.from.pred_opt() {
        Some(day) if day >= epoch() => ar_through(day).await?,
        _ => 0,
    };
    let current = view.reader.aging_totals(period.to).await?.amounts.first().copied().unwrap_or(0);
    Ok(Receivables { opening, closing: ar_through(period.to).await?, closing_current: current })
}

/// The customer figures of the KPIs: a calendar period's derived counts
/// (retention against the bucket before); any other range from the
/// customers active in it and in the previous one. Lifetime value and
/// recurring revenue are dated sums for every period.
async fn customer_kpis(
    reader: &AggregateReader<'_>,
    period: DateRange,
    previous: DateRange,
) -> Result<CustomerKpiInputs, StoreError> {
    let revenue = get(&reader.sum_through(family::ORDERS, period.to).await?, measure::REVENUE);
    let buyers = get(&reader.sum_through(family::CUSTOMER_COUNTS, period.to).await?, measure::BUYERS);
    let month = bucket_key(Grain::Month, period.to);
    let recurring = get(&reader.bucket_counts(&month).await?, measure::RECURRING_REVENUE);
    let (counts, retention) = match (calendar_bucket_of(period), previous_calendar_bucket(period)) {
        (Some(bucket), Some((before, dates))) if dates == previous => {
            let now = reader.bucket_counts(&bucket).await?;
            let before = reader.bucket_counts(&before).await?;
            let retained = get(&now, measure::RETAINED);
            (
                CustomerCounts::from_measures(&now),
                retention_of_counts(get(&before, measure::UNIQUE_CUSTOMERS), retained),
            )
        }
        _ => {
            let sets = reader.customer_sets(None, period).await?;
            let before = reader.customers(None, previous).await?;
            (CustomerCounts::of(&sets), retention(&before, &sets.period))
        }
    };
    Ok(CustomerKpiInputs {
        counts,
        lifetime_value: average_lifetime_value(revenue, buyers),
        retention,
        recurring_revenue_cents: recurring,
    })
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
    let previous = kind.previous(period);
    let reader = &view.reader;
    let orders = reader.sum(family::ORDERS, period).await?;
    let previous_orders = reader.sum(family::ORDERS, previous).await?;
    let invoices = reader.sum(family::INVOICES, period).await?;
    let marketing_spend = reader.monthly_amounts(family::MARKETING_SPEND).await?;
    let cycles = reader.sum(family::CASH_CYCLES, period).await?;
    let inputs = KpiInputs {
        period,
        orders: &orders,
        previous_orders: &previous_orders,
        invoices: &invoices,
        receivables: receivables(&view, period).await?,
        customers: customer_kpis(reader, period, previous).await?,
        marketing_spend: &marketing_spend,
        cash_cycles: CashCycles { count: get(&cycles, measure::CYCLES), days: get(&cycles, measure::CYCLE_DAYS) },
    };
    view.respond(kpis(&inputs)).await
}
