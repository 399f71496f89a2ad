#!/usr/bin/python3
"""Writes the seed corpus for fuzz_kernels: for each op and dtype, inputs in
the layout fuzz_kernels.c decodes (see its header comment): N(0,1)-like rows,
shifted rows, massive channels, raw bits, special values in x, g and b,
zero and constant rows, and eps at 0, +inf and from raw bits; for each op
beyond RMSNorm and LayerNorm a few of its own (AddRMSNorm: residuals zero,
cancelling x, raw, overflowing r, with NaN and inf; RMSNorm1p: w = -1, small
and raw; the quantized ops: saturating and underflowing y, one dominant
channel). Rerunning rewrites the same bytes.
usage: make_corpus_kernels.py [DIR]   (default: corpus_kernels beside this script)"""
import os
import struct
import sys

OPS = ["rmsnorm", "layernorm", "addrmsnorm", "rmsnorm1p", "rmsnorm_i8", "rmsnorm_e4m3"]  # nb_op order
ADD = OPS.index("addrmsnorm")
TAILS = [1, 2, 3, 7, 15, 17, 31, 33, 63, 65, 127, 129, 255, 257, 1000, 1023, 1025, 2047, 2049, 4095, 4096, 4097]
SHIFTS = [0, 0, 0.5, 1, 3, 9.5, 10, 16, 64, 100, 1e3, 1e4, 4e4]
KINDS = ["nan", "inf", "-inf", "+0", "-0", "minsub", "-maxsub", "max"]
EPS = [0, 1e-12, 1e-6, 1e-5, 1e-2]


def target(op, rows, t):
    """An injection's target byte: an int is a row of x, ("res", r) a row of
    AddRMSNorm's residual, "g" and "b" the gain and the bias."""
    nrow = 2 * rows if op == ADD else rows
    if isinstance(t, int):
        return t
    if t in ("g", "b"):
        return nrow + (t == "b")
    assert op == ADD and t[0] == "res"
    return rows + t[1]


def seed(op, dt, d, rows=1, eps=1e-5, raw_eps=None, pad=(0, 0), x=(0, 0, 23, 0, 0, 0, 0, 0),
         g=(0, 0, 0, 0), b=(0, 0, 0, 0), specials=(), raw=b""):
    """One input. x: mode, scale exponent, noise bits, signs, shift, massive, factor, row step;
    g, b: mode, scale exponent, noise bits, signs (b: AddRMSNorm's residual); specials:
    (target, kind, 'first'|'last', k), target as target() reads it. The op is byte 0's
    bit 0 and byte 32's bits 2-7, k: op = (2 k + bit) mod 6."""
    out = bytes([(op & 1) | dt << 1 | pad[0] << 3 | pad[1] << 5, 1, TAILS.index(d)])
    sel = 5 if raw_eps is not None else EPS.index(eps)
    out += bytes([(rows - 1) | sel << 2]) + struct.pack("<f", raw_eps if raw_eps is not None else 0)
    out += struct.pack("<Q", 0x9E3779B97F4A7C15 * (op * 7 + dt * 3 + d + rows) % 2**64)
    out += bytes(v % 256 for v in x) + bytes(v % 256 for v in g) + bytes(v % 256 for v in b)
    sp = list(specials)[:3]
    out += bytes([len(sp) | (op >> 1) << 2])
    for t, kind, where, k in sp:
        out += bytes([target(op, rows, t), KINDS.index(kind), k % 256, (k >> 8) | (0x40 if where == "last" else 0)])
    out += bytes(4 * (3 - len(sp)))
    return out + raw


def seeds(op, dt):
    ln, add = OPS[op] == "layernorm", op == ADD
    res = (1, 0, 23, 0)  # AddRMSNorm: a residual like x
    bb = res if add else (0, 0, 0, 0)
    out = {
        "normal_d17": seed(op, dt, 17, rows=2, b=bb),
        "normal_d4097_gb": seed(op, dt, 4097, g=(1, 0, 8, 0), b=(1, -8, 8, 0) if ln or add else bb),
        "shift_9.5_d1025": seed(op, dt, 1025, x=(0, 0, 23, 0, SHIFTS.index(9.5), 0, 0, 0), b=bb),
        "shift_1e4_d1000": seed(op, dt, 1000, x=(0, 4, 10, 2, SHIFTS.index(1e4), 0, 0, 0), b=bb),
        "massive_d4096": seed(op, dt, 4096, rows=3, x=(0, 0, 23, 0, 0, 4, 7, 16), b=bb),
        "constmag_d4095": seed(op, dt, 4095, x=(0, 0, 0, 0, 0, 0, 0, 0)),
        "constant_eps0_d63": seed(op, dt, 63, eps=0, x=(0, 0, 0, 1, 0, 0, 0, 0)),
        "huge_tiny_rows_d33": seed(op, dt, 33, rows=3, x=(0, 80, 23, 0, 0, 0, 0, -128), b=bb),
        "raw_d65": seed(op, dt, 65, rows=3, x=(2, 0, 0, 0, 0, 0, 0, 0), raw=bytes(range(256))),
        "raw_gb_d31": seed(op, dt, 31, x=(2, 0, 0, 0, 0, 0, 0, 0), g=(2, 0, 0, 0), b=(2, 0, 0, 0)),
        "nan_last_row1_d65": seed(op, dt, 65, rows=3, pad=(3, 2), b=bb, specials=[(1, "nan", "last", 0)]),
        "inf_first_d17": seed(op, dt, 17, rows=2, pad=(1, 1), b=bb, specials=[(0, "inf", "first", 0)]),
        "inf_pair_d15": seed(op, dt, 15, b=bb, specials=[(0, "inf", "first", 3), (0, "-inf", "last", 3)]),
        "inf_in_g_nan_in_b_d33": seed(op, dt, 33, b=bb, specials=[("g", "inf", "last", 1), ("b", "nan", "first", 1)]),
        "subnormal_max_d7": seed(op, dt, 7, b=bb, specials=[(0, "minsub", "first", 0), (0, "max", "last", 0)]),
        "eps_inf_d3": seed(op, dt, 3, raw_eps=float("inf"), b=bb),
        "eps_1e30_d129": seed(op, dt, 129, raw_eps=1e30, b=bb),
    }
    if add:
        out.update({
            "res_zero_d65": seed(op, dt, 65, rows=2, pad=(2, 1)),
            "res_cancel_exact_eps0_d33": seed(op, dt, 33, rows=2, eps=0, b=(3, -128, 0, 1)),
            "res_cancel_d1025": seed(op, dt, 1025, rows=2, pad=(1, 3), b=(3, -16, 23, 0)),
            "res_scaled_d257": seed(op, dt, 257, rows=3, pad=(3, 0), b=(1, 24, 23, 2)),
            "res_raw_d65": seed(op, dt, 65, rows=3, b=(2, 0, 0, 0), raw=bytes(range(255, -1, -1))),
            "res_nan_row1_d17": seed(op, dt, 17, rows=2, pad=(1, 1), b=res, specials=[(("res", 1), "nan", "last", 2)]),
            "res_inf_d31": seed(op, dt, 31, b=res, specials=[(("res", 0), "inf", "first", 5)]),
            "res_inf_minus_inf_d15": seed(op, dt, 15, b=res,
                                          specials=[(0, "inf", "first", 4), (("res", 0), "-inf", "first", 4)]),
            "res_max_overflow_d7": seed(op, dt, 7, b=res,
                                        specials=[(0, "max", "last", 0), (("res", 0), "max", "last", 0)]),
        })
    if OPS[op] == "rmsnorm1p":
        out.update({
            "w_minus1_d17": seed(op, dt, 17, rows=2, g=(1, 0, 0, 3)),
            "w_small_d4097": seed(op, dt, 4097, g=(1, -40, 23, 0)),
            "w_raw_d255": seed(op, dt, 255, g=(2, 0, 0, 0), raw=bytes(range(0, 256, 3)) * 20),
            "w_nan_inf_d33": seed(op, dt, 33, g=(1, 0, 8, 0), specials=[("g", "nan", "first", 2), ("g", "-inf", "last", 2)]),
        })
    if OPS[op] in ("rmsnorm_i8", "rmsnorm_e4m3"):
        out.update({
            "g_huge_saturate_d65": seed(op, dt, 65, rows=2, g=(1, 127, 0, 1)),
            "g_tiny_underflow_d63": seed(op, dt, 63, g=(1, -128, 8, 0)),
            "one_dominant_d1023": seed(op, dt, 1023, x=(0, 0, 23, 0, 0, 1, 14, 0)),
            "g_nan_d17": seed(op, dt, 17, rows=3, pad=(1, 2), specials=[("g", "nan", "first", 3)]),
            "g_inf_d17": seed(op, dt, 17, rows=2, specials=[("g", "-inf", "last", 0)]),
        })
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus_kernels")
    os.makedirs(out, exist_ok=True)
    for op, opn in enumerate(OPS):
        for dt, dtn in enumerate(["f32", "f16", "bf16"]):
            for name, data in seeds(op, dt).items():
                with open(os.path.join(out, f"{opn}_{dtn}_{name}"), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
