//! The functions' log subscriber: Lambda's advanced logging controls as
//! `lambda_runtime`'s default subscriber reads them (`AWS_LAMBDA_LOG_LEVEL`
//! first, then `RUST_LOG`, else `INFO`; JSON lines when
//! `AWS_LAMBDA_LOG_FORMAT` is `JSON`), filtered by target with
//! [`Targets`] instead of `EnvFilter`: the same `target=level,...`
//! directives without span-field matching, and without the regex engine
//! `EnvFilter` links (docs/performance.md, "Release artifacts").

use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter for a level or directive string: `debug`, or
/// `warn,sales_shared=debug`; targets not named get the string's bare
/// level, else `INFO` (as `lambda_runtime`'s default subscriber does);
/// anything unreadable is `INFO`.
pub fn filter_from(directives: Option<&str>) -> Targets {
    let text = directives.map(str::trim).filter(|d| !d.is_empty()).unwrap_or("INFO");
    let targets = Targets::from_str(text).unwrap_or_default();
    match targets.default_level() {
        Some(_) => targets,
        None => targets.with_default(LevelFilter::INFO),
    }
}

/// Installs the subscriber once per process (later calls do nothing).
pub fn init() {
    let directives =
        std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter_from(directives.as_deref()));
    let format =
        tracing_subscriber::fmt::layer().with_target(false).without_time().with_ansi(false);
    let _ = if json {
        registry.with(format.json()).try_init()
    } else {
        registry.with(format).try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn reads_a_level_directives_or_falls_back_to_info() {
        assert!(filter_from(Some("DEBUG")).would_enable("sales_shared", &Level::DEBUG));
        assert!(!filter_from(None).would_enable("sales_shared", &Level::DEBUG));
        assert!(filter_from(None).would_enable("sales_shared", &Level::INFO));
        let mixed = filter_from(Some("warn,sales_shared=trace"));
        assert!(mixed.would_enable("sales_shared::store", &Level::TRACE));
        assert!(!mixed.would_enable("aws_smithy_runtime", &Level::INFO));
        let only_ours = filter_from(Some("sales_shared=debug"));
        assert!(only_ours.would_enable("sales_shared", &Level::DEBUG));
        assert!(
            only_ours.would_enable("hyper", &Level::INFO)
                && !only_ours.would_enable("hyper", &Level::DEBUG)
        );
        assert!(filter_from(Some("=!!")).would_enable("x", &Level::INFO));
        assert!(!filter_from(Some("=!!")).would_enable("x", &Level::DEBUG));
    }
}
