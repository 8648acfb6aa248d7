#!/usr/bin/env bash
# API fuzzing against docs/openapi.yaml, run by `make test` inside
# with-test-services.sh (private DynamoDB Local and S3 on free ports):
#
#   infra/local/with-test-services.sh infra/local/schemathesis.sh
#
# Starts the stream pump and the API server (app.sh start) with the clock
# pinned, loads a small deterministic demo tenant and writes one management
# report, then runs schemathesis on every operation with a bounded, seeded
# number of cases (exports answer 303 there), and once more on the two
# exports with `Accept: application/json` (their JSON answer). Fails when
# schemathesis finds a failure: a 5xx, an answer that does not match the
# document (status, content type, headers, body schema), a malformed
# request that is accepted, another method without its 405 and `Allow`, or
# an operation that answers without the token.
#
# Knobs: SALES_SCHEMATHESIS_MAX_EXAMPLES (default 25 cases per operation and
# phase), SALES_SCHEMATHESIS_SEED (default 20251217), SALES_SCHEMATHESIS_TIMEOUT
# (seconds for the whole run, default 900). The full report (JUnit XML and
# the recorded exchanges) goes to $CARGO_TARGET_DIR/schemathesis/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Deterministic data and answers: every process below sees the same today.
export SALES_ANALYTICS_NOW="${SALES_ANALYTICS_NOW:-2025-12-17T12:00:00Z}"
# shellcheck source-path=SCRIPTDIR source=config.sh
source "$HERE/config.sh"

log() { printf '[schemathesis] %s\n' "$*" >&2; }
die() { printf '[schemathesis] ERROR: %s\n' "$*" >&2; exit 1; }

[[ "$SALES_DYNAMODB_ENDPOINT" != "http://127.0.0.1:8000" ]] ||
  die "run me through infra/local/with-test-services.sh (private services), not against the dev stack"

MAX_EXAMPLES="${SALES_SCHEMATHESIS_MAX_EXAMPLES:-25}"
SEED="${SALES_SCHEMATHESIS_SEED:-20251217}"
TIMEOUT="${SALES_SCHEMATHESIS_TIMEOUT:-900}"
TENANT=schemathesis
TARGET="${CARGO_TARGET_DIR:-$SALES_REPO_ROOT/target}"
SALESCTL="$TARGET/debug/salesctl"
REPORT_DIR="$TARGET/schemathesis"

t0=$SECONDS
"$HERE/stack.sh" install schemathesis
"$HERE/app.sh" start

log "loading a small demo tenant ($TENANT: 3 months, 40 orders a month) and waiting for the rollups"
"$SALESCTL" demo-data --tenant "$TENANT" --months 3 --orders-per-month 40 --wait >/dev/null
"$SALESCTL" report --tenant "$TENANT" --month 2025-11 >/dev/null
token="$("$SALESCTL" token --tenant "$TENANT" | tail -n 1)"
log "stack and data ready after $((SECONDS - t0))s; running schemathesis $SALES_SCHEMATHESIS_VERSION" \
  "($MAX_EXAMPLES cases per operation and phase, seed $SEED)"

rm -rf "$REPORT_DIR"
mkdir -p "$REPORT_DIR"
checks=(
  not_a_server_error
  status_code_conformance
  content_type_conformance
  response_headers_conformance
  response_schema_conformance
  negative_data_rejection
  unsupported_method
  allow_header_conformance
  ignored_auth
)
args=(
  --config-file "$HERE/schemathesis.toml"
  run "$SALES_REPO_ROOT/docs/openapi.yaml"
  --url "http://127.0.0.1:$SALES_API_PORT"
  --header "Authorization: Bearer $token"
  --checks "$(IFS=,; echo "${checks[*]}")"
  --phases examples,coverage,fuzzing
  --max-examples "$MAX_EXAMPLES"
  --seed "$SEED"
  --generation-database none
  --max-redirects 0
  --request-timeout 30
  # One worker: with two, hypothesis's ast.parse in two threads at once
  # can hit CPython 3.11's "AST constructor recursion depth mismatch"
  # (gh-106905), an error of the tool, not of the API.
  --workers 1
  --report junit,vcr
  --report-dir "$REPORT_DIR"
  --no-color
)
deadline=$((SECONDS + TIMEOUT))
failed=0
# run LABEL [ARGS...]: one schemathesis run with the common arguments.
run() {
  local label="$1" rc
  shift
  log "$label"
  set +e
  # From the report dir: schemathesis keeps a .schemathesis/ cache in its
  # working directory, which must not land in the work tree.
  (cd "$REPORT_DIR" && timeout --kill-after=10 "$((deadline > SECONDS ? deadline - SECONDS : 1))" \
    "$SALES_SCHEMATHESIS_VENV/bin/schemathesis" "${args[@]}" "$@")
  rc=$?
  set -e
  if ((rc == 124)); then
    log "ERROR: schemathesis did not finish within ${TIMEOUT}s"
    failed=1
  elif ((rc != 0)); then
    log "ERROR: schemathesis found failures ($label, exit $rc); the exchanges are in $REPORT_DIR"
    failed=1
  fi
}
run "every operation (exports answer 303)"
run "the exports with Accept: application/json" \
  --header "Accept: application/json" --include-path-regex '/export$'
if ((failed)); then
  log "API server log: $SALES_STATE_DIR/logs/api.log"
  exit 1
fi
log "no failure; took $((SECONDS - t0))s in all"
