algos = "naive twopass welford accurate fast external"
isas = "scalar avx2 avx512 torch onednn avx512bf16"
