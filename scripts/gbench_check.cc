// Google Benchmark timing of registry kernels, for scripts/check-timer.sh:
// an independent clock and loop to hold normbench's timer against.
// Usage: gbench_check KERNEL... [--benchmark_* flags]; each kernel runs on
// rows of d = 4096 floats filling 1 MiB (x + y), as `normbench perf --d 4096
// --working-set 1048576` does.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "normbench.h"

static void run(benchmark::State &st, const nb_kernel *k) {
  const size_t d = 4096, rows = 1048576 / (2 * d * 4);
  std::vector<float> x(rows * d), y(rows * d), g(d), b(d);
  unsigned s = 12345;
  for (auto &v : x) v = -1.5f + 4.0f * (float)((s = s * 1664525u + 1013904223u) >> 8) * 0x1p-24f;
  for (size_t i = 0; i < d; i++) g[i] = 0.5f + (float)i / d, b[i] = 0.25f - (float)i / (4 * d);
  const float *bp = k->op == NB_LAYERNORM ? b.data() : nullptr;
  for (auto _ : st) {
    k->fn(x.data(), g.data(), bp, y.data(), rows, d, d, d, 1e-5f);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed((int64_t)st.iterations() * (int64_t)((2 * rows * d + (bp ? 2 : 1) * d) * 4));
}

int main(int argc, char **argv) {
  std::vector<char *> rest;
  rest.push_back(argv[0]);
  for (int i = 1; i < argc; i++) {
    if (std::strncmp(argv[i], "--", 2) == 0) {
      rest.push_back(argv[i]);
      continue;
    }
    const nb_kernel *k = nb_kernel_find(argv[i]);
    if (!k || k->dtype != NB_F32 || !nb_kernel_runs_here(k)) {
      std::fprintf(stderr, "gbench_check: error: '%s' is not an f32 kernel that runs here\n", argv[i]);
      return 2;
    }
    benchmark::RegisterBenchmark(k->name, run, k);
  }
  int n = (int)rest.size();
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
