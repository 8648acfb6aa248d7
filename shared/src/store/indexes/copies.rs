//! Copies of source records (customers, products, reps, monthly
//! amounts): names, numbers and targets by id.

use super::*;

fn copy_of<T: serde::de::DeserializeOwned>(item: &Item) -> Result<(i64, T), StoreError> {
    let id = attr_s(item, "sk")
        .and_then(|sk| sk.parse::<i64>().ok())
        .ok_or_else(|| malformed(item, "copy"))?;
    let record = attr_s(item, "record").ok_or_else(|| malformed(item, "copy"))?;
    let body = serde_json::from_str(record).map_err(|_| malformed(item, "copy"))?;
    Ok((id, body))
}

impl AggregateReader<'_> {
    async fn copies<T: serde::de::DeserializeOwned>(
        &self,
        family: &str,
        ids: Option<&[i64]>,
    ) -> Result<BTreeMap<i64, T>, StoreError> {
        let items = match ids {
            Some(ids) => {
                self.batch_get(
                    ids.iter().map(|id| (self.pk(family), entity_key::sk(*id))).collect(),
                )
                .await?
            }
            None => self.scan_partition(&self.pk(family), None, true, None).await?,
        };
        items.iter().map(copy_of).collect()
    }

    /// Names, numbers and credit limits of the given customers.
    pub async fn customer_info(
        &self,
        ids: &[i64],
    ) -> Result<BTreeMap<i64, (Customer, CustomerInfo)>, StoreError> {
        let copies: BTreeMap<i64, Customer> = self.copies(family::CUSTOMERS, Some(ids)).await?;
        Ok(copies
            .into_iter()
            .map(|(id, c)| {
                let info = CustomerInfo {
                    name: c.company_name.clone(),
                    number: c.customer_number.clone(),
                    credit_limit: c.credit_limit,
                };
                (id, (c, info))
            })
            .collect())
    }

    /// Company names of the given customers.
    pub async fn customer_names(&self, ids: &[i64]) -> Result<BTreeMap<i64, String>, StoreError> {
        Ok(self
            .customer_info(ids)
            .await?
            .into_iter()
            .map(|(id, (_, info))| (id, info.name))
            .collect())
    }

    /// Every sales rep.
    pub async fn sales_reps(&self) -> Result<BTreeMap<i64, SalesRep>, StoreError> {
        self.copies(family::SALES_REPS, None).await
    }

    /// SKU and name of the given products.
    pub async fn products(&self, ids: &[i64]) -> Result<BTreeMap<i64, ProductInfo>, StoreError> {
        let copies: BTreeMap<i64, Product> = self.copies(family::PRODUCTS, Some(ids)).await?;
        Ok(copies
            .into_iter()
            .map(|(id, p)| (id, ProductInfo { sku: p.sku, name: p.name }))
            .collect())
    }

    /// Monthly amounts (`sales_target` or `marketing_spend`) by `YYYY-MM`.
    pub async fn monthly_amounts(
        &self,
        family: &str,
    ) -> Result<BTreeMap<String, Decimal>, StoreError> {
        let copies: BTreeMap<i64, MonthlyAmount> = self.copies(family, None).await?;
        let mut out = BTreeMap::new();
        for m in copies.into_values() {
            *out.entry(m.month).or_insert(Decimal::ZERO) += m.amount;
        }
        Ok(out)
    }
}
