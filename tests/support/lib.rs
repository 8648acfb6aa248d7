//! Test support: private tables on DynamoDB Local (started by
//! `infra/local/with-test-services.sh`, which `make test` uses), the real
//! loader, the real stream pump and the real HTTP routers.

pub mod december;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use sales_shared::config::Config;
use sales_shared::http::ApiContext;
use salesctl::load::{LoadSummary, Loader};
use salesctl::pump::Pump;
use serde_json::Value;
use tower::ServiceExt;

pub const SECRET: &str = "integration-test-secret";

/// The local KMS key's alias (infra/local/config.sh sets the same).
pub const SECRETS_KEY_ALIAS: &str = "alias/sales-analytics-secrets";

/// The API base of the tests' unsubscribe links.
pub const PUBLIC_API_URL: &str = "http://127.0.0.1:9000";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// One test's private stack: its own tables, clock and routers.
pub struct TestStack {
    pub config: Config,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub app: axum::Router,
    pump: Pump,
}

/// A test's configuration, read by `Config::from_lookup` like any other
/// from its variables: private tables named after `prefix`, the clock at
/// `now`, the services of `with-test-services.sh`, and nothing else of the
/// environment.
pub fn test_config(prefix: &str, now: &str) -> Config {
    let moto = std::env::var("SALES_SQS_ENDPOINT").ok();
    let mut vars: std::collections::HashMap<&str, String> = std::collections::HashMap::from([
        ("SALES_ENV", "local".to_owned()),
        ("SALES_SOURCE_TABLE", format!("{prefix}-source")),
        ("SALES_AGGREGATES_TABLE", format!("{prefix}-aggregates")),
        ("SALES_ALERTS_TABLE", format!("{prefix}-alerts")),
        ("SALES_EXPORT_JOBS_TABLE", format!("{prefix}-export-jobs")),
        ("SALES_EXPORTS_BUCKET", "sales-exports-test".to_owned()),
        ("SALES_DYNAMODB_ENDPOINT", endpoint()),
        ("SALES_ANALYTICS_NOW", now.to_owned()),
        ("SALES_JWT_SECRET", SECRET.to_owned()),
        ("SALES_CURSOR_SECRET", "integration-test-cursor-key".to_owned()),
        // moto's KMS seals webhook secrets (`salesctl setup` makes the key).
        ("SALES_SECRETS_KEY_ID", SECRETS_KEY_ALIAS.to_owned()),
        // Digest emails' unsubscribe links point at the local API.
        ("SALES_PUBLIC_API_URL", PUBLIC_API_URL.to_owned()),
    ]);
    if let Ok(s3) = std::env::var("SALES_S3_ENDPOINT") {
        vars.insert("SALES_S3_ENDPOINT", s3);
    }
    if let Some(moto) = moto {
        // moto's one server answers SQS, SNS, KMS, SES and the Lambda API.
        for name in [
            "SALES_SQS_ENDPOINT",
            "SALES_SNS_ENDPOINT",
            "SALES_KMS_ENDPOINT",
            "SALES_SES_ENDPOINT",
            "SALES_LAMBDA_ENDPOINT",
        ] {
            vars.insert(name, moto.clone());
        }
        // The digests' sender, verified in moto's SES by `salesctl setup`.
        vars.insert("SALES_DIGEST_SENDER", sales_shared::config::LOCAL_DIGEST_SENDER.to_owned());
        vars.insert("SALES_EXPORT_QUEUE_URL", format!("{moto}/123456789012/{prefix}-export-jobs"));
    }
    Config::from_lookup(|name| vars.get(name).cloned()).expect("the test configuration is valid")
}

fn endpoint() -> String {
    std::env::var("SALES_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("SALES_DYNAMODB_ENDPOINT is not set: run the tests with `make test` (infra/local/with-test-services.sh)")
    })
}

impl TestStack {
    /// Fresh tables named after the test, the clock pinned at `now`.
    pub async fn new(name: &str, now: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("{name}-{}-{n}", std::process::id());
        let config = test_config(&prefix, now);
        // The bucket too: a test may look into it before any export wrote there.
        salesctl::setup::create_resources(&config, true).await.expect("tables and bucket created");
        let dynamo = sales_shared::aws::dynamodb(&config).await;
        let ctx = ApiContext::from_config(&config).await;
        let app = salesctl::serve::app(ctx);
        let rollup = rollup::RollupContext::from_config(&config).await;
        let pump = Pump::new(&config, rollup, None, None).await.expect("stream found");
        TestStack { config, dynamo, app, pump }
    }

    /// Loads JSON Lines through `salesctl load`'s loader.
    pub async fn load(&self, tenant: &str, lines: &[Value]) -> LoadSummary {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        self.load_text(tenant, &text).await
    }

    pub async fn load_text(&self, tenant: &str, text: &str) -> LoadSummary {
        let loader = Loader {
            dynamo: &self.dynamo,
            source_table: &self.config.source_table,
            tenant,
            progress: false,
        };
        let mut summary = LoadSummary::default();
        let mut currency = sales_shared::store::source::tenant_settings(
            &self.dynamo,
            &self.config.source_table,
            tenant,
        )
        .await
        .expect("settings read")
        .currency;
        loader
            .load_text(std::path::Path::new("test.jsonl"), text, &mut currency, &mut summary)
            .await
            .expect("load ran");
        summary
    }

    /// Runs the stream pump until the stream has nothing new.
    pub async fn pump(&mut self) -> usize {
        self.pump.drain().await.expect("pump drained")
    }

    /// Loads, then waits like `salesctl load --wait` while pumping.
    pub async fn load_and_apply(&mut self, tenant: &str, lines: &[Value]) -> LoadSummary {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        self.load_text_and_apply(tenant, &text).await
    }

    /// [`Self::load_and_apply`] of JSON Lines text.
    pub async fn load_text_and_apply(&mut self, tenant: &str, text: &str) -> LoadSummary {
        let summary = self.load_text(tenant, text).await;
        self.pump().await;
        salesctl::load::wait_for_rollups(
            &self.dynamo,
            &self.config.aggregates_table,
            &summary.written,
            Duration::from_secs(30),
            false,
        )
        .await
        .expect("rollups applied");
        summary
    }

    /// A fresh pump reading the stream from its start (a full replay).
    pub async fn replaying_pump(&self) -> Pump {
        let rollup = rollup::RollupContext::from_config(&self.config).await;
        Pump::new(&self.config, rollup, None, None).await.expect("stream found")
    }

    /// GET through the same router the local server and Lambdas run.
    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, HeaderMap, Value) {
        self.send("GET", path, token, None).await
    }

    /// Any method, with an optional JSON body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let authorization = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> =
            authorization.iter().map(|value| ("authorization", value.as_str())).collect();
        self.send_with(method, path, &headers, body).await
    }

    /// GET with a token and extra headers.
    pub async fn get_with(
        &self,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, Value) {
        let authorization = format!("Bearer {token}");
        let mut all = vec![("authorization", authorization.as_str())];
        all.extend_from_slice(headers);
        self.send_with("GET", path, &all, None).await
    }

    /// Any request with exactly `headers` (and a JSON body, if given).
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        send_to(&self.app, request.body(body).expect("request")).await
    }

    /// The same API as [`Self::app`] with another configuration (a read
    /// budget, a limit) over the same tables.
    pub async fn app_with(&self, config: &Config) -> axum::Router {
        salesctl::serve::app(ApiContext::from_config(config).await)
    }

    /// Runs the export jobs queued so far, as the worker does on AWS;
    /// returns how many messages were handled.
    pub async fn run_export_jobs(&self) -> usize {
        self.run_export_jobs_with(&self.config).await
    }

    /// [`Self::run_export_jobs`] with a worker configured by `config`.
    pub async fn run_export_jobs_with(&self, config: &Config) -> usize {
        let queue = sales_shared::queue::Queue::at(config, config.export_queue_url.as_ref())
            .await
            .expect("an export queue");
        let ctx = export::ReportContext::worker(config).await;
        export::jobs::drain_queue(&ctx, &queue, Duration::ZERO).await.expect("the queue drained")
    }

    /// Every item of the aggregates table, sorted, for item-by-item comparison.
    pub async fn aggregate_items(&self) -> Vec<String> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .dynamo
                .scan()
                .table_name(&self.config.aggregates_table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            for item in out.items.unwrap_or_default() {
                let mut pairs: Vec<String> = item
                    .iter()
                    .filter(|(k, _)| k.as_str() != "through")
                    .map(|(k, v)| format!("{k}={v:?}"))
                    .collect();
                pairs.sort();
                items.push(pairs.join(" "));
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        items.sort();
        items
    }
}

/// A token for `tenant` with `scope`, signed with the test secret.
/// An SQS client on moto's server (`SALES_SQS_ENDPOINT`: `make test`
/// starts it).
pub async fn moto_sqs(config: &Config) -> aws_sdk_sqs::Client {
    let endpoint = config.sqs_endpoint.clone().expect("SALES_SQS_ENDPOINT (make test starts moto)");
    let shared = sales_shared::aws::sdk_config(config).await;
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&shared).endpoint_url(endpoint).build(),
    )
}

/// A queue on moto's SQS named `name`: its URL, and a client to read it.
pub async fn moto_queue(config: &Config, name: &str) -> (String, aws_sdk_sqs::Client) {
    let sqs = moto_sqs(config).await;
    let out = sqs.create_queue().queue_name(name).send().await.expect("queue");
    (out.queue_url.expect("url"), sqs)
}

/// The messages waiting in a queue (up to 10, waiting up to a second),
/// as the SQS event Lambda would hand a function.
pub async fn queued_event(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Value> {
    let received = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    received
        .iter()
        .map(|m| {
            serde_json::json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(),
                "body": m.body(), "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:queue",
                "awsRegion": "us-east-1", "attributes": {}, "messageAttributes": {}})
        })
        .collect()
}

/// A topic on moto's SNS with a queue subscribed to it (raw delivery,
/// with `filter_policy` if given): the topic's ARN, the queue's URL and an
/// SQS client to read it.
pub async fn sns_topic_into_queue(
    config: &Config,
    name: &str,
    filter_policy: Option<&str>,
) -> (String, String, aws_sdk_sqs::Client) {
    let shared = sales_shared::aws::sdk_config(config).await;
    let endpoint = config.sns_endpoint.clone().expect("moto (make test starts it)");
    let sns = aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(&shared).endpoint_url(endpoint).build(),
    );
    let topic = sns.create_topic().name(name).send().await.expect("topic").topic_arn.expect("arn");
    let sqs = moto_sqs(config).await;
    let queue =
        sqs.create_queue().queue_name(name).send().await.expect("queue").queue_url.expect("url");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
        .expect("queue arn");
    let mut subscribe = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true");
    if let Some(policy) = filter_policy {
        subscribe = subscribe.attributes("FilterPolicy", policy);
    }
    subscribe.send().await.expect("subscribed");
    (topic, queue, sqs)
}

/// The body of a presigned link (or any URL), which must answer 200.
pub async fn fetch(url: &str) -> Vec<u8> {
    let response = reqwest::get(url).await.expect("GET");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("the body").to_vec()
}

/// One request to `app`: status, headers and the JSON body (null if not JSON).
pub async fn send_to(app: &axum::Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20).await.expect("body");
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

pub fn token(tenant: &str, scope: &str) -> String {
    sales_shared::auth::mint_hs256(SECRET, tenant, scope, Duration::from_secs(600))
}

/// A JSON number as an exact decimal.
pub fn dec(value: &Value) -> rust_decimal::Decimal {
    value.to_string().parse().unwrap_or_else(|_| panic!("{value} is not a number"))
}
