//! Sends an alert event to a rule's channels. A webhook gets a signed
//! `POST` (docs/api.md, "Alerts"), retried with exponential backoff on a
//! 5xx or 429 answer, a time-out or a connection failure, at most
//! [`RetryPolicy::attempts`] times; any other answer is final. The SNS
//! channel publishes the same body to the stack's alerts topic (the SDK
//! retries there). Every attempt's outcome is returned for the history.

use std::time::Duration;

use chrono::Utc;
use http_body_util::Full;
use hyper::body::Bytes;

use super::machine::AlertEvent;
use super::rule::Channel;
use super::signature;
use super::store::{Attempt, Delivery, timestamp};
use crate::outbound::{Outbound, OutboundError};

/// Attempts and waits of webhook deliveries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    /// The wait after the first failed attempt; doubled after each.
    pub first_backoff: Duration,
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
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
}

impl Deliverer {
    /// Delivers `event` to every channel, signed with `secret`.
    pub async fn deliver(
        &self,
        channels: &[Channel],
        secret: &str,
        event: &AlertEvent,
    ) -> Vec<Delivery> {
        let body = match serde_json::to_vec(event) {
            Ok(body) => body,
            Err(e) => {
                let failed = |channel: &Channel| Delivery {
                    channel: channel.kind().into(),
                    url: None,
                    delivered: false,
                    attempts: vec![attempt(1, None, Some(e.to_string()))],
                };
                return channels.iter().map(failed).collect();
            }
        };
        let mut deliveries = Vec::with_capacity(channels.len());
        for channel in channels {
            deliveries.push(match channel {
                Channel::Webhook { url } => self.webhook(channel.kind(), url, secret, &body).await,
                Channel::Sns => self.sns(channel.kind(), event, &body).await,
            });
        }
        deliveries
    }

    async fn webhook(&self, kind: &str, url: &str, secret: &str, body: &[u8]) -> Delivery {
        let mut attempts = Vec::new();
        let mut backoff = self.retry.first_backoff;
        let mut delivered = false;
        for n in 1..=self.retry.attempts.max(1) {
            let (outcome, retry) = self.post(n, url, secret, body).await;
            delivered = outcome.status.is_some_and(|s| (200..300).contains(&s));
            attempts.push(outcome);
            if delivered || !retry || n == self.retry.attempts {
                break;
            }
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
        Delivery { channel: kind.into(), url: Some(url.to_owned()), delivered, attempts }
    }

    /// One signed `POST`: its outcome and whether another attempt may help.
    async fn post(&self, n: u32, url: &str, secret: &str, body: &[u8]) -> (Attempt, bool) {
        let signed = signature::sign(secret, Utc::now().timestamp(), body);
        let request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "sales-analytics-alerts/1")
            .header(signature::HEADER, signed)
            .body(Full::new(Bytes::copy_from_slice(body)));
        let request = match request {
            Ok(request) => request,
            Err(e) => return (attempt(n, None, Some(format!("bad URL: {e}"))), false),
        };
        match self.http.send(request, self.retry.timeout, 64 * 1024).await {
            Ok(answer) => {
                let status = answer.status.as_u16();
                let retry = answer.status.is_server_error() || status == 429;
                let error =
                    (!answer.status.is_success()).then(|| format!("answered {}", answer.status));
                (attempt(n, Some(status), error), retry)
            }
            Err(e @ (OutboundError::TimedOut(_) | OutboundError::Request(_))) => {
                (attempt(n, None, Some(e.to_string())), true)
            }
        }
    }

    async fn sns(&self, kind: &str, event: &AlertEvent, body: &[u8]) -> Delivery {
        let outcome = match &self.topic {
            None => Err("no alerts topic is configured (SALES_ALERTS_TOPIC_ARN)".to_owned()),
            Some(topic) => topic
                .client
                .publish()
                .topic_arn(&topic.arn)
                .subject(format!("{} {}", event.kind.as_str(), event.metric.as_str()))
                .message(String::from_utf8_lossy(body))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("{}", aws_sdk_sns::error::DisplayErrorContext(e))),
        };
        let delivered = outcome.is_ok();
        Delivery {
            channel: kind.into(),
            url: None,
            delivered,
            attempts: vec![attempt(1, None, outcome.err())],
        }
    }
}

fn attempt(n: u32, status: Option<u16>, error: Option<String>) -> Attempt {
    Attempt { attempt: n, at: timestamp(Utc::now()), status, error }
}
