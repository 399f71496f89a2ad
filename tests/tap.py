"""TAP for the Python tests: ok() and skip() print a line each, done()
prints the plan and exits 1 if anything failed."""
import sys

_count = _failed = 0


def ok(cond, what):
    global _count, _failed
    _count += 1
    _failed += not cond
    print("%sok %d - %s" % ("" if cond else "not ", _count, what))
    return cond


def skip(what):
    global _count
    _count += 1
    print("ok %d # SKIP %s" % (_count, what))


def done():
    print("1..%d" % _count)
    sys.exit(1 if _failed else 0)
