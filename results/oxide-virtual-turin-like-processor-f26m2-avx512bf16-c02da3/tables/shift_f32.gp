names = "naive twopass welford accurate fast external/onednn external/torch"
note = "no finite error (NaN or inf output) at mu/sigma = 1000: naive"
