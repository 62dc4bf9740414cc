## Chapter 3: optimizers.  The lib tests of optim.c and batchnorm.c live
## here too, with their PyTorch reference scripts and values.
CH03_LIB_TESTS = tests/lib/test-optim tests/lib/test-batchnorm
check_PROGRAMS += $(CH03_LIB_TESTS)
TESTS += $(CH03_LIB_TESTS)
EXTRA_DIST += tests/ref/optim_torch.py tests/ref/optim_torch.txt \
	tests/ref/batchnorm_torch.py tests/ref/batchnorm_torch.txt

bin_PROGRAMS += ch03-optimizers
ch03_optimizers_SOURCES = chapters/03-optimizers/ch03-optimizers.c
FIGURE_CHAPTERS += ch03-optimizers
