probes = "read copy copy_nt"
l2_read = 242.794
mem_read = 35.8806
l2_copy = 252.061
mem_copy = 36.0797
l2_copy_nt = 74.7924
mem_copy_nt = 53.0284
