names = "naive/scalar twopass/scalar welford/scalar accurate/scalar twopass/avx2 welford/avx2 fast/avx2 accurate/avx2 twopass/avx512 welford/avx512 fast/avx512 accurate/avx512 external/onednn external/torch"
bounded = " 1 2 3 4 5 6 7 8 9 10 11 12"
ylo = 0.1
yhi = 1e+08
note = "error 0 (exact, not drawn) at D = 1: every line but external/torch"
