#include "perf.h"

#include "schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- runs ---------------------------------------------------------------------- */

static void finish(nb_perf_row *row, const nb_workload *w) {
  row->ws = w->ws;
  /* x + y; AddRMSNorm also its residual, over the same rows; the quantized
   * ops' y is a byte an element */
  size_t sz = nb_dtype_size(w->dtype);
  row->ws_bytes = row->k && nb_op_quantized(row->k->op) ? w->rows * w->d * (sz + 1)
                  : (row->k && row->k->op == NB_ADDRMSNORM ? 3 : 2) * w->rows * w->d * sz;
  row->d = w->d;
  row->threads = w->threads;
  row->gbps = row->bytes / row->r.st.median;
  row->rows_per_s = NAN;
  row->copy_gbps = row->nt_gbps = row->frac_copy = row->frac_nt = NAN;
}

int nb_perf_kernel(const nb_kernel *k, nb_workload *w, const nb_measure_opts *o, nb_perf_row *row, char *err,
                   size_t errn) {
  memset(row, 0, sizeof *row);
  if (nb_measure_kernel(k, w, o, &row->r, err, errn)) return -1;
  row->name = k->name;
  row->k = k;
  row->rows = w->rows;
  row->bytes = nb_workload_bytes(w, k);
  row->items = (double)(w->rows * w->d);
  finish(row, w);
  row->rows_per_s = (double)w->rows / row->r.st.median * 1e9;
  return 0;
}

int nb_perf_probe(nb_probe p, nb_workload *w, const nb_measure_opts *o, nb_perf_row *row) {
  memset(row, 0, sizeof *row);
  if (nb_measure_probe(p, w, o, &row->r)) return -1;
  row->name = nb_probe_name(p);
  row->bytes = nb_probe_bytes(p, w);
  row->items = row->bytes / 4 / (p == NB_PROBE_READ ? 1 : 2);
  finish(row, w);
  return 0;
}

static int same_ws(const nb_perf_row *a, const nb_perf_row *b) {
  /* shapes by rows: the probe of that D; sizes: one probe for every D */
  int by_rows = a->ws.kind >= NB_WS_DECODE && a->ws.kind != NB_WS_PREFILL;
  return a->ws.kind == b->ws.kind && a->ws.bytes == b->ws.bytes && a->ws.rows == b->ws.rows &&
         a->threads == b->threads && (!by_rows || a->d == b->d);
}

void nb_perf_link_probes(nb_perf_row *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!rows[i].k) continue;
    for (size_t j = 0; j < n; j++) {
      if (rows[j].k || !same_ws(&rows[i], &rows[j])) continue;
      if (strcmp(rows[j].name, nb_probe_name(NB_PROBE_COPY)) == 0) rows[i].copy_gbps = rows[j].gbps;
      if (strcmp(rows[j].name, nb_probe_name(NB_PROBE_COPY_NT)) == 0) rows[i].nt_gbps = rows[j].gbps;
    }
    rows[i].frac_copy = rows[i].gbps / rows[i].copy_gbps;
    if (rows[i].ws.kind == NB_WS_MEM || rows[i].ws.kind == NB_WS_PREFILL) rows[i].frac_nt = rows[i].gbps / rows[i].nt_gbps;
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
          "residual read + r, y written, + g (its ws: x + residual + y); rmsnorm_i8, rmsnorm_e4m3: x read + "
          "y written at 1 byte an element, + g, + rmsnorm_i8's scales (a float per row)\n",
          prefix);
}

static const char *row_kind(const nb_perf_row *r) {
  return !r->k ? "probe" : (r->k->flags & NB_K_EXTERNAL) ? "external" : "kernel";
}

void nb_perf_write_table(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n) {
  nb_machine_write(f, m, "# ");
  fprintf(f, "%-34s %6s %8s %7s %3s %12s %8s %10s %7s %7s %6s %6s %s\n", "name", "d", "ws", "rows", "thr",
          "median ns", "GB/s", "rows/s", "vs copy", "vs NT", "cv%", "mad%",
          "notes (samples retaken: disturbed by the machine)");
  for (size_t i = 0; i < n; i++) {
    const nb_perf_row *r = &rows[i];
    char fc[16] = "", fn[16] = "", nr[24] = "-", rs[24] = "-";
    if (!isnan(r->frac_copy)) snprintf(fc, sizeof fc, "%.2f", r->frac_copy);
    if (!isnan(r->frac_nt)) snprintf(fn, sizeof fn, "%.2f", r->frac_nt);
    if (r->k) snprintf(nr, sizeof nr, "%zu", r->rows), snprintf(rs, sizeof rs, "%.4g", r->rows_per_s);
    char notes[48] = "";
    if (r->r.retaken || r->r.disturbed)
      snprintf(notes, sizeof notes, "%u retaken, %u kept disturbed", r->r.retaken, r->r.disturbed);
    fprintf(f, "%-34s %6zu %8s %7s %3u %12.1f %8.2f %10s %7s %7s %6.2f %6.2f %s%s\n", r->name, r->d,
            nb_ws_name(r->ws), nr, r->threads, r->r.st.median, r->gbps, rs, fc, fn, 100 * r->r.st.cv, r->r.st.mad_pct,
            r->r.noisy ? "NOISY " : "", notes);
  }
}

static void csv_num(FILE *f, double v) {
  if (isnan(v)) fputs(",", f);
  else fprintf(f, ",%.6g", v);
}

void nb_perf_write_csv(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n) {
  nb_machine_write(f, m, "# ");
  nb_schema_header(f, &nb_schema_perf);
  for (size_t i = 0; i < n; i++) {
    const nb_perf_row *r = &rows[i];
    fprintf(f, "%s,%s,%s,%s,%zu,%s,%zu,%zu,%u,%u,%zu,%u,%u,%u,%d", r->name, row_kind(r),
            r->k ? nb_op_name(r->k->op) : "", r->k ? nb_dtype_name(r->k->dtype) : "f32", r->d,
            nb_ws_name(r->ws), r->ws_bytes, r->rows, r->threads, r->r.repetitions, r->r.iterations, r->r.retaken,
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
    csv_num(f, r->rows_per_s);
    csv_num(f, r->copy_gbps);
    csv_num(f, r->frac_copy);
    csv_num(f, r->nt_gbps);
    csv_num(f, r->frac_nt);
    csv_num(f, r->r.st.q1);
    csv_num(f, r->r.st.q3);
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
  if (r->threads > 1)
    snprintf(buf, n, "%s/d:%zu/ws:%s/threads:%u", r->name, r->d, nb_ws_name(r->ws), r->threads);
  else
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
    fprintf(f, "      \"threads\": %u,\n      \"aggregate_name\": \"%s\",\n      \"aggregate_unit\": \"%s\",\n",
            r->threads, agg, strcmp(agg, "cv") ? "time" : "percentage");
  else
    fprintf(f, "      \"repetition_index\": %d,\n      \"threads\": %u,\n", rep, r->threads);
  fprintf(f, "      \"iterations\": %zu,\n      ", r->r.iterations);
  json_num(f, "real_time", real, ",\n      ");
  json_num(f, "cpu_time", cpu, ",\n      \"time_unit\": \"ns\",\n      ");
  int is_cv = agg && !strcmp(agg, "cv");
  if (!is_cv) {
    json_num(f, "bytes_per_second", r->bytes / real * 1e9, ",\n      ");
    json_num(f, "items_per_second", r->items / real * 1e9, ",\n      ");
    if (r->k) json_num(f, "rows_per_second", (double)r->rows / real * 1e9, ",\n      ");
  }
  fprintf(f, "\"d\": %zu,\n      \"rows\": %zu,\n      \"working_set\": \"%s\",\n      \"ws_bytes\": %zu,\n      ",
          r->d, r->rows, nb_ws_name(r->ws), r->ws_bytes);
  json_num(f, "frac_copy", r->frac_copy, ",\n      ");
  json_num(f, "frac_nt", r->frac_nt, ",\n      ");
  /* the median's entry also carries the quartiles of the samples' real
   * time per call (extra fields: compare.py reads past them) */
  if (agg && !strcmp(agg, "median")) {
    json_num(f, "q1_ns", r->r.st.q1, ",\n      ");
    json_num(f, "q3_ns", r->r.st.q3, ",\n      ");
  }
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

static void json_context(FILE *f, const nb_machine *m, const char *executable) {
  const nb_clock *c = m->clock;
  fprintf(f, "{\n  \"context\": {\n    \"date\": ");
  json_str(f, m->date);
  fprintf(f, ",\n    \"host_name\": ");
  json_str(f, m->host);
  fprintf(f, ",\n    \"executable\": \"%s\",\n", executable);
  fprintf(f, "    \"num_cpus\": %d,\n    \"mhz_per_cpu\": %.0f,\n",
          m->num_cpus, m->mhz);
  /* Google Benchmark writes false when the governor is unknown, as here */
  fprintf(f, "    \"cpu_scaling_enabled\": %s,\n    \"caches\": [\n", m->cpu_scaling == 1 ? "true" : "false");
  for (int i = 0; i < m->ncaches; i++)
    fprintf(f, "      {\"type\": \"%s\", \"level\": %d, \"size\": %zu, \"num_sharing\": %d, \"source\": \"%s\"}%s\n",
            m->caches[i].type, m->caches[i].level, m->caches[i].size, m->caches[i].num_sharing,
            nb_source_name(m->caches[i].src), i + 1 < m->ncaches ? "," : "");
  fprintf(f, "    ],\n    \"load_avg\": [");
  if (m->have_load_avg) fprintf(f, "%.17g,%.17g,%.17g", m->load_avg[0], m->load_avg[1], m->load_avg[2]);
  fprintf(f, "],\n    \"library_build_type\": \"%s\",\n", strcmp(m->build_type, "debug") ? "release" : "debug");
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
  fprintf(f, "    }\n  },\n");
}

typedef void entry_fn(FILE *f, const nb_perf_row *r, size_t family, size_t instance, const char *agg, int rep,
                      double real, double cpu, int last);

/* Google Benchmark's runs of each row: one per repetition, then the
 * aggregates (mean, median, stddev, cv), for real and CPU time. */
static void each_entry(FILE *f, const nb_perf_row *rows, size_t n, entry_fn *emit) {
  for (size_t i = 0; i < n; i++) {
    const nb_perf_row *r = &rows[i];
    size_t family = family_of(rows, i), instance = 0;
    for (size_t j = 0; j < i; j++) instance += strcmp(rows[j].name, r->name) == 0;
    for (unsigned k = 0; k < r->r.repetitions; k++)
      emit(f, r, family, instance, NULL, (int)k, r->r.ns[k], r->r.cpu_ns[k], 0);
    nb_stats cs = nb_stats_of(r->r.cpu_ns, r->r.repetitions);
    emit(f, r, family, instance, "mean", 0, r->r.st.mean, cs.mean, 0);
    emit(f, r, family, instance, "median", 0, r->r.st.median, cs.median, 0);
    emit(f, r, family, instance, "stddev", 0, r->r.st.stddev, cs.stddev, 0);
    emit(f, r, family, instance, "cv", 0, r->r.st.cv, cs.cv, i + 1 == n);
  }
}

void nb_perf_write_json(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n) {
  json_context(f, m, "normbench perf");
  fprintf(f, "  \"benchmarks\": [\n");
  each_entry(f, rows, n, json_entry);
  fprintf(f, "  ]\n}\n");
}

/* One line of Google Benchmark's CSV: name (quoted), iterations, times in
 * ns, bytes and items per second (empty for cv, a ratio), label and error
 * fields empty. */
static void gbench_csv_entry(FILE *f, const nb_perf_row *r, size_t family, size_t instance, const char *agg, int rep,
                             double real, double cpu, int last) {
  char rn[160];
  (void)family, (void)instance, (void)rep, (void)last;
  run_name(rn, sizeof rn, r);
  fprintf(f, "\"%s%s%s\",%zu,%.17g,%.17g,ns,", rn, agg ? "_" : "", agg ? agg : "", r->r.iterations, real, cpu);
  if (agg && !strcmp(agg, "cv")) fprintf(f, ",,,,\n");
  else fprintf(f, "%.17g,%.17g,,,\n", r->bytes / real * 1e9, r->items / real * 1e9);
}

void nb_perf_write_gbench_csv(FILE *f, const nb_machine *m, const nb_perf_row *rows, size_t n) {
  (void)m;
  fprintf(f, "name,iterations,real_time,cpu_time,time_unit,bytes_per_second,items_per_second,label,error_occurred,"
             "error_message\n");
  each_entry(f, rows, n, gbench_csv_entry);
}

/* ---- records: compare and recommend ------------------------------------------------ */

static void csv_cell(FILE *f, const nb_val *v) {
  if (v->s) fputs(v->s, f); /* names and labels: never a comma */
  else if (!isnan(v->v)) fprintf(f, "%.6g", v->v);
}

void nb_records_write_csv(FILE *f, const nb_machine *m, const nb_records *r) {
  nb_machine_write(f, m, "# ");
  for (size_t i = 0; i < r->nnotes; i++) fprintf(f, "# %s\n", r->notes[i]);
  for (size_t c = 0; c < r->ncols; c++) fprintf(f, "%s%s", c ? "," : "", r->cols[c]);
  fputc('\n', f);
  for (size_t i = 0; i < r->nrows; i++) {
    for (size_t c = 0; c < r->ncols; c++) {
      if (c) fputc(',', f);
      csv_cell(f, &r->v[i * r->ncols + c]);
    }
    fputc('\n', f);
  }
}

void nb_records_write_json(FILE *f, const nb_machine *m, const nb_records *r) {
  json_context(f, m, r->what);
  fprintf(f, "  \"notes\": [");
  for (size_t i = 0; i < r->nnotes; i++) {
    fprintf(f, "%s\n    ", i ? "," : "");
    json_str(f, r->notes[i]);
  }
  fprintf(f, "\n  ],\n  \"results\": [\n");
  for (size_t i = 0; i < r->nrows; i++) {
    fprintf(f, "    {");
    for (size_t c = 0; c < r->ncols; c++) {
      const nb_val *v = &r->v[i * r->ncols + c];
      const char *sep = c + 1 < r->ncols ? ", " : "";
      if (v->s) {
        fprintf(f, "\"%s\": ", r->cols[c]);
        json_str(f, v->s);
        fputs(sep, f);
      } else {
        json_num(f, r->cols[c], v->v, sep);
      }
    }
    fprintf(f, "}%s\n", i + 1 < r->nrows ? "," : "");
  }
  fprintf(f, "  ]\n}\n");
}
