# x87 test: compile with the FPU allowed (gcc emits x87 for float/double).
x87_FPU := 1
