names = "twopass/scalar welford/scalar accurate/scalar twopass/avx2 welford/avx2 fast/avx2 accurate/avx2 twopass/avx512 welford/avx512 fast/avx512 accurate/avx512"
inl2 = " 1 2 3 4 5 6 7 8 9 10 11"
inmem = " 1 2 3 4 5 6 7 8 9 10 11"
memrule = "cache-resident speed < 1/10 of memory copy"
iqr = 1
iqr_note = "error bars: interquartile range\nof the samples' per-call time (15 samples a point)"
