#!/usr/bin/env bash
# The HTTP functions as real Lambdas: `cargo lambda watch` runs each
# function's own binary under the Lambda runtime emulator, and every one must
# answer through its function URL (`/lambda-url/<function>/...`) exactly as
# `salesctl serve` (all routers in one process) answers the same request.
#
#   infra/local/with-test-services.sh infra/local/lambda-watch-check.sh
#
# (`make test` runs it so.) Loads tests/fixtures/watch-tenant.jsonl into
# tables of its own on the private services, with the clock pinned.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=config.sh
source "$HERE/config.sh"
cd "$SALES_REPO_ROOT"

log() { printf '[watch-check] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ -n "${SALES_DYNAMODB_ENDPOINT:-}" ]] || die "run it under infra/local/with-test-services.sh"
"$HERE/stack.sh" install cargo-lambda
export PATH="$SALES_CARGO_LAMBDA_VENV/bin:$PATH"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sales-watch-check.XXXXXX")"
export SALES_SOURCE_TABLE="watch-check-source"
export SALES_AGGREGATES_TABLE="watch-check-aggregates"
export SALES_ANALYTICS_NOW="2025-12-17T12:00:00Z"
export RUST_LOG="${RUST_LOG:-warn}"

pids=()
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  for pid in "${pids[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Answers 2xx-4xx within `seconds` (cargo lambda compiles a function on its
# first invocation).
wait_for() {
  local url="$1" seconds="$2" code
  for ((i = 0; i < seconds; i++)); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)"
    [[ "$code" =~ ^[234] ]] && return 0
    sleep 1
  done
  return 1
}

log "building salesctl"
cargo build -q -p salesctl
SALESCTL="${CARGO_TARGET_DIR:-target}/debug/salesctl"

"$SALESCTL" setup >/dev/null
setsid "$SALESCTL" pump --checkpoint "$WORK/checkpoint.json" >"$WORK/pump.log" 2>&1 &
pids+=($!)
"$SALESCTL" load --tenant watch --wait tests/fixtures/watch-tenant.jsonl >&2

serve_port="$(free_port)"
setsid "$SALESCTL" serve --port "$serve_port" >"$WORK/serve.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$serve_port/api/v1/sales/dashboard" 60 || die "salesctl serve did not answer"

watch_port="$(free_port)"
log "starting cargo lambda watch on port $watch_port (the first call of each function compiles it)"
setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$watch_port" --ignore-changes \
  >"$WORK/watch.log" 2>&1 &
pids+=($!)

TOKEN="$("$SALESCTL" token --tenant watch --scope "sales:read sales:export sales:alerts sales:reports" | tail -n 1)"
same_json() {
  python3 -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:3]); sys.exit(a != b)' "$1" "$2"
}

failures=0
while read -r function path; do
  lambda_url="http://127.0.0.1:$watch_port/lambda-url/$function$path"
  if ! wait_for "$lambda_url" 600; then
    tail -n 40 "$WORK/watch.log" >&2
    die "$function did not answer under cargo lambda watch"
  fi
  lambda_code="$(curl -s -o "$WORK/lambda.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$lambda_url")"
  serve_code="$(curl -s -o "$WORK/serve.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$serve_port$path")"
  if [[ "$lambda_code" == "$serve_code" && "$lambda_code" == 200 ]] && same_json "$WORK/lambda.json" "$WORK/serve.json"; then
    log "ok   $function $path"
  else
    log "FAIL $function $path: $lambda_code from the Lambda, $serve_code from salesctl serve"
    head -c 400 "$WORK/lambda.json" >&2
    echo >&2
    failures=$((failures + 1))
  fi
done <<'EOF'
dashboard /api/v1/sales/dashboard?period=month&compare_to_previous=true
dashboard /api/v1/sales/dashboard/widgets/top-customers?period=year
orders /api/v1/sales/orders/high-value?minimum_amount=500
orders /api/v1/sales/orders/performance-metrics?from_date=2025-11-01&to_date=2025-12-17
invoices /api/v1/sales/invoices/aging-report?include_paid=true
invoices /api/v1/sales/invoices/statistics?from_date=2025-10-01&to_date=2025-12-17
payments /api/v1/sales/payments/statistics?from_date=2025-11-01&to_date=2025-11-30
alerts /api/v1/sales/alerts
export-api /api/v1/sales/exports
EOF

((failures == 0)) || die "$failures requests answered differently under cargo lambda watch"
log "every HTTP function answers under cargo lambda watch as under salesctl serve"
