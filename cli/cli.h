/* The normbench command: a thin layer over the kernel library and the
 * harness. Each subcommand is one function in its own cmd_*.c file. */
#ifndef NB_CLI_H
#define NB_CLI_H

#include "perf.h"
#include "schema.h"

#include <stddef.h>
#include <stdio.h>

/* The whole command line: argv[1] names the command. Returns the exit status. */
int cli_main(int argc, char **argv);

/* Set by a fuzz target: each command returns 0 once its arguments and
 * inputs are validated, before measuring anything or writing any file. */
extern int cli_check_only;

/* Print "normbench <cmd>: error: ..." as one line on stderr (bytes outside
 * printable ASCII escaped as \xNN); returns 2, the exit status of every
 * usage or input error. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict parsers: the whole string must be a number in range. 0 on success. */
int cli_parse_size(const char *s, size_t *out);
int cli_parse_double(const char *s, double *out);
/* eps: a finite float >= 0, and not a positive number that rounds to 0. */
int cli_parse_eps(const char *s, float *out);
/* Comma-separated list of sizes, e.g. "1,7,4096"; at most max entries. */
int cli_parse_size_list(const char *s, size_t *out, size_t max, size_t *n);
/* A time: a number of seconds, or one with a unit s, ms, us or ns ("10ms",
 * "0.5s", "200us"). 0, or -1. */
int cli_parse_seconds(const char *s, double *out);

/* The option grammar every command shares: each parses one option's value
 * and returns 0, or reports "normbench CMD: error: --OPT wants ..., got
 * 'ARG'" (one line) and returns 2.
 *   counts:  a whole number in [lo, hi] (--rows, --threads, --repetitions)
 *   seconds: a time in (0, hi] as cli_parse_seconds reads it
 *   d:       a comma list of row lengths in [1, dmax], at most max
 *   ops, dtypes: comma lists of names, or "all", into bit sets (bit nb_op,
 *            bit nb_dtype)
 *   ws:      a comma list of working sets or shapes (nb_ws_parse: sizes
 *            with units), at most max */
int cli_opt_count(const char *cmd, const char *opt, const char *arg, size_t lo, size_t hi, size_t *out);
int cli_opt_seconds(const char *cmd, const char *opt, const char *arg, double hi, double *out);
int cli_opt_d(const char *cmd, const char *arg, size_t *d, size_t max, size_t *n, size_t dmax);
int cli_opt_ops(const char *cmd, const char *arg, unsigned *ops);
int cli_opt_dtypes(const char *cmd, const char *arg, unsigned *dts);
int cli_opt_ws(const char *cmd, const char *opt, const char *arg, nb_ws *ws, size_t max, size_t *n);

/* Where the human-readable output goes when output paths (--csv FILE,
 * --json FILE, ...; NULL: not asked for) may be "-": standard output stays
 * pure CSV or JSON, so the table moves to standard error. *rc is 2
 * (reported) when two of them want standard output. */
FILE *cli_outputs(const char *cmd, const char *const *paths, size_t n, int *rc);

/* Writes records (compare, recommend) with w to path through an output
 * file; 0, or the exit status of the error (reported). */
int cli_write_records(const char *cmd, const char *path, const nb_machine *m, const nb_records *r,
                      void (*w)(FILE *, const nb_machine *, const nb_records *));

/* Progress on stderr for runs of total steps that will all run (what the
 * filters left): rewritten in place on a terminal, one line per tenth of
 * the run otherwise, ending at [total/total]; nothing when quiet. step
 * reports `done` steps finished, the last one named by what. */
typedef struct {
  const char *cmd;
  size_t total;
  double t0, last;
  int tty, quiet;
  size_t tenth;
} cli_progress;
void cli_progress_start(cli_progress *p, const char *cmd, size_t total, int quiet);
void cli_progress_step(cli_progress *p, size_t done, const char *what);

int cmd_list(int argc, char **argv);
int cmd_cpu(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_accuracy(int argc, char **argv);
int cmd_perf(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
