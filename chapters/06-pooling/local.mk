## chapters/06-pooling: chapter 6, pooling, and the tests of lib/pool.c.

## The library's pooling against the Duke deck's example, central differences
## and PyTorch (regenerate with
## /usr/bin/python3 tests/ch06/pool_reference.py > tests/ch06/pool_reference.txt).
CH06_LIB_TESTS = tests/lib/test-pool
check_PROGRAMS += tests/lib/test-pool
tests_lib_test_pool_SOURCES = tests/lib/test-pool.c tests/ch05/reference.h
EXTRA_DIST += tests/ch06/pool_reference.py tests/ch06/pool_reference.txt
TESTS += $(CH06_LIB_TESTS)

## Chapter 6: pooling.
bin_PROGRAMS += ch06-pooling
ch06_pooling_SOURCES = chapters/06-pooling/ch06-pooling.c
FIGURE_CHAPTERS += ch06-pooling

## Chapter tests: the chapter's loops against the library, and runs of the program.
CH06_TESTS = tests/ch06/test-ch06-units tests/ch06/test-ch06-run.sh
check_PROGRAMS += tests/ch06/test-ch06-units
tests_ch06_test_ch06_units_SOURCES = tests/ch06/test-ch06-units.c
EXTRA_tests_ch06_test_ch06_units_DEPENDENCIES = chapters/06-pooling/ch06-pooling.c
TESTS += $(CH06_TESTS)
EXTRA_DIST += tests/ch06/test-ch06-run.sh

## Graded exercises (doc/EXERCISES.md): solutions/06-pooling, generated
## exercises/06-pooling, tests/exercises/06-pooling.c.
EXERCISE_DIRS += exercises/06-pooling
