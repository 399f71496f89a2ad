/* The 16-bit conversions of isa_neon.h, bit for bit against half.c (the
 * contract every kernel's loads and stores share): f16/bf16 loads of all
 * 65536 patterns, and f16/bf16 stores of every f32 upper half with
 * low halves at and around the rounding ties (both formats' normal and
 * subnormal ranges, NaN payloads, overflow). The BFCVTN store
 * (neonbf16 kernels) is checked the same way where HWCAP2_BF16 is set,
 * and reported as a TAP skip elsewhere. */
#include "isa_neon.h"

#include <stdio.h>
#include <string.h>

void neon_bfcvt_st4(uint16_t *p, const float *f);

static float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static int tap_n, failures;
static void tap(int ok, const char *what, uint32_t bad) {
  if (ok)
    printf("ok %d - %s\n", ++tap_n, what);
  else
    printf("not ok %d - %s: first mismatch at input 0x%08x\n", ++tap_n, what, bad);
  failures += !ok;
}

static uint64_t state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (uint32_t)(state >> 32);
}

/* Inputs for the stores: every upper half with low halves at and next to
 * the bf16 tie (0x8000), plus, for the exponents whose f16 results are
 * subnormal to overflowing, every 12-bit leading mantissa with the f16
 * normal tie (bit 12) and its neighbours; ties of f16 subnormals are
 * covered by the zero low bits. */
static size_t inputs(uint32_t *in) {
  static const uint32_t lo16[] = {0, 1, 0x7fff, 0x8000, 0x8001, 0xffff};
  static const uint32_t lo12[] = {0, 1, 0x7ff, 0x800, 0x801, 0xfff};
  size_t n = 0;
  for (uint32_t hi = 0; hi < 0x10000; hi++) {
    for (size_t j = 0; j < sizeof lo16 / sizeof lo16[0]; j++) in[n++] = hi << 16 | lo16[j];
    in[n++] = hi << 16 | (rnd() & 0xffff);
  }
  for (uint32_t s = 0; s < 2; s++)
    for (uint32_t e = 100; e <= 143; e++)
      for (uint32_t m = 0; m < 0x1000; m++) {
        for (size_t j = 0; j < sizeof lo12 / sizeof lo12[0]; j++) in[n++] = s << 31 | e << 23 | m << 11 | lo12[j];
        in[n++] = s << 31 | e << 23 | m << 11 | (rnd() & 0x7ff);
      }
  return n;
}

enum { NIN = 0x10000 * 7 + 2 * 44 * 0x1000 * 7 };
static uint32_t in[NIN];

typedef void store_fn(uint16_t *p, const float *f);
static void st_bf16(uint16_t *p, const float *f) { vf_st_bf16(p, vf_ld_f32(f)); }
static void st_f16(uint16_t *p, const float *f) { vf_st_f16(p, vf_ld_f32(f)); }

static void check_store(const char *what, store_fn *st, uint16_t (*want)(float), size_t n) {
  for (size_t i = 0; i < n; i += 4) {
    float f[4];
    uint16_t got[4];
    for (int l = 0; l < 4; l++) f[l] = bits_f32(in[i + l]);
    st(got, f);
    for (int l = 0; l < 4; l++)
      if (got[l] != want(f[l])) {
        tap(0, what, in[i + l]);
        return;
      }
  }
  tap(1, what, 0);
}

static void check_load(const char *what, int bf16) {
  for (uint32_t h = 0; h < 0x10000; h += 4) {
    uint16_t p[4] = {(uint16_t)h, (uint16_t)(h + 1), (uint16_t)(h + 2), (uint16_t)(h + 3)};
    float got[4];
    vf_st_f32(got, bf16 ? vf_ld_bf16(p) : vf_ld_f16(p));
    for (int l = 0; l < 4; l++) {
      float want = bf16 ? nb_bf16_to_f32(p[l]) : nb_f16_to_f32(p[l]);
      if (f32_bits(got[l]) != f32_bits(want)) {
        tap(0, what, p[l]);
        return;
      }
    }
  }
  tap(1, what, 0);
}

int main(void) {
  size_t n = inputs(in);
  printf("TAP version 13\n1..5\n");
  check_load("f16 load (FCVTL) = nb_f16_to_f32 on all 65536 patterns", 0);
  check_load("bf16 load (shift) = nb_bf16_to_f32 on all 65536 patterns", 1);
  check_store("f16 store (FCVTN) = nb_f32_to_f16 at every f16 tie", st_f16, nb_f32_to_f16, n);
  check_store("bf16 store (integer RNE) = nb_f32_to_bf16 at every bf16 tie", st_bf16, nb_f32_to_bf16, n);
  if (nb_cpu_features() & NB_CPU_ARM_BF16)
    check_store("bf16 store (BFCVTN) = nb_f32_to_bf16 at every bf16 tie", neon_bfcvt_st4, nb_f32_to_bf16, n);
  else
    printf("ok %d - bf16 store (BFCVTN) # SKIP this CPU has no BF16 extension\n", ++tap_n);
  return failures != 0;
}
