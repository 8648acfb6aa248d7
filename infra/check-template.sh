#!/usr/bin/env bash
# Validates the SAM template offline, without AWS credentials:
#   1. the SAM transform (infra/sam_translate.py), which rejects what cfn-lint
#      alone can miss (bad event properties, references to missing resources);
#   2. cfn-lint on the transformed CloudFormation JSON;
#   3. cfn-lint on the template itself.
# Both cfn-lint runs append the serverless rules of cfn-lint-serverless
# (PyPI; installed with cfn-lint by `infra/local/stack.sh install python`).
# template.yaml suppresses a few of them per resource, each with its reason.
#
#   infra/check-template.sh [TEMPLATE]     (default: template.yaml at the repo root)
#
# Exits non-zero if any step fails. cfn-lint warnings count as failures.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=local/config.sh
source "$HERE/local/config.sh"

TEMPLATE="${1:-$SALES_REPO_ROOT/template.yaml}"
[[ -f "$TEMPLATE" ]] || { echo "check-template: no such file: $TEMPLATE" >&2; exit 2; }
REGIONS="${SALES_LINT_REGIONS:-$AWS_REGION}" # space-separated

PY="$(sales_python)"
if ! "$PY" -c 'import cfnlint, samtranslator, yaml, cfn_lint_serverless' >/dev/null 2>&1; then
  "$HERE/local/stack.sh" install python
  PY="$(sales_python)"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/check-template.XXXXXX")"
keep_work=0 # keep the transformed JSON when its lint fails (line numbers point there)
trap '((keep_work)) || rm -rf "$WORK"' EXIT

cfn_lint() {
  # shellcheck disable=SC2086 # REGIONS is a word list
  "$PY" -c 'import sys; from cfnlint.runner import main; sys.exit(main())' \
    --regions $REGIONS --append-rules cfn_lint_serverless.rules -- "$@"
}

failed=()

echo "== local-stack contract + SAM transform: $TEMPLATE"
if "$PY" "$HERE/sam_translate.py" "$TEMPLATE" "$WORK/transformed.json"; then
  echo "== cfn-lint + serverless rules on the transformed template"
  if ! cfn_lint "$WORK/transformed.json"; then
    failed+=("cfn-lint on the transformed template (kept: $WORK/transformed.json)")
    # shellcheck disable=SC2034 # read by the EXIT trap
    keep_work=1
  fi
else
  failed+=("SAM transform")
fi

echo "== cfn-lint + serverless rules: $TEMPLATE"
cfn_lint "$TEMPLATE" || failed+=("cfn-lint on $TEMPLATE")

if ((${#failed[@]})); then
  printf 'check-template: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "check-template: OK ($TEMPLATE)"
