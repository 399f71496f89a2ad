/* Wisdom files: what a wisdom file is tied to (build id, registry hash, CPU
 * signature), and the codec between a file and a table (wisdom.h). The
 * format is in normbench.h. */
#include "wisdom.h"

#include "file.h"

#include "nb_build.h"
#include "nb_git.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "normbench-wisdom"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char build[256];

static void init(void) {
  snprintf(build, sizeof build, "%s+%s %s %s", NB_VERSION, NB_GIT, NB_COMPILER, NB_BUILD_TYPE);
}

const char *nb_build_id(void) {
  pthread_once(&once, init);
  return build;
}

uint64_t nb_registry_hash(void) {
  uint64_t h = 0xcbf29ce484222325u; /* FNV-1a 64 */
  for (size_t i = 0; i < nb_kernel_count(); i++) {
    const nb_kernel *k = nb_kernel_at(i);
    char row[256];
    snprintf(row, sizeof row, "%s %d %d %d %s %u %u %u\n", k->name, (int)k->op, (int)k->dtype,
             (int)k->algo, k->isa, (unsigned)k->needs, k->lanes, k->flags);
    for (const char *p = row; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3u;
  }
  return h;
}

/* ---- reader -------------------------------------------------------------- */

/* Returns code, the reason in why[n]. The message quotes the path and the
 * file's own lines: escaped, so that it stays one printable line whatever
 * bytes they hold. */
__attribute__((format(printf, 4, 5))) static int fail(int code, char *why, size_t n, const char *fmt, ...) {
  char raw[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  if (why && n) nb_file_escape(why, n, raw);
  return code;
}

static int header(FILE *f, const char *path, const char *key, const char *want, const char *what,
                  char *why, size_t n) {
  char line[1024];
  size_t kl = strlen(key);
  if (!fgets(line, sizeof line, f) || !strchr(line, '\n'))
    return fail(NB_EWISDOM_SYNTAX, why, n, "wisdom file %s: no %s line", path, what);
  line[strcspn(line, "\n")] = 0;
  if (strncmp(line, key, kl) || line[kl] != ' ')
    return fail(NB_EWISDOM_SYNTAX, why, n, "wisdom file %s: no %s line", path, what);
  if (strcmp(line + kl + 1, want))
    return fail(NB_EWISDOM_FOREIGN, why, n, "wisdom file %s: %s differs: file has '%s', this one is '%s'", path, what,
                line + kl + 1, want);
  return 0;
}

static int body_line(char *line, nb_wis_table *t, char *why, size_t n, const char *path, int no) {
  char ops[16], dts[16], name[128];
  size_t dmin, dmax;
  double budget, speedup;
  int end = 0;
  nb_op op;
  nb_dtype dt;
  if (sscanf(line, "%15s %15s %zu %zu %127s %lf %lf %n", ops, dts, &dmin, &dmax, name, &budget,
             &speedup, &end) != 7 || line[end])
    return fail(NB_EWISDOM_SYNTAX, why, n, "wisdom file %s: line %d: want 'op dtype dmin dmax kernel budget speedup'", path, no);
  if (nb_op_parse(ops, &op) || nb_dtype_parse(dts, &dt))
    return fail(NB_EWISDOM_SYNTAX, why, n, "wisdom file %s: line %d: unknown op or dtype '%s %s'", path, no, ops, dts);
  unsigned b = nb_bucket(dmin);
  if (b >= NB_BUCKETS || dmin != nb_bucket_min(b) || dmax != nb_bucket_max(b))
    return fail(NB_EWISDOM_SYNTAX, why, n, "wisdom file %s: line %d: %zu..%zu is not a D bucket (2^(k-1), 2^k]", path, no,
                dmin, dmax);
  const nb_kernel *k = nb_kernel_find(name);
  if (!k || k->op != op || k->dtype != dt || !nb_kernel_runs_here(k))
    return fail(NB_EWISDOM_KERNEL, why, n, "wisdom file %s: line %d: '%s' is not a %s %s kernel this CPU runs", path, no, name,
                ops, dts);
  if (!(budget > 0) || !isfinite(budget) || !(speedup > 0) || !isfinite(speedup))
    return fail(NB_EWISDOM_SYNTAX, why, n, "wisdom file %s: line %d: budget and speed-up must be positive", path, no);
  if (t->e[op][dt][b].k)
    return fail(NB_EWISDOM_SYNTAX, why, n, "wisdom file %s: line %d: second line for %s %s D %zu..%zu", path, no, ops, dts, dmin,
                dmax);
  t->e[op][dt][b] = (nb_wis){k, budget, speedup, no};
  return 0;
}

int nb_wis_read(const char *path, nb_wis_table *t, char *why, size_t n) {
  char want[64], line[1024];
  const char *err = strerror(EINVAL);
  FILE *f = path ? nb_file_open_regular(path, &err) : NULL;
  if (!f) return fail(NB_EWISDOM_IO, why, n, "wisdom file %s: %s", path ? path : "(null)", err);
  memset(t, 0, sizeof *t);
  snprintf(want, sizeof want, "%d", NB_WISDOM_VERSION);
  int rc = header(f, path, MAGIC, want, "format version", why, n);
  if (!rc) rc = header(f, path, "build", nb_build_id(), "build id", why, n);
  snprintf(want, sizeof want, "%016llx", (unsigned long long)nb_registry_hash());
  if (!rc) rc = header(f, path, "registry", want, "registry hash", why, n);
  if (!rc) rc = header(f, path, "cpu", nb_cpu_signature(), "CPU signature", why, n);
  for (int no = 5; !rc && fgets(line, sizeof line, f); no++) {
    if (!strchr(line, '\n') && !feof(f))
      rc = fail(NB_EWISDOM_SYNTAX, why, n, "wisdom file %s: line %d is too long", path, no);
    else if (line[strspn(line, " \t\r\n")] && line[0] != '#')
      rc = body_line(line, t, why, n, path, no);
  }
  if (!rc && ferror(f)) rc = fail(NB_EWISDOM_IO, why, n, "wisdom file %s: read error", path);
  fclose(f);
  return rc;
}

/* ---- writer -------------------------------------------------------------
 * file.c's rules (temporary file renamed into place, devices and FIFOs
 * written through), without the harness's signal handling: an application
 * saving wisdom owns its signals. */

static void write_all(FILE *f, const nb_wis_table *t) {
  fprintf(f, MAGIC " %d\nbuild %s\nregistry %016llx\ncpu %s\n", NB_WISDOM_VERSION, nb_build_id(),
          (unsigned long long)nb_registry_hash(), nb_cpu_signature());
  fprintf(f, "# op dtype dmin dmax kernel budget measured_speedup\n");
  for (int op = NB_RMSNORM; op <= NB_LAYERNORM; op++)
    for (int dt = NB_F32; dt <= NB_BF16; dt++)
      for (unsigned b = 0; b <= NB_WISDOM_MAXB; b++) {
        const nb_wis e = t->e[op][dt][b];
        if (e.k)
          fprintf(f, "%s %s %zu %zu %s %.17g %.4f\n", nb_op_name((nb_op)op), nb_dtype_name((nb_dtype)dt),
                  nb_bucket_min(b), nb_bucket_max(b), e.k->name, e.budget, e.speedup);
      }
}

int nb_wis_write(const char *path, const nb_wis_table *t) {
  nb_file o;
  if (nb_file_create(&o, path)) return NB_EWISDOM_IO;
  write_all(o.f, t);
  /* fails, leaving path as it was, on any write error */
  return nb_file_commit(&o) ? NB_EWISDOM_IO : NB_OK;
}
