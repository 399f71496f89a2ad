/* normbench report: a results folder's tables and REPORT.md
 * (harness/report.c). */
#include "cli.h"

#include "report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: normbench report [--tables] [--id ID] [--out FILE] RESULTS_DIR\n\n"
    "Reads a results folder (`ninja bench`: perf.csv, accuracy.csv or accuracy.csv.gz,\n"
    "bounds.csv, and recommend.csv, meanshift.csv, machine.txt, duration_s when present) and\n"
    "writes RESULTS_DIR/tables/ (what plots/*.gp draw) and RESULTS_DIR/REPORT.md (or --out;\n"
    "'-' = stdout). --tables: the tables only (before the plots exist; REPORT.md lists the\n"
    "PNGs in RESULTS_DIR/plots). --id: the machine id in the title (default: the folder's name).\n";

int cmd_report(int argc, char **argv) {
  enum { O_TABLES = 1, O_ID, O_OUT, O_HELP };
  static const struct option opts[] = {{"tables", 0, 0, O_TABLES}, {"id", 1, 0, O_ID},  {"out", 1, 0, O_OUT},
                                       {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
  nb_report_opts o = {0};
  int ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (ch) {
    case O_TABLES: o.tables_only = 1; break;
    case O_ID: o.id = optarg; break;
    case O_OUT: o.out = optarg; break;
    case O_HELP: fputs(usage, stdout); return 0;
    default: return cli_error("report", "unknown or incomplete option '%s' (normbench report --help)", argv[optind - 1]);
    }
  }
  int n = argc - optind;
  if (n != 1) return cli_error("report", "wants one results folder, got %d arguments", n);
  if (cli_check_only) return 0;
  char err[1024];
  o.dir = argv[optind];
  if (nb_report(&o, err, sizeof err)) return cli_error("report", "%s", err), 3;
  return 0;
}
