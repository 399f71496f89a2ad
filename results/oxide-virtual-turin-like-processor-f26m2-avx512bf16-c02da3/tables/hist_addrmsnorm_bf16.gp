names = "naive twopass welford accurate fast"
