/* Unit tests of harness/npy.c (TAP). The expected bytes come from the
 * format's specification (NEP 1 / numpy.lib.format), spelt out here, not
 * from the writer: magic, version, little-endian header length, a dict
 * literal padded with spaces and one newline to a 64-byte boundary. */
#include "npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n_test, n_fail;

static void ok(int cond, const char *fmt, const char *arg) {
  n_test++;
  if (!cond) n_fail++;
  printf("%s %d - ", cond ? "ok" : "not ok", n_test);
  printf(fmt, arg);
  putchar('\n');
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *b = malloc(1 << 16);
  *len = fread(b, 1, 1 << 16, f);
  fclose(f);
  return b;
}

/* A .npy image: prefix for version v (1 or 2), dict padded to 64 bytes,
 * then data_len bytes of 0x3c. */
static unsigned char *image(int v, const char *dict, size_t data_len, size_t *len) {
  size_t pre = v == 1 ? 10 : 12, dl = strlen(dict);
  size_t hlen = ((pre + dl + 1 + 63) / 64) * 64 - pre;
  unsigned char *b = malloc(pre + hlen + data_len + 1);
  memcpy(b, "\x93NUMPY", 6);
  b[6] = (unsigned char)v;
  b[7] = 0;
  for (size_t i = 0; i < pre - 8; i++) b[8 + i] = (unsigned char)(hlen >> (8 * i));
  memcpy(b + pre, dict, dl);
  memset(b + pre + dl, ' ', hlen - dl - 1);
  b[pre + hlen - 1] = '\n';
  memset(b + pre + hlen, 0x3c, data_len);
  *len = pre + hlen + data_len;
  return b;
}

/* Parses an image; expects failure with msg in the error, or success if
 * msg is NULL. */
static void expect(int v, const char *dict, size_t data_len, const char *msg) {
  size_t len;
  unsigned char *b = image(v, dict, data_len, &len);
  nb_npy a;
  char err[NB_NPY_ERRLEN] = "";
  int r = nb_npy_parse(b, len, &a, err, sizeof err);
  char what[512];
  if (msg) {
    snprintf(what, sizeof what, "refuses %s (%s): got '%s'", dict, msg, err);
    ok(r == -1 && strstr(err, msg) && !a.data && a.count == 0, "%s", what);
  } else {
    snprintf(what, sizeof what, "accepts v%d %s", v, dict);
    ok(r == 0, "%s", what);
  }
  nb_npy_free(&a);
  free(b);
}

static void test_layout(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/a.npy", dir);
  const float x[6] = {1, -2, 0.5f, 3e38f, -0.0f, 1e-45f};
  const size_t shape[2] = {2, 3};
  char err[NB_NPY_ERRLEN] = "";
  ok(nb_npy_write(path, NB_F32, 2, shape, x, err, sizeof err) == 0, "write 2x3 f32 %s", err);
  size_t len;
  unsigned char *b = slurp(path, &len);
  const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  size_t hlen = b ? (size_t)b[8] | (size_t)b[9] << 8 : 0;
  ok(b && len == 10 + hlen + 24, "file is prefix + header + 24 data bytes%s", "");
  ok(b && memcmp(b, "\x93NUMPY\x01\x00", 8) == 0, "magic and version 1.0%s", "");
  ok((10 + hlen) % 64 == 0, "data starts 64-byte aligned%s", "");
  ok(b && hlen > sizeof dict && memcmp(b + 10, dict, sizeof dict - 1) == 0, "dict text is %s", dict);
  int pad = b && b[10 + hlen - 1] == '\n';
  for (size_t i = 10 + sizeof dict - 1; b && i < 10 + hlen - 1; i++) pad &= b[i] == ' ';
  ok(pad, "padded with spaces and one final newline%s", "");
  int data = b != NULL;
  for (int i = 0; b && i < 6; i++) {
    uint32_t u;
    memcpy(&u, &x[i], 4);
    for (int j = 0; j < 4; j++) data &= b[10 + hlen + 4 * i + j] == (unsigned char)(u >> (8 * j));
  }
  ok(data, "data is little-endian f32, row-major%s", "");
  free(b);

  nb_npy a;
  ok(nb_npy_read(path, &a, err, sizeof err) == 0 && a.dtype == NB_F32 && a.ndim == 2 && a.rows == 2 &&
         a.cols == 3 && a.count == 6 && memcmp(a.data, x, sizeof x) == 0,
     "reads back what it wrote %s", "");
  nb_npy_free(&a);

  const uint16_t h[5] = {0x3c00, 0x8001, 0x7bff, 0x7e00, 0};
  const size_t n5 = 5;
  ok(nb_npy_write(path, NB_F16, 1, &n5, h, err, sizeof err) == 0, "write 1-D f16 %s", err);
  b = slurp(path, &len);
  const char d1[] = "{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }";
  /* 10 + 59 dict bytes + newline = 70, padded to 128; then 10 data bytes. */
  ok(b && len == 128 + 10 && memcmp(b + 10, d1, sizeof d1 - 1) == 0, "1-D dict text is %s", d1);
  free(b);
  ok(nb_npy_read(path, &a, err, sizeof err) == 0 && a.dtype == NB_F16 && a.ndim == 1 && a.rows == 1 &&
         a.cols == 5 && memcmp(a.data, h, sizeof h) == 0,
     "1-D f16 reads back as one row of 5 %s", "");
  nb_npy_free(&a);

  ok(nb_npy_write(path, NB_BF16, 1, &n5, h, err, sizeof err) == -1, "bf16 is refused for writing%s", "");
  snprintf(path, sizeof path, "%s/no/such/dir/a.npy", dir);
  ok(nb_npy_write(path, NB_F32, 1, &n5, x, err, sizeof err) == -1 && access(path, F_OK) != 0,
     "write into a missing directory fails: %s", err);
  ok(nb_npy_read(path, &a, err, sizeof err) == -1 && strstr(err, "cannot open"), "missing file: %s", err);
  ok(nb_npy_read(dir, &a, err, sizeof err) == -1, "a directory is refused: %s", err);
}

static void test_prefixes(void) {
  size_t len;
  unsigned char *b = image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, &len);
  int all = 1;
  for (size_t i = 0; i < len; i++) {
    /* A copy of exactly i bytes, so ASan sees any read past the end. */
    unsigned char *p = malloc(i ? i : 1);
    memcpy(p, b, i);
    nb_npy a;
    char err[NB_NPY_ERRLEN];
    all &= nb_npy_parse(p, i, &a, err, sizeof err) == -1 && !a.data;
    free(p);
  }
  ok(all, "every proper prefix of a valid file is refused%s", "");
  free(b);
}

int main(void) {
  char dir[] = "/tmp/nb_npy_test.XXXXXX";
  if (!mkdtemp(dir)) return 1;
  test_layout(dir);
  test_prefixes();

  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, NULL);
  expect(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, NULL);
  expect(1, "{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<f2\"}", 6, NULL);
  expect(1, "{'descr':'<f4','fortran_order':False,'shape':(0, 4)}", 0, NULL);
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 23, "truncated data");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 25, "trailing garbage");
  expect(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, "fortran_order is True");
  expect(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24, "big-endian");
  expect(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 48, "unsupported dtype '<f8'");
  expect(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", 6, "unsupported dtype");
  expect(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, "not a simple dtype");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }", 24, "more than 2 dimensions");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4, "0-dimensional");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }", 0, "negative dimension");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 0, "too large");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999999,), }", 0,
         "too large");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967297,), }", 0, "too large");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5), }", 20, "not a tuple");
  expect(1, "{'descr': '<f4', 'fortran_order': False, }", 0, "no 'shape'");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8, "unknown key 'x'");
  expect(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8, "twice");
  expect(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 8, "True or False");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", 8, "bytes after the dict");
  expect(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8, "expected ',' or '}'");
  expect(1, "'descr': '<f4'", 8, "no '{'");

  size_t len;
  unsigned char *b = image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, &len);
  nb_npy a;
  char err[NB_NPY_ERRLEN];
  b[7] = 0;
  b[6] = 3;
  ok(nb_npy_parse(b, len, &a, err, sizeof err) == -1 && strstr(err, "version 3.0"), "refuses %s", err);
  b[6] = 1;
  b[0] = 'X';
  ok(nb_npy_parse(b, len, &a, err, sizeof err) == -1 && strstr(err, "bad magic"), "refuses %s", err);
  b[0] = 0x93;
  b[9] = 0xff;
  ok(nb_npy_parse(b, len, &a, err, sizeof err) == -1 && strstr(err, "past the end"), "refuses %s", err);
  ok(nb_npy_parse(NULL, 0, &a, err, sizeof err) == -1 && strstr(err, "empty"), "refuses %s", err);
  free(b);

  printf("1..%d\n", n_test);
  char path[512];
  snprintf(path, sizeof path, "%s/a.npy", dir);
  unlink(path);
  rmdir(dir);
  return n_fail != 0;
}
