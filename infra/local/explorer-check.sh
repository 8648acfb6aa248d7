#!/usr/bin/env bash
# The API explorer in a real browser: serves the API on the private services
# (`salesctl serve`, with Swagger UI from the tools cache), loads /docs in
# Debian's headless Chromium, checks that every operation of
# docs/openapi.yaml is listed on the page, and saves a screenshot and the
# rendered page under target/explorer/.
#
#   infra/local/with-test-services.sh infra/local/explorer-check.sh
#
# (`make test` runs it so, after building salesctl.)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=config.sh
source "$HERE/config.sh"
cd "$SALES_REPO_ROOT"

log() { printf '[explorer-check] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ -n "${SALES_DYNAMODB_ENDPOINT:-}" ]] || die "run it under infra/local/with-test-services.sh"
"$HERE/stack.sh" install explorer chromium

TARGET="${CARGO_TARGET_DIR:-$SALES_REPO_ROOT/target}"
SALESCTL="$TARGET/debug/salesctl"
[[ -x "$SALESCTL" ]] || die "build salesctl first (cargo build -p salesctl)"
OUT="$TARGET/explorer"
mkdir -p "$OUT"
URL="http://127.0.0.1:$SALES_API_PORT/docs"

RUST_LOG=warn "$SALESCTL" serve --port "$SALES_API_PORT" >"$OUT/serve.log" 2>&1 &
server=$!
profile="$(mktemp -d "${TMPDIR:-/tmp}/sales-explorer-chromium.XXXXXX")"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$profile"' EXIT

for _ in $(seq 1 60); do
  curl -sf -o /dev/null "$URL" && break
  kill -0 "$server" 2>/dev/null || { cat "$OUT/serve.log" >&2; die "salesctl serve exited"; }
  sleep 0.5
done
curl -sf "$URL" | grep -q 'swagger-ui-bundle.js' || die "$URL is not the Swagger UI page (is swagger-ui-dist installed?)"

# Flags for a machine without internet: no background connections.
chromium_run() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$profile" --virtual-time-budget=20000 "$@" 2>>"$OUT/chromium.log"
}
log "loading $URL in headless Chromium"
chromium_run --dump-dom "$URL" >"$OUT/docs.html"
chromium_run --window-size=1400,2600 --screenshot="$OUT/docs.png" "$URL" >/dev/null
[[ -s "$OUT/docs.png" ]] || die "no screenshot written (see $OUT/chromium.log)"

python3 "$HERE/explorer_operations.py" docs/openapi.yaml "$OUT/docs.html"
log "every operation is listed; screenshot: $OUT/docs.png"
