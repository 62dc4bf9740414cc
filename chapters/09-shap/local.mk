## Chapter 9: SHAP values, and interpreting a model through its predictions.
bin_PROGRAMS += ch09-shap
ch09_shap_SOURCES = chapters/09-shap/ch09-shap.c
FIGURE_CHAPTERS += ch09-shap

## Chapter tests: the chapter's functions against independent truths, runs of
## the program over seeds 1-3 (every claim must pass), and sklearn.inspection
## on the exported network (tests/ch09/sklearn_reference.py, output committed).
CH09_TESTS = tests/ch09/test-ch09-units tests/ch09/test-ch09-sklearn tests/ch09/test-ch09-run.sh \
	tests/ch09/test-ch09-ref-current.sh
check_PROGRAMS += tests/ch09/test-ch09-units tests/ch09/test-ch09-sklearn
tests_ch09_test_ch09_units_SOURCES = tests/ch09/test-ch09-units.c
EXTRA_tests_ch09_test_ch09_units_DEPENDENCIES = chapters/09-shap/ch09-shap.c
TESTS += $(CH09_TESTS)
tests_ch09_test_ch09_sklearn_SOURCES = tests/ch09/test-ch09-sklearn.c
EXTRA_tests_ch09_test_ch09_sklearn_DEPENDENCIES = chapters/09-shap/ch09-shap.c
EXTRA_DIST += tests/ch09/test-ch09-run.sh tests/ch09/test-ch09-ref-current.sh \
	tests/ch09/sklearn_reference.py tests/ch09/sklearn_reference.txt tests/ch09/diabetes_export.txt

## Graded exercises (doc/EXERCISES.md): solutions/09-shap, generated
## exercises/09-shap, tests/exercises/09-shap.c.
EXERCISE_DIRS += exercises/09-shap
check-ch09:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=09
.PHONY: check-ch09
