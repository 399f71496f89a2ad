/* normbench report: a results folder's tables and REPORT.md, the
 * comparison of several folders, and the bench's memory-bound sweep rule
 * (harness/report.c). */
#include "cli.h"

#include "outfile.h"
#include "report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: normbench report [--tables] [--machine ID] [--output FILE] RESULTS_DIR\n"
    "       normbench report --compare [--output FILE] DIR DIR...\n"
    "       normbench report --mem-sweep PERF_CSV [--fastest-isa] [--output NOTE]\n\n"
    "Reads a results folder (`ninja bench`: perf.csv, accuracy.csv or accuracy.csv.gz,\n"
    "bounds.csv, and recommend.csv, meanshift.csv, machine.txt, duration_s when present) and\n"
    "writes RESULTS_DIR/tables/ (what plots/*.gp draw) and RESULTS_DIR/REPORT.md (or --output;\n"
    "'-' = stdout). --tables: the tables only (before the plots exist; REPORT.md lists the\n"
    "PNGs in RESULTS_DIR/plots). --machine: the machine id in the title (default: the folder's name).\n"
    "--compare: per op, dtype, D and shape of each folder's recommend.csv, the kernel to ship\n"
    "on each machine; per op, dtype, D and working set of each perf.csv, the fastest kernel\n"
    "within 0.5, 1 and 4 ulp (declared bounds, bounds.csv); and what each machine loses\n"
    "running another's choice (from its own perf.csv), as markdown on stdout or to --output.\n"
    "Folders are machines, named by the id in their machine.txt (else the folder's name);\n"
    "folders of one id merge.\n"
    "--mem-sweep: from a perf CSV of cache-resident kernels and the memory copy probe, the\n"
    "kernels fast enough for the bench's memory-bound sweep (cache-resident GB/s at least\n"
    "1/10 of the copy's), one a line; --output: the note machine.txt gets (the rule, and each\n"
    "kernel left out). --fastest-isa (the quick bench): of those, only the fastest ISA of each\n"
    "algorithm (op, dtype, algorithm; every peer).\n";

int cmd_report(int argc, char **argv) {
  enum { O_TABLES = 1, O_ID, O_OUT, O_COMPARE, O_MEM, O_FASTEST, O_HELP };
  static const struct option opts[] = {{"tables", 0, 0, O_TABLES}, {"machine", 1, 0, O_ID},  {"output", 1, 0, O_OUT},
                                       {"compare", 0, 0, O_COMPARE}, {"mem-sweep", 1, 0, O_MEM},
                                       {"fastest-isa", 0, 0, O_FASTEST},
                                       {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
  nb_report_opts o = {0};
  const char *mem = NULL;
  int compare = 0, fastest = 0, ch;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (ch) {
    case O_TABLES: o.tables_only = 1; break;
    case O_ID: o.id = optarg; break;
    case O_OUT: o.out = optarg; break;
    case O_COMPARE: compare = 1; break;
    case O_MEM: mem = optarg; break;
    case O_FASTEST: fastest = 1; break;
    case O_HELP: fputs(usage, stdout); return 0;
    default: return cli_error("report", "unknown or incomplete option '%s' (normbench report --help)", argv[optind - 1]);
    }
  }
  int n = argc - optind;
  char err[1024];
  if (fastest && !mem) return cli_error("report", "--fastest-isa goes with --mem-sweep");
  if (mem) {
    if (n || compare || o.tables_only || o.id) return cli_error("report", "--mem-sweep takes a perf CSV and --output only");
    if (cli_check_only) return 0;
    nb_outfile note;
    if (o.out && nb_out_open(&note, o.out)) return cli_error("report", "cannot write %s: %s", o.out, nb_out_why(&note)), 3;
    if (nb_report_mem_sweep(mem, fastest, stdout, o.out ? note.f : NULL, err, sizeof err)) {
      if (o.out) nb_out_abort(&note);
      return cli_error("report", "%s", err), 3;
    }
    if (o.out && nb_out_commit(&note)) return cli_error("report", "cannot write %s: %s", o.out, nb_out_why(&note)), 3;
    return 0;
  }
  if (compare) {
    if (n < 1) return cli_error("report", "--compare wants one or more results folders");
    if (o.tables_only || o.id) return cli_error("report", "--tables and --machine do not go with --compare");
  } else if (n != 1) {
    return cli_error("report", "wants one results folder, got %d arguments (several machines: --compare)", n);
  }
  if (cli_check_only) return 0;
  if (compare) {
    if (nb_report_compare((const char *const *)argv + optind, (size_t)n, o.out ? o.out : "-", err, sizeof err))
      return cli_error("report", "%s", err), 3;
    return 0;
  }
  o.dir = argv[optind];
  if (nb_report(&o, err, sizeof err)) return cli_error("report", "%s", err), 3;
  return 0;
}
