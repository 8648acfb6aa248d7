//! Fault injection (issue 10): while a few thousand records load, the
//! process applying the stream (`salesctl pump`) is killed with SIGKILL at
//! seeded random moments and restarted from its checkpoint; afterwards
//! `salesctl verify` finds no difference and nothing was dead-lettered.

use std::process::{Command, Stdio};

mod common;

use common::{Process, salesctl, text};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEED: u64 = 10;
const KILLS: usize = 6;
const TENANT: &str = "faults";

#[test]
fn killing_the_stream_consumer_at_random_moments_loses_and_doubles_nothing() {
    let tables = format!("faults-{}", std::process::id());
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, checkpoint, dead_letter) = (
        dir.path().join("data.jsonl"),
        dir.path().join("checkpoint.json"),
        dir.path().join("dead-letter.jsonl"),
    );
    let (data_s, checkpoint_s, dead_letter_s) =
        (data.to_str().unwrap(), checkpoint.to_str().unwrap(), dead_letter.to_str().unwrap());

    let setup = salesctl(&tables, &["setup"]).output().expect("setup runs");
    assert!(setup.status.success(), "{}", text(&setup.stderr));
    let generated = salesctl(
        &tables,
        &[
            "demo-data",
            "--tenant",
            TENANT,
            "--months",
            "5",
            "--orders-per-month",
            "200",
            "--out",
            data_s,
        ],
    )
    .output()
    .expect("demo-data runs");
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let records = std::fs::read_to_string(&data).expect("data").lines().count();
    assert!(records > 2000, "a few thousand records: {records}");

    let pump = || {
        Process::quiet(
            &tables,
            &[
                "pump",
                "--interval-ms",
                "20",
                "--checkpoint",
                checkpoint_s,
                "--dead-letter",
                dead_letter_s,
            ],
        )
    };
    let mut load = Process(
        salesctl(&tables, &["load", "--tenant", TENANT, data_s])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("load starts"),
    );
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut consumer = pump();
    let saved = || std::fs::read_to_string(&checkpoint).unwrap_or_default();
    // Each kill lands while the consumer works: once a restarted consumer
    // has saved a checkpoint (it applied a batch of 100 and is on the
    // next, with thousands still waiting), a seeded pause of at most
    // 400 ms, then SIGKILL. Progress, not the clock, decides when, so a
    // slow or busy machine changes nothing (timed pauses alone once let
    // the consumer sit idle at some kills).
    for kill in 0..KILLS {
        let before = saved();
        let waiting = Instant::now();
        while saved() == before {
            assert!(
                waiting.elapsed() < Duration::from_secs(180),
                "the consumer applied nothing in 180 s before kill {kill}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..400)));
        // SIGKILL: no chance to finish a transaction or save a checkpoint.
        consumer.0.kill().expect("SIGKILL sent");
        consumer.0.wait().expect("reaped");
        consumer = pump();
    }
    let loaded = std::mem::replace(&mut load.0, Command::new("true").spawn().expect("placeholder"))
        .wait_with_output()
        .expect("load finishes");
    assert_eq!(loaded.status.code(), Some(0), "{}", text(&loaded.stderr));

    // The restarted consumer catches up; then the aggregates must match a
    // from-scratch computation exactly (nothing lost, nothing applied twice).
    let started = Instant::now();
    let last = loop {
        let verify =
            salesctl(&tables, &["verify", "--tenant", TENANT]).output().expect("verify runs");
        if verify.status.success() || started.elapsed() > Duration::from_secs(300) {
            break verify;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    assert!(
        last.status.success(),
        "verify after the faults:\n{}\n{}",
        text(&last.stdout),
        text(&last.stderr)
    );
    drop(consumer);
    let dead = std::fs::read_to_string(&dead_letter).unwrap_or_default();
    assert!(dead.is_empty(), "nothing dead-lettered: {dead}");
}
