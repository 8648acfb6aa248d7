//! A digest subscription as the API takes it: `{"digest", "recipients",
//! "channels", "time", "weekday", "day_of_month"}`, every bad field a
//! rejection that names it.

use chrono::NaiveTime;
use serde_json::{Map, Value};

use super::schedule::{Cadence, monthly, parse_time, parse_weekday, weekday_name};
use crate::alerts::rule::{Channel, UrlPolicy, parse_channels};
use crate::records::StrEnum;
use crate::rejection::Rejection;

crate::str_enum! {
    /// What a digest holds.
    Digest {
        DashboardDaily => "dashboard_daily",
        AgingWeekly => "aging_weekly",
        FailuresWeekly => "failures_weekly",
        ManagementMonthly => "management_monthly",
    }
}

/// Most email recipients of one subscription.
pub const MAX_RECIPIENTS: usize = 20;
/// Longest email address (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

const FIELDS: [&str; 6] = ["digest", "recipients", "channels", "time", "weekday", "day_of_month"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSpec {
    pub digest: Digest,
    pub recipients: Vec<String>,
    /// Webhooks, signed and sent under the same egress rules as alerts'.
    pub channels: Vec<Channel>,
    pub time: NaiveTime,
    pub cadence: Cadence,
}

/// A request body as a subscription.
pub fn parse_subscription(body: &[u8], urls: UrlPolicy<'_>) -> Result<SubscriptionSpec, Rejection> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Rejection::new("body", format!("not a JSON object: {e}")))?;
    let Value::Object(object) = value else {
        return Err(Rejection::new("body", "expected a JSON object"));
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(Rejection::new(
            unknown.as_str(),
            format!("unknown field (fields: {})", FIELDS.join(", ")),
        ));
    }
    let names: Vec<&str> = Digest::ALL.iter().map(|d| d.as_str()).collect();
    let names = names.join(", ");
    let digest = text(&object, "digest")
        .and_then(Digest::parse)
        .ok_or_else(|| Rejection::new("digest", format!("must be one of: {names}")))?;
    let recipients = parse_recipients(object.get("recipients"))?;
    let channels = match object.get("channels") {
        None => Vec::new(),
        Some(Value::Array(items)) if items.is_empty() => Vec::new(),
        channels => parse_channels(channels, urls)?,
    };
    if let Some(i) = channels.iter().position(|c| !matches!(c, Channel::Webhook { .. })) {
        return Err(Rejection::new(format!("channels[{i}].type"), "digests go to webhooks only"));
    }
    if recipients.is_empty() && channels.is_empty() {
        return Err(Rejection::new("recipients", "at least one recipient or channel"));
    }
    let time = match text(&object, "time") {
        Some(t) => parse_time("time", t)?,
        None => return Err(Rejection::new("time", "a local time HH:MM")),
    };
    let weekday = object.get("weekday");
    let day = object.get("day_of_month");
    let cadence = match digest {
        Digest::DashboardDaily => Cadence::Daily,
        Digest::AgingWeekly | Digest::FailuresWeekly => match weekday {
            Some(Value::String(w)) => Cadence::Weekly(parse_weekday("weekday", w)?),
            _ => return Err(Rejection::new("weekday", "a weekly digest needs monday to sunday")),
        },
        Digest::ManagementMonthly => match day.and_then(Value::as_i64) {
            Some(d) => monthly("day_of_month", d)?,
            None => {
                return Err(Rejection::new(
                    "day_of_month",
                    "a monthly digest needs a day from 1 to 28",
                ));
            }
        },
    };
    if weekday.is_some() && !matches!(cadence, Cadence::Weekly(_)) {
        return Err(Rejection::new("weekday", "applies to weekly digests only"));
    }
    if day.is_some() && !matches!(cadence, Cadence::Monthly(_)) {
        return Err(Rejection::new("day_of_month", "applies to monthly digests only"));
    }
    Ok(SubscriptionSpec { digest, recipients, channels, time, cadence })
}

impl serde::Serialize for SubscriptionSpec {
    /// The fields the API takes, as it takes them (a stored subscription
    /// is this JSON, read back by [`parse_subscription`]).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("digest", self.digest.as_str())?;
        map.serialize_entry("recipients", &self.recipients)?;
        map.serialize_entry("channels", &self.channels)?;
        map.serialize_entry("time", &self.time.format("%H:%M").to_string())?;
        match self.cadence {
            Cadence::Daily => {}
            Cadence::Weekly(day) => map.serialize_entry("weekday", weekday_name(day))?,
            Cadence::Monthly(day) => map.serialize_entry("day_of_month", &day)?,
        }
        map.end()
    }
}

fn text<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}

fn parse_recipients(value: Option<&Value>) -> Result<Vec<String>, Rejection> {
    let items = match value {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Rejection::new("recipients", "an array of email addresses")),
    };
    if items.len() > MAX_RECIPIENTS {
        return Err(Rejection::new("recipients", format!("at most {MAX_RECIPIENTS} addresses")));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("recipients[{i}]");
        let address = item
            .as_str()
            .filter(|a| is_email(a))
            .ok_or_else(|| Rejection::new(field.as_str(), "an email address (name@domain)"))?;
        let address = address.to_ascii_lowercase();
        if out.contains(&address) {
            return Err(Rejection::new(field, "the same address twice"));
        }
        out.push(address);
    }
    Ok(out)
}

/// An address a mail server takes: one `@`, a local part, a dotted domain,
/// no spaces or controls, at most 254 characters.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    text.len() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;
    use serde_json::json;

    use super::*;
    use crate::outbound::EgressPolicy;

    fn parse(body: Value) -> Result<SubscriptionSpec, Rejection> {
        let policy = EgressPolicy::local(&[]);
        parse_subscription(body.to_string().as_bytes(), UrlPolicy::Egress(&policy))
    }

    #[test]
    fn a_weekly_aging_digest() {
        let spec = parse(json!({
            "digest": "aging_weekly", "recipients": ["CFO@example.com"], "time": "09:00",
            "weekday": "monday"
        }))
        .unwrap();
        assert_eq!(spec.digest, Digest::AgingWeekly);
        assert_eq!(spec.recipients, ["cfo@example.com"]);
        assert_eq!(spec.cadence, Cadence::Weekly(Weekday::Mon));
        assert_eq!(spec.time.to_string(), "09:00:00");
        let monthly = parse(json!({"digest": "management_monthly", "time": "07:30",
            "day_of_month": 2, "channels": [{"type": "webhook", "url": "https://hooks.example.com/d"}]}))
        .unwrap();
        assert_eq!(monthly.cadence, Cadence::Monthly(2));
        assert!(monthly.recipients.is_empty());
        // Stored as the JSON the API takes, and read back the same.
        for spec in [spec, monthly] {
            let stored = serde_json::to_value(&spec).unwrap();
            assert_eq!(parse(stored.clone()).unwrap(), spec, "{stored}");
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let base =
            json!({"digest": "dashboard_daily", "recipients": ["a@example.com"], "time": "08:00"});
        let with = |key: &str, value: Value| {
            let mut body = base.clone();
            body[key] = value;
            body
        };
        let many: Vec<String> = (0..21).map(|i| format!("u{i}@example.com")).collect();
        for (body, field) in [
            (with("digest", json!("hourly")), "digest"),
            (with("recipients", json!("a@example.com")), "recipients"),
            (with("recipients", json!(many)), "recipients"),
            (with("recipients", json!(["a@example.com", "nobody"])), "recipients[1]"),
            (with("recipients", json!(["a@example.com", "A@example.com"])), "recipients[1]"),
            (with("recipients", json!([])), "recipients"),
            (with("channels", json!([{"type": "sns"}])), "channels[0].type"),
            (
                with("channels", json!([{"type": "webhook", "url": "http://10.0.0.1/x"}])),
                "channels[0].url",
            ),
            (with("time", json!("8am")), "time"),
            (with("weekday", json!("monday")), "weekday"),
            (with("day_of_month", json!(3)), "day_of_month"),
            (with("colour", json!("blue")), "colour"),
            (
                json!({"digest": "aging_weekly", "recipients": ["a@example.com"], "time": "08:00"}),
                "weekday",
            ),
            (
                json!({"digest": "failures_weekly", "recipients": ["a@example.com"], "time": "08:00",
                "weekday": "Mon"}),
                "weekday",
            ),
            (
                json!({"digest": "management_monthly", "recipients": ["a@example.com"], "time": "08:00",
                "day_of_month": 31}),
                "day_of_month",
            ),
            (json!([1]), "body"),
        ] {
            let err = parse(body.clone()).expect_err(&body.to_string());
            assert_eq!(err.field, field, "{body}: {}", err.rule);
        }
        let recipients_only = with("recipients", json!([]));
        assert_eq!(parse(recipients_only).unwrap_err().rule, "at least one recipient or channel");
    }
}
