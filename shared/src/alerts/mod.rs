//! KPI alerts: rules on the catalogue's metrics, evaluated on a schedule
//! (or by `salesctl alerts evaluate`), each a state machine that sends
//! `alert.triggered` and `alert.resolved` once per edge to signed webhooks
//! and the stack's SNS topic (docs/api.md, "Alerts").

pub mod figures;
pub mod machine;
pub mod rule;
pub mod signature;
pub mod store;

#[cfg(feature = "alerts")]
pub mod deliver;
#[cfg(feature = "alerts")]
pub mod evaluate;

/// A new random id: `prefix_` and 16 random bytes in hex (a rule, an
/// event). Falls back to the clock's nanoseconds if the system's random
/// source fails.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
        bytes[..8].copy_from_slice(&nanos.to_be_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}
