#!/usr/bin/python3
"""Writes the seed corpus for fuzz_cli: command lines as NUL-separated
tokens (argv without argv[0]), naming the fixture files fuzz_cli makes.
usage: make_corpus_cli.py [DIR]   (default: corpus_cli beside this script)"""
import os
import sys

SEEDS = [
    ["list"], ["list", "--d", "4096", "--csv", "-"], ["list", "--d"], ["cpu"], ["--help"], ["nope"],
    ["run", "--kernel", "rmsnorm_f32_twopass_scalar", "--input", "x.npy", "--weight", "g.npy", "--output", "y.npy"],
    ["run", "--kernel", "layernorm_f16_welford_scalar", "--input", "x.npy", "--weight", "g.npy", "--bias", "b.npy",
     "--eps", "1e-6", "--output", "-"],
    ["run", "--kernel", "rmsnorm_f32_twopass_scalar", "--input", "bad.npy", "--weight", "g2.npy", "--output", "y"],
    ["run", "--kernel", "rmsnorm_f32_twopass_scalar", "--input", "fifo", "--weight", "g.npy", "--output", "y"],
    ["run", "--kernel", "rmsnorm_f32_twopass_scalar", "--input", "e.npy", "--weight", "g.npy", "--eps", "1e-50",
     "--output", "y"],
    ["accuracy", "--input", "x.npy", "--weight", "g.npy", "--bias", "b.npy", "--op", "layernorm", "--eps", "0,1e-5"],
    ["accuracy", "--input", "e.npy", "--weight", "g2.npy", "--dtype", "bf16"],
    ["accuracy", "--kernel", "*twopass*", "--d", "1,7,4096", "--dist", "normal", "--rows", "4", "--seed", "3",
     "--jobs", "2", "--csv", "a.csv", "--quiet"],
    ["accuracy", "--search", "--kernel", "rmsnorm_f32_fast_avx2", "--d", "64", "--time", "1", "--save-worst", "w"],
    ["accuracy", "--list-dists"], ["accuracy", "--thorough", "--eps", "1e-3,x"],
    ["perf", "--kernel", "*f32*", "--op", "rmsnorm", "--dtype", "f32", "--d", "64,4096", "--working-set", "l1,mem,4096",
     "--repetitions", "3", "--min-time", "0.01", "--csv", "p.csv", "--json", "p.json", "--benchmark_filter=d:64"],
    ["perf", "--working-set", "18446744073709551615"],
    ["compare", "rmsnorm_f32_naive_scalar", "rmsnorm_f32_twopass_scalar", "--d", "64", "--repetitions", "5"],
    ["recommend", "--op", "rmsnorm", "--dtype", "f32", "--budget", "1", "--d", "128,4096", "--no-timing",
     "--wisdom", "w.txt"],
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus_cli")
    os.makedirs(out, exist_ok=True)
    for i, argv in enumerate(SEEDS):
        with open(os.path.join(out, "%02d_%s" % (i, argv[0].strip("-"))), "wb") as f:
            f.write(b"\0".join(a.encode() for a in argv))


if __name__ == "__main__":
    main()
