## Chapter 1: the perceptron.
bin_PROGRAMS += ch01-perceptron
ch01_perceptron_SOURCES = chapters/01-perceptron/ch01-perceptron.c
FIGURE_CHAPTERS += ch01-perceptron

## tests/ch01: the chapter's functions against independent truths (the test
## #includes the chapter with NN_CHAPTER_NO_MAIN), and the program as a
## student runs it, including impossible options.
CH01_TESTS = tests/ch01/test-ch01-units tests/ch01/test-ch01-run.sh
check_PROGRAMS += tests/ch01/test-ch01-units
tests_ch01_test_ch01_units_SOURCES = tests/ch01/test-ch01-units.c
EXTRA_tests_ch01_test_ch01_units_DEPENDENCIES = chapters/01-perceptron/ch01-perceptron.c
TESTS += $(CH01_TESTS)
EXTRA_DIST += tests/ch01/test-ch01-run.sh
