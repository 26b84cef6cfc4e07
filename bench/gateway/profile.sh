#!/usr/bin/env bash
# profile.sh: one quick CPU-per-request measurement of the gateway alone, for the edit-measure
# loop (bench.sh is the side-by-side comparison with nginx and HAProxy; this is not).
#
# Starts nginx as the upstream stand-in and `portcullis serve` with bench.sh's configuration
# (one I/O thread, the 100-policy set, the chosen audit mode), drives it with ApacheBench over
# keep-alive mTLS (`ab -k -c 8`, the 621-byte MCP tools/call of the harness) and prints:
#   - per thread of the gateway: user/system ticks and voluntary context switches,
#   - ab's summary (complete, failed, non-2xx, requests/s),
#   - the gateway's CPU (user + system, all threads) per request in µs.
#
#   bench/gateway/profile.sh                           # build/release/portcullis, batched
#   MODE=strict BIN=build/perf/portcullis bench/gateway/profile.sh
#   PERF=1 bench/gateway/profile.sh     # also: perf record -g (3 s) into /tmp/perf.data
#                                       # (PERF_FREQ=10000 PERF_CALLGRAPH=" ": flat, denser)
#   STRACE=1 bench/gateway/profile.sh   # also: strace -c -f into /tmp/strace.txt
#   TIMELINE=1 NREQ=200 CONC=1 bench/gateway/profile.sh
#                                       # also: strace -f -tt -T (every syscall of every thread,
#                                       # with its duration) into /tmp/strace-timeline.txt
#   NREQ=50000 CONC=1 bench/gateway/profile.sh          # light load: one connection
#   CALLGRIND=1 NREQ=2000 bench/gateway/profile.sh
#                                       # the gateway under callgrind: instructions executed per
#                                       # request (user space), counted only during the load —
#                                       # exact and independent of other load on the machine,
#                                       # unlike CPU time; the profile is in /tmp/callgrind.out.1
#   OUT_PREFIX=/tmp/mine CALLGRIND=1 ...  # outputs as /tmp/mine-callgrind.out.1, /tmp/mine-perf.data,
#                                       # /tmp/mine-strace.txt (default prefix /tmp/: the names above),
#                                       # so two people profiling at once do not overwrite each other
#
# Pinning: ab on CPU 0 (LOADGEN_CPU), gateway and upstream wherever the scheduler puts them
# unless PROXY_CPU is set. Needs nginx, ab (apache2-utils), envsubst; the machine should be
# otherwise quiet (check `uptime`): CPU per request is robust to some load, requests/s is not.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BIN:-$ROOT/build/release/portcullis}
MODE=${MODE:-batched}
NREQ=${NREQ:-20000}
CONC=${CONC:-8}
LOADGEN_CPU=${LOADGEN_CPU:-0}
UPSTREAM_PORT=${UPSTREAM_PORT:-18999}
GATEWAY_PORT=${GATEWAY_PORT:-19555}
OUT_PREFIX=${OUT_PREFIX:-/tmp/}
[[ $OUT_PREFIX == */ ]] || OUT_PREFIX=$OUT_PREFIX-
[[ -x $BIN ]] || { echo "profile.sh: $BIN is not built" >&2; exit 2; }

RUN=$(mktemp -d)
mkdir -p "$RUN/pki" "$RUN/upstream/logs" "$RUN/upstream/tmp" "$RUN/gateway"
"$HERE/gencerts.sh" "$RUN/pki" >/dev/null
"$HERE/make_policies.sh" "$RUN/policies"
sed -e "s|@RUN@|$RUN|g" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" \
  "$HERE/conf/upstream.nginx.conf.in" >"$RUN/upstream/nginx.conf"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

nginx -p "$RUN/upstream" -c "$RUN/upstream/nginx.conf" -e "$RUN/upstream/startup.log" \
  -g 'daemon off;' &
pids+=($!)
export PERF_CA=$RUN/pki/ca.crt PERF_SERVER_CERT=$RUN/pki/server.crt \
  PERF_SERVER_KEY=$RUN/pki/server.key PERF_UPSTREAM_URL=http://127.0.0.1:$UPSTREAM_PORT/mcp \
  PERF_RUN_DIR=$RUN/gateway BENCH_GATEWAY_PORT=$GATEWAY_PORT BENCH_POLICY_DIR=$RUN/policies \
  BENCH_AUDIT_MODE=$MODE
envsubst <"$HERE/gateway.yaml.in" >"$RUN/gateway/gw.yaml"
launch=()
[[ -n ${PROXY_CPU:-} ]] && launch=(taskset -c "$PROXY_CPU")
if [[ -n ${CALLGRIND:-} ]]; then
  rm -f "${OUT_PREFIX}callgrind.out" "${OUT_PREFIX}callgrind.out".*
  launch+=(valgrind -q --tool=callgrind --instr-atstart=no
           "--callgrind-out-file=${OUT_PREFIX}callgrind.out")
fi
"${launch[@]}" "$BIN" serve --config "$RUN/gateway/gw.yaml" 2>"$RUN/err.log" &
gw=$!
pids+=($gw)
sleep 1.5
if [[ -n ${CALLGRIND:-} ]]; then
  # Started with collection off; wait until it listens, then count the load only.
  for _ in $(seq 60); do
    (exec 3<>"/dev/tcp/127.0.0.1/$GATEWAY_PORT") 2>/dev/null && break
    sleep 1
  done
  callgrind_control -i on "$gw" >/dev/null 2>&1
fi
cat "$RUN/err.log"
kill -0 "$gw" || { echo "profile.sh: the gateway did not start" >&2; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$gw/stat"; }
before=$(cpu_ticks)
tracer=
if [[ -n ${PERF:-} ]]; then
  perf record -F "${PERF_FREQ:-500}" ${PERF_CALLGRAPH:---call-graph dwarf,16384} -o "${OUT_PREFIX}perf.data" -p "$gw" -- sleep 3 \
    >/dev/null 2>&1 &
  tracer=$!
fi
if [[ -n ${STRACE:-} ]]; then
  strace -c -f -p "$gw" -o "${OUT_PREFIX}strace.txt" &
  tracer=$!
  sleep 0.5
elif [[ -n ${TIMELINE:-} ]]; then
  strace -f -tt -T -p "$gw" -o "${OUT_PREFIX}strace-timeline.txt" &
  tracer=$!
  sleep 0.5
fi
taskset -c "$LOADGEN_CPU" ab -q -k -n "$NREQ" -c "$CONC" -p "$HERE/load/tools-call.json" \
  -T application/json -E "$RUN/pki/client.pem" "https://127.0.0.1:$GATEWAY_PORT/mcp" \
  >"$RUN/ab.txt" 2>&1 || true
after=$(cpu_ticks)
if [[ -n ${CALLGRIND:-} ]]; then
  callgrind_control -d "$gw" >/dev/null 2>&1
  sleep 1
  ir=$(callgrind_annotate "${OUT_PREFIX}callgrind.out.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' || true)
  echo "callgrind: ${ir:-?} instructions for $NREQ requests => $((${ir:-0} / NREQ)) instructions/request"
fi

for t in /proc/$gw/task/*; do
  echo "thread $(cat "$t/comm") utime=$(awk '{print $14}' "$t/stat") stime=$(awk '{print $15}' "$t/stat") voluntary_switches=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")"
done
grep -E "Complete requests|Failed|Non-2xx|Requests per second|50%|99%" "$RUN/ab.txt" || cat "$RUN/ab.txt"
ticks=$((after - before))
hz=$(getconf CLK_TCK)
echo "gateway CPU: $ticks ticks for $NREQ requests => $((ticks * 1000000 / hz / NREQ)) us/request (mode $MODE, ab -c $CONC, load average: $(cut -d' ' -f1-3 /proc/loadavg))"
if [[ -n ${PERF:-} ]]; then wait "$tracer" || true; fi
if [[ -n ${STRACE:-}${TIMELINE:-} ]]; then kill -INT "$tracer"; sleep 1; fi
echo "run folder: $RUN"
