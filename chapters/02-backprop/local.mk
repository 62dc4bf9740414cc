## Chapter 2: the multilayer perceptron, trained by backpropagation.
bin_PROGRAMS += ch02-backprop
ch02_backprop_SOURCES = chapters/02-backprop/ch02-backprop.c
FIGURE_CHAPTERS += ch02-backprop

## Tests: the didactic and library functions (compiled from the chapter's
## source with NN_CHAPTER_NO_MAIN), PyTorch's reference values, and the
## program run as a student runs it.
CH02_TESTS = tests/ch02/test-ch02-units tests/ch02/test-ch02-torch tests/ch02/test-ch02-run.sh
check_PROGRAMS += tests/ch02/test-ch02-units tests/ch02/test-ch02-torch
tests_ch02_test_ch02_units_SOURCES = tests/ch02/test-ch02-units.c
tests_ch02_test_ch02_torch_SOURCES = tests/ch02/test-ch02-torch.c
EXTRA_tests_ch02_test_ch02_units_DEPENDENCIES = chapters/02-backprop/ch02-backprop.c
EXTRA_tests_ch02_test_ch02_torch_DEPENDENCIES = chapters/02-backprop/ch02-backprop.c
TESTS += $(CH02_TESTS)
EXTRA_DIST += tests/ch02/test-ch02-run.sh tests/ch02/torch_reference.py \
	tests/ch02/torch_reference.txt

## Graded exercises (doc/EXERCISES.md): solutions/02-backprop -> exercises/02-backprop.
EXERCISE_DIRS += exercises/02-backprop
