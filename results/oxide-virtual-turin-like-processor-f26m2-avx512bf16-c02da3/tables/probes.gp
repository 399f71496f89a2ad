probes = "read copy copy_nt"
l2_read = 175.201
mem_read = 31.8668
l2_copy = 197.456
mem_copy = 33.0216
l2_copy_nt = 74.8938
mem_copy_nt = 39.7082
