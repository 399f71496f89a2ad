names = "f16/twopass_scalar f16/welford_scalar f16/accurate_scalar f16/twopass_avx2 f16/welford_avx2 f16/fast_avx2 f16/accurate_avx2 f16/twopass_avx512 f16/welford_avx512 f16/fast_avx512 f16/accurate_avx512"
bounded = " 1 2 3 4 5 6 7 8 9 10 11"
ylo = 0.1
yhi = 1
note = ""
