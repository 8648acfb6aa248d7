//! `salesctl`: the admin command-line tool.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use sales_shared::config::Config;
use sales_shared::http::ApiContext;
use secrecy::ExposeSecret;

#[derive(Parser)]
#[command(name = "salesctl", about = "Sales Analytics admin tool", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the tables and the exports bucket (from template.yaml) on the
    /// configured local services.
    Setup,
    /// Validate JSON Lines records and write them to the source table.
    Load {
        #[arg(long)]
        tenant: String,
        /// Return only once the rollups have applied every change written.
        #[arg(long)]
        wait: bool,
        /// Longest wait for the rollups, in seconds.
        #[arg(long, default_value_t = 600)]
        wait_timeout: u64,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Generate the deterministic demo data set (and load it unless --out).
    DemoData {
        #[arg(long, default_value = "demo")]
        tenant: String,
        /// Write JSON Lines here instead of loading.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Orders per month.
        #[arg(long, default_value_t = 400)]
        orders_per_month: u32,
        #[arg(long, default_value_t = 14)]
        months: u32,
        /// Wait for the rollups after loading.
        #[arg(long)]
        wait: bool,
        /// Load nothing when the tenant already has its settings record (a
        /// repeat `make dev`); otherwise write the records in batches, as
        /// into an empty tenant (then run `catch-up` with the pump stopped).
        #[arg(long)]
        unless_loaded: bool,
    },
    /// Print a token the local stack accepts (HS256, SALES_JWT_SECRET).
    Token {
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "sales:read sales:export sales:alerts sales:reports")]
        scope: String,
        /// Lifetime in hours.
        #[arg(long, default_value_t = 24)]
        ttl_hours: u64,
    },
    /// Run the local stream pump: source-table stream to the rollup handler.
    Pump {
        /// Poll interval in milliseconds.
        #[arg(long, default_value_t = 250)]
        interval_ms: u64,
        /// Where to keep shard checkpoints between runs.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// Where records that keep failing go (the local dead-letter queue).
        #[arg(long)]
        dead_letter: Option<PathBuf>,
    },
    /// Recompute a tenant's aggregates from the source table and rewrite
    /// what differs. Locally, stop the stream pump first; in AWS, name the
    /// rollup's stream mapping and it is paused around the rebuild.
    Rebuild {
        #[arg(long)]
        tenant: String,
        /// The rollup's event source mapping (the stack output
        /// `RollupStreamMappingId`): disabled, drained, then enabled again
        /// after the rebuild. Required against AWS.
        #[arg(long, env = "SALES_ROLLUP_MAPPING")]
        pause_mapping: Option<String>,
    },
    /// Compare a tenant's live aggregates with a from-scratch computation;
    /// print every difference and exit 1 if there is any.
    Verify {
        #[arg(long)]
        tenant: String,
    },
    /// Write a tenant's management report of a month (PDF and Excel) to
    /// the exports bucket: the scheduled export function's code.
    Report {
        #[arg(long)]
        tenant: String,
        /// `YYYY-MM`; default: the month before the tenant's today.
        #[arg(long)]
        month: Option<String>,
    },
    /// KPI alert rules (created through the API, scope `sales:alerts`).
    Alerts {
        #[command(subcommand)]
        action: AlertsAction,
    },
    /// Scheduled digests (subscriptions are made through the API, scope
    /// `sales:reports`).
    Digests {
        #[command(subcommand)]
        action: DigestsAction,
    },
    /// Bring a tenant's aggregates up to its source records in one pass
    /// (ledger entries from the stream, then a rebuild), for a large load
    /// with the stream pump stopped.
    CatchUp {
        #[arg(long)]
        tenant: String,
    },
    /// Serve every HTTP function's routes on loopback, and the API explorer
    /// (Swagger UI over docs/openapi.yaml) at /docs.
    Serve {
        #[arg(long, env = "SALES_API_PORT", default_value_t = 9000)]
        port: u16,
        /// The npm package `swagger-ui-dist` (installed by `stack.sh install`).
        #[arg(long, env = "SALES_EXPLORER_DIR")]
        explorer_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AlertsAction {
    /// Evaluate rules now, as the schedule does: every tenant's (all at
    /// once), or one tenant's with --tenant. Each edge is sent once (signed
    /// webhooks, SNS), delivered in this process unless
    /// SALES_ALERT_DELIVERY_QUEUE_URL names a queue; prints what every
    /// rule did as JSON.
    Evaluate {
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum DigestsAction {
    /// Run the hourly digest schedule for one moment, as the scheduler
    /// does: every digest due then (and not sent yet for its period) is
    /// sent by email (SES; locally moto's) and to its webhooks. Prints
    /// each send as JSON.
    Run {
        /// One tenant; default: every registered tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// The moment, RFC 3339 (`2026-03-30T07:00:00Z`); default: now.
        #[arg(long)]
        at: Option<String>,
    },
}

/// Progress of long work: a bar on a terminal, a line every 5 s otherwise
/// (`salesctl::progress`); only tests hide it.
const PROGRESS: bool = true;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,aws=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = match Config::from_env_or_local_stack() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match cli.command {
        Command::Token { tenant, scope, ttl_hours } => match &config.auth.hs256_secret {
            Some(secret) => {
                let ttl = Duration::from_secs(ttl_hours * 3600);
                println!(
                    "{}",
                    sales_shared::auth::mint_hs256(secret.expose_secret(), &tenant, &scope, ttl)
                );
                ExitCode::SUCCESS
            }
            None => fail(
                "tokens can be minted only for the local stack (SALES_ENV=local with SALES_JWT_SECRET)",
            ),
        },
        Command::Setup => match salesctl::setup::create_resources(&config, true).await {
            Ok(lines) => {
                lines.iter().for_each(|l| println!("{l}"));
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Load { tenant, wait, wait_timeout, files } => {
            load(&config, &tenant, &files, wait.then_some(Duration::from_secs(wait_timeout))).await
        }
        Command::DemoData { tenant, out, orders_per_month, months, wait, unless_loaded } => {
            let fresh = unless_loaded && out.is_none();
            if fresh {
                match salesctl::demo::is_loaded(&config, &tenant).await {
                    Ok(true) => {
                        println!(
                            "tenant {tenant} is already loaded (make stop; rm -rf .local for a fresh one)"
                        );
                        return ExitCode::SUCCESS;
                    }
                    Ok(false) => {}
                    Err(e) => return fail(e),
                }
            }
            let today = sales_shared::periods::local_today(
                config.clock().now(),
                chrono_tz::America::New_York,
            );
            let options = salesctl::demo::DemoOptions {
                tenant: tenant.clone(),
                today,
                months,
                orders_per_month,
                seed: 2025,
            };
            let path = out
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join(format!("sales-demo-{tenant}.jsonl")));
            let written = std::fs::File::create(&path)
                .map(std::io::BufWriter::new)
                .and_then(|mut file| salesctl::demo::generate(&options, &mut file));
            match written {
                Ok(stats) => {
                    eprintln!(
                        "generated {} records ({:?}) into {}",
                        stats.lines,
                        stats.by_type,
                        path.display()
                    )
                }
                Err(e) => return fail(format!("writing {}: {e}", path.display())),
            }
            if out.is_some() {
                return ExitCode::SUCCESS;
            }
            if fresh && !wait {
                // Nothing of the tenant is there: batch writes, not the
                // loader's conditional ones (`salesctl catch-up` follows).
                return match salesctl::demo::write_fresh(&config, &tenant, &path, PROGRESS).await {
                    Ok(n) => {
                        println!(
                            "loaded {n} / unchanged 0 / rejected 0 (batch writes into an empty tenant)"
                        );
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(e),
                };
            }
            load(&config, &tenant, &[path], wait.then_some(Duration::from_secs(900))).await
        }
        Command::Pump { interval_ms, checkpoint, dead_letter } => {
            let rollup = rollup::RollupContext::from_config(&config).await;
            match salesctl::pump::Pump::new(&config, rollup, checkpoint, dead_letter).await {
                Ok(mut pump) => match pump.run(Duration::from_millis(interval_ms)).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(e),
                },
                Err(e) => fail(e),
            }
        }
        Command::Rebuild { tenant, pause_mapping } => {
            let rebuilt = match (pause_mapping, config.local) {
                (Some(uuid), _) => {
                    let waits = salesctl::mapping::Waits::default();
                    salesctl::mapping::rebuild_paused(&config, &tenant, &uuid, waits, PROGRESS)
                        .await
                        .map_err(|e| e.to_string())
                }
                (None, true) => {
                    salesctl::reconcile::rebuild(&config, &tenant, PROGRESS).await.map_err(|e| e.to_string())
                }
                (None, false) => Err("against AWS, name the rollup's stream mapping to pause around the rebuild: \
                    --pause-mapping (or SALES_ROLLUP_MAPPING) with the stack output RollupStreamMappingId"
                    .to_owned()),
            };
            match rebuilt {
                Ok(n) => {
                    println!("rebuilt tenant {tenant}: {n} aggregate items rewritten");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Verify { tenant } => {
            match salesctl::reconcile::verify(&config, &tenant, PROGRESS).await {
                Ok(diffs) if diffs.is_empty() => {
                    println!("tenant {tenant}: aggregates match the source records");
                    ExitCode::SUCCESS
                }
                Ok(diffs) => {
                    diffs.iter().for_each(|d| println!("differs: {d}"));
                    println!("tenant {tenant}: {} aggregate items differ", diffs.len());
                    ExitCode::FAILURE
                }
                Err(e) => fail(e),
            }
        }
        Command::Report { tenant, month } => {
            let month = match month
                .as_deref()
                .map(|m| (m, sales_shared::reports::management::parse_month(m)))
            {
                None => None,
                Some((_, Some(range))) => Some(range),
                Some((text, None)) => {
                    return fail(format!("--month must be YYYY-MM, got `{text}`"));
                }
            };
            let ctx = export::ReportContext::from_config(&config).await;
            match export::report_for_tenant(&ctx, &tenant, month).await {
                Ok(keys) => {
                    keys.iter().for_each(|k| println!("wrote s3://{}/{k}", config.exports_bucket));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Alerts { action: AlertsAction::Evaluate { tenant } } => {
            let ctx = alerts::EvaluatorContext::from_config(&config).await;
            let evaluations = match &tenant {
                Some(tenant) => alerts::evaluate_and_dispatch(&ctx, tenant)
                    .await
                    .map(|evaluation| serde_json::to_string_pretty(&evaluation))
                    .map_err(|e| e.to_string()),
                None => alerts::run_schedule(&ctx)
                    .await
                    .map(|evaluations| serde_json::to_string_pretty(&evaluations)),
            };
            match evaluations {
                Ok(Ok(json)) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => fail(e),
                Err(e) => fail(e),
            }
        }
        Command::Digests { action: DigestsAction::Run { tenant, at } } => {
            let at = match at.as_deref().map(chrono::DateTime::parse_from_rfc3339) {
                None => config.clock().now(),
                Some(Ok(at)) => at.with_timezone(&chrono::Utc),
                Some(Err(e)) => return fail(format!("--at must be an RFC 3339 timestamp: {e}")),
            };
            let ctx = export::digests::SchedulerContext::from_config(&config).await;
            match export::digests::run_all(&ctx, tenant.as_deref(), at).await {
                Ok(outcomes) => match serde_json::to_string_pretty(&outcomes) {
                    Ok(json) => {
                        println!("{json}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(e),
                },
                Err(e) => fail(e),
            }
        }
        Command::CatchUp { tenant } => {
            match salesctl::catch_up::catch_up(&config, &tenant, PROGRESS).await {
                Ok(done) => {
                    println!(
                        "caught up tenant {tenant}: {} records, {} ledger entries, {} aggregate items written",
                        done.records, done.ledgers, done.aggregates
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Serve { port, explorer_dir } => {
            let config = match sales_shared::secrets::resolve(config).await {
                Ok(config) => config,
                Err(e) => return fail(e),
            };
            let ctx = ApiContext::from_config(&config).await;
            salesctl::serve::spawn_export_worker(&config).await;
            match salesctl::serve::serve(
                ctx,
                SocketAddr::from(([127, 0, 0, 1], port)),
                explorer_dir,
            )
            .await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
    }
}

/// Loads files; exit 0 when every line loaded, 2 when some were rejected,
/// 1 when the load failed (after reporting what it did until then).
async fn load(
    config: &Config,
    tenant: &str,
    files: &[PathBuf],
    wait: Option<Duration>,
) -> ExitCode {
    let dynamo = sales_shared::aws::dynamodb(config).await;
    let loader = salesctl::load::Loader {
        dynamo: &dynamo,
        source_table: &config.source_table,
        tenant,
        progress: PROGRESS,
    };
    let mut summary = salesctl::load::LoadSummary::default();
    let result = loader.load_files(files, &mut summary).await;
    // Even when the load failed: what it rejected and wrote until then.
    for rejection in &summary.rejected {
        eprintln!("rejected {rejection}");
    }
    println!(
        "loaded {} / unchanged {} / rejected {}",
        summary.loaded,
        summary.unchanged,
        summary.rejected.len()
    );
    if let Err(e) = result {
        return fail(e);
    }
    if let Some(timeout) = wait {
        if let Err(e) = salesctl::load::wait_for_rollups(
            &dynamo,
            &config.aggregates_table,
            &summary.written,
            timeout,
            PROGRESS,
        )
        .await
        {
            return fail(e);
        }
        println!("rollups applied every change");
    }
    if summary.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) }
}
