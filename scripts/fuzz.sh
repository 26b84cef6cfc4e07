#!/usr/bin/env bash
# Runs every built libFuzzer target for N seconds (default 20) from its checked-in corpus.
# A crash, leak, timeout or UB report fails the run. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-20}"
shopt -s nullglob
status=0
ran=0
for bin in "$root"/build/fuzz/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name="$(basename "$bin")"
  corpus="$root/tests/fuzz/corpus/${name#fuzz_}"
  work="$(mktemp -d)"
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  echo "-- $name (${seconds}s)"
  if ! UBSAN_OPTIONS=halt_on_error=1 "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=0 "$work" >"$work.log" 2>&1; then
    echo "FAILED: $name"; tail -40 "$work.log"; status=1
  fi
  ran=$((ran + 1))
  rm -rf "$work" "$work.log"
done
echo "fuzz: $ran targets run"
exit $status
