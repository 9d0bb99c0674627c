#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every ctest test, then the core
# tests again under AddressSanitizer + UBSan. Exit code non-zero if anything fails.
#
#   bash tools/test.sh            the suite (what .ci/run calls)
#   bash tools/test.sh --stress   builds, then runs the GUI and app tests (ctest -L 'gui|app') 5 times
#                                 in a row, stopping at the first failure, while a busy loop keeps
#                                 one core occupied: a test that waits for the wrong condition
#                                 shows up here (STRESS_REPEAT=N changes the count)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="suite"
case "${1:-}" in
  "") ;;
  --stress) mode="stress" ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) echo "tools/test.sh: unknown option '$1' (expected nothing or --stress)" >&2; exit 2 ;;
esac
# ccache hits across clones in different folders (CI builds a fresh clone elsewhere).
export CCACHE_BASEDIR="$PWD"
bash tools/deps.sh
# llama.cpp for the parity tests (npm: node-llama-cpp, prebuilt CPU backend) into build/llamacpp.
# Without Node.js >= 20 and npm this says so and the parity tests fail, naming what to install.
bash tools/deps-llamacpp.sh build/llamacpp || echo "deps-llamacpp: not installed; the parity.llamacpp.* tests will fail"
jobs="$(nproc)"
# Line tables only (-g1): backtraces and sanitizer reports keep file:line, and each LibTorch
# translation unit compiles in about half the CPU time of full -g (ATen's types in DWARF).
debug_info="-g1"

echo "== build (RelWithDebInfo) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 $debug_info -DNDEBUG" >/dev/null
cmake --build build -j "$jobs"

if [ "$mode" = "stress" ]; then
  repeat="${STRESS_REPEAT:-5}"
  echo "== GUI and app tests, $repeat times in a row, one core kept busy =="
  # A plain shell loop: one process that never sleeps, so the tests get at most the other core.
  ( while :; do :; done ) &
  busy_pid=$!
  trap 'kill "$busy_pid" 2>/dev/null || true' EXIT
  (cd build && QT_QPA_PLATFORM=offscreen ctest -L 'gui|app' --output-on-failure --repeat until-fail:"$repeat" \
     --timeout 900)
  echo "stress: the GUI and app tests passed $repeat times in a row with one core busy"
  exit 0
fi

echo "== tests =="
(cd build && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j "$jobs" --timeout 900)

echo "== core tests under AddressSanitizer + UBSan =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="$debug_info" \
  -DTEMPO_SANITIZE=ON -DTEMPO_WITH_QT=OFF -DTEMPO_BUILD_BENCH=OFF >/dev/null
# Only what runs below: the test_core_* executables (and the CLI they call), not the tools,
# trainers and other test programs, which would be compiled a second time for nothing.
asan_targets="$(cmake --build build-asan --target help | grep -o 'test_core_[A-Za-z0-9_]*' | sort -u)"
# shellcheck disable=SC2086 # one word per target
cmake --build build-asan -j "$jobs" --target $asan_targets
# LibTorch itself is not instrumented: container-overflow reports across that boundary are
# false positives, and its global allocations are not ours to leak-check.
export ASAN_OPTIONS=detect_container_overflow=0:detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One process per test executable (not per test as ctest does): loading LibTorch under ASan costs
# seconds, and paying it ~250 times would dominate CI time.
status=0
for test_binary in build-asan/tests/test_core_*; do
  [ -x "$test_binary" ] || continue
  echo "-- $(basename "$test_binary") (ASan + UBSan)"
  "$test_binary" --gtest_brief=1 || status=1
done
if [ "$status" -ne 0 ]; then
  echo "core tests under AddressSanitizer + UBSan: FAILED"
  exit 1
fi
echo "core tests under AddressSanitizer + UBSan: all passed"
