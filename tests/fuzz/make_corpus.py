#!/usr/bin/python3
"""Writes the seed corpus for fuzz_npy: a few files NumPy itself saved, and
hostile variants derived from them. Run with Debian's /usr/bin/python3
(python3-numpy); rerunning rewrites the same bytes.
usage: make_corpus.py [DIR]   (default: corpus_npy beside this script)"""
import io
import os
import sys

import numpy as np


def saved(a, version=None):
    b = io.BytesIO()
    np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


def header(d, version=1):
    """A prefix and dict padded as NumPy pads, without any data."""
    pre = 10 if version == 1 else 12
    d = d.encode()
    hlen = -(-(pre + len(d) + 1) // 64) * 64 - pre
    size = hlen.to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + size + d + b" " * (hlen - len(d) - 1) + b"\n"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus_npy")
    os.makedirs(out, exist_ok=True)
    x = np.arange(12, dtype="<f4").reshape(3, 4) / 7
    f4 = saved(x)
    seeds = {
        "ok_f4_2d": f4,
        "ok_f2_1d": saved(np.array([1, -2, 0.5, np.inf, np.nan], dtype="<f2")),
        "ok_f4_empty_rows": saved(np.zeros((0, 4), dtype="<f4")),
        "ok_f4_v2": saved(x[0], version=(2, 0)),
        "bad_f8": saved(x.astype("<f8")),
        "bad_big_endian": saved(x.astype(">f4")),
        "bad_fortran": saved(np.asfortranarray(x)),
        "bad_3d": saved(x.reshape(3, 2, 2)),
        "bad_truncated": f4[:-5],
        "bad_trailing": f4 + b"\0",
        "bad_magic": b"\x93NUMPX" + f4[6:],
        "bad_version3": f4[:6] + b"\x03\x00" + f4[8:],
        "bad_hlen": f4[:8] + b"\xff\xff" + f4[10:],
        "bad_negative": header("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }"),
        "bad_huge": header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
        "bad_dict": header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)"),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name + ".npy"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
