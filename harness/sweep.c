#include "sweep.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* Shortest text that reads back as the same double. */
static void num(FILE *f, double v) {
  if (isnan(v))
    fputs(",nan", f);
  else
    fprintf(f, ",%.17g", v);
}

void nb_acc_csv_row(FILE *f, const nb_kernel *k, const nb_cell *c, const nb_metrics *m) {
  fprintf(f, "%s,%s,%s,%s,%s,%zu,%s,%.9g,%zu,%zu", k->name, nb_op_name(k->op), nb_dtype_name(k->dtype),
          nb_algo_name(k->algo), k->isa, c->d, c->dist ? c->dist->name : "input", (double)c->eps, c->rows,
          m->n);
  num(f, m->max_err);
  num(f, m->n ? m->sum_err / (double)m->n : NAN);
  num(f, m->max_comp);
  num(f, m->n ? (double)m->n_cr / (double)m->n : NAN);
  fprintf(f, ",%zu,%zu", m->worst_row, m->worst_idx);
  num(f, m->worst_kappa);
  num(f, m->max_kappa);
  fprintf(f, ",%zu", m->rows_checked);
  num(f, m->max_checked);
  if (isnan(m->bound))
    fputc(',', f);
  else
    num(f, m->bound);
  fprintf(f, ",%zu", m->breaches);
  for (int j = 0; j < NB_HIST; j++) fprintf(f, ",%zu", m->hist[j]);
  fprintf(f, ",%s,%zu\n", k->op == NB_RMSNORM_I8 ? "step" : k->op == NB_RMSNORM_E4M3 ? "e4m3_ulp" : "ulp",
          m->n - m->n_cr);
}

typedef struct {
  const nb_cell *cells;
  size_t ncells, nk, next, done, failed;
  const nb_kernel *const *ks;
  size_t *order;
  nb_metrics *out;
  nb_sweep_progress *progress;
  void *ctx;
  int rc;
  pthread_mutex_t lock;
} pool;

static int run_cell(pool *p, size_t i) {
  const nb_cell *c = &p->cells[i];
  nb_case cs;
  int made = c->dist ? nb_case_make(&cs, c->op, c->dt, c->dist, c->seed, c->rows, c->d, c->eps)
                     : nb_case_from_data(&cs, c->op, c->dt, c->rows, c->d, c->eps, c->x, c->g, c->b);
  if (made) return -1;
  int rc = 0;
  for (size_t j = 0; j < p->nk && !rc; j++) {
    const nb_kernel *k = p->ks[j];
    if (k->op == c->op && k->dtype == c->dt) rc = nb_case_run(&cs, k, &p->out[i * p->nk + j]);
  }
  nb_case_free(&cs);
  return rc;
}

static void *worker(void *arg) {
  pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    size_t at = p->rc ? p->ncells : p->next++;
    pthread_mutex_unlock(&p->lock);
    if (at >= p->ncells) return NULL;
    size_t i = p->order[at];
    int rc = run_cell(p, i);
    pthread_mutex_lock(&p->lock);
    if (rc && !p->rc) {
      p->rc = -1;
      p->failed = i;
    }
    p->done++;
    if (p->progress) p->progress(p->done, p->ncells, p->ctx);
    pthread_mutex_unlock(&p->lock);
  }
}

static const nb_cell *sort_cells;
static int bigger_first(const void *a, const void *b) {
  const nb_cell *x = &sort_cells[*(const size_t *)a], *y = &sort_cells[*(const size_t *)b];
  size_t nx = x->rows * x->d, ny = y->rows * y->d;
  if (nx != ny) return nx < ny ? 1 : -1;
  return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int nb_sweep_run(const nb_cell *cells, size_t ncells, const nb_kernel *const *ks, size_t nk,
                 unsigned jobs, nb_metrics *out, nb_sweep_progress *progress, void *ctx,
                 size_t *failed) {
  pool p = {.cells = cells, .ncells = ncells, .nk = nk, .ks = ks, .out = out, .progress = progress,
            .ctx = ctx};
  for (size_t i = 0; i < ncells * nk; i++) nb_metrics_init(&out[i]);
  p.order = malloc((ncells + 1) * sizeof *p.order);
  if (!p.order) return -1;
  for (size_t i = 0; i < ncells; i++) p.order[i] = i;
  sort_cells = cells;
  qsort(p.order, ncells, sizeof *p.order, bigger_first);
  pthread_mutex_init(&p.lock, NULL);
  if (jobs < 1) jobs = 1;
  pthread_t *t = malloc(jobs * sizeof *t);
  unsigned started = 0;
  for (; t && started < jobs; started++)
    if (pthread_create(&t[started], NULL, worker, &p)) break;
  if (started == 0) worker(&p);
  for (unsigned i = 0; i < started; i++) pthread_join(t[i], NULL);
  free(t);
  pthread_mutex_destroy(&p.lock);
  free(p.order);
  if (p.rc && failed) *failed = p.failed;
  return p.rc;
}
