#include "arrays.h"

#include "outfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return -1;
}

void nb_arr_free(nb_array *a) {
  free(a->data);
  memset(a, 0, sizeof *a);
}

/* The value of 'key' in the header dict: the text after "'key':" up to
 * the matching end (a quote for strings, ')' for tuples). */
static const char *field(const char *h, const char *key) {
  char pat[32];
  snprintf(pat, sizeof pat, "'%s':", key);
  const char *p = strstr(h, pat);
  if (!p) return NULL;
  p += strlen(pat);
  while (*p == ' ') p++;
  return p;
}

static int parse_header(const char *h, nb_array *a, size_t *shape, char *err, size_t n) {
  const char *descr = field(h, "descr"), *order = field(h, "fortran_order"), *sh = field(h, "shape");
  if (!descr || !order || !sh) return fail(err, n, "header lacks descr, fortran_order or shape");
  if (!strncmp(descr, "'<f4'", 5))
    a->dtype = NB_F32;
  else if (!strncmp(descr, "'<f2'", 5))
    a->dtype = NB_F16;
  else
    return fail(err, n, "dtype %.*s is not '<f4' or '<f2'", (int)strcspn(descr + 1, "'") + 2, descr);
  if (strncmp(order, "False", 5)) return fail(err, n, "Fortran-order arrays are not supported");
  if (*sh++ != '(') return fail(err, n, "malformed shape");
  a->ndim = 0;
  for (;;) {
    while (*sh == ' ') sh++;
    if (*sh == ')') break;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(sh, &end, 10);
    if (end == sh || errno || *sh == '-' || v > (1ull << 40)) return fail(err, n, "malformed shape");
    if (a->ndim == 2) return fail(err, n, "more than 2 dimensions");
    shape[a->ndim++] = (size_t)v;
    sh = end;
    while (*sh == ' ') sh++;
    if (*sh == ',') sh++;
    else if (*sh != ')') return fail(err, n, "malformed shape");
  }
  if (a->ndim == 0) return fail(err, n, "0-dimensional array");
  return 0;
}

int nb_arr_load(const char *path, nb_array *a, char *err, size_t n) {
  memset(a, 0, sizeof *a);
  FILE *f = fopen(path, "rb");
  if (!f) return fail(err, n, "%s: %s", path, strerror(errno));
  unsigned char pre[10];
  char *h = NULL;
  size_t shape[2] = {0, 0};
  int rc = -1;
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6)) {
    fail(err, n, "%s: not a .npy file", path);
    goto out;
  }
  if (pre[6] != 1 || pre[7] != 0) {
    fail(err, n, "%s: .npy format %d.%d (only 1.0 is read)", path, pre[6], pre[7]);
    goto out;
  }
  size_t hlen = pre[8] | (size_t)pre[9] << 8;
  h = malloc(hlen + 1);
  if (!h || fread(h, 1, hlen, f) != hlen) {
    fail(err, n, "%s: truncated header", path);
    goto out;
  }
  h[hlen] = 0;
  if (strlen(h) != hlen || hlen == 0 || h[hlen - 1] != '\n') {
    fail(err, n, "%s: malformed header", path);
    goto out;
  }
  char why[NB_ARR_ERRLEN];
  if (parse_header(h, a, shape, why, sizeof why)) {
    fail(err, n, "%s: %s", path, why);
    goto out;
  }
  a->rows = a->ndim == 2 ? shape[0] : 1;
  a->cols = a->ndim == 2 ? shape[1] : shape[0];
  size_t count = a->rows * a->cols, sz = a->dtype == NB_F32 ? 4 : 2;
  if (count == 0) {
    fail(err, n, "%s: empty array", path);
    goto out;
  }
  unsigned char *raw = malloc(count * sz);
  a->data = malloc(count * sizeof *a->data);
  if (!raw || !a->data) {
    free(raw);
    fail(err, n, "%s: out of memory", path);
    goto out;
  }
  size_t got = fread(raw, sz, count, f);
  int extra = fgetc(f) != EOF;
  if (got != count || extra) {
    free(raw);
    fail(err, n, "%s: %s", path, got != count ? "truncated data" : "trailing bytes after the data");
    goto out;
  }
  for (size_t i = 0; i < count; i++) {
    const unsigned char *p = raw + i * sz;
    if (sz == 4) {
      uint32_t u = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
      memcpy(&a->data[i], &u, 4);
    } else {
      a->data[i] = nb_f16_to_f32((uint16_t)(p[0] | p[1] << 8));
    }
  }
  free(raw);
  rc = 0;
out:
  fclose(f);
  free(h);
  if (rc) nb_arr_free(a);
  return rc;
}

int nb_arr_save(const char *path, int ndim, size_t rows, size_t cols, const float *data, char *err,
                size_t n) {
  char dict[128];
  if (ndim == 1)
    snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu,), }", cols);
  else
    snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", rows,
             cols);
  size_t len = strlen(dict), total = (10 + len + 1 + 63) / 64 * 64; /* data 64-byte aligned */
  size_t hlen = total - 10;
  nb_outfile o;
  if (nb_out_open(&o, path)) return fail(err, n, "%s: %s", path, strerror(errno));
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff),
                           (unsigned char)(hlen >> 8)};
  fwrite(pre, 1, 10, o.f);
  fprintf(o.f, "%s%*s\n", dict, (int)(hlen - len - 1), "");
  for (size_t i = 0; i < rows * cols; i++) {
    uint32_t u;
    memcpy(&u, &data[i], 4);
    unsigned char b[4] = {u & 0xff, u >> 8 & 0xff, u >> 16 & 0xff, u >> 24};
    fwrite(b, 1, 4, o.f);
  }
  if (ferror(o.f) || nb_out_commit(&o)) {
    nb_out_abort(&o);
    return fail(err, n, "%s: write failed", path);
  }
  return 0;
}
