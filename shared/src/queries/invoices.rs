//! `/invoices/statistics` and the receivables aging report (also the
//! management report's aging section).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::QueryError;
use crate::calendar::{calendar_bucket_of, epoch, is_month_key};
use crate::envelope::NoTotals;
use crate::figures::aging::{
    AgingInvoice, AgingReport, AgingTotals, Buckets, CustomerRow, Settled, aging_report,
    by_due_date, customer_row, name_rows, report,
};
use crate::figures::get;
use crate::figures::invoices::{
    InvoiceInputs, InvoiceStatistics, OpenInPeriod, billed_customers, statistics,
};
use crate::layout::EntityMeasures;
use crate::layout::{family, measure};
use crate::paging::{ListPage, Position};
use crate::periods::DateRange;
use crate::store::StoreError;
use crate::store::aggregates::AggregateReader;

/// What `/invoices/statistics` asks for.
#[derive(Debug, Clone, Copy)]
pub struct StatisticsQuery {
    pub period: DateRange,
    pub customer: Option<i64>,
    /// Rows of `top_customers_by_invoices`.
    pub limit: usize,
}

/// How `top_customers_by_invoices` of a range other than a calendar month
/// is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopInvoiced {
    /// By the threshold algorithm over the lifetime ranking, reading at
    /// most this many items.
    Threshold { max_items: u64 },
    /// From every customer invoiced in the range.
    EveryCustomer,
}

/// Invoice statistics of a period, of all customers or one, at `today`;
/// `None` when the threshold algorithm would read more than it may.
pub async fn invoice_statistics(
    reader: &AggregateReader<'_>,
    query: StatisticsQuery,
    today: NaiveDate,
    top: TopInvoiced,
) -> Result<Option<InvoiceStatistics>, StoreError> {
    let StatisticsQuery { period, customer, limit } = query;
    let slice = invoices_family(customer);
    let invoices = reader.sum(&slice, period).await?;
    let receivables = get(&reader.sum_through(&slice, period.to).await?, measure::AR_CHANGE);
    let aging_date = period.to.min(today);
    // All customers: dated sums (any period, any date). One customer: that
    // customer's invoices from the closing-date index.
    let (open, aging) = match customer {
        None => {
            (reader.open_in_period(period, today).await?, reader.aging_totals(aging_date).await?)
        }
        Some(_) => {
            let open_today = invoices_open_at(reader, today, customer).await?;
            let at_aging_date = invoices_open_at(reader, aging_date, customer).await?;
            (
                OpenInPeriod::of(&open_today, period, today),
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
        // One customer: their items of the range's cover.
        (_, Some(id)) => reader.customer_invoices_in(&[id], period).await?.1,
        (None, None) => match top {
            TopInvoiced::Threshold { max_items } => {
                let Some(rows) = reader.top_invoiced_in(period, limit, max_items).await? else {
                    return Ok(None);
                };
                rows.into_iter().collect()
            }
            TopInvoiced::EveryCustomer => {
                reader.sum_entities(family::CUSTOMER_INVOICES, period).await?
            }
        },
    };
    let inputs = InvoiceInputs {
        period,
        today,
        invoices: &invoices,
        receivables_cents: receivables,
        open,
        aging_date,
        aging,
        customer_invoices: &per_customer,
        limit,
    };
    let mut out = statistics(&inputs);
    let top = &mut out.top_customers_by_invoices;
    let ids: Vec<i64> = top.iter().map(|r| r.customer_id).collect();
    let names = reader.customer_names(&ids).await?;
    for row in top.iter_mut() {
        row.customer_name = names.get(&row.customer_id).cloned().unwrap_or_default();
    }
    Ok(Some(out))
}

/// Invoices open at the end of `day`, of one customer or of all (the
/// closing-date index: exactly the invoices open then).
pub async fn invoices_open_at(
    reader: &AggregateReader<'_>,
    day: NaiveDate,
    customer: Option<i64>,
) -> Result<Vec<AgingInvoice>, StoreError> {
    Ok(reader
        .invoices_open_at(day)
        .await?
        .into_iter()
        .map(|(invoice, _)| invoice)
        .filter(|i| customer.is_none_or(|c| c == i.customer_id))
        .collect())
}

/// What an aging report asks for.
#[derive(Debug, Clone)]
pub struct AgingQuery {
    pub as_of: NaiveDate,
    pub customer: Option<i64>,
    pub include_paid: bool,
    pub buckets: Buckets,
}

/// The aging report as `/invoices/aging-report` pages it: `limit` named
/// rows of `by_customer` from `start`.
///
/// Today, for all customers, in the standard buckets and with no invoice
/// event dated after today, it reads the dated sums and the ranking of
/// customers by balance (key-paged); at any other date or with any other
/// option, [`aging_at`] (offset-paged).
pub async fn aging_page(
    reader: &AggregateReader<'_>,
    query: &AgingQuery,
    today: NaiveDate,
    start: Option<Position>,
    limit: usize,
) -> Result<ListPage<AgingReport, NoTotals>, QueryError> {
    let AgingQuery { as_of, customer, include_paid, ref buckets } = *query;
    if customer.is_none()
        && buckets.is_standard()
        && as_of == today
        && !reader.invoice_events_after(as_of).await?
    {
        let after = Position::key(start)?;
        let totals = reader.aging_totals(as_of).await?;
        let settled = if include_paid {
            let issued = reader.sum_through(family::INVOICES, as_of).await?;
            Some(Settled::of_issued(&issued, totals.open, totals.open_total, Vec::new()))
        } else {
            None
        };
        let keys = buckets.keys();
        let ranked = reader.customers_by_balance(after.as_deref(), limit + 1).await?;
        let rows = ranked
            .into_iter()
            // Settled customers (at zero) only with `include_paid`.
            .filter(|(_, _, due)| include_paid || due.iter().any(|(_, v)| *v > 0))
            .map(|(key, id, due)| {
                (key, customer_row(id, &keys, &by_due_date(buckets, as_of, &due)))
            })
            .collect();
        let mut page = ListPage::of_keyed(rows, limit, NoTotals {});
        name_customer_rows(reader, &mut page.data).await?;
        return Ok(page.map(|rows| report(as_of, buckets, &totals, settled.as_ref(), rows)));
    }
    let offset = Position::offset(start)?;
    let mut report = aging_at(reader, query).await?;
    let all = std::mem::take(&mut report.by_customer);
    let mut page = ListPage::of_ranked(all, offset, limit, NoTotals {});
    name_customer_rows(reader, &mut page.data).await?;
    Ok(page.map(|rows| AgingReport { by_customer: rows, ..report }))
}

/// The aging report at any date, from the invoices open then: every
/// customer with a balance ranked in `by_customer` (unnamed: name the
/// page with [`name_customer_rows`]), and with `include_paid`
/// the invoices settled by the date and every customer billed by then.
pub async fn aging_at(
    reader: &AggregateReader<'_>,
    query: &AgingQuery,
) -> Result<AgingReport, StoreError> {
    let AgingQuery { as_of, customer, include_paid, ref buckets } = *query;
    let invoices = invoices_open_at(reader, as_of, customer).await?;
    let settled = if include_paid {
        let through = DateRange::new(epoch(), as_of);
        let issued = reader.sum(&invoices_family(customer), through).await?;
        let open: Vec<&AgingInvoice> = invoices.iter().filter(|i| i.is_open_at(as_of)).collect();
        let open_total = open.iter().map(|i| i.total_cents).sum();
        let billed =
            only_customer(reader.sum_entities(family::CUSTOMER_INVOICES, through).await?, customer);
        let customers = billed_customers(&billed);
        Some(Settled::of_issued(&issued, open.len() as i128, open_total, customers))
    } else {
        None
    };
    Ok(aging_report(as_of, &invoices, buckets, settled.as_ref()))
}

/// Fills in the names, numbers and credit of `by_customer` rows (reading
/// those customers' copies only).
pub async fn name_customer_rows(
    reader: &AggregateReader<'_>,
    rows: &mut [CustomerRow],
) -> Result<(), StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    let info: BTreeMap<_, _> =
        reader.customer_info(&ids).await?.into_iter().map(|(id, (_, info))| (id, info)).collect();
    name_rows(rows, &info);
    Ok(())
}

/// The invoice measures family of the `customer_id` filter.
pub fn invoices_family(customer: Option<i64>) -> String {
    customer.map_or_else(|| family::INVOICES.to_owned(), family::invoices_of_customer)
}

/// The measures of one customer only, or of all.
pub fn only_customer(mut customers: EntityMeasures, customer: Option<i64>) -> EntityMeasures {
    if let Some(id) = customer {
        customers.retain(|c, _| *c == id);
    }
    customers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_name_one_customer_or_all() {
        let all = EntityMeasures::from([(1, Default::default()), (2, Default::default())]);
        assert_eq!(only_customer(all.clone(), None), all);
        assert_eq!(only_customer(all.clone(), Some(2)).into_keys().collect::<Vec<_>>(), [2]);
        assert!(only_customer(all, Some(3)).is_empty());
        assert_eq!(invoices_family(None), family::INVOICES);
        assert_eq!(invoices_family(Some(7)), family::invoices_of_customer(7));
    }
}
