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
EXTRA_DIST += tests/chapter-run-lib.sh tests/data-rule-lib.sh tests/ref-current-lib.sh
## The sequential model and its file (lib/model.c).
MODEL_TESTS = tests/lib/test-model
check_PROGRAMS += $(MODEL_TESTS)
TESTS += $(MODEL_TESTS)
## nn_claim and check_claims (a claim is a test): a demo chapter and its test.
check_PROGRAMS += tests/lib/claim-demo
dist_check_SCRIPTS += tests/lib/test-claim.sh
TESTS += tests/lib/test-claim.sh

## Chapter 7's reference checks (branch ch07ref; the chapter's own rules are
## in chapters/07-cnn/local.mk).  test-netcount: lib/netcount.c against
## hand-worked layers, LeNet-5 1998, deck 004's table and torchvision
## (tests/ch07/torchvision_counts.txt; regenerate with
## /usr/bin/python3 tests/ch07/torchvision_counts.py > tests/ch07/torchvision_counts.txt).
## test-ref-current.sh: the committed reference files are what their scripts write.
CH07_REF_TESTS = tests/ch07/test-netcount tests/ch07/test-ref-current.sh
check_PROGRAMS += tests/ch07/test-netcount
EXTRA_DIST += tests/ch07/torchvision_counts.py tests/ch07/torchvision_counts.txt \
	tests/ch07/test-ref-current.sh
TESTS += $(CH07_REF_TESTS)
## test-lenet-torch: the chapter's LeNet-5 from the lib's layers (and lib/model.c)
## against PyTorch (tests/ch07/lenet_reference.txt; regenerate with
## /usr/bin/python3 tests/ch07/lenet_reference.py > tests/ch07/lenet_reference.txt).
## fixed-values.h and fixed_values.py compute the same fixed weights and inputs.
CH07_REF_TESTS += tests/ch07/test-lenet-torch
check_PROGRAMS += tests/ch07/test-lenet-torch
tests_ch07_test_lenet_torch_SOURCES = tests/ch07/test-lenet-torch.c tests/ch07/fixed-values.h
TESTS += tests/ch07/test-lenet-torch
EXTRA_DIST += tests/ch07/fixed_values.py tests/ch07/lenet_reference.py tests/ch07/lenet_reference.txt
## test-batchnorm2d-torch, test-resblock-torch: BatchNorm2d (training and
## evaluation) and a residual block from the lib's layers against PyTorch
## (regenerate with /usr/bin/python3 tests/ch07/NAME.py > tests/ch07/NAME.txt).
CH07_REF_TESTS += tests/ch07/test-batchnorm2d-torch tests/ch07/test-resblock-torch
check_PROGRAMS += tests/ch07/test-batchnorm2d-torch tests/ch07/test-resblock-torch
tests_ch07_test_batchnorm2d_torch_SOURCES = tests/ch07/test-batchnorm2d-torch.c tests/ch07/fixed-values.h
tests_ch07_test_resblock_torch_SOURCES = tests/ch07/test-resblock-torch.c tests/ch07/fixed-values.h
TESTS += tests/ch07/test-batchnorm2d-torch tests/ch07/test-resblock-torch
EXTRA_DIST += tests/ch07/batchnorm2d_reference.py tests/ch07/batchnorm2d_reference.txt \
	tests/ch07/resblock_reference.py tests/ch07/resblock_reference.txt
## The kit's float tanh and sigmoid: accuracy against libm, paths bit-equal.
check_PROGRAMS += tests/lib/test-vmath
TESTS += tests/lib/test-vmath
