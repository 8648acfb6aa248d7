//! KPI alerts: rules on the catalogue's metrics, evaluated on a schedule
//! (or by `salesctl alerts evaluate`), each a state machine that sends
//! `alert.triggered` and `alert.resolved` once per edge to signed webhooks
//! and the stack's SNS topic (docs/api.md, "Alerts").

pub mod figures;
pub mod machine;
pub mod rule;
pub mod sealed;
pub mod signature;
pub mod store;

#[cfg(feature = "alerts")]
pub mod deliver;
#[cfg(feature = "alerts")]
pub mod evaluate;
#[cfg(feature = "alerts")]
pub mod outbox;

/// The prefix of a rule's id (`rule_` and 32 hex digits).
pub const RULE_ID_PREFIX: &str = "rule";

/// A new random id: `prefix_` and 16 random bytes in hex (a rule, an
/// event). Falls back to the clock's nanoseconds if the system's random
/// source fails.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", crate::ids::random_hex(16))
}

/// Whether `id` has the form [`new_id`] makes with `prefix`.
pub fn is_id_of(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix).and_then(|rest| rest.strip_prefix('_')).is_some_and(|digits| {
        digits.len() == 32
            && digits.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Whether `id` has the form of a rule id [`new_id`] makes.
pub fn is_rule_id(id: &str) -> bool {
    is_id_of(RULE_ID_PREFIX, id)
}

pub(crate) use crate::ids::hex;

/// Each webhook's host as it resolves now: a channel whose host resolves
/// to an address the egress policy refuses is a bad `channels[i].url`
/// (`crate::outbound::connector::check_resolution`). The lookups run at
/// once.
pub async fn check_channel_hosts(
    channels: &[rule::Channel],
    egress: &crate::outbound::EgressPolicy,
) -> Result<(), crate::rejection::Rejection> {
    let checks = channels.iter().enumerate().filter_map(|(i, channel)| match channel {
        rule::Channel::Webhook { url } => Some(async move {
            crate::outbound::connector::check_resolution(egress, url).await.map_err(|message| {
                crate::rejection::Rejection::new(format!("channels[{i}].url"), message)
            })
        }),
        rule::Channel::Sns => None,
    });
    futures::future::try_join_all(checks).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rule_ids_have_the_rule_id_form_and_others_do_not() {
        assert!(is_rule_id(&new_id(RULE_ID_PREFIX)));
        assert!(!is_rule_id(&new_id("evt")));
        assert!(!is_rule_id("rule_0123"));
        assert!(!is_rule_id(&format!("rule_{}", "A".repeat(32))));
        assert!(!is_rule_id(&format!("rule{}", "0".repeat(33))));
    }
}
