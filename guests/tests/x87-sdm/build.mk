x87-sdm_FPU := 1
