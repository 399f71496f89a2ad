/* Each SIMD ISA's vectorized rounding of doubles into f16/bf16
 * (vd_round_fmt) against the scalar nb_round_f64_to_fmt, bit for bit: every
 * finite 16-bit value, every midpoint between neighbours and the doubles
 * next to it, the boundaries (smallest subnormal, smallest normal, largest
 * finite, overflow midpoint), zeros, infinities, NaNs, double subnormals,
 * and random doubles over the whole exponent range. TAP output. */
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *vals;
static size_t nvals, cap;

static void add(double v) {
  if (nvals == cap) {
    cap = cap ? 2 * cap : 1 << 16;
    vals = realloc(vals, cap * sizeof *vals);
    if (!vals) abort();
  }
  vals[nvals++] = v;
}

static void add_near(double v) {
  add(v);
  add(-v);
  add(nextafter(v, 0));
  add(-nextafter(v, 0));
  add(nextafter(v, INFINITY));
  add(-nextafter(v, INFINITY));
}

static double decode(nb_dtype dt, unsigned h) {
  return dt == NB_F16 ? nb_f16_to_f32((uint16_t)h) : nb_bf16_to_f32((uint16_t)h);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1du;
}

/* The inputs for one format. */
static void build(nb_dtype dt) {
  nvals = 0;
  unsigned inf = dt == NB_F16 ? 0x7c00 : 0x7f80;
  for (unsigned h = 0; h < inf; h++) {
    double v = decode(dt, h);
    double up = h + 1 < inf ? decode(dt, h + 1) : 2 * v - decode(dt, h - 1);
    add_near(v);
    add_near(v + (up - v) / 2); /* the midpoint, exact in double */
  }
  add(INFINITY);
  add(-INFINITY);
  add(NAN);
  add(-NAN);
  add(DBL_MAX);
  add(DBL_TRUE_MIN);
  add(DBL_MIN);
  add(1e300);
  for (int i = 0; i < 200000; i++) {
    uint64_t u = next();
    double v;
    memcpy(&v, &u, sizeof v);
    add(v); /* any double: NaN payloads, huge, double subnormals */
    /* and uniformly random significands over the format's exponent range */
    add(ldexp(1.0 + (double)(next() >> 11) * 0x1p-53, (int)(next() % 200) - 160));
  }
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

int main(void) {
  int t = 0, failed = 0;
  size_t n = nb_isa_round_count();
  printf("1..%zu\n", 2 * n);
  for (size_t i = 0; i < n; i++) {
    const nb_isa_round *isa = nb_isa_round_at(i);
    for (int f = 0; f < 2; f++) {
      nb_dtype dt = f ? NB_BF16 : NB_F16;
      t++;
      if ((nb_cpu_features() & isa->needs) != isa->needs) {
        printf("ok %d - %s %s # SKIP this CPU lacks the ISA\n", t, isa->isa, nb_dtype_name(dt));
        continue;
      }
      build(dt);
      double *out = malloc(nvals * sizeof *out);
      if (!out) abort();
      isa->fn(dt, vals, out, nvals);
      size_t bad = 0, first = 0;
      for (size_t k = 0; k < nvals; k++)
        if (!same_bits(out[k], nb_round_f64_to_fmt(vals[k], dt)) && bad++ == 0) first = k;
      if (bad) {
        printf("not ok %d - %s %s: %zu of %zu differ\n", t, isa->isa, nb_dtype_name(dt), bad,
               nvals);
        printf("# first: %a -> %a, scalar %a\n", vals[first], out[first],
               nb_round_f64_to_fmt(vals[first], dt));
        failed = 1;
      } else {
        printf("ok %d - %s %s: %zu values bit-identical\n", t, isa->isa, nb_dtype_name(dt), nvals);
      }
      free(out);
    }
  }
  free(vals);
  return failed;
}
