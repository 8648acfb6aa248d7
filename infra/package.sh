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

FUNCTIONS=("$@")
((${#FUNCTIONS[@]})) || FUNCTIONS=(dashboard orders invoices payments rollup export)

"$HERE/local/stack.sh" install cargo-lambda
export PATH="$SALES_CARGO_LAMBDA_VENV/bin:$PATH"
if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu
fi

TARGET_DIR="${CARGO_TARGET_DIR:-$SALES_REPO_ROOT/target}"
PROFILE="${SALES_PACKAGE_PROFILE:-lambda}"
# One function at a time: built together, cargo would unify sales-shared's
# features (`s3`, `exports`) across them and every function would carry
# what the exporting ones need.
for function in "${FUNCTIONS[@]}"; do
  echo "building $function for arm64 (profile $PROFILE)..." >&2
  cargo lambda build --profile "$PROFILE" --arm64 --output-format zip --lambda-dir "$TARGET_DIR/lambda" --package "$function"
done

echo
echo "| function | bootstrap | zip |"
echo "|---|---|---|"
for function in "${FUNCTIONS[@]}"; do
  dir="$TARGET_DIR/lambda/$function"
  zip="$dir/bootstrap.zip"
  [[ -f "$zip" ]] || { echo "missing $zip" >&2; exit 1; }
  python3 - "$function" "$zip" <<'PY'
import os, sys, zipfile
name, path = sys.argv[1:3]
unzipped = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
print(f"| {name} | {unzipped / 1e6:.1f} MB | {os.path.getsize(path) / 1e6:.1f} MB |")
PY
done
echo
echo "zips: $TARGET_DIR/lambda/<function>/bootstrap.zip"
