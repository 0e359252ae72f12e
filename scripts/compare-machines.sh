#!/usr/bin/env bash
# Compares every machine under reports/: one `parbench report` over each reports/<host>/latest.json.
# Writes reports/machines/ (machines-cpu.png, machines-io.png, analysis.json, summary.md).
#
#   scripts/compare-machines.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-reports/machines}"
shopt -s nullglob
files=(reports/*/latest.json)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no reports/<host>/latest.json yet: run scripts/bench-machine.sh on a machine first" >&2
  exit 2
fi
cargo build --release --quiet
./target/release/parbench report "${files[@]}" --out "$out"
echo "Comparison of ${#files[@]} result file(s): $out/summary.md"
