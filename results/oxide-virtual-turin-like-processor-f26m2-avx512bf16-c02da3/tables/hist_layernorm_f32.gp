names = "naive twopass welford accurate fast external/onednn external/torch"
