//! Payment index reads: failed payments and open disputes.

use super::*;

/// An open dispute of the open-disputes index.
pub fn open_dispute(item: &Item) -> Result<OpenDispute, StoreError> {
    (|| {
        Some(OpenDispute {
            payment_id: attr_number(item, "payment_id")?,
            payment_number: attr_s(item, "payment_number")?.to_owned(),
            amount_cents: attr_number(item, "amount")?,
            dispute_reason: attr_s(item, "dispute_reason")?.to_owned(),
            disputed_at: attr_s(item, "disputed_at")?.to_owned(),
            evidence_due_date: date(item, "evidence_due_date")?,
            status: attr_s(item, "status")?.to_owned(),
        })
    })()
    .ok_or_else(|| malformed(item, "open dispute"))
}

pub fn failed_payment(item: &Item) -> Result<FailedPayment, StoreError> {
    (|| {
        Some(FailedPayment {
            payment_id: attr_number(item, "payment_id")?,
            payment_number: attr_s(item, "payment_number")?.to_owned(),
            amount_cents: attr_number(item, "amount")?,
            method: attr_s(item, "method")?.to_owned(),
            failure_reason: attr_s(item, "failure_reason")?.to_owned(),
            failed_at: attr_s(item, "failed_at")?.to_owned(),
            retry_count: attr_number(item, "retry_count").unwrap_or(0),
            can_retry: item
                .get("can_retry")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
            customer_id: attr_number(item, "customer_id")?,
        })
    })()
    .ok_or_else(|| malformed(item, "failed payment"))
}

impl AggregateReader<'_> {
    /// A page of the failed payments of a range, newest `failed_at` first
    /// (ids ascending within one instant), after the index key `after`
    /// (`{failed_at}#{id}`, the last row of the previous page). The cover's
    /// partitions hold disjoint dates, so they are read newest first, each
    /// backwards from the cut, until `rows` rows are found (plus the
    /// rest of the last row's instant, whose ids come last first when read
    /// backwards). Returns up to `rows` rows with their keys.
    pub async fn failed_payments_page(
        &self,
        range: DateRange,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, FailedPayment)>, StoreError> {
        let cut = after.and_then(|key| Some((entity_key::prefix_of(key)?, key)));
        let mut found: BTreeMap<String, Item> = BTreeMap::new();
        for key in cover_keys(range).iter().rev() {
            let pk = self.pk(&family::bucketed(family::FAILED_PAYMENTS, key));
            if let Some((at, after)) = cut {
                // The rest of the cut's instant: ids after the last one.
                let (_, last) = entity_key::range_under(at, at);
                for item in self.query_range(&pk, &entity_key::just_after(after), &last).await? {
                    found.insert(attr_s(&item, "sk").unwrap_or_default().to_owned(), item);
                }
            }
            let from = cut.map(|(at, _)| entity_key::first_under(at));
            let left = rows.saturating_sub(found.len()).max(1);
            let items = self.scan_partition(&pk, from.as_deref(), false, Some(left)).await?;
            // The lower ids of the last row's instant (read again from it).
            let last =
                (items.len() >= left).then(|| items.last().and_then(|i| attr_s(i, "sk"))).flatten();
            let rest =
                last.and_then(|sk| Some((entity_key::prefix_of(sk)?.to_owned(), sk.to_owned())));
            for item in items {
                found.insert(attr_s(&item, "sk").unwrap_or_default().to_owned(), item);
            }
            if let Some((at, last)) = rest {
                for item in self.query_range(&pk, &entity_key::first_under(&at), &last).await? {
                    found.insert(attr_s(&item, "sk").unwrap_or_default().to_owned(), item);
                }
            }
            if found.len() >= rows {
                break;
            }
        }
        let mut out = found
            .into_iter()
            .map(|(sk, item)| Ok((sk, failed_payment(&item)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by(|a, b| {
            b.1.failed_at.cmp(&a.1.failed_at).then(a.1.payment_id.cmp(&b.1.payment_id))
        });
        out.truncate(rows);
        Ok(out)
    }

    /// Up to `rows` open disputes by evidence due date after the key
    /// `after`, each with its key.
    pub async fn open_disputes_page(
        &self,
        after: Option<&str>,
        rows: usize,
    ) -> Result<Vec<(String, OpenDispute)>, StoreError> {
        self.key_page(&self.pk(family::OPEN_DISPUTES), after, true, rows, open_dispute).await
    }

    /// The open disputes' totals: all of them, and those due by `urgent_by`.
    pub async fn open_dispute_totals(
        &self,
        urgent_by: NaiveDate,
    ) -> Result<OpenDisputeTotals, StoreError> {
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(urgent_by);
        let all = self
            .sum(family::OPEN_DISPUTES_DUE, DateRange::new(crate::calendar::epoch(), last))
            .await?;
        let soon = self.sum_through(family::OPEN_DISPUTES_DUE, urgent_by).await?;
        Ok(OpenDisputeTotals::from_sums(&all, &soon))
    }
}
