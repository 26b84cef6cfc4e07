#!/usr/bin/env bash
# Installs every build and test dependency of Portcullis on Debian 12 (bookworm).
# Idempotent and quiet when everything is already present. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libssl-dev openssl nlohmann-json3-dev libspdlog-dev libfmt-dev
  catch2 libyaml-cpp-dev libcli11-dev libexpected-dev libbenchmark-dev
  libhowardhinnant-date-dev librelp-dev libjemalloc-dev tzdata
  clang-14 libclang-rt-14-dev clang-format-14
  rsyslog rsyslog-relp rsyslog-openssl
  python3 python3-jsonschema curl procps e2fsprogs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # rsyslog must not start a system daemon inside containers/CI; tests run their own instance.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian rsyslog package may start the system service; tests never use it.
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now rsyslog >/dev/null 2>&1 || true; fi
fi

# Node peers for the end-to-end tests and the Cedar reference oracle (pinned by lockfiles).
if ! command -v node >/dev/null 2>&1; then
  echo "setup: node (>= 20) is required on PATH" >&2
  exit 1
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for dir in tests/oracle tests/e2e; do
  if [ -f "$root/$dir/package-lock.json" ]; then
    if [ ! -d "$root/$dir/node_modules" ] || [ "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]; then
      echo "setup: npm ci in $dir"
      (cd "$root/$dir" && npm ci --silent --no-audit --no-fund >/dev/null)
    fi
  fi
done
