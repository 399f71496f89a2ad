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

/* Writes records (compare, recommend) with w to path through an output
 * file; 0, or the exit status of the error (reported). */
int cli_write_records(const char *cmd, const char *path, const nb_machine *m, const nb_records *r,
                      void (*w)(FILE *, const nb_machine *, const nb_records *));

int cmd_list(int argc, char **argv);
int cmd_cpu(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_accuracy(int argc, char **argv);
int cmd_perf(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
