probes = "read copy copy_nt"
l2_read = 240.549
mem_read = 34.9011
l2_copy = 251.171
mem_copy = 34.6294
l2_copy_nt = 68.8729
mem_copy_nt = 50.3473
