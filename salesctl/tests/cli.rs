//! The `salesctl` binary as users run it, against DynamoDB Local.

mod common;

use common::{Process, order, run, text};

#[test]
fn load_wait_and_exit_codes() {
    let tables = format!("cli-{}", std::process::id());
    let setup = run(&tables, &["setup"]);
    assert!(setup.status.success(), "{}", text(&setup.stderr));
    assert!(text(&setup.stdout).contains("created"));

    let dir = std::env::temp_dir().join(format!("salesctl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.jsonl");
    std::fs::write(&good, format!("{}\n{}\n", order(1, "10.00"), order(2, "20.00"))).unwrap();
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, format!("{}\n{}\n", order(3, "30.00"), order(4, "-1"))).unwrap();

    let _pump = Process::quiet(&tables, &["pump", "--interval-ms", "50"]);
    let loaded = run(
        &tables,
        &["load", "--tenant", "cli", "--wait", "--wait-timeout", "60", good.to_str().unwrap()],
    );
    assert_eq!(loaded.status.code(), Some(0), "{}", text(&loaded.stderr));
    let out = text(&loaded.stdout);
    assert!(out.contains("loaded 2 / unchanged 0 / rejected 0"), "{out}");
    assert!(out.contains("rollups applied every change"), "{out}");

    let again = run(&tables, &["load", "--tenant", "cli", good.to_str().unwrap()]);
    assert!(text(&again.stdout).contains("loaded 0 / unchanged 2 / rejected 0"));

    let partial = run(&tables, &["load", "--tenant", "cli", "--wait", bad.to_str().unwrap()]);
    assert_eq!(partial.status.code(), Some(2));
    assert!(text(&partial.stdout).contains("loaded 1 / unchanged 0 / rejected 1"));
    let err = text(&partial.stderr);
    assert!(err.contains("bad.jsonl:2: field `total_amount` must be >= 0"), "{err}");

    let token = run(&tables, &["token", "--tenant", "cli", "--scope", "sales:read"]);
    let last = text(&token.stdout).lines().last().unwrap_or_default().to_owned();
    assert_eq!(last.split('.').count(), 3, "a JWT: {last}");
    std::fs::remove_dir_all(&dir).ok();
}
