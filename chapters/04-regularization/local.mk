## Chapter 4: regularization.
bin_PROGRAMS += ch04-regularization
ch04_regularization_SOURCES = chapters/04-regularization/ch04-regularization.c
FIGURE_CHAPTERS += ch04-regularization

CH04_TESTS = tests/ch04/test-ch04-units tests/ch04/test-ch04-run.sh
check_PROGRAMS += tests/ch04/test-ch04-units
tests_ch04_test_ch04_units_SOURCES = tests/ch04/test-ch04-units.c
EXTRA_tests_ch04_test_ch04_units_DEPENDENCIES = chapters/04-regularization/ch04-regularization.c
TESTS += $(CH04_TESTS)
EXTRA_DIST += tests/ch04/test-ch04-run.sh

## Graded exercises (doc/EXERCISES.md): solutions/04-regularization -> exercises/04-regularization.
EXERCISE_DIRS += exercises/04-regularization
