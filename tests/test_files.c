/* How outputs and inputs are opened (kernels/file.h, harness/outfile.h,
 * nb_wisdom_save/load, nb_npy_read): what each kind of output path becomes,
 * write errors, modes, long names, temporary files removed on every
 * terminating signal, inputs that must not hang, messages that stay one
 * printable line.
 *
 * Devices: the tests write to private device nodes made with mknod in a
 * scratch directory (the same devices as /dev/null and /dev/full), so that
 * code that wrongly replaced its output would replace only those. Without
 * mknod (not root) the real /dev/null and /dev/full are used: a user other
 * than root cannot replace them. As root without mknod, those tests skip. */
#include "tap.h"

#include "arrays.h"
#include "file.h"
#include "normbench.h"
#include "npy.h"
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/nb_test_files.XXXXXX";
static char devnull[64], devfull[64];

static const char *at(const char *name) {
  static char p[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
  return p[k];
}

/* Files in dir other than the ones a test made on purpose. */
static int others(const char *const *keep, int nkeep) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    int known = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    for (int i = 0; i < nkeep; i++) known |= !strcmp(e->d_name, keep[i]);
    if (!known) tap_diag("unexpected file %s", e->d_name), n++;
  }
  if (d) closedir(d);
  return n;
}

static void devices(void) {
  if (mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)) == 0 && mknod(at("full"), S_IFCHR | 0666, makedev(1, 7)) == 0) {
    snprintf(devnull, sizeof devnull, "%s", at("null"));
    snprintf(devfull, sizeof devfull, "%s", at("full"));
  } else if (geteuid() != 0) {
    snprintf(devnull, sizeof devnull, "/dev/null");
    snprintf(devfull, sizeof devfull, "/dev/full");
  }
}

static int is_chr(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0 && S_ISCHR(st.st_mode);
}

static int write_out(const char *path, const char *text) {
  nb_outfile o;
  if (nb_out_open(&o, path)) return -1;
  fputs(text, o.f);
  return nb_out_commit(&o);
}

static char *slurp(const char *path) {
  static char buf[4096];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = 0;
  return f ? buf : NULL;
}

static void outputs(void) {
  static const char *none[] = {"null", "full"};
  if (!*devnull) {
    printf("ok %d # SKIP device outputs: root without mknod\n", ++tap_count);
  } else {
    tap_ok(write_out(devnull, "x\n") == 0 && is_chr(devnull), "a character device (null) is written through, not replaced");
    int rc = write_out(devfull, "x\n"), e = errno;
    tap_ok(rc == -1 && e == ENOSPC && is_chr(devfull), "a write error (full) fails the commit with ENOSPC, device kept");
    rc = nb_wisdom_save(devfull), e = errno;
    tap_ok(rc == NB_EWISDOM_IO && e == ENOSPC && is_chr(devfull), "nb_wisdom_save to a full device: NB_EWISDOM_IO, ENOSPC, device kept");
    tap_ok(nb_wisdom_save(devnull) == 0 && is_chr(devnull), "nb_wisdom_save to a null device: written through");
  }
  tap_ok(others(none, 2) == 0, "no temporary file left by the device writes");

  /* FIFO: a child reads it; the FIFO must still be a FIFO afterwards */
  const char *fifo = at("fifo");
  mkfifo(fifo, 0600);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(10);
    char *s = slurp(fifo);
    _exit(s && !strcmp(s, "through a fifo\n") ? 0 : 1);
  }
  int rc = write_out(fifo, "through a fifo\n"), status = -1;
  waitpid(pid, &status, 0);
  struct stat st;
  tap_ok(rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode),
         "a FIFO is written through to its reader, not replaced");
  unlink(fifo);

  /* a symbolic link: the file it names is replaced, the link stays */
  const char *target = at("target"), *link = at("link");
  FILE *f = fopen(target, "w");
  fputs("old\n", f);
  fclose(f);
  chmod(target, 0640);
  symlink("target", link);
  rc = write_out(link, "new\n");
  const char *got = slurp(target);
  tap_ok(rc == 0 && lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && got && !strcmp(got, "new\n") &&
             stat(target, &st) == 0 && (st.st_mode & 0777) == 0640,
         "a symbolic link is followed: its target replaced (mode 0640 kept), the link kept");
  unlink(target);
  errno = 0;
  rc = write_out(link, "new\n");
  tap_ok(rc == -1 && errno == ENOENT && lstat(target, &st) != 0, "a link to a missing file is refused, nothing created");
  unlink(link);

  mkdir(at("adir"), 0700);
  errno = 0;
  tap_ok(write_out(at("adir"), "x") == -1 && errno == EISDIR, "a directory is refused (EISDIR)");
  rmdir(at("adir"));

  tap_ok(write_out(at("no/such/dir"), "x") == -1 && errno == ENOENT, "a missing directory: ENOENT");
  tap_ok(others(none, 2) == 0, "no temporary file left");

  /* names up to NAME_MAX: the temporary name must not add to them */
  char name[256];
  memset(name, 'n', 255);
  name[255] = 0;
  rc = write_out(at(name), "long\n");
  got = slurp(at(name));
  tap_ok(rc == 0 && got && !strcmp(got, "long\n"), "a 255-byte file name is written");
  unlink(at(name));
  memcpy(name + 250, ".npy", 5);
  float v[2] = {1, 2};
  char err[NB_NPY_ERRLEN];
  tap_ok(nb_arr_save(at(name), 1, 1, 2, v, err, sizeof err) == 0, "a 254-byte .npy name is written");
  unlink(at(name));

  /* the message keeps the whole path, however long */
  char longdir[3000]; /* 3 KiB of path in components of 200 bytes */
  memset(longdir, 'd', sizeof longdir - 1);
  longdir[sizeof longdir - 1] = 0;
  for (size_t i = 200; i < sizeof longdir - 1; i += 200) longdir[i] = '/';
  char path[3200];
  snprintf(path, sizeof path, "%s/%s/y.npy", dir, longdir);
  rc = nb_arr_save(path, 1, 1, 2, v, err, sizeof err);
  tap_ok(rc == -1 && strstr(err, longdir) && strstr(err, "No such file or directory"),
         "an error names the whole path and the reason (%zu bytes)", strlen(err));
}

/* Modes: 0666 less the umask for a new file; a replaced file keeps its mode. */
static unsigned mode_of(const char *path) {
  struct stat st;
  return stat(path, &st) ? 01000 : (unsigned)(st.st_mode & 0777);
}

static void modes(void) {
  mode_t old = umask(027);
  const char *w = at("wisdom");
  int rc = nb_wisdom_save(w);
  unsigned m = mode_of(w);
  tap_ok(rc == 0 && m == 0640, "new wisdom file, umask 027: mode 0640 (got %o)", m);
  umask(022);
  unlink(w);
  rc = nb_wisdom_save(w);
  m = mode_of(w);
  tap_ok(rc == 0 && m == 0644, "new wisdom file, umask 022: mode 0644 (got %o)", m);
  umask(077);
  rc = nb_wisdom_save(w);
  m = mode_of(w);
  tap_ok(rc == 0 && m == 0644, "replacing a 0644 wisdom file under umask 077 keeps 0644 (got %o)", m);
  unlink(w);
  umask(027);
  rc = write_out(at("csv"), "a,b\n");
  m = mode_of(at("csv"));
  tap_ok(rc == 0 && m == 0640, "new output file, umask 027: mode 0640 (got %o)", m);
  unlink(at("csv"));
  umask(old);
}

/* A child opens an output, writes, and is killed by sig; no temporary
 * file may survive it. With ignore, the signal is ignored before: it must
 * stay ignored and the file be written. */
static void killed(int sig, int ignore) {
  const char *out = at("out.csv");
  pid_t pid = fork();
  if (pid == 0) {
    if (ignore) signal(sig, SIG_IGN);
    nb_outfile o;
    if (nb_out_open(&o, out)) _exit(3);
    fputs("partial\n", o.f);
    fflush(o.f);
    raise(sig);
    _exit(nb_out_commit(&o) ? 4 : 0);
  }
  int status;
  waitpid(pid, &status, 0);
  const char *keep[] = {"null", "full", "out.csv"};
  int clean = others(keep, 3) == 0, exists = access(out, F_OK) == 0;
  if (ignore)
    tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists && clean,
           "signal %d ignored beforehand stays ignored; the output is written", sig);
  else
    tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == sig && !exists && clean,
           "killed by signal %d while writing: no temporary file, no output", sig);
  unlink(out);
}

static void signals(void) {
  int sigs[] = {SIGHUP, SIGINT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGPROF};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) killed(sigs[i], 0);
  killed(SIGHUP, 1);
}

/* Inputs that are not regular files: refused at once, never waited on.
 * alarm() turns a hang into a failed test instead of a stuck suite. */
static void inputs(void) {
  const char *fifo = at("in.fifo");
  mkfifo(fifo, 0600);
  char err[NB_NPY_ERRLEN], why[512];
  nb_npy a;
  alarm(10);
  tap_ok(nb_npy_read(fifo, &a, err, sizeof err) == -1 && strstr(err, "FIFO"), ".npy input on a FIFO: refused (%s)", err);
  tap_ok(nb_npy_read(dir, &a, err, sizeof err) == -1 && strstr(err, "directory"), ".npy input on a directory: %s", err);
  tap_ok(nb_wisdom_load(fifo, why, sizeof why) == NB_EWISDOM_IO && strstr(why, "FIFO"), "nb_wisdom_load on a FIFO: refused (%s)", why);
  alarm(0);

  /* NORMBENCH_WISDOM=fifo is read at the first nb_* call, or again by
   * nb_dispatch_reset (this process's dispatcher is set up already): in a
   * child, so that this process's is left alone */
  pid_t pid = fork();
  if (pid == 0) {
    alarm(10);
    setenv("NORMBENCH_WISDOM", fifo, 1);
    nb_dispatch_reset();
    float x[4] = {1, 2, 3, 4}, g[4] = {1, 1, 1, 1}, y[4];
    _exit(nb_rmsnorm_f32(x, g, y, 1, 4, 4, 4, 1e-5f) == NB_OK ? 0 : 1);
  }
  int status;
  waitpid(pid, &status, 0);
  tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "NORMBENCH_WISDOM naming a FIFO: default choices, no hang");
  unlink(fifo);
}

/* Header bytes and names quoted in messages come out escaped. */
static void messages(void) {
  char out[64], err[NB_NPY_ERRLEN];
  nb_file_escape(out, sizeof out, "a\nb\x1b[2J\xff");
  tap_ok(!strcmp(out, "a\\x0ab\\x1b[2J\\xff"), "nb_file_escape: %s", out);
  nb_file_escape(out, 6, "abc\ndef");
  tap_ok(!strcmp(out, "abc"), "nb_file_escape never cuts an escape in two: '%s'", out);
  const char *hdr[] = {"{'descr': '<f4\x1b[2J', 'fortran_order': False, 'shape': (1,), }",
                       "{'de\nscr': '<f4', 'fortran_order': False, 'shape': (1,), }"};
  for (int i = 0; i < 2; i++) {
    unsigned char buf[256] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    size_t h = strlen(hdr[i]);
    buf[8] = (unsigned char)h;
    memcpy(buf + 10, hdr[i], h);
    nb_npy a;
    int rc = nb_npy_parse(buf, 10 + h + 4, &a, err, sizeof err), printable = 1;
    for (const char *p = err; *p; p++) printable &= *p >= 0x20 && *p < 0x7f;
    tap_ok(rc == -1 && printable && strstr(err, "\\x"), "a header with a control byte: one printable line: %s", err);
  }
}

int main(void) {
  if (!mkdtemp(dir)) return printf("Bail out! mkdtemp: %s\n", strerror(errno)), 1;
  devices();
  outputs();
  modes();
  signals();
  inputs();
  messages();
  unlink(at("null"));
  unlink(at("full"));
  if (rmdir(dir)) tap_diag("%s not empty", dir);
  return tap_done();
}
