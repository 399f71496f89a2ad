algos = "naive twopass welford accurate fast external"
isas = "scalar avx2 avx512 avx512bf16 onednn"
