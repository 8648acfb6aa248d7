//! Invoice reads behind aging: the closing-date index, the dated aging
//! sums, the open invoices of a period and the ranking by balance.

use super::*;
use crate::calendar::bucket_key;
use crate::layout::close_index;

/// Queries of the closing-date index in flight at once.
pub const CLOSE_INDEX_READS: usize = 16;

/// An invoice of the closing-date index, with its dated applications.
pub fn aging_invoice(item: &Item) -> Result<(AgingInvoice, Option<i64>), StoreError> {
    (|| {
        let applications: Vec<(String, Measure)> =
            serde_json::from_str(attr_s(item, "applications")?).ok()?;
        let applications = applications
            .into_iter()
            .map(|(d, c)| Some((d.parse().ok()?, c)))
            .collect::<Option<Vec<_>>>()?;
        let invoice = AgingInvoice {
            invoice_id: attr_number(item, "invoice_id")?,
            invoice_number: attr_s(item, "invoice_number")?.to_owned(),
            customer_id: attr_number(item, "customer_id")?,
            issued_on: date(item, "issued_on")?,
            due_date: date(item, "due_date")?,
            total_cents: attr_number(item, "total")?,
            written_off_cents: attr_number(item, "written_off").unwrap_or(0),
            written_off_on: date(item, "written_off_on"),
            applications,
        };
        Some((invoice, attr_number(item, "order_id")))
    })()
    .ok_or_else(|| malformed(item, "invoice closing index"))
}

impl AggregateReader<'_> {
    /// Invoices open at the end of `day` (issued by then, closed after
    /// it), each with its order id: the closing-date index under every
    /// issue year, month and day through `day`, from the key after it
    /// (`layout::close_index`), up to [`CLOSE_INDEX_READS`] queries at once.
    /// Reads the years with invoices first (one item per year), then
    /// exactly the invoices open at `day`.
    pub async fn invoices_open_at(
        &self,
        day: NaiveDate,
    ) -> Result<Vec<(AgingInvoice, Option<i64>)>, StoreError> {
        use futures::{StreamExt, TryStreamExt};
        let years = self.invoice_years_before(day.year()).await?;
        let from = close_index::first_key_after(day);
        let partitions = close_index::partitions_through(day, &years);
        let reads: Vec<_> = partitions
            .into_iter()
            .map(|family| {
                let (pk, from) = (self.pk(&family), from.clone());
                async move { self.scan_partition(&pk, Some(&from), true, None).await }
            })
            .collect();
        let pages: Vec<Vec<Item>> =
            futures::stream::iter(reads).buffer_unordered(CLOSE_INDEX_READS).try_collect().await?;
        let mut invoices: Vec<(AgingInvoice, Option<i64>)> =
            pages.iter().flatten().map(aging_invoice).collect::<Result<_, _>>()?;
        invoices.sort_by_key(|(invoice, _)| invoice.invoice_id);
        Ok(invoices)
    }

    /// The years before `year` in which invoices were issued (the `Y#`
    /// items of the `invoices` family).
    async fn invoice_years_before(&self, year: i32) -> Result<Vec<i32>, StoreError> {
        let last = bucket_key(
            Grain::Year,
            NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or(NaiveDate::MIN),
        );
        let items = self.query_range(&self.pk(family::INVOICES), "Y#", &last).await?;
        Ok(items
            .iter()
            .filter_map(|item| attr_s(item, "sk")?.strip_prefix("Y#")?.parse().ok())
            .collect())
    }

    /// The given customers' `customer_invoices` measures summed over
    /// `range` (one read of each of their items under
    /// [`crate::calendar::signed_cover_keys`]: a year less the days after
    /// today is one item), and the items read.
    pub async fn customer_invoices_in(
        &self,
        ids: &[i64],
        range: DateRange,
    ) -> Result<(u64, EntityMeasures), StoreError> {
        let pk = self.pk(family::CUSTOMER_INVOICES);
        let signed: HashMap<String, i8> =
            crate::calendar::signed_cover_keys(range).into_iter().collect();
        let keys: Vec<(String, String)> = ids
            .iter()
            .flat_map(|id| signed.keys().map(|b| (pk.clone(), entity_key::under(b, *id))))
            .collect();
        let items = self.batch_get(keys).await?;
        let mut out = EntityMeasures::new();
        for item in &items {
            let sk = attr_s(item, "sk").unwrap_or_default();
            let (Some(id), Some(sign)) = (
                entity_key::id_of(sk),
                entity_key::prefix_of(sk).and_then(|bucket| signed.get(bucket)),
            ) else {
                return Err(malformed(item, "entity key"));
            };
            let total = out.entry(id).or_default();
            for (name, v) in measures_of(item)? {
                let sum = total.entry(name).or_default();
                *sum = sum.saturating_add(Measure::from(*sign).saturating_mul(v));
            }
        }
        Ok((items.len() as u64, out))
    }

    /// Customers by open balance now (descending, ids ascending), with
    /// their open balances by due date; customers whose invoices are all
    /// settled follow at zero.
    pub async fn customers_by_balance(
        &self,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, i64, Vec<(NaiveDate, Measure)>)>, StoreError> {
        let rows = self.ranking(family::AR_CUSTOMERS, after, rows).await?;
        Ok(rows
            .into_iter()
            .map(|(sk, id, m)| {
                let due = m
                    .iter()
                    .filter_map(|(name, v)| Some((measure::day_of_due(name)?, *v)))
                    .collect();
                (sk, id, due)
            })
            .collect())
    }

    /// Whether an invoice event (issue, payment, write-off) is dated after
    /// `day`: then the state "after every event" is not the state at `day`.
    pub async fn invoice_events_after(&self, day: NaiveDate) -> Result<bool, StoreError> {
        self.dated_after(family::INVOICES, day).await
    }

    /// Invoices open at the end of `as_of`, in the standard buckets (the
    /// `aging` family summed through it: one cover, any date).
    pub async fn aging_totals(&self, as_of: NaiveDate) -> Result<AgingTotals, StoreError> {
        Ok(AgingTotals::from_sums(as_of, &self.sum_through(family::AGING, as_of).await?))
    }

    /// The invoices issued in `period` that are open at the end of `at`
    /// (`invoices_open` over the period's days and months).
    pub async fn open_in_period(
        &self,
        period: DateRange,
        at: NaiveDate,
    ) -> Result<OpenInPeriod, StoreError> {
        let total = self.sum_without_years(family::INVOICES_OPEN, period).await?;
        Ok(OpenInPeriod::from_steps(&total, at))
    }
}
