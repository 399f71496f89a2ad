#include "report.h"

#include "csvin.h"
#include "normbench.h"
#include "outfile.h"
#include "schema.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The D of the speed/accuracy figure, the mean-shift figure and the
 * report's per-kernel tables. */
#define DREF 4096
#define MAXF 64 /* figures of one kind: op x dtype */

/* ---- small containers: a list of distinct strings in insertion order,
 * and a string-keyed map (both grow; out of memory ends the process, as
 * the report has nothing sensible left to do) ---- */

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fputs("normbench report: error: out of memory\n", stderr);
    exit(3);
  }
  return q;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xrealloc(NULL, n), s, n);
}

typedef struct {
  char **s;
  size_t n;
} slist;

static long sl_find(const slist *l, const char *s) {
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->s[i], s)) return (long)i;
  return -1;
}

/* appends s even when the list holds it already (values for a median) */
static void sl_push(slist *l, const char *s) {
  l->s = xrealloc(l->s, (l->n + 1) * sizeof *l->s);
  l->s[l->n++] = xstrdup(s);
}

static size_t sl_add(slist *l, const char *s) {
  long i = sl_find(l, s);
  if (i >= 0) return (size_t)i;
  sl_push(l, s);
  return l->n - 1;
}

static void sl_free(slist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->s[i]);
  free(l->s);
  l->s = NULL, l->n = 0;
}

/* words joined by spaces (a gnuplot `names` string) */
static void sl_print(FILE *f, const slist *l) {
  for (size_t i = 0; i < l->n; i++) fprintf(f, "%s%s", i ? " " : "", l->s[i]);
}

typedef struct {
  char *key;
  const char *s; /* a cell of a loaded CSV, or NULL */
  double v;
  slist list; /* values gathered for a median */
} ment;

typedef struct {
  ment *e;
  size_t n, cap;
} map;

static size_t hash(const char *s) {
  size_t h = 1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static ment *mget(map *m, const char *key, int create) {
  if (create && 2 * (m->n + 1) > m->cap) {
    map g = {xrealloc(NULL, (m->cap ? 2 * m->cap : 256) * sizeof(ment)), 0, m->cap ? 2 * m->cap : 256};
    memset(g.e, 0, g.cap * sizeof(ment));
    for (size_t i = 0; i < m->cap; i++)
      if (m->e[i].key) {
        size_t j = hash(m->e[i].key) & (g.cap - 1);
        while (g.e[j].key) j = (j + 1) & (g.cap - 1);
        g.e[j] = m->e[i];
      }
    g.n = m->n;
    free(m->e);
    *m = g;
  }
  if (!m->cap) return NULL;
  size_t j = hash(key) & (m->cap - 1);
  for (; m->e[j].key; j = (j + 1) & (m->cap - 1))
    if (!strcmp(m->e[j].key, key)) return &m->e[j];
  if (!create) return NULL;
  m->e[j].key = xstrdup(key);
  m->n++;
  return &m->e[j];
}

static void mfree(map *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->e[i].key) free(m->e[i].key), sl_free(&m->e[i].list);
  free(m->e);
  memset(m, 0, sizeof *m);
}

/* A key of parts joined by '\034' (awk's SUBSEP); one static buffer per
 * call site is enough, as keys are used at once. */
static const char *key(char *buf, size_t n, int parts, ...) {
  va_list ap;
  va_start(ap, parts);
  size_t o = 0;
  for (int i = 0; i < parts; i++) {
    const char *s = va_arg(ap, const char *);
    o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "%s%s", i ? "\034" : "", s);
  }
  va_end(ap);
  return buf;
}
#define K1(a) key(kb, sizeof kb, 1, a)
#define K2(a, b) key(kb, sizeof kb, 2, a, b)
#define K3(a, b, c) key(kb, sizeof kb, 3, a, b, c)
#define K4(a, b, c, d) key(kb, sizeof kb, 4, a, b, c, d)

/* ---- numbers as the CSVs hold them ---- */

static double num(const char *s) { return s && *s ? strtod(s, NULL) : 0; }
static int is_inf_nan(const char *s) { return s && (!strcmp(s, "inf") || !strcmp(s, "nan")); }

/* A computed number as text: integers plainly, others to 6 digits. */
static const char *numstr(char *buf, size_t n, double v) {
  if (v == floor(v) && fabs(v) < 1e15)
    snprintf(buf, n, "%.0f", v);
  else
    snprintf(buf, n, "%.6g", v);
  return buf;
}

/* "%.3g", or "-" for no value */
static const char *g3(char *buf, size_t n, const char *s) {
  if (!s || !*s) return "-";
  snprintf(buf, n, "%.3g", num(s));
  return buf;
}

/* The larger error of a and b, where "inf" and "nan" (no finite error)
 * outrank every number and the first of them seen stays. */
static const char *emax(const char *a, const char *b) {
  if (is_inf_nan(a)) return a;
  return !a || !*a || is_inf_nan(b) || num(b) > num(a) ? b : a;
}

static int by_num(const void *a, const void *b) {
  double x = num(*(char *const *)a), y = num(*(char *const *)b);
  return (x > y) - (x < y);
}

/* l's strings in ascending numeric order (a new array; a stable sort, so
 * equal values keep their order) */
static char **sorted(const slist *l) {
  char **a = xrealloc(NULL, (l->n + 1) * sizeof *a);
  memcpy(a, l->s, l->n * sizeof *a);
  /* insertion sort: stable, and the lists are short */
  for (size_t i = 1; i < l->n; i++) {
    char *x = a[i];
    size_t j = i;
    for (; j > 0 && by_num(&a[j - 1], &x) > 0; j--) a[j] = a[j - 1];
    a[j] = x;
  }
  return a;
}

/* The median of a list of numbers as text: the middle value as written
 * when the count is odd, else the mean of the middle two. */
static const char *median(char *buf, size_t n, const slist *l) {
  char **a = sorted(l);
  const char *r;
  if (l->n % 2)
    r = a[l->n / 2];
  else
    r = numstr(buf, n, (num(a[l->n / 2 - 1]) + num(a[l->n / 2])) / 2);
  if (r != buf) snprintf(buf, n, "%s", r);
  free(a);
  return buf;
}

/* rmsnorm_f32_fast_avx2 -> fast/avx2: the label of a kernel in a figure
 * whose op and dtype are the figure's. Names are <op>_<dtype>_<algo>_<isa>,
 * and an op may hold '_' (rmsnorm_i8), algorithms and ISAs never: the label
 * is the last two parts. */
static const char *label(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "%s", name);
  char *u = strrchr(buf, '_'), *s = NULL;
  if (u) {
    *u = 0;
    s = strrchr(buf, '_');
    *u = '/';
  }
  if (s) memmove(buf, s + 1, strlen(s + 1) + 1);
  return buf;
}

/* ---- the folder's files ---- */

enum { P_NAME, P_KIND, P_OP, P_DTYPE, P_D, P_WS, P_MEDIAN, P_GBPS, P_RPS, P_FCOPY, P_FNT, P_NOISY, P_ROWS,
       P_Q1, P_Q3, P_REPS, P_N };
static const char *const perf_need[] = {"name", "kind", "op", "dtype", "d", "working_set", "median_ns",
                                        "gbytes_per_s", "?rows_per_s", "frac_copy", "frac_nt", "noisy", "rows",
                                        "?q1_ns", "?q3_ns", "?repetitions"};
enum { A_KERNEL, A_OP, A_DTYPE, A_ALGO, A_D, A_DIST, A_N, A_MAXERR, A_CR, A_RCHK, A_MCHK, A_BOUND, A_BREACH, A_H0 };
#define A_NCOL (A_H0 + 14)
static const char *const acc_need[] = {"kernel", "op", "dtype", "algo", "d", "dist", "n", "max_err", "cr_rate",
                                       "rows_checked", "max_checked", "bound", "breaches", "hist_0", "hist_1",
                                       "hist_2", "hist_3", "hist_4", "hist_5", "hist_6", "hist_7", "hist_8",
                                       "hist_9", "hist_10", "hist_11", "hist_12", "hist_13"};
enum { B_NAME, B_D, B_BOUND, B_N };
static const char *const bounds_need[] = {"name", "d", "bound_ulp"};
enum { R_OP, R_DTYPE, R_D, R_SHAPE, R_ROWS, R_BUDGET, R_SHIP, R_RPS, R_VERDICT, R_FAST, R_RUN, R_SP, R_LO, R_HI, R_N };
static const char *const rec_need[] = {"op",      "dtype",   "d",         "shape",
                                       "rows",    "budget_ulp", "ship",   "ship_rows_per_s",
                                       "verdict", "fastest", "runner_up", "speed_vs_runner_up",
                                       "speed_vs_runner_up_lo", "speed_vs_runner_up_hi"};
enum { S_OP, S_DTYPE, S_SHIFT, S_D, S_ROWS, S_SPREAD, S_SERR, S_N };
static const char *const shift_need[] = {"op", "dtype", "shift", "d", "rows", "spread", "signal_err"};

typedef struct {
  nb_csv t;
  int present;
  int c[32]; /* the needed columns' indices */
} file;

typedef struct {
  const char *dir;
  char *err;
  size_t errn;
  file perf, acc, bounds, rec, shift;
  map errref; /* kernel -> max error on promised rows at DREF (err_ref.csv) */
  slist errref_rows;
} rep;

static int fail(rep *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, r->errn, fmt, ap);
  va_end(ap);
  return -1;
}

/* Loads dir/name with the needed columns; a missing optional file leaves
 * f->present 0. */
static int load(rep *r, file *f, const char *name, const char *const *need, size_t nneed, int optional) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", r->dir, name);
  int rc = nb_csv_load(&f->t, path, r->err, r->errn);
  if (rc < 0) return -1;
  if (rc == 1) return optional ? 0 : fail(r, "%s: no such file (nor %s.gz)", path, path);
  /* '?': a column added since the first committed results (empty there) */
  for (size_t i = 0; i < nneed; i++)
    if ((f->c[i] = nb_csv_find(&f->t, need[i] + (*need[i] == '?'))) < 0 && *need[i] != '?')
      return fail(r, "%s has no column '%s'", path, need[i]);
  f->present = 1;
  return 0;
}

#define V(f, row, col) ((f)->c[col] < 0 ? "" : nb_csv_at(&(f)->t, row, (f)->c[col]))

/* ---- output files ---- */

typedef struct {
  nb_outfile o;
  char path[4096];
  int open;
} out;

static FILE *out_open(rep *r, out *w, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(w->path, sizeof w->path, "%s/", r->dir);
  va_start(ap, fmt);
  vsnprintf(w->path + n, sizeof w->path - (size_t)n, fmt, ap);
  va_end(ap);
  if (nb_out_open(&w->o, w->path)) {
    fail(r, "cannot write %s: %s", w->path, nb_out_why(&w->o));
    return NULL;
  }
  w->open = 1;
  return w->o.f;
}

static int out_close(rep *r, out *w) {
  w->open = 0;
  if (nb_out_commit(&w->o)) return fail(r, "cannot write %s: %s", w->path, nb_out_why(&w->o));
  return 0;
}

/* A figure's table is a gnuplot data file of blocks (two blank lines
 * apart); each block is one line of the figure and opens with a '# label'
 * comment. Its companion NAME.gp sets `names` to the labels in block order,
 * so a plot script loops `for [i = 1:words(names)] ... index i - 1`. A point
 * not drawn (gap) puts a blank line before the next point, so the line
 * breaks there (never two blank lines in a row, which would start a block). */
typedef struct {
  FILE *f;
  int gap, npt;
} blocks;

static void block(blocks *b, const char *lab, int first) {
  fprintf(b->f, "%s# %s\n", first ? "" : "\n\n", lab);
  b->gap = b->npt = 0;
}

static void point(blocks *b, const char *fmt, ...) {
  if (b->gap && b->npt) fputc('\n', b->f);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(b->f, fmt, ap);
  va_end(ap);
  fputc('\n', b->f);
  b->gap = 0;
  b->npt++;
}

/* A figure note on the points a log axis cannot draw: zero and inf hold
 * "line@x" pairs; grouped by x: "every line" when all the figure's lines
 * share it, "every line but ..." when more than half do (so the note fits
 * the figure's width), else the lines. */
static void group(FILE *f, const slist *pairs, const slist *lines, const char *xname) {
  slist xs = {0};
  char b[256];
  for (size_t i = 0; i < pairs->n; i++) sl_add(&xs, strchr(pairs->s[i], '@') + 1);
  char **a = sorted(&xs);
  for (size_t i = 0; i < xs.n; i++) {
    size_t c = 0;
    for (size_t j = 0; j < pairs->n; j++) c += !strcmp(strchr(pairs->s[j], '@') + 1, a[i]);
    fprintf(f, "%s%s%s: ", i ? "; " : "", xname, a[i]);
    int but = 2 * c > lines->n;
    fputs(c == lines->n ? "every line" : but ? "every line but " : "", f);
    c = 0;
    for (size_t j = 0; j < lines->n && but; j++) {
      snprintf(b, sizeof b, "%s@%s", lines->s[j], a[i]);
      if (sl_find(pairs, b) < 0) fprintf(f, "%s%s", c++ ? ", " : "", lines->s[j]);
    }
    for (size_t j = 0; j < pairs->n && !but; j++) {
      const char *at = strchr(pairs->s[j], '@');
      if (strcmp(at + 1, a[i])) continue;
      fprintf(f, "%s%.*s", c++ ? ", " : "", (int)(at - pairs->s[j]), pairs->s[j]);
    }
  }
  free(a);
  sl_free(&xs);
}

static void note(FILE *f, const slist *zero, const slist *inf, const slist *lines, const char *xname) {
  fputs("note = \"", f);
  if (zero->n) fputs("error 0 (exact, not drawn) at ", f), group(f, zero, lines, xname);
  if (inf->n) fprintf(f, "%sno finite error (NaN or inf output) at ", zero->n ? "; " : ""), group(f, inf, lines, xname);
  fputs("\"\n", f);
}

static void pair(slist *l, const char *line, const char *x) {
  char b[256];
  snprintf(b, sizeof b, "%s@%s", line, x);
  sl_add(l, b);
}

/* The figure "<kind>_<op>_<dtype>" of a row (op NULL: "<kind>_<dtype>"),
 * added to figs: its index, or -1 past MAXF (the process ends on that
 * error, so the caller's lists are not freed). */
static long fig_add(rep *r, slist *figs, const char *kind, const char *op, const char *dt, const char *file) {
  char fig[96];
  if (op)
    snprintf(fig, sizeof fig, "%s_%s_%s", kind, op, dt);
  else
    snprintf(fig, sizeof fig, "%s_%s", kind, dt);
  size_t f = sl_add(figs, fig);
  return f < MAXF ? (long)f : fail(r, "%s: more than %d figures of one kind", file, MAXF);
}

/* ---- tables/ ---- */

/* Whether perf.csv's kernel rows have quartiles (older results have
 * none), and the fewest and most repetitions of those rows (0: unknown). */
static int perf_quartiles(file *p, unsigned *qmin, unsigned *qmax) {
  int haveq = 0;
  *qmin = *qmax = 0;
  for (size_t i = 0; i < p->t.nrows; i++) {
    if (!strcmp(V(p, i, P_KIND), "probe") || !*V(p, i, P_Q1) || !*V(p, i, P_Q3)) continue;
    haveq = 1;
    unsigned reps = (unsigned)num(V(p, i, P_REPS));
    if (reps && (!*qmin || reps < *qmin)) *qmin = reps;
    if (reps > *qmax) *qmax = reps;
  }
  return haveq;
}

/* GB/s at the time of quartile column qcol of perf row i: gbytes_per_s
 * scaled by median_ns / q (the same bytes per call), to 6 digits; "NaN"
 * (gnuplot draws no bar) when the CSV has no quartiles (older results). */
static const char *tput_at(char *buf, size_t n, file *p, size_t i, int qcol) {
  const char *q = V(p, i, qcol), *g = V(p, i, P_GBPS), *m = V(p, i, P_MEDIAN);
  if (!*q || !*g || !*m || num(q) <= 0) return "NaN";
  snprintf(buf, n, "%.6g", num(g) * num(m) / num(q));
  return buf;
}

/* Throughput (GB/s) against D, cache-resident (l2) and memory-bound (mem):
 * tput_<op>_<dtype>, a block per kernel, "d l2 mem l2_q3 l2_q1 mem_q3
 * mem_q1" (the medians, then the interquartile range of the samples' time
 * per call as GB/s: at the q3 time, the lower edge, and at the q1 time, the
 * upper; NaN where perf.csv has no quartiles), and in its .gp the
 * blocks with data at each working set (inl2, inmem: a kernel can be left
 * out of the mem sweep). probes.gp: the roofline probes, which do not depend
 * on D: probes = names, l2_<probe> and mem_<probe> = GB/s (median if
 * measured at several D). */
static int t_tput(rep *r) {
  file *p = &r->perf;
  slist probes = {0}, figs = {0}, ds = {0}, labs[MAXF] = {{0}};
  map P = {0}, G = {0};
  char kb[512], lb[128], nb[64];
  unsigned qmin, qmax;
  int haveq = perf_quartiles(p, &qmin, &qmax);
  for (size_t i = 0; i < p->t.nrows; i++) {
    const char *ws = V(p, i, P_WS);
    if (!strcmp(V(p, i, P_KIND), "probe")) {
      const char *n = V(p, i, P_NAME);
      if (!strncmp(n, "probe_", 6)) n += 6;
      sl_add(&probes, n);
      sl_push(&mget(&P, K2(n, ws), 1)->list, V(p, i, P_GBPS));
      continue;
    }
    long f = fig_add(r, &figs, "tput", V(p, i, P_OP), V(p, i, P_DTYPE), "perf.csv");
    if (f < 0) return -1;
    const char *fig = figs.s[f];
    label(lb, sizeof lb, V(p, i, P_NAME));
    sl_add(&labs[f], lb);
    sl_add(&ds, V(p, i, P_D));
    ment *e = mget(&G, K4(fig, lb, V(p, i, P_D), ws), 1);
    e->s = V(p, i, P_GBPS);
    e->v = (double)i; /* its row, for the quartiles */
  }
  out w = {0};
  FILE *o = out_open(r, &w, "tables/probes.gp");
  int rc = -1;
  if (!o) goto done;
  fputs("probes = \"", o), sl_print(o, &probes), fputs("\"\n", o);
  for (size_t i = 0; i < probes.n; i++)
    for (int m = 0; m < 2; m++) {
      const char *ws = m ? "mem" : "l2";
      ment *e = mget(&P, K2(probes.s[i], ws), 0);
      fprintf(o, "%s_%s = %s\n", ws, probes.s[i], e ? median(nb, sizeof nb, &e->list) : "NaN");
    }
  if (out_close(r, &w)) goto done;
  char **D = sorted(&ds);
  for (size_t f = 0; f < figs.n; f++) {
    if (!(o = out_open(r, &w, "tables/%s.dat", figs.s[f]))) goto done_d;
    char inl2[512] = "", inmem[512] = "";
    for (size_t k = 0; k < labs[f].n; k++) {
      fprintf(o, "%s# %s\n", k ? "\n\n" : "", labs[f].s[k]);
      int l2s = 0, mems = 0;
      for (size_t i = 0; i < ds.n; i++) {
        ment *l2 = mget(&G, K4(figs.s[f], labs[f].s[k], D[i], "l2"), 0);
        ment *mem = mget(&G, K4(figs.s[f], labs[f].s[k], D[i], "mem"), 0);
        if (l2 && !l2s++) snprintf(inl2 + strlen(inl2), sizeof inl2 - strlen(inl2), " %zu", k + 1);
        if (mem && !mems++) snprintf(inmem + strlen(inmem), sizeof inmem - strlen(inmem), " %zu", k + 1);
        if (!l2 && !mem) continue;
        char b[4][32];
        fprintf(o, "%s %s %s %s %s %s %s\n", D[i], l2 ? l2->s : "NaN", mem ? mem->s : "NaN",
                l2 ? tput_at(b[0], 32, p, (size_t)l2->v, P_Q3) : "NaN",
                l2 ? tput_at(b[1], 32, p, (size_t)l2->v, P_Q1) : "NaN",
                mem ? tput_at(b[2], 32, p, (size_t)mem->v, P_Q3) : "NaN",
                mem ? tput_at(b[3], 32, p, (size_t)mem->v, P_Q1) : "NaN");
      }
    }
    if (out_close(r, &w) || !(o = out_open(r, &w, "tables/%s.gp", figs.s[f]))) goto done_d;
    fputs("names = \"", o), sl_print(o, &labs[f]), fputs("\"\n", o);
    fprintf(o, "inl2 = \"%s\"\ninmem = \"%s\"\n", inl2, inmem);
    fprintf(o, "memrule = \"cache-resident speed < 1/%g of memory copy\"\n", 1 / NB_MEM_SWEEP_FRAC);
    /* the error bars: drawn when perf.csv has quartiles (iqr = 1; gnuplot
     * warns on a plot of no valid points), and what they are */
    if (haveq) {
      char nr[48] = "";
      if (qmin == qmax && qmin) snprintf(nr, sizeof nr, " (%u samples a point)", qmin);
      else if (qmin) snprintf(nr, sizeof nr, " (%u to %u samples a point)", qmin, qmax);
      /* two lines (gnuplot's "\n") under the left panel */
      fprintf(o, "iqr = 1\niqr_note = \"error bars: interquartile range\\nof the samples' per-call time%s\"\n", nr);
    } else
      fputs("iqr = 0\niqr_note = \"\"\n", o);
    if (out_close(r, &w)) goto done_d;
  }
  rc = 0;
done_d:
  free(D);
done:
  if (w.open) nb_out_abort(&w.o);
  for (size_t f = 0; f < figs.n; f++) sl_free(&labs[f]);
  sl_free(&probes), sl_free(&figs), sl_free(&ds), mfree(&P), mfree(&G);
  return rc;
}

/* RMSNorm against LayerNorm: t(LayerNorm) / t(RMSNorm) for the same dtype,
 * algorithm, ISA, D and working set; ratio_all.csv every pair (in perf.csv's
 * order), ratio.dat the median over algorithms and D per ISA, "isa f32_l2
 * f16_l2 bf16_l2 f32_mem f16_mem bf16_mem" (NaN where an ISA has no pair),
 * and ratio.gp the tallest bar, so both panels of the figure share a scale. */
static const char *const dtypes[] = {"f32", "f16", "bf16"};

static int t_ratio(rep *r) {
  file *p = &r->perf;
  slist isas = {0}, keys = {0};
  map T = {0}, R = {0}, I = {0};
  char kb[512], lb[128], nb[64];
  for (size_t i = 0; i < p->t.nrows; i++) {
    if (strcmp(V(p, i, P_KIND), "kernel")) continue;
    label(lb, sizeof lb, V(p, i, P_NAME));
    const char *isa = strrchr(lb, '/') ? strrchr(lb, '/') + 1 : lb;
    char k[512];
    snprintf(k, sizeof k, "%s", K4(V(p, i, P_DTYPE), lb, V(p, i, P_D), V(p, i, P_WS)));
    mget(&T, K2(V(p, i, P_OP), k), 1)->s = V(p, i, P_MEDIAN);
    sl_add(&isas, isa);
    sl_add(&keys, k);
    mget(&I, k, 1)->s = V(p, i, P_NAME); /* the kernel of the key, for its isa */
  }
  out w = {0};
  int rc = -1;
  FILE *o = out_open(r, &w, "tables/ratio_all.csv");
  if (!o) goto done;
  fputs("dtype,kernel,d,working_set,ratio\n", o);
  for (size_t i = 0; i < keys.n; i++) {
    ment *rms = mget(&T, K2("rmsnorm", keys.s[i]), 0), *ln = mget(&T, K2("layernorm", keys.s[i]), 0);
    if (!rms || !ln) continue;
    double x = num(ln->s) / num(rms->s);
    char part[4][128];
    const char *s = keys.s[i];
    for (int j = 0; j < 4; j++) {
      const char *e = strchr(s, '\034');
      size_t n = e ? (size_t)(e - s) : strlen(s);
      snprintf(part[j], sizeof part[j], "%.*s", (int)n, s);
      s = e ? e + 1 : s + n;
    }
    const char *isa = strrchr(part[1], '/') ? strrchr(part[1], '/') + 1 : part[1];
    sl_push(&mget(&R, K3(isa, part[0], part[3]), 1)->list, numstr(nb, sizeof nb, x));
    fprintf(o, "%s,%s,%s,%s,%.4f\n", part[0], part[1], part[2], part[3], x);
  }
  if (out_close(r, &w) || !(o = out_open(r, &w, "tables/ratio.dat"))) goto done;
  fputs("# isa f32_l2 f16_l2 bf16_l2 f32_mem f16_mem bf16_mem\n", o);
  double ymax = 1;
  for (size_t i = 0; i < isas.n; i++) {
    fputs(isas.s[i], o);
    for (int m = 0; m < 2; m++)
      for (int t = 0; t < 3; t++) {
        ment *e = mget(&R, K3(isas.s[i], dtypes[t], m ? "mem" : "l2"), 0);
        if (!e) {
          fputs(" NaN", o);
          continue;
        }
        double med = num(median(nb, sizeof nb, &e->list));
        if (med > ymax) ymax = med;
        fprintf(o, " %.3f", med);
      }
    fputc('\n', o);
  }
  if (out_close(r, &w) || !(o = out_open(r, &w, "tables/ratio.gp"))) goto done;
  fprintf(o, "ymax = %.4f\n", ymax);
  rc = out_close(r, &w);
done:
  if (w.open) nb_out_abort(&w.o);
  sl_free(&isas), sl_free(&keys), mfree(&T), mfree(&R), mfree(&I);
  return rc;
}

/* Max error (ulps) against D on promised rows (the rows a kernel's declared
 * bound covers: in range, mean|x|/sigma <= 10; the sweep counts them for
 * the peers too): err_<op>_<dtype>, a block per kernel, "d max_err bound"
 * (bound: bounds.csv at that D; NaN for none or inf). err_ref.csv:
 * "op,dtype,kernel,err" at D = DREF, for the speed/accuracy figure and the
 * report. */
static int t_err(rep *r) {
  file *a = &r->acc, *b = &r->bounds;
  slist figs = {0}, ds = {0}, labs[MAXF] = {{0}};
  map B = {0}, E = {0}, KN = {0};
  char kb[512], lb[128], dref[16];
  snprintf(dref, sizeof dref, "%d", DREF);
  for (size_t i = 0; i < b->t.nrows; i++) mget(&B, K2(V(b, i, B_NAME), V(b, i, B_D)), 1)->s = V(b, i, B_BOUND);
  for (size_t i = 0; i < a->t.nrows; i++) {
    long f = fig_add(r, &figs, "err", V(a, i, A_OP), V(a, i, A_DTYPE), "accuracy.csv");
    if (f < 0) return -1;
    const char *fig = figs.s[f];
    label(lb, sizeof lb, V(a, i, A_KERNEL));
    sl_add(&labs[f], lb);
    sl_add(&ds, V(a, i, A_D));
    mget(&KN, K2(fig, lb), 1)->s = V(a, i, A_KERNEL);
    if (num(V(a, i, A_RCHK)) > 0) {
      ment *e = mget(&E, K3(fig, lb, V(a, i, A_D)), 1);
      e->s = emax(e->s, V(a, i, A_MCHK));
    }
  }
  out w = {0}, ref = {0};
  int rc = -1;
  char **D = sorted(&ds);
  FILE *rf = out_open(r, &ref, "tables/err_ref.csv"), *o;
  if (!rf) goto done;
  fputs("op,dtype,kernel,err\n", rf);
  for (size_t f = 0; f < figs.n; f++) {
    if (!(o = out_open(r, &w, "tables/%s.dat", figs.s[f]))) goto done;
    blocks bl = {o, 0, 0};
    slist zero = {0}, inf = {0};
    char bounded[512] = "";
    double lo = INFINITY, hi = 0; /* the figure's positive finite values: its one y range */
    for (size_t k = 0; k < labs[f].n; k++) {
      const char *lab = labs[f].s[k], *kn = mget(&KN, K2(figs.s[f], lab), 0)->s;
      block(&bl, lab, k == 0);
      int any = 0;
      for (size_t i = 0; i < ds.n; i++) {
        ment *e = mget(&E, K3(figs.s[f], lab, D[i]), 0);
        if (!e) continue;
        ment *bd = mget(&B, K2(kn, D[i]), 0);
        const char *bs = !bd || !*bd->s || !strcmp(bd->s, "none") || !strcmp(bd->s, "inf") ? "NaN" : bd->s;
        if (strcmp(bs, "NaN") && !any++)
          snprintf(bounded + strlen(bounded), sizeof bounded - strlen(bounded), " %zu", k + 1);
        for (int c = 0; c < 2; c++) {
          double v = num(c ? bs : e->s);
          if (v > 0 && isfinite(v) && (c ? strcmp(bs, "NaN") != 0 : !is_inf_nan(e->s)))
            lo = fmin(lo, v), hi = fmax(hi, v);
        }
        if (num(e->s) == 0 && !is_inf_nan(e->s)) pair(&zero, lab, D[i]);
        if (is_inf_nan(e->s)) {
          pair(&inf, lab, D[i]);
          bl.gap = 1;
          continue;
        }
        point(&bl, "%s %s %s", D[i], e->s, bs);
      }
      ment *e = mget(&E, K3(figs.s[f], lab, dref), 0);
      if (e) {
        const char *op = strchr(figs.s[f], '_') + 1, *dt = strchr(op, '_') + 1;
        fprintf(rf, "%.*s,%s,%s,%s\n", (int)(dt - 1 - op), op, dt, kn, e->s);
        mget(&r->errref, kn, 1)->s = e->s;
        sl_add(&r->errref_rows, kn);
      }
    }
    if (out_close(r, &w) || !(o = out_open(r, &w, "tables/%s.gp", figs.s[f]))) goto done;
    fputs("names = \"", o), sl_print(o, &labs[f]), fputs("\"\n", o);
    fprintf(o, "bounded = \"%s\"\n", bounded);
    /* whole decades around every error and bound of the figure, so that
     * its panels share one scale and different kernels do not look alike */
    if (hi > 0) lo = pow(10, floor(log10(lo))), hi = pow(10, ceil(log10(hi)));
    if (!(hi > lo)) lo = hi > 0 ? lo : 0.1, hi = lo * 100;
    fprintf(o, "ylo = %g\nyhi = %g\n", lo, hi);
    note(o, &zero, &inf, &labs[f], "D = ");
    sl_free(&zero), sl_free(&inf);
    if (out_close(r, &w)) goto done;
  }
  rc = out_close(r, &ref);
done:
  if (w.open) nb_out_abort(&w.o);
  if (ref.open) nb_out_abort(&ref.o);
  free(D);
  for (size_t f = 0; f < figs.n; f++) sl_free(&labs[f]);
  sl_free(&figs), sl_free(&ds), mfree(&B), mfree(&E), mfree(&KN);
  return rc;
}

/* Speed against accuracy at D = DREF: pareto_<op>_<dtype>.dat, block 0 one
 * line per kernel "label gbps err" (cache-resident), block 1 the Pareto
 * front (no other kernel both faster and at most as inaccurate), by speed;
 * pareto.gp: the algorithms and ISAs present, for the legend. */
static int t_pareto(rep *r) {
  file *p = &r->perf;
  slist figs = {0}, ks[MAXF] = {{0}}, algos = {0}, isas = {0};
  map S = {0};
  char kb[512], lb[128];
  for (size_t i = 0; i < p->t.nrows; i++) {
    const char *n = V(p, i, P_NAME);
    if (!strcmp(V(p, i, P_KIND), "probe") || num(V(p, i, P_D)) != DREF || strcmp(V(p, i, P_WS), "l2") ||
        !mget(&r->errref, n, 0))
      continue;
    long f = fig_add(r, &figs, "pareto", V(p, i, P_OP), V(p, i, P_DTYPE), "perf.csv");
    if (f < 0) return -1;
    sl_add(&ks[f], n);
    mget(&S, K1(n), 1)->s = V(p, i, P_GBPS);
  }
  out w = {0};
  int rc = -1;
  FILE *o;
  for (size_t f = 0; f < figs.n; f++) {
    size_t nk = ks[f].n;
    double *sp = xrealloc(NULL, nk * sizeof *sp), *er = xrealloc(NULL, nk * sizeof *er);
    for (size_t k = 0; k < nk; k++) {
      label(lb, sizeof lb, ks[f].s[k]);
      char *sl = strchr(lb, '/');
      sl_add(&isas, strrchr(lb, '/') + 1);
      if (sl) *sl = 0;
      sl_add(&algos, lb);
      sp[k] = num(mget(&S, K1(ks[f].s[k]), 0)->s);
      er[k] = num(mget(&r->errref, ks[f].s[k], 0)->s);
    }
    if (!(o = out_open(r, &w, "tables/%s.dat", figs.s[f]))) {
      free(sp), free(er);
      goto done;
    }
    fputs("# kernels\n", o);
    for (size_t k = 0; k < nk; k++)
      fprintf(o, "%s %s %s\n", label(lb, sizeof lb, ks[f].s[k]), mget(&S, K1(ks[f].s[k]), 0)->s,
              mget(&r->errref, ks[f].s[k], 0)->s);
    fputs("\n\n# front\n", o);
    /* the front by increasing speed; equal speeds keep perf.csv's order */
    size_t *front = xrealloc(NULL, nk * sizeof *front), nf = 0;
    for (size_t k = 0; k < nk; k++) {
      int dom = 0;
      for (size_t j = 0; j < nk; j++)
        dom |= j != k && sp[j] >= sp[k] && er[j] <= er[k] && (sp[j] > sp[k] || er[j] < er[k]);
      if (dom) continue;
      size_t at = nf++;
      for (; at > 0 && sp[front[at - 1]] > sp[k]; at--) front[at] = front[at - 1];
      front[at] = k;
    }
    for (size_t i = 0; i < nf; i++)
      fprintf(o, "%s %s %s\n", label(lb, sizeof lb, ks[f].s[front[i]]), mget(&S, K1(ks[f].s[front[i]]), 0)->s,
              mget(&r->errref, ks[f].s[front[i]], 0)->s);
    free(front), free(sp), free(er);
    if (out_close(r, &w)) goto done;
  }
  if (!(o = out_open(r, &w, "tables/pareto.gp"))) goto done;
  fputs("algos = \"", o), sl_print(o, &algos), fputs("\"\nisas = \"", o), sl_print(o, &isas), fputs("\"\n", o);
  rc = out_close(r, &w);
done:
  if (w.open) nb_out_abort(&w.o);
  for (size_t f = 0; f < figs.n; f++) sl_free(&ks[f]);
  sl_free(&figs), sl_free(&algos), sl_free(&isas), mfree(&S);
  return rc;
}

/* A line per algorithm, but one per peer library: two libraries are not
 * one algorithm. */
static const char *series(rep *r, size_t i, char *buf, size_t n) {
  if (strcmp(V(&r->acc, i, A_ALGO), "external")) return V(&r->acc, i, A_ALGO);
  return label(buf, n, V(&r->acc, i, A_KERNEL));
}

/* LayerNorm error against the mean shift at D = DREF: shift_<dtype>, a
 * block per algorithm or peer, "mu/sigma max_err" (max over ISAs; all
 * rows: the shifted rows past mu/sigma = 10 are outside every promise).
 * Error histograms, f32 and bf16: hist_<op>_<dtype>, a block per algorithm
 * or peer, "bin share" (outputs in the bin / all outputs, over the whole
 * sweep and every ISA; an empty bin is not drawn on the log axis). */
static int t_shift_hist(rep *r) {
  file *a = &r->acc;
  slist sf = {0}, ss = {0}, sl[MAXF] = {{0}}, hf = {0}, hl[MAXF] = {{0}};
  map E = {0}, H = {0};
  char kb[512], lb[128], sb[32], jb[8];
  for (size_t i = 0; i < a->t.nrows; i++) {
    const char *se = series(r, i, lb, sizeof lb), *dist = V(a, i, A_DIST);
    if (!strcmp(V(a, i, A_OP), "layernorm") && num(V(a, i, A_D)) == DREF && !strncmp(dist, "shift1", 6)) {
      long f = fig_add(r, &sf, "shift", NULL, V(a, i, A_DTYPE), "accuracy.csv");
      if (f < 0) return -1;
      const char *fig = sf.s[f];
      sl_add(&sl[f], se);
      numstr(sb, sizeof sb, num(dist + 5));
      sl_add(&ss, sb);
      ment *e = mget(&E, K3(fig, se, sb), 1);
      e->s = emax(e->s, V(a, i, A_MAXERR));
    }
    if (strcmp(V(a, i, A_DTYPE), "f16")) {
      long f = fig_add(r, &hf, "hist", V(a, i, A_OP), V(a, i, A_DTYPE), "accuracy.csv");
      if (f < 0) return -1;
      const char *fig = hf.s[f];
      sl_add(&hl[f], se);
      for (int j = 0; j < 14; j++) {
        snprintf(jb, sizeof jb, "%d", j);
        mget(&H, K3(fig, se, jb), 1)->v += num(V(a, i, A_H0 + j));
      }
      mget(&H, K2(fig, se), 1)->v += num(V(a, i, A_N));
    }
  }
  out w = {0};
  int rc = -1;
  FILE *o;
  char **S = sorted(&ss);
  for (size_t f = 0; f < sf.n; f++) {
    if (!(o = out_open(r, &w, "tables/%s.dat", sf.s[f]))) goto done;
    blocks bl = {o, 0, 0};
    slist zero = {0}, inf = {0};
    for (size_t k = 0; k < sl[f].n; k++) {
      block(&bl, sl[f].s[k], k == 0);
      for (size_t i = 0; i < ss.n; i++) {
        ment *e = mget(&E, K3(sf.s[f], sl[f].s[k], S[i]), 0);
        if (!e) continue;
        if (num(e->s) == 0 && !is_inf_nan(e->s)) pair(&zero, sl[f].s[k], S[i]);
        if (is_inf_nan(e->s)) {
          pair(&inf, sl[f].s[k], S[i]);
          bl.gap = 1;
          continue;
        }
        point(&bl, "%s %s", S[i], e->s);
      }
    }
    if (out_close(r, &w) || !(o = out_open(r, &w, "tables/%s.gp", sf.s[f]))) goto done;
    fputs("names = \"", o), sl_print(o, &sl[f]), fputs("\"\n", o);
    note(o, &zero, &inf, &sl[f], "mu/sigma = ");
    sl_free(&zero), sl_free(&inf);
    if (out_close(r, &w)) goto done;
  }
  for (size_t f = 0; f < hf.n; f++) {
    if (!(o = out_open(r, &w, "tables/%s.dat", hf.s[f]))) goto done;
    blocks bl = {o, 0, 0};
    for (size_t k = 0; k < hl[f].n; k++) {
      block(&bl, hl[f].s[k], k == 0);
      double n = mget(&H, K2(hf.s[f], hl[f].s[k]), 0)->v;
      for (int j = 0; j < 14; j++) {
        snprintf(jb, sizeof jb, "%d", j);
        double h = mget(&H, K3(hf.s[f], hl[f].s[k], jb), 0)->v;
        if (h > 0)
          point(&bl, "%d %.6g", j, h / n);
        else
          bl.gap = 1;
      }
    }
    if (out_close(r, &w) || !(o = out_open(r, &w, "tables/%s.gp", hf.s[f]))) goto done;
    fputs("names = \"", o), sl_print(o, &hl[f]), fputs("\"\n", o);
    if (out_close(r, &w)) goto done;
  }
  rc = 0;
done:
  if (w.open) nb_out_abort(&w.o);
  free(S);
  for (size_t f = 0; f < MAXF; f++) sl_free(&sl[f]), sl_free(&hl[f]);
  sl_free(&sf), sl_free(&ss), sl_free(&hf), mfree(&E), mfree(&H);
  return rc;
}

/* ---- REPORT.md ---- */

static const char *op_name(const char *o) { return !strcmp(o, "rmsnorm") ? "RMSNorm" : !strcmp(o, "layernorm") ? "LayerNorm" : o; }

/* The file dir/name copied to f; 0 if absent. */
static int cat(FILE *f, const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *in = fopen(path, "rb");
  if (!in) return 0;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, in)) > 0;) fwrite(buf, 1, n, f);
  fclose(in);
  return 1;
}

static int exists(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static void ship_cell(FILE *o, rep *r, long i) {
  file *c = &r->rec;
  char a[32], b[32], d[32], e[32];
  if (i < 0 || !*V(c, i, R_SHIP)) {
    fputs("none within the budget", o);
    return;
  }
  const char *v = V(c, i, R_VERDICT);
  g3(a, sizeof a, V(c, i, R_SP)), g3(b, sizeof b, V(c, i, R_LO)), g3(d, sizeof d, V(c, i, R_HI));
  if (!strcmp(v, "winner"))
    fprintf(o, "**%s** (%s rows/s, %sx [%s, %s] over %s)", V(c, i, R_SHIP), g3(e, sizeof e, V(c, i, R_RPS)), a, b, d,
            V(c, i, R_RUN));
  else if (!strcmp(v, "only"))
    fprintf(o, "**%s** (%s rows/s, the only one)", V(c, i, R_SHIP), g3(e, sizeof e, V(c, i, R_RPS)));
  else if (!strcmp(v, "tie"))
    fprintf(o, "tie: %s, %s (%sx [%s, %s])", V(c, i, R_FAST), V(c, i, R_RUN), a, b, d);
  else if (!strcmp(v, "noisy"))
    fprintf(o, "not named (NOISY): %s, %s", V(c, i, R_FAST), V(c, i, R_RUN));
  else
    fprintf(o, "not timed: %s", V(c, i, R_SHIP));
}

static void r_ship(FILE *o, rep *r) {
  fputs("## Ship this\n\n", o);
  file *c = &r->rec;
  if (!c->present) {
    fputs("No recommend.csv here (this run predates `normbench recommend` in the\n"
          "bench), so no verdict: the tables below describe speed and accuracy, not\n"
          "the kernel to ship.\n\n",
          o);
    return;
  }
  fputs("From `normbench recommend` (recommend.csv): every kernel that runs here,\n"
        "timed together in one interleaved run per op, dtype, D and shape. At a\n"
        "budget, a kernel is eligible when its declared bound at D is within it; the\n"
        "fastest eligible kernel is named only when the 95% interval of its speed\n"
        "over the runner-up (rows/s) lies above 1, otherwise the cell says \"tie\"\n"
        "with both; a fastest result whose spread stayed high (NOISY) is never\n"
        "named. Shapes:\n\n",
        o);
  for (size_t i = 0; i < c->t.ncomment; i++) {
    const char *s = c->t.comment[i];
    if (strncmp(s, "# shape ", 8)) continue;
    const char *colon = strstr(s + 8, ": ");
    if (!colon || strspn(s + 8, "abcdefghijklmnopqrstuvwxyz:0123456789") < (size_t)(colon - s - 8)) continue;
    fprintf(o, "- **%.*s**: %s\n", (int)(colon - s - 8), s + 8, colon + 2);
  }
  fputs("\n| op | dtype | D | shape | rows per call | 0.5 ulp | 4 ulp |\n|---|---|---:|---|---:|---|---|\n", o);
  slist keys = {0};
  map at = {0};
  char kb[512], bb[32];
  for (size_t i = 0; i < c->t.nrows; i++) {
    char k[512];
    snprintf(k, sizeof k, "%s", K4(V(c, i, R_OP), V(c, i, R_DTYPE), V(c, i, R_D), V(c, i, R_SHAPE)));
    if (sl_find(&keys, k) < 0) sl_add(&keys, k), mget(&at, K1(k), 1)->v = (double)i;
    double b = num(V(c, i, R_BUDGET));
    if (b != 0.5 && b != 4) continue;
    mget(&at, K2(k, numstr(bb, sizeof bb, b)), 1)->v = (double)i + 1; /* 0: absent */
  }
  for (size_t k = 0; k < keys.n; k++) {
    size_t i = (size_t)mget(&at, K1(keys.s[k]), 0)->v;
    fprintf(o, "| %s | %s | %s | %s | %s | ", op_name(V(c, i, R_OP)), V(c, i, R_DTYPE), V(c, i, R_D),
            V(c, i, R_SHAPE), V(c, i, R_ROWS));
    ment *h = mget(&at, K2(keys.s[k], "0.5"), 0), *f = mget(&at, K2(keys.s[k], "4"), 0);
    ship_cell(o, r, h ? (long)h->v - 1 : -1);
    fputs(" | ", o);
    ship_cell(o, r, f ? (long)f->v - 1 : -1);
    fputs(" |\n", o);
  }
  fputc('\n', o);
  sl_free(&keys), mfree(&at);
}

static const char *const ops[] = {"rmsnorm", "layernorm"};
/* every op perf measures, for the fastest-kernel table */
static const char *const all_ops[] = {"rmsnorm", "layernorm", "addrmsnorm", "rmsnorm1p", "rmsnorm_i8", "rmsnorm_e4m3"};

static void r_fastest(FILE *o, rep *r) {
  file *p = &r->perf, *b = &r->bounds;
  map B = {0}, best = {0}, idx = {0};
  char kb[512], x1[32], x2[32], x3[32], x4[32];
  for (size_t i = 0; i < b->t.nrows; i++)
    if (num(V(b, i, B_D)) == DREF) mget(&B, K1(V(b, i, B_NAME)), 1)->s = V(b, i, B_BOUND);
  for (size_t i = 0; i < p->t.nrows; i++) {
    if (!strcmp(V(p, i, P_KIND), "probe") || num(V(p, i, P_D)) != DREF) continue;
    /* the first of the largest GB/s (v); idx: its row */
    ment *e = mget(&best, K3(V(p, i, P_OP), V(p, i, P_DTYPE), V(p, i, P_WS)), 1);
    if (!e->s || num(V(p, i, P_GBPS)) > e->v) {
      e->s = V(p, i, P_NAME), e->v = num(V(p, i, P_GBPS));
      mget(&idx, kb, 1)->v = (double)i;
    }
  }
  fprintf(o, "## Fastest kernel per op, dtype and working set (D = %d)\n\n"
             "Cache-resident (l2): x + y fill half of L2 (compute-bound); memory-bound\n"
             "(mem): x + y fill 4x the last-level cache, at least 256 MiB, at most 1 GiB\n"
             "and a quarter of RAM (the definitions of `normbench perf --help`). \"of\n"
             "probe\": the kernel's GB/s over the copy probe's at the same working set\n"
             "(memory-bound: also over the non-temporal copy's). Error: max on promised\n"
             "rows over the accuracy sweep at D = %d; bound: declared.\n"
             "This table describes perf's largest median, NOISY or not, at any\n"
             "accuracy; it is not a verdict: the kernel to ship is in \"Ship this\".\n\n"
             "| op | dtype | working set | kernel | GB/s | rows/s | of copy probe | of NT copy | max error | bound | noisy |\n"
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|\n",
          DREF, DREF);
  int others = 0; /* rows of the ops engines ship, whose units need a word */
  for (int op = 0; op < (int)(sizeof all_ops / sizeof *all_ops); op++)
    for (int t = 0; t < 3; t++)
      for (int m = 0; m < 2; m++) {
        ment *e = mget(&best, K3(all_ops[op], dtypes[t], m ? "mem" : "l2"), 0);
        if (!e) continue;
        others |= op >= 2;
        size_t i = (size_t)mget(&idx, K3(all_ops[op], dtypes[t], m ? "mem" : "l2"), 0)->v;
        const char *k = V(p, i, P_NAME), *rps = V(p, i, P_RPS);
        ment *er = mget(&r->errref, k, 0), *bd = mget(&B, K1(k), 0);
        /* a perf.csv from before the rows_per_s column: the same figure
         * from the columns it was derived from */
        char rb[32];
        if (!*rps) rps = numstr(rb, sizeof rb, num(V(p, i, P_ROWS)) / num(V(p, i, P_MEDIAN)) * 1e9);
        fprintf(o, "| %s | %s | %s | %s | %.1f | %s | %s | %s | %s | %s | %s |\n", op_name(all_ops[op]), dtypes[t],
                m ? "memory-bound" : "cache-resident", k, e->v, g3(x1, sizeof x1, rps),
                g3(x2, sizeof x2, V(p, i, P_FCOPY)), g3(x3, sizeof x3, V(p, i, P_FNT)),
                g3(x4, sizeof x4, er ? er->s : NULL), bd && *bd->s ? bd->s : "-",
                num(V(p, i, P_NOISY)) == 1 ? "NOISY" : "");
      }
  if (others)
    fprintf(o, "\nrmsnorm_i8's errors and bounds are in int8 quantization steps, rmsnorm_e4m3's\n"
               "in ulps of e4m3; AddRMSNorm's bytes are its 4 streams (x, residual, r, y).\n");
  fputc('\n', o);
  mfree(&B), mfree(&best), mfree(&idx);
}

static void peer_row(FILE *o, map *G, rep *r, const char *op, const char *dt, const char *k, const char *peer) {
  char kb[512], x1[32], x2[32], x3[32];
  ment *l2 = mget(G, K2(k, "l2"), 0), *mem = mget(G, K2(k, "mem"), 0), *er = mget(&r->errref, k, 0);
  fprintf(o, "| %s | %s | %s | %s | %s | %s | ", op_name(op), dt, k, g3(x1, sizeof x1, l2 ? l2->s : NULL),
          g3(x2, sizeof x2, mem ? mem->s : NULL), g3(x3, sizeof x3, er ? er->s : NULL));
  if (strcmp(k, peer)) {
    ment *pl = mget(G, K2(peer, "l2"), 0);
    fprintf(o, "%.2fx", num(l2 ? l2->s : NULL) / num(pl ? pl->s : NULL));
  }
  fputs(" |\n", o);
}

static void r_peers(FILE *o, rep *r) {
  file *p = &r->perf;
  map G = {0}, F = {0}, A = {0};
  slist peers[6] = {{0}};
  char kb[512];
  fprintf(o, "## The peers against ours (D = %d)\n\n"
             "Each external peer (oneDNN, PyTorch: what an application runs without\n"
             "normbench) beside this project's fastest kernel and its fastest accurate\n"
             "kernel of the same op and dtype: throughput at both working sets (\"-\":\n"
             "not measured there), max error on the rows in the kernel's range at\n"
             "D = %d over the sweep (peers declare no bound). \"x peer\": cache-resident\n"
             "speed over the first peer's.\n\n"
             "| op | dtype | kernel | GB/s, cache | GB/s, memory | max error | x peer |\n"
             "|---|---|---|---:|---:|---:|---:|\n",
          DREF, DREF);
  for (size_t i = 0; i < p->t.nrows; i++) {
    if (!strcmp(V(p, i, P_KIND), "probe") || num(V(p, i, P_D)) != DREF) continue;
    const char *k = V(p, i, P_NAME), *gb = V(p, i, P_GBPS);
    mget(&G, K2(k, V(p, i, P_WS)), 1)->s = gb;
    int c = -1;
    for (int op = 0; op < 2; op++)
      for (int t = 0; t < 3; t++)
        if (!strcmp(V(p, i, P_OP), ops[op]) && !strcmp(V(p, i, P_DTYPE), dtypes[t])) c = 3 * op + t;
    if (c < 0) continue;
    if (!strcmp(V(p, i, P_KIND), "external")) {
      sl_add(&peers[c], k);
      continue;
    }
    if (strcmp(V(p, i, P_WS), "l2")) continue;
    /* the fastest, and the fastest accurate (cache-resident) */
    for (int acc = 0; acc < 2; acc++) {
      if (acc && !strstr(k, "_accurate_")) continue;
      ment *e = mget(acc ? &A : &F, K2(ops[c / 3], dtypes[c % 3]), 1);
      if (!e->s || num(gb) > e->v) e->s = k, e->v = num(gb);
    }
  }
  for (int c = 0; c < 6; c++) {
    const char *op = ops[c / 3], *dt = dtypes[c % 3];
    if (!peers[c].n) continue;
    for (size_t i = 0; i < peers[c].n; i++) peer_row(o, &G, r, op, dt, peers[c].s[i], peers[c].s[0]);
    ment *f = mget(&F, K2(op, dt), 0), *a = mget(&A, K2(op, dt), 0);
    if (f) peer_row(o, &G, r, op, dt, f->s, peers[c].s[0]);
    if (a && (!f || strcmp(a->s, f->s))) peer_row(o, &G, r, op, dt, a->s, peers[c].s[0]);
  }
  fputc('\n', o);
  for (int c = 0; c < 6; c++) sl_free(&peers[c]);
  mfree(&G), mfree(&F), mfree(&A);
}

static void r_accuracy(FILE *o, rep *r) {
  file *a = &r->acc;
  slist order = {0};
  map P = {0}, AL = {0}, CR = {0}, N = {0}, BR = {0}, PI = {0};
  char kb[512], x1[32], x2[32], x3[32];
  fprintf(o, "## Accuracy per kernel\n\n"
             "Over the whole accuracy sweep (%zu kernel x cell lines). \"promised\":\n"
             "rows the kernel's declared bound covers (in range, mean|x|/sigma <= 10);\n"
             "the bound shown is the one of the cell where the promised maximum was\n"
             "reached; \"all rows\" includes inputs outside every promise (huge, tiny,\n"
             "shifted rows). CR rate: share of outputs equal to the correctly rounded\n"
             "value, over all rows. Breaches: rows above the declared bound.\n\n"
             "| kernel | max error, promised | at D | on | bound there | max error, all rows | CR rate | breaches |\n"
             "|---|---:|---:|---|---:|---:|---:|---:|\n",
          a->t.nrows);
  for (size_t i = 0; i < a->t.nrows; i++) {
    const char *k = V(a, i, A_KERNEL), *me = V(a, i, A_MAXERR);
    sl_add(&order, k);
    if (num(V(a, i, A_RCHK)) > 0) {
      ment *e = mget(&P, K1(k), 1);
      if (!e->s || num(V(a, i, A_MCHK)) > num(e->s)) e->s = V(a, i, A_MCHK), mget(&PI, kb, 1)->v = (double)i;
    }
    /* all rows: inf or nan wins (the last one seen); otherwise the largest
     * number, which needs a first value above 0 */
    ment *e = mget(&AL, K1(k), 1);
    if (is_inf_nan(me))
      e->s = me;
    else if (!is_inf_nan(e->s) && num(me) > num(e->s))
      e->s = me;
    mget(&CR, K1(k), 1)->v += num(V(a, i, A_CR)) * num(V(a, i, A_N));
    mget(&N, K1(k), 1)->v += num(V(a, i, A_N));
    mget(&BR, K1(k), 1)->v += num(V(a, i, A_BREACH));
  }
  for (size_t j = 0; j < order.n; j++) {
    const char *k = order.s[j];
    ment *p = mget(&P, K1(k), 0), *al = mget(&AL, K1(k), 0);
    double n = mget(&N, K1(k), 0)->v;
    if (p) {
      size_t i = (size_t)mget(&PI, K1(k), 0)->v;
      fprintf(o, "| %s | %s | %s | %s | %s | ", k, g3(x1, sizeof x1, p->s), V(a, i, A_D), V(a, i, A_DIST),
              g3(x2, sizeof x2, V(a, i, A_BOUND)));
    } else {
      fprintf(o, "| %s | - | - | - | - | ", k);
    }
    fprintf(o, "%s | %.4f | %.0f |\n", is_inf_nan(al->s) ? al->s : g3(x3, sizeof x3, al->s),
            n ? mget(&CR, K1(k), 0)->v / n : 0, mget(&BR, K1(k), 0)->v);
  }
  fputc('\n', o);
  sl_free(&order), mfree(&P), mfree(&AL), mfree(&CR), mfree(&N), mfree(&BR), mfree(&PI);
}

static int by_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void r_figures(FILE *o, rep *r) {
  fputs("## Figures\n\nEach figure as PNG here, SVG beside it in plots/.", o);
  /* the throughput figures' bars, when perf.csv has quartiles (older
   * results have none, and their figures no bars) */
  unsigned qmin, qmax;
  if (perf_quartiles(&r->perf, &qmin, &qmax)) {
    fputs(" The throughput figures' error bars (light, in each kernel's colour) are the interquartile range of the "
          "samples' per-call time at that point, as GB/s: the lower end at the third quartile's time, the upper at "
          "the first's", o);
    if (qmin == qmax && qmin) fprintf(o, " (%u samples, the repetitions, a point)", qmin);
    else if (qmin) fprintf(o, " (%u to %u samples, the repetitions, a point)", qmin, qmax);
    fputc('.', o);
  }
  fputs("\n\n", o);
  char path[4096];
  snprintf(path, sizeof path, "%s/plots", r->dir);
  DIR *d = opendir(path);
  slist png = {0};
  for (struct dirent *e; d && (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (n > 4 && !strcmp(e->d_name + n - 4, ".png")) {
      e->d_name[n - 4] = 0;
      sl_add(&png, e->d_name);
    }
  }
  if (d) closedir(d);
  if (png.n) qsort(png.s, png.n, sizeof *png.s, by_str); /* a folder without plots: png.s is NULL */
  for (size_t i = 0; i < png.n; i++)
    fprintf(o, "### %s\n\n![%s](plots/%s.png)\n\n[SVG](plots/%s.svg)\n\n", png.s[i], png.s[i], png.s[i], png.s[i]);
  sl_free(&png);
}

/* The tables the cost section reads back: ratio.dat and ratio_all.csv. */
static int r_cost(FILE *o, rep *r) {
  fputs("## RMSNorm's claims, measured on this machine\n\n"
        "The RMSNorm literature (Zhang and Sennrich 2019, and the notes that\n"
        "repeat it) says: RMSNorm is cheaper than LayerNorm (no mean, no\n"
        "centring); it is less fragile numerically in f16/bf16; and it keeps the\n"
        "mean shift that LayerNorm removes (usually harmless in residual networks).\n"
        "Each claim against this machine's figures:\n\n"
        "### 1. Cost: t(LayerNorm) / t(RMSNorm)\n\n"
        "Same dtype, algorithm, ISA, D and working set (tables/ratio_all.csv holds\n"
        "every pair); median over algorithms and row lengths (above 1: RMSNorm is\n"
        "faster). Memory-bound: scalar 16-bit kernels are not measured there (see\n"
        "machine.txt).\n\n"
        "| ISA | f32, cache | f16, cache | bf16, cache | f32, memory | f16, memory | bf16, memory |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n",
        o);
  char path[4096], line[1024];
  snprintf(path, sizeof path, "%s/tables/ratio.dat", r->dir);
  FILE *f = fopen(path, "r");
  if (!f) return fail(r, "cannot read %s: %s", path, strerror(errno));
  while (fgets(line, sizeof line, f)) {
    if (*line == '#') continue;
    char *save = NULL, *w = strtok_r(line, " \n", &save);
    if (!w) continue;
    fprintf(o, "| %s |", w);
    while ((w = strtok_r(NULL, " \n", &save))) fprintf(o, " %s |", strcmp(w, "NaN") ? w : "-");
    fputc('\n', o);
  }
  fclose(f);
  nb_csv t;
  snprintf(path, sizeof path, "%s/tables/ratio_all.csv", r->dir);
  if (nb_csv_load(&t, path, r->err, r->errn)) return fail(r, "cannot read %s", path);
  int cw = nb_csv_find(&t, "working_set"), cr = nb_csv_find(&t, "ratio");
  for (int m = 0; m < 2 && cw >= 0 && cr >= 0; m++) {
    slist v = {0};
    size_t faster = 0;
    for (size_t i = 0; i < t.nrows; i++)
      if (!strcmp(nb_csv_at(&t, i, cw), m ? "mem" : "l2"))
        sl_push(&v, nb_csv_at(&t, i, cr)), faster += num(nb_csv_at(&t, i, cr)) > 1;
    if (v.n) {
      char **a = sorted(&v), mb[64];
      fprintf(o, "\n%s: RMSNorm faster in %zu of %zu pairs; median ratio %.3g, range %.3g to %.3g.\n",
              m ? "Memory-bound" : "Cache-resident", faster, v.n, num(median(mb, sizeof mb, &v)), num(a[0]),
              num(a[v.n - 1]));
      free(a);
    }
    sl_free(&v);
  }
  nb_csv_free(&t);
  return 0;
}

static void r_numerics(FILE *o, rep *r) {
  file *a = &r->acc;
  slist order = {0};
  map M = {0}, CR = {0}, N = {0};
  char kb[512], x1[32], x2[32];
  fputs("\n### 2. Numerics in f16 and bf16\n\n"
        "Max error on promised rows over the sweep, and the correctly rounded rate\n"
        "over all rows, for each algorithm (worst of its ISAs; CR rate over all its\n"
        "outputs). Both operations are measured in ulps of the same output format;\n"
        "LayerNorm's are floored at the scale of a unit output.\n\n"
        "| dtype | algorithm | RMSNorm max error | LayerNorm max error | RMSNorm CR rate | LayerNorm CR rate |\n"
        "|---|---|---:|---:|---:|---:|\n",
        o);
  for (size_t i = 0; i < a->t.nrows; i++) {
    if (!strcmp(V(a, i, A_DTYPE), "f32") || !strcmp(V(a, i, A_ALGO), "external")) continue;
    char k[256];
    snprintf(k, sizeof k, "%s", K2(V(a, i, A_DTYPE), V(a, i, A_ALGO)));
    sl_add(&order, k);
    const char *op = V(a, i, A_OP);
    if (num(V(a, i, A_RCHK)) > 0) {
      ment *e = mget(&M, K2(op, k), 1);
      if (num(V(a, i, A_MCHK)) > num(e->s)) e->s = V(a, i, A_MCHK);
    }
    mget(&CR, K2(op, k), 1)->v += num(V(a, i, A_CR)) * num(V(a, i, A_N));
    mget(&N, K2(op, k), 1)->v += num(V(a, i, A_N));
  }
  size_t le = 0, ge = 0;
  for (size_t j = 0; j < order.n; j++) {
    const char *k = order.s[j], *sep = strchr(k, '\034');
    ment *mr = mget(&M, K2("rmsnorm", k), 0), *ml = mget(&M, K2("layernorm", k), 0);
    ment *nr = mget(&N, K2("rmsnorm", k), 0), *nl = mget(&N, K2("layernorm", k), 0);
    double crr = nr && nr->v ? mget(&CR, K2("rmsnorm", k), 0)->v / nr->v : 0;
    double crl = nl && nl->v ? mget(&CR, K2("layernorm", k), 0)->v / nl->v : 0;
    fprintf(o, "| %.*s | %s | %s | %s | %.4f | %.4f |\n", (int)(sep - k), k, sep + 1,
            g3(x1, sizeof x1, mr ? mr->s : NULL), g3(x2, sizeof x2, ml ? ml->s : NULL), crr, crl);
    le += num(mr ? mr->s : NULL) <= num(ml ? ml->s : NULL);
    ge += nr && nr->v && nl && nl->v && crr >= crl;
  }
  fprintf(o, "\nRMSNorm max error <= LayerNorm max error in %zu of %zu (dtype, algorithm) pairs; "
             "RMSNorm correctly rounded as often or more in %zu of %zu.\n",
          le, order.n, ge, order.n);
  sl_free(&order), mfree(&M), mfree(&CR), mfree(&N);
}

static void r_meanshift(FILE *o, rep *r) {
  file *s = &r->shift;
  fputs("\n### 3. The mean shift RMSNorm keeps\n\n", o);
  if (!s->present) {
    fputs("No meanshift.csv here.\n", o);
    return;
  }
  fputs("A dedicated measurement (bench/meanshift.c, `nb_meanshift D ROWS`, its\n"
        "CSV in meanshift.csv): rows x = k + N(0,1) (the sweep's normal and\n"
        "shift<k> rows), unit gain, zero bias, through each op's correctly rounded\n"
        "kernel. \"spread\" = std(y) / rms(y) of an output row: 1 when the output is\n"
        "centred, about 1/sqrt(1 + k^2) when it carries the shift. \"signal error\" =\n"
        "rms of the difference between the standardized output and the standardized\n"
        "input: how much of the row's variation is lost in the output format\n"
        "(averaged over the rows).\n\n"
        "| dtype | mu/sigma | RMSNorm spread | LayerNorm spread | RMSNorm signal error | LayerNorm signal error |\n"
        "|---|---:|---:|---:|---:|---:|\n",
        o);
  slist order = {0};
  map S = {0}, E = {0};
  char kb[512], x[4][32];
  const char *d = "", *rows = "";
  for (size_t i = 0; i < s->t.nrows; i++) {
    char k[256];
    snprintf(k, sizeof k, "%s", K2(V(s, i, S_DTYPE), V(s, i, S_SHIFT)));
    sl_add(&order, k);
    mget(&S, K2(V(s, i, S_OP), k), 1)->s = V(s, i, S_SPREAD);
    mget(&E, K2(V(s, i, S_OP), k), 1)->s = V(s, i, S_SERR);
    d = V(s, i, S_D), rows = V(s, i, S_ROWS);
  }
#define GET(m, op, k) (mget(&m, K2(op, k), 0) ? mget(&m, K2(op, k), 0)->s : NULL)
  for (size_t j = 0; j < order.n; j++) {
    const char *k = order.s[j], *sep = strchr(k, '\034');
    fprintf(o, "| %.*s | %s | %s | %s | %s | %s |\n", (int)(sep - k), k, sep + 1,
            g3(x[0], 32, GET(S, "rmsnorm", k)), g3(x[1], 32, GET(S, "layernorm", k)),
            g3(x[2], 32, GET(E, "rmsnorm", k)), g3(x[3], 32, GET(E, "layernorm", k)));
  }
  fprintf(o, "\nD = %s, %s rows per line.", d, rows);
  for (size_t j = 0; j < order.n; j++) {
    const char *k = order.s[j], *sep = strchr(k, '\034');
    if (num(sep + 1) != 10 || !(num(GET(E, "layernorm", k)) > 0)) continue;
    fprintf(o,
            " %.*s, mu/sigma = 10: RMSNorm outputs spread %s of their rms (LayerNorm %s), and carry the row's"
            " variation %.3gx less precisely.",
            (int)(sep - k), k, g3(x[0], 32, GET(S, "rmsnorm", k)), g3(x[1], 32, GET(S, "layernorm", k)),
            num(GET(E, "rmsnorm", k)) / num(GET(E, "layernorm", k)));
  }
#undef GET
  fputc('\n', o);
  sl_free(&order), mfree(&S), mfree(&E);
}

static int r_report(rep *r, const nb_report_opts *opt) {
  out w = {0};
  FILE *o;
  if (opt->out) {
    if (nb_out_open(&w.o, opt->out)) return fail(r, "cannot write %s: %s", opt->out, nb_out_why(&w.o));
    snprintf(w.path, sizeof w.path, "%s", opt->out);
    w.open = 1;
    o = w.o.f;
  } else if (!(o = out_open(r, &w, "REPORT.md"))) {
    return -1;
  }
  char id[256], dur[64] = "?";
  const char *base = strrchr(r->dir, '/');
  snprintf(id, sizeof id, "%s", opt->id ? opt->id : base && base[1] ? base + 1 : r->dir);
  char path[4096];
  snprintf(path, sizeof path, "%s/duration_s", r->dir);
  FILE *df = fopen(path, "r");
  if (df) {
    if (!fgets(dur, sizeof dur, df)) snprintf(dur, sizeof dur, "?");
    dur[strcspn(dur, "\n")] = 0;
    fclose(df);
  }
  fprintf(o, "# normbench results: %s\n\n"
             "Generated by `ninja -C build bench` (scripts/run-bench.sh) in %s s.\n"
             "Errors are in ulps of the output format (componentwise for RMSNorm, floored\n"
             "for LayerNorm: `normbench accuracy --help`); throughput in GB/s counts x read,\n",
          id, dur);
  /* the files this folder holds, wrapped at 78 columns */
  static const char *const files[][2] = {
      {"perf.csv", "perf.csv,"}, {"perf.json.gz", "perf.json.gz (Google Benchmark schema),"},
      {"recommend.csv", "recommend.csv,"}, {"recommend.json.gz", "recommend.json.gz,"},
      {"accuracy.csv.gz", "accuracy.csv.gz,"}, {"accuracy.csv", "accuracy.csv,"}, {"bounds.csv", "bounds.csv,"},
      {"meanshift.csv", "meanshift.csv,"}, {"machine.txt", "machine.txt,"},
      {NULL, "tables/ (what the plots draw), plots/ (SVG and PNG)."}};
  static const char lead[] = "y written, g and b read once per call. Files here:";
  fputs(lead, o);
  size_t col = sizeof lead - 1;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    if (files[i][0] && !exists(r->dir, files[i][0])) continue;
    for (const char *w = files[i][1]; *w;) {
      size_t n = strcspn(w, " ");
      if (col + 1 + n > 78)
        fputc('\n', o), col = 0;
      else
        fputc(' ', o), col++;
      fprintf(o, "%.*s", (int)n, w);
      col += n;
      w += n + (w[n] == ' ');
    }
  }
  fputs("\n\n## Machine\n\n```\n", o);
  if (!cat(o, r->dir, "machine.txt")) fputs("(no machine.txt)\n", o);
  fputs("```\n\n", o);
  r_ship(o, r);
  r_fastest(o, r);
  r_peers(o, r);
  r_accuracy(o, r);
  r_figures(o, r);
  if (r_cost(o, r)) {
    nb_out_abort(&w.o);
    return -1;
  }
  r_numerics(o, r);
  r_meanshift(o, r);
  return out_close(r, &w);
}

int nb_report(const nb_report_opts *o, char *err, size_t errn) {
  rep r = {.dir = o->dir, .err = err, .errn = errn};
  int rc = -1;
  char path[4096];
  snprintf(path, sizeof path, "%s/tables", o->dir);
  if (load(&r, &r.perf, "perf.csv", perf_need, P_N, 0) || load(&r, &r.acc, "accuracy.csv", acc_need, A_NCOL, 0) ||
      load(&r, &r.bounds, "bounds.csv", bounds_need, B_N, 0) || load(&r, &r.rec, "recommend.csv", rec_need, R_N, 1) ||
      load(&r, &r.shift, "meanshift.csv", shift_need, S_N, 1))
    goto done;
  if (mkdir(path, 0777) && errno != EEXIST) {
    fail(&r, "cannot create %s: %s", path, strerror(errno));
    goto done;
  }
  if (t_tput(&r) || t_ratio(&r) || t_err(&r) || t_pareto(&r) || t_shift_hist(&r)) goto done;
  rc = o->tables_only ? 0 : r_report(&r, o);
done:
  nb_csv_free(&r.perf.t), nb_csv_free(&r.acc.t), nb_csv_free(&r.bounds.t), nb_csv_free(&r.rec.t),
      nb_csv_free(&r.shift.t);
  mfree(&r.errref), sl_free(&r.errref_rows);
  return rc;
}

/* ---- several machines ---- */

#define MAXDIRS 8 /* folders of one machine */
enum { RN_NAME, RN_RUNS, RN_D, RN_BOUND, RN_N };
static const char *const runs_need[] = {"name", "runs_here", "?d", "?bound_ulp"};

typedef struct {
  char id[128];
  char *emulated; /* machine.txt's reason, or NULL */
  file rec[MAXDIRS], perf[MAXDIRS], bounds[MAXDIRS];
  size_t n;
  map bound; /* kernel, D -> declared bound (bounds.csv) */
} machine;

/* machine.txt's "id:" and "emulated:" lines (normbench cpu's, or perf's
 * after "# ") */
static void machine_txt(const char *dir, char *id, size_t idn, char **emulated) {
  char path[4096], line[1024];
  snprintf(path, sizeof path, "%s/machine.txt", dir);
  FILE *f = fopen(path, "r");
  for (; f && fgets(line, sizeof line, f);) {
    char *s = line + (line[0] == '#' && line[1] == ' ' ? 2 : 0), *v;
    s[strcspn(s, "\n")] = 0;
    if (!strncmp(s, "id:", 3)) {
      for (v = s + 3; *v == ' '; v++) {}
      if (*v) snprintf(id, idn, "%s", v);
    } else if (!strncmp(s, "emulated:", 9)) {
      for (v = s + 9; *v == ' '; v++) {}
      v[strcspn(v, "(")] = 0; /* perf's "(timings mean nothing)" */
      for (size_t n = strlen(v); n && v[n - 1] == ' ';) v[--n] = 0;
      if (*v && strcmp(v, "no") && !*emulated) *emulated = xstrdup(v);
    }
  }
  if (f) fclose(f);
}

/* The median time of kernel k on machine m at D = d and working set ws
 * (from the first of its folders that measured it), or NaN. */
static double perf_time(machine *m, const char *k, const char *d, const char *ws) {
  for (size_t j = 0; j < m->n; j++) {
    file *p = &m->perf[j];
    for (size_t i = 0; p->present && i < p->t.nrows; i++)
      if (!strcmp(V(p, i, P_NAME), k) && !strcmp(V(p, i, P_WS), ws) && num(V(p, i, P_D)) == num(d))
        return num(V(p, i, P_MEDIAN));
  }
  return NAN;
}

/* 1 when machine m's bounds.csv (normbench list) says k does not run there */
static int runs_not(machine *m, const char *k) {
  for (size_t j = 0; j < m->n; j++) {
    file *b = &m->bounds[j];
    for (size_t i = 0; b->present && i < b->t.nrows; i++)
      if (!strcmp(V(b, i, RN_NAME), k)) return !strcmp(V(b, i, RN_RUNS), "0");
  }
  return 0;
}

/* a key's first n parts */
static void split(const char *k, char (*part)[64], int n) {
  for (int j = 0; j < n; j++) {
    size_t l = strcspn(k, "\034");
    snprintf(part[j], sizeof part[j], "%.*s", (int)l, k);
    k += l + (k[l] != 0);
  }
}

static void cmp_case(FILE *o, const char *key) {
  char part[5][64];
  split(key, part, 5);
  fprintf(o, "| %s | %s | %s | %s | %s |", op_name(part[0]), part[1], part[2], part[3], part[4]);
}

static int cmp_write(FILE *o, machine *ms, size_t nm, const slist *cases, map *ship) {
  char kb[512], mi[24];
  fputs("# normbench on several machines\n\n"
        "Written by `normbench report --compare` from each machine's results\n"
        "folder: recommend.csv (the kernel to ship), perf.csv (the throughput\n"
        "sweep, and what another machine's choice costs), bounds.csv (declared\n"
        "bounds, and which kernels run there) and machine.txt (the machine id,\n"
        "and whether the run was emulated).\n\n"
        "| machine | folders | timings |\n|---|---:|---|\n",
        o);
  for (size_t m = 0; m < nm; m++) {
    fprintf(o, "| %s | %zu | ", ms[m].id, ms[m].n);
    if (ms[m].emulated)
      fprintf(o, "emulated (%s): not meaningful |\n", ms[m].emulated);
    else
      fputs("measured |\n", o);
  }
  if (!cases->n) {
    fputs("\n## The kernel to ship on each machine\n\n"
          "No folder has a recommend.csv (`normbench recommend`, the bench's verdict\n"
          "step), so the comparison below is the throughput sweeps' only.\n",
          o);
    return 0;
  }
  fputs("\n## The kernel to ship on each machine\n\n"
        "From each machine's recommend.csv at the budgets of REPORT.md's \"Ship\n"
        "this\" (0.5 and 4 ulp): the kernel it ships (on a tie or a NOISY result,\n"
        "recommend ships the more accurate of the two). \"-\": not measured there;\n"
        "\"(emulated)\": the choice is the dispatcher's static one, not a timing.\n\n"
        "| op | dtype | D | shape | budget |",
        o);
  for (size_t m = 0; m < nm; m++) fprintf(o, " %s |", ms[m].id);
  fputs("\n|---|---|---:|---|---:|", o);
  for (size_t m = 0; m < nm; m++) fputs("---|", o);
  fputc('\n', o);
  for (size_t c = 0; c < cases->n; c++) {
    cmp_case(o, cases->s[c]);
    for (size_t m = 0; m < nm; m++) {
      snprintf(mi, sizeof mi, "%zu", m);
      ment *e = mget(ship, K2(mi, cases->s[c]), 0);
      fprintf(o, " %s%s |", e ? e->s : "-", e && ms[m].emulated ? " (emulated)" : "");
    }
    fputc('\n', o);
  }
  fputs("\n## What another machine's choice costs\n\n"
        "Where two machines ship different kernels: machine M running machine O's\n"
        "choice instead of its own, from M's own perf.csv at the same D and working\n"
        "set (the shape): M's kernel's median time over O's kernel's, so below 1 is\n"
        "what M loses (0.80x: 20% slower). \"not measured there\": M's perf.csv has\n"
        "no row of one of the two kernels at that D and working set.\n\n"
        "| op | dtype | D | shape | budget | machine | runs the choice of | that kernel | its speed there |\n"
        "|---|---|---:|---|---:|---|---|---|---|\n",
        o);
  size_t rows = 0;
  for (size_t c = 0; c < cases->n; c++) {
    char d[64], ws[64];
    const char *k = cases->s[c];
    size_t n0 = strcspn(k, "\034"), n1 = strcspn(k + n0 + 1, "\034");
    const char *dp = k + n0 + 1 + n1 + 1;
    snprintf(d, sizeof d, "%.*s", (int)strcspn(dp, "\034"), dp);
    const char *wp = dp + strlen(d) + 1;
    snprintf(ws, sizeof ws, "%.*s", (int)strcspn(wp, "\034"), wp);
    for (size_t m = 0; m < nm; m++) {
      snprintf(mi, sizeof mi, "%zu", m);
      ment *own = mget(ship, K2(mi, k), 0);
      if (!own) continue;
      for (size_t x = 0; x < nm; x++) {
        char xi[24];
        snprintf(xi, sizeof xi, "%zu", x);
        ment *other = mget(ship, K2(xi, k), 0);
        if (x == m || !other || !strcmp(other->s, own->s)) continue;
        cmp_case(o, k);
        fprintf(o, " %s | %s | %s | ", ms[m].id, ms[x].id, other->s);
        double tm = perf_time(&ms[m], own->s, d, ws), tx = perf_time(&ms[m], other->s, d, ws);
        if (runs_not(&ms[m], other->s))
          fputs("does not run there", o);
        else if (isnan(tm) || isnan(tx) || !(tx > 0))
          fputs("not measured there", o);
        else if (tm < tx)
          fprintf(o, "%.2fx (%.0f%% slower)", tm / tx, 100 * (1 - tm / tx));
        else
          fprintf(o, "%.2fx (not slower)", tm / tx);
        if (ms[m].emulated && !isnan(tm) && !isnan(tx)) fputs(", emulated: timings not meaningful", o);
        fputs(" |\n", o);
        rows++;
      }
    }
  }
  if (!rows) fputs("| every machine ships the same kernels | | | | | | | | |\n", o);
  return 0;
}


/* ---- several machines, from their throughput sweeps ---- */

/* The budgets: correctly rounded, 1 ulp, and REPORT.md's loose one. */
static const double cmp_budgets[] = {0.5, 1, 4};

/* The fastest kernel (largest GB/s in perf.csv) of the case op, dtype, D,
 * working set on machine m whose declared bound at that D (its bounds.csv)
 * is within budget (nb_within_budget, as recommend reads it: the accurate
 * kernels' 0.5 + 2^-20 + ... is 0.5); NULL if none was measured. Kernels without a bound
 * there are not candidates: a choice needs its promise. */
static const char *perf_fastest(machine *m, const char *op, const char *dt, const char *d, const char *ws,
                                double budget, double *gbps) {
  char kb[512], nb[32];
  const char *best = NULL;
  *gbps = 0;
  for (size_t j = 0; j < m->n; j++) {
    file *p = &m->perf[j];
    for (size_t i = 0; p->present && i < p->t.nrows; i++) {
      if (!strcmp(V(p, i, P_KIND), "probe") || strcmp(V(p, i, P_OP), op) || strcmp(V(p, i, P_DTYPE), dt) ||
          strcmp(V(p, i, P_WS), ws) || num(V(p, i, P_D)) != num(d))
        continue;
      ment *b = mget(&m->bound, K2(V(p, i, P_NAME), numstr(nb, sizeof nb, num(d))), 0);
      double g = num(V(p, i, P_GBPS));
      if (b && nb_within_budget(b->v, budget) && g > *gbps) best = V(p, i, P_NAME), *gbps = g;
    }
  }
  return best;
}

static int by_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Per op, dtype, D and working set of the perf sweeps (the cases measured
 * on two machines or more, when there are two or more): each machine's
 * fastest kernel within each budget, then what each machine loses running
 * another's choice, from its own perf.csv. */
static void cmp_perf(FILE *o, machine *ms, size_t nm, const slist *cases) {
  char lb[128];
  size_t ncase = 0, nagree = 0, nloss = 0, cap = 0;
  double *loss = NULL;
  fputs("\n## The fastest kernel within a budget, from each machine's throughput sweep\n\n"
        "From each machine's perf.csv (`normbench perf`: GB/s at each D, cache-resident\n"
        "l2 and memory-bound mem) and bounds.csv (the declared bound at that D): the\n"
        "fastest kernel whose declared bound is within the budget (ulps of the output\n"
        "format; quantization steps for int8). This needs no recommend.csv, so\n"
        "every bench folder takes part; it is the fastest median, not recommend's\n"
        "verdict (which also weighs noise and ties).",
        o);
  if (nm > 1) fputs(" Cases measured on one machine only are left out.", o);
  fputs("\n\n| op | dtype | D | working set | budget |", o);
  for (size_t m = 0; m < nm; m++) fprintf(o, " %s |", ms[m].id);
  fputs("\n|---|---|---:|---|---:|", o);
  for (size_t m = 0; m < nm; m++) fputs("---|", o);
  fputc('\n', o);
  /* choice[c * nb * nm + b * nm + m]: machine m's kernel for case c, budget b */
  size_t nb = sizeof cmp_budgets / sizeof *cmp_budgets;
  const char **choice = xrealloc(NULL, (cases->n * nb * nm + 1) * sizeof *choice);
  double *g = xrealloc(NULL, nm * sizeof *g); /* their GB/s */
  char part[4][64];
  for (size_t c = 0; c < cases->n; c++) {
    split(cases->s[c], part, 4);
    for (size_t b = 0; b < nb; b++) {
      const char **ch = choice + (c * nb + b) * nm;
      size_t have = 0;
      for (size_t m = 0; m < nm; m++) {
        ch[m] = perf_fastest(&ms[m], part[0], part[1], part[2], part[3], cmp_budgets[b], &g[m]);
        have += ch[m] != NULL;
      }
      if (!have || (nm > 1 && have < 2)) continue;
      fprintf(o, "| %s | %s | %s | %s | %g |", op_name(part[0]), part[1], part[2], part[3], cmp_budgets[b]);
      for (size_t m = 0; m < nm; m++) {
        if (!ch[m])
          fputs(" - |", o);
        else
          fprintf(o, " %s (%.3g GB/s%s) |", label(lb, sizeof lb, ch[m]), g[m],
                  ms[m].emulated ? ", emulated" : "");
      }
      fputc('\n', o);
    }
  }
  fputs("\n### What another machine's choice costs (throughput sweep)\n\n"
        "Where two machines' choices differ: machine M running machine O's choice\n"
        "at the same case, from M's own perf.csv: M's kernel's median time over O's\n"
        "kernel's (below 1: what M loses).\n\n"
        "| op | dtype | D | working set | budget | machine | runs the choice of | that kernel | its speed there |\n"
        "|---|---|---:|---|---:|---|---|---|---|\n",
        o);
  for (size_t c = 0; c < cases->n; c++) {
    split(cases->s[c], part, 4);
    for (size_t b = 0; b < nb; b++) {
      const char **ch = choice + (c * nb + b) * nm;
      size_t have = 0, differ = 0;
      for (size_t m = 0; m < nm; m++) {
        have += ch[m] != NULL;
        differ |= ch[m] && ch[0] && strcmp(ch[m], ch[0]);
      }
      if (have < 2) continue;
      ncase++;
      nagree += have == nm && !differ;
      for (size_t m = 0; m < nm; m++)
        for (size_t x = 0; x < nm; x++) {
          if (x == m || !ch[m] || !ch[x] || !strcmp(ch[m], ch[x])) continue;
          fprintf(o, "| %s | %s | %s | %s | %g | %s | %s | %s | ", op_name(part[0]), part[1], part[2], part[3],
                  cmp_budgets[b], ms[m].id, ms[x].id, label(lb, sizeof lb, ch[x]));
          double tm = perf_time(&ms[m], ch[m], part[2], part[3]), tx = perf_time(&ms[m], ch[x], part[2], part[3]);
          if (runs_not(&ms[m], ch[x]))
            fputs("does not run there", o);
          else if (isnan(tm) || isnan(tx) || !(tx > 0))
            fputs("not measured there", o);
          else {
            fprintf(o, "%.2fx", tm / tx);
            if (!ms[m].emulated) {
              if (nloss == cap) loss = xrealloc(loss, (cap = cap ? 2 * cap : 64) * sizeof *loss);
              loss[nloss++] = tm / tx;
            }
          }
          if (ms[m].emulated) fputs(", emulated: timings not meaningful", o);
          fputs(" |\n", o);
        }
    }
  }
  fprintf(o, "\nOf %zu cases (op, dtype, D, working set, budget) with a choice on two\n"
             "machines or more, every machine chose the same kernel in %zu.\n",
          ncase, nagree);
  if (nloss) {
    qsort(loss, nloss, sizeof *loss, by_double);
    fprintf(o, "A machine running another's choice (%zu measured pairs) gets a median\n"
               "%.2fx of its own choice's speed, %.2fx at worst.\n",
            nloss, nloss % 2 ? loss[nloss / 2] : (loss[nloss / 2 - 1] + loss[nloss / 2]) / 2, loss[0]);
  } else {
    fputc('\n', o);
  }
  free(choice), free(g), free(loss);
}

int nb_report_compare(const char *const *dirs, size_t n, const char *path, char *err, size_t errn) {
  machine *ms = xrealloc(NULL, n * sizeof *ms);
  memset(ms, 0, n * sizeof *ms);
  size_t nm = 0;
  slist cases = {0}, pcases = {0}; /* recommend's cases, perf's */
  map ship = {0};
  int rc = -1;
  char kb[512], mi[24], bb[32];
  for (size_t i = 0; i < n; i++) {
    char id[128], *emulated = NULL, d[4096];
    snprintf(d, sizeof d, "%s", dirs[i]);
    for (size_t l = strlen(d); l > 1 && d[l - 1] == '/';) d[--l] = 0;
    const char *base = strrchr(d, '/');
    snprintf(id, sizeof id, "%s", base ? base + 1 : d);
    machine_txt(d, id, sizeof id, &emulated);
    /* folders of one machine id merge into one column */
    size_t m = 0;
    while (m < nm && strcmp(ms[m].id, id)) m++;
    if (m == nm) snprintf(ms[nm++].id, sizeof ms[m].id, "%s", id);
    if (!ms[m].emulated) ms[m].emulated = emulated;
    else free(emulated);
    if (ms[m].n == MAXDIRS) {
      snprintf(err, errn, "more than %d folders of machine %s", MAXDIRS, id);
      goto done;
    }
    rep r = {.dir = d, .err = err, .errn = errn};
    size_t j = ms[m].n++;
    if (load(&r, &ms[m].rec[j], "recommend.csv", rec_need, R_N, 1) ||
        load(&r, &ms[m].perf[j], "perf.csv", perf_need, P_N, 1) ||
        load(&r, &ms[m].bounds[j], "bounds.csv", runs_need, RN_N, 1))
      goto done;
    if (!ms[m].rec[j].present && !ms[m].perf[j].present) {
      snprintf(err, errn, "%s: no recommend.csv and no perf.csv (nor .gz): not a results folder", d);
      goto done;
    }
    file *p = &ms[m].perf[j], *b = &ms[m].bounds[j];
    for (size_t row = 0; row < p->t.nrows; row++)
      if (strcmp(V(p, row, P_KIND), "probe"))
        sl_add(&pcases, K4(V(p, row, P_OP), V(p, row, P_DTYPE), numstr(bb, sizeof bb, num(V(p, row, P_D))),
                           V(p, row, P_WS)));
    for (size_t row = 0; row < b->t.nrows; row++) {
      /* a peer's bound is "none": not a number, not a candidate */
      char *end;
      double bound = strtod(V(b, row, RN_BOUND), &end);
      if (end != V(b, row, RN_BOUND) && !*end)
        mget(&ms[m].bound, K2(V(b, row, RN_NAME), numstr(bb, sizeof bb, num(V(b, row, RN_D)))), 1)->v = bound;
    }
    file *c = &ms[m].rec[j];
    snprintf(mi, sizeof mi, "%zu", m);
    for (size_t row = 0; row < c->t.nrows; row++) {
      double b = num(V(c, row, R_BUDGET));
      if (b != 0.5 && b != 4) continue;
      char k[512];
      numstr(bb, sizeof bb, b);
      snprintf(k, sizeof k, "%s\034%s", K4(V(c, row, R_OP), V(c, row, R_DTYPE), V(c, row, R_D), V(c, row, R_SHAPE)),
               bb);
      sl_add(&cases, k);
      ment *e = mget(&ship, K2(mi, k), 1);
      if (!e->s) e->s = V(c, row, R_SHIP);
    }
  }
  nb_outfile w;
  if (nb_out_open(&w, path)) {
    snprintf(err, errn, "cannot write %s: %s", path, nb_out_why(&w));
    goto done;
  }
  cmp_write(w.f, ms, nm, &cases, &ship);
  cmp_perf(w.f, ms, nm, &pcases);
  if (nb_out_commit(&w)) {
    snprintf(err, errn, "cannot write %s: %s", path, nb_out_why(&w));
    goto done;
  }
  rc = 0;
done:
  for (size_t m = 0; m < nm; m++) {
    for (size_t j = 0; j < ms[m].n; j++)
      nb_csv_free(&ms[m].rec[j].t), nb_csv_free(&ms[m].perf[j].t), nb_csv_free(&ms[m].bounds[j].t);
    free(ms[m].emulated), mfree(&ms[m].bound);
  }
  free(ms);
  sl_free(&cases), sl_free(&pcases), mfree(&ship);
  return rc;
}

/* Two kernels of one algorithm: names <op>_<dtype>_<algo>_<isa> equal but
 * for the ISA (each peer, algo "external", is an algorithm of its own). */
static int same_algo(const char *a, const char *b) {
  const char *ua = strrchr(a, '_'), *ub = strrchr(b, '_');
  return ua && ub && ua - a == ub - b && !strncmp(a, b, (size_t)(ua - a)) && !strstr(a, "_external_");
}

int nb_report_mem_sweep(const char *perf_csv, int fastest_isa, FILE *kernels, FILE *note, char *err, size_t errn) {
  rep r = {.dir = ".", .err = err, .errn = errn};
  file p = {0};
  nb_csv_free(&p.t);
  int rc = nb_csv_load(&p.t, perf_csv, err, errn);
  if (rc) return rc > 0 ? snprintf(err, errn, "%s: no such file", perf_csv), -1 : -1;
  for (size_t i = 0; i < P_N; i++)
    if ((p.c[i] = nb_csv_find(&p.t, perf_need[i] + (*perf_need[i] == '?'))) < 0 && *perf_need[i] != '?') {
      nb_csv_free(&p.t);
      return fail(&r, "%s has no column '%s'", perf_csv, perf_need[i]);
    }
  double copy = NAN;
  for (size_t i = 0; i < p.t.nrows; i++)
    if (!strcmp(V(&p, i, P_NAME), "probe_copy") && !strcmp(V(&p, i, P_WS), "mem")) copy = num(V(&p, i, P_GBPS));
  if (!(copy > 0)) {
    nb_csv_free(&p.t);
    return fail(&r, "%s has no memory-bound copy probe (probe_copy at working set mem)", perf_csv);
  }
  if (note)
    fprintf(note, "# left out of the mem sweep (cache-resident GB/s < memory copy GB/s / %g at D = %d):\n",
            1 / NB_MEM_SWEEP_FRAC, DREF);
  for (int pass = 0; pass < 1 + fastest_isa; pass++) {
    if (pass && note)
      fprintf(note, "# quick run: the mem sweep ran the fastest ISA of each algorithm (cache-resident GB/s at "
                    "D = %d), left out:\n", DREF);
    for (size_t i = 0; i < p.t.nrows; i++) {
      if (!strcmp(V(&p, i, P_KIND), "probe") || strcmp(V(&p, i, P_WS), "l2")) continue;
      double g = num(V(&p, i, P_GBPS));
      int slower = 0; /* another ISA of its algorithm is faster */
      for (size_t j = 0; fastest_isa && j < p.t.nrows && !slower; j++)
        slower = !strcmp(V(&p, j, P_WS), "l2") && same_algo(V(&p, i, P_NAME), V(&p, j, P_NAME)) &&
                 (num(V(&p, j, P_GBPS)) > g || (num(V(&p, j, P_GBPS)) == g && j < i));
      if (g < copy * NB_MEM_SWEEP_FRAC) {
        if (!pass && note) fprintf(note, "#   %s %.3g GB/s (copy %.3g)\n", V(&p, i, P_NAME), g, copy);
      } else if (slower) {
        if (pass && note) fprintf(note, "#   %s %.3g GB/s\n", V(&p, i, P_NAME), g);
      } else if (!pass) {
        fprintf(kernels, "%s\n", V(&p, i, P_NAME));
      }
    }
  }
  nb_csv_free(&p.t);
  return 0;
}
