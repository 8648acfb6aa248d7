//! `salesctl load` against hostile input (issue 10), as users run it, on
//! DynamoDB Local: it goes on past every kind of bad line (too big, not
//! UTF-8, over a limit, an item DynamoDB refuses), reports each with its
//! line number, exits 2 and loses nothing else.
//!
//! A test binary of its own: no other test creates tables on the same
//! DynamoDB Local while it runs (creating a table there invalidates another
//! table's stream iterator taken before its first record, which stalls the
//! stream pump of `cli.rs`).

mod common;

use common::{order, run, text};

fn customer(id: i64, company_name: &str) -> String {
    format!(
        r#"{{"type":"customer","tenant_id":"cli","id":{id},"version":1,"updated_at":"2025-12-01T00:00:00Z","customer_number":"C-{id}","company_name":"{company_name}"}}"#
    )
}

fn customer_of_size(id: i64, bytes: usize) -> String {
    let base = customer(id, "").len();
    customer(id, &"n".repeat(bytes - base))
}

fn lines_file(path: &std::path::Path, lines: &[Vec<u8>]) {
    let mut bytes = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        bytes.extend_from_slice(line);
        bytes.extend_from_slice(if i % 2 == 0 { b"\n" } else { b"\r\n" });
    }
    std::fs::write(path, bytes).unwrap();
}

async fn stored(
    dynamo: &aws_sdk_dynamodb::Client,
    table: &str,
    record_type: &str,
    id: i64,
) -> bool {
    use sales_shared::records::{RecordKey, RecordType};
    let record_type = RecordType::parse(record_type).unwrap();
    let key = RecordKey { tenant_id: "cli".into(), record_type, id };
    sales_shared::store::source::get(dynamo, table, &key).await.unwrap().is_some()
}

#[tokio::test]
async fn load_goes_on_past_hostile_lines() {
    let tables = format!("load-hostile-{}", std::process::id());
    let setup = run(&tables, &["setup"]);
    assert!(setup.status.success(), "{}", text(&setup.stderr));
    let mut config = sales_shared::config::Config::from_env_or_local_stack().unwrap();
    config.source_table = format!("{tables}-source");
    let dynamo = sales_shared::aws::dynamodb(&config).await;
    let table = config.source_table.as_str();

    let dir = std::env::temp_dir().join(format!("salesctl-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hostile = dir.join("hostile.jsonl");
    let bad_utf8 = order(102, "20.00").replace("O-102", "O-\u{1}").into_bytes();
    let bad_utf8: Vec<u8> = bad_utf8.iter().map(|b| if *b == 1 { 0xff } else { *b }).collect();
    lines_file(
        &hostile,
        &[
            order(101, "10.00").into_bytes(),                   // 1
            bad_utf8,                                           // 2
            order(103, "999999999999.99").into_bytes(),         // 3: at the limit
            customer_of_size(201, 256 * 1024 + 1).into_bytes(), // 4: one byte too long
            order(104, "1000000000000.00").into_bytes(),        // 5: one cent over
            customer_of_size(202, 256 * 1024).into_bytes(),     // 6: exactly 256 KiB
            b"".to_vec(),                                       // 7: blank
            order(105, "-1").into_bytes(),                      // 8
            order(106, "60.00").into_bytes(),                   // 9
        ],
    );
    let out = run(&tables, &["load", "--tenant", "cli", hostile.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("loaded 4 / unchanged 0 / rejected 4"), "{stdout}");
    for expected in [
        "hostile.jsonl:2: field `(line)` must be valid UTF-8",
        "hostile.jsonl:4: field `(line)` must be at most 262144 bytes (256 KiB), has 262145",
        "hostile.jsonl:5: field `total_amount` must be at most 999999999999.99 in absolute value",
        "hostile.jsonl:8: field `total_amount` must be >= 0",
    ] {
        assert!(stderr.contains(expected), "missing `{expected}` in\n{stderr}");
    }
    for (record_type, id, loaded) in [
        ("order", 101, true),
        ("order", 102, false),
        ("order", 103, true),
        ("customer", 201, false),
        ("order", 104, false),
        ("customer", 202, true),
        ("order", 105, false),
        ("order", 106, true),
    ] {
        assert_eq!(stored(&dynamo, table, record_type, id).await, loaded, "{record_type} {id}");
    }

    // A failure that is not about one line (here a file that cannot be
    // read) exits 1, after reporting what was rejected and loaded before it.
    let missing = dir.join("missing.jsonl");
    let out = run(
        &tables,
        &["load", "--tenant", "cli", hostile.to_str().unwrap(), missing.to_str().unwrap()],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("hostile.jsonl:5: field `total_amount`"), "{stderr}");
    assert!(stderr.contains("error: reading"), "{stderr}");
    assert!(stdout.contains("loaded 0 / unchanged 4 / rejected 4"), "{stdout}");

    // No valid record makes DynamoDB refuse its item for size (a 256 KiB
    // line stays far under 400 KB once stored, line 6 above), so DynamoDB is
    // made to refuse one item another way: an index keyed on `record`, whose
    // key values it limits to 2048 bytes (as an upstream index could).
    dynamo
        .update_table()
        .table_name(table)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("record")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .global_secondary_index_updates(
            aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by-record")
                        .key_schema(
                            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                                .attribute_name("record")
                                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                                .build()
                                .unwrap(),
                        )
                        .projection(
                            aws_sdk_dynamodb::types::Projection::builder()
                                .projection_type(aws_sdk_dynamodb::types::ProjectionType::KeysOnly)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        let described = dynamo.describe_table().table_name(table).send().await.unwrap();
        let indexes = described.table.and_then(|t| t.global_secondary_indexes).unwrap_or_default();
        if indexes
            .iter()
            .all(|i| i.index_status == Some(aws_sdk_dynamodb::types::IndexStatus::Active))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let refused = dir.join("refused.jsonl");
    let long_number = order(108, "80.00").replace("O-108", &"O".repeat(3000));
    lines_file(
        &refused,
        &[
            order(107, "70.00").into_bytes(),
            long_number.into_bytes(),
            order(109, "90.00").into_bytes(),
        ],
    );
    let out = run(&tables, &["load", "--tenant", "cli", refused.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("loaded 2 / unchanged 0 / rejected 1"), "{stdout}");
    assert!(
        stderr.contains(
            "refused.jsonl:2: field `(item)` was refused by DynamoDB (ValidationException: "
        ),
        "{stderr}"
    );
    for (id, loaded) in [(107, true), (108, false), (109, true)] {
        assert_eq!(stored(&dynamo, table, "order", id).await, loaded, "order {id}");
    }

    std::fs::remove_dir_all(&dir).ok();
}
