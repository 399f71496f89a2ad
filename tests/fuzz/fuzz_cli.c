/* libFuzzer target: the command line's argument parsers, in process. The
 * input is argv, its tokens separated by NUL bytes, run through cli_main
 * with cli_check_only set: every command validates its options and reads
 * its input files (fixtures made at start-up in a scratch directory, the
 * working directory: x.npy, g.npy, b.npy, g2.npy (1, D), e.npy (0, D),
 * bad.npy with a newline in its header, a FIFO named fifo), then returns
 * before measuring or writing anything. The command runs in the fixtures'
 * directory, libFuzzer in the directory it was started in (its corpus and
 * artifact paths may be relative), but a crash inside a command leaves its
 * report in the fixtures' directory unless -artifact_prefix is absolute. Properties: the exit status is 0
 * or 2; with 2, stderr ends with exactly one error line; every byte on
 * stderr is printable ASCII or a newline. Longer runs:
 *   build/tests/fuzz/fuzz_cli -max_total_time=600 CORPUS_DIR tests/fuzz/corpus_cli */
#include "cli.h"
#include "npy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXARGS 32

static char dir[] = "/tmp/fuzz_cli.XXXXXX";
static int fixtures, home; /* directory fds */

static void cleanup(void) {
  const char *names[] = {"x.npy", "g.npy", "b.npy", "g2.npy", "e.npy", "bad.npy", "fifo"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlinkat(fixtures, names[i], 0);
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  float v[8] = {1, -2, 3, 0.5f, 4, -1, 2, 0.25f};
  size_t x[2] = {2, 4}, g[1] = {4}, g2[2] = {1, 4}, e[2] = {0, 4};
  char err[NB_NPY_ERRLEN];
  if (!mkdtemp(dir) || (home = open(".", O_RDONLY | O_DIRECTORY)) < 0 || chdir(dir) ||
      (fixtures = open(".", O_RDONLY | O_DIRECTORY)) < 0)
    abort();
  atexit(cleanup);
  if (nb_npy_write("x.npy", NB_F32, 2, x, v, err, sizeof err) || nb_npy_write("g.npy", NB_F32, 1, g, v, err, sizeof err) ||
      nb_npy_write("b.npy", NB_F32, 1, g, v, err, sizeof err) || nb_npy_write("g2.npy", NB_F32, 2, g2, v, err, sizeof err) ||
      nb_npy_write("e.npy", NB_F32, 2, e, v, err, sizeof err) || mkfifo("fifo", 0600))
    abort();
  static const char hdr[] = "{'de\nscr': '<f4\x1b[2J', 'fortran_order': False, 'shape': (1,), }\n";
  const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, sizeof hdr - 1, 0};
  FILE *f = fopen("bad.npy", "wb");
  if (!f || fwrite(pre, 1, sizeof pre, f) != sizeof pre || fwrite(hdr, 1, sizeof hdr - 1, f) != sizeof hdr - 1 ||
      fclose(f))
    abort();
  if (fchdir(home)) abort();
  /* help texts and tables are not under test */
  if (!(stdout = fopen("/dev/null", "w"))) abort();
  cli_check_only = 1;
  return 0;
}

/* "normbench: error: ..." or "normbench <command>: error: ..." */
static int error_line(const char *line) {
  if (strncmp(line, "normbench", 9)) return 0;
  line += 9;
  if (*line == ' ') line += 1 + strspn(line + 1, "abcdefghijklmnopqrstuvwxyz");
  return !strncmp(line, ": error: ", 9);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1), *argv[MAXARGS + 1] = {"normbench"};
  int argc = 1;
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = 0;
  for (size_t i = 0; i <= size && argc < MAXARGS; i += strlen(buf + i) + 1) argv[argc++] = buf + i;
  argv[argc] = NULL;

  char *out = NULL;
  size_t len = 0;
  FILE *real = stderr, *cap = open_memstream(&out, &len);
  if (!cap) abort();
  stderr = cap;
  if (fchdir(fixtures)) abort();
  int rc = cli_main(argc, argv);
  if (fchdir(home)) abort();
  stderr = real;
  fclose(cap);

  /* Every byte printable (escaped names and values cannot add a line),
   * every line ended, and lines of the form "normbench[ cmd]: error: "
   * counted: one, the last, with status 2; none with status 0. */
  int errors = 0, last_is_error = 0;
  for (size_t i = 0; i < len; i++)
    if (out[i] != '\n' && (out[i] < 0x20 || out[i] > 0x7e)) abort();
  if (len && out[len - 1] != '\n') abort();
  for (char *line = out; line && line < out + len; line = strchr(line, '\n') + 1) {
    int is_error = error_line(line);
    errors += is_error;
    last_is_error = is_error;
  }
  if (rc == 2 ? errors != 1 || !last_is_error : rc == 0 ? errors != 0 : 1) abort();
  free(out);
  free(buf);
  return 0;
}
