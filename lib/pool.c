/* pool.c: max, average, L2 and global average pooling, forward and backward.
 * Dimension letters as in nn_pool.h: N C H W in, F S window, H2 W2 out.
 *
 * Every kernel works plane by plane (one (n, c) pair at a time): a plane is
 * H W contiguous floats, so the loops stream through memory once.  The common
 * 2 x 2, stride 2 window gets its own loop (two input rows give one output
 * row), which is where most of a CNN's pooling time goes. */
#include "nn_pool.h"

#include <math.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "nn_core.h"

int nn_pool_dims_make(nn_pool_dims *d, int N, int C, int H, int W, int F, int S)
{
    if (N < 1 || C < 1)
        return nn_error("pool: batch %d and channels %d must both be at least 1", N, C);
    nn_pool_dims t = {N, C, H, W, F, S, 0, 0};
    if (nn_out_size("pool height", H, F, S, 0, &t.H2) != NN_OK ||
        nn_out_size("pool width", W, F, S, 0, &t.W2) != NN_OK)
        return NN_ERR;
    *d = t;
    return NN_OK;
}

size_t nn_pool_in_size(const nn_pool_dims *d) { return (size_t)d->N * d->C * d->H * d->W; }
size_t nn_pool_out_size(const nn_pool_dims *d) { return (size_t)d->N * d->C * d->H2 * d->W2; }

static int check_dims(const nn_pool_dims *d, const char *fn)
{
    nn_pool_dims t;
    if (!d)
        return nn_error("%s: no dimensions given (make them with nn_pool_dims_make)", fn);
    if (nn_pool_dims_make(&t, d->N, d->C, d->H, d->W, d->F, d->S) != NN_OK)
        return NN_ERR;
    if (t.H2 != d->H2 || t.W2 != d->W2)
        return nn_error("%s: output size %d x %d does not match the input, window and stride "
                        "(they give %d x %d): make the dimensions with nn_pool_dims_make",
                        fn, d->H2, d->W2, t.H2, t.W2);
    return NN_OK;
}

static int is_2x2_stride_2(const nn_pool_dims *d) { return d->F == 2 && d->S == 2; }

/* ---- Max pooling ---------------------------------------------------------- */

/* One output row of the 2 x 2, stride 2 max pool: input rows 2i and 2i + 1.
 * For each window the candidates are taken in reading order, r0[2j],
 * r0[2j+1], r1[2j], r1[2j+1], and a later one wins only if it is strictly
 * larger or NaN, as in PyTorch (ties keep the first; NaN propagates).
 *
 * On real data the winner is unpredictable, so a branch per comparison is
 * mispredicted half the time; instead the comparisons become masks and the
 * winners are selected with them, four windows at once in SSE2 registers
 * (every x86-64 CPU has SSE2; elsewhere the same selects run one window at a
 * time).  Max is exact, so both give the same bits. */
#if defined(__SSE2__)
/* One step of the running maximum over four windows: where cand > best or
 * cand is NaN (a mask of all ones), take cand and its index. */
static inline void take_if_larger(__m128 *best, __m128i *at, __m128 cand, __m128i index)
{
    __m128 take = _mm_or_ps(_mm_cmpgt_ps(cand, *best), _mm_cmpunord_ps(cand, cand));
    __m128i take_i = _mm_castps_si128(take);
    *best = _mm_or_ps(_mm_and_ps(take, cand), _mm_andnot_ps(take, *best));
    *at = _mm_or_si128(_mm_and_si128(take_i, index), _mm_andnot_si128(take_i, *at));
}

/* Windows j .. j+3 of the row: 8 consecutive floats of each input row hold
 * them, even columns the left candidates, odd columns the right ones. */
static inline void maxpool_2x2_four(float *y, int *a, const float *r0, const float *r1,
                                    int base, int W, int j)
{
    __m128 lo0 = _mm_loadu_ps(r0 + 2 * j), hi0 = _mm_loadu_ps(r0 + 2 * j + 4);
    __m128 lo1 = _mm_loadu_ps(r1 + 2 * j), hi1 = _mm_loadu_ps(r1 + 2 * j + 4);
    __m128i top_left = _mm_add_epi32(_mm_set1_epi32(base + 2 * j), _mm_setr_epi32(0, 2, 4, 6));
    __m128i one = _mm_set1_epi32(1), bottom_left = _mm_add_epi32(top_left, _mm_set1_epi32(W));
    __m128 best = _mm_shuffle_ps(lo0, hi0, _MM_SHUFFLE(2, 0, 2, 0));
    __m128i at = top_left;
    take_if_larger(&best, &at, _mm_shuffle_ps(lo0, hi0, _MM_SHUFFLE(3, 1, 3, 1)),
                   _mm_add_epi32(top_left, one));
    take_if_larger(&best, &at, _mm_shuffle_ps(lo1, hi1, _MM_SHUFFLE(2, 0, 2, 0)), bottom_left);
    take_if_larger(&best, &at, _mm_shuffle_ps(lo1, hi1, _MM_SHUFFLE(3, 1, 3, 1)),
                   _mm_add_epi32(bottom_left, one));
    _mm_storeu_ps(y + j, best);
    _mm_storeu_si128((__m128i *)(void *)(a + j), at);
}
#endif

static void maxpool_2x2_row(float *y, int *a, const float *x, int i, int W, int W2)
{
    const float *r0 = x + (size_t)(2 * i) * W, *r1 = r0 + W;
    const int base = 2 * i * W;
    int j = 0;
#if defined(__SSE2__)
    /* When W2 is not a multiple of 4 the last group overlaps the one before
     * it: recomputing a window gives the same bits, and no scalar tail with
     * its unpredictable branches is left. */
    if (W2 >= 4) {
        for (;; j += 4) {
            if (j > W2 - 4)
                j = W2 - 4;
            maxpool_2x2_four(y, a, r0, r1, base, W, j);
            if (j == W2 - 4)
                break;
        }
        j = W2;
    }
#endif
    for (; j < W2; j++) {
        const float cand[4] = {r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1]};
        const int index[4] = {base + 2 * j, base + 2 * j + 1, base + W + 2 * j, base + W + 2 * j + 1};
        float best = cand[0];
        int at = index[0];
        for (int q = 1; q < 4; q++) {
            int take = (cand[q] > best) | (cand[q] != cand[q]);
            best = take ? cand[q] : best;
            at = take ? index[q] : at;
        }
        y[j] = best;
        a[j] = at;
    }
}

int nn_maxpool_forward(float *out, int *argmax, const float *in, const nn_pool_dims *d)
{
    if (check_dims(d, "nn_maxpool_forward") != NN_OK)
        return NN_ERR;
    const int H = d->H, W = d->W, F = d->F, S = d->S, H2 = d->H2, W2 = d->W2;
    const size_t planes = (size_t)d->N * d->C, in_plane = (size_t)H * W, out_plane = (size_t)H2 * W2;
    for (size_t p = 0; p < planes; p++) {
        const float *x = in + p * in_plane;
        float *y = out + p * out_plane;
        int *a = argmax + p * out_plane;
        if (is_2x2_stride_2(d)) {
            for (int i = 0; i < H2; i++)
                maxpool_2x2_row(y + (size_t)i * W2, a + (size_t)i * W2, x, i, W, W2);
            continue;
        }
        for (int i = 0; i < H2; i++)
            for (int j = 0; j < W2; j++) {
                int at = i * S * W + j * S;
                float best = x[at];
                for (int u = 0; u < F; u++)
                    for (int v = 0; v < F; v++) {
                        int idx = (i * S + u) * W + j * S + v;
                        float val = x[idx];
                        if (val > best || isnan(val)) {
                            best = val;
                            at = idx;
                        }
                    }
                y[(size_t)i * W2 + j] = best;
                a[(size_t)i * W2 + j] = at;
            }
    }
    return NN_OK;
}

int nn_maxpool_backward(float *d_in, const float *d_out, const int *argmax, const nn_pool_dims *d)
{
    if (check_dims(d, "nn_maxpool_backward") != NN_OK)
        return NN_ERR;
    const size_t planes = (size_t)d->N * d->C, in_plane = (size_t)d->H * d->W,
                 out_plane = (size_t)d->H2 * d->W2;
    for (size_t p = 0; p < planes; p++) {
        float *dx = d_in + p * in_plane;
        const float *g = d_out + p * out_plane;
        const int *a = argmax + p * out_plane;
        /* in the forward pass this was: out[o] = in[argmax[o]]; so d in / d out
         * is the indicator of the argmax (deck 004), and overlapping windows
         * that share a maximum both add to it. */
        for (size_t o = 0; o < out_plane; o++)
            dx[a[o]] += g[o];
    }
    return NN_OK;
}

/* ---- Average pooling ------------------------------------------------------- */

int nn_avgpool_forward(float *out, const float *in, const nn_pool_dims *d)
{
    if (check_dims(d, "nn_avgpool_forward") != NN_OK)
        return NN_ERR;
    const int H = d->H, W = d->W, F = d->F, S = d->S, H2 = d->H2, W2 = d->W2;
    const size_t planes = (size_t)d->N * d->C, in_plane = (size_t)H * W, out_plane = (size_t)H2 * W2;
    const float scale = 1.0f / (float)(F * F);
    for (size_t p = 0; p < planes; p++) {
        const float *x = in + p * in_plane;
        float *y = out + p * out_plane;
        if (is_2x2_stride_2(d)) {
            for (int i = 0; i < H2; i++) {
                const float *r0 = x + (size_t)(2 * i) * W, *r1 = r0 + W;
                for (int j = 0; j < W2; j++)
                    y[(size_t)i * W2 + j] =
                        ((r0[2 * j] + r0[2 * j + 1]) + (r1[2 * j] + r1[2 * j + 1])) * 0.25f;
            }
            continue;
        }
        for (int i = 0; i < H2; i++)
            for (int j = 0; j < W2; j++) {
                float sum = 0.0f;
                for (int u = 0; u < F; u++)
                    for (int v = 0; v < F; v++)
                        sum += x[(size_t)(i * S + u) * W + j * S + v];
                y[(size_t)i * W2 + j] = sum * scale;
            }
    }
    return NN_OK;
}

int nn_avgpool_backward(float *d_in, const float *d_out, const nn_pool_dims *d)
{
    if (check_dims(d, "nn_avgpool_backward") != NN_OK)
        return NN_ERR;
    const int H = d->H, W = d->W, F = d->F, S = d->S, H2 = d->H2, W2 = d->W2;
    const size_t planes = (size_t)d->N * d->C, in_plane = (size_t)H * W, out_plane = (size_t)H2 * W2;
    const float scale = 1.0f / (float)(F * F);
    for (size_t p = 0; p < planes; p++) {
        float *dx = d_in + p * in_plane;
        const float *g = d_out + p * out_plane;
        /* in the forward pass this was: out = (1/F^2) sum_{Omega} in; so each
         * input of the window receives d_out / F^2. */
        if (is_2x2_stride_2(d)) {
            for (int i = 0; i < H2; i++) {
                float *r0 = dx + (size_t)(2 * i) * W, *r1 = r0 + W;
                for (int j = 0; j < W2; j++) {
                    float share = g[(size_t)i * W2 + j] * 0.25f;
                    r0[2 * j] += share;
                    r0[2 * j + 1] += share;
                    r1[2 * j] += share;
                    r1[2 * j + 1] += share;
                }
            }
            continue;
        }
        for (int i = 0; i < H2; i++)
            for (int j = 0; j < W2; j++) {
                float share = g[(size_t)i * W2 + j] * scale;
                for (int u = 0; u < F; u++)
                    for (int v = 0; v < F; v++)
                        dx[(size_t)(i * S + u) * W + j * S + v] += share;
            }
    }
    return NN_OK;
}

/* ---- L2 pooling ------------------------------------------------------------ */

int nn_l2pool_forward(float *out, const float *in, const nn_pool_dims *d)
{
    if (check_dims(d, "nn_l2pool_forward") != NN_OK)
        return NN_ERR;
    const int H = d->H, W = d->W, F = d->F, S = d->S, H2 = d->H2, W2 = d->W2;
    const size_t planes = (size_t)d->N * d->C, in_plane = (size_t)H * W, out_plane = (size_t)H2 * W2;
    for (size_t p = 0; p < planes; p++) {
        const float *x = in + p * in_plane;
        float *y = out + p * out_plane;
        for (int i = 0; i < H2; i++)
            for (int j = 0; j < W2; j++) {
                float sum = 0.0f;
                for (int u = 0; u < F; u++)
                    for (int v = 0; v < F; v++) {
                        float val = x[(size_t)(i * S + u) * W + j * S + v];
                        sum += val * val;
                    }
                y[(size_t)i * W2 + j] = sqrtf(sum);
            }
    }
    return NN_OK;
}

int nn_l2pool_backward(float *d_in, const float *d_out, const float *in, const float *out,
                       const nn_pool_dims *d)
{
    if (check_dims(d, "nn_l2pool_backward") != NN_OK)
        return NN_ERR;
    const int H = d->H, W = d->W, F = d->F, S = d->S, H2 = d->H2, W2 = d->W2;
    const size_t planes = (size_t)d->N * d->C, in_plane = (size_t)H * W, out_plane = (size_t)H2 * W2;
    for (size_t p = 0; p < planes; p++) {
        const float *x = in + p * in_plane;
        float *dx = d_in + p * in_plane;
        const float *y = out + p * out_plane, *g = d_out + p * out_plane;
        for (int i = 0; i < H2; i++)
            for (int j = 0; j < W2; j++) {
                /* in the forward pass this was: out = sqrt(sum_{Omega} in^2); so
                 * d out / d in = in / out, undefined (taken as 0) when out = 0. */
                float norm = y[(size_t)i * W2 + j];
                if (norm == 0.0f)
                    continue;
                float ratio = g[(size_t)i * W2 + j] / norm;
                for (int u = 0; u < F; u++)
                    for (int v = 0; v < F; v++) {
                        size_t idx = (size_t)(i * S + u) * W + j * S + v;
                        dx[idx] += ratio * x[idx];
                    }
            }
    }
    return NN_OK;
}

/* ---- Global average pooling ------------------------------------------------ */

static int check_global(const char *fn, int N, int C, int H, int W)
{
    if (N < 1 || C < 1 || H < 1 || W < 1)
        return nn_error("%s: shape (%d, %d, %d, %d) has an empty dimension: every size must be "
                        "at least 1", fn, N, C, H, W);
    return NN_OK;
}

int nn_global_avgpool_forward(float *out, const float *in, int N, int C, int H, int W)
{
    if (check_global("nn_global_avgpool_forward", N, C, H, W) != NN_OK)
        return NN_ERR;
    const size_t planes = (size_t)N * C, plane = (size_t)H * W;
    for (size_t p = 0; p < planes; p++) {
        double sum = 0;
        for (size_t q = 0; q < plane; q++)
            sum += in[p * plane + q];
        out[p] = (float)(sum / (double)plane);
    }
    return NN_OK;
}

int nn_global_avgpool_backward(float *d_in, const float *d_out, int N, int C, int H, int W)
{
    if (check_global("nn_global_avgpool_backward", N, C, H, W) != NN_OK)
        return NN_ERR;
    const size_t planes = (size_t)N * C, plane = (size_t)H * W;
    for (size_t p = 0; p < planes; p++) {
        float share = d_out[p] / (float)plane;
        for (size_t q = 0; q < plane; q++)
            d_in[p * plane + q] += share;
    }
    return NN_OK;
}
