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

CH03_TESTS = tests/ch03/test-ch03-units tests/ch03/test-ch03-run.sh
check_PROGRAMS += tests/ch03/test-ch03-units
tests_ch03_test_ch03_units_SOURCES = tests/ch03/test-ch03-units.c
EXTRA_tests_ch03_test_ch03_units_DEPENDENCIES = chapters/03-optimizers/ch03-optimizers.c
EXTRA_DIST += tests/ch03/test-ch03-run.sh
TESTS += $(CH03_TESTS)
## One chapter's tests alone (check-ch03 runs its exercises):
check-ch03-optimizers: $(CH03_LIB_TESTS) $(CH03_TESTS:.sh=)
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(CH03_LIB_TESTS) $(CH03_TESTS)'
.PHONY: check-ch03-optimizers

## Graded exercises (doc/EXERCISES.md): solutions/03-optimizers -> exercises/03-optimizers.
EXERCISE_DIRS += exercises/03-optimizers
