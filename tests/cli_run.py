#!/usr/bin/python3
"""TAP test of `normbench run`, with NumPy on the other side of every file.

(a) every kernel that runs here, on arrays NumPy saved, against a NumPy
    float64 computation, within the kernel's declared bound (normbench list:
    ulps of the output format, componentwise for RMSNorm, floored for
    LayerNorm, on rows with mean|x|/sigma <= 10). The float64 reference is
    off from the exact value by ~D * 2^-53 relative, under 1e-6 of an f32 ulp
    at these sizes; SLACK covers it.
(b) every error path: exit 2, one line "normbench run: error: ...", no output
    file, an existing output file left byte for byte.
(c) '<f2' input: what an f16 kernel receives unchanged, and f32 input rounded
    to nearest even into 16-bit kernels, checked against NumPy's rounding.
(d) hostile .npy headers.
usage: cli_run.py NORMBENCH   (run with /usr/bin/python3: Debian's python3-numpy)"""
import csv
import io
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("1..1")
    print("not ok 1 - numpy is not installed for %s (apt-get install python3-numpy)" % sys.executable)
    sys.exit(1)

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz"))
from make_corpus import header, saved  # noqa: E402

NB = sys.argv[1]
SLACK = 1e-3
FMT = {"f32": (24, -126), "f16": (11, -14), "bf16": (8, -126)}  # precision, smallest normal exponent
count = failed = 0


def ok(cond, what):
    global count, failed
    count += 1
    failed += not cond
    print("%s %d - %s" % ("ok" if cond else "not ok", count, what.replace("\n", " ")))


def skip(what):
    global count
    count += 1
    print("ok %d # SKIP %s" % (count, what))


def nb(*args, env=None):
    return subprocess.run([NB, *args], capture_output=True, text=True, env=env)


def kernels(d, env=None):
    r = nb("list", "--csv", "-", "--d", str(d), env=env)
    return list(csv.DictReader(io.StringIO(r.stdout)))


def to_bf16(a):
    """float32 -> nearest-even bfloat16, as float32 (finite inputs)."""
    u = np.asarray(a, dtype="<f4").view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view("<f4")


def stored(a, dtype):
    """Values exactly representable in the kernel's dtype, as float32."""
    a = np.asarray(a, dtype="<f4")
    return a if dtype == "f32" else a.astype("<f2").astype("<f4") if dtype == "f16" else to_bf16(a)


def reference(op, x, g, b, eps):
    if op == "rmsnorm1p":  # Gemma's gain 1 + w, formed in float32
        g = np.float32(1) + g.astype(np.float32)
    x, g = x.astype(np.float64), g.astype(np.float64)
    eps = float(np.float32(eps))
    if op != "layernorm":  # `run` gives addrmsnorm no residual: RMSNorm of x
        return g * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return g * (x - mu) / np.sqrt(var + eps) + (0 if b is None else b.astype(np.float64))


def ulp(v, dtype):
    p, emin = FMT[dtype]
    _, e = np.frexp(np.abs(v))  # |v| = m 2^e, m in [0.5, 1)
    e = np.where(v == 0, emin, np.maximum(e - 1, emin))
    return np.ldexp(1.0, e - p + 1)


def error(op, dtype, y, v, g):
    scale = np.maximum(np.abs(v), np.abs(g)) if op == "layernorm" else v
    return np.max(np.abs(y.astype(np.float64) - v) / ulp(scale, dtype))


def save(path, a):
    np.save(path, a, allow_pickle=False)
    return path


def run_kernel(k, tmp, x, g, b, eps=None, tag="r"):
    paths = [save(os.path.join(tmp, "%s_%s.npy" % (tag, n)), a) for n, a in (("x", x), ("g", g))]
    args = ["run", "--kernel", k["name"], "--input", paths[0], "--weight", paths[1]]
    if b is not None:
        args += ["--bias", save(os.path.join(tmp, tag + "_b.npy"), b)]
    if eps is not None:
        args += ["--eps", repr(eps)]
    y = os.path.join(tmp, tag + "_y.npy")
    r = nb(*args, "--output", y)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return np.load(y, allow_pickle=False), ""


def roundtrip(tmp, rng):
    for d in (7, 64, 1000):
        for k in kernels(d):
            if k["runs_here"] != "1":
                continue
            op, dt = k["op"], k["dtype"]
            if op in ("addrmsnorm", "rmsnorm1p") and d != 64:
                continue  # `run` is the same path for them; test_kernels holds their numerics
            if op in ("rmsnorm_i8", "rmsnorm_e4m3"):
                continue  # quantized(): their metrics
            x = stored(rng.standard_normal((4, d)), dt)
            g = stored(rng.uniform(0.5, 2, d) * rng.choice([-1, 1], d), dt)
            b = stored(rng.standard_normal(d), dt) if op == "layernorm" else None
            # a torch kernel's process loads libtorch (seconds under ASan): one
            # row length for it here; test_external holds it to its values
            if k["isa"] == "torch" and d != 64:
                continue
            for eps in (None, 0.25):
                y, err = run_kernel(k, tmp, x, g, b, eps)
                what = "%s d=%d eps=%s" % (k["name"], d, eps or "default")
                if y is None:
                    ok(False, what + ": " + err)
                    continue
                shape_ok = y.dtype == np.dtype("<f4") and y.shape == x.shape
                e = error(op, dt, y, reference(op, x, g, b, 1e-5 if eps is None else eps), g)
                bound = k["bound_ulp"]
                if bound in ("none", "inf"):
                    ok(shape_ok and np.all(np.isfinite(y)),
                       "%s: '<f4' %s, finite (no declared bound; max err %.3g ulp)" % (what, y.shape, e))
                else:
                    ok(shape_ok and e <= float(bound) + SLACK,
                       "%s: '<f4' %s, max err %.4g <= declared %s ulp" % (what, y.shape, e, bound))
    k = next(k for k in kernels(64) if k["runs_here"] == "1" and k["op"] == "rmsnorm")
    x = rng.standard_normal(64).astype("<f4")
    g = np.ones(64, dtype="<f4")
    y, err = run_kernel(k, tmp, x, g, None)
    ok(y is not None and y.shape == (64,), "1-D input gives a 1-D output %s %s" % (getattr(y, "shape", ""), err))
    y, err = run_kernel(k, tmp, np.zeros((0, 64), dtype="<f4"), g, None)
    ok(y is not None and y.shape == (0, 64), "(0, 64) input gives a (0, 64) output %s" % err)
    x = rng.standard_normal((2, 64)).astype("<f4")
    y1, e1 = run_kernel(k, tmp, x, g, None)
    v2 = os.path.join(tmp, "v2.npy")
    with open(v2, "wb") as fh:
        fh.write(saved(x, version=(2, 0)))
    r = nb("run", "--kernel", k["name"], "--input", v2, "--weight", os.path.join(tmp, "r_g.npy"), "--output",
           os.path.join(tmp, "v2_y.npy"))
    ok(r.returncode == 0 and y1 is not None and np.load(os.path.join(tmp, "v2_y.npy")).tobytes() == y1.tobytes(),
       "format 2.0 input (NumPy version=(2, 0)) reads as 1.0 does %s%s" % (e1, r.stderr.strip()))


def conversions(tmp, rng):
    """16-bit input reaches 16-bit kernels unchanged; f32 input is rounded to
    nearest even exactly as NumPy rounds (ties included)."""
    d = 64
    ties = {"f16": [1 + 2.0**-11, 1 + 3 * 2.0**-11, -(2 + 2.0**-10)],
            "bf16": [1 + 2.0**-8, 1 + 3 * 2.0**-8, -(2 + 2.0**-7)]}
    for k in kernels(d):
        if k["runs_here"] != "1":
            continue
        dt = k["dtype"]
        lay = k["op"] == "layernorm"
        x = rng.standard_normal((3, d)).astype("<f4")
        g = rng.uniform(0.5, 2, d).astype("<f4")
        b = rng.standard_normal(d).astype("<f4") if lay else None
        half = [a.astype("<f2") if a is not None else None for a in (x, g, b)]
        widened = [a.astype("<f4") if a is not None else None for a in half]
        y2, e2 = run_kernel(k, tmp, *half, tag="h")
        y4, e4 = run_kernel(k, tmp, *widened, tag="w")
        ok(y2 is not None and y4 is not None and y2.tobytes() == y4.tobytes(),
           "%s: '<f2' input gives the same bits as '<f4' of the same values %s%s" % (k["name"], e2, e4))
        if dt == "f32":
            continue
        x[0, :3] = ties[dt]
        yr, er = run_kernel(k, tmp, x, g, b, tag="f")
        yp, ep = run_kernel(k, tmp, *[stored(a, dt) if a is not None else None for a in (x, g, b)], tag="p")
        ok(yr is not None and yp is not None and yr.tobytes() == yp.tobytes(),
           "%s: f32 input rounded to nearest even like NumPy (ties too) %s%s" % (k["name"], er, ep))


def hostile(tmp):
    """(name, bytes) of files every reader must refuse."""
    x = np.arange(24, dtype="<f4").reshape(3, 8)
    good = saved(x)
    dict_ = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }"
    return [
        ("empty file", b""),
        ("bad magic", b"\x93NUMPX" + good[6:]),
        ("format version 3.0", good[:6] + b"\x03\x00" + good[8:]),
        ("truncated inside the magic", good[:5]),
        ("truncated inside the header", good[:40]),
        ("truncated data", good[:-1]),
        ("trailing garbage", good + b"\0\0\0\0"),
        ("header length past the end", good[:8] + b"\xff\xff" + good[10:]),
        ("huge shape", header(dict_ % "(4294967296, 4294967296)")),
        ("shape over 2^34 bytes", header(dict_ % "(65536, 65537)")),
        ("shape overflowing 64 bits", header(dict_ % "(18446744073709551617, 8)")),
        ("negative dimension", header(dict_ % "(-3, 8)") + good[128:]),
        ("0-d array", header(dict_ % "()") + b"\0\0\0\0"),
        ("3-D input", saved(x.reshape(3, 2, 4))),
        ("fortran order", saved(np.asfortranarray(x))),
        ("bad dict (unclosed)", header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 8)") + good[128:]),
        ("bad dict (unknown key)", header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 8), 'x': 1}")
         + good[128:]),
        ("bad dict (no descr)", header("{'fortran_order': False, 'shape': (3, 8)}") + good[128:]),
        ("bad dict (not a dict)", header("[1, 2, 3]") + good[128:]),
        ("f8 input", saved(x.astype("<f8"))),
        ("big-endian input", saved(x.astype(">f4"))),
        ("int32 input", saved(x.astype("<i4"))),
        ("rows of length 0", saved(np.zeros((3, 0), dtype="<f4"))),
    ]


def errors(tmp, rng):
    d = 8
    here = [k for k in kernels(d) if k["runs_here"] == "1"]
    rms = next(k["name"] for k in here if k["op"] == "rmsnorm")
    lay = next(k["name"] for k in here if k["op"] == "layernorm")
    f = {}
    for name, a in (("x", rng.standard_normal((3, d))), ("g", np.ones(d)), ("b", np.zeros(d)),
                    ("g7", np.ones(7)), ("g2d", np.ones((1, d))), ("gf8", np.ones(d, dtype="<f8")),
                    ("gi", np.ones(d, dtype="<i4"))):
        f[name] = save(os.path.join(tmp, "e_%s.npy" % name), a if a.dtype != np.float64 or name == "gf8"
                       else a.astype("<f4"))
    with open(os.path.join(tmp, "e_trunc_g.npy"), "wb") as fh:
        fh.write(saved(np.ones(d, dtype="<f4"))[:-2])
    f["gt"] = fh.name
    os.mkdir(os.path.join(tmp, "adir"))
    X, G, B = f["x"], f["g"], f["b"]
    Y = "{Y}"
    base = ["--input", X, "--weight", G, "--output", Y]
    cases = [
        ("unknown kernel", ["--kernel", "no_such_kernel"] + base),
        ("missing --kernel", base),
        ("missing --input", ["--kernel", rms, "--weight", G, "--output", Y]),
        ("missing --weight", ["--kernel", rms, "--input", X, "--output", Y]),
        ("missing --output", ["--kernel", rms, "--input", X, "--weight", G]),
        ("option without its value", ["--kernel", rms] + base + ["--eps"]),
        ("unknown option", ["--kernel", rms, "--frobnicate"] + base),
        ("stray argument", ["--kernel", rms] + base + ["extra"]),
        ("bias for an RMSNorm kernel", ["--kernel", rms, "--bias", B] + base),
        ("weight length 7 != D 8", ["--kernel", rms, "--input", X, "--weight", f["g7"], "--output", Y]),
        ("bias length 7 != D 8", ["--kernel", lay, "--bias", f["g7"]] + base),
        ("2-D weight", ["--kernel", rms, "--input", X, "--weight", f["g2d"], "--output", Y]),
        ("2-D bias", ["--kernel", lay, "--bias", f["g2d"]] + base),
        ("f8 weight", ["--kernel", rms, "--input", X, "--weight", f["gf8"], "--output", Y]),
        ("int32 bias", ["--kernel", lay, "--bias", f["gi"]] + base),
        ("truncated weight", ["--kernel", rms, "--input", X, "--weight", f["gt"], "--output", Y]),
        ("missing input file", ["--kernel", rms, "--input", os.path.join(tmp, "nope.npy"), "--weight", G,
                                "--output", Y]),
        ("directory as input", ["--kernel", rms, "--input", tmp, "--weight", G, "--output", Y]),
    ]
    for eps in ("-1", "-1e-30", "nan", "inf", "-inf", "abc", "", "1e-5x", "1e99", "1e-60"):
        cases.append(("--eps '%s'" % eps, ["--kernel", rms, "--eps", eps] + base))
    for name, data in hostile(tmp):
        p = os.path.join(tmp, "h_%d.npy" % len(cases))
        with open(p, "wb") as fh:
            fh.write(data)
        cases.append(("input: " + name, ["--kernel", rms, "--input", p, "--weight", G, "--output", Y]))

    off = off_kernel(d)
    if off:
        cases.append(("kernel not runnable here (NORMBENCH_CPU_DISABLE=%s)" % off[1],
                      ["--kernel", off[0]] + base, {**os.environ, "NORMBENCH_CPU_DISABLE": off[1]}))
    else:
        skip("kernel not runnable here: every registered kernel runs with all CPU features hidden")

    y = os.path.join(tmp, "y.npy")
    for case in cases:
        name, args, env = case if len(case) == 3 else (*case, None)
        for old in (None, b"old content, not an npy file\n"):
            if os.path.exists(y):
                os.remove(y)
            if old:
                with open(y, "wb") as fh:
                    fh.write(old)
            r = nb("run", *[y if a == Y else a for a in args], env=env)
            after = open(y, "rb").read() if os.path.exists(y) else None
            litter = [n for n in os.listdir(tmp) if n.startswith(".normbench-")]
            lines = r.stderr.splitlines()
            good = (r.returncode == 2 and len(lines) == 1 and lines[0].startswith("normbench run: error:")
                    and r.stdout == "" and after == old and not litter)
            ok(good, "%s%s: exit %d, %s" % (name, ", existing output kept" if old else "", r.returncode,
                                            r.stderr.strip() or "(no message)"))

    for name, out in (("output in a missing directory", os.path.join(tmp, "no", "such", "y.npy")),
                      ("output is a directory", os.path.join(tmp, "adir"))):
        r = nb("run", "--kernel", rms, "--input", X, "--weight", G, "--output", out)
        lines = r.stderr.splitlines()
        ok(r.returncode == 2 and len(lines) == 1 and lines[0].startswith("normbench run: error:")
           and not os.path.exists(os.path.join(tmp, "no")) and os.listdir(os.path.join(tmp, "adir")) == []
           and not [n for n in os.listdir(tmp) if n.startswith(".normbench-")],
           "%s: exit %d, %s" % (name, r.returncode, r.stderr.strip()))


def off_kernel(d):
    """(kernel, NORMBENCH_CPU_DISABLE value) for a kernel that cannot run
    once every detected feature is hidden, or None."""
    feats = next((l.split(":", 1)[1].split() for l in nb("cpu").stdout.splitlines() if l.startswith("features:")), [])
    if not feats:
        return None
    env = {**os.environ, "NORMBENCH_CPU_DISABLE": ",".join(feats)}
    off = [k["name"] for k in kernels(d, env) if k["runs_here"] == "0"]
    return (off[0], env["NORMBENCH_CPU_DISABLE"]) if off else None


def quantized(tmp, rng):
    """the quantized kernels' Y (q times the row's scale; e4m3 values) in
    their metrics, and AddRMSNorm's --residual, against float64"""
    for k in kernels(64):
        if k["runs_here"] != "1" or k["op"] not in ("rmsnorm_i8", "rmsnorm_e4m3"):
            continue
        dt = k["dtype"]
        x = stored(rng.standard_normal((4, 64)), dt)
        g = stored(rng.uniform(0.5, 2, 64), dt)
        y, err = run_kernel(k, tmp, x, g, None)
        if y is None:
            ok(False, k["name"] + ": " + err)
            continue
        v = reference("rmsnorm", x, g, None, 1e-5)
        if k["op"] == "rmsnorm_e4m3":
            c = np.clip(v, -448, 448)
            u = np.exp2(np.maximum(np.floor(np.log2(np.abs(c))), -6) - 3)
            e = float(np.max(np.abs(y - c) / u))
        else:
            s = np.max(np.abs(y.astype(np.float64)), axis=1, keepdims=True) / 127
            q = y / s
            se = np.max(np.abs(v), axis=1, keepdims=True) / 127
            e = float(np.max(np.abs(np.round(q) - v / se)))
            e = e if np.all(np.abs(q - np.round(q)) < 1e-4) else float("inf")
        ok(y.shape == x.shape and e <= float(k["bound_ulp"]) + SLACK,
           "%s: Y in its metric, max err %.4g <= declared %s" % (k["name"], e, k["bound_ulp"]))
    k = next(k for k in kernels(64) if k["runs_here"] == "1" and k["op"] == "addrmsnorm" and k["dtype"] == "f32")
    x, res = rng.standard_normal((3, 64)).astype("<f4"), rng.standard_normal((3, 64)).astype("<f4")
    g = rng.uniform(0.5, 2, 64).astype("<f4")
    rp = save(os.path.join(tmp, "res.npy"), res)
    paths = [save(os.path.join(tmp, "res_%s.npy" % n), a) for n, a in (("x", x), ("g", g))]
    out = os.path.join(tmp, "res_y.npy")
    r = nb("run", "--kernel", k["name"], "--input", paths[0], "--weight", paths[1], "--residual", rp, "--output", out)
    e = error("rmsnorm", "f32", np.load(out), reference("rmsnorm", x + res, g, None, 1e-5), g) if r.returncode == 0 else 1e9
    ok(e <= float(k["bound_ulp"]) + SLACK, "%s --residual: RMSNorm(x + r), max err %.4g <= declared %s ulp %s"
       % (k["name"], e, k["bound_ulp"], r.stderr.strip()))
    rk = next(k for k in kernels(64) if k["runs_here"] == "1" and k["op"] == "rmsnorm")
    for what, kn, rpath in (("--residual for an RMSNorm kernel", rk["name"], rp),
                            ("--residual of another shape", k["name"], paths[1])):
        bad = os.path.join(tmp, "bad_y.npy")
        r = nb("run", "--kernel", kn, "--input", paths[0], "--weight", paths[1], "--residual", rpath, "--output", bad)
        ok(r.returncode == 2 and r.stderr.count("\n") == 1 and not os.path.exists(bad),
           "%s: exit 2, one line, no output (%s)" % (what, r.stderr.strip()))


def main():
    rng = np.random.default_rng(20240601)
    with tempfile.TemporaryDirectory(prefix="nb_cli_run.") as tmp:
        r = nb("run", "--help")
        ok(r.returncode == 0 and "--kernel" in r.stdout and "--eps" in r.stdout and "exit status 2" in r.stdout,
           "run --help documents the options and the errors")
        roundtrip(tmp, rng)
        conversions(tmp, rng)
        errors(tmp, rng)
        quantized(tmp, rng)
    print("1..%d" % count)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
