//! Sends an alert event to its channels, one round at a time: every
//! channel that has not taken the event gets one attempt, all at once,
//! each within [`RetryPolicy::timeout`]. A webhook gets a signed `POST`
//! (docs/api.md, "Alerts"); a 5xx or 429 answer, a time-out or a failed
//! connection may pass, any other answer is final. The SNS channel
//! publishes the same body to the stack's alerts topic with a `tenant_id`
//! message attribute, so a subscription's filter policy keeps one
//! tenant's events (docs/operations.md). Rounds are repeated by the caller
//! (`super::outbox`): through the queue's visibility timeout in AWS, in
//! process locally.

use std::time::Duration;

use aws_sdk_sns::types::MessageAttributeValue;
use chrono::Utc;
use http_body_util::Full;
use hyper::body::Bytes;

use super::rule::Channel;
use super::signature;
use super::store::{Attempt, Delivery, timestamp};
use crate::outbound::{Outbound, status_outcome};

/// Attempts per channel, the wait between rounds and each attempt's limit.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Most attempts a channel gets (rounds of an event).
    pub attempts: u32,
    /// The wait after the first round; doubled after each.
    pub first_backoff: Duration,
    /// One attempt's limit: connecting, sending and reading the answer.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// Through the delivery queue: rounds 30 s, 1 min and 2 min apart.
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// In the evaluating process (local runs): rounds 1, 2 and 4 s apart.
    pub fn in_process() -> Self {
        RetryPolicy { first_backoff: Duration::from_secs(1), ..Self::default() }
    }

    /// The wait after round `round` (1-based): `first_backoff` doubled
    /// `round - 1` times.
    pub fn backoff(&self, round: u32) -> Duration {
        self.first_backoff.saturating_mul(1 << round.saturating_sub(1).min(16))
    }
}

/// The stack's alerts topic.
pub struct Topic {
    pub client: aws_sdk_sns::Client,
    pub arn: String,
}

/// Delivers events; built once per process.
pub struct Deliverer {
    pub http: Outbound,
    pub topic: Option<Topic>,
    pub retry: RetryPolicy,
    /// Opens the rules' sealed signing secrets.
    pub secrets: super::sealed::SecretBox,
}

/// The message attribute SNS subscriptions filter tenants by.
pub const TENANT_ATTRIBUTE: &str = "tenant_id";

impl Attempt {
    /// Whether another attempt may do better: no answer (time-out, no
    /// connection) or a 5xx or 429 answer.
    pub fn may_pass(&self) -> bool {
        match self.status {
            Some(status) => status >= 500 || status == 429,
            None => !matches!(self.error.as_deref(), Some(BAD_URL | NO_TOPIC)),
        }
    }
}

impl Delivery {
    /// Whether this channel should get another attempt.
    pub fn wants_retry(&self) -> bool {
        !self.delivered && self.attempts.last().is_none_or(Attempt::may_pass)
    }
}

/// The outcome of a URL the HTTP client could not use at all.
const BAD_URL: &str = "bad_url";
/// The outcome of an `sns` channel in a stack without an alerts topic.
const NO_TOPIC: &str = "no_topic";

impl Deliverer {
    /// One attempt on every channel of `deliveries` that wants one, at
    /// once: the deliveries with those attempts added. `body` is the event
    /// as sent; `tenant` tags the SNS message.
    pub async fn round(
        &self,
        channels: &[Channel],
        deliveries: &[Delivery],
        secret: &str,
        tenant: &str,
        body: &str,
    ) -> Vec<Delivery> {
        let attempts = channels.iter().zip(deliveries).map(|(channel, delivery)| async move {
            let mut delivery = delivery.clone();
            if !delivery.wants_retry() {
                return delivery;
            }
            let n = u32::try_from(delivery.attempts.len()).unwrap_or(u32::MAX).saturating_add(1);
            let attempt = match channel {
                Channel::Webhook { url } => self.post(n, url, secret, body.as_bytes()).await,
                Channel::Sns => self.sns(n, tenant, body).await,
            };
            delivery.delivered = attempt.error.is_none();
            delivery.attempts.push(attempt);
            delivery
        });
        futures::future::join_all(attempts).await
    }

    /// One signed `POST`.
    async fn post(&self, n: u32, url: &str, secret: &str, body: &[u8]) -> Attempt {
        let signed = signature::sign(secret, Utc::now().timestamp(), body);
        let request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "sales-analytics-alerts/1")
            .header(signature::HEADER, signed)
            .body(Full::new(Bytes::copy_from_slice(body)));
        let request = match request {
            Ok(request) => request,
            Err(e) => {
                tracing::warn!(error = %e, "webhook URL refused by the HTTP client");
                return attempt(n, None, Some(BAD_URL.into()));
            }
        };
        match self.http.send(request, self.retry.timeout, 64 * 1024).await {
            Ok(answer) => {
                let error = (!answer.status.is_success()).then(|| status_outcome(answer.status));
                attempt(n, Some(answer.status.as_u16()), error)
            }
            // The history keeps the generic outcome; the detail (addresses,
            // ports, certificate names) goes to the log only.
            Err(e) => {
                tracing::warn!(outcome = e.outcome(), error = %e, "webhook delivery failed");
                attempt(n, None, Some(e.outcome().into()))
            }
        }
    }

    async fn sns(&self, n: u32, tenant: &str, body: &str) -> Attempt {
        let Some(topic) = &self.topic else {
            tracing::warn!("no alerts topic is configured (SALES_ALERTS_TOPIC_ARN)");
            return attempt(n, None, Some(NO_TOPIC.into()));
        };
        let subject = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .map(|event| {
                format!(
                    "{} {}",
                    event["type"].as_str().unwrap_or("alert"),
                    event["metric"].as_str().unwrap_or("")
                )
            })
            .unwrap_or_else(|| "alert".into());
        let tenant_attribute =
            MessageAttributeValue::builder().data_type("String").string_value(tenant).build();
        let publish = match tenant_attribute {
            Ok(tenant_attribute) => {
                let sent = topic
                    .client
                    .publish()
                    .topic_arn(&topic.arn)
                    .subject(subject.trim())
                    .message(body)
                    .message_attributes(TENANT_ATTRIBUTE, tenant_attribute)
                    .send();
                tokio::time::timeout(self.retry.timeout, sent).await
            }
            Err(e) => {
                tracing::error!(error = %e, "the SNS tenant attribute could not be built");
                return attempt(n, None, Some("sns_failed".into()));
            }
        };
        match publish {
            Ok(Ok(_)) => attempt(n, None, None),
            Ok(Err(e)) => {
                tracing::warn!(error = %aws_sdk_sns::error::DisplayErrorContext(e), "SNS publish failed");
                attempt(n, None, Some("sns_failed".into()))
            }
            Err(_) => attempt(n, None, Some("timeout".into())),
        }
    }
}

fn attempt(n: u32, status: Option<u16>, error: Option<String>) -> Attempt {
    Attempt { attempt: n, at: timestamp(Utc::now()), status, error }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tried(status: Option<u16>, error: Option<&str>) -> Delivery {
        Delivery {
            channel: "webhook".into(),
            url: None,
            delivered: error.is_none(),
            attempts: vec![attempt(1, status, error.map(str::to_owned))],
        }
    }

    #[test]
    fn only_what_may_pass_is_tried_again() {
        assert!(Delivery::default().wants_retry(), "never tried");
        assert!(!tried(Some(200), None).wants_retry(), "delivered");
        assert!(tried(Some(503), Some("http_503")).wants_retry());
        assert!(tried(Some(429), Some("http_429")).wants_retry());
        assert!(tried(None, Some("timeout")).wants_retry());
        assert!(tried(None, Some("connection_failed")).wants_retry());
        assert!(!tried(Some(410), Some("http_410")).wants_retry(), "a 4xx is final");
        assert!(!tried(None, Some(BAD_URL)).wants_retry());
        assert!(!tried(None, Some(NO_TOPIC)).wants_retry(), "configuration, not chance");
    }

    #[test]
    fn backoff_doubles_per_round() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_secs(30));
        assert_eq!(policy.backoff(3), Duration::from_secs(120));
        assert_eq!(policy.backoff(200), Duration::from_secs(30 << 16));
    }
}
