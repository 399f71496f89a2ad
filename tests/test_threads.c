/* First calls from many threads at once, for ThreadSanitizer (scripts/test.sh
 * builds this under -fsanitize=thread): every thread's first call into the
 * library is the process's first too, so the one-time initializations (the
 * platform's facts, the dispatcher's choice, the wisdom environment, the
 * clock) race unless they are properly once. Each thread also checks that
 * it got the same answer as every other. TAP. */
#include "bench.h"
#include "normbench.h"
#include "platform.h"
#include "timer.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum { THREADS = 8, D = 96 };

static pthread_barrier_t start;

typedef struct {
  uint32_t features;
  const char *model, *id, *rms, *ln;
  const nb_clock *clock;
  float y[D];
  int rc;
} seen;

static void *first_call(void *arg) {
  seen *s = arg;
  float x[D], g[D], b[D];
  for (int i = 0; i < D; i++) x[i] = (float)(i % 7) - 3.0f, g[i] = 1.0f + (float)i / D, b[i] = 0.5f;
  pthread_barrier_wait(&start);
  s->rc = nb_layernorm_f32(x, g, b, s->y, 1, D, D, D, 1e-5f);
  s->rc |= nb_rmsnorm_f32(x, g, s->y, 1, D, D, D, 1e-5f);
  s->features = nb_cpu_features();
  s->model = nb_cpu_model();
  s->id = nb_platform_get()->id;
  s->rms = nb_choose(NB_RMSNORM, NB_F32, D, NULL)->name;
  s->ln = nb_choose(NB_LAYERNORM, NB_F32, D, NULL)->name;
  s->clock = nb_clock_init();
  return NULL;
}

int main(void) {
  pthread_t t[THREADS];
  seen s[THREADS];
  memset(s, 0, sizeof s);
  pthread_barrier_init(&start, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, first_call, &s[i]);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  int n = 0, fail = 0, same = 1, ok_rc = 1;
  for (int i = 0; i < THREADS; i++) {
    ok_rc &= s[i].rc == NB_OK;
    same &= s[i].features == s[0].features && !strcmp(s[i].model, s[0].model) && !strcmp(s[i].id, s[0].id) &&
            !strcmp(s[i].rms, s[0].rms) && !strcmp(s[i].ln, s[0].ln) && s[i].clock == s[0].clock &&
            s[i].clock->ns_per_tick == s[0].clock->ns_per_tick && !memcmp(s[i].y, s[0].y, sizeof s[0].y);
  }
  printf("%sok %d - %d threads' first calls all return NB_OK\n", ok_rc ? "" : "not ", ++n, THREADS), fail |= !ok_rc;
  printf("%sok %d - every thread saw the same features, model, id, kernels (%s, %s), clock and outputs\n",
         same ? "" : "not ", ++n, s[0].rms, s[0].ln),
      fail |= !same;
  printf("1..%d\n", n);
  return fail;
}
