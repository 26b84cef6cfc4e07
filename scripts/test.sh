#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run), on a fresh Debian 12 machine with 2 cores:
#   1. setup            scripts/setup.sh installs what is missing
#   2. release build    GCC Release of everything (binary, tests, benchmarks) with -Werror
#                       (the release preset sets PORTCULLIS_WERROR)
#   3. release tests    every test: unit, integration, conformance against cedar-wasm, the example
#                       policy sets, end to end with real MCP/A2A peers
#   4. sanitizer build  ONE clang-14 build (asan preset: ASan+UBSan, libFuzzer instrumentation)
#                       of the unit tests, the gateway's in-process TLS tests, the binary and
#                       the fuzz targets
#   5. sanitizer tests  under ASan+UBSan (leaks on): the unit tests, and the gateway over real
#                       TLS (our own TLS stream, sessions, reload, CRL, bypass suite)
#   6. fuzz             every libFuzzer target for FUZZ_SECONDS on its checked-in corpus
# Every stage always runs; the run stops at the first failure. A table of stage times ends
# the output (also after a failure).
# Usage: scripts/test.sh
# Environment: JOBS (default 2), FUZZ_SECONDS (default 25 per target).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="${JOBS:-2}"
fuzz_seconds="${FUZZ_SECONDS:-25}"
run_start=$(date +%s)

stage_times=()
stage=""
stage_start=0
# begin NAME: ends the current stage (recording its time) and starts the next.
begin() {
  end_stage ok
  stage="$1"
  stage_start=$(date +%s)
  echo "== $stage [$(($(date +%s) - run_start))s into the run]"
}
end_stage() {
  if [ -n "$stage" ]; then
    stage_times+=("$(printf '%-18s %5ss%s' "$stage" "$(($(date +%s) - stage_start))" \
      "$([ "$1" = ok ] || echo "  FAILED")")")
    stage=""
  fi
}
summary() {
  local status=$?
  end_stage "$([ "$status" = 0 ] && echo ok || echo failed)"
  echo "== stage times"
  printf '   %s\n' "${stage_times[@]}"
  printf '   %-18s %5ss\n' "total" "$(($(date +%s) - run_start))"
  if [ "$status" = 0 ]; then echo "== all tests passed"; else echo "== FAILED (exit $status)"; fi
}
trap summary EXIT

begin "setup"
bash scripts/setup.sh

begin "release build"
cmake --preset release >/dev/null
cmake --build build/release -j"$jobs"

begin "release tests"
ctest --test-dir build/release --output-on-failure -j"$jobs"

begin "sanitizer build"
cmake --preset asan >/dev/null
sanitized_integration=(tls_stream_test gateway_integration_test gateway_bypass_test)
cmake --build build/asan -j"$jobs" --target tests_unit portcullis fuzz_all \
  "${sanitized_integration[@]}"

begin "sanitizer tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j"$jobs" -L unit
for test in "${sanitized_integration[@]}"; do
  binary="$(find build/asan/tests/integration -type f -name "$test" -perm -u+x | head -n 1)"
  log="build/asan/$test.log"
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "$binary" --reporter compact >"$log" 2>&1; then
    echo "-- $test (ASan+UBSan): $(grep -E '^(Passed|All tests passed)' "$log" | tail -n 1)"
  else
    grep -v '^\[20' "$log" | tail -n 200  # the gateway's own log lines left out
    echo "-- $test (ASan+UBSan) FAILED; whole output in $log"
    exit 1
  fi
done

begin "fuzz"
JOBS="$jobs" bash scripts/fuzz.sh "$fuzz_seconds" build/asan
