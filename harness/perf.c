#include "perf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffers and runs --------------------------------------------------------- */

int nb_perf_buf_init(nb_perf_buf *pb, size_t ws_bytes, size_t d) {
  memset(pb, 0, sizeof *pb);
  pb->bytes = (ws_bytes + 127) / 128 * 128;
  pb->d = d;
  pb->base = nb_buffer(pb->bytes);
  pb->g = nb_buffer(d * 4);
  pb->b = nb_buffer(d * 4);
  if (!pb->base || !pb->g || !pb->b) {
    nb_perf_buf_free(pb);
    return -1;
  }
  return 0;
}

void nb_perf_buf_free(nb_perf_buf *pb) {
  free(pb->base);
  free(pb->g);
  free(pb->b);
  memset(pb, 0, sizeof *pb);
}

/* Deterministic inputs of the kernel's dtype: x in about [-2, 2) with a
 * non-zero mean, g near 1, b near 0, so no kernel takes a special-value path. */
static float val(uint32_t *s, float lo, float span) {
  *s = *s * 1664525u + 1013904223u;
  return lo + span * (float)(*s >> 8) * 0x1p-24f;
}

static void put(nb_dtype dt, void *p, size_t i, float v) {
  if (dt == NB_F32) ((float *)p)[i] = v;
  else ((uint16_t *)p)[i] = dt == NB_F16 ? nb_f32_to_f16(v) : nb_f32_to_bf16(v);
}

static void fill(nb_perf_buf *pb, nb_dtype dt, size_t n) {
  uint32_t s = 12345;
  for (size_t i = 0; i < n; i++) put(dt, pb->base, i, val(&s, -1.5f, 4));
  for (size_t i = 0; i < pb->d; i++) {
    put(dt, pb->g, i, val(&s, 0.5f, 1));
    put(dt, pb->b, i, val(&s, -0.25f, 0.5f));
  }
}

/* AddRMSNorm's residual, n elements after x's n: r = x + residual is written
 * back on every call, so x is the residual times 2^-(p+2), below a quarter
 * of its ulp in the dtype: r stays the residual bit for bit, and every
 * timed call sees the same values (a residual growing by x per call would
 * overflow f16 within a timed run). */
static void fill_add(nb_perf_buf *pb, nb_dtype dt, size_t n) {
  uint32_t s = 54321;
  float scale = dt == NB_F32 ? 0x1p-26f : dt == NB_F16 ? 0x1p-13f : 0x1p-10f;
  for (size_t i = 0; i < n; i++) {
    float v = val(&s, -1.5f, 4);
    put(dt, pb->base, i, v * scale);
    put(dt, pb->base + n * nb_dtype_size(dt), i, v);
  }
}

/* Arrays of rows x d a kernel touches (its working set) and streams per
 * call: x and y; AddRMSNorm reads x and the residual, writes r over the
 * residual and y. */
static size_t arrays(const nb_kernel *k) { return k->op == NB_ADDRMSNORM ? 3 : 2; }
static size_t streams(const nb_kernel *k) { return k->op == NB_ADDRMSNORM ? 4 : 2; }

/* x at the buffer's start; AddRMSNorm's residual right after x and y after
 * that, the others' y at the middle. */
static void *y_of(const nb_kernel *k, nb_perf_buf *pb, size_t n) {
  return k->op == NB_ADDRMSNORM ? pb->base + 2 * n * nb_dtype_size(k->dtype) : pb->base + pb->bytes / 2;
}
static const void *b_of(const nb_kernel *k, nb_perf_buf *pb, size_t n) {
  return k->op == NB_LAYERNORM ? pb->b : k->op == NB_ADDRMSNORM ? pb->base + n * nb_dtype_size(k->dtype) : NULL;
}

typedef struct {
  const nb_kernel *k;
  const void *x, *g, *b;
  void *y;
  size_t rows, d;
  float eps;
} kernel_ctx;

static void run_kernel(void *p) {
  kernel_ctx *c = p;
  c->k->fn(c->x, c->g, c->b, c->y, c->rows, c->d, c->d, c->d, c->eps);
  nb_clobber(c->y);
}

typedef struct {
  nb_probe p;
  const float *x;
  float *y;
  size_t n;
} probe_ctx;

static void run_probe(void *p) {
  probe_ctx *c = p;
  nb_probe_run(c->p, c->x, c->y, c->n);
  nb_clobber(c->y);
}

static void finish(nb_perf_row *row) {
  row->gbps = row->bytes / row->r.st.median;
  row->copy_gbps = row->nt_gbps = row->frac_copy = row->frac_nt = NAN;
}

int nb_perf_kernel(const nb_kernel *k, size_t d, nb_ws ws, size_t ws_bytes, nb_perf_buf *pb,
                   const nb_perf_opts *o, nb_perf_row *row, char *err, size_t errn) {
  memset(row, 0, sizeof *row);
  size_t sz = nb_dtype_size(k->dtype);
  size_t rows = nb_ws_rows(ws_bytes * 2 / arrays(k), d, sz);
  if (arrays(k) * rows * d * sz > pb->bytes || d > pb->d) {
    snprintf(err, errn, "internal: buffer too small for %s", k->name);
    return -1;
  }
  fill(pb, k->dtype, rows * d);
  if (k->op == NB_ADDRMSNORM) fill_add(pb, k->dtype, rows * d);
  kernel_ctx c = {k, pb->base, pb->g, b_of(k, pb, rows * d), y_of(k, pb, rows * d), rows, d, o->eps};
  int rc = nb_run(k, c.x, c.g, c.b, c.y, rows, d, d, d, o->eps);
  if (rc != NB_OK) {
    snprintf(err, errn, "%s: %s", k->name, nb_strerror(rc));
    return -1;
  }
  row->name = k->name;
  row->k = k;
  row->ws = ws;
  row->ws_bytes = arrays(k) * rows * d * sz;
  row->d = d;
  row->rows = rows;
  row->bytes = (double)(streams(k) * rows * d * sz + (k->op == NB_LAYERNORM ? 2 : 1) * d * sz);
  row->items = (double)(rows * d);
  if (nb_measure(run_kernel, &c, &o->m, &row->r)) {
    snprintf(err, errn, "out of memory");
    return -1;
  }
  finish(row);
  return 0;
}

int nb_perf_probe(nb_probe p, nb_ws ws, size_t ws_bytes, nb_perf_buf *pb, const nb_perf_opts *o,
                  nb_perf_row *row) {
  memset(row, 0, sizeof *row);
  size_t half = ws_bytes / 2 / 64 * 64;
  if (half < 64) half = 64;
  if (2 * half > pb->bytes) half = pb->bytes / 2 / 64 * 64;
  fill(pb, NB_F32, half / 4);
  probe_ctx c = {p, (const float *)pb->base, (float *)(pb->base + pb->bytes / 2), half / 4};
  /* the read probe reads the whole working set (x and y), the copies move
   * one half into the other: each touches ws bytes per call */
  if (p == NB_PROBE_READ) {
    c.n = 2 * half / 4;
    c.y = (float *)pb->base;
  }
  row->name = nb_probe_name(p);
  row->ws = ws;
  row->ws_bytes = 2 * half;
  row->bytes = (double)(2 * half);
  row->items = (double)c.n;
  if (nb_measure(run_probe, &c, &o->m, &row->r)) return -1;
  finish(row);
  return 0;
}

/* P(X <= k) for X ~ Binomial(n, 1/2), doubled and capped at 1 */
static double sign_test(unsigned k, unsigned n) {
  unsigned lo = k < n - k ? k : n - k;
  double p = 0;
  for (unsigned i = 0; i <= lo; i++) /* C(n, i) / 2^n in logs: no overflow */
    p += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) - n * log(2.0));
  return fmin(1, 2 * p);
}

int nb_perf_compare(const nb_kernel *a, const nb_kernel *b, size_t d, size_t ws_bytes, nb_perf_buf *pb,
                    const nb_perf_opts *o, nb_compare *out, char *err, size_t errn) {
  memset(out, 0, sizeof *out);
  if (a->dtype != b->dtype) {
    snprintf(err, errn, "%s and %s have different dtypes: their bytes per call differ", a->name, b->name);
    return -1;
  }
  if ((a->op == NB_ADDRMSNORM) != (b->op == NB_ADDRMSNORM)) {
    snprintf(err, errn, "%s and %s move different streams: their bytes per call differ", a->name, b->name);
    return -1;
  }
  size_t sz = nb_dtype_size(a->dtype), rows = nb_ws_rows(ws_bytes * 2 / arrays(a), d, sz);
  if (arrays(a) * rows * d * sz > pb->bytes || d > pb->d) {
    snprintf(err, errn, "internal: buffer too small");
    return -1;
  }
  fill(pb, a->dtype, rows * d);
  if (a->op == NB_ADDRMSNORM) fill_add(pb, a->dtype, rows * d);
  kernel_ctx c[2];
  const nb_kernel *ks[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    c[i] = (kernel_ctx){ks[i], pb->base, pb->g, b_of(ks[i], pb, rows * d), y_of(ks[i], pb, rows * d), rows, d,
                        o->eps};
    int rc = nb_run(ks[i], c[i].x, c[i].g, c[i].b, c[i].y, rows, d, d, d, o->eps);
    if (rc != NB_OK) {
      snprintf(err, errn, "%s: %s", ks[i]->name, nb_strerror(rc));
      return -1;
    }
  }
  size_t ia = nb_calibrate_iterations(run_kernel, &c[0], o->m.min_time);
  size_t ib = nb_calibrate_iterations(run_kernel, &c[1], o->m.min_time);
  out->iterations = ia > ib ? ia : ib;
  out->rows = rows;
  out->pairs = o->m.repetitions ? o->m.repetitions : 31;
  double *ta = malloc(out->pairs * sizeof *ta), *tb = malloc(out->pairs * sizeof *tb);
  double *r = malloc(out->pairs * sizeof *r);
  if (!ta || !tb || !r) {
    free(ta), free(tb), free(r);
    snprintf(err, errn, "out of memory");
    return -1;
  }
  double cpu, *t[2] = {ta, tb};
  for (int i = 0; i < 2; i++) nb_sample(run_kernel, &c[i], out->iterations, &t[i][0], &cpu); /* warm-up */
  for (unsigned p = 0; p < out->pairs; p++) {
    /* a disturbed pair is taken again as a pair, so the two stay adjacent */
    for (unsigned tries = 0;; tries++) {
      int bad = nb_sample(run_kernel, &c[0], out->iterations, &ta[p], &cpu);
      bad |= nb_sample(run_kernel, &c[1], out->iterations, &tb[p], &cpu);
      if (!bad || tries == 3) break;
      out->retaken++;
    }
    r[p] = tb[p] / ta[p];
    out->b_slower += tb[p] > ta[p];
  }
  out->a_median_ns = nb_median(ta, out->pairs);
  out->b_median_ns = nb_median(tb, out->pairs);
  out->ratio = nb_median(r, out->pairs);
  nb_bootstrap_median(r, out->pairs, 10000, 0.95, &out->ratio_lo, &out->ratio_hi);
  out->sign_p = sign_test(out->b_slower, out->pairs);
  free(ta), free(tb), free(r);
  return 0;
}

void nb_perf_link_probes(nb_perf_row *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!rows[i].k) continue;
    for (size_t j = 0; j < n; j++) {
      if (rows[j].k || rows[j].ws.kind != rows[i].ws.kind || rows[j].ws.bytes != rows[i].ws.bytes) continue;
      if (strcmp(rows[j].name, nb_probe_name(NB_PROBE_COPY)) == 0) rows[i].copy_gbps = rows[j].gbps;
      if (strcmp(rows[j].name, nb_probe_name(NB_PROBE_COPY_NT)) == 0) rows[i].nt_gbps = rows[j].gbps;
    }
    rows[i].frac_copy = rows[i].gbps / rows[i].copy_gbps;
    if (rows[i].ws.kind == NB_WS_MEM) rows[i].frac_nt = rows[i].gbps / rows[i].nt_gbps;
  }
}

/* ---- writers ----------------------------------------------------------------------- */

void nb_machine_write_caches(FILE *f, const nb_machine *m, const char *sep) {
  for (int i = 0; i < m->ncaches; i++) {
    const nb_cache *c = &m->caches[i];
    fprintf(f, "%sL%d %s %zuK (%s", i ? sep : "", c->level, c->type, c->size >> 10, nb_source_name(c->src));
    if (c->src != c->reported_src && c->reported)
      fprintf(f, "; %s said %zuK", nb_source_name(c->reported_src), c->reported >> 10);
    if (c->note[0]) fprintf(f, ": %s", c->note);
    fputc(')', f);
  }
  if (!m->ncaches) fputs("none reported", f);
}

void nb_machine_write(FILE *f, const nb_machine *m, const char *prefix) {
  const nb_clock *c = m->clock;
  fprintf(f, "%scpu: %s (%d CPUs, %.0f MHz), pinned to CPU %d, id %s\n", prefix, m->cpu_model, m->num_cpus,
          m->mhz, m->pinned_cpu, m->id);
  fprintf(f, "%sfeatures: %s\n", prefix, m->features);
  fprintf(f, "%scaches: ", prefix);
  nb_machine_write_caches(f, m, ", ");
  fprintf(f, "\n%sworking sets (x + y): l1 %zuK, l2 %zuK, llc %zuK, mem %zuM (%s)\n", prefix, m->l1d >> 11,
          m->l2 >> 11, m->llc >> 11, m->mem >> 20, m->mem_why);
  if (m->emulated) fprintf(f, "%semulated: %s (timings mean nothing)\n", prefix, m->emulated);
  fprintf(f, "%sclock: %s, resolution %.2f ns, overhead %.2f ns\n", prefix, c->name, c->resolution_ns,
          c->overhead_ns);
  fprintf(f, "%sbuild: %s, %s, flags '%s', git %s\n", prefix, m->compiler, m->build_type, m->cflags, m->git);
  fprintf(f, "%shost: %s, date: %s\n", prefix, m->host, m->date);
  fprintf(f,
          "%sbytes per call: x read + y written (rows * d elements each), + g and b read once; addrmsnorm: x, "
          "residual read + r, y written, + g (its ws: x + residual + y)\n",
          prefix);
}

static const char *row_kind(const nb_perf_row *r) {
  return !r->k ? "probe" : (r->k->flags & NB_K_EXTERNAL) ? "external" : "kernel";
}

void nb_perf_write_table(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n) {
  nb_machine_write(f, m, "# ");
  fprintf(f, "%-34s %6s %8s %7s %12s %8s %7s %7s %6s %6s %s\n", "name", "d", "ws", "rows", "median ns",
          "GB/s", "vs copy", "vs NT", "cv%", "mad%", "notes (samples retaken: disturbed by the machine)");
  for (size_t i = 0; i < n; i++) {
    const nb_perf_row *r = &rows[i];
    char fc[16] = "", fn[16] = "", nr[24] = "-";
    if (!isnan(r->frac_copy)) snprintf(fc, sizeof fc, "%.2f", r->frac_copy);
    if (!isnan(r->frac_nt)) snprintf(fn, sizeof fn, "%.2f", r->frac_nt);
    if (r->k) snprintf(nr, sizeof nr, "%zu", r->rows);
    char notes[48] = "";
    if (r->r.retaken) snprintf(notes, sizeof notes, "%u retaken, %u kept disturbed", r->r.retaken, r->r.disturbed);
    fprintf(f, "%-34s %6zu %8s %7s %12.1f %8.2f %7s %7s %6.2f %6.2f %s%s\n", r->name, r->d,
            nb_ws_name(r->ws), nr, r->r.st.median, r->gbps, fc, fn, 100 * r->r.st.cv, r->r.st.mad_pct,
            r->r.noisy ? "NOISY " : "", notes);
  }
}

const char nb_perf_csv_header[] =
    "name,kind,op,dtype,d,working_set,ws_bytes,rows,repetitions,iterations,retaken,disturbed,reruns,noisy,"
    "median_ns,min_ns,mean_ns,stddev_ns,cv,mad_pct,cpu_median_ns,bytes_per_call,gbytes_per_s,"
    "copy_gbytes_per_s,frac_copy,nt_gbytes_per_s,frac_nt";

static void csv_num(FILE *f, double v) {
  if (isnan(v)) fputs(",", f);
  else fprintf(f, ",%.6g", v);
}

void nb_perf_write_csv(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n) {
  nb_machine_write(f, m, "# ");
  fprintf(f, "%s\n", nb_perf_csv_header);
  for (size_t i = 0; i < n; i++) {
    const nb_perf_row *r = &rows[i];
    fprintf(f, "%s,%s,%s,%s,%zu,%s,%zu,%zu,%u,%zu,%u,%u,%u,%d", r->name, row_kind(r),
            r->k ? nb_op_name(r->k->op) : "", r->k ? nb_dtype_name(r->k->dtype) : "f32", r->d,
            nb_ws_name(r->ws), r->ws_bytes, r->rows, r->r.repetitions, r->r.iterations, r->r.retaken,
            r->r.disturbed, r->r.reruns, r->r.noisy);
    csv_num(f, r->r.st.median);
    csv_num(f, r->r.st.min);
    csv_num(f, r->r.st.mean);
    csv_num(f, r->r.st.stddev);
    csv_num(f, r->r.st.cv);
    csv_num(f, r->r.st.mad_pct);
    csv_num(f, nb_median(r->r.cpu_ns, r->r.repetitions));
    csv_num(f, r->bytes);
    csv_num(f, r->gbps);
    csv_num(f, r->copy_gbps);
    csv_num(f, r->frac_copy);
    csv_num(f, r->nt_gbps);
    csv_num(f, r->frac_nt);
    fputc('\n', f);
  }
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
    else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
    else fputc(ch, f);
  }
  fputc('"', f);
}

/* JSON has no NaN: a missing ratio is null */
static void json_num(FILE *f, const char *key, double v, const char *sep) {
  if (isfinite(v)) fprintf(f, "\"%s\": %.17g%s", key, v, sep);
  else fprintf(f, "\"%s\": null%s", key, sep);
}

static void run_name(char *buf, size_t n, const nb_perf_row *r) {
  snprintf(buf, n, "%s/d:%zu/ws:%s", r->name, r->d, nb_ws_name(r->ws));
}

static void json_entry(FILE *f, const nb_perf_row *r, size_t family, size_t instance, const char *agg,
                       int rep, double real, double cpu, int last) {
  char rn[160], name[192];
  run_name(rn, sizeof rn, r);
  snprintf(name, sizeof name, "%s%s%s", rn, agg ? "_" : "", agg ? agg : "");
  fprintf(f, "    {\n      \"name\": ");
  json_str(f, name);
  fprintf(f, ",\n      \"family_index\": %zu,\n      \"per_family_instance_index\": %zu,\n", family, instance);
  fprintf(f, "      \"run_name\": ");
  json_str(f, rn);
  fprintf(f, ",\n      \"run_type\": \"%s\",\n      \"repetitions\": %u,\n", agg ? "aggregate" : "iteration",
          r->r.repetitions);
  if (agg)
    fprintf(f, "      \"threads\": 1,\n      \"aggregate_name\": \"%s\",\n      \"aggregate_unit\": \"%s\",\n",
            agg, strcmp(agg, "cv") ? "time" : "percentage");
  else
    fprintf(f, "      \"repetition_index\": %d,\n      \"threads\": 1,\n", rep);
  fprintf(f, "      \"iterations\": %zu,\n      ", r->r.iterations);
  json_num(f, "real_time", real, ",\n      ");
  json_num(f, "cpu_time", cpu, ",\n      \"time_unit\": \"ns\",\n      ");
  int is_cv = agg && !strcmp(agg, "cv");
  if (!is_cv) {
    json_num(f, "bytes_per_second", r->bytes / real * 1e9, ",\n      ");
    json_num(f, "items_per_second", r->items / real * 1e9, ",\n      ");
  }
  fprintf(f, "\"d\": %zu,\n      \"rows\": %zu,\n      \"working_set\": \"%s\",\n      \"ws_bytes\": %zu,\n      ",
          r->d, r->rows, nb_ws_name(r->ws), r->ws_bytes);
  json_num(f, "frac_copy", r->frac_copy, ",\n      ");
  json_num(f, "frac_nt", r->frac_nt, ",\n      ");
  fprintf(f, "\"retaken\": %u,\n      \"disturbed\": %u,\n      \"noisy\": %d\n    }%s\n", r->r.retaken,
          r->r.disturbed, r->r.noisy, last ? "" : ",");
}

/* Google Benchmark numbers families (one per benchmark name) in order of
 * first appearance; compare.py sorts by it. */
static size_t family_of(const nb_perf_row *rows, size_t i) {
  size_t first = 0, fam = 0;
  while (strcmp(rows[first].name, rows[i].name)) first++;
  for (size_t j = 0; j < first; j++) {
    size_t k = 0;
    while (strcmp(rows[k].name, rows[j].name)) k++;
    fam += k == j;
  }
  return fam;
}

void nb_perf_write_json(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n) {
  const nb_clock *c = m->clock;
  fprintf(f, "{\n  \"context\": {\n    \"date\": ");
  json_str(f, m->date);
  fprintf(f, ",\n    \"host_name\": ");
  json_str(f, m->host);
  fprintf(f, ",\n    \"executable\": \"normbench perf\",\n    \"num_cpus\": %d,\n    \"mhz_per_cpu\": %.0f,\n",
          m->num_cpus, m->mhz);
  fprintf(f, "    \"cpu_scaling_enabled\": false,\n    \"caches\": [\n");
  for (int i = 0; i < m->ncaches; i++)
    fprintf(f, "      {\"type\": \"%s\", \"level\": %d, \"size\": %zu, \"num_sharing\": %d, \"source\": \"%s\"}%s\n",
            m->caches[i].type, m->caches[i].level, m->caches[i].size, m->caches[i].num_sharing,
            nb_source_name(m->caches[i].src), i + 1 < m->ncaches ? "," : "");
  fprintf(f, "    ],\n    \"load_avg\": [],\n    \"library_build_type\": \"%s\",\n",
          strcmp(m->build_type, "debug") ? "release" : "debug");
  fprintf(f, "    \"normbench\": {\n      \"cpu_model\": ");
  json_str(f, m->cpu_model);
  fprintf(f, ",\n      \"features\": ");
  json_str(f, m->features);
  fprintf(f, ",\n      \"compiler\": ");
  json_str(f, m->compiler);
  fprintf(f, ",\n      \"cflags\": ");
  json_str(f, m->cflags);
  fprintf(f, ",\n      \"build_type\": ");
  json_str(f, m->build_type);
  fprintf(f, ",\n      \"git\": ");
  json_str(f, m->git);
  fprintf(f, ",\n      \"clock\": \"%s\",\n      ", c->name);
  json_num(f, "clock_resolution_ns", c->resolution_ns, ",\n      ");
  json_num(f, "clock_overhead_ns", c->overhead_ns, ",\n      ");
  fprintf(f, "\"pinned_cpu\": %d,\n      \"probe_isa\": \"%s\",\n", m->pinned_cpu, nb_probe_isa());
  fprintf(f, "      \"bytes\": \"x read + y written (rows * d elements each), + g and b read once per call\"\n");
  fprintf(f, "    }\n  },\n  \"benchmarks\": [\n");
  for (size_t i = 0; i < n; i++) {
    const nb_perf_row *r = &rows[i];
    size_t family = family_of(rows, i), instance = 0;
    for (size_t j = 0; j < i; j++) instance += strcmp(rows[j].name, r->name) == 0;
    for (unsigned k = 0; k < r->r.repetitions; k++)
      json_entry(f, r, family, instance, NULL, (int)k, r->r.ns[k], r->r.cpu_ns[k], 0);
    nb_stats cs = nb_stats_of(r->r.cpu_ns, r->r.repetitions);
    json_entry(f, r, family, instance, "mean", 0, r->r.st.mean, cs.mean, 0);
    json_entry(f, r, family, instance, "median", 0, r->r.st.median, cs.median, 0);
    json_entry(f, r, family, instance, "stddev", 0, r->r.st.stddev, cs.stddev, 0);
    json_entry(f, r, family, instance, "cv", 0, r->r.st.cv, cs.cv, i + 1 == n);
  }
  fprintf(f, "  ]\n}\n");
}
