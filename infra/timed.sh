#!/usr/bin/env bash
# timed.sh STEP CMD...: runs CMD and reports how long it took, so that
# `make test` shows where its time goes (docs/performance.md, "make test").
# The line also goes to $SALES_STEP_TIMES (a file) when it is set.
set -uo pipefail
step="$1"
shift
start=$SECONDS
"$@"
code=$?
line="== step ${step}: $((SECONDS - start)) s (exit ${code})"
echo "$line" >&2
[[ -n "${SALES_STEP_TIMES:-}" ]] && echo "$line" >>"$SALES_STEP_TIMES"
exit "$code"
