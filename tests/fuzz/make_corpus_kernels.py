#!/usr/bin/python3
"""Writes the seed corpus for fuzz_kernels: for each op and dtype, inputs in
the layout fuzz_kernels.c decodes (see its header comment): N(0,1)-like rows,
shifted rows, massive channels, raw bits, special values in x, g and b,
zero and constant rows, and eps at 0, +inf and from raw bits. Rerunning
rewrites the same bytes.
usage: make_corpus_kernels.py [DIR]   (default: corpus_kernels beside this script)"""
import os
import struct
import sys

TAILS = [1, 2, 3, 7, 15, 17, 31, 33, 63, 65, 127, 129, 255, 257, 1000, 1023, 1025, 2047, 2049, 4095, 4096, 4097]
SHIFTS = [0, 0, 0.5, 1, 3, 9.5, 10, 16, 64, 100, 1e3, 1e4, 4e4]
KINDS = ["nan", "inf", "-inf", "+0", "-0", "minsub", "-maxsub", "max"]
EPS = [0, 1e-12, 1e-6, 1e-5, 1e-2]


def seed(op, dt, d, rows=1, eps=1e-5, raw_eps=None, pad=(0, 0), x=(0, 0, 23, 0, 0, 0, 0, 0),
         g=(0, 0, 0, 0), b=(0, 0, 0, 0), specials=(), raw=b""):
    """One input. x: mode, scale exponent, noise bits, signs, shift, massive, factor, row step;
    g, b: mode, scale exponent, noise bits, signs; specials: (target, kind, 'first'|'last', k)
    with target 0..rows-1 for x's rows, rows for g, rows + 1 for b."""
    out = bytes([op | dt << 1 | pad[0] << 3 | pad[1] << 5, 1, TAILS.index(d)])
    sel = 5 if raw_eps is not None else EPS.index(eps)
    out += bytes([(rows - 1) | sel << 2]) + struct.pack("<f", raw_eps if raw_eps is not None else 0)
    out += struct.pack("<Q", 0x9E3779B97F4A7C15 * (op * 7 + dt * 3 + d + rows) % 2**64)
    out += bytes(v % 256 for v in x) + bytes(v % 256 for v in g) + bytes(v % 256 for v in b)
    sp = list(specials)[:3]
    out += bytes([len(sp)])
    for t, kind, where, k in sp:
        out += bytes([t, KINDS.index(kind), k % 256, (k >> 8) | (0x40 if where == "last" else 0)])
    out += bytes(4 * (3 - len(sp)))
    return out + raw


def seeds(op, dt):
    ln = op == 1
    return {
        "normal_d17": seed(op, dt, 17, rows=2),
        "normal_d4097_gb": seed(op, dt, 4097, g=(1, 0, 8, 0), b=(1, -8, 8, 0) if ln else (0, 0, 0, 0)),
        "shift_9.5_d1025": seed(op, dt, 1025, x=(0, 0, 23, 0, SHIFTS.index(9.5), 0, 0, 0)),
        "shift_1e4_d1000": seed(op, dt, 1000, x=(0, 4, 10, 2, SHIFTS.index(1e4), 0, 0, 0)),
        "massive_d4096": seed(op, dt, 4096, rows=3, x=(0, 0, 23, 0, 0, 4, 7, 16)),
        "constmag_d4095": seed(op, dt, 4095, x=(0, 0, 0, 0, 0, 0, 0, 0)),
        "constant_eps0_d63": seed(op, dt, 63, eps=0, x=(0, 0, 0, 1, 0, 0, 0, 0)),
        "huge_tiny_rows_d33": seed(op, dt, 33, rows=3, x=(0, 80, 23, 0, 0, 0, 0, -128)),
        "raw_d65": seed(op, dt, 65, rows=3, x=(2, 0, 0, 0, 0, 0, 0, 0), raw=bytes(range(256))),
        "raw_gb_d31": seed(op, dt, 31, x=(2, 0, 0, 0, 0, 0, 0, 0), g=(2, 0, 0, 0), b=(2, 0, 0, 0)),
        "nan_last_row1_d65": seed(op, dt, 65, rows=3, pad=(3, 2), specials=[(1, "nan", "last", 0)]),
        "inf_first_d17": seed(op, dt, 17, rows=2, pad=(1, 1), specials=[(0, "inf", "first", 0)]),
        "inf_pair_d15": seed(op, dt, 15, specials=[(0, "inf", "first", 3), (0, "-inf", "last", 3)]),
        "inf_in_g_nan_in_b_d33": seed(op, dt, 33, specials=[(1, "inf", "last", 1), (2, "nan", "first", 1)]),
        "subnormal_max_d7": seed(op, dt, 7, specials=[(0, "minsub", "first", 0), (0, "max", "last", 0)]),
        "eps_inf_d3": seed(op, dt, 3, raw_eps=float("inf")),
        "eps_1e30_d129": seed(op, dt, 129, raw_eps=1e30),
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus_kernels")
    os.makedirs(out, exist_ok=True)
    for op, opn in enumerate(["rmsnorm", "layernorm"]):
        for dt, dtn in enumerate(["f32", "f16", "bf16"]):
            for name, data in seeds(op, dt).items():
                with open(os.path.join(out, f"{opn}_{dtn}_{name}"), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
