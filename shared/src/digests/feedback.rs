//! Bounces and complaints from SES, through SNS: a permanent bounce or a
//! complaint suppresses the address for every digest of the tenant that
//! sent it. Both of SES's formats are read: identity notifications
//! (`notificationType`) and configuration-set events (`eventType`). The
//! tenant is the message's `sales-tenant` tag (configuration-set events)
//! or its `X-Sales-Tenant` header (identity notifications with their
//! headers included; docs/operations.md, "Digests by email"). Transient
//! bounces (a full mailbox) suppress nothing.

use serde_json::Value;

use super::store::Suppression;

/// The header and tag naming the tenant of a digest message.
pub const TENANT_HEADER: &str = "X-Sales-Tenant";
pub const TENANT_TAG: &str = "sales-tenant";

/// An address to suppress, for a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub tenant: String,
    pub address: String,
    pub why: Suppression,
}

/// What to suppress for one SES notification (the `Message` of an SNS
/// notification); empty for deliveries, transient bounces and messages
/// of no tenant.
pub fn read_notification(message: &str) -> Vec<Feedback> {
    let Ok(note) = serde_json::from_str::<Value>(message) else { return Vec::new() };
    let kind =
        note.get("notificationType").or_else(|| note.get("eventType")).and_then(Value::as_str);
    let (why, recipients) = match kind {
        Some("Bounce") => {
            let bounce = &note["bounce"];
            if bounce["bounceType"].as_str() != Some("Permanent") {
                return Vec::new();
            }
            (Suppression::Bounce, &bounce["bouncedRecipients"])
        }
        Some("Complaint") => (Suppression::Complaint, &note["complaint"]["complainedRecipients"]),
        _ => return Vec::new(),
    };
    let Some(tenant) = tenant_of(&note["mail"]) else {
        tracing::warn!(kind, "an SES notification names no tenant: nothing suppressed");
        return Vec::new();
    };
    recipients
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["emailAddress"].as_str())
        .map(|address| Feedback {
            tenant: tenant.clone(),
            address: bare_address(address).to_ascii_lowercase(),
            why,
        })
        .collect()
}

/// The tenant of a notification's `mail`: its header (the tenant id as
/// written), else its tag (which SES limits to letters, digits, `_` and
/// `-`: tenant ids of those only).
fn tenant_of(mail: &Value) -> Option<String> {
    let header = mail["headers"].as_array().into_iter().flatten().find_map(|h| {
        let name = h["name"].as_str()?;
        name.eq_ignore_ascii_case(TENANT_HEADER).then(|| h["value"].as_str()).flatten()
    });
    let tag = || mail["tags"][TENANT_TAG][0].as_str();
    header.or_else(tag).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// `Name <a@b.c>` as `a@b.c`.
fn bare_address(text: &str) -> &str {
    match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => text.trim(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn permanent_bounces_and_complaints_suppress_their_tenant_s_addresses() {
        let bounce = json!({
            "notificationType": "Bounce",
            "bounce": {"bounceType": "Permanent", "bouncedRecipients": [
                {"emailAddress": "Gone <GONE@example.com>"}]},
            "mail": {"headers": [{"name": "x-sales-tenant", "value": "acme"}]}
        });
        assert_eq!(
            read_notification(&bounce.to_string()),
            [Feedback {
                tenant: "acme".into(),
                address: "gone@example.com".into(),
                why: Suppression::Bounce
            }]
        );
        let complaint = json!({
            "eventType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": "a@example.com"}, {"emailAddress": "b@example.com"}]},
            "mail": {"tags": {"sales-tenant": ["globex"]}}
        });
        let read = read_notification(&complaint.to_string());
        assert_eq!(read.len(), 2);
        assert!(read.iter().all(|f| f.tenant == "globex" && f.why == Suppression::Complaint));
        let transient = json!({"notificationType": "Bounce",
            "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "a@example.com"}]},
            "mail": {"tags": {"sales-tenant": ["acme"]}}});
        assert!(read_notification(&transient.to_string()).is_empty());
        let no_tenant = json!({"notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": "a@example.com"}]}, "mail": {}});
        assert!(read_notification(&no_tenant.to_string()).is_empty());
        assert!(read_notification("not json").is_empty());
        assert!(read_notification(r#"{"notificationType": "Delivery"}"#).is_empty());
    }
}
