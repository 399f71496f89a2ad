/* .npy reader and writer. The header is a Python dict literal; the parser
 * below accepts exactly what NumPy writes (any key order, either quote,
 * optional trailing commas, Python 2 'L' suffixes) and nothing executable.
 * Every read is bounded by an end pointer: this is the fuzz target. */
#include "npy.h"

#include "outfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c moves '<f4'/'<f2' data without byte swapping: little-endian hosts only"
#endif

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
enum { PREFIX_V1 = 10, PREFIX_V2 = 12 };
/* NumPy itself refuses headers above 10000 bytes unless told otherwise. */
#define MAX_HEADER (1u << 20)

static int fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Messages quote header bytes (keys, dtypes) and file names: escaped, so
 * that a newline or a terminal escape in a file cannot reach the terminal. */
static int fail(char *err, size_t n, const char *fmt, ...) {
  char raw[NB_NPY_ERRLEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  if (err && n) nb_file_escape(err, n, raw);
  return -1;
}

/* Magic, version and header length from the first bytes of a file; avail is
 * how many of them there are. On success *hoff is where the dict starts. */
static int parse_prefix(const unsigned char *b, size_t avail, size_t *hoff, size_t *hlen, char *err,
                        size_t n) {
  if (avail == 0) return fail(err, n, "empty file");
  if (memcmp(b, magic, avail < 6 ? avail : 6) != 0) return fail(err, n, "not a .npy file (bad magic)");
  if (avail < 8) return fail(err, n, "truncated: file ends inside the .npy magic/version");
  if (b[6] == 1 && b[7] == 0) {
    if (avail < PREFIX_V1) return fail(err, n, "truncated: file ends inside the header length");
    *hoff = PREFIX_V1;
    *hlen = (size_t)b[8] | (size_t)b[9] << 8;
  } else if (b[6] == 2 && b[7] == 0) {
    if (avail < PREFIX_V2) return fail(err, n, "truncated: file ends inside the header length");
    *hoff = PREFIX_V2;
    uint32_t l = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
    if (l > MAX_HEADER) return fail(err, n, "header length %u exceeds the %u-byte limit", (unsigned)l, MAX_HEADER);
    *hlen = l;
  } else {
    return fail(err, n, "unsupported .npy format version %u.%u (reads 1.0 and 2.0)", b[6], b[7]);
  }
  return 0;
}

typedef struct {
  const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int eat(cursor *c, char ch) {
  skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* A quoted string without escapes (no dtype or key needs one). */
static int quoted(cursor *c, char *out, size_t cap) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return -1;
  char q = *c->p++;
  size_t k = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || k + 1 >= cap) return -1;
    out[k++] = *c->p++;
  }
  if (c->p >= c->end) return -1;
  c->p++;
  out[k] = 0;
  return 0;
}

static int word(cursor *c, const char *w) {
  size_t l = strlen(w);
  skip_ws(c);
  if ((size_t)(c->end - c->p) < l || memcmp(c->p, w, l) != 0) return 0;
  c->p += l;
  return 1;
}

/* A non-negative integer, saturated at 2^40 (already far too large).
 * Returns 0, -1 if malformed, -2 if negative. */
static int dim(cursor *c, uint64_t *v) {
  const uint64_t sat = 1ull << 40;
  skip_ws(c);
  if (c->p < c->end && *c->p == '-') return -2;
  if (c->p >= c->end || *c->p < '0' || *c->p > '9') return -1;
  *v = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    *v = *v * 10 + (uint64_t)(*c->p++ - '0');
    if (*v > sat) *v = sat;
  }
  if (c->p < c->end && *c->p == 'L') c->p++;
  return 0;
}

static int parse_shape(cursor *c, nb_npy *a, uint64_t *shape, char *err, size_t n) {
  if (!eat(c, '(')) return fail(err, n, "malformed header: 'shape' is not a tuple");
  int comma = 0;
  a->ndim = 0;
  while (!eat(c, ')')) {
    if (a->ndim == 2) return fail(err, n, "more than 2 dimensions in shape (want 1-D or 2-D)");
    int r = dim(c, &shape[a->ndim]);
    if (r == -2) return fail(err, n, "negative dimension in shape");
    if (r) return fail(err, n, "malformed header: bad dimension in 'shape'");
    a->ndim++;
    comma = eat(c, ',');
    skip_ws(c);
    if (!comma && (c->p >= c->end || *c->p != ')')) return fail(err, n, "malformed header: bad 'shape' tuple");
  }
  if (a->ndim == 1 && !comma) return fail(err, n, "malformed header: 'shape' (n) is not a tuple, want (n,)");
  if (a->ndim == 0) return fail(err, n, "0-dimensional array (want 1-D or 2-D)");
  return 0;
}

static int parse_descr(const char *d, nb_npy *a, char *err, size_t n) {
  if (!strcmp(d, "<f4"))
    a->dtype = NB_F32;
  else if (!strcmp(d, "<f2"))
    a->dtype = NB_F16;
  else if (d[0] == '>' && (!strcmp(d + 1, "f4") || !strcmp(d + 1, "f2")))
    return fail(err, n, "big-endian dtype '%s' (save with .astype('<%s'))", d, d + 1);
  else
    return fail(err, n, "unsupported dtype '%s' (want '<f4' or '<f2')", d);
  return 0;
}

/* The dict {'descr': ..., 'fortran_order': ..., 'shape': ...}: exactly
 * these keys, then only padding. Fills dtype, ndim, shape and sizes. */
static int parse_dict(const char *s, size_t len, nb_npy *a, size_t *bytes, char *err, size_t n) {
  cursor c = {s, s + len};
  char key[16], descr[32];
  int seen[3] = {0, 0, 0}, fortran = 0;
  uint64_t shape[2] = {0, 0};
  if (!eat(&c, '{')) return fail(err, n, "malformed header: no '{'");
  while (!eat(&c, '}')) {
    if (quoted(&c, key, sizeof key)) return fail(err, n, "malformed header: expected a quoted key");
    if (!eat(&c, ':')) return fail(err, n, "malformed header: no ':' after '%s'", key);
    int k = !strcmp(key, "descr") ? 0 : !strcmp(key, "fortran_order") ? 1 : !strcmp(key, "shape") ? 2 : -1;
    if (k < 0) return fail(err, n, "malformed header: unknown key '%s'", key);
    if (seen[k]++) return fail(err, n, "malformed header: key '%s' twice", key);
    if (k == 0 && quoted(&c, descr, sizeof descr))
      return fail(err, n, "malformed header: 'descr' is not a simple dtype string");
    if (k == 1) {
      if (word(&c, "True"))
        fortran = 1;
      else if (!word(&c, "False"))
        return fail(err, n, "malformed header: 'fortran_order' is not True or False");
    }
    if (k == 2 && parse_shape(&c, a, shape, err, n)) return -1;
    if (!eat(&c, ',')) {
      if (eat(&c, '}')) break;
      return fail(err, n, "malformed header: expected ',' or '}' after '%s'", key);
    }
  }
  skip_ws(&c);
  if (c.p != c.end) return fail(err, n, "malformed header: bytes after the dict");
  for (int k = 0; k < 3; k++)
    if (!seen[k]) return fail(err, n, "malformed header: no '%s'", k == 0 ? "descr" : k == 1 ? "fortran_order" : "shape");
  if (parse_descr(descr, a, err, n)) return -1;
  if (fortran) return fail(err, n, "fortran_order is True (save a C-order array: np.ascontiguousarray)");
  /* Each dim <= 2^40, so the product of two fits in 2^80: check by division. */
  uint64_t count = shape[0], size = nb_dtype_size(a->dtype), lim = NB_NPY_MAX_BYTES / size;
  if (a->ndim == 2) count = shape[1] && count > lim / shape[1] ? lim + 1 : count * shape[1];
  if (count > lim || count * size > SIZE_MAX)
    return fail(err, n, "shape too large: more than %llu bytes of data", (unsigned long long)NB_NPY_MAX_BYTES);
  a->shape[0] = (size_t)shape[0];
  a->shape[1] = (size_t)shape[1];
  a->rows = a->ndim == 2 ? a->shape[0] : 1;
  a->cols = a->ndim == 2 ? a->shape[1] : a->shape[0];
  a->count = (size_t)count;
  *bytes = (size_t)(count * size);
  return 0;
}

static int check_size(size_t have, size_t want, char *err, size_t n) {
  if (have < want)
    return fail(err, n, "truncated data: the header promises %zu bytes, the file has %zu", want, have);
  if (have > want) return fail(err, n, "%zu bytes of trailing garbage after the data", have - want);
  return 0;
}

int nb_npy_parse(const void *buf, size_t len, nb_npy *a, char *err, size_t n) {
  const unsigned char *b = buf;
  size_t hoff = 0, hlen = 0, bytes = 0;
  memset(a, 0, sizeof *a);
  if (parse_prefix(b, len, &hoff, &hlen, err, n)) return -1;
  if (hlen > len - hoff) return fail(err, n, "truncated: header of %zu bytes runs past the end of the file", hlen);
  if (parse_dict((const char *)b + hoff, hlen, a, &bytes, err, n) ||
      check_size(len - hoff - hlen, bytes, err, n)) {
    memset(a, 0, sizeof *a);
    return -1;
  }
  if (bytes) {
    if (!(a->data = malloc(bytes))) {
      memset(a, 0, sizeof *a);
      return fail(err, n, "out of memory for %zu bytes", bytes);
    }
    memcpy(a->data, b + hoff + hlen, bytes);
  }
  return 0;
}

int nb_npy_read(const char *path, nb_npy *a, char *err, size_t n) {
  unsigned char pre[PREFIX_V2];
  char *hdr = NULL;
  size_t hoff = 0, hlen = 0, bytes = 0;
  struct stat st;
  memset(a, 0, sizeof *a);
  const char *why;
  FILE *f = nb_file_open_regular(path, &why);
  if (!f) return fail(err, n, "cannot open: %s", why);
  if (fstat(fileno(f), &st)) {
    fclose(f);
    return fail(err, n, "cannot open: %s", strerror(errno));
  }
  size_t size = (size_t)st.st_size;
  size_t got = fread(pre, 1, size < sizeof pre ? size : sizeof pre, f);
  if (parse_prefix(pre, got, &hoff, &hlen, err, n)) goto out;
  if (hlen > size - hoff) {
    fail(err, n, "truncated: header of %zu bytes runs past the end of the file", hlen);
    goto out;
  }
  if (!(hdr = malloc(hlen ? hlen : 1))) {
    fail(err, n, "out of memory for the header");
    goto out;
  }
  if (fseek(f, (long)hoff, SEEK_SET) || fread(hdr, 1, hlen, f) != hlen) {
    fail(err, n, "read error in the header");
    goto out;
  }
  if (parse_dict(hdr, hlen, a, &bytes, err, n) || check_size(size - hoff - hlen, bytes, err, n)) goto out;
  if (bytes && !(a->data = malloc(bytes))) {
    fail(err, n, "out of memory for %zu bytes", bytes);
    goto out;
  }
  /* The file may have shrunk since fstat; one more byte must then fail too. */
  if (fread(a->data, 1, bytes, f) != bytes || fgetc(f) != EOF) {
    fail(err, n, "the file changed size while being read");
    goto out;
  }
  free(hdr);
  fclose(f);
  return 0;
out:
  free(hdr);
  free(a->data);
  memset(a, 0, sizeof *a);
  fclose(f);
  return -1;
}

int nb_npy_write(const char *path, nb_dtype dt, int ndim, const size_t *shape, const void *data, char *err,
                 size_t n) {
  char h[256];
  int k;
  if (dt == NB_BF16) return fail(err, n, "bf16 has no .npy dtype");
  if (ndim == 1)
    k = snprintf(h, sizeof h, "{'descr': '<f%d', 'fortran_order': False, 'shape': (%zu,), }", dt == NB_F32 ? 4 : 2,
                 shape[0]);
  else if (ndim == 2)
    k = snprintf(h, sizeof h, "{'descr': '<f%d', 'fortran_order': False, 'shape': (%zu, %zu), }",
                 dt == NB_F32 ? 4 : 2, shape[0], shape[1]);
  else
    return fail(err, n, "cannot write a %d-dimensional array", ndim);
  size_t count = shape[0] * (ndim == 2 ? shape[1] : 1), bytes = count * nb_dtype_size(dt);
  /* Pad with spaces and a final newline so the data starts 64-byte aligned. */
  size_t hlen = ((PREFIX_V1 + (size_t)k + 1 + 63) & ~(size_t)63) - PREFIX_V1;
  unsigned char pre[PREFIX_V1];
  memcpy(pre, magic, sizeof magic);
  pre[6] = 1;
  pre[7] = 0;
  pre[8] = (unsigned char)(hlen & 0xff);
  pre[9] = (unsigned char)(hlen >> 8);
  memset(h + k, ' ', hlen - (size_t)k - 1);
  h[hlen - 1] = '\n';
  nb_outfile o;
  if (nb_out_open(&o, path)) return fail(err, n, "cannot create '%s': %s", path, nb_out_why(&o));
  errno = 0;
  if (fwrite(pre, 1, sizeof pre, o.f) != sizeof pre || fwrite(h, 1, hlen, o.f) != hlen ||
      fwrite(data, 1, bytes, o.f) != bytes) {
    int e = errno ? errno : EIO;
    nb_out_abort(&o);
    return fail(err, n, "cannot write '%s': %s", path, strerror(e));
  }
  if (nb_out_commit(&o)) return fail(err, n, "cannot write '%s': %s", path, nb_out_why(&o));
  return 0;
}

void nb_npy_free(nb_npy *a) {
  free(a->data);
  memset(a, 0, sizeof *a);
}
