"""The README's options table holds for every command: each option, with the
example value the table gives, is accepted by every command its row names
(`normbench CMD OPTION VALUE --help` exits 0) and refused by every other
command (exit 2, one line). `gbench` names normbench_gbench.
Usage: check_options.py README.md NORMBENCH NORMBENCH_GBENCH. TAP on stdout."""
import re
import subprocess
import sys

from tap import done, ok

readme, nb, gbench = sys.argv[1:4]
COMMANDS = ["list", "cpu", "run", "accuracy", "perf", "compare", "recommend", "report", "gbench"]



with open(readme) as f:
    lines = f.read().splitlines()
start = [i for i, l in enumerate(lines) if re.match(r"\|\s*option\s*\|\s*commands\s*\|", l)]
ok(len(start) == 1, "one options table in the README")
rows = []
for l in lines[start[0] + 2:] if start else []:
    if not l.startswith("|"):
        break
    cells = [c.strip() for c in l.strip("|").split("|")]
    rows.append((re.findall(r"`([^`]*)`", cells[0]), [c.strip() for c in cells[1].split(",")]))
ok(len(rows) >= 20, "the table has a row per option (%d rows)" % len(rows))

for spans, cmds in rows:
    bad = [c for c in cmds if c not in COMMANDS and c != "every command"]
    if bad or not spans:
        ok(False, "row %s: unknown command %s" % (spans, bad))
        continue
    every = cmds == ["every command"]
    for example in spans:
        args = example.split()
        for cmd in COMMANDS:
            argv = [gbench] if cmd == "gbench" else [nb, cmd]
            p = subprocess.run(argv + args + ["--help"], capture_output=True, text=True)
            if every or cmd in cmds:
                ok(p.returncode == 0, "%s accepts %s (exit %d %s)" % (cmd, example, p.returncode, p.stderr.strip()))
            else:
                ok(p.returncode == 2 and p.stderr.count("\n") == 1,
                   "%s refuses %s, as the table says (exit %d)" % (cmd, example, p.returncode))

done()
