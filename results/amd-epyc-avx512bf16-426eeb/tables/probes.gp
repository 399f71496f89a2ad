probes = "read copy copy_nt"
l2_read = 237.986
mem_read = 32.547
l2_copy = 250.987
mem_copy = 32.271
l2_copy_nt = 74.4751
mem_copy_nt = 45.0151
