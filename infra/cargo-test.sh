#!/usr/bin/env bash
# cargo-test.sh: every Rust test of `make test`, on the build that
# `make test` has just made (and linted: see the Makefile). The
# fault-injection test (about a minute, mostly waiting on the stream
# consumer it kills and restarts) runs beside the other test binaries
# instead of after them; its output is shown once it ends.
#
#   infra/local/with-test-services.sh infra/cargo-test.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The one test of salesctl/tests/fault_injection.rs.
FAULT_TEST=killing_the_stream_consumer_at_random_moments_loses_and_doubles_nothing

fault_log="$(mktemp "${TMPDIR:-/tmp}/sales-fault-injection.XXXXXX")"
trap 'rm -f "$fault_log"' EXIT
cargo test --workspace --no-fail-fast --test fault_injection >"$fault_log" 2>&1 &
fault_pid=$!

cargo test --workspace --no-fail-fast -- --skip "$FAULT_TEST"
others=$?

wait "$fault_pid"
fault=$?
echo "---- salesctl/tests/fault_injection.rs (run beside the others)"
cat "$fault_log"
((others == 0 && fault == 0))
