#!/bin/sh
# Renders a parbench report.html with headless Chromium (Debian's `chromium` package) and fails
# on a script error, a script that did not run to its end, or a blank page. Prints the page's
# load time as the browser measured it (navigation start to the load event) and the size.
#
#   scripts/check-report-html.sh reports/<host>/report.html [screenshot.png]
#
# Exit 0: rendered cleanly; 1: it did not; 2: no Chromium here or no such file.
set -eu
page=${1:?usage: check-report-html.sh REPORT.html [SCREENSHOT.png]}
shot=${2:-}
[ -f "$page" ] || { echo "check-report-html: no file $page" >&2; exit 2; }
browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
[ -n "$browser" ] || { echo "check-report-html: no Chromium found (apt-get install chromium)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
flags="--headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir=$tmp/profile"
# shellcheck disable=SC2086
timeout 60 "$browser" $flags --window-size=1200,3000 --screenshot="$tmp/shot.png" "$url" >/dev/null 2>&1
# shellcheck disable=SC2086
timeout 60 "$browser" $flags --virtual-time-budget=5000 --dump-dom "$url" > "$tmp/dom.html" 2>/dev/null
python3 - "$tmp/dom.html" "$tmp/shot.png" "$page" <<'PY'
import re, sys, zlib
dom, shot, page = sys.argv[1], sys.argv[2], sys.argv[3]
html = open(dom, encoding="utf-8").read()
root = re.search(r"<html[^>]*>", html)
attrs = root.group(0) if root else ""
fail = []
if 'data-script="ok"' not in attrs:
    fail.append("the page's script did not run to its end")
errors = re.search(r'data-errors="([^"]*)"', attrs)
if errors:
    fail.append("script errors: " + errors.group(1))
# A blank page: the screenshot's pixels hardly vary.
data = open(shot, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n = int.from_bytes(data[pos:pos + 4], "big")
    kind = data[pos + 4:pos + 8]
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
distinct = len(set(raw[::7]))
busy = sum(1 for b in raw[::7] if b) / max(1, len(raw[::7]))
if distinct < 16 or busy < 0.005:
    fail.append(f"the page looks blank ({distinct} distinct bytes, {busy:.1%} non-zero)")
charts = html.count('<figure class="chart"')
tables = html.count('<table class="grid')
load = re.search(r'data-load-ms="(\d+)"', attrs)
import os
print(f"check-report-html: {page}: {os.path.getsize(page) / 1024:.0f} KiB, {charts} charts, {tables} tables, "
      f"loaded in {load.group(1) if load else '?'} ms")
if fail:
    for f in fail:
        print("check-report-html: FAIL: " + f, file=sys.stderr)
    sys.exit(1)
PY
if [ -n "$shot" ]; then cp "$tmp/shot.png" "$shot"; fi
