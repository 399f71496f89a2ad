#!/bin/sh
# Under qemu-aarch64, `normbench cpu` must report what the emulated CPU
# model has (QEMU_CPU=max: FP16, BF16, SVE; cortex-a57: none of them), and
# kernels needing a missing extension must say they cannot run here.
#   cpu_features.sh NORMBENCH   (TAP; meson passes its exe wrapper in
#   MESON_EXE_WRAPPER)
run() { $MESON_EXE_WRAPPER "$@"; }
exe=$1
case "${QEMU_CPU:-max}" in
  max) want="neon asimdhp bf16 sve" ;;
  cortex-a57) want="neon" ;;
  *) echo "1..0 # SKIP no expectation for QEMU_CPU=$QEMU_CPU"; exit 0 ;;
esac
feat=$(run "$exe" cpu | sed -n 's/^features: *//p')
n=1
if [ "$feat" = "$want" ]; then echo "ok $n - QEMU_CPU=${QEMU_CPU:-max}: features '$feat'"
else echo "not ok $n - QEMU_CPU=${QEMU_CPU:-max}: features '$feat', want '$want'"; fi
n=2
notrun=$(run "$exe" list --csv - | awk -F, 'NR > 1 && $6 == 0' | wc -l)
needs_ext=$(run "$exe" list --csv - | awk -F, 'NR > 1 && $5 == "neonbf16"' | wc -l)
if [ "$want" = neon ]; then expect=$needs_ext; else expect=0; fi
if [ "$notrun" -eq "$expect" ]; then echo "ok $n - $notrun kernels not runnable here (expected $expect)"
else echo "not ok $n - $notrun kernels not runnable here, expected $expect"; fi
echo "1..2"
