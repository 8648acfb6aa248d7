//! `salesctl rebuild` and `salesctl verify`: recompute a tenant's
//! aggregates from the source table, write the difference, or report it.

use rollup::rebuild::{
    Difference, differences, expected_state, live_partitions, live_state, partitions,
    source_records,
};
use sales_shared::config::Config;
use sales_shared::store::StoreError;

use crate::progress;

async fn differences_with(
    dynamo: &aws_sdk_dynamodb::Client,
    config: &Config,
    tenant: &str,
    visible: bool,
) -> Result<Vec<Difference>, StoreError> {
    let bar = progress::spinner(visible, "reading source records", "records");
    let records =
        source_records(dynamo, &config.source_table, tenant, &|n| bar.inc(n as u64)).await?;
    bar.finish_and_clear();
    let expected = expected_state(tenant, &records);
    let mut pks = partitions(tenant, &expected);
    pks.extend(live_partitions(dynamo, &config.aggregates_table, tenant).await?);
    let live = live_state(dynamo, &config.aggregates_table, tenant, &pks).await?;
    Ok(differences(&expected, &live))
}

/// The items whose live aggregates differ from a from-scratch computation.
pub async fn verify(
    config: &Config,
    tenant: &str,
    visible: bool,
) -> Result<Vec<Difference>, StoreError> {
    let dynamo = sales_shared::aws::dynamodb(config).await;
    differences_with(&dynamo, config, tenant, visible).await
}

/// Rewrites every differing aggregate item; returns how many. Run it with
/// the stream pump (or the event source mapping) paused and drained.
pub async fn rebuild(config: &Config, tenant: &str, visible: bool) -> Result<usize, StoreError> {
    let dynamo = sales_shared::aws::dynamodb(config).await;
    let diffs = differences_with(&dynamo, config, tenant, visible).await?;
    let bar = progress::bar(visible, diffs.len() as u64, "rewriting aggregates", "items");
    let written = crate::bulk::write_all(
        &dynamo,
        &config.aggregates_table,
        diffs.into_iter(),
        crate::bulk::DEFAULT_CONCURRENCY,
        &|n| bar.inc(n as u64),
    )
    .await?;
    bar.finish_and_clear();
    Ok(written)
}
