#!/usr/bin/env bash
# Side-by-side: the same realistic agent-policy cases (10/100/1,000 policies) through cedar-wasm
# (Cedar's reference engine, node, policies pre-parsed, one core) and through
# `portcullis check --batch` (one core), then the ratio of decisions per second.
#
#   bench/compare_cedar.sh [PATH/TO/portcullis]      (default: build/release/portcullis)
#   SECONDS_PER_SIZE=3 BATCH_LINES=200000 SIZES=10,100,1000 bench/compare_cedar.sh
#
# portcullis's figure is end to end: reading and parsing each JSON request line, deciding,
# printing the JSON result. The start-up cost (process start, loading policies and entities) is
# measured with a one-line batch and subtracted, so the rate is per decision in steady state.
# Rates are given per CPU-second (robust on a shared machine) and per wall-second.
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

# Runs portcullis once; prints "wall_seconds cpu_seconds" (user + system) of the process.
timed() {
  /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "${pin[@]}" "$bin" "$@" > /dev/null
  awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$work/time.txt"
}
echo
echo "== portcullis check --batch (one core) and the ratio (per CPU-second; per wall-second in brackets)"
printf '%8s  %14s  %14s  %16s  %s\n' policies "cedar-wasm/s" "portcullis/s" ratio "same decisions"
IFS=',' read -r -a size_list <<< "$sizes"
for n in "${size_list[@]}"; do
  dir="$work/$n"
  args=(check --policies "$dir/policies.cedar" --entities "$dir/entities.json")
  # Same answers as the reference on the base requests?
  ours_allow=$("$bin" "${args[@]}" --batch "$dir/requests.jsonl" | grep -c '"decision":"allow"' || true)
  ref_allow=$(node -e "console.log(require('$work/cedar.json').find(x => x.policies === $n).allows)")
  same="yes"; [ "$ours_allow" = "$ref_allow" ] || same="NO ($ours_allow vs $ref_allow allows)"
  # Start-up (load policies and entities, one decision), then the repeated batch.
  head -n 1 "$dir/requests.jsonl" > "$dir/one.jsonl"
  read -r one_wall one_cpu < <(timed "${args[@]}" --batch "$dir/one.jsonl")
  read -r all_wall all_cpu < <(timed "${args[@]}" --batch "$dir/requests-repeated.jsonl")
  count=$(wc -l < "$dir/requests-repeated.jsonl")
  node -e "
    const ref = require('$work/cedar.json').find(x => x.policies === $n);
    const cpu = $count / Math.max(1e-6, $all_cpu - $one_cpu);
    const wall = $count / Math.max(1e-6, $all_wall - $one_wall);
    const cell = (a, b) => (a.toFixed(0) + ' (' + b.toFixed(0) + ')').padStart(14);
    console.log([String($n).padStart(8), cell(ref.decisionsPerCpuSecond, ref.decisionsPerSecond), cell(cpu, wall),
      ((cpu / ref.decisionsPerCpuSecond).toFixed(0) + 'x (' + (wall / ref.decisionsPerSecond).toFixed(0) + 'x)').padStart(16),
      '$same'].join('  '));"
done

# The engine in process over the same cases (bench_cedar_cases, built beside portcullis with
# -DPORTCULLIS_BENCH=ON): converting each request from parsed JSON and deciding it, as
# cedar-wasm's loop does per call; and deciding alone, requests already converted.
cases="${CASES_BIN:-$(dirname "$bin")/bench/bench_cedar_cases}"
if [ ! -x "$cases" ]; then
  echo
  echo "(no $cases: configure with -DPORTCULLIS_BENCH=ON and build bench_cedar_cases for the in-process columns)"
  exit 0
fi
echo
echo "== the engine in process, same cases, one core (decisions per CPU-second, p50 per decision)"
printf '%8s  %14s  %26s  %8s  %26s  %8s\n' policies "cedar-wasm/s" "convert+decide/s (p50)" ratio "decide only/s (p50)" ratio
for n in "${size_list[@]}"; do
  dir="$work/$n"
  out=$("${pin[@]}" "$cases" "$dir/policies.cedar" "$dir/entities.json" "$dir/requests.jsonl" "$seconds")
  node -e "
    const ref = require('$work/cedar.json').find(x => x.policies === $n);
    const lines = \`$out\`.split('\\n');
    const field = (line, k) => Number(line.match(new RegExp(k + '=([0-9.]+)'))[1]);
    const conv = lines.find(l => l.startsWith('convert_and_decide'));
    const only = lines.find(l => l.startsWith('decide_only'));
    const cell = (l) => (field(l, 'decisions_per_cpu_second').toFixed(0) + ' (' + (field(l, 'p50_ns') / 1000).toFixed(2) + ' µs)').padStart(26);
    const ratio = (l) => ((field(l, 'decisions_per_cpu_second') / ref.decisionsPerCpuSecond).toFixed(0) + 'x').padStart(8);
    console.log([String($n).padStart(8), ref.decisionsPerCpuSecond.toFixed(0).padStart(14), cell(conv), ratio(conv), cell(only), ratio(only)].join('  '));"
done
