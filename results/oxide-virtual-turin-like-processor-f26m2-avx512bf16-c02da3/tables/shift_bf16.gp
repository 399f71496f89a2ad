names = "naive twopass welford accurate fast external/onednn external/torch"
note = "error 0 (exact, not drawn) at mu/sigma = 10000: every line but external/torch; no finite error (NaN or inf output) at mu/sigma = 1000: naive"
