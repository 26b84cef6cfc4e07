#!/usr/bin/env bash
# The Portcullis demo, in one command on a fresh Debian 12 machine:
#   installs what is missing (scripts/setup.sh), builds the gateway (Release, build/release),
#   makes a throw-away PKI, starts the MCP tool server `server-everything` and Portcullis with the
#   shipped example policies (policies/demo), runs a scripted agent (the official MCP SDK client)
#   that makes allowed and denied calls, prints what happened, and verifies the audit log.
# Everything it starts is stopped when it ends. Exit status: 0 if everything behaved as shown.
# Environment:
#   BUILD_DIR     build directory to (re)use, default build/release (configured with the
#                 `release` preset when it has no CMakeCache.txt); only the `portcullis` target
#                 is built, incrementally
#   PORTCULLIS_BIN  use this binary and build nothing (implies SKIP_BUILD=1)
#   DEMO_DIR      where this run writes everything (a new or empty directory), default
#                 $DEMO_ROOT/<time>, DEMO_ROOT defaulting to demo-run/
#   JOBS (default 2), SKIP_SETUP=1, SKIP_BUILD=1, NO_COLOR=1
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
e2e="$root/tests/e2e"
jobs="${JOBS:-2}"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' red=$'\033[31m' green=$'\033[32m' off=$'\033[0m'
else bold='' red='' green='' off=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
die() { printf '%sdemo: %s%s\n' "$red" "$*" "$off" >&2; exit 1; }

pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  exit "$status"
}
trap cleanup EXIT INT TERM

# N loopback ports that were free a moment ago, all different (one process: the kernel may hand a
# port that was just closed to the next bind again).
free_ports() {
  node -e '
    const net = require("net"); const want = Number(process.argv[1]); const ports = new Set();
    const next = () => { if (ports.size === want) { console.log([...ports].join(" ")); return; }
      const s = net.createServer(); s.listen(0, "127.0.0.1", () => { ports.add(s.address().port); s.close(next); }); };
    next();' "$1"
}

# wait_for DESCRIPTION COMMAND...: retries COMMAND for up to 30 s.
wait_for() {
  local what="$1"; shift
  for _ in $(seq 1 150); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "timed out waiting for $what"
}

if [ "${SKIP_SETUP:-0}" != 1 ]; then
  step "Installing what is missing (scripts/setup.sh)"
  bash scripts/setup.sh
fi

[ -f "$e2e/node_modules/@modelcontextprotocol/server-everything/dist/index.js" ] ||
  die "the npm packages of tests/e2e are not installed: run scripts/setup.sh (or drop SKIP_SETUP)"

build_dir="${BUILD_DIR:-$root/build/release}"
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
if [ -n "${PORTCULLIS_BIN:-}" ]; then
  bin="$PORTCULLIS_BIN"
else
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    if [ -f "$build_dir/CMakeCache.txt" ]; then
      step "Building portcullis in $build_dir (incremental)"
    elif [ "$build_dir" = "$root/build/release" ]; then
      step "Building portcullis (Release, build/release)"
      cmake --preset release >/dev/null
    else
      step "Building portcullis (Release, $build_dir)"
      cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPORTCULLIS_WERROR=OFF \
        -DPORTCULLIS_BENCH=OFF >/dev/null
    fi
    cmake --build "$build_dir" -j"$jobs" --target portcullis
  fi
  bin="$build_dir/portcullis"
fi
[ -x "$bin" ] || die "no portcullis binary at $bin (build it, or set BUILD_DIR or PORTCULLIS_BIN)"

if [ -n "${DEMO_DIR:-}" ]; then
  run="$DEMO_DIR"
  [ ! -e "$run/keys" ] || die "DEMO_DIR $run was already used: give a new or empty directory"
else
  run="${DEMO_ROOT:-$root/demo-run}/$(date -u +%Y%m%d-%H%M%S)"
  [ ! -e "$run" ] || run="$run-$$"
fi
mkdir -p "$run"
run="$(cd "$run" && pwd)"
step "Throw-away PKI and audit key in $run"
bash "$e2e/pki/make-pki.sh" "$run/pki" >/dev/null
"$bin" keygen --out "$run/keys" >/dev/null
mkdir -p "$run/audit"

read -r tools_port gw_port admin_port < <(free_ports 3)

step "Starting the MCP tool server (server-everything) on 127.0.0.1:$tools_port"
PORT="$tools_port" node "$e2e/node_modules/@modelcontextprotocol/server-everything/dist/index.js" streamableHttp \
  >"$run/server-everything.log" 2>&1 &
pids+=($!)
wait_for "server-everything" bash -c "exec 3<>/dev/tcp/127.0.0.1/$tools_port"

cat >"$run/portcullis.yaml" <<EOF
# Written by scripts/demo.sh. The stable core of the configuration (docs/configuration.md).
listeners:
  - name: agents
    address: 127.0.0.1:$gw_port
    tls:
      cert: pki/gateway.pem
      key: pki/gateway.key
      client_ca: pki/ca.pem
admin:
  address: 127.0.0.1:$admin_port
  tls:
    cert: pki/gateway.pem
    key: pki/gateway.key
    client_ca: pki/ops-ca.pem
  allowed_identities: ["spiffe://example.org/ops/oncall"]
routes:
  - name: tools
    prefix: /mcp
    protocol: mcp
    upstream: http://127.0.0.1:$tools_port/mcp
policies:
  dir: $root/policies/demo
  entities: $root/policies/demo/entities.json
  policy_errors: deny
audit:
  dir: audit/
  mode: strict
  signing_key: keys/audit.key
EOF

step "Starting Portcullis on https://127.0.0.1:$gw_port (admin 127.0.0.1:$admin_port)"
"$bin" validate --config "$run/portcullis.yaml" || die "the demo configuration does not validate"
"$bin" serve --config "$run/portcullis.yaml" >"$run/portcullis.log" 2>&1 &
gw_pid=$!
pids+=("$gw_pid")
ops=(--cacert "$run/pki/ca.pem" --cert "$run/pki/ops.pem" --key "$run/pki/ops.key")
wait_for "Portcullis /readyz" curl -sf "${ops[@]}" "https://127.0.0.1:$admin_port/readyz"

step "The agent makes its calls (policies: policies/demo)"
agent_status=0
# Bounded: a call that never gets an answer is a failure of the demo, not a hang.
timeout 120 node "$e2e/demo/demo-agent.mjs" --url "https://127.0.0.1:$gw_port/mcp" --pki "$run/pki" \
  --audit-dir "$run/audit" || agent_status=$?

# Stop the gateway before verifying: at shutdown it writes its final signed checkpoint.
kill "$gw_pid" 2>/dev/null || true
wait "$gw_pid" 2>/dev/null || true

step "portcullis audit verify"
verify_status=0
"$bin" audit verify "$run"/audit/*.jsonl --public-key "$run/keys/audit.pub" || verify_status=$?
echo
echo "Audit log:      $run/audit/"
echo "Gateway log:    $run/portcullis.log"
echo "Configuration:  $run/portcullis.yaml"
echo "Read a record:  head -1 $(ls "$run"/audit/*.jsonl | head -1) | python3 -m json.tool"

if [ "$agent_status" -ne 0 ]; then die "some calls did not behave as shown"; fi
if [ "$verify_status" -ne 0 ]; then die "audit verify failed (exit $verify_status)"; fi
printf '\n%sDemo finished: every call behaved as shown and the audit log verifies.%s\n' "$green" "$off"
