## tests/: TAP tests of the library.  Chapter and exercise tests live in
## their own fragments and append to TESTS the same way.
LIB_TESTS = \
	tests/lib/test-rng \
	tests/lib/test-data \
	tests/lib/test-gemm
check_PROGRAMS += $(LIB_TESTS)
TESTS += $(LIB_TESTS)
tests_lib_test_gemm_SOURCES = tests/lib/test-gemm.c tests/lib/test-child.h

## The library core: errors and allocation, activations, losses, the dense
## layer, the TAP writer, the command line and the figure writer.
CORE_TESTS = \
	tests/lib/test-core \
	tests/lib/test-act \
	tests/lib/test-loss \
	tests/lib/test-dense \
	tests/lib/test-torch-ref \
	tests/lib/test-fig
check_PROGRAMS += $(CORE_TESTS)
TESTS += $(CORE_TESTS)
## test-child.h runs a piece of a test in a child process (nn_die, NN_ASSERT).
tests_lib_test_core_SOURCES = tests/lib/test-core.c tests/lib/test-child.h
tests_lib_test_act_SOURCES = tests/lib/test-act.c tests/lib/test-child.h
tests_lib_test_loss_SOURCES = tests/lib/test-loss.c tests/lib/test-child.h
## PyTorch reference values: the committed script and its committed output.
EXTRA_DIST += tests/ref/lib_reference.py tests/ref/lib_reference.txt
## Helper programs for the shell tests (built by make check, not tests themselves).
check_PROGRAMS += tests/lib/tap-demo tests/lib/cli-demo tests/lib/fig-demo
## Shell tests print their own TAP; they find the helpers through $top_builddir.
CORE_SHELL_TESTS = tests/lib/test-tap.sh tests/lib/test-cli.sh tests/lib/test-fig-render.sh \
	tests/lib/test-ref-current.sh
dist_check_SCRIPTS = $(CORE_SHELL_TESTS)
TESTS += $(CORE_SHELL_TESTS)
EXTRA_DIST += tests/chapter-run-lib.sh
## The kit's float tanh and sigmoid: accuracy against libm, paths bit-equal.
check_PROGRAMS += tests/lib/test-vmath
TESTS += tests/lib/test-vmath
