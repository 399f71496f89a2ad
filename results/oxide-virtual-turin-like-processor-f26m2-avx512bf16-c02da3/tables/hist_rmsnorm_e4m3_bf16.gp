names = "twopass welford accurate fast"
