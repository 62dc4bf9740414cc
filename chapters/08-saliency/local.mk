## chapters/08-saliency: chapter 8, saliency maps, their sanity checks and
## adversarial examples.
bin_PROGRAMS += ch08-saliency
ch08_saliency_SOURCES = chapters/08-saliency/ch08-saliency.c
FIGURE_CHAPTERS += ch08-saliency

## Chapter tests: the methods against PyTorch, central differences and
## brute force (units), runs of the program (run), and the reference file is
## what its script writes (regenerate with
## /usr/bin/python3 tests/ch08/saliency_reference.py > tests/ch08/saliency_reference.txt).
CH08_TESTS = tests/ch08/test-ch08-units tests/ch08/test-ch08-run.sh tests/ch08/test-ref-current.sh
check_PROGRAMS += tests/ch08/test-ch08-units
tests_ch08_test_ch08_units_SOURCES = tests/ch08/test-ch08-units.c
EXTRA_tests_ch08_test_ch08_units_DEPENDENCIES = chapters/08-saliency/ch08-saliency.c
TESTS += $(CH08_TESTS)
EXTRA_DIST += tests/ch08/test-ch08-run.sh tests/ch08/test-ref-current.sh \
	tests/ch08/saliency_reference.py tests/ch08/saliency_reference.txt
## One chapter's tests alone:
check-ch08-saliency: ch08-saliency tests/ch08/test-ch08-units
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(CH08_TESTS)'
.PHONY: check-ch08-saliency

## Graded exercises (doc/EXERCISES.md): solutions/08-saliency, generated
## exercises/08-saliency, tests/exercises/08-saliency.c.
EXERCISE_DIRS += exercises/08-saliency
