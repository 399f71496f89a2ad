/* The normbench command: a thin layer over the kernel library and the
 * harness. Each subcommand is one function in its own cmd_*.c file. */
#ifndef NB_CLI_H
#define NB_CLI_H

#include "perf.h"

#include <stddef.h>
#include <stdio.h>

/* Print "normbench <cmd>: error: ..." as one line on stderr; returns 2, the
 * exit status of every usage or input error. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict parsers: the whole string must be a number in range. 0 on success. */
int cli_parse_size(const char *s, size_t *out);
int cli_parse_float(const char *s, float *out);
int cli_parse_double(const char *s, double *out);
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

#endif
