//! An alert rule as the API takes it: the metric catalogue, the periods,
//! the conditions and the channels, each parsed from JSON with the bad
//! field named (`condition.op`, `channels[1].url`).

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::outbound::EgressPolicy;
use crate::periods::PeriodKind;
use crate::rejection::Rejection;

/// Most rules a tenant may keep.
pub const MAX_RULES_PER_TENANT: usize = 100;
/// Most channels a rule may deliver to.
pub const MAX_CHANNELS: usize = 10;
/// Longest rule name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// What a rule watches. Each figure is the one an endpoint shows
/// (docs/api.md, "Alerts"), computed by the same code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Revenue,
    Orders,
    AverageOrderValue,
    CollectionRate,
    DaysSalesOutstanding,
    OutstandingReceivables,
    OverdueAmount,
    OverduePercentage,
    FailedPaymentRate,
    OpenDisputes,
    CustomerRetentionRate,
}

impl Metric {
    pub const ALL: [Metric; 11] = [
        Metric::Revenue,
        Metric::Orders,
        Metric::AverageOrderValue,
        Metric::CollectionRate,
        Metric::DaysSalesOutstanding,
        Metric::OutstandingReceivables,
        Metric::OverdueAmount,
        Metric::OverduePercentage,
        Metric::FailedPaymentRate,
        Metric::OpenDisputes,
        Metric::CustomerRetentionRate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Revenue => "revenue",
            Metric::Orders => "orders",
            Metric::AverageOrderValue => "average_order_value",
            Metric::CollectionRate => "collection_rate",
            Metric::DaysSalesOutstanding => "days_sales_outstanding",
            Metric::OutstandingReceivables => "outstanding_receivables",
            Metric::OverdueAmount => "overdue_amount",
            Metric::OverduePercentage => "overdue_percentage",
            Metric::FailedPaymentRate => "failed_payment_rate",
            Metric::OpenDisputes => "open_disputes",
            Metric::CustomerRetentionRate => "customer_retention_rate",
        }
    }

    pub fn parse(text: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// Whether the metric counts what is open now rather than a period's
    /// figure: no previous period to compare with, so no change condition.
    pub fn is_current_only(self) -> bool {
        self == Metric::OpenDisputes
    }

    /// Decimal places the endpoint shows (the value compared and sent is
    /// the shown one).
    pub fn places(self) -> u32 {
        match self {
            Metric::Orders | Metric::OpenDisputes => 0,
            Metric::DaysSalesOutstanding => 1,
            _ => 2,
        }
    }
}

/// The tenant-calendar periods a rule may watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertPeriod {
    Today,
    Week,
    Month,
    Quarter,
}

impl AlertPeriod {
    pub const ALL: [AlertPeriod; 4] =
        [AlertPeriod::Today, AlertPeriod::Week, AlertPeriod::Month, AlertPeriod::Quarter];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertPeriod::Today => "today",
            AlertPeriod::Week => "week",
            AlertPeriod::Month => "month",
            AlertPeriod::Quarter => "quarter",
        }
    }

    pub fn parse(text: &str) -> Option<AlertPeriod> {
        AlertPeriod::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn kind(self) -> PeriodKind {
        match self {
            AlertPeriod::Today => PeriodKind::Today,
            AlertPeriod::Week => PeriodKind::Week,
            AlertPeriod::Month => PeriodKind::Month,
            AlertPeriod::Quarter => PeriodKind::Quarter,
        }
    }
}

/// How a value is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Lt,
    Lte,
    Gt,
    Gte,
    /// The change in percent against the previous period below the value.
    ChangeLt,
    /// The change in percent against the previous period above the value.
    ChangeGt,
}

impl Op {
    const ALL: [Op; 6] = [Op::Lt, Op::Lte, Op::Gt, Op::Gte, Op::ChangeLt, Op::ChangeGt];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::ChangeLt => "change_lt",
            Op::ChangeGt => "change_gt",
        }
    }

    fn parse(text: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// Whether the condition compares a change against the previous period.
    pub fn is_change(self) -> bool {
        matches!(self, Op::ChangeLt | Op::ChangeGt)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub op: Op,
    #[serde(serialize_with = "crate::money::json::number")]
    pub value: Decimal,
}

impl Condition {
    /// Whether the condition holds for `value` (and, for a change, the
    /// previous period's value). A change against a previous value of zero
    /// is undefined (as the dashboard's `*_change_percentage` is null), so
    /// a change condition does not hold then.
    pub fn holds(&self, value: Decimal, previous: Option<Decimal>) -> bool {
        match self.op {
            Op::Lt => value < self.value,
            Op::Lte => value <= self.value,
            Op::Gt => value > self.value,
            Op::Gte => value >= self.value,
            Op::ChangeLt | Op::ChangeGt => {
                let Some(change) = previous.and_then(|p| crate::money::change_percentage(value, p))
                else {
                    return false;
                };
                if self.op == Op::ChangeLt { change < self.value } else { change > self.value }
            }
        }
    }
}

/// Where a rule's events go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Channel {
    Webhook {
        url: String,
    },
    /// The stack's alerts topic.
    Sns,
}

impl Channel {
    /// Its `type`, as the API writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Webhook { .. } => "webhook",
            Channel::Sns => "sns",
        }
    }
}

/// A rule's fields as a client writes them (`POST` and `PUT`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSpec {
    pub name: String,
    pub metric: Metric,
    pub period: AlertPeriod,
    pub condition: Condition,
    pub channels: Vec<Channel>,
    pub enabled: bool,
}

/// How webhook URLs are checked.
#[derive(Debug, Clone, Copy)]
pub enum UrlPolicy<'a> {
    /// A rule a client sends: the egress policy's rules (public `https://`
    /// destinations; locally 127.0.0.1 and localhost too).
    Egress(&'a EgressPolicy),
    /// A rule read back from the table: only its form. The policy may have
    /// changed since; delivery applies it again at connect time.
    Stored,
}

const FIELDS: [&str; 6] = ["name", "metric", "period", "condition", "channels", "enabled"];

/// Parses a rule from a request body.
pub fn parse_rule(body: &[u8], urls: UrlPolicy<'_>) -> Result<RuleSpec, Rejection> {
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
    let name = match object.get("name") {
        Some(Value::String(name))
            if !name.trim().is_empty() && name.chars().count() <= MAX_NAME_CHARS =>
        {
            name.trim().to_owned()
        }
        _ => {
            return Err(Rejection::new(
                "name",
                format!("a non-empty string of at most {MAX_NAME_CHARS} characters"),
            ));
        }
    };
    let metric = string_field(&object, "metric").and_then(Metric::parse).ok_or_else(|| {
        Rejection::new("metric", one_of("metric", Metric::ALL.map(Metric::as_str)))
    })?;
    let period = string_field(&object, "period").and_then(AlertPeriod::parse).ok_or_else(|| {
        Rejection::new("period", one_of("period", AlertPeriod::ALL.map(AlertPeriod::as_str)))
    })?;
    let condition = parse_condition(object.get("condition"))?;
    if condition.op.is_change() && metric.is_current_only() {
        return Err(Rejection::new(
            "condition.op",
            format!(
                "`{}` counts what is open now, whatever the period: use lt, lte, gt or gte",
                metric.as_str()
            ),
        ));
    }
    let channels = parse_channels(object.get("channels"), urls)?;
    let enabled = match object.get("enabled") {
        None => true,
        Some(Value::Bool(enabled)) => *enabled,
        Some(_) => return Err(Rejection::new("enabled", "`enabled` must be true or false")),
    };
    Ok(RuleSpec { name, metric, period, condition, channels, enabled })
}

fn string_field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}

fn one_of<const N: usize>(name: &str, allowed: [&str; N]) -> String {
    format!("`{name}` must be one of: {}", allowed.join(", "))
}

fn parse_condition(value: Option<&Value>) -> Result<Condition, Rejection> {
    let Some(Value::Object(condition)) = value else {
        return Err(Rejection::new("condition", "an object {\"op\", \"value\"}"));
    };
    if let Some(unknown) = condition.keys().find(|k| !["op", "value"].contains(&k.as_str())) {
        return Err(Rejection::new(
            format!("condition.{unknown}"),
            "unknown field (fields: op, value)",
        ));
    }
    let op = string_field(condition, "op").and_then(Op::parse).ok_or_else(|| {
        Rejection::new("condition.op", one_of("condition.op", Op::ALL.map(Op::as_str)))
    })?;
    let threshold = match condition.get("value") {
        Some(Value::Number(n)) => n.to_string().parse::<Decimal>().ok(),
        Some(Value::String(s)) => s.trim().parse::<Decimal>().ok(),
        _ => None,
    }
    .filter(|v| v.abs() < Decimal::from(1_000_000_000_000_000_i64))
    .ok_or_else(|| Rejection::new("condition.value", "a number (below 10^18 in magnitude)"))?;
    Ok(Condition { op, value: threshold })
}

/// A rule's `channels` (also a digest subscription's): 1 to
/// [`MAX_CHANNELS`] distinct channels, each bad field named
/// (`channels[1].url`).
pub fn parse_channels(
    value: Option<&Value>,
    urls: UrlPolicy<'_>,
) -> Result<Vec<Channel>, Rejection> {
    let Some(Value::Array(items)) = value else {
        return Err(Rejection::new("channels", "an array of channels"));
    };
    if items.is_empty() || items.len() > MAX_CHANNELS {
        return Err(Rejection::new("channels", format!("between 1 and {MAX_CHANNELS} channels")));
    }
    let mut channels = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |field: &str| format!("channels[{i}]{field}");
        let Value::Object(channel) = item else {
            return Err(Rejection::new(at(""), "a channel object with a `type`"));
        };
        let parsed = match string_field(channel, "type") {
            Some("webhook") => {
                let url = string_field(channel, "url")
                    .ok_or_else(|| Rejection::new(at(".url"), "a URL string"))?;
                check_url(url, urls).map_err(|message| Rejection::new(at(".url"), message))?;
                Channel::Webhook { url: url.to_owned() }
            }
            Some("sns") => Channel::Sns,
            _ => return Err(Rejection::new(at(".type"), "`type` must be one of: webhook, sns")),
        };
        let allowed: &[&str] = if parsed == Channel::Sns { &["type"] } else { &["type", "url"] };
        if let Some(unknown) = channel.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(Rejection::new(at(&format!(".{unknown}")), "unknown field"));
        }
        if channels.contains(&parsed) {
            return Err(Rejection::new(at(""), "the same channel twice"));
        }
        channels.push(parsed);
    }
    Ok(channels)
}

/// An absolute URL the evaluator may post to.
fn check_url(url: &str, policy: UrlPolicy<'_>) -> Result<(), String> {
    match policy {
        UrlPolicy::Egress(egress) => egress.check_url(url).map(|_| ()),
        UrlPolicy::Stored => match url.parse::<http::Uri>() {
            Ok(uri) if uri.host().is_some_and(|h| !h.is_empty()) => Ok(()),
            _ => Err("not an absolute URL".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn parse(body: Value) -> Result<RuleSpec, Rejection> {
        parse_rule(body.to_string().as_bytes(), UrlPolicy::Egress(&EgressPolicy::local(&[])))
    }

    fn deployed() -> EgressPolicy {
        EgressPolicy::deployed(&[])
    }

    fn valid() -> Value {
        json!({
            "name": "Collections slipping",
            "metric": "collection_rate",
            "period": "month",
            "condition": {"op": "lt", "value": 80},
            "channels": [{"type": "webhook", "url": "https://hooks.example.com/sales"}, {"type": "sns"}],
        })
    }

    #[test]
    fn reads_a_full_rule_with_enabled_by_default() {
        let rule = parse(valid()).expect("valid");
        assert_eq!(rule.metric, Metric::CollectionRate);
        assert_eq!(rule.period, AlertPeriod::Month);
        assert_eq!(rule.condition, Condition { op: Op::Lt, value: dec!(80) });
        assert_eq!(rule.channels[1], Channel::Sns);
        assert!(rule.enabled);
        let mut off = valid();
        off["enabled"] = json!(false);
        off["condition"]["value"] = json!("12.5");
        let rule = parse(off).expect("valid");
        assert!(!rule.enabled);
        assert_eq!(rule.condition.value, dec!(12.5));
    }

    #[test]
    fn names_every_bad_field() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("name", json!(""), "name"),
            ("name", json!("x".repeat(201)), "name"),
            ("metric", json!("profit"), "metric"),
            ("period", json!("year"), "period"),
            ("condition", json!({"op": "eq", "value": 1}), "condition.op"),
            ("condition", json!({"op": "lt", "value": "ten"}), "condition.value"),
            ("condition", json!({"op": "lt", "value": 1, "x": 1}), "condition.x"),
            ("condition", json!([1]), "condition"),
            ("channels", json!([]), "channels"),
            ("channels", json!([{"type": "email"}]), "channels[0].type"),
            (
                "channels",
                json!([{"type": "sns"}, {"type": "webhook", "url": "ftp://x"}]),
                "channels[1].url",
            ),
            (
                "channels",
                json!([{"type": "webhook", "url": "http://example.com/hook"}]),
                "channels[0].url",
            ),
            ("channels", json!([{"type": "sns"}, {"type": "sns"}]), "channels[1]"),
            ("enabled", json!("yes"), "enabled"),
            ("colour", json!("red"), "colour"),
        ];
        for (field, value, named) in cases {
            let mut body = valid();
            body[field] = value;
            assert_eq!(parse(body).map_err(|e| e.field), Err(named.to_owned()), "{field}");
        }
        let mut disputes = valid();
        disputes["metric"] = json!("open_disputes");
        disputes["condition"] = json!({"op": "change_gt", "value": 10});
        assert_eq!(
            parse(disputes).map_err(|e| e.field),
            Err("condition.op".to_owned()),
            "no change of a count of now"
        );
        assert_eq!(
            parse_rule(b"[1]", UrlPolicy::Egress(&deployed())).map_err(|e| e.field),
            Err("body".into())
        );
        assert_eq!(parse_rule(b"{", UrlPolicy::Stored).map_err(|e| e.field), Err("body".into()));
    }

    #[test]
    fn loopback_http_only_when_local() {
        let mut body = valid();
        body["channels"] = json!([{"type": "webhook", "url": "http://127.0.0.1:9/hook"}]);
        assert!(parse(body.clone()).is_ok());
        let refused = parse_rule(body.to_string().as_bytes(), UrlPolicy::Egress(&deployed()));
        assert_eq!(refused.map_err(|e| e.field), Err("channels[0].url".into()));
    }

    /// The refused forms of the egress policy are 400s naming the URL's
    /// field; a stored rule is read back whatever the policy says now.
    #[test]
    fn refused_webhook_addresses_name_the_url_field() {
        for url in [
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://0.0.0.0/",
            "https://2130706433/",
            "https://user:pw@hooks.example.com/",
            "https://hooks.example.com:8443/",
        ] {
            let mut body = valid();
            body["channels"] = json!([{"type": "sns"}, {"type": "webhook", "url": url}]);
            let refused = parse_rule(body.to_string().as_bytes(), UrlPolicy::Egress(&deployed()));
            assert_eq!(refused.map_err(|e| e.field), Err("channels[1].url".into()), "{url}");
            let stored = parse_rule(body.to_string().as_bytes(), UrlPolicy::Stored);
            assert!(stored.is_ok(), "{url}");
        }
    }

    #[test]
    fn conditions_compare_values_and_changes() {
        let c = |op, value| Condition { op, value };
        assert!(c(Op::Lt, dec!(80)).holds(dec!(79.99), None));
        assert!(!c(Op::Lt, dec!(80)).holds(dec!(80), None));
        assert!(c(Op::Lte, dec!(80)).holds(dec!(80), None));
        assert!(c(Op::Gt, dec!(5)).holds(dec!(5.01), None));
        assert!(!c(Op::Gte, dec!(5)).holds(dec!(4.99), None));
        // 80 against 100 is a change of -20 %.
        assert!(c(Op::ChangeLt, dec!(-10)).holds(dec!(80), Some(dec!(100))));
        assert!(!c(Op::ChangeLt, dec!(-30)).holds(dec!(80), Some(dec!(100))));
        assert!(c(Op::ChangeGt, dec!(10)).holds(dec!(120), Some(dec!(100))));
        assert!(
            !c(Op::ChangeGt, dec!(10)).holds(dec!(120), Some(Decimal::ZERO)),
            "no change against zero"
        );
        assert!(!c(Op::ChangeGt, dec!(10)).holds(dec!(120), None));
    }

    #[test]
    fn every_metric_and_period_round_trips_its_name() {
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.as_str()), Some(metric));
            assert_eq!(serde_json::to_value(metric).ok(), Some(json!(metric.as_str())));
        }
        for period in AlertPeriod::ALL {
            assert_eq!(AlertPeriod::parse(period.as_str()), Some(period));
        }
    }
}
