//! `salesctl rebuild` and `salesctl verify`: recompute a tenant's
//! aggregates from the source table, write the difference, or report it.

use indicatif::{ProgressBar, ProgressStyle};
use rollup::rebuild::{
    Difference, differences, expected_state, live_state, partitions, source_records, write_differences,
};
use sales_shared::config::Config;
use sales_shared::store::StoreError;

fn spinner(progress: bool, template: &str) -> ProgressBar {
    let bar = if progress { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar
}

/// The items whose live aggregates differ from a from-scratch computation.
pub async fn verify(config: &Config, tenant: &str, progress: bool) -> Result<Vec<Difference>, StoreError> {
    let dynamo = sales_shared::aws::dynamodb(config).await;
    let bar = spinner(progress, "{spinner} reading source records: {pos}");
    let records = source_records(&dynamo, &config.source_table, tenant, &|n| bar.inc(n as u64)).await?;
    bar.finish_and_clear();
    let expected = expected_state(tenant, &records);
    let pks = partitions(tenant, &expected);
    let live = live_state(&dynamo, &config.aggregates_table, tenant, &pks).await?;
    Ok(differences(&expected, &live))
}

/// Rewrites every differing aggregate item; returns how many. Run it with
/// the stream pump (or the event source mapping) paused and drained.
pub async fn rebuild(config: &Config, tenant: &str, progress: bool) -> Result<usize, StoreError> {
    let diffs = verify(config, tenant, progress).await?;
    let dynamo = sales_shared::aws::dynamodb(config).await;
    let bar = if progress { ProgressBar::new(diffs.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("rewriting aggregates [{bar:40}] {pos}/{len} items")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let written = write_differences(&dynamo, &config.aggregates_table, &diffs, &|n| bar.inc(n as u64)).await?;
    bar.finish_and_clear();
    Ok(written)
}
