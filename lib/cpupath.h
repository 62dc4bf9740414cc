/* cpupath.h: which vector instructions the kit's kernels use (internal to
 * lib/, not in nnlab.h).
 *
 * nn_gemm (lib/gemm.c) and the float tanh and sigmoid (lib/vmath.c) each
 * have a portable scalar path and vector paths for AVX2 with FMA and for
 * AVX-512F, all giving the same bits.  Each picks the widest one the CPU
 * has, unless an environment variable (NNLAB_GEMM, NNLAB_VMATH) or a call
 * (nn_gemm_use_path, nn_vmath_use_path) names one; the tests name each in
 * turn to compare them.  The choosing is the same for both, so it is here. */
#ifndef NN_CPUPATH_H
#define NN_CPUPATH_H

#include <stdatomic.h>

enum { NN_PATH_UNSET, NN_PATH_SCALAR, NN_PATH_AVX2, NN_PATH_AVX512 };

/* 1 when this CPU (and compiler) can run the path: "avx2" needs AVX2 and
 * FMA, "avx512" those and AVX-512F; scalar always. */
int nn_cpu_has_path(int path);

/* "auto" (or NULL: the widest the CPU has), "scalar", "avx2" or "avx512"
 * into *path.  A path the CPU lacks, or another name, is NN_ERR with a
 * message that starts with `who` and, for an unknown name, lists
 * `choices` (the caller may accept more names than these four). */
int nn_cpu_path_named(const char *who, const char *choices, const char *name, int *path);

/* The path in *current; at the first call, the one the environment
 * variable env_var names (auto when unset or empty), set through use(),
 * the caller's nn_X_use_path.  A bad value is reported on stderr, not
 * silently ignored, and auto is used. */
int nn_cpu_path_in_use(atomic_int *current, const char *env_var, int (*use)(const char *));

#endif
