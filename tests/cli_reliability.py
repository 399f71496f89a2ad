#!/usr/bin/python3
"""TAP test of the command line against hostile paths and inputs (issue 16):
outputs that are devices, FIFOs, links or full; inputs that are FIFOs;
messages that must stay one printable line; the commands' inconsistencies.

Device outputs go to private device nodes made with mknod in a scratch
directory (the devices of /dev/null and /dev/full), so that a normbench that
wrongly replaced its output would replace only those; without mknod they are
the real /dev/null and /dev/full when not root (who cannot replace them),
and are skipped as root.
usage: cli_reliability.py NORMBENCH   (run with /usr/bin/python3: Debian's python3-numpy)"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

NB = sys.argv[1]
RMS, LN = "rmsnorm_f32_twopass_scalar", "layernorm_f32_twopass_scalar"
count = failed = 0


def ok(cond, what):
    global count, failed
    count += 1
    failed += not cond
    print("%s %d - %s" % ("ok" if cond else "not ok", count, what.replace("\n", "\\n")))


def skip(what):
    global count
    count += 1
    print("ok %d # SKIP %s" % (count, what))


def nb(*args, env=None, timeout=60, stdout=subprocess.PIPE):
    try:
        r = subprocess.run([NB, *args], stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=timeout)
        return r.returncode, (r.stdout or b"").decode("latin-1"), r.stderr.decode("latin-1")
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


def one_error(r, status=2):
    """exit status, and exactly one printable line on stderr"""
    rc, _, err = r
    lines = err.split("\n")
    return (rc == status and len(lines) == 2 and lines[1] == ""
            and all(0x20 <= ord(c) < 0x7f for c in lines[0]) and " error: " in lines[0])


tmp = tempfile.mkdtemp()
P = lambda *n: os.path.join(tmp, *n)  # noqa: E731
X, G, B = P("x.npy"), P("g.npy"), P("b.npy")
np.save(X, np.random.default_rng(1).standard_normal((3, 8)).astype("<f4"))
np.save(G, np.ones(8, "<f4"))
np.save(B, np.zeros(8, "<f4"))
RUN = ["run", "--kernel", RMS, "--input", X, "--weight", G, "--output"]

null = full = None
try:
    os.mknod(P("null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(P("full"), 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    null, full = P("null"), P("full")
except OSError:
    if os.geteuid() != 0:
        null, full = "/dev/null", "/dev/full"


def is_chr(p):
    return stat.S_ISCHR(os.lstat(p).st_mode)


def litter():
    return [n for n in os.listdir(tmp) if n.startswith(".normbench-")]


# ---- item 1: outputs -------------------------------------------------------
outputs = [
    ("run --output", lambda o: RUN + [o]),
    ("perf --csv", lambda o: ["perf", "--kernel", RMS, "--d", "64", "--working-set", "4096", "--repetitions", "1",
                              "--min-time", "0.001", "--quiet", "--csv", o]),
    ("perf --json", lambda o: ["perf", "--kernel", RMS, "--d", "64", "--working-set", "4096", "--repetitions", "1",
                               "--min-time", "0.001", "--quiet", "--json", o]),
    ("accuracy --csv", lambda o: ["accuracy", "--input", X, "--weight", G, "--kernel", RMS, "--quiet", "--csv", o]),
    ("recommend --wisdom", lambda o: ["recommend", "--op", "rmsnorm", "--dtype", "f32", "--d", "64", "--no-timing",
                                      "--wisdom", o]),
]
for name, args in outputs:
    if null:
        r = nb(*args(null), stdout=subprocess.DEVNULL)
        ok(r[0] == 0 and is_chr(null), "%s to a character device (null): written through, not replaced: %s"
           % (name, r[2].strip()))
        r = nb(*args(full), stdout=subprocess.DEVNULL)
        ok(one_error(r, 3 if name.startswith("accuracy") else 2) and "No space left" in r[2] and is_chr(full),
           "%s to a full device: exit %s, %s" % (name, r[0], r[2].strip()))
    else:
        skip("%s to devices: root without mknod" % name)

    fifo = P("out.fifo")
    os.mkfifo(fifo)
    # Held open by the test as well, so that the reader neither waits for a
    # normbench that never opens the FIFO nor sees its end before the test
    # lets go: then it reads whatever normbench wrote through.
    hold = os.open(fifo, os.O_RDWR)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    r = nb(*args(fifo), stdout=subprocess.DEVNULL, timeout=60)
    os.close(hold)
    reader.join()
    ok(r[0] == 0 and stat.S_ISFIFO(os.lstat(fifo).st_mode) and len(got[0]) > 0,
       "%s to a FIFO: written through to its reader (%d bytes), still a FIFO" % (name, len(got[0])))
    os.remove(fifo)

    target, link = P("target"), P("link")
    with open(target, "w") as f:
        f.write("old\n")
    os.chmod(target, 0o640)
    os.symlink("target", link)
    r = nb(*args(link), stdout=subprocess.DEVNULL)
    ok(r[0] == 0 and os.path.islink(link) and open(target, "rb").read() != b"old\n"
       and stat.S_IMODE(os.stat(target).st_mode) == 0o640,
       "%s to a symbolic link: the target replaced with its mode, the link kept" % name)
    os.remove(target)
    r = nb(*args(link), stdout=subprocess.DEVNULL)
    # nb_wisdom_save reports through errno alone: ENOENT
    why = "No such file" if name.startswith("recommend") else "symbolic link"
    ok(one_error(r, 3 if name.startswith("accuracy") else 2) and not os.path.exists(target) and why in r[2],
       "%s to a dangling link: refused: %s" % (name, r[2].strip()))
    os.remove(link)

r = nb(*RUN, "-")
ok(r[0] == 0 and r[1].startswith("\x93NUMPY"), "run --output -: the .npy on stdout")
ok(not litter(), "no temporary file left by any of the above")

# ---- item 2: inputs that are FIFOs ----------------------------------------------
fifo = P("in.fifo")
os.mkfifo(fifo)
for name, args in (("run --input", ["run", "--kernel", RMS, "--input", fifo, "--weight", G, "--output", P("y.npy")]),
                   ("run --weight", ["run", "--kernel", RMS, "--input", X, "--weight", fifo, "--output", P("y.npy")]),
                   ("run --bias", ["run", "--kernel", LN, "--input", X, "--weight", G, "--bias", fifo,
                                   "--output", P("y.npy")]),
                   ("accuracy --input", ["accuracy", "--input", fifo, "--weight", G])):
    r = nb(*args, timeout=20)
    ok(one_error(r) and "FIFO" in r[2], "%s on a FIFO: exit %s, %s" % (name, r[0], r[2].strip()))

# ---- item 3: one printable line --------------------------------------------------


def npy(path, hdr):
    h = hdr.encode("latin-1")
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + bytes([len(h), 0]) + h + b"\0" * 4)


npy(P("esc.npy"), "{'descr': '<f4\x1b[2J', 'fortran_order': False, 'shape': (1,), }")
npy(P("nl.npy"), "{'de\nscr': '<f4', 'fortran_order': False, 'shape': (1,), }")
for f in ("esc.npy", "nl.npy"):
    r = nb("run", "--kernel", RMS, "--input", P(f), "--weight", G, "--output", P("y.npy"))
    ok(one_error(r) and "\\x" in r[2], "a header with a control byte (%s): %s" % (f, r[2].strip()))
r = nb("run", "--kernel", RMS, "--input", P("no\nsuch\x1b[2J.npy"), "--weight", G, "--output", P("y.npy"))
ok(one_error(r) and "no\\x0asuch\\x1b" in r[2], "a file name with a newline and an escape: %s" % r[2].strip())

# ---- item 4: empty inputs ----------------------------------------------------------
np.save(P("e05.npy"), np.zeros((0, 5), "<f4"))
np.save(P("g5.npy"), np.ones(5, "<f4"))
np.save(P("e30.npy"), np.zeros((3, 0), "<f4"))
np.save(P("g0.npy"), np.zeros(0, "<f4"))
for x, g, want in (("e05.npy", "g5.npy", "no rows"), ("e30.npy", "g0.npy", "rows of length 0")):
    r = nb("accuracy", "--input", P(x), "--weight", P(g))
    ok(one_error(r) and want in r[2], "accuracy --input %s: exit %s, %s" % (x, r[0], r[2].strip()))
r = nb("run", "--kernel", RMS, "--input", P("e30.npy"), "--weight", P("g0.npy"), "--output", P("y.npy"))
ok(one_error(r) and "rows of length 0" in r[2], "run --input (3, 0) says the same: %s" % r[2].strip())

# ---- item 9: the smaller inconsistencies --------------------------------------------
r = nb("list", "--d")
ok(one_error(r) and "needs a value" in r[2], "list --d without a value: %s" % r[2].strip())
r = nb("perf", "--working-set", "18446744073709551615")
ok(one_error(r) and "--working-set" in r[2], "perf --working-set 2^64-1: %s" % r[2].strip())
r = nb("accuracy", "--eps", "1e-50")
r2 = nb("run", "--kernel", RMS, "--input", X, "--weight", G, "--eps", "1e-50", "--output", P("y.npy"))
ok(one_error(r) and one_error(r2), "--eps 1e-50 (rounds to 0) refused by accuracy and run alike: %s" % r[2].strip())
r = nb("accuracy", "--op", "rmsnorm", "--input", X, "--weight", G, "--bias", B)
ok(one_error(r) and "bias" in r[2], "accuracy --op rmsnorm --bias: %s" % r[2].strip())
np.save(P("g18.npy"), np.ones((1, 8), "<f4"))
r = nb("accuracy", "--input", X, "--weight", P("g18.npy"))
r2 = nb("run", "--kernel", RMS, "--input", X, "--weight", P("g18.npy"), "--output", P("y.npy"))
ok(one_error(r) and one_error(r2), "a (1, D) weight refused by accuracy and run alike: %s" % r[2].strip())
t = time.time()
r = nb("accuracy", "--search", "--kernel", RMS, "--d", "16", "--time", "30", "--save-worst", P("x.npy", "sub"))
ok(one_error(r, 3) and time.time() - t < 20 and not os.path.exists(P("x.npy", "sub")),
   "--save-worst under a file: refused before the search (%.1f s): %s" % (time.time() - t, r[2].strip()))
with open("/dev/full", "w") as devfull:  # opened for writing only: never replaced
    r = nb("list", stdout=devfull)
ok(one_error(r) and "standard output" in r[2], "list > /dev/full: exit %s, %s" % (r[0], r[2].strip()))
r = nb("cpu", env={**os.environ, "NORMBENCH_CPU_DISABLE": "garbage,avx512f"})
ok(r[0] == 0 and "unknown feature 'garbage'" in r[2] and len(r[2].splitlines()) == 1,
   "NORMBENCH_CPU_DISABLE=garbage: one warning line: %s" % r[2].strip())
long = P("y" * 250 + ".npy")
r = nb(*RUN, long)
ok(r[0] == 0 and os.path.exists(long), "run --output with a 254-byte name")
if os.path.exists(long):
    os.remove(long)
deep = P(*(["d" * 200] * 5), "y.npy")
r = nb(*RUN, deep)
ok(one_error(r) and deep in r[2] and r[2].rstrip().endswith("No such file or directory"),
   "an error naming a %d-byte path keeps it whole, then the reason" % len(deep))

# the oneDNN wrapper's per-thread state: under LeakSanitizer a leak would
# turn this exit status into 1, which accuracy reserves for a breach
onednn = nb("list", "--csv", "-")[1]
if "layernorm_f32_external_onednn,layernorm,f32,external,onednn,1" in onednn:
    r = nb("accuracy", "--kernel", "layernorm_f32_external_onednn", "--d", "8,64", "--dist", "normal", "--jobs", "2",
           "--quiet")
    ok(r[0] == 0, "accuracy on oneDNN with 2 worker threads: exit %s %s" % (r[0], r[2][-300:].strip()))
else:
    skip("oneDNN not built or not runnable here")

ok(not litter(), "no temporary file left")
shutil.rmtree(tmp)
print("1..%d" % count)
sys.exit(1 if failed else 0)
