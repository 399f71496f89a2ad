/* The 16-bit conversions of kernels/half.c against MPFR: every f16 and bf16
 * value round-trips through f32; f32 -> 16-bit and f64 -> 16-bit on a dense
 * sweep around every rounding boundary (each midpoint between neighbours,
 * and its neighbours in f32 and in f64, where rounding twice would go
 * wrong), the overflow threshold, subnormals and NaN. */
#include "normbench.h"
#include "tap.h"

#include <math.h>
#include <mpfr.h>
#include <string.h>

typedef struct { nb_dtype dt; const char *name; int p, emin, emax; } fmt;
static const fmt fmts[] = {{NB_F16, "f16", 11, -14, 16}, {NB_BF16, "bf16", 8, -126, 128}};

static float widen(const fmt *f, uint16_t h) { return f->dt == NB_F16 ? nb_f16_to_f32(h) : nb_bf16_to_f32(h); }

/* v rounded once into the format by MPFR, as a double */
static double ref_round(const fmt *f, double v) {
  mpfr_t t;
  mpfr_init2(t, f->p);
  mpfr_exp_t lo = mpfr_get_emin(), hi = mpfr_get_emax();
  mpfr_set_emin(f->emin - f->p + 2);
  mpfr_set_emax(f->emax);
  int inex = mpfr_set_d(t, v, MPFR_RNDN);
  inex = mpfr_check_range(t, inex, MPFR_RNDN);
  mpfr_subnormalize(t, inex, MPFR_RNDN);
  mpfr_set_emin(lo);
  mpfr_set_emax(hi);
  double r = mpfr_get_d(t, MPFR_RNDN);
  mpfr_clear(t);
  return r;
}

static int same(double a, double b) { return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b)); }

int main(void) {
  for (size_t k = 0; k < 2; k++) {
    const fmt *f = &fmts[k];
    size_t bad = 0, quiet = 0;
    for (uint32_t h = 0; h < 65536; h++) {
      float w = widen(f, (uint16_t)h);
      uint16_t back = f->dt == NB_F16 ? nb_f32_to_f16(w) : nb_f32_to_bf16(w);
      if (isnan(w)) {
        quiet += !isnan(widen(f, back));
        continue;
      }
      bad += back != h;
    }
    tap_ok(bad == 0 && quiet == 0, "%s: all 2^16 values round-trip through f32 (%zu differ, %zu NaN lost)",
           f->name, bad, quiet);

    size_t n = 0, bad32 = 0, bad64 = 0;
    double first32 = 0, first64 = 0;
    for (uint32_t h = 0; h < 0x7c00u + (f->dt == NB_BF16 ? 0x7f80u - 0x7c00u : 0); h++)
      for (int s = 0; s < 2; s++) {
        double a = widen(f, (uint16_t)h), b = widen(f, (uint16_t)(h + 1));
        double mid = (a + b) / 2; /* the rounding boundary, exact in double */
        if (s) mid = -mid;
        float m = (float)mid; /* exact too: p + 1 <= 24 bits */
        for (int j = -3; j <= 3; j++) {
          float x = m;
          for (int t = 0; t < (j < 0 ? -j : j); t++) x = nextafterf(x, j < 0 ? -INFINITY : INFINITY);
          double want = ref_round(f, x);
          uint16_t got = f->dt == NB_F16 ? nb_f32_to_f16(x) : nb_f32_to_bf16(x);
          if (!same(widen(f, got), want) && !bad32++) first32 = x;
          double y = mid;
          for (int t = 0; t < (j < 0 ? -j : j); t++) y = nextafter(y, j < 0 ? -INFINITY : INFINITY);
          want = ref_round(f, y);
          got = f->dt == NB_F16 ? nb_f64_to_f16(y) : nb_f64_to_bf16(y);
          if (!same(widen(f, got), want) && !bad64++) first64 = y;
          n++;
        }
      }
    tap_ok(bad32 == 0, "%s: f32 -> %s at every midpoint +-3 f32 ulps (%zu values, %zu differ, first %a)",
           f->name, f->name, n, bad32, first32);
    tap_ok(bad64 == 0, "%s: f64 -> %s at every midpoint +-3 f64 ulps, one rounding (%zu differ, first %a)",
           f->name, f->name, bad64, first64);
    float top = f->dt == NB_F16 ? 65520.0f : 0x1.ffp127f; /* midpoint of max and 2^emax */
    uint16_t up = f->dt == NB_F16 ? nb_f32_to_f16(top) : nb_f32_to_bf16(top);
    uint16_t down = f->dt == NB_F16 ? nb_f32_to_f16(nextafterf(top, 0)) : nb_f32_to_bf16(nextafterf(top, 0));
    tap_ok(isinf(widen(f, up)) && widen(f, down) == ref_round(f, nextafterf(top, 0)),
           "%s: the overflow threshold rounds to inf, just below it to the largest value", f->name);
    float nanv = nanf("0x155");
    uint16_t hn = f->dt == NB_F16 ? nb_f32_to_f16(nanv) : nb_f32_to_bf16(nanv);
    tap_ok(isnan(widen(f, hn)) && isnan(widen(f, f->dt == NB_F16 ? nb_f64_to_f16(-NAN) : nb_f64_to_bf16(-NAN))),
           "%s: NaN stays NaN", f->name);
  }
  return tap_done();
}
