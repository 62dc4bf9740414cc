## libnnlab: the kit's shared library.
noinst_LIBRARIES += lib/libnnlab.a
lib_libnnlab_a_SOURCES = \
	lib/nnlab.h \
	lib/nn_core.h lib/core.c \
	lib/nn_rng.h lib/rng.c \
	lib/nn_gemm.h lib/gemm.c \
	lib/nn_act.h lib/act.c \
	lib/nn_loss.h lib/loss.c \
	lib/nn_dense.h lib/dense.c \
	lib/nn_tap.h lib/tap.c \
	lib/nn_cli.h lib/cli.c \
	lib/nn_fig.h lib/fig.c \
	lib/nn_data.h \
	lib/nn_exercise.h lib/exercise.c
lib_libnnlab_a_SOURCES += lib/nn_regularize.h lib/regularize.c
lib_libnnlab_a_SOURCES += lib/data.c
lib_libnnlab_a_SOURCES += lib/nn_conv.h lib/conv.c lib/winograd.h lib/winograd.c lib/nn_pool.h lib/pool.c
lib_libnnlab_a_SOURCES += lib/convdirect.h lib/convdirect.c lib/convdirect-kernels.h
lib_libnnlab_a_SOURCES += lib/nn_optim.h lib/optim.c
lib_libnnlab_a_SOURCES += lib/nn_batchnorm.h lib/batchnorm.c
## The sequential model and its file (chapters 7 and 8); crc32 from zlib.
lib_libnnlab_a_SOURCES += lib/nn_model.h lib/model.c
EXTRA_DIST += doc/MODEL-FORMAT.md
lib_libnnlab_a_SOURCES += lib/nn_claim.h lib/claim.c
lib_libnnlab_a_SOURCES += lib/nn_netcount.h lib/netcount.c
lib_libnnlab_a_SOURCES += lib/nn_vmath.h lib/vmath.c lib/vmath-kernels.h lib/cpupath.h lib/cpupath.c
