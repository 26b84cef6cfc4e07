#!/usr/bin/env bash
# bench.sh: Portcullis beside nginx and HAProxy (mTLS reverse proxies doing no policy or audit
# work) through the same harness (run.sh, copied from the team's perf kit), one I/O thread, the
# 100-policy set of make_policies.sh, once per audit mode. Prints the harness's Markdown tables.
#
#   bench/gateway/bench.sh                        # build/release/portcullis, both modes
#   PORTCULLIS=build/net/portcullis MODES=batched DURATION=5 REPEAT=1 bench/gateway/bench.sh
#
# In strict mode it also measures one fdatasync on the audit file system before and after the
# run (fdatasync_probe.py), for the strict latency target.
# Installs nginx, haproxy, wrk, ... with apt when missing (install.sh; needs root or sudo).
# Machine time: ~2 min per mode with the defaults below (PHASES=keepalive, DURATION=5).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORTCULLIS=${PORTCULLIS:-$ROOT/build/release/portcullis}
MODES=${MODES:-"batched strict"}
export DURATION=${DURATION:-5} REPEAT=${REPEAT:-1} PHASES=${PHASES:-keepalive}
export RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results}
PORTCULLIS=$(cd "$(dirname "$PORTCULLIS")" && pwd)/$(basename "$PORTCULLIS")
[[ -x $PORTCULLIS ]] || { echo "bench.sh: $PORTCULLIS not built (cmake --preset release && cmake --build build/release --target portcullis)" >&2; exit 2; }

missing=0
for tool in nginx haproxy wrk openssl curl taskset ss envsubst cc; do command -v "$tool" >/dev/null || missing=1; done
if ((missing)); then
  if [[ $(id -u) == 0 ]]; then "$HERE/install.sh"; else sudo "$HERE/install.sh"; fi
fi

policy_dir=$(mktemp -d)
trap 'rm -rf "$policy_dir"' EXIT
"$HERE/make_policies.sh" "$policy_dir"

export BENCH_GATEWAY_PORT=${BENCH_GATEWAY_PORT:-19443} BENCH_POLICY_DIR=$policy_dir
# Strict mode's latency target is nginx's added latency plus one fdatasync "measured in the same
# run": fdatasync_probe.py measures it on the file system of the gateway's audit directory (run.sh
# puts it under TMPDIR) right before and right after the strict run, and the two lines are added
# to that run's report.
probe_fdatasync() {
  "$HERE/fdatasync_probe.py" --dir "${TMPDIR:-/tmp}" --count "${PROBE_COUNT:-500}"
}
for mode in $MODES; do
  echo "== Portcullis, audit mode $mode" >&2
  export BENCH_AUDIT_MODE=$mode
  [[ $mode == strict ]] && before=$(probe_fdatasync)
  GATEWAY_URL=https://127.0.0.1:$BENCH_GATEWAY_PORT/mcp \
  GATEWAY_CMD="envsubst < '$HERE/gateway.yaml.in' > \"\$PERF_RUN_DIR/gw.yaml\" && exec '$PORTCULLIS' serve --config \"\$PERF_RUN_DIR/gw.yaml\"" \
    "$HERE/run.sh"
  if [[ $mode == strict ]]; then
    after=$(probe_fdatasync)
    report=$(ls -t "$RESULTS_DIR"/perf-*.md | head -n 1)
    printf '\n### fdatasync on the audit file system, same run\n\n- before: %s\n- after: %s\n' \
      "$before" "$after" | tee -a "$report"
  fi
done
