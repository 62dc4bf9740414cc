## chapters/05-convolution: chapter 5, convolution, and the tests of lib/conv.c.

## The library's conv2d against the decks' examples, the naive reference,
## central differences and PyTorch (reference values committed; regenerate
## with /usr/bin/python3 tests/ch05/conv_reference.py > tests/ch05/conv_reference.txt).
CH05_LIB_TESTS = tests/lib/test-conv tests/lib/test-winograd tests/ch05/test-ref-current.sh
check_PROGRAMS += tests/lib/test-conv tests/lib/test-winograd
tests_lib_test_conv_SOURCES = tests/lib/test-conv.c tests/ch05/reference.h
## The Winograd path of conv2d (lib/winograd.c) against the naive reference, bit for bit across paths and threads.
tests_lib_test_winograd_SOURCES = tests/lib/test-winograd.c
EXTRA_DIST += tests/ch05/conv_reference.py tests/ch05/conv_reference.txt \
	tests/ch05/test-ref-current.sh
TESTS += $(CH05_LIB_TESTS)

## The benchmark of bench/bench-conv.c (listed in BENCHMARKS by bench/local.mk):
## `make bench-conv` runs it and PyTorch's bench/bench_conv_torch.py, one
## thread each, and prints per-layer ratios.
bench_bench_conv_SOURCES = bench/bench-conv.c
bench-conv: bench/bench-conv
	$(SHELL) $(srcdir)/bench/bench-conv.sh ./bench/bench-conv \
	  $(srcdir)/bench/bench_conv_torch.py '$(PYTHON3)'
.PHONY: bench-conv

## Chapter 5: convolution.
bin_PROGRAMS += ch05-convolution
ch05_convolution_SOURCES = chapters/05-convolution/ch05-convolution.c
FIGURE_CHAPTERS += ch05-convolution

## Chapter tests: the chapter's loops against the library, and runs of the program.
CH05_TESTS = tests/ch05/test-ch05-units tests/ch05/test-ch05-run.sh
check_PROGRAMS += tests/ch05/test-ch05-units
tests_ch05_test_ch05_units_SOURCES = tests/ch05/test-ch05-units.c
EXTRA_tests_ch05_test_ch05_units_DEPENDENCIES = chapters/05-convolution/ch05-convolution.c
TESTS += $(CH05_TESTS)
EXTRA_DIST += tests/ch05/test-ch05-run.sh

## Graded exercises (doc/EXERCISES.md): solutions/05-convolution, generated
## exercises/05-convolution, tests/exercises/05-convolution.c.
EXERCISE_DIRS += exercises/05-convolution
