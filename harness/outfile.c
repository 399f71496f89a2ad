#include "outfile.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temporary files still open, removed if the process is interrupted. */
#define NB_MAX_OPEN 16
static char *open_tmps[NB_MAX_OPEN];

static void on_signal(int sig) {
  for (int i = 0; i < NB_MAX_OPEN; i++)
    if (open_tmps[i]) unlink(open_tmps[i]); /* async-signal-safe */
  signal(sig, SIG_DFL);
  raise(sig);
}

static void track(char *tmp, int add) {
  static int installed;
  if (!installed) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    installed = 1;
  }
  for (int i = 0; i < NB_MAX_OPEN; i++)
    if (add ? open_tmps[i] == NULL : open_tmps[i] == tmp) {
      open_tmps[i] = add ? tmp : NULL;
      return;
    }
}

int nb_out_open(nb_outfile *o, const char *path) {
  memset(o, 0, sizeof *o);
  if (!path || !*path) {
    errno = EINVAL;
    return -1;
  }
  if (strcmp(path, "-") == 0) {
    o->f = stdout;
    return 0;
  }
  size_t n = strlen(path) + 32;
  o->path = strdup(path);
  o->tmp = malloc(n);
  if (!o->path || !o->tmp) goto fail;
  snprintf(o->tmp, n, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(o->tmp);
  if (fd < 0) goto fail;
  track(o->tmp, 1);
  /* mkstemp makes the file 0600; give it the mode a plain fopen would, or
   * the mode of the file it replaces */
  struct stat st;
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, stat(path, &st) == 0 ? (st.st_mode & 07777) : (0666 & ~mask));
  o->f = fdopen(fd, "wb");
  if (!o->f) {
    close(fd);
    unlink(o->tmp);
    track(o->tmp, 0);
    goto fail;
  }
  return 0;
fail : {
  int e = errno;
  free(o->path);
  free(o->tmp);
  memset(o, 0, sizeof *o);
  errno = e;
  return -1;
}
}

int nb_out_commit(nb_outfile *o) {
  if (!o->f) return -1;
  if (o->f == stdout) {
    o->f = NULL;
    return fflush(stdout) == 0 ? 0 : -1;
  }
  int ok = fflush(o->f) == 0 && fsync(fileno(o->f)) == 0;
  ok = (fclose(o->f) == 0) && ok;
  o->f = NULL;
  if (ok) ok = rename(o->tmp, o->path) == 0;
  int e = errno;
  if (!ok) unlink(o->tmp);
  track(o->tmp, 0);
  free(o->path);
  free(o->tmp);
  o->path = o->tmp = NULL;
  errno = e;
  return ok ? 0 : -1;
}

void nb_out_abort(nb_outfile *o) {
  if (o->f && o->f != stdout) {
    fclose(o->f);
    unlink(o->tmp);
    track(o->tmp, 0);
  }
  free(o->path);
  free(o->tmp);
  memset(o, 0, sizeof *o);
}
