/* Minimal TAP producer for meson's `protocol : 'tap'`. */
#ifndef NB_TAP_H
#define NB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

__attribute__((format(printf, 2, 3), unused)) static int tap_ok(int cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s %d - ", cond ? "ok" : "not ok", ++tap_count);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  if (!cond) tap_failed++;
  return cond;
}

/* A diagnostic line (shown by meson on failure). */
__attribute__((format(printf, 1, 2), unused)) static void tap_diag(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("# ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

/* Under an emulator (cross builds set NORMBENCH_EMULATED=1) tests use
 * their smaller parameter sets. */
__attribute__((unused)) static int tap_emulated(void) {
  const char *e = getenv("NORMBENCH_EMULATED");
  return e && strcmp(e, "1") == 0;
}

/* NORMBENCH_TEST_SKIP=isa,...: kernels of these ISAs are skipped. The
 * valgrind run skips the PyTorch peers: loading libtorch dies there
 * (SIGILL in libhwy's initializer, an instruction memcheck does not
 * emulate), and memcheck is for our code, not a peer library's. */
__attribute__((unused)) static int tap_skip_isa(const char *isa) {
  const char *e = getenv("NORMBENCH_TEST_SKIP");
  size_t n = strlen(isa);
  for (const char *p = e; p && (p = strstr(p, isa)) != NULL; p += n)
    if ((p == e || p[-1] == ',') && (p[n] == ',' || p[n] == 0)) return 1;
  return 0;
}

/* One check's first failure: tap_fail records it (later ones are
 * dropped), tap_check prints the check's line, "<name> <what>", with the
 * failure as a diagnostic, and clears it for the next check. */
static char tap_why[300];

__attribute__((format(printf, 1, 2), unused)) static void tap_fail(const char *fmt, ...) {
  if (tap_why[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tap_why, sizeof tap_why, fmt, ap);
  va_end(ap);
}

__attribute__((unused)) static int tap_check(const char *name, const char *what) {
  int ok = tap_ok(!tap_why[0], "%s %s", name, what);
  if (!ok) tap_diag("%s", tap_why);
  tap_why[0] = 0;
  return ok;
}

__attribute__((unused)) static int tap_done(void) {
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

#endif
