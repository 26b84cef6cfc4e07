#!/usr/bin/env bash
# Runs every built libFuzzer target for N seconds (default 20), starting from its checked-in
# corpus (tests/fuzz/corpus/<target>/, copied so new inputs never land in the checkout).
# A crash, leak, timeout or UB report fails the run and prints the end of the fuzzer's log.
# Usage: scripts/fuzz.sh [SECONDS] [BUILD_DIR]   (BUILD_DIR default build/asan, the asan preset)
# Environment: JOBS (default 2): how many targets run at once (each fuzzer uses one core).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-20}"
build="${2:-$root/build/asan}"
jobs="${JOBS:-2}"
shopt -s nullglob

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fuzz_one NAME BINARY: one fuzzer run; its status goes to $work/NAME.status.
fuzz_one() {
  local name="$1" bin="$2"
  local corpus="$root/tests/fuzz/corpus/${name#fuzz_}"
  mkdir -p "$work/$name"
  if [ -d "$corpus" ]; then cp -r "$corpus"/. "$work/$name"/; fi
  local status=0
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$bin" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work/$name" >"$work/$name.log" 2>&1 ||
    status=$?
  echo "$status" >"$work/$name.status"
}

targets=()
for bin in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] && [ -f "$bin" ] && targets+=("$bin")
done
if ((${#targets[@]} == 0)); then
  echo "fuzz: no fuzz targets under $build/tests/fuzz (build the asan preset's fuzz_all)" >&2
  exit 1
fi

running=0
for bin in "${targets[@]}"; do
  fuzz_one "$(basename "$bin")" "$bin" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

failed=0
for bin in "${targets[@]}"; do
  name="$(basename "$bin")"
  status="$(cat "$work/$name.status" 2>/dev/null || echo missing)"
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$' || true)"
  if [ "$status" = 0 ]; then
    echo "-- $name: ${seconds}s, ${runs:-?} inputs, no crash, leak, timeout or UB"
  else
    echo "FAILED: $name (exit $status)"
    tail -60 "$work/$name.log"
    failed=1
  fi
done
echo "fuzz: ${#targets[@]} targets run"
exit $failed
