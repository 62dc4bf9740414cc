/* cpupath.c: choosing the vector path of nn_gemm and of tanh / sigmoid
 * (see cpupath.h). */
#include "cpupath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_core.h"

int nn_cpu_has_path(int path)
{
#if defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (path == NN_PATH_AVX2)
        return avx2;
    if (path == NN_PATH_AVX512)
        return avx2 && __builtin_cpu_supports("avx512f");
#endif
    return path == NN_PATH_SCALAR;
}

int nn_cpu_path_named(const char *who, const char *choices, const char *name, int *path)
{
    if (!name || !strcmp(name, "auto")) {
        *path = nn_cpu_has_path(NN_PATH_AVX512) ? NN_PATH_AVX512
                : nn_cpu_has_path(NN_PATH_AVX2) ? NN_PATH_AVX2
                                                : NN_PATH_SCALAR;
        return NN_OK;
    }
    if (!strcmp(name, "scalar")) {
        *path = NN_PATH_SCALAR;
        return NN_OK;
    }
    if (!strcmp(name, "avx2") || !strcmp(name, "avx512")) {
        const int wanted = name[3] == '2' ? NN_PATH_AVX2 : NN_PATH_AVX512;
        if (!nn_cpu_has_path(wanted))
            return nn_error("%s: path '%s': this CPU (or compiler) has no %s; use 'scalar' or "
                            "'auto'",
                            who, name, wanted == NN_PATH_AVX2 ? "AVX2 with FMA" : "AVX-512F");
        *path = wanted;
        return NN_OK;
    }
    return nn_error("%s: unknown path '%s'; use %s", who, name, choices);
}

int nn_cpu_path_in_use(atomic_int *current, const char *env_var, int (*use)(const char *))
{
    int path = atomic_load(current);
    if (path != NN_PATH_UNSET)
        return path;
    const char *env = getenv(env_var);
    if (env && *env && use(env) != NN_OK) {
        fprintf(stderr, "%s: warning: %s=%s: %s; using auto\n", nn_program_name(), env_var, env,
                nn_last_error());
        nn_clear_error();
        env = NULL;
    }
    if (!env || !*env)
        use("auto");
    return atomic_load(current);
}
