#!/usr/bin/env bash
# The short, stable id of this machine that names its results folder:
# the CPU model and its last (highest) detected feature, lowercased, every
# run of other characters turned into one '-', then the first 6 hex digits
# of the CRC (cksum) of the whole feature list, so two machines that differ
# only in a lesser feature still get two folders. Read from `normbench cpu`.
# Example: amd-epyc-avx512bf16-1c2e3f.   Usage: scripts/machine-id.sh NORMBENCH
set -euo pipefail
cpu=$("$1" cpu)
model=$(sed -n 's/^model: *//p' <<<"$cpu")
features=$(sed -n 's/^features: *//p' <<<"$cpu")
crc=$(printf '%s' "$features" | cksum | awk '{ printf "%08x", $1 }')
printf '%s-%s-%s\n' "$model" "${features##* }" "${crc:0:6}" |
  tr 'A-Z' 'a-z' | sed -e 's/[^a-z0-9]\{1,\}/-/g' -e 's/^-//' -e 's/-$//' -e 's/--*/-/g'
