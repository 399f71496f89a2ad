ymax = 1.4988
