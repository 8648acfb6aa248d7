#!/usr/bin/env bash
# The application half of the local stack: the stream pump and the API
# server (`salesctl pump`, `salesctl serve`), beside the services that
# stack.sh runs. Pid files live in $SALES_STATE_DIR/pids so `stack.sh stop`
# ends them too.
#
#   app.sh start     build salesctl, create tables and bucket, start pump and API,
#                    return once the API answers
#   app.sh demo      load the demo data set and wait for the rollups
#   app.sh hello     print a dev token and example calls
set -euo pipefail
# shellcheck source=infra/local/config.sh
source "$(dirname "${BASH_SOURCE[0]}")/config.sh"

PIDS_DIR="$SALES_STATE_DIR/pids"
LOGS_DIR="$SALES_STATE_DIR/logs"
SALESCTL="${CARGO_TARGET_DIR:-$SALES_REPO_ROOT/target}/debug/salesctl"
API="http://127.0.0.1:$SALES_API_PORT"
mkdir -p "$PIDS_DIR" "$LOGS_DIR"

log() { printf '[app] %s\n' "$*" >&2; }
die() { printf '[app] ERROR: %s\n' "$*" >&2; exit 1; }

live() {
  local pid
  [[ -f "$PIDS_DIR/$1.pid" ]] || return 1
  pid="$(tr -dc '0-9' <"$PIDS_DIR/$1.pid")" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

launch() {
  local name="$1"; shift
  if live "$name"; then
    log "$name already running"
    return 0
  fi
  log "starting $name (log: $LOGS_DIR/$name.log)"
  nohup setsid "$@" >>"$LOGS_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS_DIR/$name.pid"
}

api_answers() {
  # Any HTTP answer counts (401 without a token is the expected one).
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/sales/dashboard" || true)"
  [[ "$code" != "000" ]]
}

cmd_start() {
  log "building salesctl"
  (cd "$SALES_REPO_ROOT" && cargo build -q -p salesctl)
  "$SALESCTL" setup
  start_pump
  launch api "$SALESCTL" serve --port "$SALES_API_PORT"
  for _ in $(seq 1 120); do
    if api_answers; then
      log "API answers at $API"
      return 0
    fi
    live api || { tail -n 30 "$LOGS_DIR/api.log" >&2; die "the API server exited"; }
    sleep 0.5
  done
  tail -n 30 "$LOGS_DIR/api.log" >&2
  die "the API did not answer at $API"
}

# Stops a process started by `launch` (TERM, then KILL after 10 s).
halt() {
  local name="$1" pid
  live "$name" || return 0
  pid="$(tr -dc '0-9' <"$PIDS_DIR/$name.pid")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDS_DIR/$name.pid"
}

start_pump() {
  launch pump "$SALESCTL" pump --checkpoint "$SALES_STATE_DIR/pump-checkpoint.json" \
    --dead-letter "$SALES_STATE_DIR/dead-letter.jsonl"
}

# The demo tenant in one pass rather than change by change: with the pump
# stopped, the records are written to the source table and `salesctl
# catch-up` marks their stream changes applied and rebuilds the tenant's
# aggregates; the restarted pump then skips those changes and applies
# whatever comes next. Reloading writes nothing new.
cmd_demo() {
  live pump || die "the stream pump is not running (make stack)"
  halt pump
  trap start_pump EXIT
  log "loading demo data for tenant demo (once: a repeat keeps what is there)"
  "$SALESCTL" demo-data --tenant demo --unless-loaded
  log "rolling up the demo tenant in one pass (salesctl catch-up)"
  "$SALESCTL" catch-up --tenant demo
}

cmd_hello() {
  local token
  token="$("$SALESCTL" token --tenant demo | tail -n 1)"
  cat <<MSG

Sales Analytics is running locally.
  API:       $API/api/v1/sales/...
  Explorer:  $API/docs  (Swagger UI: Authorize with the token below, then "Try it out")
  Stop with: make stop

Dev token (tenant demo, scopes sales:read sales:export sales:alerts sales:reports, 24 h):
  export TOKEN=$token

Try:
  curl -s -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/dashboard"
  curl -s -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/dashboard?period=year&compare_to_previous=true"
  curl -s -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/dashboard/revenue?period=quarter&from_date=2025-01-01&to_date=2025-12-31"
  curl -s -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/dashboard/performance?period=quarter"
  curl -s -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/orders/performance-metrics"
  curl -s -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/invoices/aging-report?include_paid=true&limit=5"
  curl -s -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/payments/statistics?method=credit_card"
Exports (sales:export) answer 303 to a presigned link on the local S3 server:
  curl -s -L -o orders.xlsx -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/orders/export?format=excel"
  curl -s -H "Accept: application/json" -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/invoices/export?format=pdf"
Export jobs (any range, in the background; the local worker runs them):
  curl -s -X POST -H "Authorization: Bearer \$TOKEN" -H "Content-Type: application/json" -d '{"dataset": "orders", "format": "csv", "from_date": "2022-01-01", "to_date": "2025-12-31"}' "$API/api/v1/sales/exports"
  curl -s -H "Authorization: Bearer \$TOKEN" "$API/api/v1/sales/exports"
Monthly management report: $SALESCTL report --tenant demo, then $API/api/v1/sales/reports
Digests (sales:reports; emails land in moto's SES, README "Digests"):
  curl -s -X POST -H "Authorization: Bearer \$TOKEN" -H "Content-Type: application/json" -d '{"digest": "aging_weekly", "recipients": ["finance@example.com"], "time": "09:00", "weekday": "monday"}' "$API/api/v1/sales/subscriptions"
  $SALESCTL digests run --tenant demo --at <the next Monday, 09:00 New York, in UTC>
Every endpoint with its parameters: docs/api.md
MSG
}

case "${1:-}" in
  start) cmd_start ;;
  demo) cmd_demo ;;
  hello) cmd_hello ;;
  *) echo "usage: $0 start|demo|hello" >&2; exit 2 ;;
esac
