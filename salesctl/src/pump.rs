//! The local stream pump: reads the source table's stream through the
//! DynamoDB Streams API (on DynamoDB Local) and invokes the rollup handler
//! with the same `aws_lambda_events` DynamoDB event the Lambda event source
//! mapping sends, honouring batch-item-failure responses the way Lambda
//! does: it retries from the first reported failure, and after
//! [`MAX_RETRIES`] sends that record to a dead-letter file and goes on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use aws_lambda_events::dynamodb::Event;
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use futures::FutureExt;
use serde_json::{Map, Value, json};

use rollup::RollupContext;

/// Records per rollup invocation (the event source mapping's BatchSize).
pub const BATCH_SIZE: i32 = 100;
/// Retries of a failing record before it goes to the dead-letter file.
pub const MAX_RETRIES: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum PumpError {
    #[error("the source table {0} has no stream")]
    NoStream(String),
    #[error("DynamoDB Streams {operation} failed: {message}")]
    Streams { operation: &'static str, message: String },
    #[error("building the Lambda event failed: {0}")]
    Event(#[from] serde_json::Error),
    #[error("writing {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

fn streams_err<E: std::error::Error + 'static, R: std::fmt::Debug>(
    operation: &'static str,
) -> impl FnOnce(aws_sdk_dynamodbstreams::error::SdkError<E, R>) -> PumpError {
    move |e| PumpError::Streams {
        operation,
        message: format!("{}", aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)),
    }
}

#[derive(Debug, Default)]
struct ShardCursor {
    parent: Option<String>,
    iterator: Option<String>,
    last_sequence: Option<String>,
    closed: bool,
}

/// What one invocation of the rollup did.
enum Invocation {
    /// It returned; the position of the first reported failure, if any.
    Done(Option<usize>),
    /// It failed as a whole (a panic, an event that does not deserialize).
    Failed(String),
}

/// Pumps one table's stream into the rollup.
pub struct Pump {
    streams: StreamsClient,
    stream_arn: String,
    region: String,
    rollup: RollupContext,
    shards: HashMap<String, ShardCursor>,
    checkpoint_file: Option<PathBuf>,
    dead_letter_file: Option<PathBuf>,
}

/// A DynamoDB Streams attribute value in the JSON form of Lambda events.
pub fn attribute_json(value: &AttributeValue) -> Value {
    use base64::Engine;
    let b64 = |b: &aws_sdk_dynamodbstreams::primitives::Blob| {
        base64::engine::general_purpose::STANDARD.encode(b.as_ref())
    };
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => json!({ "BS": v.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::L(items) => {
            json!({ "L": items.iter().map(attribute_json).collect::<Vec<_>>() })
        }
        AttributeValue::M(map) => json!({ "M": image_json(map) }),
        _ => json!({ "NULL": true }),
    }
}

fn image_json(map: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(map.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect::<Map<_, _>>())
}

/// One stream record in the shape Lambda delivers it.
pub fn lambda_record(record: &Record, stream_arn: &str, region: &str) -> Value {
    let mut change = Map::new();
    if let Some(s) = &record.dynamodb {
        if let Some(at) = s.approximate_creation_date_time {
            change.insert("ApproximateCreationDateTime".into(), json!(at.as_secs_f64()));
        }
        if let Some(keys) = &s.keys {
            change.insert("Keys".into(), image_json(keys));
        }
        if let Some(new) = &s.new_image {
            change.insert("NewImage".into(), image_json(new));
        }
        if let Some(old) = &s.old_image {
            change.insert("OldImage".into(), image_json(old));
        }
        change.insert("SequenceNumber".into(), json!(s.sequence_number));
        change.insert("SizeBytes".into(), json!(s.size_bytes.unwrap_or(0)));
        change.insert(
            "StreamViewType".into(),
            json!(s.stream_view_type.as_ref().map(|v| v.as_str())),
        );
    }
    json!({
        "eventID": record.event_id,
        "eventName": record.event_name.as_ref().map(|n| n.as_str()),
        "eventVersion": record.event_version.clone().unwrap_or_else(|| "1.1".into()),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region.clone().unwrap_or_else(|| region.to_owned()),
        "dynamodb": Value::Object(change),
        "eventSourceARN": stream_arn,
    })
}

impl Pump {
    /// Finds the stream of `rollup.source_table`.
    pub async fn new(
        config: &sales_shared::config::Config,
        rollup: RollupContext,
        checkpoint_file: Option<PathBuf>,
        dead_letter_file: Option<PathBuf>,
    ) -> Result<Self, PumpError> {
        let table = rollup.source_table.clone();
        let described =
            rollup.dynamo.describe_table().table_name(&table).send().await.map_err(|e| {
                PumpError::Streams {
                    operation: "DescribeTable",
                    message: format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(e)),
                }
            })?;
        let stream_arn = described
            .table
            .and_then(|t| t.latest_stream_arn)
            .ok_or_else(|| PumpError::NoStream(table.clone()))?;
        let streams = streams_client(config).await;
        let mut shards = HashMap::new();
        let saved = checkpoint_file.as_ref().and_then(|path| std::fs::read_to_string(path).ok());
        let saved: HashMap<String, String> =
            saved.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default();
        for (shard, sequence) in saved {
            shards
                .insert(shard, ShardCursor { last_sequence: Some(sequence), ..Default::default() });
        }
        Ok(Pump {
            streams,
            stream_arn,
            region: config.region.clone(),
            rollup,
            shards,
            checkpoint_file,
            dead_letter_file,
        })
    }

    async fn discover_shards(&mut self) -> Result<(), PumpError> {
        let mut start: Option<String> = None;
        loop {
            let out = self
                .streams
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(streams_err("DescribeStream"))?;
            let Some(description) = out.stream_description else { return Ok(()) };
            for shard in description.shards.unwrap_or_default() {
                let Some(id) = shard.shard_id else { continue };
                let cursor = self.shards.entry(id).or_default();
                cursor.parent = shard.parent_shard_id;
            }
            start = description.last_evaluated_shard_id;
            if start.is_none() {
                return Ok(());
            }
        }
    }

    async fn iterator_for(&self, shard_id: &str) -> Result<Option<String>, PumpError> {
        let cursor = &self.shards[shard_id];
        let mut request =
            self.streams.get_shard_iterator().stream_arn(&self.stream_arn).shard_id(shard_id);
        let after = cursor.last_sequence.is_some();
        request = match &cursor.last_sequence {
            Some(seq) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(seq),
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        match request.send().await {
            Ok(out) => Ok(out.shard_iterator),
            // The saved position is gone (past retention, or DynamoDB Local
            // invalidating it): replay the shard from its oldest record;
            // the rollup's ledger drops what was already applied.
            Err(err)
                if after
                    && err
                        .as_service_error()
                        .is_some_and(|e| e.is_trimmed_data_access_exception()) =>
            {
                tracing::error!(
                    shard = shard_id,
                    "saved stream position trimmed; replaying the shard from its start (records trimmed before it \
                     were never applied: run `salesctl verify`)"
                );
                let out = self
                    .streams
                    .get_shard_iterator()
                    .stream_arn(&self.stream_arn)
                    .shard_id(shard_id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .map_err(streams_err("GetShardIterator"))?;
                Ok(out.shard_iterator)
            }
            Err(err) => Err(streams_err("GetShardIterator")(err)),
        }
    }

    /// One pass over every shard, reading each until it has nothing more
    /// for now. Returns the number of records handed to the rollup.
    pub async fn poll_once(&mut self) -> Result<usize, PumpError> {
        self.discover_shards().await?;
        let mut ids: Vec<String> = self.shards.keys().cloned().collect();
        ids.sort();
        let mut processed = 0;
        for id in ids {
            let parent_pending = self.shards[&id]
                .parent
                .as_ref()
                .is_some_and(|p| self.shards.get(p).is_some_and(|parent| !parent.closed));
            if self.shards[&id].closed || parent_pending {
                continue;
            }
            processed += self.drain_shard(&id).await?;
        }
        Ok(processed)
    }

    /// Reads every record now in the stream, in shard order, as Lambda
    /// delivers them, without invoking the rollup (tests deliver them with
    /// their own duplication and retry patterns).
    pub async fn read_all(&mut self) -> Result<Vec<Value>, PumpError> {
        self.discover_shards().await?;
        let mut ids: Vec<String> = self.shards.keys().cloned().collect();
        ids.sort();
        let mut out = Vec::new();
        for id in ids {
            let mut iterator = self.iterator_for(&id).await?;
            while let Some(it) = iterator {
                let page = self
                    .streams
                    .get_records()
                    .shard_iterator(&it)
                    .limit(1000)
                    .send()
                    .await
                    .map_err(streams_err("GetRecords"))?;
                let records = page.records.unwrap_or_default();
                if records.is_empty() {
                    break;
                }
                out.extend(
                    records.iter().map(|r| lambda_record(r, &self.stream_arn, &self.region)),
                );
                iterator = page.next_shard_iterator;
            }
        }
        Ok(out)
    }

    /// Polls until a pass finds nothing new.
    pub async fn drain(&mut self) -> Result<usize, PumpError> {
        let mut total = 0;
        loop {
            let n = self.poll_once().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs until the process is stopped.
    pub async fn run(&mut self, interval: Duration) -> Result<(), PumpError> {
        loop {
            match self.poll_once().await {
                Ok(n) if n > 0 => tracing::info!(records = n, "applied stream records"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "stream poll failed; retrying"),
            }
            tokio::time::sleep(interval).await;
        }
    }

    async fn drain_shard(&mut self, shard_id: &str) -> Result<usize, PumpError> {
        let mut processed = 0;
        loop {
            let iterator = match self.shards[shard_id].iterator.clone() {
                Some(it) => it,
                None => match self.iterator_for(shard_id).await? {
                    Some(it) => it,
                    None => {
                        self.shard(shard_id).closed = true;
                        return Ok(processed);
                    }
                },
            };
            let out = match self
                .streams
                .get_records()
                .shard_iterator(&iterator)
                .limit(BATCH_SIZE)
                .send()
                .await
            {
                Ok(out) => out,
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_expired_iterator_exception()) =>
                {
                    self.shard(shard_id).iterator = None;
                    continue;
                }
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_trimmed_data_access_exception()) =>
                {
                    // As in `iterator_for`: replay from the shard's start.
                    tracing::error!(
                        shard = shard_id,
                        "stream position trimmed; replaying the shard from its start (records trimmed before it \
                         were never applied: run `salesctl verify`)"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let cursor = self.shard(shard_id);
                    cursor.iterator = None;
                    cursor.last_sequence = None;
                    continue;
                }
                Err(err) => return Err(streams_err("GetRecords")(err)),
            };
            let records = out.records.unwrap_or_default();
            let next = out.next_shard_iterator;
            if !records.is_empty() {
                processed += records.len();
                self.deliver(&records).await?;
                let last = records
                    .last()
                    .and_then(|r| r.dynamodb.as_ref())
                    .and_then(|d| d.sequence_number.clone());
                self.shard(shard_id).last_sequence = last;
                self.save_checkpoint()?;
            }
            let cursor = self.shard(shard_id);
            cursor.iterator = next.clone();
            if next.is_none() {
                cursor.closed = true;
                return Ok(processed);
            }
            if records.is_empty() {
                return Ok(processed);
            }
        }
    }

    fn shard(&mut self, shard_id: &str) -> &mut ShardCursor {
        self.shards.entry(shard_id.to_owned()).or_default()
    }

    /// Invokes the rollup like Lambda's event source mapping: retries from
    /// the first reported batch item failure, halves a batch whose
    /// invocation fails as a whole (`BisectBatchOnFunctionError`), and
    /// dead-letters a record that still fails after [`MAX_RETRIES`]
    /// retries. No record can stop the pump: a panic in the handler is an
    /// invocation failure like any other.
    async fn deliver(&self, records: &[Record]) -> Result<(), PumpError> {
        let events =
            records.iter().map(|r| lambda_record(r, &self.stream_arn, &self.region)).collect();
        self.deliver_events(events).await
    }

    async fn deliver_events(&self, mut remaining: Vec<Value>) -> Result<(), PumpError> {
        let mut attempts = 0;
        while !remaining.is_empty() {
            let first_failed = match self.invoke(&remaining).await {
                Invocation::Done(failed) => failed,
                Invocation::Failed(reason) if remaining.len() > 1 => {
                    tracing::warn!(
                        reason,
                        records = remaining.len(),
                        "rollup invocation failed; bisecting the batch"
                    );
                    let second = remaining.split_off(remaining.len() / 2);
                    Box::pin(self.deliver_events(remaining)).await?;
                    return Box::pin(self.deliver_events(second)).await;
                }
                Invocation::Failed(reason) => {
                    tracing::warn!(reason, "rollup invocation failed");
                    Some(0)
                }
            };
            let Some(first_failed) = first_failed else { return Ok(()) };
            remaining.drain(..first_failed);
            if first_failed > 0 {
                attempts = 0;
                continue;
            }
            attempts += 1;
            if attempts > MAX_RETRIES {
                let failed = remaining.remove(0);
                tracing::error!(sequence = %failed["dynamodb"]["SequenceNumber"], "record failed {MAX_RETRIES} retries; dead-lettered");
                self.dead_letter(&failed)?;
                attempts = 0;
            } else {
                tokio::time::sleep(Duration::from_millis(100 * 2u64.pow(attempts))).await;
            }
        }
        Ok(())
    }

    /// One invocation of the rollup handler with `records`.
    async fn invoke(&self, records: &[Value]) -> Invocation {
        let event: Event = match serde_json::from_value(json!({ "Records": records })) {
            Ok(event) => event,
            Err(err) => {
                return Invocation::Failed(format!("the event does not deserialize: {err}"));
            }
        };
        let handled =
            std::panic::AssertUnwindSafe(rollup::handle(&self.rollup, event)).catch_unwind().await;
        let response = match handled {
            Ok(response) => response,
            Err(panic) => {
                let message = sales_shared::http::router::panic_message(panic.as_ref());
                return Invocation::Failed(format!("the handler panicked: {message}"));
            }
        };
        Invocation::Done(
            response
                .batch_item_failures
                .iter()
                .filter_map(|f| f.item_identifier.as_deref())
                .filter_map(|id| records.iter().position(|r| r["dynamodb"]["SequenceNumber"] == id))
                .min(),
        )
    }

    fn dead_letter(&self, record: &Value) -> Result<(), PumpError> {
        let Some(path) = &self.dead_letter_file else { return Ok(()) };
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| PumpError::Io { path: path.clone(), source })?;
        writeln!(file, "{record}").map_err(|source| PumpError::Io { path: path.clone(), source })
    }

    fn save_checkpoint(&self) -> Result<(), PumpError> {
        let Some(path) = &self.checkpoint_file else { return Ok(()) };
        let saved: HashMap<&String, &String> = self
            .shards
            .iter()
            .filter_map(|(id, c)| c.last_sequence.as_ref().map(|s| (id, s)))
            .collect();
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(&saved)?)
            .map_err(|source| PumpError::Io { path: tmp.clone(), source })?;
        std::fs::rename(&tmp, path).map_err(|source| PumpError::Io { path: path.clone(), source })
    }
}

async fn streams_client(config: &sales_shared::config::Config) -> StreamsClient {
    let shared = sales_shared::aws::sdk_config(config).await;
    let mut builder = aws_sdk_dynamodbstreams::config::Builder::from(&shared);
    if let Some(endpoint) = &config.dynamodb_endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    StreamsClient::from_conf(builder.build())
}
