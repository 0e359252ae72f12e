#!/usr/bin/env bash
# The paired A/B regression gate: builds the base commit and the working tree, runs both
# interleaved round by round with `parbench ab`, and prints the Markdown verdict.
#
#   scripts/ci-ab.sh [BASE_REF] [-- AB_OPTIONS…]     BASE_REF default: origin/main
#
# Environment:
#   PARBENCH_AB_BENCH    a bench target of this crate built on parbench::Harness to compare
#                        (e.g. "scaling"); unset: parbench itself, with the quick preset
#   PARBENCH_AB_OUT      folder for the result file and ab.md                 [target/parbench-ab]
#   PARBENCH_AB_ENFORCE  0 = report only: a regression does not fail          [1]
#   GITHUB_STEP_SUMMARY  if set, the Markdown verdict is appended to it
#
# Exit code: 0 no regression, 1 a regression or a changed answer (when enforced), 2 bad input.
set -euo pipefail
cd "$(dirname "$0")/.."

base_ref="${1:-origin/main}"
shift || true
[ "${1:-}" = "--" ] && shift
out="${PARBENCH_AB_OUT:-target/parbench-ab}"
mkdir -p "$out"

worktree="$(mktemp -d)"
cleanup() { git worktree remove --force "$worktree" >/dev/null 2>&1 || rm -rf "$worktree"; }
trap cleanup EXIT
git worktree add --detach "$worktree" "$base_ref" >/dev/null

# The program of a checkout: parbench, or the bench target's executable.
program() {
  local dir="$1"
  if [ -n "${PARBENCH_AB_BENCH:-}" ]; then
    (cd "$dir" && cargo bench --no-run --quiet --bench "$PARBENCH_AB_BENCH" \
      --message-format=json 2>/dev/null) |
      sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1
  else
    (cd "$dir" && cargo build --release --quiet) && echo "$dir/target/release/parbench"
  fi
}

# Both builds share one target folder only if they are the same commit: keep them apart.
base_bin="$(CARGO_TARGET_DIR="$worktree/target" program "$worktree")"
cur_bin="$(program "$PWD")"
[ -x "$base_bin" ] && [ -x "$cur_bin" ] || { echo "ci-ab: a build failed" >&2; exit 2; }
# A copy of the base program: the worktree is removed on exit.
cp "$base_bin" "$out/base-program"

cargo build --release --quiet
set +e
./target/release/parbench ab "$out/base-program" "$cur_bin" --format markdown --out "$out" "$@" \
  > "$out/ab.md"
rc=$?
set -e
cat "$out/ab.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$out/ab.md" >> "$GITHUB_STEP_SUMMARY"
fi
if [ "$rc" -eq 1 ] && [ "${PARBENCH_AB_ENFORCE:-1}" = "0" ]; then
  echo "parbench ab: regression reported, not enforced (PARBENCH_AB_ENFORCE=0)"
  exit 0
fi
exit "$rc"
