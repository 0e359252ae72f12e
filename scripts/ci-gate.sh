#!/usr/bin/env bash
# The performance-regression gate for any CI: a quick run compared with a committed baseline.
#
#   scripts/ci-gate.sh [BASELINE.json]      default: reports/baselines/ci-quick.json
#
# Environment:
#   PARBENCH_GATE_OUT      folder for the run, its charts and compare.md   [target/parbench-gate]
#   PARBENCH_GATE_METRIC   time | speedup | efficiency                      [speedup]
#   PARBENCH_GATE_ARGS     more options for `parbench compare` (e.g. "--threshold 15%")
#   PARBENCH_GATE_ENFORCE  0 = report only: a regression does not fail      [1]
#   GITHUB_STEP_SUMMARY    if set, the Markdown verdict is appended to it
#
# Exit code: 0 no regression, 1 regression (when enforced), 2 bad input or a failed run.
set -euo pipefail
cd "$(dirname "$0")/.."

baseline="${1:-reports/baselines/ci-quick.json}"
out="${PARBENCH_GATE_OUT:-target/parbench-gate}"
metric="${PARBENCH_GATE_METRIC:-speedup}"

cargo build --release --quiet
bin=./target/release/parbench
"$bin" run --preset quick --out "$out"

set +e
# shellcheck disable=SC2086 # PARBENCH_GATE_ARGS is a list of options
"$bin" compare "$baseline" "$out/latest.json" --metric "$metric" --format markdown \
  ${PARBENCH_GATE_ARGS:-} > "$out/compare.md"
rc=$?
# shellcheck disable=SC2086
"$bin" compare "$baseline" "$out/latest.json" --metric "$metric" --format html \
  ${PARBENCH_GATE_ARGS:-} > "$out/compare.html"
set -e
cat "$out/compare.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/compare.md" >> "$GITHUB_STEP_SUMMARY"
fi
if [ "$rc" -eq 1 ] && [ "${PARBENCH_GATE_ENFORCE:-1}" = "0" ]; then
  echo "parbench gate: regression reported, not enforced (PARBENCH_GATE_ENFORCE=0)"
  exit 0
fi
exit "$rc"
