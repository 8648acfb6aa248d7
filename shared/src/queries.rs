//! Figure sets that read the aggregates, compute and name their rows: one
//! function each, used by the HTTP handlers, the scheduled reports and
//! anything else that needs the same figures. The rules themselves are
//! pure functions of `metrics`; these only gather their inputs.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::buckets::epoch;
use crate::layout::family;
use crate::metrics::aging::{
    AgingInvoice, AgingReport, Buckets, CustomerRow, Settled, aging_report, name_rows,
};
use crate::metrics::invoices::customer_invoice_rows;
use crate::metrics::revenue::{RevenueByProduct, name_products};
use crate::periods::DateRange;
use crate::store::StoreError;
use crate::store::aggregates::{AggregateReader, EntityMeasures};

/// Revenue and units by product over `range`, the first `limit` by
/// revenue, with SKUs and names.
pub async fn revenue_by_product(
    reader: &AggregateReader<'_>,
    range: DateRange,
    limit: usize,
) -> Result<RevenueByProduct, StoreError> {
    let measures = reader.sum_shards(family::PRODUCT_SALES, range).await?;
    let mut ranked = crate::metrics::revenue::revenue_by_product(&measures, limit);
    let ids: Vec<i64> = ranked.by_product.iter().map(|p| p.product_id).collect();
    name_products(&mut ranked, &reader.products(&ids).await?);
    Ok(ranked)
}

/// Invoices open at the end of `day` or closed since, of one customer or
/// of all (the closing-date index from the next day on).
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

/// The aging report at any date, from the invoices open then or closed
/// since: every customer with a balance ranked in `by_customer` (unnamed:
/// name the page with [`name_customer_rows`]), and with `include_paid`
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
        let customers =
            customer_invoice_rows(&billed, usize::MAX).iter().map(|r| r.customer_id).collect();
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
