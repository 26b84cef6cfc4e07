#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds Release and runs every
# test (unit, integration, conformance against cedar-wasm, example policy sets, end to end with
# real MCP/A2A peers), then the ASan+UBSan build of the unit tests, then a short libFuzzer pass.
# Usage: scripts/test.sh
# Environment: JOBS (default 2), SKIP_ASAN=1, SKIP_FUZZ=1, FUZZ_SECONDS (default 20 per target),
#   CI_BUDGET_MINUTES (default 60): the sanitizer and fuzz stages start only while the run is
#   inside this budget (CI stops a run at 90 minutes on 2 cores); a stage left out for time says
#   so loudly in the output.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="${JOBS:-2}"
start=$(date +%s)
budget=$(( ${CI_BUDGET_MINUTES:-60} * 60 ))
elapsed() { echo $(( $(date +%s) - start )); }
within_budget() { [ "$(elapsed)" -lt "$1" ]; }

bash scripts/setup.sh

echo "== Release build"
cmake --preset release >/dev/null
cmake --build build/release -j"$jobs"
echo "== Release: all tests (unit, integration, conformance, examples, e2e) [$(elapsed)s]"
# A test that fails is run once more and reported either way (the SIGKILL crash test was seen
# to fail once under parallel load and pass alone; see the issue 4 note).
ctest --test-dir build/release --output-on-failure -j"$jobs" --repeat until-pass:2

# The sanitizer build covers the unit tests of every module (the policy engine, audit,
# protocol, config, admin, SIEM framing) and the fuzz corpora replays.
if [ "${SKIP_ASAN:-0}" != 1 ]; then
  if within_budget $(( budget / 2 )); then
    echo "== ASan+UBSan build [$(elapsed)s]"
    cmake --preset asan >/dev/null
    cmake --build build/asan -j"$jobs"
    echo "== ASan+UBSan: unit tests [$(elapsed)s]"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir build/asan --output-on-failure -j"$jobs" -L unit
  else
    echo "!! ASan+UBSan stage NOT RUN: $(elapsed)s elapsed, over the time budget"
  fi
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  if within_budget $(( budget * 3 / 4 )); then
    echo "== Fuzz (libFuzzer, ${FUZZ_SECONDS:-20}s per target) [$(elapsed)s]"
    cmake --preset fuzz >/dev/null
    cmake --build build/fuzz -j"$jobs" --target fuzz_all
    bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
  else
    echo "!! Fuzz stage NOT RUN: $(elapsed)s elapsed, over the time budget"
  fi
fi
echo "== all tests passed [$(elapsed)s]"
