/* test-vmath.c: the kit's float tanh and sigmoid (nn_vmath.h) against double
 * libm, an independent truth: the error in ulps of the correctly rounded
 * float, over a dense grid, every float of a few binades, and random floats;
 * the special cases; and bit-for-bit (memcmp) equality of the AVX2, the
 * AVX-512 and the scalar paths, which is the kit's "same bits on every
 * machine" promise. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

/* The error of got in units of the last place of the float nearest want
 * (the smallest subnormal, 2^-149, where want is below the normal range). */
static double ulp_error(float got, double want)
{
    double w = fabs(want);
    int e;
    frexp(w, &e);
    double ulp = ldexp(1.0, (e - 1) - 23);
    if (w < 0x1p-126 || ulp < 0x1p-149)
        ulp = 0x1p-149;
    return fabs((double)got - want) / ulp;
}

static double sigmoid_ref(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

typedef struct {
    double worst;
    float worst_x;
    size_t count;
} err_stats;

static void account(err_stats *s, const float *x, const float *y, size_t n, int is_tanh)
{
    for (size_t i = 0; i < n; i++) {
        double want = is_tanh ? tanh((double)x[i]) : sigmoid_ref(x[i]);
        double err = ulp_error(y[i], want);
        if (err > s->worst) {
            s->worst = err;
            s->worst_x = x[i];
        }
    }
    s->count += n;
}

static float bits_to_float(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

enum { CHUNK = 1 << 16 };

/* Every 37th float with |x| in [2^-20, 16] (all mantissa patterns mod 37)
 * and its negative, then random bit
 * patterns (finite) and random floats in [-20, 20]. */
static void sweep(int is_tanh, const char *path)
{
    float *x = malloc(CHUNK * sizeof *x), *y = malloc(CHUNK * sizeof *y);
    err_stats s = {0, 0, 0};
    void (*f)(float *, const float *, size_t) = is_tanh ? nn_tanhf_array : nn_sigmoidf_array;
    const uint32_t lo = 0x35800000u /* 2^-20 */, hi = 0x41800000u /* 16 */;
    size_t m = 0;
    for (uint32_t b = lo; b <= hi; b += 37) {
        x[m++] = bits_to_float(b);
        x[m++] = -bits_to_float(b);
        if (m == CHUNK || b + 37 > hi) {
            f(y, x, m);
            account(&s, x, y, m, is_tanh);
            m = 0;
        }
    }
    nn_rng rng = nn_rng_new(12);
    for (int rep = 0; rep < 32; rep++) {
        for (size_t i = 0; i < CHUNK; i++) {
            uint32_t b = nn_rng_u32(&rng);
            float v = bits_to_float(b);
            x[i] = (rep & 1) ? (float)(40.0 * nn_rng_uniform(&rng) - 20.0) : isfinite(v) ? v : 1.0f;
        }
        f(y, x, CHUNK);
        account(&s, x, y, CHUNK, is_tanh);
    }
    nn_diag("%s %s: %zu inputs, max error %.3f ulp at x = %.9g", path, is_tanh ? "tanh" : "sigmoid",
            s.count, s.worst, (double)s.worst_x);
    nn_ok(s.worst <= NN_VMATH_MAX_ULP, "%s %s: max error %.3f ulp <= %d over %zu floats", path,
          is_tanh ? "tanh" : "sigmoid", s.worst, NN_VMATH_MAX_ULP, s.count);
    free(x);
    free(y);
}

static int same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void special_cases(void)
{
    float tiny = 0x1p-140f, sub = 0x1p-149f;
    nn_ok(same_bits(nn_tanhf(0.0f), 0.0f) && same_bits(nn_tanhf(-0.0f), -0.0f),
          "tanh(+-0) = +-0 with the sign kept");
    nn_ok(nn_tanhf(tiny) == tiny && nn_tanhf(-sub) == -sub && nn_tanhf(0x1p-30f) == 0x1p-30f,
          "tanh(x) = x for subnormal and tiny x");
    nn_ok(nn_tanhf(INFINITY) == 1.0f && nn_tanhf(-INFINITY) == -1.0f && nn_tanhf(10.0f) == 1.0f &&
              nn_tanhf(-1e30f) == -1.0f && nn_tanhf(3.4e38f) == 1.0f,
          "tanh saturates at +-1 for large inputs and +-inf");
    nn_ok(isnan(nn_tanhf(NAN)) && isnan(nn_sigmoidf(NAN)) && isnan(nn_tanhf(-NAN)),
          "NaN in, NaN out");
    nn_ok(nn_sigmoidf(0.0f) == 0.5f && nn_sigmoidf(-0.0f) == 0.5f, "sigmoid(0) = 1/2");
    nn_ok(nn_sigmoidf(INFINITY) == 1.0f && nn_sigmoidf(-INFINITY) == 0.0f &&
              nn_sigmoidf(200.0f) == 1.0f && nn_sigmoidf(-200.0f) == 0.0f,
          "sigmoid saturates at 0 and 1");
    float s100 = nn_sigmoidf(-100.0f);
    nn_ok(s100 > 0 && s100 < 0x1p-126f && ulp_error(s100, sigmoid_ref(-100.0)) <= NN_VMATH_MAX_ULP,
          "sigmoid(-100) is the right subnormal (%g)", (double)s100);
    nn_ok(nn_sigmoidf(sub) == 0.5f, "sigmoid of a subnormal is 1/2");
    int odd = 1, complement = 1;
    for (int i = 0; i <= 4000; i++) {
        float v = (float)i * 0.0031f;
        odd &= same_bits(nn_tanhf(-v), -nn_tanhf(v));
        complement &= fabs((double)nn_sigmoidf(-v) + nn_sigmoidf(v) - 1.0) <= 0x1p-23;
    }
    nn_ok(odd, "tanh(-x) = -tanh(x) bit for bit");
    nn_ok(complement, "sigmoid(-x) + sigmoid(x) = 1 within an ulp");
}

/* A vector path against the scalar one on the same inputs, odd lengths so
 * the scalar tail runs too; specials mixed into the vectors. */
static void path_agrees(const char *path)
{
    if (nn_vmath_use_path(path) != NN_OK) {
        nn_clear_error();
        nn_skip("this CPU lacks the instructions", "%s and scalar tanh agree bit for bit", path);
        nn_skip("this CPU lacks the instructions", "%s and scalar sigmoid agree bit for bit", path);
        return;
    }
    enum { N = 200003 };
    float *x = malloc(N * sizeof *x), *va = malloc(N * sizeof *va), *vs = malloc(N * sizeof *vs);
    nn_rng rng = nn_rng_new(7);
    const float specials[] = {0.0f, -0.0f, NAN, INFINITY, -INFINITY, 0x1p-149f, -0x1p-130f,
                              9.5f, -104.0f, 88.0f, -87.5f, 1e-8f};
    for (size_t i = 0; i < N; i++) {
        double scale = (i % 3 == 0) ? 1.0 : (i % 3 == 1) ? 12.0 : 120.0;
        x[i] = (i % 97 == 0) ? specials[(i / 97) % 12] : (float)(scale * (2 * nn_rng_uniform(&rng) - 1));
    }
    for (int fn = 0; fn < 2; fn++) {
        void (*f)(float *, const float *, size_t) = fn ? nn_sigmoidf_array : nn_tanhf_array;
        nn_vmath_use_path(path);
        f(va, x, N);
        nn_vmath_use_path("scalar");
        f(vs, x, N);
        nn_ok(memcmp(va, vs, N * sizeof *va) == 0, "%s and scalar %s agree bit for bit on %d floats",
              path, fn ? "sigmoid" : "tanh", (int)N);
    }
    free(x);
    free(va);
    free(vs);
}

int main(void)
{
    nn_tap_timeout(120);
    special_cases();
    path_agrees("avx2");
    path_agrees("avx512");
    nn_is_int(nn_vmath_use_path("sse9"), NN_ERR, "an unknown path is refused");
    nn_contains(nn_last_error(), "use auto, scalar, avx2 or avx512", "with a message naming the choices");
    nn_clear_error();
    nn_vmath_use_path("scalar");
    sweep(1, "scalar");
    sweep(0, "scalar");
    const char *const vector_paths[] = {"avx2", "avx512"};
    for (int v = 0; v < 2; v++) {
        if (nn_vmath_use_path(vector_paths[v]) == NN_OK) {
            sweep(1, vector_paths[v]);
            sweep(0, vector_paths[v]);
        } else {
            nn_clear_error();
        }
    }
    return nn_tap_done();
}
