//! The SQS queues the functions hand work through (export jobs, the
//! monthly reports' and the alerts' per-tenant fan-out, alert deliveries):
//! one client and URL, messages sent one at a time or ten to a batch, and
//! a message's next delivery pushed back (a retry's backoff).

use serde::Serialize;

/// A queue and the client that reaches it.
pub struct Queue {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
}

/// Why a queue refused a message: the SQS operation and its error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SQS {operation}: {message}")]
pub struct QueueError {
    pub operation: &'static str,
    pub message: String,
}

impl QueueError {
    fn new(operation: &'static str, message: impl std::fmt::Display) -> Self {
        QueueError { operation, message: message.to_string() }
    }
}

/// Most entries SQS takes in one `SendMessageBatch`.
const BATCH: usize = 10;

impl Queue {
    /// The queue at `url` (set), with the client of this configuration.
    pub async fn at(config: &crate::config::Config, url: Option<&String>) -> Option<Self> {
        let url = url?.clone();
        Some(Queue { client: crate::aws::sqs(config).await, url })
    }

    /// Sends one message, `body` as JSON.
    pub async fn send(&self, body: &impl Serialize) -> Result<(), QueueError> {
        let body = serde_json::to_string(body).map_err(|e| QueueError::new("SendMessage", e))?;
        self.client.send_message().queue_url(&self.url).message_body(body).send().await.map_err(
            |e| QueueError::new("SendMessage", aws_sdk_sqs::error::DisplayErrorContext(e)),
        )?;
        Ok(())
    }

    /// Sends every body as JSON, ten to a batch; fails on the first batch
    /// SQS refuses any of (the earlier ones stay sent).
    pub async fn send_all<T: Serialize>(&self, bodies: &[T]) -> Result<(), QueueError> {
        for batch in bodies.chunks(BATCH) {
            let entries = batch
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    let body = serde_json::to_string(body)
                        .map_err(|e| QueueError::new("SendMessageBatch", e))?;
                    aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| QueueError::new("SendMessageBatch", e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    QueueError::new("SendMessageBatch", aws_sdk_sqs::error::DisplayErrorContext(e))
                })?;
            if let Some(failed) = out.failed.first() {
                return Err(QueueError::new(
                    "SendMessageBatch",
                    format!("{} of a batch refused: {failed:?}", out.failed.len()),
                ));
            }
        }
        Ok(())
    }

    /// Makes the message `receipt` invisible for `seconds` from now: its
    /// next delivery, once this one is reported failed.
    pub async fn delay(&self, receipt: &str, seconds: u32) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| {
                QueueError::new(
                    "ChangeMessageVisibility",
                    aws_sdk_sqs::error::DisplayErrorContext(e),
                )
            })?;
        Ok(())
    }
}

/// What handles one batch of messages: Lambda's SQS event in, its partial
/// batch response out (the messages that failed, which alone come back).
pub type BatchHandler<'a> = dyn FnMut(
        aws_lambda_events::sqs::SqsEvent,
    ) -> futures::future::BoxFuture<'a, aws_lambda_events::sqs::SqsBatchResponse>
    + Send
    + 'a;

impl Queue {
    /// Receives the queue's messages until it is empty (waiting up to
    /// `wait` for each batch), hands each batch to `handle` as Lambda's
    /// event source mapping would, with their `ApproximateReceiveCount`,
    /// and deletes those it did not report as failed; returns how many
    /// messages were handled. Local runs and tests stand in for the
    /// mapping with it.
    pub async fn drain(
        &self,
        wait: std::time::Duration,
        handle: &mut BatchHandler<'_>,
    ) -> Result<usize, QueueError> {
        let mut handled = 0;
        loop {
            let out = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(10)
                .message_system_attribute_names(
                    aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
                )
                .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(0))
                .send()
                .await
                .map_err(|e| {
                    QueueError::new("ReceiveMessage", aws_sdk_sqs::error::DisplayErrorContext(e))
                })?;
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return Ok(handled);
            }
            let mut event = aws_lambda_events::sqs::SqsEvent::default();
            event.records = messages.iter().map(lambda_message).collect();
            let answer = handle(event).await;
            let failed: Vec<&str> =
                answer.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
            for message in &messages {
                if failed.contains(&message.message_id.as_deref().unwrap_or_default()) {
                    continue;
                }
                self.client
                    .delete_message()
                    .queue_url(&self.url)
                    .receipt_handle(message.receipt_handle.clone().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| {
                        QueueError::new("DeleteMessage", aws_sdk_sqs::error::DisplayErrorContext(e))
                    })?;
            }
            handled += messages.len();
        }
    }
}

/// A received message as Lambda's SQS event carries it.
fn lambda_message(message: &aws_sdk_sqs::types::Message) -> aws_lambda_events::sqs::SqsMessage {
    let mut record = aws_lambda_events::sqs::SqsMessage::default();
    record.message_id = message.message_id.clone();
    record.receipt_handle = message.receipt_handle.clone();
    record.body = message.body.clone();
    record.event_source = Some("aws:sqs".into());
    record.attributes = message
        .attributes
        .iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
        .collect();
    record
}

/// How many times SQS has handed out `message` (its
/// `ApproximateReceiveCount`), 1 when it does not say.
pub fn receive_count(message: &aws_lambda_events::sqs::SqsMessage) -> u32 {
    message.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1)
}

/// An SQS event's messages, each read as a `T` (JSON) and handled, all at
/// once; `handle` says whether the message is done. The partial batch
/// response names the others, and the messages that are not `kind` at all
/// (logged; the queue's redrive policy moves them aside).
pub async fn each_message<T, F, Done>(
    event: aws_lambda_events::sqs::SqsEvent,
    kind: &str,
    handle: F,
) -> aws_lambda_events::sqs::SqsBatchResponse
where
    T: serde::de::DeserializeOwned,
    F: Fn(aws_lambda_events::sqs::SqsMessage, T) -> Done,
    Done: std::future::Future<Output = bool>,
{
    let runs = event.records.into_iter().map(|record| {
        let id = record.message_id.clone().unwrap_or_default();
        let message = serde_json::from_str::<T>(record.body.as_deref().unwrap_or_default());
        let run = message.ok().map(|message| handle(record, message));
        async move {
            let Some(run) = run else {
                tracing::error!(message_id = id, "not {kind}");
                return Some(id);
            };
            (!run.await).then_some(id)
        }
    });
    batch_response(futures::future::join_all(runs).await.into_iter().flatten().collect())
}

/// A partial batch response naming `failed` message ids.
pub fn batch_response(failed: Vec<String>) -> aws_lambda_events::sqs::SqsBatchResponse {
    let mut response = aws_lambda_events::sqs::SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = aws_lambda_events::sqs::BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}
