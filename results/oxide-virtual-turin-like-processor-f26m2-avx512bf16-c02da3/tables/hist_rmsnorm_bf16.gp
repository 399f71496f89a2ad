names = "naive twopass welford accurate fast external/torch"
