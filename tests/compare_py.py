"""How Google Benchmark's tools/compare.py reads benchmark JSON, restated
for the tests (gbench/util.py sort_benchmark_results; gbench/report.py
partition_benchmarks): no test depends on a copy of Google Benchmark."""


def sort_like_compare(bs):
    """util.sort_benchmark_results: family, instance, iterations before
    aggregates, repetition (stable sorts, innermost key first)."""
    bs = sorted(bs, key=lambda b: b.get("repetition_index", -1))
    bs = sorted(bs, key=lambda b: 1 if b.get("run_type") == "aggregate" else 0)
    bs = sorted(bs, key=lambda b: b.get("per_family_instance_index", -1))
    return sorted(bs, key=lambda b: b.get("family_index", -1))


def pair_by_name(lhs, rhs):
    """report.partition_benchmarks: names of lhs (first-seen order) also in
    rhs, each with its entries on both sides that carry time_unit,
    real_time and cpu_time."""
    comparable = lambda b: "time_unit" in b and "real_time" in b and "cpu_time" in b
    names = [n for n in dict.fromkeys(b["name"] for b in lhs) if n in {b["name"] for b in rhs}]
    return [([b for b in lhs if b["name"] == n and comparable(b)], [b for b in rhs if b["name"] == n and comparable(b)])
            for n in names]
