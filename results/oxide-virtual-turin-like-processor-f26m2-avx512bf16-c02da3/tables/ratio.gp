ymax = 1.6096
