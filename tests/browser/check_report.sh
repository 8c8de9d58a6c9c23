#!/usr/bin/env bash
# Renders an evaluation report in a real browser (headless Chromium) and checks
# it: the screenshot is not blank, the page logs nothing to the console, and the
# DOM has every section and no script (tests/browser/check_report.py).
#
#   tests/browser/check_report.sh [REPORT.html [SCREENSHOT.png]]
#
# Without a report, it makes one: a model trained on the test fixture, evaluated
# on the fixture and on tests/browser/tricky.jsonl, whose sentences carry markup
# (<script>, <img onerror>) that must stay text. Needs Chromium (Debian package
# `chromium`) and python3; run as root in CI, hence --no-sandbox.
set -euo pipefail
cd "$(dirname "$0")/../.."

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  echo "check_report: chromium not found (apt-get install chromium)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

report=${1:-}
shot=${2:-$work/report.png}
if [ -z "$report" ]; then
  cargo run -q --bin train -- --data tests/fixtures/train.jsonl \
    --out "$work/model.json" --min-count 1 --l2 0.01 --quiet
  report=$work/report.html
  cargo run -q --bin evaluate -- --model "$work/model.json" \
    --data tests/fixtures/train.jsonl --data tests/browser/tricky.jsonl \
    --report "$report" --quiet >/dev/null
fi
url="file://$(realpath "$report")"

# Quiet, offline, no profile left behind: every run gets a fresh profile.
browse() {
  local profile
  profile=$(mktemp -d "$work/profile.XXXXXX")
  "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" "$@"
}

# A control page that does log an error: proves the console reaches stderr.
cat >"$work/control.html" <<'HTML'
<!DOCTYPE html><html><body><p>control</p><script>console.error("control error")</script></body></html>
HTML
browse --enable-logging=stderr --v=0 --screenshot="$work/control.png" \
  --window-size=400,300 "file://$work/control.html" 2>"$work/control.log" >/dev/null

browse --enable-logging=stderr --v=0 --screenshot="$shot" --window-size=1200,3000 \
  "$url" 2>"$work/chromium.log" >/dev/null
browse --dump-dom "$url" >"$work/dom.html" 2>/dev/null

python3 tests/browser/check_report.py "$shot" "$work/chromium.log" "$work/dom.html" "$work/control.log"
