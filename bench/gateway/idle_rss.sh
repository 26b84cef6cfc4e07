#!/usr/bin/env bash
# idle_rss.sh: the gateway's resident memory with N idle keep-alive mTLS connections (issue 5's
# target: RSS <= 64 MiB with 1,000). Starts an upstream stand-in (nginx, the harness's config),
# Portcullis with the benchmark's 100-policy set and one I/O thread, then opens N mutual-TLS
# connections, sends one allowed tools/call on each (so every connection has a finished
# keep-alive exchange and a pooled upstream connection behind it), keeps them all open and idle,
# and prints the gateway's VmRSS / VmHWM before and after, in KiB and MiB.
#
#   bench/gateway/idle_rss.sh                      # build/release/portcullis, N=1000
#   CONNECTIONS=2000 PORTCULLIS=build/x/portcullis bench/gateway/idle_rss.sh
#   HOLD_SECONDS=60 bench/gateway/idle_rss.sh      # keep the idle connections open 60 s more
#                                                  # (to snapshot a heap profiler meanwhile)
#
# Needs nginx, openssl, envsubst, python3 (install.sh installs the first three).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORTCULLIS=${PORTCULLIS:-$ROOT/build/release/portcullis}
CONNECTIONS=${CONNECTIONS:-1000}
MODE=${BENCH_AUDIT_MODE:-batched}
HOLD_SECONDS=${HOLD_SECONDS:-0}
[[ -x $PORTCULLIS ]] || { echo "idle_rss.sh: $PORTCULLIS not built" >&2; exit 2; }
for tool in nginx openssl envsubst python3; do
  command -v "$tool" >/dev/null || { echo "idle_rss.sh: $tool missing (bench/gateway/install.sh)" >&2; exit 2; }
done

RUN=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$RUN/pki"
"$HERE/gencerts.sh" "$RUN/pki" >/dev/null
"$HERE/make_policies.sh" "$RUN/policies"
UPSTREAM_PORT=$(free_port)
GATEWAY_PORT=$(free_port)
mkdir -p "$RUN/upstream/logs" "$RUN/upstream/tmp" "$RUN/gateway"
sed -e "s|@RUN@|$RUN|g" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" \
  "$HERE/conf/upstream.nginx.conf.in" > "$RUN/upstream/nginx.conf"
nginx -p "$RUN/upstream" -c "$RUN/upstream/nginx.conf" -e "$RUN/upstream/startup.log" -g 'daemon off;' &
pids+=($!)

export PERF_CA=$RUN/pki/ca.crt PERF_SERVER_CERT=$RUN/pki/server.crt PERF_SERVER_KEY=$RUN/pki/server.key \
  PERF_UPSTREAM_URL=http://127.0.0.1:$UPSTREAM_PORT/mcp PERF_RUN_DIR=$RUN/gateway \
  BENCH_GATEWAY_PORT=$GATEWAY_PORT BENCH_POLICY_DIR=$RUN/policies BENCH_AUDIT_MODE=$MODE
envsubst < "$HERE/gateway.yaml.in" > "$RUN/gateway/gw.yaml"
# Every connection is a file descriptor on both sides (plus one upstream socket each at most).
ulimit -n $((CONNECTIONS * 3 + 256))
"$PORTCULLIS" serve --config "$RUN/gateway/gw.yaml" 2> "$RUN/gateway/stderr.log" &
gateway_pid=$!
pids+=("$gateway_pid")

python3 - "$GATEWAY_PORT" "$CONNECTIONS" "$RUN/pki" "$HERE/load/tools-call.json" "$gateway_pid" "$HOLD_SECONDS" <<'PY'
import socket, ssl, sys, time

port, count, pki, body_file, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
hold = float(sys.argv[6])
body = open(body_file, "rb").read()

def status(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit(f"idle_rss: no {field} for pid {pid}")

deadline = time.time() + 20
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            raise SystemExit("idle_rss: the gateway did not start listening (see its stderr)")
        time.sleep(0.1)

ctx = ssl.create_default_context(cafile=f"{pki}/ca.crt")
ctx.load_cert_chain(f"{pki}/client.crt", f"{pki}/client.key")
request = (b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Accept: application/json, text/event-stream\r\nContent-Length: "
           + str(len(body)).encode() + b"\r\n\r\n" + body)

def read_response(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise SystemExit("idle_rss: connection closed before the answer's head")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        rest += conn.recv(65536)
    return head.split(b"\r\n", 1)[0]

time.sleep(0.5)
rss_start = status("VmRSS")
conns, failures = [], 0
for i in range(count):
    raw = socket.create_connection(("127.0.0.1", port))
    conn = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    conn.sendall(request)
    line = read_response(conn)
    if b" 200 " not in line:
        failures += 1
        if failures == 1:
            print(f"first non-200 answer: {line.decode(errors='replace')}", file=sys.stderr)
    conns.append(conn)
time.sleep(2)
alive = 0
for c in conns:
    c.setblocking(False)
    try:
        alive += 0 if c.recv(1) == b"" else 1
    except (ssl.SSLWantReadError, BlockingIOError):
        alive += 1
    except OSError:
        pass
rss_idle, hwm = status("VmRSS"), status("VmHWM")
print("| connections | answered 200 | still open after 2 s idle | RSS before | RSS with the idle connections | peak RSS (VmHWM) |")
print("|---:|---:|---:|---:|---:|---:|")
print(f"| {count} | {count - failures} | {alive} | {rss_start / 1024:.1f} MiB | {rss_idle / 1024:.1f} MiB | {hwm / 1024:.1f} MiB |")
if hold > 0:
    print(f"holding the idle connections for {hold:g} s (gateway pid {pid})", flush=True)
    time.sleep(hold)
for c in conns:
    c.close()
sys.exit(1 if failures else 0)
PY
