#!/usr/bin/env bash
# Release artifacts: every Lambda function built for arm64 (Graviton) with
# cargo-lambda (zig as the cross linker, both from PyPI) into
# target/lambda/<function>/bootstrap.zip, and a table of their sizes.
#
#   make package            (infra/package.sh [FUNCTION...])
#
# The aarch64 Rust target is added with rustup when missing. The cargo
# profile is `lambda` (release with opt-level "s" and fat LTO: smaller
# bootstraps); SALES_PACKAGE_PROFILE=release builds the release profile,
# as `sam build` does (Metadata BuildMethod: rust-cargolambda).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=local/config.sh
source "$HERE/local/config.sh"
cd "$SALES_REPO_ROOT"

# Packages; `alerts` holds three functions (its binaries alerts,
# alert-evaluator, alert-deliverer), `export` five (report-scheduler, export-api, export-worker,
# digest-scheduler, digest-feedback), each
# zipped apart.
FUNCTIONS=("$@")
((${#FUNCTIONS[@]})) || FUNCTIONS=(dashboard orders invoices payments rollup export alerts)

"$HERE/local/stack.sh" install cargo-lambda
export PATH="$SALES_CARGO_LAMBDA_VENV/bin:$PATH"
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu
fi

TARGET_DIR="${CARGO_TARGET_DIR:-$SALES_REPO_ROOT/target}"
PROFILE="${SALES_PACKAGE_PROFILE:-lambda}"
SALES_BOOTSTRAP_GOAL_BYTES="${SALES_BOOTSTRAP_GOAL_BYTES:-8000000}"
# One function at a time: built together, cargo would unify sales-shared's
# features (`s3`, `exports`) across them and every function would carry
# what the exporting ones need.
for function in "${FUNCTIONS[@]}"; do
  echo "building $function for arm64 (profile $PROFILE)..." >&2
  cargo lambda build --profile "$PROFILE" --arm64 --output-format zip --lambda-dir "$TARGET_DIR/lambda" --package "$function"
done

echo
binaries=()
for function in "${FUNCTIONS[@]}"; do
  case "$function" in
    alerts) binaries+=(alerts alert-evaluator alert-deliverer) ;;
    export) binaries+=(report-scheduler export-api export-worker digest-scheduler digest-feedback) ;;
    *) binaries+=("$function") ;;
  esac
done
# The goal: every bootstrap at most SALES_BOOTSTRAP_GOAL_BYTES (8 000 000)
# unzipped; infra/bootstrap_sizes.py prints the table and fails past it.
zips=()
for function in "${binaries[@]}"; do
  zips+=("$function=$TARGET_DIR/lambda/$function/bootstrap.zip")
done
sizes_ok=0
python3 "$HERE/bootstrap_sizes.py" --goal "$SALES_BOOTSTRAP_GOAL_BYTES" "${zips[@]}" || sizes_ok=$?
echo
echo "zips: $TARGET_DIR/lambda/<function>/bootstrap.zip"

# Where qemu's user-mode emulator and the arm64 C library are installed
# (Debian: qemu-user, libc6-arm64-cross), each bootstrap is started once:
# it must load, link and reach its configuration check (it stops there,
# without SALES_CURSOR_SECRET, before any network call).
if command -v qemu-aarch64 >/dev/null && [[ -d /usr/aarch64-linux-gnu ]]; then
  check_dir="$(mktemp -d)"
  trap 'rm -rf "$check_dir"' EXIT
  for function in "${binaries[@]}"; do
    unzip -o -q "$TARGET_DIR/lambda/$function/bootstrap.zip" -d "$check_dir/$function"
    if output="$(env -i SALES_ENV=aws timeout 20 qemu-aarch64 -L /usr/aarch64-linux-gnu "$check_dir/$function/bootstrap" 2>&1)" ||
      [[ "$output" != *SALES_CURSOR_SECRET* ]]; then
      echo "the arm64 $function bootstrap did not start as expected under qemu: $output" >&2
      exit 1
    fi
    echo "started under qemu-aarch64: $function"
  done
fi
# Sizes last: every bootstrap was still started above.
exit "$sizes_ok"
