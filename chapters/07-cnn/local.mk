## chapters/07-cnn: chapter 7, the convolutional network on Fashion-MNIST.

## Chapter 7: the convolutional network.
bin_PROGRAMS += ch07-cnn
ch07_cnn_SOURCES = chapters/07-cnn/ch07-cnn.c
FIGURE_CHAPTERS += ch07-cnn

## Chapter tests: gradient checks of the whole networks, the layers against
## their definitions, determinism, bad options; and runs of the program.
CH07_TESTS = tests/ch07/test-ch07-units tests/ch07/test-ch07-run.sh
check_PROGRAMS += tests/ch07/test-ch07-units
tests_ch07_test_ch07_units_SOURCES = tests/ch07/test-ch07-units.c
EXTRA_tests_ch07_test_ch07_units_DEPENDENCIES = chapters/07-cnn/ch07-cnn.c
TESTS += $(CH07_TESTS)
EXTRA_DIST += tests/ch07/test-ch07-run.sh

## Graded exercises (doc/EXERCISES.md): solutions/07-cnn, generated
## exercises/07-cnn, tests/exercises/07-cnn.c.
EXERCISE_DIRS += exercises/07-cnn
check-ch07:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=07
.PHONY: check-ch07
