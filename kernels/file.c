/* Output and input files; the rules are in file.h. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failed(nb_file *o, int e, const char *why) {
  o->why = why ? why : strerror(e);
  errno = e;
  return -1;
}

/* A new file next to dst, opened with O_EXCL and mode 0666 so that the
 * kernel applies the umask (and any default ACL) exactly as for a plain
 * fopen, without the process-wide umask() dance a library cannot do while
 * other threads create files. The name is short and fixed-length, so it
 * fits in NAME_MAX whatever the length of dst's own name. */
static int make_tmp(nb_file *o) {
  static unsigned long counter;
  const char *slash = strrchr(o->dst, '/');
  size_t dirlen = slash ? (size_t)(slash - o->dst) + 1 : 0, n = dirlen + 32;
  if (!(o->tmp = malloc(n))) return -1;
  for (int tries = 0; tries < 100; tries++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t h = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^
                 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 0x9e3779b97f4a7c15ull;
    h *= 0xff51afd7ed558ccdull; /* spread every input bit over the name */
    h ^= h >> 33;
    snprintf(o->tmp, n, "%.*s.normbench-%012llx.tmp", (int)dirlen, o->dst,
             (unsigned long long)(h & 0xffffffffffffull));
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

int nb_file_create(nb_file *o, const char *path) {
  struct stat st;
  int fd = -1, link, exists;
  memset(o, 0, sizeof *o);
  if (!path || !*path) return failed(o, EINVAL, "empty file name");
  if (!strcmp(path, "-")) {
    o->f = stdout;
    return 0;
  }
  link = lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
  exists = stat(path, &st) == 0; /* what a link points to */
  if (!exists && errno == ENOENT && link) return failed(o, ENOENT, "a symbolic link to a missing file");
  if (!exists && errno != ENOENT) return failed(o, errno, NULL);
  if (exists && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
    /* Never O_CREAT: if the device went away, do not make a file there.
     * Opened by the given name, so /dev/stdout reaches the pipe behind it. */
    if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0) return failed(o, errno, NULL);
  } else if (exists && S_ISDIR(st.st_mode)) {
    return failed(o, EISDIR, NULL);
  } else if (exists && !S_ISREG(st.st_mode)) {
    return failed(o, EINVAL, "not a regular file, character device or FIFO");
  } else {
    /* Renaming over a link would cut it from its target: replace the
     * file it names instead. */
    if (!(o->dst = link ? realpath(path, NULL) : strdup(path))) return failed(o, errno, NULL);
    if ((fd = make_tmp(o)) < 0) goto fail;
    if (exists) fchmod(fd, st.st_mode & 07777); /* keep the replaced file's mode */
  }
  if ((o->f = fdopen(fd, "wb"))) return 0;
fail : {
  int e = errno;
  if (fd >= 0) close(fd);
  if (fd >= 0 && o->tmp) unlink(o->tmp);
  free(o->tmp);
  free(o->dst);
  o->tmp = o->dst = NULL;
  return failed(o, e, NULL);
}
}

int nb_file_commit(nb_file *o) {
  if (!o->f) return failed(o, EINVAL, NULL);
  /* fflush sets errno when it fails; an error stdio met earlier (a full
   * buffer written out during fwrite) may have left no errno behind. */
  errno = 0;
  int ok = fflush(o->f) == 0 && !ferror(o->f), e = errno ? errno : EIO;
  if (o->f == stdout) {
    o->f = NULL;
    return ok ? 0 : failed(o, e, NULL);
  }
  if (ok && o->tmp && fsync(fileno(o->f))) ok = 0, e = errno;
  if (fclose(o->f) && ok) ok = 0, e = errno;
  o->f = NULL;
  if (ok && o->tmp && rename(o->tmp, o->dst)) ok = 0, e = errno;
  if (!ok && o->tmp) unlink(o->tmp);
  free(o->tmp);
  free(o->dst);
  o->tmp = o->dst = NULL;
  return ok ? 0 : failed(o, e, NULL);
}

void nb_file_abort(nb_file *o) {
  const char *why = o->why;
  if (o->f && o->f != stdout) fclose(o->f);
  if (o->tmp) unlink(o->tmp);
  free(o->tmp);
  free(o->dst);
  memset(o, 0, sizeof *o);
  o->why = why;
}

FILE *nb_file_open_regular(const char *path, const char **why) {
  struct stat st;
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
   * writer; it changes nothing for a regular file. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *why = strerror(errno);
    return NULL;
  }
  if (fstat(fd, &st)) {
    int e = errno;
    *why = strerror(e);
    close(fd);
    errno = e;
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = S_ISFIFO(st.st_mode)  ? "a FIFO, not a regular file"
           : S_ISDIR(st.st_mode) ? "a directory, not a regular file"
           : S_ISCHR(st.st_mode) ? "a character device, not a regular file"
                                 : "not a regular file";
    close(fd);
    errno = EINVAL;
    return NULL;
  }
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    *why = strerror(errno);
    close(fd);
  }
  return f;
}

void nb_file_escape(char *dst, size_t n, const char *src) {
  static const char hex[] = "0123456789abcdef";
  size_t k = 0;
  for (const unsigned char *s = (const unsigned char *)src; *s; s++) {
    int plain = *s >= 0x20 && *s < 0x7f;
    if (k + (plain ? 1 : 4) >= n) break;
    if (plain) {
      dst[k++] = (char)*s;
    } else {
      dst[k++] = '\\', dst[k++] = 'x', dst[k++] = hex[*s >> 4], dst[k++] = hex[*s & 15];
    }
  }
  dst[k] = 0;
}
