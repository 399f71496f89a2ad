/* Opening files the way every normbench output and input is opened: the
 * wisdom files of the kernel library and the harness's .npy, CSV and JSON
 * files alike. Here rather than in harness/ because nb_wisdom_save is part
 * of the installed library, which must not depend on the harness; the
 * harness wraps it with its signal handling (harness/outfile.c).
 *
 * Outputs, by what the path names (a symbolic link is followed first; one
 * pointing nowhere is refused):
 *   a regular file, or nothing yet: written to a temporary file in the same
 *     directory, renamed over the path only once complete, with the mode of
 *     the file it replaces or, for a new one, 0666 less the umask;
 *   a character device or a FIFO (/dev/null, a pipe): written through,
 *     never replaced; "-" is standard output, written through too;
 *   a directory or anything else: refused.
 * Inputs must be regular files; they are opened without blocking, so a FIFO
 * is refused instead of waiting forever for a writer. */
#ifndef NB_FILE_H
#define NB_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
  FILE *f;
  char *tmp;       /* temporary file renamed over dst; NULL when written through */
  char *dst;       /* the path after following a symbolic link */
  const char *why; /* after a failure: the reason, one line */
} nb_file;

/* Opens path for writing as described above. Returns 0, or -1 with errno
 * and o->why set and nothing created. */
int nb_file_create(nb_file *o, const char *path);
/* Flushes and closes; a temporary file is synced and renamed into place.
 * Returns 0, or -1 with errno and o->why set (the temporary file removed,
 * the target as it was). A stream error seen earlier also fails here. */
int nb_file_commit(nb_file *o);
/* Closes and removes the temporary file; safe after commit or on a zeroed
 * struct. Keeps o->why. */
void nb_file_abort(nb_file *o);

/* Opens a regular file for reading; NULL with errno and *why set otherwise. */
FILE *nb_file_open_regular(const char *path, const char **why);

/* Copies src into dst (size n > 0, always terminated, cut if needed) with
 * every byte outside printable ASCII written as \xNN: file names and file
 * contents quoted in a message keep it one printable line. */
void nb_file_escape(char *dst, size_t n, const char *src);

#endif
