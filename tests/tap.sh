# shellcheck shell=sh
# Sourced by the shell tests, which speak TAP: ok STATUS DESCRIPTION prints
# "ok N - DESCRIPTION" when STATUS is 0, else "not ok N - DESCRIPTION";
# tap_end prints the plan and exits 1 if any check failed. $tmp is a
# scratch folder, removed at exit.
n=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}
tap_end() {
  echo "1..$n"
  exit $failed
}
