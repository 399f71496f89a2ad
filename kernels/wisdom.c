/* Wisdom files: what a wisdom file is tied to (build id, registry hash, CPU
 * signature), and its reader and writer. The format is in normbench.h. */
#include "dispatch.h"
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

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define MAGIC "normbench-wisdom"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char build[256], sig[512];

static int read_line(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int ok = fgets(buf, (int)n, f) != NULL;
  fclose(f);
  if (!ok) return -1;
  buf[strcspn(buf, "\n")] = 0;
  return 0;
}

/* Cache sizes from /sys (Linux), e.g. "L1d:48K,L1i:32K,L2:1024K,L3:32768K". */
static void caches(char *out, size_t n) {
  size_t used = 0;
  out[0] = 0;
  for (int i = 0; i < 16; i++) {
    char p[96], level[16], type[32], size[32];
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
    if (read_line(p, level, sizeof level)) break;
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
    if (read_line(p, type, sizeof type)) break;
    snprintf(p, sizeof p, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    if (read_line(p, size, sizeof size)) break;
    const char *t = !strcmp(type, "Data") ? "d" : !strcmp(type, "Instruction") ? "i" : "";
    int w = snprintf(out + used, n - used, "%sL%s%s:%s", used ? "," : "", level, t, size);
    if (w < 0 || (size_t)w >= n - used) break;
    used += (size_t)w;
  }
  if (!used) snprintf(out, n, "unknown");
}

/* x86: the CPUID vendor string; AArch64: MIDR_EL1 as Linux exports it. */
static void vendor(char *out, size_t n) {
  snprintf(out, n, "unknown");
#if defined(__x86_64__) || defined(__i386__)
  unsigned a, r[3];
  if (__get_cpuid(0, &a, &r[0], &r[2], &r[1])) {
    memcpy(out, r, 12 < n ? 12 : n - 1);
    out[12 < n ? 12 : n - 1] = 0;
  }
#else
  char midr[32];
  if (!read_line("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1", midr, sizeof midr))
    snprintf(out, n, "midr=%s", midr);
#endif
}

static void init(void) {
  char v[64], c[256];
  snprintf(build, sizeof build, "%s+%s %s %s", NB_VERSION, NB_GIT, NB_COMPILER, NB_BUILD_TYPE);
  vendor(v, sizeof v);
  caches(c, sizeof c);
  snprintf(sig, sizeof sig, "vendor=%s model=%s features=%08x caches=%s", v, nb_cpu_model(),
           (unsigned)nb_cpu_features(), c);
}

const char *nb_build_id(void) {
  pthread_once(&once, init);
  return build;
}

/* Features after NORMBENCH_CPU_DISABLE: a file measured with a feature
 * hidden does not describe the CPU with it visible. */
const char *nb_cpu_signature(void) {
  pthread_once(&once, init);
  return sig;
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

/* The message quotes the path and the file's own lines: escaped, so that it
 * stays one printable line whatever bytes they hold. */
__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t n, const char *fmt, ...) {
  char raw[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  if (why && n) nb_file_escape(why, n, raw);
  return -1;
}

static int header(FILE *f, const char *path, const char *key, const char *want, const char *what,
                  char *why, size_t n) {
  char line[1024];
  size_t kl = strlen(key);
  if (!fgets(line, sizeof line, f) || !strchr(line, '\n'))
    return fail(why, n, "wisdom file %s: no %s line", path, what);
  line[strcspn(line, "\n")] = 0;
  if (strncmp(line, key, kl) || line[kl] != ' ')
    return fail(why, n, "wisdom file %s: no %s line", path, what);
  if (strcmp(line + kl + 1, want))
    return fail(why, n, "wisdom file %s: %s differs: file has '%s', this one is '%s'", path, what,
                line + kl + 1, want);
  return 0;
}

static int find_op(const char *s, nb_op *op) {
  for (int i = NB_RMSNORM; i <= NB_LAYERNORM; i++)
    if (!strcmp(s, nb_op_name((nb_op)i))) return *op = (nb_op)i, 0;
  return -1;
}

static int find_dtype(const char *s, nb_dtype *dt) {
  for (int i = NB_F32; i <= NB_BF16; i++)
    if (!strcmp(s, nb_dtype_name((nb_dtype)i))) return *dt = (nb_dtype)i, 0;
  return -1;
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
    return fail(why, n, "wisdom file %s: line %d: want 'op dtype dmin dmax kernel budget speedup'", path, no);
  if (find_op(ops, &op) || find_dtype(dts, &dt))
    return fail(why, n, "wisdom file %s: line %d: unknown op or dtype '%s %s'", path, no, ops, dts);
  unsigned b = nb_bucket(dmin);
  if (b >= NB_BUCKETS || dmin != nb_bucket_min(b) || dmax != nb_bucket_max(b))
    return fail(why, n, "wisdom file %s: line %d: %zu..%zu is not a D bucket (2^(k-1), 2^k]", path, no,
                dmin, dmax);
  const nb_kernel *k = nb_kernel_find(name);
  if (!k || k->op != op || k->dtype != dt || !nb_kernel_runs_here(k))
    return fail(why, n, "wisdom file %s: line %d: '%s' is not a %s %s kernel this CPU runs", path, no, name,
                ops, dts);
  if (!(budget > 0) || !isfinite(budget) || !(speedup > 0) || !isfinite(speedup))
    return fail(why, n, "wisdom file %s: line %d: budget and speed-up must be positive", path, no);
  if (t->e[op][dt][b].k)
    return fail(why, n, "wisdom file %s: line %d: second line for %s %s D %zu..%zu", path, no, ops, dts, dmin,
                dmax);
  t->e[op][dt][b] = (nb_wis){k, budget, speedup};
  return 0;
}

int nb_wisdom_read(const char *path, nb_wis_table *t, char *why, size_t n) {
  char want[64], line[1024];
  const char *err = strerror(EINVAL);
  FILE *f = path ? nb_file_open_regular(path, &err) : NULL;
  if (!f) return fail(why, n, "wisdom file %s: %s", path ? path : "(null)", err);
  memset(t, 0, sizeof *t);
  snprintf(want, sizeof want, "%d", NB_WISDOM_VERSION);
  int rc = header(f, path, MAGIC, want, "format version", why, n);
  if (!rc) rc = header(f, path, "build", nb_build_id(), "build id", why, n);
  snprintf(want, sizeof want, "%016llx", (unsigned long long)nb_registry_hash());
  if (!rc) rc = header(f, path, "registry", want, "registry hash", why, n);
  if (!rc) rc = header(f, path, "cpu", nb_cpu_signature(), "CPU signature", why, n);
  for (int no = 5; !rc && fgets(line, sizeof line, f); no++) {
    if (!strchr(line, '\n') && !feof(f))
      rc = fail(why, n, "wisdom file %s: line %d is too long", path, no);
    else if (line[strspn(line, " \t\r\n")] && line[0] != '#')
      rc = body_line(line, t, why, n, path, no);
  }
  if (!rc && ferror(f)) rc = fail(why, n, "wisdom file %s: read error", path);
  fclose(f);
  return rc;
}

int nb_wisdom_load(const char *path, char *why, size_t n) {
  nb_wis_table *t = malloc(sizeof *t);
  if (!t) return fail(why, n, "wisdom file %s: out of memory", path ? path : "(null)");
  int rc = nb_wisdom_read(path, t, why, n);
  if (!rc) nb_wisdom_install(t);
  free(t);
  return rc;
}

/* ---- writer -------------------------------------------------------------
 * file.c's rules (temporary file renamed into place, devices and FIFOs
 * written through), without the harness's signal handling: an application
 * saving wisdom owns its signals. */

static void write_all(FILE *f) {
  fprintf(f, MAGIC " %d\nbuild %s\nregistry %016llx\ncpu %s\n", NB_WISDOM_VERSION, nb_build_id(),
          (unsigned long long)nb_registry_hash(), nb_cpu_signature());
  fprintf(f, "# op dtype dmin dmax kernel budget measured_speedup\n");
  for (int op = NB_RMSNORM; op <= NB_LAYERNORM; op++)
    for (int dt = NB_F32; dt <= NB_BF16; dt++)
      for (unsigned b = 0; b <= NB_WISDOM_MAXB; b++) {
        nb_wis e = nb_dispatch_entry((nb_op)op, (nb_dtype)dt, b);
        if (e.k)
          fprintf(f, "%s %s %zu %zu %s %.17g %.4f\n", nb_op_name((nb_op)op), nb_dtype_name((nb_dtype)dt),
                  nb_bucket_min(b), nb_bucket_max(b), e.k->name, e.budget, e.speedup);
      }
}

int nb_wisdom_save(const char *path) {
  nb_file o;
  if (nb_file_create(&o, path)) return -1;
  write_all(o.f);
  return nb_file_commit(&o); /* fails, leaving path as it was, on any write error */
}
