#!/usr/bin/env bash
# The test command: installs what is missing, then runs the whole suite in
#   build-test     gcc, release, warnings as errors
#   build-asan     clang, AddressSanitizer + UndefinedBehaviorSanitizer,
#                  warnings as errors (also builds the libFuzzer smoke runs)
#   valgrind       memcheck over a subset of build-test (API misuse, 16-bit
#                  conversions, the saved worst rows, SIMD rounding)
#   build-tsan     clang, ThreadSanitizer: first calls into the library from
#                  many threads at once (only that test is built)
#   build-aarch64  the cross build, run under qemu-aarch64 twice: a CPU with
#                  every extension (max) and one with none (cortex-a57)
# and ends with one line "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh all || exit 1

passed=0 failed=0 skipped=0 broken=()
# meson test's summary: Ok/Expected Fail pass; Fail/Unexpected Pass/Timeout fail
count() {
  local log=$1 name=$2 ok fail skip
  ok=$(awk '/^Ok:/{a=$2} /^Expected Fail:/{a+=$3} END{print a+0}' "$log")
  fail=$(awk '/^Fail:/{a=$2} /^Unexpected Pass:/{a+=$3} /^Timeout:/{a+=$2} END{print a+0}' "$log")
  skip=$(awk '/^Skipped:/{a=$2} END{print a+0}' "$log")
  passed=$((passed + ok)) failed=$((failed + fail)) skipped=$((skipped + skip))
  echo "== $name: $ok passed, $fail failed, $skip skipped"
}

# suite NAME BUILDDIR [meson setup options...] -- [meson test options...]
suite() {
  local name=$1 dir=$2; shift 2
  local setup=() test=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do setup+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  test=("$@")
  echo "== $name ($dir)"
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "${setup[@]}" >"/tmp/normbench-setup-$name.log" 2>&1 ||
      { cat "/tmp/normbench-setup-$name.log"; broken+=("$name: meson setup"); return; }
  fi
  # shellcheck disable=SC2086 # TARGETS: a list of ninja targets, or all
  ninja -C "$dir" ${TARGETS:-} >"/tmp/normbench-build-$name.log" 2>&1 ||
    { tail -40 "/tmp/normbench-build-$name.log"; broken+=("$name: build"); return; }
  local log=/tmp/normbench-test-$name.log
  meson test -C "$dir" --print-errorlogs "${test[@]}" 2>&1 | tee "$log" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout):'
  count "$log" "$name"
  grep -q '^Ok:' "$log" || broken+=("$name: meson test did not run")
}

suite native build-test --buildtype=release -Dwerror=true
# without the PyTorch peers: libtorch does not load under memcheck (tests/tap.h)
NORMBENCH_TEST_SKIP=torch suite valgrind build-test -- --wrapper 'valgrind --error-exitcode=1 -q' \
  api half worst-rows isa_round
# UBSan reports must fail the test, not scroll by
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
CC=clang CXX=clang++ suite sanitize build-asan --buildtype=debugoptimized -Dwerror=true \
  -Db_sanitize=address,undefined -Db_lundef=false
CC=clang TARGETS=tests/test_threads suite tsan build-tsan --buildtype=debugoptimized -Dwerror=true \
  -Db_sanitize=thread -Db_lundef=false -- --no-rebuild --suite threads
# timings under emulation mean nothing; correctness does
QEMU_CPU=max suite aarch64-max build-aarch64 --cross-file cross/aarch64-linux-gnu.ini -Dwerror=true
QEMU_CPU=cortex-a57 suite aarch64-a57 build-aarch64 --cross-file cross/aarch64-linux-gnu.ini

for b in "${broken[@]}"; do echo "BROKEN: $b"; failed=$((failed + 1)); done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
