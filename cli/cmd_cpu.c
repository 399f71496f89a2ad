/* normbench cpu: what the platform layer knows about this machine, and
 * what the harness makes of it (cache sizes checked against a probe, the
 * working sets they give). */
#include "cli.h"

#include "bench.h"
#include "normbench.h"
#include "perf.h"
#include "platform.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: normbench cpu [--id] [--probe] [--caches L1=48K,L2=1M,L3=32M]\n\n"
    "The CPU as detected at run time: model, features the kernels may use, caches with the\n"
    "source of each size (sysfs, cpuid, sysconf, measured, override, default), the working\n"
    "sets perf derives from them, clock facts, hypervisor and emulation, and the machine id\n"
    "that names bench results. Reported sizes are checked against a short read-bandwidth\n"
    "probe (not under emulation); an implausible one is replaced by the measured size.\n"
    "--id prints the machine id alone; --probe prints the probe's latency curve too. NORMBENCH_CPU_DISABLE=feat,... hides features;\n"
    "NORMBENCH_CACHES=... or --caches overrides sizes; NORMBENCH_SYSROOT=DIR reads /sys and\n"
    "/proc under DIR.\n";

int cmd_cpu(int argc, char **argv) {
  enum { O_ID = 1, O_PROBE, O_CACHES, O_HELP };
  static const struct option opts[] = {{"id", no_argument, 0, O_ID},
                                       {"probe", no_argument, 0, O_PROBE},
                                       {"caches", required_argument, 0, O_CACHES},
                                       {"help", no_argument, 0, O_HELP},
                                       {0, 0, 0, 0}};
  const char *caches = NULL;
  int ch, id_only = 0, probe = 0;
  optind = 1;
  opterr = 0;
  while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) switch (ch) {
    case O_ID: id_only = 1; break;
    case O_PROBE: probe = 1; break;
    case O_CACHES: caches = optarg; break;
    case O_HELP:
    case 'h': fputs(usage, stdout); return 0;
    default: return cli_error("cpu", "unknown or incomplete option '%s' (normbench cpu --help)", argv[optind - 1]);
    }
  if (optind < argc) return cli_error("cpu", "unexpected argument '%s'", argv[optind]);
  size_t sizes[5];
  if (caches && nb_parse_caches(caches, sizes))
    return cli_error("cpu", "--caches: '%s' is not like L1=48K,L2=1M,L3=32M", caches);
  if (cli_check_only) return 0;
  const nb_platform *p = nb_platform_get();
  if (id_only) {
    printf("%s\n", p->id);
    return 0;
  }
  nb_machine m;
  char why[256];
  if (nb_machine_get(&m, caches, why, sizeof why)) return cli_error("cpu", "%s", why);
  printf("model:    %s\n", p->model);
  printf("vendor:   %s", p->vendor);
  if (p->family >= 0) printf(", family %d model %d stepping %d", p->family, p->model_num, p->stepping);
  printf("\nfeatures:");
  for (uint32_t bit = 1; bit; bit <<= 1)
    if ((p->features & bit) && nb_cpu_feature_name(bit)) printf(" %s", nb_cpu_feature_name(bit));
  if (p->features != p->features_detected) printf("  (some hidden by NORMBENCH_CPU_DISABLE)");
  if (p->disable_unknown[0]) printf("  (NORMBENCH_CPU_DISABLE: unknown '%s')", p->disable_unknown);
  size_t here = 0;
  for (size_t i = 0; i < nb_kernel_count(); i++) here += nb_kernel_runs_here(nb_kernel_at(i));
  printf("\nkernels:  %zu registered, %zu run here\ncaches:   ", nb_kernel_count(), here);
  nb_machine_write_caches(stdout, &m, "\n          ");
  printf("\nworking sets (x + y): l1 %zu KiB, l2 %zu KiB, llc %zu KiB, mem %zu MiB (%s)\n", m.l1d >> 11, m.l2 >> 11,
         m.llc >> 11, m.mem >> 20, m.mem_why);
  printf("cpus:     %d online, %zu MiB of memory\n", p->num_cpus, p->phys_mem >> 20);
  printf("clock:    %s (TSC %sinvariant, kernel clocksource %s)\n", m.clock->name, p->tsc_invariant ? "" : "not ",
         p->clocksource[0] ? p->clocksource : "unknown");
  printf("hypervisor: %s\n", p->hypervisor[0] ? p->hypervisor : "none");
  printf("emulated: %s\n", p->emulated ? p->emulated : "no");
  printf("id:       %s\n", p->id);
  if (probe) {
    size_t sz[64];
    double ns[64];
    size_t n = nb_latency_curve((size_t)128 << 20, sz, ns, 64);
    printf("\nload latency (random pointer chase, best of 3 x 2 ms):\n%12s %8s\n", "bytes", "ns");
    for (size_t i = 0; i < n; i++) printf("%12zu %8.2f\n", sz[i], ns[i]);
  }
  return 0;
}
