#!/usr/bin/env bash
# Runs the full benchmark on this machine and leaves its report ready to commit.
#
#   scripts/bench-machine.sh            # the default preset (criterion + sweep)
#   PARBENCH_PRESET=quick scripts/bench-machine.sh
#   scripts/bench-machine.sh --label my-laptop    # name the machine in comparisons
#
# The report lands in reports/<host>/ (latest.json, PNGs, analysis.json, summary.md). The
# timestamped copies of the results are removed (latest.json holds the newest run) and the
# report is redrawn from latest.json: committed reports are kept small.
set -euo pipefail
cd "$(dirname "$0")/.."

label=""
if [ "${1:-}" = "--label" ]; then
  label="${2:?--label needs a value}"
fi

cargo build --release --quiet
slug=$(./target/release/parbench info --json | sed -n 's/.*"host_slug": "\(.*\)".*/\1/p')
dir="reports/$slug"
if [ -n "$label" ]; then
  # The sweep bench has no options of its own: run the CLI's equivalent with the label.
  ./target/release/parbench run --preset "${PARBENCH_PRESET:-default}" --label "$label" --out "$dir"
else
  cargo bench
fi

rm -f "$dir"/20*.json
./target/release/parbench report "$dir/latest.json" --out "$dir" > /dev/null
echo
echo "Report of this machine: $dir ($(du -sh "$dir" | cut -f1))"
echo "To commit it:  git add $dir && git commit -m \"reports: $slug\""
