#!/usr/bin/env bash
# Runs CMD against a private, throw-away DynamoDB Local (in memory) and s3s-fs:
#
#   infra/local/with-test-services.sh cargo test --workspace
#
# SALES_TEST_SERVICES_ON_DISK=1 keeps DynamoDB Local's tables on disk (under
# TMPDIR) instead of in memory: for data larger than memory, such as the
# read-cost bench at 100x.
# The services get free ports (never the dev stack's 8000/9100) and a state
# dir under a mktemp dir, so tests never collide with a running `make dev` or
# another test run. Both services are always stopped on exit; the exit code
# is CMD's.
set -euo pipefail

(($#)) || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Prints N distinct free TCP ports on 127.0.0.1, asked from the kernel
# (ephemeral range, far from the dev stack's ports).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

TEST_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sales-test-services.XXXXXX")"
read -r ddb_port s3_port api_port moto_port <<<"$(free_ports 4)"

# Override whatever a `make dev` shell may have exported.
export SALES_STATE_DIR="$TEST_DIR/state"
export SALES_DYNAMODB_PORT="$ddb_port"
export SALES_S3_PORT="$s3_port"
export SALES_API_PORT="$api_port"
export SALES_MOTO_PORT="$moto_port"
export SALES_SQS_ENDPOINT="http://127.0.0.1:$moto_port"
export SALES_DYNAMODB_ENDPOINT="http://127.0.0.1:$ddb_port"
export SALES_S3_ENDPOINT="http://127.0.0.1:$s3_port"
unset SALES_EXPORT_QUEUE_URL SALES_KMS_ENDPOINT # config.sh derives them from the moto port above
# shellcheck source-path=SCRIPTDIR source=config.sh
source "$HERE/config.sh" # fixed AWS_* credentials and region, other defaults

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  "$HERE/stack.sh" stop 2>/dev/null || true
  rm -rf "$TEST_DIR"
}
trap cleanup EXIT

if [[ "${SALES_TEST_SERVICES_ON_DISK:-0}" == 1 ]]; then
  "$HERE/stack.sh" start
else
  "$HERE/stack.sh" start --in-memory
fi

# CMD runs as a background job (stdin kept) so that a TERM/INT sent to this
# script is handled at once: pass it on, wait for CMD, clean up, exit.
"$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
trap 'kill -INT "$child" 2>/dev/null; wait "$child"; exit 130' INT
set +e
wait "$child"
rc=$?
set -e
exit "$rc"
