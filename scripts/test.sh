#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds (Release, then ASan+UBSan),
# runs every test, then a short fuzzing pass. Usage: scripts/test.sh
# Environment: JOBS (default 2), SKIP_ASAN=1, SKIP_FUZZ=1, FUZZ_SECONDS (default 20 per target).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="${JOBS:-2}"

bash scripts/setup.sh

echo "== Release build"
cmake --preset release >/dev/null
cmake --build build/release -j"$jobs"
echo "== Release: all tests (unit, integration, conformance, examples, e2e)"
ctest --test-dir build/release --output-on-failure -j"$jobs"

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  echo "== ASan+UBSan build"
  cmake --preset asan >/dev/null
  cmake --build build/asan -j"$jobs"
  echo "== ASan+UBSan: unit and integration tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j"$jobs" -L 'unit|integration'
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  echo "== Fuzz (libFuzzer, ${FUZZ_SECONDS:-20}s per target)"
  cmake --preset fuzz >/dev/null
  cmake --build build/fuzz -j"$jobs" --target fuzz_all
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
fi
echo "== all tests passed"
