//! The invoices Lambda's router: invoice statistics and the receivables
//! aging report. Handlers are thin: parse, authorize, read aggregates and
//! the closing-date index, call `sales_shared::metrics`, respond.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{MethodRouter, get};
use sales_shared::auth::Principal;
use sales_shared::buckets::{calendar_bucket_of, epoch, is_month_key};
use sales_shared::envelope::NoTotals;
use sales_shared::http::{ApiContext, ApiError};
use sales_shared::metrics::aging::{
    AgeBy, AgingTotals, Buckets, Settled, by_due_date, customer_row, report,
};
use sales_shared::metrics::get as measure_of;
use sales_shared::metrics::invoices::{
    InvoiceInputs, OpenInPeriod, statistics as invoice_statistics,
};
use sales_shared::params::Params;
use sales_shared::queries::{
    AgingQuery, aging_at, invoices_family, invoices_open_at, name_customer_rows, only_customer,
};
use sales_shared::store::aggregates::{family, measure};

/// Every route of the function: its path and its (GET) handler. (`/invoices/export`
/// is the export API's: `functions/export`.)
fn table() -> [(&'static str, MethodRouter<Arc<ApiContext>>); 2] {
    [
        ("/api/v1/sales/invoices/statistics", get(statistics)),
        ("/api/v1/sales/invoices/aging-report", get(aging)),
    ]
}

sales_shared::http_function_routes!(table);

/// `GET /invoices/statistics` (`from_date`, `to_date`, `customer_id`;
/// `limit` for `top_customers_by_invoices`).
async fn statistics(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "invoice-statistics").await?;
    let params =
        Params::parse(query.as_deref(), &["from_date", "to_date", "customer_id", "limit"])?;
    let period = params.date_range(view.today)?;
    let customer = params.id("customer_id")?;
    let limit = params.limit()?;
    let reader = &view.reader;
    let slice = invoices_family(customer);
    let invoices = reader.sum(&slice, period).await?;
    let receivables = measure_of(&reader.sum_through(&slice, period.to).await?, measure::AR_CHANGE);
    let aging_date = period.to.min(view.today);
    // All customers: dated sums (any period, any date). One customer: that
    // customer's invoices from the closing-date index.
    let (open, aging) = match customer {
        None => (
            reader.open_in_period(period, view.today).await?,
            reader.aging_totals(aging_date).await?,
        ),
        Some(_) => {
            let open_today = invoices_open_at(reader, view.today, customer).await?;
            let at_aging_date = invoices_open_at(reader, aging_date, customer).await?;
            (
                OpenInPeriod::of(&open_today, period, view.today),
                AgingTotals::of(aging_date, &at_aging_date, &Buckets::default()),
            )
        }
    };
    let ranked = calendar_bucket_of(period).filter(|b| is_month_key(b));
    let per_customer = match (ranked, customer) {
        // A calendar month of all customers: the first rows of its ranking.
        (Some(bucket), None) => {
            let ranked = reader
                .ranking(&family::bucketed(family::TOP_INVOICED, &bucket), None, limit)
                .await?;
            ranked.into_iter().map(|(_, id, m)| (id, m)).collect()
        }
        _ => only_customer(reader.sum_entities(family::CUSTOMER_INVOICES, period).await?, customer),
    };
    let inputs = InvoiceInputs {
        period,
        today: view.today,
        invoices: &invoices,
        receivables_cents: receivables,
        open,
        aging_date,
        aging,
        customer_invoices: &per_customer,
        limit,
    };
    let mut statistics = invoice_statistics(&inputs);
    let top = &mut statistics.top_customers_by_invoices;
    let names =
        reader.customer_names(&top.iter().map(|r| r.customer_id).collect::<Vec<_>>()).await?;
    for row in top.iter_mut() {
        row.customer_name = names.get(&row.customer_id).cloned().unwrap_or_default();
    }
    view.respond(statistics).await
}

/// The `buckets` and `age_by` options.
fn bucket_options(params: &Params) -> Result<Buckets, ApiError> {
    let age_by = match params.one_of("age_by", &["due_date", "issue_date"])? {
        Some("issue_date") => AgeBy::IssueDate,
        _ => AgeBy::DueDate,
    };
    let Some(text) = params.get("buckets") else {
        return Ok(Buckets::default().with_age_by(age_by));
    };
    let limits = text
        .split(',')
        .map(|part| part.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            ApiError::parameter(
                "buckets",
                format!("`buckets` must list whole day limits such as 30,60,90, got `{text}`"),
            )
        })?;
    Buckets::new(limits, age_by)
        .map_err(|rule| ApiError::parameter("buckets", format!("`buckets` {rule}")))
}

/// `GET /invoices/aging-report` (`as_of_date` default today, `customer_id`,
/// `include_paid`, `buckets`, `age_by`; `limit`/`cursor` page `by_customer`).
async fn aging(
    State(ctx): State<Arc<ApiContext>>,
    principal: Principal,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = ctx.read_view(&principal, "aging-report").await?;
    let params = Params::parse(
        query.as_deref(),
        &["as_of_date", "customer_id", "include_paid", "buckets", "age_by", "limit", "cursor"],
    )?;
    let as_of = params.date("as_of_date")?.unwrap_or(view.today);
    if as_of < epoch() {
        return Err(ApiError::parameter("as_of_date", "`as_of_date` must be 1970-01-01 or later"));
    }
    let customer = params.id("customer_id")?;
    let include_paid = params.bool("include_paid")?.unwrap_or(false);
    let buckets = bucket_options(&params)?;
    let limit = params.limit()?;
    let reader = &view.reader;
    // Today, all customers, the standard buckets and no invoice event dated
    // after today: the dated sums and the ranking of customers by balance.
    if customer.is_none()
        && buckets.is_standard()
        && as_of == view.today
        && !reader.invoice_events_after(as_of).await?
    {
        let totals = reader.aging_totals(as_of).await?;
        let settled = if include_paid {
            let issued = reader.sum_through(family::INVOICES, as_of).await?;
            Some(Settled::of_issued(&issued, totals.open, totals.open_total, Vec::new()))
        } else {
            None
        };
        let keys = buckets.keys();
        let ranked =
            reader.customers_by_balance(view.after(&params)?.as_deref(), limit + 1).await?;
        let rows = ranked
            .into_iter()
            // Settled customers (at zero) only with `include_paid`.
            .filter(|(_, _, due)| include_paid || due.iter().any(|(_, v)| *v > 0))
            .map(|(key, id, due)| {
                (key, customer_row(id, &keys, &by_due_date(&buckets, as_of, &due)))
            })
            .collect();
        let (mut rows, next) = view.key_page(&params, rows, limit);
        name_customer_rows(reader, &mut rows).await?;
        let report = report(as_of, &buckets, &totals, settled.as_ref(), rows);
        return view.respond_list(report, NoTotals {}, next).await;
    }
    let offset = view.offset(&params)?;
    let mut report =
        aging_at(reader, &AgingQuery { as_of, customer, include_paid, buckets }).await?;
    let (mut rows, next) =
        view.page(&params, std::mem::take(&mut report.by_customer), offset, limit);
    name_customer_rows(reader, &mut rows).await?;
    report.by_customer = rows;
    view.respond_list(report, NoTotals {}, next).await
}
