#!/usr/bin/env bash
# Tables and figures of a results folder: `normbench report --tables`, then
# each plots/<figure>.gp rendered to RESULTS_DIR/plots/<name>.svg and .png.
# Usage: scripts/bench-render.sh NORMBENCH RESULTS_DIR SRCDIR
# gnuplot's stderr is kept; any message on it (a warning included) fails the
# render, since a warning there means a figure that does not show what it says.
set -euo pipefail
nb=$(realpath "$1") dir=$(cd "$2" && pwd) src=$3
"$nb" report --tables "$dir"
mkdir -p "$dir/plots"
cd "$src"

# render NAME SIZE SCRIPT [VAR=VALUE ...]: both formats of one figure
render() {
  local name=$1 size=$2 script=$3 vars="" fmt; shift 3
  for a in "$@"; do vars+="; ${a%%=*}='${a#*=}'"; done
  for fmt in svg png; do
    local rc=0
    gnuplot -e "fmt='$fmt'; size='$size'; tables='$dir/tables'; out='$dir/plots/$name.$fmt'$vars" \
      "plots/$script.gp" 2>"$dir/plots/$name.$fmt.log" || rc=$?
    if [ $rc != 0 ] || [ -s "$dir/plots/$name.$fmt.log" ]; then
      echo "bench: error: gnuplot plots/$script.gp ($name.$fmt):" >&2
      cat "$dir/plots/$name.$fmt.log" >&2
      exit 1
    fi
    rm "$dir/plots/$name.$fmt.log"
  done
  echo "  plots/$name.{svg,png}" >&2
}

# per op: its title, the bytes its GB/s count, the unit of its errors
label() {
  case $1 in
    rmsnorm) echo RMSNorm ;; layernorm) echo LayerNorm ;; addrmsnorm) echo "AddRMSNorm (r = x + residual)" ;;
    rmsnorm1p) echo "RMSNorm1p (gain 1 + w)" ;; rmsnorm_i8) echo "RMSNorm into int8" ;;
    rmsnorm_e4m3) echo "RMSNorm into fp8 e4m3" ;;
  esac
}
bytes() {
  case $1 in
    addrmsnorm) echo "x, residual read + r, y written" ;; rmsnorm_i8) echo "x read + 1-byte y, scales written" ;;
    rmsnorm_e4m3) echo "x read + 1-byte y written" ;; *) echo "x read + y written" ;;
  esac
}
unit() {
  case $1 in
    rmsnorm_i8) echo "int8 quantization steps" ;; rmsnorm_e4m3) echo "ulps of e4m3" ;; *) echo "ulps of the output format" ;;
  esac
}
# RMSNorm and LayerNorm always; the ops engines ship where the run has them
for op in rmsnorm layernorm addrmsnorm rmsnorm1p rmsnorm_i8 rmsnorm_e4m3; do
  for dt in f32 f16 bf16; do
    if [ $op = rmsnorm ] || [ $op = layernorm ] || [ -f "$dir/tables/tput_${op}_$dt.gp" ]; then
      render "throughput_${op}_$dt" 1200,560 throughput op="$(label $op)" dt=$dt tag=${op}_$dt bytes="$(bytes $op)"
    fi
    if [ $op = rmsnorm ] || [ $op = layernorm ] || [ -f "$dir/tables/err_${op}_$dt.gp" ]; then
      render "error_${op}_$dt" 1200,700 error_d op="$(label $op)" dt=$dt tag=${op}_$dt unit="$(unit $op)"
    fi
  done
done
render pareto 1200,760 pareto
render shift 1200,520 shift
render hist 1200,760 hist
render ratio 1100,480 ratio
