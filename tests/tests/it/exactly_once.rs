//! Property: whatever the at-least-once delivery pattern (duplicated
//! batches, retries from an earlier record, bisected small batches), the
//! aggregates equal a from-scratch computation from the source records,
//! item for item, on DynamoDB Local.

use std::sync::OnceLock;

use proptest::prelude::*;
use rollup::rebuild::{differences, expected_state, live_state, source_records};
use sales_tests::TestStack;
use serde_json::{Value, json};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Runtime::new().expect("runtime"))
}

fn stack() -> &'static TestStack {
    static STACK: OnceLock<TestStack> = OnceLock::new();
    STACK.get_or_init(|| runtime().block_on(TestStack::new("chaos", "2025-06-30T12:00:00Z")))
}

#[derive(Debug, Clone)]
enum Op {
    Order { id: i64, version: i64, cents: i64, status: usize, day: i64 },
    Payment { id: i64, version: i64, cents: i64, status: usize, day: i64 },
    Invoice { id: i64, version: i64, cents: i64, paid_parts: Vec<i64>, day: i64, cancelled: bool },
    Delete { kind: usize, id: i64, version: i64 },
}

const ORDER_STATUSES: [&str; 8] = [
    "draft",
    "pending",
    "confirmed",
    "processing",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
];
const PAYMENT_STATUSES: [&str; 5] = ["pending", "completed", "failed", "refunded", "disputed"];
const KINDS: [&str; 3] = ["order", "payment", "invoice"];

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn at(day: i64, hour: i64) -> String {
    let date = chrono::NaiveDate::from_ymd_opt(2025, 5, 1).unwrap() + chrono::Duration::days(day);
    format!("{date}T{hour:02}:30:00Z")
}

fn line(tenant: &str, op: &Op) -> Value {
    match op {
        Op::Order { id, version, cents, status, day } => json!({
            "type": "order", "tenant_id": tenant, "id": id, "version": version, "updated_at": at(*day, 1),
            "order_number": format!("O-{id}"), "customer_id": 1 + id % 3, "source": "api",
            "status": ORDER_STATUSES[*status], "currency": "USD", "total_amount": money(*cents),
            "ordered_at": at(*day, 3), "shipped_at": if status % 2 == 0 { Value::Null } else { json!(at(*day + 2, 9)) }
        }),
        Op::Payment { id, version, cents, status, day } => json!({
            "type": "payment", "tenant_id": tenant, "id": id, "version": version, "updated_at": at(*day, 1),
            "payment_number": format!("P-{id}"), "customer_id": 1, "amount": money(*cents), "currency": "USD",
            "method": "paypal", "status": PAYMENT_STATUSES[*status], "created_at": at(*day, 4),
            "fee_amount": money(cents / 30), "refunded_amount": money(if *status == 3 { *cents } else { 0 })
        }),
        Op::Invoice { id, version, cents, paid_parts, day, cancelled } => {
            let mut remaining = *cents;
            let applications: Vec<Value> = paid_parts
                .iter()
                .enumerate()
                .filter_map(|(i, part)| {
                    let amount = (*part).min(remaining);
                    remaining -= amount;
                    (amount > 0).then(|| json!({"payment_id": i + 1, "amount": money(amount), "applied_at": at(day + 3 * i as i64, 5)}))
                })
                .collect();
            json!({
                "type": "invoice", "tenant_id": tenant, "id": id, "version": version, "updated_at": at(*day, 1),
                "invoice_number": format!("I-{id}"), "customer_id": 1, "order_id": id,
                "status": if *cancelled { "cancelled" } else { "sent" },
                "currency": "USD", "total_amount": money(*cents), "issued_at": at(*day, 6),
                "due_date": (chrono::NaiveDate::from_ymd_opt(2025, 5, 1).unwrap() + chrono::Duration::days(day + 20)).to_string(),
                "payment_applications": applications
            })
        }
        Op::Delete { kind, id, version } => json!({
            "type": KINDS[*kind], "tenant_id": tenant, "id": id, "version": version,
            "updated_at": at(40, 0), "deleted": true
        }),
    }
}

fn op() -> impl Strategy<Value = Op> {
    let id = 1i64..5;
    let version = 1i64..6;
    prop_oneof![
        (id.clone(), version.clone(), 0i64..500_000, 0usize..8, 0i64..45).prop_map(
            |(id, version, cents, status, day)| Op::Order { id, version, cents, status, day }
        ),
        (id.clone(), version.clone(), 1i64..90_000, 0usize..5, 0i64..45).prop_map(
            |(id, version, cents, status, day)| Op::Payment { id, version, cents, status, day }
        ),
        (
            id.clone(),
            version.clone(),
            1i64..90_000,
            proptest::collection::vec(1i64..50_000, 0..4),
            0i64..45,
            any::<bool>()
        )
            .prop_map(|(id, version, cents, paid_parts, day, cancelled)| Op::Invoice {
                id,
                version,
                cents,
                paid_parts,
                day,
                cancelled
            }),
        (0usize..3, id, version).prop_map(|(kind, id, version)| Op::Delete { kind, id, version }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn any_delivery_pattern_equals_a_rebuild(
        ops in proptest::collection::vec(op(), 1..30),
        choices in proptest::collection::vec((0usize..4, 1usize..8), 200),
    ) {
        let stack = stack();
        let result: Result<(), String> = runtime().block_on(async {
            static CASE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let tenant = format!("case{}", CASE.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
            let lines: Vec<Value> = ops.iter().map(|op| line(&tenant, op)).collect();
            let summary = stack.load(&tenant, &lines).await;
            if !summary.rejected.is_empty() {
                return Err(format!("generator wrote a bad record: {:?}", summary.rejected));
            }
            // This tenant's changes, in stream order.
            let mut pump = stack.replaying_pump().await;
            let prefix = format!("{tenant}#");
            let records: Vec<Value> = pump.read_all().await.map_err(|e| e.to_string())?
                .into_iter()
                .filter(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().is_some_and(|pk| pk.starts_with(&prefix)))
                .collect();
            // Deliver at least once, in order, restarting from earlier
            // records at random (duplicates, retries), in random small batches.
            let rollup = rollup::RollupContext::from_config(&stack.config).await;
            let mut delivered = 0;
            let mut choice = choices.iter().cycle();
            while delivered < records.len() {
                let (back, size) = *choice.next().unwrap_or(&(0, 1));
                let start = delivered.saturating_sub(back);
                let end = (start + size).min(records.len()).max(delivered.min(records.len()).max(start + 1));
                let event = serde_json::from_value(json!({"Records": records[start..end]})).map_err(|e| e.to_string())?;
                let response = rollup::handle(&rollup, event).await;
                if !response.batch_item_failures.is_empty() {
                    return Err(format!("rollup reported failures: {:?}", response.batch_item_failures));
                }
                delivered = delivered.max(end);
            }
            let current = source_records(&stack.dynamo, &stack.config.source_table, &tenant, &|_| {}).await.map_err(|e| e.to_string())?;
            let expected = expected_state(&tenant, &current);
            let pks = rollup::rebuild::partitions(&tenant, &expected);
            let live = live_state(&stack.dynamo, &stack.config.aggregates_table, &tenant, &pks).await.map_err(|e| e.to_string())?;
            let diffs = differences(&expected, &live);
            if diffs.is_empty() { Ok(()) } else { Err(diffs.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")) }
        });
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

/// Derived figures (distinct customers, first orders, rankings) come from
/// state items read before each transaction. Orders of one customer
/// applied by concurrent invocations race on those items; the transaction
/// conditioned on what it read must lose and retry, never count twice.
#[test]
fn concurrent_writers_of_one_customer_derive_exactly() {
    let stack = stack();
    let result: Result<(), String> = runtime().block_on(async {
        let tenant = "racing";
        let ops: Vec<Op> = (1..=24)
            .map(|id| Op::Order {
                id: id * 3,
                version: 1,
                cents: 1000 + id * 7,
                status: (id % 7 + 1) as usize,
                day: id % 4,
            })
            .collect();
        let lines: Vec<Value> = ops.iter().map(|op| line(tenant, op)).collect();
        let summary = stack.load(tenant, &lines).await;
        if !summary.rejected.is_empty() {
            return Err(format!("bad record: {:?}", summary.rejected));
        }
        let mut pump = stack.replaying_pump().await;
        let prefix = format!("{tenant}#");
        let records: Vec<Value> = pump
            .read_all()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|r| {
                r["dynamodb"]["Keys"]["pk"]["S"].as_str().is_some_and(|pk| pk.starts_with(&prefix))
            })
            .collect();
        // Every order is one record of customer 1 (ids are multiples of 3);
        // four invocations at once, one record per batch each.
        let rollup = rollup::RollupContext::from_config(&stack.config).await;
        let lanes = (0..4).map(|lane| {
            let mine: Vec<Value> = records.iter().skip(lane).step_by(4).cloned().collect();
            let rollup = &rollup;
            async move {
                for record in mine {
                    let event = serde_json::from_value(json!({"Records": [record]}))
                        .map_err(|e| e.to_string())?;
                    let response = rollup::handle(rollup, event).await;
                    if !response.batch_item_failures.is_empty() {
                        return Err(format!("failures: {:?}", response.batch_item_failures));
                    }
                }
                Ok::<(), String>(())
            }
        });
        for lane in futures::future::join_all(lanes).await {
            lane?;
        }
        let current = source_records(&stack.dynamo, &stack.config.source_table, tenant, &|_| {})
            .await
            .map_err(|e| e.to_string())?;
        let expected = expected_state(tenant, &current);
        let counts =
            expected.measures.keys().filter(|(pk, _)| pk.ends_with("#customer_counts")).count();
        if counts == 0 {
            return Err("no derived counts expected: the test does not exercise derivation".into());
        }
        let pks = rollup::rebuild::partitions(tenant, &expected);
        let live = live_state(&stack.dynamo, &stack.config.aggregates_table, tenant, &pks)
            .await
            .map_err(|e| e.to_string())?;
        let diffs = differences(&expected, &live);
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(diffs.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))
        }
    });
    assert!(result.is_ok(), "{}", result.unwrap_err());
}
