names = "f32/twopass_scalar f32/welford_scalar f32/accurate_scalar f32/twopass_avx2 f32/welford_avx2 f32/fast_avx2 f32/accurate_avx2 f32/twopass_avx512 f32/welford_avx512 f32/fast_avx512 f32/accurate_avx512"
bounded = " 1 2 3 4 5 6 7 8 9 10 11"
ylo = 0.1
yhi = 1
note = "error 0 (exact, not drawn) at D = 1: every line"
