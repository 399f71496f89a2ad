#include "accuracy.h"

#include "engine.h"
#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double nb_hist_lo(int bin) { return bin == 0 ? 0 : ldexp(0.5, bin - 1); }

static int hist_bin(double e) {
  if (!(e < INFINITY)) return NB_HIST - 1;
  int bin = 0;
  while (bin < NB_HIST - 1 && e >= nb_hist_lo(bin + 1)) bin++;
  return bin;
}

void nb_case_free(nb_case *c) {
  free(c->x);
  free(c->g);
  free(c->b);
  free(c->v);
  free(c->cr);
  free(c->kappa);
  free(c->res);
  free(c->r);
  memset(c, 0, sizeof *c);
}

static int alloc_case(nb_case *c, nb_op op, nb_dtype dt, size_t rows, size_t d, float eps) {
  memset(c, 0, sizeof *c);
  *c = (nb_case){.op = op, .dt = dt, .rows = rows, .d = d, .eps = eps};
  if (d == 0 || rows == 0 || rows > SIZE_MAX / d / sizeof(double)) return -1;
  c->x = malloc(rows * d * sizeof *c->x);
  c->g = malloc(d * sizeof *c->g);
  c->b = op == NB_LAYERNORM ? malloc(d * sizeof *c->b) : NULL;
  c->v = malloc(rows * d * sizeof *c->v);
  c->cr = malloc(rows * d * sizeof *c->cr);
  c->kappa = calloc(rows, sizeof *c->kappa);
  if (!c->x || !c->g || (op == NB_LAYERNORM && !c->b) || !c->v || !c->cr || !c->kappa) {
    nb_case_free(c);
    return -1;
  }
  return 0;
}

/* Reference and conditioning of every row. */
static int finish_case(nb_case *c) {
  size_t d = c->d;
  double *xd = malloc(d * sizeof *xd), *gd = malloc(d * sizeof *gd), *bd = malloc(d * sizeof *bd);
  int rc = xd && gd && bd ? 0 : -1;
  for (size_t i = 0; !rc && i < d; i++) {
    gd[i] = c->g[i];
    bd[i] = c->b ? c->b[i] : 0;
  }
  for (size_t r = 0; !rc && r < c->rows; r++) {
    const float *x = c->x + r * d;
    if (c->res) /* AddRMSNorm's r, which the kernel must return exactly */
      for (size_t i = 0; i < d; i++) c->r[r * d + i] = (float)nb_ref_add(x[i], c->res[r * d + i], c->dt);
    long double s = 0, s2 = 0, sa = 0;
    for (size_t i = 0; i < d; i++) {
      xd[i] = x[i];
      s += x[i];
      sa += fabsl((long double)x[i]);
    }
    long double mu = s / d;
    for (size_t i = 0; i < d; i++) s2 += (x[i] - mu) * (x[i] - mu);
    if (c->op == NB_LAYERNORM) c->kappa[r] = (double)(sa / d / sqrtl(s2 / d + c->eps));
    if (c->res)
      for (size_t i = 0; i < d; i++) bd[i] = c->res[r * d + i];
    const double *bp = c->b || c->res ? bd : NULL; /* LayerNorm's b, or AddRMSNorm's residual row */
    if (!nb_op_quantized(c->op)) {
      rc = nb_ref_row(c->op, c->dt, xd, gd, bp, d, c->eps, c->v + r * d, c->cr + r * d);
      continue;
    }
    /* the quantized ops: v and cr in the units their metrics use, int8
     * steps (v = y / s exact, cr its nearest-even integer) or e4m3 values
     * (v the exact y, cr its saturating e4m3 rounding) */
    double *v = c->v + r * d, *cr = c->cr + r * d;
    rc = nb_ref_row(NB_RMSNORM, NB_F32, xd, gd, NULL, d, c->eps, v, cr);
    if (c->op == NB_RMSNORM_I8)
      nb_ref_i8_row(v, d, v, cr);
    else
      for (size_t i = 0; i < d; i++) cr[i] = nb_e4m3_to_f32(nb_f64_to_e4m3(v[i]));
  }
  free(xd);
  free(gd);
  free(bd);
  return rc;
}

/* AddRMSNorm's residual rows and r (finish_case fills r); -1, the case
 * freed, if memory ran out or the op has no residual */
static int alloc_res(nb_case *c) {
  c->res = malloc(c->rows * c->d * sizeof *c->res);
  c->r = malloc(c->rows * c->d * sizeof *c->r);
  if (c->op == NB_ADDRMSNORM && c->res && c->r) return 0;
  nb_case_free(c);
  return -1;
}

int nb_case_make(nb_case *c, nb_op op, nb_dtype dt, const nb_dist *dist, uint64_t seed,
                 size_t rows, size_t d, float eps) {
  if (alloc_case(c, op, dt, rows, d, eps)) return -1;
  for (size_t r = 0; r < rows; r++) nb_gen_row(dist, dt, seed, r, d, c->x + r * d);
  if (op == NB_ADDRMSNORM) { /* a residual from the same distribution: r = x + res */
    if (alloc_res(c)) return -1;
    for (size_t r = 0; r < rows; r++) nb_gen_row(dist, dt, ~seed, r, d, c->res + r * d);
  }
  nb_gen_params_for(dist, dt, seed, d, c->g, c->b);
  if (finish_case(c)) {
    nb_case_free(c);
    return -1;
  }
  return 0;
}

int nb_case_from_data(nb_case *c, nb_op op, nb_dtype dt, size_t rows, size_t d, float eps,
                      const float *x, const float *g, const float *b) {
  return nb_case_from_data_res(c, op, dt, rows, d, eps, x, g, b, NULL);
}

int nb_case_from_data_res(nb_case *c, nb_op op, nb_dtype dt, size_t rows, size_t d, float eps,
                          const float *x, const float *g, const float *b, const float *res) {
  if (alloc_case(c, op, dt, rows, d, eps) || (res && alloc_res(c))) return -1;
  for (size_t i = 0; i < rows * d; i++) c->x[i] = nb_to_dtype(x[i], dt);
  for (size_t i = 0; res && i < rows * d; i++) c->res[i] = nb_to_dtype(res[i], dt);
  for (size_t i = 0; i < d; i++) {
    c->g[i] = nb_to_dtype(g[i], dt);
    if (c->b) c->b[i] = b ? nb_to_dtype(b[i], dt) : 0;
  }
  if (finish_case(c)) {
    nb_case_free(c);
    return -1;
  }
  return 0;
}

void nb_metrics_init(nb_metrics *m) {
  memset(m, 0, sizeof *m);
  m->bound = NAN;
}

void nb_metrics_merge(nb_metrics *a, const nb_metrics *m) {
  if (m->n == 0) return;
  if (a->n == 0 || m->max_err > a->max_err) {
    a->max_err = m->max_err;
    a->worst_row = m->worst_row;
    a->worst_idx = m->worst_idx;
    a->worst_kappa = m->worst_kappa;
  }
  a->sum_err += m->sum_err;
  a->max_comp = fmax(a->max_comp, m->max_comp);
  a->n += m->n;
  a->n_cr += m->n_cr;
  a->max_kappa = fmax(a->max_kappa, m->max_kappa);
  a->rows_checked += m->rows_checked;
  a->max_checked = fmax(a->max_checked, m->max_checked);
  if (!isnan(m->bound)) a->bound = isnan(a->bound) ? m->bound : fmax(a->bound, m->bound);
  if (m->breaches && (a->breaches == 0 || m->worst_breach_err > a->worst_breach_err)) {
    a->worst_breach_err = m->worst_breach_err;
    a->worst_breach_bound = m->worst_breach_bound;
    a->breach_row = m->breach_row;
    a->breach_idx = m->breach_idx;
  }
  a->breaches += m->breaches;
  if (a->n_cr == a->n && m->n_cr < m->n) a->miss_row = m->miss_row, a->miss_idx = m->miss_idx;
  a->n_exact += m->n_exact;
  a->r_wrong += m->r_wrong;
  for (int i = 0; i < NB_HIST; i++) a->hist[i] += m->hist[i];
}

/* The case's values in the kernel's storage format. */
static void *to_storage(const float *src, size_t n, nb_dtype dt) {
  void *p = malloc(n * nb_dtype_size(dt) + 1);
  if (p) nb_pack(dt, src, p, n);
  return p;
}

/* The f32 algorithms compute a 16-bit output in f32 and round it once; an
 * f32 result above 65520 (f16's overflow threshold) rounds to inf. Their
 * bound, 0.5 + e 2^-13 f16 ulps (e in f32 ulps), lets the f32 result lie
 * e f32 ulps (e 2^-8) above an exact value below the threshold: for those
 * outputs, |v| in [65520 - (bound - 0.5) 32, 65520), inf is outside the
 * promise (README, docs/ACCURACY.md). The tie 65520 itself stays finite. */
static int f16_gap(const nb_kernel *k, double y, double v, double bound) {
  return k->dtype == NB_F16 && k->algo != NB_ACCURATE && isinf(y) && fabs(v) < 65520 &&
         fabs(v) >= 65520 - (bound - 0.5) * 32;
}

int nb_case_run(const nb_case *c, const nb_kernel *k, nb_metrics *m) {
  nb_metrics_init(m);
  size_t d = c->d, n = c->rows * d;
  void *x = to_storage(c->x, n, c->dt), *g = to_storage(c->g, d, c->dt);
  void *b = c->b ? to_storage(c->b, d, c->dt) : c->res ? to_storage(c->res, n, c->dt) : NULL;
  int quant = nb_op_quantized(k->op);
  if (k->op == NB_RMSNORM_I8) b = malloc(c->rows * sizeof(float)); /* the scales */
  void *y = malloc(n * nb_out_size(k->op, c->dt) + 1);
  double *xd = malloc(d * sizeof *xd), *gd = malloc(d * sizeof *gd), *bd = malloc(d * sizeof *bd);
  int rc = -1;
  if (!x || !g || ((c->b || c->res || k->op == NB_RMSNORM_I8) && !b) || !y || !xd || !gd || !bd) goto out;
  uint64_t exact0 = nb_exact_fallbacks();
  if (nb_run(k, x, g, b, y, c->rows, d, d, d, c->eps) != NB_OK) goto out;
  m->n_exact = (size_t)(nb_exact_fallbacks() - exact0);
  for (size_t i = 0; i < d; i++) {
    gd[i] = c->g[i];
    bd[i] = c->b ? c->b[i] : 0;
  }
  for (size_t r = 0; r < c->rows; r++) {
    for (size_t i = 0; i < d; i++) xd[i] = c->r ? c->r[r * d + i] : c->x[r * d + i]; /* the input of the RMSNorm */
    double kap = c->kappa[r];
    int checked = nb_kernel_in_range(k, xd, gd, c->b ? bd : NULL, d) &&
                  (c->op == NB_RMSNORM || kap <= 10);
    double bound = checked ? nb_kernel_bound(k, d, kap) : NAN;
    m->rows_checked += checked;
    if (!isnan(bound)) m->bound = isnan(m->bound) ? bound : fmax(m->bound, bound);
    m->max_kappa = fmax(m->max_kappa, kap);
    for (size_t i = 0; i < d && c->r; i++) {
      /* AddRMSNorm's r: correctly rounded (declared error 0), sign of zero included */
      size_t at = r * d + i;
      double rk = nb_storage_get(c->dt, b, at), rv = c->r[at];
      if ((isnan(rk) && isnan(rv)) || (rk == rv && signbit(rk) == signbit(rv))) continue;
      double e = fmax(nb_err(rk, rv, c->dt), 0.5);
      if (m->breaches == 0 || e > m->worst_breach_err) {
        m->worst_breach_err = e;
        m->worst_breach_bound = 0;
        m->breach_row = r;
        m->breach_idx = i;
      }
      m->breaches++;
      m->r_wrong++;
    }
    for (size_t i = 0; i < d; i++) {
      size_t at = r * d + i;
      double yv, v = c->v[at], comp, e;
      if (quant) { /* int8: steps from the exact y / s; e4m3: its ulps (finish_case) */
        uint8_t q = ((const uint8_t *)y)[at];
        yv = k->op == NB_RMSNORM_I8 ? (double)(int8_t)q : nb_e4m3_to_f32(q);
        comp = e = k->op == NB_RMSNORM_I8 ? fabs(yv - v) : nb_err_e4m3(yv, v);
      } else {
        yv = nb_storage_get(c->dt, y, at);
        comp = nb_err(yv, v, c->dt);
        e = c->op == NB_LAYERNORM ? nb_err_floored(yv, v, gd[i], c->dt) : comp;
        /* v is the exact value rounded to double, which can round up onto
         * the overflow threshold: whether inf is right is the correctly
         * rounded value's (MPFR into the format) to say */
        if (isinf(yv) && !isnan(c->cr[at]) && !isinf(c->cr[at])) comp = e = INFINITY;
      }
      if (m->n == 0 || e > m->max_err) {
        m->max_err = e;
        m->worst_row = r;
        m->worst_idx = i;
        m->worst_kappa = kap;
      }
      m->max_comp = fmax(m->max_comp, comp);
      m->sum_err += e < INFINITY ? e : 0;
      m->n++;
      if (!nb_is_cr(yv, c->cr[at]) && m->n_cr == m->n - 1) m->miss_row = r, m->miss_idx = i;
      m->n_cr += nb_is_cr(yv, c->cr[at]);
      m->hist[hist_bin(e)]++;
      if (checked) m->max_checked = fmax(m->max_checked, e);
      if (!isnan(bound) && !(e <= bound) && !f16_gap(k, yv, v, bound)) {
        if (m->breaches == 0 || e > m->worst_breach_err) {
          m->worst_breach_err = e;
          m->worst_breach_bound = bound;
          m->breach_row = r;
          m->breach_idx = i;
        }
        m->breaches++;
      }
    }
  }
  rc = 0;
out:
  free(x);
  free(g);
  free(b);
  free(y);
  free(xd);
  free(gd);
  free(bd);
  return rc;
}
