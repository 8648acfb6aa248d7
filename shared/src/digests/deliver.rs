//! One tenant's run of the digest schedule at a moment: each subscription
//! whose digest is due is claimed for its period, gathered, rendered, and
//! sent to each recipient through SES (one message each, with its own
//! unsubscribe link) and to each webhook, signed as alerts are. Every
//! outcome is kept in the period's send (`GET /subscriptions/{id}/deliveries`).

use std::collections::HashMap;

use aws_sdk_ses::primitives::Blob;
use aws_sdk_ses::types::{MessageTag, RawMessage};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::DigestError;
use super::content::{DigestContent, gather_digest};
use super::email::{Attachment, Envelope, MAX_ATTACHMENT_BYTES, message};
use super::feedback::TENANT_TAG;
use super::schedule::due;
use super::store::{DigestStore, Outcome, RecipientOutcome, SendRecord, Subscription};
use super::unsubscribe::{Unsubscribe, UnsubscribeSigner};
use crate::alerts::deliver::Deliverer;
use crate::alerts::store::{Delivery, timestamp};
use crate::config::Config;
use crate::exports::destination::Destination;
use crate::store::aggregates::AggregateReader;
use secrecy::ExposeSecret;

/// How late a run may still send a digest (a run missed or retried within
/// it sends; the claim keeps it to one).
pub const CATCH_UP_HOURS: i64 = 3;
/// Rounds a digest's webhooks get within the run.
const WEBHOOK_ROUNDS: u32 = 3;

/// SES, as the digests use it.
pub struct Mailer {
    pub ses: aws_sdk_ses::Client,
    /// The `From` address: an identity verified in SES (`SALES_DIGEST_SENDER`).
    pub sender: String,
    /// Bounce and complaint events go through it (`SALES_SES_CONFIGURATION_SET`).
    pub configuration_set: Option<String>,
}

impl Mailer {
    /// SES at the configured endpoint, if a sender is configured.
    pub async fn from_config(config: &Config) -> Option<Self> {
        let sender = config.digest_sender.clone()?;
        Some(Mailer {
            ses: crate::aws::ses(config).await,
            sender,
            configuration_set: config.ses_configuration_set.clone(),
        })
    }

    /// Verifies the sender's address as an SES identity: what local setup
    /// does on moto (in AWS, the identity is verified once by its owner;
    /// docs/operations.md, "Digests by email").
    pub async fn verify_sender(&self) -> Result<(), String> {
        self.ses
            .verify_email_identity()
            .email_address(&self.sender)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_ses::error::DisplayErrorContext(e).to_string())
    }

    /// Sends one raw message to `to`; SES's message id.
    async fn send(&self, to: &str, tenant: &str, raw: Vec<u8>) -> Result<String, String> {
        let tag = MessageTag::builder().name(TENANT_TAG).value(tag_value(tenant)).build();
        let out = self
            .ses
            .send_raw_email()
            .source(&self.sender)
            .destinations(to)
            .raw_message(
                RawMessage::builder().data(Blob::new(raw)).build().map_err(|e| e.to_string())?,
            )
            .set_tags(tag.ok().map(|t| vec![t]))
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| aws_sdk_ses::error::DisplayErrorContext(e).to_string())?;
        Ok(out.message_id)
    }
}

/// A tenant id as an SES tag value (letters, digits, `_`, `-`; others as `_`).
fn tag_value(tenant: &str) -> String {
    tenant.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// What the digest runs need; built once per process.
pub struct DigestContext {
    pub dynamo: aws_sdk_dynamodb::Client,
    pub aggregates_table: String,
    pub alerts_table: String,
    /// Where the digests' PDFs are kept for links and webhooks.
    pub destination: Destination,
    /// `None` without `SALES_DIGEST_SENDER`: email recipients fail.
    pub mailer: Option<Mailer>,
    /// Webhooks, signed and under the egress policy, as alerts'.
    pub deliverer: Deliverer,
    pub unsubscribe: UnsubscribeSigner,
    /// The API's public base URL, for unsubscribe links (`SALES_PUBLIC_API_URL`).
    pub api_base: String,
}

impl DigestContext {
    pub async fn from_config(config: &Config) -> Self {
        DigestContext {
            dynamo: crate::aws::dynamodb(config).await,
            aggregates_table: config.aggregates_table.clone(),
            alerts_table: config.alerts_table.clone(),
            destination: Destination::from_config(config).await,
            mailer: Mailer::from_config(config).await,
            deliverer: Deliverer {
                http: crate::outbound::Outbound::new(config.egress.clone()),
                topic: None,
                retry: crate::alerts::deliver::RetryPolicy::in_process(),
                secrets: crate::alerts::sealed::SecretBox::from_config(config).await,
            },
            unsubscribe: UnsubscribeSigner::new(config.cursor_secret.expose_secret().as_bytes()),
            api_base: config.public_api_url.clone(),
        }
    }
}

/// One subscription's send in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunOutcome {
    pub tenant: String,
    pub subscription: String,
    pub digest: String,
    pub period: String,
    pub sent: usize,
    pub suppressed: usize,
    pub failed: usize,
    pub webhooks_delivered: usize,
}

/// Sends every digest of `tenant` due at `now`; what each send did. One
/// subscription's failure does not stop the others; the first is returned
/// after them (the run is retried, and the claims keep what was sent).
pub async fn run_tenant(
    ctx: &DigestContext,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<Vec<RunOutcome>, DigestError> {
    let reader = AggregateReader::new(&ctx.dynamo, &ctx.aggregates_table, tenant);
    let settings = reader.settings().await?;
    let store = DigestStore::new(&ctx.dynamo, &ctx.alerts_table, tenant);
    let mut outcomes = Vec::new();
    let mut first_error = None;
    for subscription in store.subscriptions().await? {
        let spec = &subscription.spec;
        let window = Duration::hours(CATCH_UP_HOURS);
        let Some(slot) = due(
            spec.cadence,
            spec.time,
            settings.tz(),
            now,
            window,
            since(subscription.created(), now),
        ) else {
            continue;
        };
        let fresh = SendRecord {
            period: slot.period.clone(),
            digest: spec.digest.as_str().to_owned(),
            status: "sending".to_owned(),
            due_at: timestamp(slot.at),
            ..SendRecord::default()
        };
        let Some(claimed) = store.claim(&subscription.id, &fresh, now).await? else {
            continue;
        };
        let sent = async {
            let content =
                gather_digest(&reader, tenant, &settings, spec.digest, slot.date, now).await?;
            send(ctx, &store, tenant, &subscription, claimed, &content, now).await
        };
        match sent.await {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
                tracing::error!(tenant, subscription = subscription.id, error = %e, "digest failed");
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(outcomes),
    }
}

/// The earliest slot a run at `now` may send: none before the
/// subscription was created (made at 09:10, it does not send that day's
/// 09:00 digest), unless the run is of a moment before it was: an
/// operator replaying that moment (`salesctl digests run --at`) gets what
/// the subscription would have sent then.
fn since(created: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    if now >= created { created } else { DateTime::<Utc>::MIN_UTC }
}

/// The S3 key of a send's PDF.
fn pdf_key(tenant: &str, subscription: &str, period: &str, name: &str) -> String {
    format!("digests/{tenant}/{subscription}/{period}/{name}")
}

async fn send(
    ctx: &DigestContext,
    store: &DigestStore<'_>,
    tenant: &str,
    subscription: &Subscription,
    mut record: SendRecord,
    content: &DigestContent,
    now: DateTime<Utc>,
) -> Result<RunOutcome, DigestError> {
    let spec = &subscription.spec;
    let key = pdf_key(tenant, &subscription.id, &record.period, &content.pdf_name);
    ctx.destination.put(&key, &content.pdf_name, "application/pdf", content.pdf.clone()).await?;
    let link = ctx.destination.link(&key, &content.pdf_name, now).await?;
    let attachment = if content.pdf.len() > MAX_ATTACHMENT_BYTES {
        Attachment::Link { url: &link.url, expires: link.expires_at }
    } else {
        Attachment::Pdf
    };
    record.attachment = match attachment {
        Attachment::Pdf => "attached",
        Attachment::Link { .. } => "link",
    }
    .to_owned();

    let done = record.sent_to();
    let suppressed: HashMap<String, Outcome> =
        store.suppressed(&subscription.id, &spec.recipients).await?;
    record.recipients.retain(|r| r.outcome == Outcome::Sent);
    for address in &spec.recipients {
        if done.contains(address) {
            continue;
        }
        let outcome = match suppressed.get(address) {
            Some(why) => RecipientOutcome {
                address: address.clone(),
                outcome: *why,
                message_id: None,
                error: None,
            },
            None => email(ctx, tenant, subscription, address, content, attachment, now).await,
        };
        record.recipients.push(outcome);
        if !store.record(&subscription.id, &record).await? {
            return Err(DigestError::ClaimLost(record.period));
        }
    }

    if !spec.channels.is_empty() {
        let secret =
            ctx.deliverer.secrets.open(&subscription.secret, tenant, &subscription.id).await?;
        let body = webhook_body(tenant, subscription, &record.period, content, &link)?;
        let mut deliveries: Vec<Delivery> = spec.channels.iter().map(Delivery::untried).collect();
        for round in 1..=WEBHOOK_ROUNDS {
            deliveries =
                ctx.deliverer.round(&spec.channels, &deliveries, &secret, tenant, &body).await;
            if !deliveries.iter().any(Delivery::wants_retry) || round == WEBHOOK_ROUNDS {
                break;
            }
            tokio::time::sleep(ctx.deliverer.retry.backoff(round)).await;
        }
        record.channels = deliveries;
    }

    record.status = "sent".to_owned();
    record.sent_at = Some(timestamp(now));
    if !store.record(&subscription.id, &record).await? {
        return Err(DigestError::ClaimLost(record.period));
    }
    let count = |o: Outcome| record.recipients.iter().filter(|r| r.outcome == o).count();
    Ok(RunOutcome {
        tenant: tenant.to_owned(),
        subscription: subscription.id.clone(),
        digest: record.digest.clone(),
        period: record.period.clone(),
        sent: count(Outcome::Sent),
        suppressed: count(Outcome::Suppressed) + count(Outcome::Unsubscribed),
        failed: count(Outcome::Failed),
        webhooks_delivered: record.channels.iter().filter(|d| d.delivered).count(),
    })
}

/// What a digest's webhooks get (`digest.sent`): its figures as the API
/// writes them, and a link to its PDF.
#[derive(Serialize)]
struct WebhookBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    tenant_id: &'a str,
    subscription_id: &'a str,
    digest: &'a str,
    period: &'a str,
    title: &'a str,
    currency: &'a str,
    data_through: Option<String>,
    figures: std::collections::BTreeMap<&'a str, Box<serde_json::value::RawValue>>,
    report_url: &'a str,
    report_url_expires_at: String,
}

fn webhook_body(
    tenant: &str,
    subscription: &Subscription,
    period: &str,
    content: &DigestContent,
    link: &crate::exports::upload::Link,
) -> Result<String, DigestError> {
    let mut figures = std::collections::BTreeMap::new();
    for f in &content.figures {
        let number = serde_json::value::RawValue::from_string(f.api_text())
            .map_err(|e| DigestError::Body(e.to_string()))?;
        figures.insert(f.field, number);
    }
    let body = WebhookBody {
        kind: "digest.sent",
        id: crate::alerts::new_id("dgst"),
        tenant_id: tenant,
        subscription_id: &subscription.id,
        digest: subscription.spec.digest.as_str(),
        period,
        title: &content.title,
        currency: &content.currency,
        data_through: content.data_through.map(timestamp),
        figures,
        report_url: &link.url,
        report_url_expires_at: timestamp(link.expires_at),
    };
    serde_json::to_string(&body).map_err(|e| DigestError::Body(e.to_string()))
}

/// One recipient's message through SES.
async fn email(
    ctx: &DigestContext,
    tenant: &str,
    subscription: &Subscription,
    address: &str,
    content: &DigestContent,
    attachment: Attachment<'_>,
    now: DateTime<Utc>,
) -> RecipientOutcome {
    let failed = |error: String| RecipientOutcome {
        address: address.to_owned(),
        outcome: Outcome::Failed,
        message_id: None,
        error: Some(error),
    };
    let Some(mailer) = &ctx.mailer else {
        return failed("no sender is configured (SALES_DIGEST_SENDER)".to_owned());
    };
    let who = Unsubscribe {
        tenant: tenant.to_owned(),
        subscription: subscription.id.clone(),
        address: address.to_owned(),
    };
    let unsubscribe = ctx.unsubscribe.link(&ctx.api_base, &who);
    let envelope = Envelope {
        from: &mailer.sender,
        to: address,
        tenant,
        unsubscribe: &unsubscribe,
        message_id: format!("{}@sales-analytics", crate::ids::random_hex(16)),
        date: now,
    };
    let raw = match message(content, &envelope, attachment) {
        Ok(raw) => raw,
        Err(e) => return failed(format!("building the message failed: {e}")),
    };
    match mailer.send(address, tenant, raw).await {
        Ok(id) => RecipientOutcome {
            address: address.to_owned(),
            outcome: Outcome::Sent,
            message_id: Some(id),
            error: None,
        },
        Err(e) => {
            tracing::warn!(tenant, address, error = %e, "SES refused a digest");
            failed(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_run_sends_nothing_due_before_creation_and_a_replay_of_the_past_does() {
        use super::super::schedule::{Cadence, due};
        let created: DateTime<Utc> = "2026-03-02T14:10:00Z".parse().unwrap();
        let nine = chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let ny = chrono_tz::America::New_York;
        let window = Duration::hours(CATCH_UP_HOURS);
        let at = |t: &str| -> DateTime<Utc> { t.parse().unwrap() };
        // Made at 09:10 New York: that day's 09:00 digest is not sent by the
        // 10:00 run, the next day's is.
        let live = at("2026-03-02T15:00:00Z");
        assert_eq!(due(Cadence::Daily, nine, ny, live, window, since(created, live)), None);
        let next = at("2026-03-03T14:00:00Z");
        let slot = due(Cadence::Daily, nine, ny, next, window, since(created, next)).unwrap();
        assert_eq!(slot.period, "2026-03-03");
        // A run of a moment before the subscription existed replays it.
        let replay = at("2026-03-01T14:00:00Z");
        let slot = due(Cadence::Daily, nine, ny, replay, window, since(created, replay)).unwrap();
        assert_eq!(slot.period, "2026-03-01");
    }

    #[test]
    fn tenant_ids_become_valid_ses_tag_values() {
        assert_eq!(tag_value("acme-eu_1"), "acme-eu_1");
        assert_eq!(tag_value("acme.eu/1"), "acme_eu_1");
    }
}
