#!/usr/bin/env bash
# Side-by-side: the same realistic agent-policy cases (10/100/1,000 policies) through cedar-wasm
# (Cedar's reference engine, node, policies pre-parsed, one core) and through
# `portcullis check --batch` (one core), then the ratio of decisions per second.
#
#   bench/compare_cedar.sh [PATH/TO/portcullis]      (default: build/release/portcullis)
#   SECONDS_PER_SIZE=3 BATCH_LINES=200000 SIZES=10,100,1000 bench/compare_cedar.sh
#
# portcullis's figure is end to end: process start, policy and entity loading, reading and
# parsing each JSON request line, deciding, printing the JSON result. The start-up cost is
# measured with a one-line batch and subtracted, so the rate is per decision in steady state.
# Use a Release build: a Debug binary is many times slower.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/build/release/portcullis}"
sizes="${SIZES:-10,100,1000}"
seconds="${SECONDS_PER_SIZE:-3}"
lines="${BATCH_LINES:-200000}"
if [ ! -x "$bin" ]; then
  echo "compare_cedar.sh: no portcullis binary at $bin (build it: cmake --preset release && cmake --build build/release --target portcullis)" >&2
  exit 2
fi
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== cedar-wasm (node, one core)"
"${pin[@]}" node "$root/bench/cedar_wasm/bench.js" --sizes "$sizes" --seconds "$seconds" \
  --write-batch "$work" --batch-lines "$lines" --json "$work/cedar.json"

now_ns() { date +%s%N; }
echo
echo "== portcullis check --batch (one core) and the ratio"
printf '%8s  %12s  %12s  %8s  %s\n' policies "cedar-wasm/s" "portcullis/s" ratio "same decisions"
IFS=',' read -r -a size_list <<< "$sizes"
for n in "${size_list[@]}"; do
  dir="$work/$n"
  args=(check --policies "$dir/policies.cedar" --entities "$dir/entities.json")
  # Same answers as the reference on the base requests?
  ours_allow=$("$bin" "${args[@]}" --batch "$dir/requests.jsonl" | grep -c '"decision":"allow"' || true)
  ref_allow=$(node -e "const r=require('$work/cedar.json').find(x=>x.policies===$n);console.log(r.allows)")
  same="yes"; [ "$ours_allow" = "$ref_allow" ] || same="NO ($ours_allow vs $ref_allow allows)"
  # Start-up (load policies and entities, one decision), then the repeated batch.
  head -n 1 "$dir/requests.jsonl" > "$dir/one.jsonl"
  t0=$(now_ns); "${pin[@]}" "$bin" "${args[@]}" --batch "$dir/one.jsonl" > /dev/null; t1=$(now_ns)
  t2=$(now_ns); "${pin[@]}" "$bin" "${args[@]}" --batch "$dir/requests-repeated.jsonl" > /dev/null; t3=$(now_ns)
  count=$(wc -l < "$dir/requests-repeated.jsonl")
  node -e "
    const ref = require('$work/cedar.json').find(x => x.policies === $n).decisionsPerSecond;
    const secs = (($t3 - $t2) - ($t1 - $t0)) / 1e9;
    const ours = $count / secs;
    console.log([String($n).padStart(8), ref.toFixed(0).padStart(12), ours.toFixed(0).padStart(12),
      (ours / ref).toFixed(1).padStart(7) + 'x', '$same'].join('  '));"
done
