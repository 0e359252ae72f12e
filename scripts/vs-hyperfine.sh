#!/bin/sh
# parbench's N = 1 time per run of a command beside hyperfine's mean for the same command,
# alternated (hyperfine, parbench, hyperfine, …) so both see the same machine: a shared VM
# drifts by 10% within minutes. Needs hyperfine (`cargo install hyperfine`) and python3.
#
#   scripts/vs-hyperfine.sh 'gzip -c big.txt > /dev/null' [pairs=4] [runs=8]
#
# Prints one line per pair and the ratio of the totals. parbench runs the command `runs` times
# one after another (model sequential, one sample of `runs` tasks, after its untimed first pass).
set -eu
cmd=$1
pairs=${2:-4}
runs=${3:-8}
parbench=${PARBENCH:-target/release/parbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=1
while [ "$i" -le "$pairs" ]; do
    hyperfine --style none --warmup 1 --runs "$runs" --export-json "$tmp/h$i.json" "$cmd" >/dev/null
    "$parbench" run --command "$cmd" --models sequential --tasks "$runs" --samples 1 --warmup 0 \
        --no-report --out "$tmp/p$i" >/dev/null 2>&1
    i=$((i + 1))
done
python3 - "$tmp" "$pairs" "$runs" <<'PY'
import json, sys
tmp, pairs, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
h_all, p_all = [], []
for i in range(1, pairs + 1):
    h = json.load(open(f"{tmp}/h{i}.json"))["results"][0]["mean"]
    cell = json.load(open(f"{tmp}/p{i}/latest.json"))["cells"][0]
    p = cell["per_task_s"]
    h_all.append(h); p_all.append(p)
    print(f"pair {i}: hyperfine mean {h:.4f} s, parbench {p:.4f} s per run ({(p / h - 1) * 100:+.1f}%)")
h, p = sum(h_all) / pairs, sum(p_all) / pairs
print(f"all {pairs} pairs: hyperfine {h:.4f} s, parbench {p:.4f} s per run ({(p / h - 1) * 100:+.1f}%)")
PY
