ymax = 1.6075
