ymax = 1.6082
