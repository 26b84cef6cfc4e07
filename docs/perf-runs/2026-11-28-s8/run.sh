#!/usr/bin/env bash
# Session 8: bench_audit of a base commit (BASE=) and of this tree (NEW=, default build/release), alternated, ROUNDS times.
# usage: BASE=/path/to/base/bench_audit run.sh OUTDIR [ROUNDS]
set -u
out=${1:?output directory}; rounds=${2:-3}
mkdir -p "$out"
base=${BASE:?set BASE to the bench_audit binary of the base commit}
new=${NEW:-build/release/bench/bench_audit}
export PORTCULLIS_BENCH_DIR=/var/tmp/pbench
for r in $(seq "$rounds"); do
  date -u +%H:%M:%S | tee -a "$out/times.txt"
  $base --benchmark_filter='raw_write_fdatasync/2000/52224|strict_1thread/16/40000/1/0/|batched_1thread/16/200000/1/[01]/|BM_verify/' \
    > "$out/base-$r.txt" 2>&1
  $new --benchmark_filter='raw_write_fdatasync/2000/52224|strict_1thread/16/40000/1/[01]/[01]/|batched_1thread/16/200000/1/[01]/[01]/|BM_verify/' \
    > "$out/new-$r.txt" 2>&1
done
for f in "$out"/base-*.txt "$out"/new-*.txt; do
  echo "== $f"
  grep '^BM_' "$f" | sed 's/iterations:1\/manual_time//' | awk '{printf "%-48s", $1; for (i=6;i<=NF;i++) if ($i ~ /^(appends_per_s|records_per_s|p50_us|p99_us|sync_us|syncs_per_s)=/) printf " %s", $i; printf "\n"}'
done | tee "$out/summary.txt"
