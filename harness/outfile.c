#include "outfile.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* Temporary files still open, removed if the process is killed by a signal. */
#define NB_MAX_OPEN 16
static char *volatile open_tmps[NB_MAX_OPEN];

/* Every catchable signal whose default action ends the process: SIGINT and
 * SIGTERM, but also a closed terminal (SIGHUP), a closed pipe (SIGPIPE), a
 * file size limit (SIGXFSZ), timers and the user signals. */
static const int fatal[] = {SIGHUP,  SIGINT,  SIGQUIT,   SIGPIPE,   SIGALRM, SIGTERM, SIGUSR1,
                            SIGUSR2, SIGXCPU, SIGXFSZ,   SIGVTALRM, SIGPROF};
#define NFATAL (sizeof fatal / sizeof fatal[0])

static void on_signal(int sig) {
  for (int i = 0; i < NB_MAX_OPEN; i++)
    if (open_tmps[i]) unlink(open_tmps[i]); /* async-signal-safe */
  signal(sig, SIG_DFL);
  raise(sig); /* delivered on return, when the handler unblocks it */
}

static void fatal_set(sigset_t *s) {
  sigemptyset(s);
  for (size_t i = 0; i < NFATAL; i++) sigaddset(s, fatal[i]);
}

static void install(void) {
  static int installed;
  if (installed) return;
  installed = 1;
  for (size_t i = 0; i < NFATAL; i++) {
    struct sigaction old, sa;
    /* A signal the parent ignores (nohup's SIGHUP, a shell's SIGPIPE) stays
     * ignored, and one the program handles itself keeps its handler. */
    if (sigaction(fatal[i], NULL, &old) || old.sa_handler != SIG_DFL) continue;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(fatal[i], &sa, NULL);
  }
}

static void track(char *tmp, int add) {
  for (int i = 0; i < NB_MAX_OPEN; i++)
    if (add ? open_tmps[i] == NULL : open_tmps[i] == tmp) {
      open_tmps[i] = add ? tmp : NULL;
      return;
    }
}

int nb_out_open(nb_outfile *o, const char *path) {
  sigset_t block, old;
  memset(o, 0, sizeof *o);
  install();
  /* No signal between creating the temporary file and tracking it. */
  fatal_set(&block);
  sigprocmask(SIG_BLOCK, &block, &old);
  int rc = nb_file_create(&o->file, path), e = errno;
  if (rc == 0 && o->file.tmp) track(o->file.tmp, 1);
  sigprocmask(SIG_SETMASK, &old, NULL);
  o->f = o->file.f;
  errno = e;
  return rc;
}

int nb_out_commit(nb_outfile *o) {
  sigset_t block, old;
  char *tmp = o->file.tmp;
  /* A signal during the rename finds the file either still to be removed
   * or already in place, never a freed name. Writing through (no
   * temporary file) is not blocked: a FIFO may wait for its reader. */
  fatal_set(&block);
  if (tmp) sigprocmask(SIG_BLOCK, &block, &old);
  if (tmp) track(tmp, 0);
  int rc = nb_file_commit(&o->file), e = errno;
  if (tmp) sigprocmask(SIG_SETMASK, &old, NULL);
  o->f = NULL;
  errno = e;
  return rc;
}

void nb_out_abort(nb_outfile *o) {
  sigset_t block, old;
  int tmp = o->file.tmp != NULL;
  fatal_set(&block);
  if (tmp) sigprocmask(SIG_BLOCK, &block, &old);
  if (tmp) track(o->file.tmp, 0);
  nb_file_abort(&o->file);
  if (tmp) sigprocmask(SIG_SETMASK, &old, NULL);
  o->f = NULL;
}

const char *nb_out_why(const nb_outfile *o) { return o->file.why ? o->file.why : "unknown error"; }
