#include "csvin.h"

#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* All of f, NUL-terminated; NULL when memory runs out or reading fails. */
static char *slurp(FILE *f) {
  size_t n = 0, cap = 1 << 16;
  char *s = malloc(cap);
  for (size_t r; s && (r = fread(s + n, 1, cap - n - 1, f)) > 0;) {
    n += r;
    if (cap - n < 2) {
      char *t = realloc(s, cap *= 2);
      if (!t) free(s);
      s = t;
    }
  }
  if (!s || ferror(f)) {
    free(s);
    return NULL;
  }
  s[n] = 0;
  return s;
}

/* gzip rather than zlib: gzip is on every Debian system, while zlib would
 * be a new link dependency for every build, the aarch64 cross build (whose
 * sysroot has no zlib) included, for one reader of one file. */
static char *gunzip(FILE *in, const char **why) {
  int p[2];
  if (pipe(p)) return *why = strerror(errno), NULL;
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]), close(p[1]);
    return *why = strerror(errno), NULL;
  }
  if (pid == 0) {
    dup2(fileno(in), 0);
    dup2(p[1], 1);
    close(p[0]), close(p[1]);
    /* its complaint would be a second line: the caller's message says it */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    execlp("gzip", "gzip", "-dc", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  FILE *f = fdopen(p[0], "rb");
  char *s = f ? slurp(f) : NULL;
  if (f) fclose(f);
  else close(p[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(st) || WEXITSTATUS(st)) {
    *why = WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "gzip not found" : "gzip -dc failed (not a gzip file?)";
    free(s);
    return NULL;
  }
  if (!s) *why = "out of memory or read error";
  return s;
}

static int push(char ***v, size_t *n, size_t *cap, char *s) {
  if (*n == *cap) {
    size_t c = *cap ? 2 * *cap : 64;
    char **t = realloc(*v, c * sizeof *t);
    if (!t) return -1;
    *v = t, *cap = c;
  }
  (*v)[(*n)++] = s;
  return 0;
}

int nb_csv_load(nb_csv *t, const char *path, char *err, size_t errn) {
  memset(t, 0, sizeof *t);
  char gz[4096];
  const char *why = NULL;
  struct stat st;
  snprintf(gz, sizeof gz, "%s.gz", path);
  int zipped = stat(path, &st) && errno == ENOENT;
  if (zipped && stat(gz, &st) && errno == ENOENT) return 1;
  const char *name = zipped ? gz : path;
  FILE *f = nb_file_open_regular(name, &why);
  if (!f) return snprintf(err, errn, "cannot read %s: %s", name, why), -1;
  t->text = zipped ? gunzip(f, &why) : slurp(f);
  fclose(f);
  if (!t->text) return snprintf(err, errn, "cannot read %s: %s", name, why ? why : "read error"), -1;
  size_t ncell = 0, ccap = 0, mcap = 0, line = 0;
  for (char *s = t->text, *next; *s; s = next) {
    line++;
    char *nl = strchr(s, '\n');
    next = nl ? nl + 1 : s + strlen(s);
    if (nl) *nl = 0;
    if (*s == '#') {
      if (push(&t->comment, &t->ncomment, &mcap, s)) goto oom;
      continue;
    }
    if (!*s) continue;
    char **dst = NULL;
    size_t dn = 0, dcap = 0;
    for (char *c = s;; c++) {
      char *comma = strchr(c, ',');
      if (comma) *comma = 0;
      if (push(&dst, &dn, &dcap, c)) goto oom;
      if (!comma) break;
      c = comma;
    }
    if (!t->head) {
      t->head = dst, t->ncols = dn;
      continue;
    }
    if (dn != t->ncols) {
      free(dst);
      snprintf(err, errn, "%s line %zu: %zu cells, the header has %zu", name, line, dn, t->ncols);
      nb_csv_free(t);
      return -1;
    }
    for (size_t i = 0; i < dn; i++)
      if (push(&t->cell, &ncell, &ccap, dst[i])) {
        free(dst);
        goto oom;
      }
    t->nrows++;
    free(dst);
  }
  if (!t->head) {
    snprintf(err, errn, "%s: no header line", name);
    nb_csv_free(t);
    return -1;
  }
  return 0;
oom:
  snprintf(err, errn, "%s: out of memory", name);
  nb_csv_free(t);
  return -1;
}

void nb_csv_free(nb_csv *t) {
  free(t->text);
  free(t->cell);
  free(t->head);
  free(t->comment);
  memset(t, 0, sizeof *t);
}

int nb_csv_find(const nb_csv *t, const char *name) {
  for (size_t i = 0; i < t->ncols; i++)
    if (!strcmp(t->head[i], name)) return (int)i;
  return -1;
}
