#!/usr/bin/env bash
# Runs the full benchmark on this machine and leaves its report ready to commit.
#
#   scripts/bench-machine.sh            # the default preset (criterion + sweep)
#   PARBENCH_PRESET=quick scripts/bench-machine.sh
#   scripts/bench-machine.sh --label my-laptop    # name the machine in comparisons
#
# The report lands in reports/<host>/ (the sweep's JSON, PNGs, analysis.json, summary.md).
# Older timestamped result files of this machine are removed so only the newest run and
# latest.json stay: committed reports are kept small.
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

# Keep the newest timestamped file beside latest.json; drop the rest.
ls -1t "$dir"/20*.json 2>/dev/null | tail -n +2 | xargs -r rm --
echo
echo "Report of this machine: $dir ($(du -sh "$dir" | cut -f1))"
echo "To commit it:  git add $dir && git commit -m \"reports: $slug\""
