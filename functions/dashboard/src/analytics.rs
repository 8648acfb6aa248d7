//! `GET /dashboard/customer-analytics` and `GET /dashboard/performance`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use sales_shared::auth::Principal;
use sales_shared::buckets::epoch;
use sales_shared::http::{ApiContext, ApiError, TenantView};
use sales_shared::metrics::aging::{Buckets, aging_report};
use sales_shared::metrics::get;
use sales_shared::metrics::kpis::{
    CashCycle, KpiInputs, Receivables, customer_analytics as analytics, name_customers, performance as kpis,
};
use sales_shared::params::Params;
use sales_shared::periods::{DateRange, month_range};
use sales_shared::reports::management::previous_month;
use sales_shared::store::StoreError;
use sales_shared::store::aggregates::{family, measure};

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
    let sets = view.reader.customer_sets(None, period, true).await?;
    // Order days of every buyer (purchase frequency) and of every customer
    // of the period (`customer_since` of a top customer whose orders were
    // all cancelled).
    let ids: Vec<i64> = sets
        .through
        .iter()
        .filter(|(_, t)| t.revenue_bearing > 0)
        .map(|(id, _)| *id)
        .chain(sets.active().map(|(id, _)| *id))
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
        .collect();
    let days = view.reader.customer_days(&ids).await?;
    let vip = view.settings.vip_lifetime_revenue;
    let mut out = analytics(&sets, &days, period.to, vip, limit);
    let ids: Vec<i64> = out.top_customers.iter().map(|c| c.customer.customer_id).collect();
    let names = view.reader.customer_names(&ids).await?;
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
    let at_end: Vec<_> = view.reader.invoices_open_at(period.to).await?.into_iter().map(|(i, _)| i).collect();
    let aging = aging_report(period.to, &at_end, &Buckets::default(), None);
    let current = aging
        .aging_buckets
        .get("current")
        .and_then(|b| sales_shared::money::to_cents(b.total_amount))
        .map_or(0, i128::from);
    Ok(Receivables { opening, closing: ar_through(period.to).await?, closing_current: current })
}

/// Order-to-cash cycles of the period's orders: each order's date and the
/// latest date one of its invoices reached balance 0 by payments. Reads the
/// period's placed orders and the invoices closed since its start.
async fn cash_cycles(view: &TenantView<'_>, period: DateRange) -> Result<Vec<CashCycle>, StoreError> {
    let orders: BTreeMap<i64, NaiveDate> =
        view.reader.orders_from_amount(period, 0).await?.into_iter().map(|o| (o.order_id, o.ordered_on)).collect();
    let since = period.from.pred_opt().unwrap_or(period.from);
    let mut paid_on: BTreeMap<i64, NaiveDate> = BTreeMap::new();
    for (invoice, order_id) in view.reader.invoices_open_at(since).await? {
        let Some(order_id) = order_id.filter(|id| orders.contains_key(id)) else { continue };
        let paid: i128 = invoice.applications.iter().map(|(_, c)| c).sum();
        let last = invoice.applications.iter().map(|(d, _)| *d).max();
        if let (true, Some(last)) = (paid == invoice.total_cents, last) {
            let entry = paid_on.entry(order_id).or_insert(last);
            *entry = (*entry).max(last);
        }
    }
    Ok(paid_on.into_iter().filter_map(|(id, paid)| Some((*orders.get(&id)?, paid))).collect())
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
    let month = month_range(period.to.year(), period.to.month());
    let month_before = previous_month(period.to);
    let orders = reader.sum(family::ORDERS, period).await?;
    let previous_orders = reader.sum(family::ORDERS, previous).await?;
    let invoices = reader.sum(family::INVOICES, period).await?;
    let customers = reader.customer_sets(None, period, true).await?;
    let previous_customers = reader.customers(None, previous).await?;
    let mrr_month = reader.customers(None, month).await?;
    let mrr_month_before = reader.customers(None, month_before).await?;
    let marketing_spend = reader.monthly_amounts(family::MARKETING_SPEND).await?;
    let inputs = KpiInputs {
        period,
        orders: &orders,
        previous_orders: &previous_orders,
        invoices: &invoices,
        receivables: receivables(&view, period).await?,
        customers: &customers,
        previous_customers: &previous_customers,
        mrr_month: &mrr_month,
        mrr_month_before: &mrr_month_before,
        marketing_spend: &marketing_spend,
        cash_cycles: &cash_cycles(&view, period).await?,
    };
    view.respond(kpis(&inputs)).await
}
