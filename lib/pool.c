/* pool.c: max, average, L2 and global average pooling, forward and backward.
 * Dimension letters as in nn_pool.h: N C H W in, F S window, H2 W2 out.
 *
 * Every kernel works plane by plane (one (n, c) pair at a time): a plane is
 * H W contiguous floats, so the loops stream through memory once.  The common
 * 2 x 2, stride 2 window gets its own loop (two input rows give one output
 * row), which is where most of a CNN's pooling time goes. */
#include "nn_pool.h"

#include <math.h>

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
            for (int i = 0; i < H2; i++) {
                const float *r0 = x + (size_t)(2 * i) * W, *r1 = r0 + W;
                for (int j = 0; j < W2; j++) {
                    /* Reading order: r0[2j], r0[2j+1], r1[2j], r1[2j+1]; a later
                     * one wins only if strictly larger (or NaN), as PyTorch. */
                    int at = 2 * i * W + 2 * j;
                    float best = r0[2 * j];
                    float v = r0[2 * j + 1];
                    if (v > best || isnan(v)) { best = v; at = 2 * i * W + 2 * j + 1; }
                    v = r1[2 * j];
                    if (v > best || isnan(v)) { best = v; at = (2 * i + 1) * W + 2 * j; }
                    v = r1[2 * j + 1];
                    if (v > best || isnan(v)) { best = v; at = (2 * i + 1) * W + 2 * j + 1; }
                    y[(size_t)i * W2 + j] = best;
                    a[(size_t)i * W2 + j] = at;
                }
            }
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
