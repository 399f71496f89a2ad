#!/bin/sh
# TAP: a short libFuzzer run over a copy of the seed corpus (new inputs go to
# the copy, never into the source tree); passes only if nothing crashes.
# usage: smoke.sh FUZZER SEED_DIR WORK_DIR RUNS
fuzzer=$1 seeds=$2 work=$3 runs=$4
rm -rf "$work" && mkdir -p "$work/corpus" && cp "$seeds"/* "$work/corpus/" || exit 1
echo 1..1
if "$fuzzer" -runs="$runs" -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1; then
  echo "ok 1 - $(basename "$fuzzer"): $runs runs from $(ls "$seeds" | wc -l) seeds, no crash"
else
  tail -n 40 "$work/log" | sed 's/^/# /'
  echo "not ok 1 - $(basename "$fuzzer") failed; reproducer and log in $work"
  exit 1
fi
