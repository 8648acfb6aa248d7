//! The aggregates table: additive measures per tenant, family and bucket
//! (`pk = {tenant}#{family}`, `sk = D#date | M#month | Y#year`, one integer
//! `N` attribute per measure, money in cents), the per-record ledger that
//! makes stream delivery exactly-once in effect, index items, the tenant's
//! settings copy and the rollup watermark.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::calendar::epoch;
use crate::periods::DateRange;
use crate::records::{RecordKey, TenantSettings};

use super::item::{attr_number, attr_s, key_map};
use crate::layout::*;

/// Every registered tenant.
pub async fn tenants(client: &Client, table: &str) -> Result<Vec<String>, StoreError> {
    let items = super::query_partition(client, table, TENANTS_PK).await?;
    Ok(items.iter().filter_map(|i| attr_s(i, "sk").map(str::to_owned)).collect())
}

/// A ledger entry: the stream position (padded sequence number) and the
/// version of a record's last applied change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub sequence: String,
    pub version: i64,
}

impl LedgerEntry {
    /// The ledger item of `key` holding this entry, as [`read_ledgers`]
    /// reads it back.
    pub fn item(&self, key: &RecordKey) -> super::Item {
        let (pk, sk) = ledger_key(key);
        let mut item = key_map(pk, sk);
        item.insert("seq".into(), AttributeValue::S(self.sequence.clone()));
        item.insert("version".into(), AttributeValue::N(self.version.to_string()));
        item
    }
}

/// The integer measures of a bucket item.
pub fn measures_of(item: &HashMap<String, AttributeValue>) -> Result<Measures, StoreError> {
    let mut out = Measures::new();
    for (name, value) in item {
        if name.starts_with('_') {
            continue;
        }
        if let AttributeValue::N(n) = value {
            // Integers only; DynamoDB Local may write `3.0` for sums of
            // decimals, which never happens with integer cents.
            let parsed = n.parse::<Measure>().map_err(|_| StoreError::Malformed {
                key: attr_s(item, "pk").unwrap_or("?").to_owned(),
                message: format!("measure {name} = {n} is not an integer"),
            })?;
            out.insert(name.clone(), parsed);
        }
    }
    Ok(out)
}

/// Reads aggregates of one tenant, counting the items it reads. Its
/// methods, by what they read:
/// - sums of measures over a cover (`sum`, `sum_through`, `daily` ...),
///   the settings, the watermark and the ledger: here;
/// - query pages, per-entity sums, product shards, rankings, by-date
///   pages: `store/indexes.rs`, and by area, one `impl` block each, in
///   `store/indexes/`: `orders.rs` (order index rows, extremes, daily
///   orders), `invoices.rs` (the closing-date index, aging sums, ranking
///   by balance), `payments.rs` (failed payments, open disputes),
///   `customers.rs` (customer sets, counts, rankings, histories, the
///   lifetime histogram), `copies.rs` (customers, products, reps, monthly
///   amounts by id);
/// - the amount index's merged pages (high-value orders):
///   `store/high_value.rs`.
///
/// What a figure set reads as a whole is in `crate::queries`.
pub struct AggregateReader<'a> {
    pub(crate) client: &'a Client,
    pub(crate) table: &'a str,
    pub(crate) tenant: &'a str,
    pub(crate) items_read: AtomicU64,
    /// The sums read so far: a request that needs one sum twice (its
    /// size for the read budget, then its figures) reads it once.
    sums: std::sync::Mutex<HashMap<(String, DateRange), Measures>>,
}

impl<'a> AggregateReader<'a> {
    pub fn new(client: &'a Client, table: &'a str, tenant: &'a str) -> Self {
        AggregateReader {
            client,
            table,
            tenant,
            items_read: AtomicU64::new(0),
            sums: std::sync::Mutex::default(),
        }
    }

    /// Items read so far (for the read-cost measurements).
    pub fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }

    pub(crate) async fn query_range(
        &self,
        pk: &str,
        first: &str,
        last: &str,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let (page, next) = self.query_page(pk, first, last, start).await?;
            items.extend(page);
            start = next;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// The items of several key ranges `(first, last)` of one partition,
    /// queried at once, in the order of the ranges (a cover has at most
    /// five).
    pub(crate) async fn query_ranges(
        &self,
        pk: &str,
        ranges: &[(String, String)],
    ) -> Result<Vec<super::Item>, StoreError> {
        let reads = ranges.iter().map(|(first, last)| self.query_range(pk, first, last));
        Ok(futures::future::try_join_all(reads).await?.into_iter().flatten().collect())
    }

    pub(crate) async fn get(
        &self,
        (pk, sk): (String, String),
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table)
            .set_key(Some(key_map(pk, sk)))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("GetItem", e))?;
        if out.item.is_some() {
            self.items_read.fetch_add(1, Ordering::Relaxed);
        }
        Ok(out.item)
    }

    /// Sum of a family's measures over a range of local dates, read from the
    /// fewest whole buckets.
    pub async fn sum(&self, family: &str, range: DateRange) -> Result<Measures, StoreError> {
        let key = (family.to_owned(), range);
        if let Some(hit) = self.sums.lock().ok().and_then(|sums| sums.get(&key).cloned()) {
            return Ok(hit);
        }
        // Each partial year by its cover, or as its year less the rest
        // when that is fewer buckets (to today: less the days after it).
        let (plus, minus) = crate::calendar::signed_cover(range);
        let mut total = self.sum_pieces(family, plus).await?;
        if !minus.is_empty() {
            for (name, value) in self.sum_pieces(family, minus).await? {
                let entry = total.entry(name).or_default();
                *entry = entry.saturating_sub(value);
            }
        }
        if let Ok(mut sums) = self.sums.lock() {
            sums.insert(key, total.clone());
        }
        Ok(total)
    }

    /// Sum of a family kept in day and month items over `range`: the
    /// cover with whole years read as their months.
    pub async fn sum_without_years(
        &self,
        family: &str,
        range: DateRange,
    ) -> Result<Measures, StoreError> {
        self.sum_pieces(family, crate::calendar::cover_without_years(range)).await
    }

    /// Sum of a family's items in the key ranges of a cover.
    async fn sum_pieces(
        &self,
        family: &str,
        pieces: Vec<crate::calendar::KeyRange>,
    ) -> Result<Measures, StoreError> {
        let pk = measures_pk(self.tenant, family);
        let ranges: Vec<(String, String)> = pieces.into_iter().map(|p| (p.first, p.last)).collect();
        let mut total = Measures::new();
        for item in self.query_ranges(&pk, &ranges).await? {
            add_measures(&mut total, &measures_of(&item)?);
        }
        Ok(total)
    }

    /// Sum from the first day of data through `through` (balances): the
    /// years before, then the months and days of `through`'s year up to it,
    /// or, when fewer buckets, the whole of its year less the buckets after
    /// it (which are often empty: the future holds no data).
    pub async fn sum_through(
        &self,
        family: &str,
        through: NaiveDate,
    ) -> Result<Measures, StoreError> {
        use chrono::Datelike;
        let year_end = NaiveDate::from_ymd_opt(through.year(), 12, 31).unwrap_or(through);
        let month_days = crate::periods::month_range(through.year(), through.month()).days();
        let forward = i64::from(through.month() - 1) + i64::from(through.day());
        let backward =
            1 + i64::from(12 - through.month()) + (month_days - i64::from(through.day()));
        let Some(next) = through.succ_opt().filter(|_| backward < forward && through < year_end)
        else {
            return self.sum(family, DateRange::new(epoch(), through)).await;
        };
        let mut total = self.sum(family, DateRange::new(epoch(), year_end)).await?;
        for (name, value) in self.sum(family, DateRange::new(next, year_end)).await? {
            let entry = total.entry(name).or_default();
            *entry = entry.saturating_sub(value);
        }
        Ok(total)
    }

    /// The tenant's settings as the rollup copied them (defaults if none).
    pub async fn settings(&self) -> Result<TenantSettings, StoreError> {
        let Some(item) = self.get(settings_key(self.tenant)).await? else {
            return Ok(TenantSettings::default());
        };
        let text = attr_s(&item, "settings").unwrap_or("{}");
        serde_json::from_str(text).map_err(|e| StoreError::Malformed {
            key: settings_key(self.tenant).0,
            message: e.to_string(),
        })
    }

    /// The newest source change the aggregates include.
    pub async fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let item = self.get(watermark_key(self.tenant)).await?;
        Ok(item
            .as_ref()
            .and_then(|i| attr_s(i, "through"))
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    /// The ledger entry of a source record.
    pub async fn ledger(&self, key: &RecordKey) -> Result<Option<LedgerEntry>, StoreError> {
        let item = self.get(ledger_key(key)).await?;
        Ok(item.and_then(|i| {
            Some(LedgerEntry {
                sequence: attr_s(&i, "seq")?.to_owned(),
                version: attr_number(&i, "version")?,
            })
        }))
    }
}
/// Ledger entries of many records (consistent reads).
pub async fn read_ledgers(
    client: &Client,
    table: &str,
    keys: &[&RecordKey],
) -> Result<HashMap<RecordKey, LedgerEntry>, StoreError> {
    let by_pk: HashMap<String, &RecordKey> =
        keys.iter().map(|key| (ledger_key(key).0, *key)).collect();
    let items = super::batch_get_items(
        client,
        table,
        keys.iter().map(|key| ledger_key(key)).collect(),
        true,
    )
    .await?;
    let mut found = HashMap::new();
    for item in items {
        let entry = attr_s(&item, "seq")
            .zip(attr_number(&item, "version"))
            .map(|(seq, version)| LedgerEntry { sequence: seq.to_owned(), version });
        if let (Some(key), Some(entry)) = (attr_s(&item, "pk").and_then(|pk| by_pk.get(pk)), entry)
        {
            found.insert((*key).clone(), entry);
        }
    }
    Ok(found)
}
