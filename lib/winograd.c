/* winograd.c: the 3 x 3, stride 1, padding 1 convolution by Winograd's minimal
 * filtering algorithm F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2015): the same layer as im2col + GEMM
 * (lib/conv.c), with 2.25 times fewer multiplications.
 *
 * Dimension letters of nn_conv.h, and for this file:
 *     TH = ceil(H / 2), TW = ceil(W / 2)   tiles per column and per row of an image
 *     tiles = TH TW                        tiles per image
 *     T                                    tiles of a group of images (g tiles)
 *     xi = 4 r + s                         one of the 16 points of a 4 x 4 tile
 *
 * ---- One dimension first ---------------------------------------------------
 * Two neighbouring outputs of a 3-tap correlation,
 *
 *     y0 = d0 g0 + d1 g1 + d2 g2        y1 = d1 g0 + d2 g1 + d3 g2,
 *
 * take 6 multiplications the direct way.  Winograd's F(2, 3) takes 4:
 *
 *     m1 = (d0 - d2) g0                 m2 = (d1 + d2) (g0 + g1 + g2) / 2
 *     m4 = (d1 - d3) g2                 m3 = (d2 - d1) (g0 - g1 + g2) / 2
 *     y0 = m1 + m2 + m3                 y1 = m2 - m3 - m4
 *
 * (expand y0: the d1 and d2 terms of m2 and m3 add to d1 g1 + d2 g2, the
 * d2 g0 of m1 cancels).  As matrices, y = A^T [(G g) . (B^T d)] with "."
 * the element-wise product and
 *
 *           | 1  0 -1  0 |           | 1    0    0  |
 *     B^T = | 0  1  1  0 |       G = | 1/2  1/2  1/2 |      A^T = | 1  1  1  0 |
 *           | 0 -1  1  0 |           | 1/2 -1/2  1/2 |            | 0  1 -1 -1 |
 *           | 0  1  0 -1 |           | 0    0    1  |
 *
 * ---- Two dimensions, many channels -----------------------------------------
 * Nested, the same matrices turn a 4 x 4 input tile d into a 2 x 2 output
 * tile with 16 multiplications instead of 36 (2.25 times fewer):
 *
 *     Y = A^T [ (G g G^T) . (B^T d B) ] A
 *
 * Output tile (ti, tj) holds out[2 ti + a, 2 tj + b] for a, b in {0, 1}; it
 * reads input rows 2 ti - 1 .. 2 ti + 2 and columns 2 tj - 1 .. 2 tj + 2
 * (the padding P = 1 is the -1; pixels outside the image are 0), so
 * neighbouring tiles overlap by 2.  When H or W is odd the last tiles stick
 * out by one row or column: their inputs there are zeros and those outputs
 * are not stored.  The sum over the input channels c moves inside, because
 * the transforms are linear:
 *
 *     U[xi][k][c] = (G w[k,c] G^T)[xi]          the filters, once per call
 *     V[xi][c][t] = (B^T d[c,t] B)[xi]          every tile t of every channel
 *     M[xi][k][t] = sum_c U[xi][k][c] V[xi][c][t]
 *     out tile (k, t) = A^T M[.][k][t] A
 *
 * and the middle line is 16 independent matrix products, M_xi (K, T) =
 * U_xi (K, C) . V_xi (C, T): nn_gemm does them, so its speed, its paths and
 * its bits (one fixed sequence of fused multiply-adds per element, lib/gemm.c)
 * carry over.  The images of a batch are taken in groups of about
 * GROUP_TILES tiles, so the products are wide enough for the GEMM's
 * blocking and V and M stay in the cache.
 *
 * ---- Same bits everywhere --------------------------------------------------
 * The transforms are additions, subtractions and halvings in a fixed order,
 * written once (the macros below) and used on single floats (the scalar
 * path), on vectors of 8 floats (the AVX2 path) and of 16 (AVX-512, two
 * tile rows at once), lane by lane the same operations: the same bits.  No
 * fused multiply-add in them (ISO C mode: the compiler does not contract
 * a * b + c; the halvings come last, so there is no product to fuse).
 * nn_gemm gives the same bits on all its paths and for any grouping (each
 * element sums over c, the same c, in the same order); threads take whole
 * groups.  So every path and thread count
 * gives the same bits; tests/lib/test-winograd.c checks it with memcmp.
 * They are not im2col + GEMM's bits: the rounding differs, by a few units in
 * the last place times the size of the sum (the test names the tolerance).
 *
 * ---- Backward --------------------------------------------------------------
 * d_in of this layer is the same kind of convolution: d_out with the filters
 * turned 180 degrees and their channel axes swapped (nn_winograd_backward_input).
 * d_w is the adjoint of the forward pass with respect to g: for one tile,
 * dg = G^T [ (A dY A^T) . (B^T d B) ] G, so summed over all tiles,
 *
 *     Z[xi][k][t] = (A dY[k,t] A^T)[xi]         every 2 x 2 tile of d_out
 *     dU_xi (K, C) = Z_xi (K, T) . V_xi^T (T, C)   16 products, summed over the batch
 *     d_w[k,c] += G^T dU[.][k][c] G
 *
 * with A = (A^T)^T, a 4 x 2 matrix, and G^T a 3 x 4 one. */
#include <config.h>

#include "winograd.h"

#include <stdlib.h>
#include <string.h>

#if defined(_OPENMP)
#include <omp.h>
#endif
#if defined(__GNUC__) && defined(__x86_64__)
#define WINO_HAVE_AVX2 1
#include <immintrin.h>
#endif

#include "nn_core.h"
#include "nn_gemm.h"

/* The transforms must be rounded as written: no contraction into fused
 * multiply-adds (gcc in ISO C mode does not contract; clang is told). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(_OPENMP)
#define WINO_OMP(directive) _Pragma(#directive)
#else
#define WINO_OMP(directive)
#endif

/* About this many tiles per group of images: the products are then
 * (K, GROUP_TILES) wide, enough for the GEMM's blocking.  Measured on the
 * two-conv net's second layer (32 x 14 x 14 -> 64, 49 tiles an image):
 * 294 and 512 the same within the noise, 98 and 1568 slower. */
enum { GROUP_TILES = 512 };

/* The weight gradient sums over the batch in this many chunks (as in
 * lib/conv.c): a constant, so the order of the sum does not depend on the
 * number of threads. */
enum { D_W_CHUNKS = 8 };

/* ---- The transforms, in one dimension --------------------------------------
 * Each works on floats or on vectors of floats (lane by lane), in exactly
 * the order written.  x0..x3 are read before y0.. are written only where
 * the callers need it: they never pass the same variable as an x and a y. */

/* y = B^T x:  (x0 - x2, x1 + x2, x2 - x1, x1 - x3) */
#define BT_1D(x0, x1, x2, x3, y0, y1, y2, y3) \
    ((y0) = (x0) - (x2), (y1) = (x1) + (x2), (y2) = (x2) - (x1), (y3) = (x1) - (x3))

/* y = A^T x:  (x0 + x1 + x2, x1 - x2 - x3), added left to right */
#define AT_1D(x0, x1, x2, x3, y0, y1) ((y0) = ((x0) + (x1)) + (x2), (y1) = ((x1) - (x2)) - (x3))

/* y = G x:  (x0, (x0 + x1 + x2) / 2, (x0 - x1 + x2) / 2, x2); the sums
 * first, the halving (exact) last */
#define G_1D(x0, x1, x2, y0, y1, y2, y3) \
    ((y0) = (x0), (y1) = (((x0) + (x2)) + (x1)) * 0.5f, (y2) = (((x0) + (x2)) - (x1)) * 0.5f, \
     (y3) = (x2))

/* y = A x, A = (A^T)^T (4 x 2):  (x0, x0 + x1, x0 - x1, -x1) */
#define A_1D(x0, x1, y0, y1, y2, y3) ((y0) = (x0), (y1) = (x0) + (x1), (y2) = (x0) - (x1), (y3) = -(x1))

/* y = G^T x (3 x 4):  (x0 + (x1 + x2) / 2, (x1 - x2) / 2, (x1 + x2) / 2 + x3) */
#define GT_1D(x0, x1, x2, x3, y0, y1, y2) \
    ((y0) = (x0) + ((x1) + (x2)) * 0.5f, (y1) = ((x1) - (x2)) * 0.5f, \
     (y2) = ((x1) + (x2)) * 0.5f + (x3))

/* ---- The transforms of one tile, on 16 numbers (xi = 4 r + s) -----------------
 * TYPE is float or a vector of floats; the two-dimensional transform is the
 * one-dimensional one along s in each row r, then along r in each column. */

/* v = B^T d B: 4 x 4 -> 4 x 4 */
#define INPUT_TILE(TYPE, d, v)                                                        \
    do {                                                                              \
        TYPE h_[16];                                                                  \
        for (int r = 0; r < 4; r++)                                                   \
            BT_1D(d[4 * r], d[4 * r + 1], d[4 * r + 2], d[4 * r + 3], h_[4 * r],      \
                  h_[4 * r + 1], h_[4 * r + 2], h_[4 * r + 3]);                       \
        for (int s = 0; s < 4; s++)                                                   \
            BT_1D(h_[s], h_[4 + s], h_[8 + s], h_[12 + s], v[s], v[4 + s], v[8 + s],  \
                  v[12 + s]);                                                         \
    } while (0)

/* y = A^T m A: 4 x 4 -> 2 x 2 (y[2 a + b]) */
#define OUTPUT_TILE(TYPE, m, y)                                                       \
    do {                                                                              \
        TYPE h_[8];                                                                   \
        for (int r = 0; r < 4; r++)                                                   \
            AT_1D(m[4 * r], m[4 * r + 1], m[4 * r + 2], m[4 * r + 3], h_[2 * r],      \
                  h_[2 * r + 1]);                                                     \
        for (int b = 0; b < 2; b++)                                                   \
            AT_1D(h_[b], h_[2 + b], h_[4 + b], h_[6 + b], y[b], y[2 + b]);            \
    } while (0)

/* z = A q A^T: 2 x 2 (q[2 a + b]) -> 4 x 4 */
#define GRAD_TILE(TYPE, q, z)                                                         \
    do {                                                                              \
        TYPE h_[8];                                                                   \
        for (int a = 0; a < 2; a++)                                                   \
            A_1D(q[2 * a], q[2 * a + 1], h_[4 * a], h_[4 * a + 1], h_[4 * a + 2],     \
                 h_[4 * a + 3]);                                                      \
        for (int s = 0; s < 4; s++)                                                   \
            A_1D(h_[s], h_[4 + s], z[s], z[4 + s], z[8 + s], z[12 + s]);              \
    } while (0)

/* ---- Filters: U[xi][k][c] = (G w[k,c] G^T)[xi] ------------------------------ */
static void transform_filters(float *U, const float *w, int K, int C)
{
    const size_t plane = (size_t)K * C;
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++) {
            const float *g = w + ((size_t)k * C + c) * 9;   /* g[3 u + v] */
            float h[12], u[16];                             /* h = G g (4 x 3) */
            for (int v = 0; v < 3; v++)
                G_1D(g[v], g[3 + v], g[6 + v], h[v], h[3 + v], h[6 + v], h[9 + v]);
            for (int r = 0; r < 4; r++)
                G_1D(h[3 * r], h[3 * r + 1], h[3 * r + 2], u[4 * r], u[4 * r + 1], u[4 * r + 2],
                     u[4 * r + 3]);
            for (int xi = 0; xi < 16; xi++)
                U[xi * plane + (size_t)k * C + c] = u[xi];
        }
}

/* ---- Cutting a channel into tiles --------------------------------------------
 * A channel x (H, W) is first copied into `plane` with the padding around
 * it: plane row y + 1 is input row y (rows -1 .. 2 TH, zeros outside the
 * image), x[y][j] at column j + 1 of it, zeros at column 0 and past W.
 * The zeros are written once per call; copy_to_plane rewrites only the
 * image.  Tile tj reads the plane columns 2 tj .. 2 tj + 3 of four rows;
 * the AVX2 path loads 16 consecutive numbers and splits them into the even
 * and the odd ones, 8 tiles' worth of one of the tile's 16 points each.
 *
 * V and M (and Z) rows are `stride` = G tiles + SPARE floats apart (G
 * images a group; the last group may have fewer, T = g tiles): the AVX2
 * path stores 8 tiles at a time, and the up to 7 it computes past a tile
 * row's end land on the next tile row's tiles (computed after, and stored
 * over them) or, after the last, past T, on floats the GEMM never reads
 * (it is told T columns and the row stride); the AVX-512 path stores 16,
 * two tile rows and up to 14 more, which SPARE = 16 keeps inside the row. */
enum { SPARE = 16 };
typedef struct {
    int H, W, TH, TW, tiles, row_len;
    size_t plane_size;
} tiling;

static tiling make_tiling(int H, int W)
{
    tiling g = {H, W, (H + 1) / 2, (W + 1) / 2, 0, 0, 0};
    g.tiles = g.TH * g.TW;
    /* the vector loads of the last block of 8 tiles reach column
     * 16 ceil(TW / 8) + 1 (both transforms' last load is 16 floats from
     * column 2 tj + 2 of the block's first tile tj) */
    g.row_len = 16 * ((g.TW + 7) / 8) + 4;
    g.plane_size = (size_t)(2 * g.TH + 2) * g.row_len;
    return g;
}

/* n < 8 floats, in pieces of fixed size (moves, not a library call). */
static inline void copy_short(float *restrict dst, const float *restrict src, int n)
{
    if (n & 4) {
        memcpy(dst, src, 4 * sizeof(float));
        dst += 4, src += 4;
    }
    if (n & 2) {
        memcpy(dst, src, 2 * sizeof(float));
        dst += 2, src += 2;
    }
    if (n & 1)
        *dst = *src;
}

static inline void copy_floats(float *restrict dst, const float *restrict src, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        memcpy(dst + j, src + j, 8 * sizeof(float));
    copy_short(dst + j, src + j, n - j);
}

static void copy_to_plane(float *restrict plane, const float *restrict x, const tiling *g)
{
    for (int y = 0; y < g->H; y++)
        copy_floats(plane + (size_t)(y + 1) * g->row_len + 1, x + (size_t)y * g->W, g->W);
}

/* The input tiles of one tile row: rows = the plane's rows 2 ti .. 2 ti + 3
 * (input rows 2 ti - 1 .. 2 ti + 2); V[xi][tj] = (B^T d B)[xi] for
 * tj = 0 .. TW-1, d[4 r + s] = row r's column 2 tj + s, V's 16 rows v_step apart. */
static void input_row_scalar(float *restrict V, size_t v_step, const float *restrict rows,
                             const tiling *g)
{
    for (int tj = 0; tj < g->TW; tj++) {
        float d[16], v[16];
        for (int r = 0; r < 4; r++)
            for (int s = 0; s < 4; s++)
                d[4 * r + s] = rows[r * g->row_len + 2 * tj + s];
        INPUT_TILE(float, d, v);
        for (int xi = 0; xi < 16; xi++)
            V[xi * v_step + tj] = v[xi];
    }
}

/* The 2 x 2 output tiles of one tile row, y = A^T m A from M[xi][tj] (rows
 * m_step apart), into out's rows 2 ti (and 2 ti + 1 when n_rows = 2), W
 * floats each: out = y + bias, or out += y when accumulating.  A tile
 * past an odd W keeps only its left column. */
static void output_row_scalar(float *restrict out, const float *restrict M, size_t m_step,
                              const tiling *g, int n_rows, float bias, int accumulate)
{
    const int W = g->W;
    for (int tj = 0; tj < g->TW; tj++) {
        float m[16], y[4];
        for (int xi = 0; xi < 16; xi++)
            m[xi] = M[xi * m_step + tj];
        OUTPUT_TILE(float, m, y);
        for (int a = 0; a < n_rows; a++)
            for (int b = 0; b < 2 && 2 * tj + b < W; b++) {
                float *o = out + (size_t)a * W + 2 * tj + b;
                *o = accumulate ? *o + y[2 * a + b] : y[2 * a + b] + bias;
            }
    }
}

/* The gradient tiles of one tile row, Z[xi][tj] = (A q A^T)[xi] with
 * q[2 a + b] = d_out[2 ti + a][2 tj + b] (0 outside), from d_out's channel
 * copied into the plane like an input: its row 2 ti + a is the plane row
 * 2 ti + a + 1 (rows = that for a = 0), its column 2 tj + b the plane's
 * column 2 tj + b + 1. */
static void grad_row_scalar(float *restrict Z, size_t z_step, const float *restrict rows,
                            const tiling *g)
{
    for (int tj = 0; tj < g->TW; tj++) {
        float q[4], z[16];
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++)
                q[2 * a + b] = rows[a * g->row_len + 2 * tj + b + 1];
        GRAD_TILE(float, q, z);
        for (int xi = 0; xi < 16; xi++)
            Z[xi * z_step + tj] = z[xi];
    }
}

#if defined(WINO_HAVE_AVX2)
/* The same three, 8 tiles at a time (tj, tj + 1, .. tj + 7 in the 8 lanes of
 * one vector), with the same operations lane by lane. */

/* (p[0], p[2], .. p[14]) and (p[1], p[3], .. p[15]) */
__attribute__((target("avx2")))
static inline __m256 evens(const float *p)
{
    const __m256 s = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), 0xD8));
}

__attribute__((target("avx2")))
static inline __m256 odds(const float *p)
{
    const __m256 s = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0xDD);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), 0xD8));
}

__attribute__((target("avx2")))
static void input_row_avx2(float *restrict V, size_t v_step, const float *restrict rows,
                           const tiling *g)
{
    for (int tj = 0; tj < g->TW; tj += 8) {
        __m256 d[16], v[16];
        for (int r = 0; r < 4; r++) {
            const float *p = rows + r * g->row_len + 2 * tj;
            d[4 * r] = evens(p), d[4 * r + 1] = odds(p);
            d[4 * r + 2] = evens(p + 2), d[4 * r + 3] = odds(p + 2);
        }
        INPUT_TILE(__m256, d, v);
        for (int xi = 0; xi < 16; xi++)
            _mm256_storeu_ps(V + xi * v_step + tj, v[xi]);
    }
}

/* Lanes (y0[0], y1[0], y0[1], y1[1], ..): the outputs of a row in order. */
__attribute__((target("avx2")))
static inline void interleave(__m256 y0, __m256 y1, __m256 *first, __m256 *second)
{
    const __m256 lo = _mm256_unpacklo_ps(y0, y1), hi = _mm256_unpackhi_ps(y0, y1);
    *first = _mm256_permute2f128_ps(lo, hi, 0x20);
    *second = _mm256_permute2f128_ps(lo, hi, 0x31);
}

/* out[0 .. n-1] (=|+=) the first n lanes of y (plus bias), n <= 8; the
 * end of a row goes through a buffer, so nothing past it is read or written. */
__attribute__((target("avx2")))
static inline void store_row(float *restrict out, __m256 y, int n, __m256 bias, int accumulate)
{
    if (n == 8) {
        _mm256_storeu_ps(out, accumulate ? _mm256_loadu_ps(out) + y : y + bias);
        return;
    }
    float buf[8];
    if (accumulate)
        copy_short(buf, out, n);
    _mm256_storeu_ps(buf, accumulate ? _mm256_loadu_ps(buf) + y : y + bias);
    copy_short(out, buf, n);
}

__attribute__((target("avx2")))
static void output_row_avx2(float *restrict out, const float *restrict M, size_t m_step,
                            const tiling *g, int n_rows, float bias, int accumulate)
{
    const int W = g->W;
    const __m256 bias_v = _mm256_set1_ps(bias);
    for (int tj = 0; tj < g->TW; tj += 8) {
        __m256 m[16], y[4];
        for (int xi = 0; xi < 16; xi++)
            m[xi] = _mm256_loadu_ps(M + xi * m_step + tj);
        OUTPUT_TILE(__m256, m, y);
        const int cols = W - 2 * tj < 16 ? W - 2 * tj : 16;
        for (int a = 0; a < n_rows; a++) {
            float *o = out + (size_t)a * W + 2 * tj;
            __m256 first, second;
            interleave(y[2 * a], y[2 * a + 1], &first, &second);
            store_row(o, first, cols < 8 ? cols : 8, bias_v, accumulate);
            if (cols > 8)
                store_row(o + 8, second, cols - 8, bias_v, accumulate);
        }
    }
}

__attribute__((target("avx2")))
static void grad_row_avx2(float *restrict Z, size_t z_step, const float *restrict rows,
                          const tiling *g)
{
    for (int tj = 0; tj < g->TW; tj += 8) {
        __m256 q[4], z[16];
        for (int a = 0; a < 2; a++) {
            const float *p = rows + a * g->row_len + 2 * tj;
            q[2 * a] = odds(p), q[2 * a + 1] = evens(p + 2);
        }
        GRAD_TILE(__m256, q, z);
        for (int xi = 0; xi < 16; xi++)
            _mm256_storeu_ps(Z + xi * z_step + tj, z[xi]);
    }
}
#endif

#if defined(WINO_HAVE_AVX2)
/* ---- Two tile rows at a time (AVX-512) ----------------------------------------
 * A row of an image up to 16 pixels wide has TW <= 8 tiles, half a vector of
 * 16: so the AVX-512 versions put two tile rows side by side, tile row ti in
 * lanes 0-7 and ti + 1 in lanes 8-15 (lane 8 h + tj: tile (ti + h, tj)), and
 * do the same operations as above, lane by lane, once for both.  Lanes
 * TW .. 7 of each half compute tiles that do not exist.  The stores to V
 * and Z write all 16 lanes, the 2 TW tiles first, the rest on later tiles
 * or the SPARE floats, as the AVX2 path does (a masked store measured
 * slower); the output, whose row ends where the next row begins, is
 * stored through a mask. */

/* (p[0], p[2], .. p[14], q[0], q[2], .. q[14]), and the odd ones */
__attribute__((target("avx512f")))
static inline __m512 evens2(const float *p, const float *q)
{
    const __m512i pick = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), pick, _mm512_loadu_ps(q));
}

__attribute__((target("avx512f")))
static inline __m512 odds2(const float *p, const float *q)
{
    const __m512i pick = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), pick, _mm512_loadu_ps(q));
}

/* The two halves' first TW lanes, next to each other: lanes 0 .. 2 TW - 1
 * (tiles ti TW + tj of both rows, the order of V, M and Z), and back. */
__attribute__((target("avx512f")))
static inline __m512 pack_halves(__m512 v, int TW)
{
    __m512i to = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    to = _mm512_mask_add_epi32(to, (__mmask16)(0xFFFFu << TW), to, _mm512_set1_epi32(8 - TW));
    return _mm512_permutexvar_ps(to, v);
}

__attribute__((target("avx512f")))
static inline __m512 unpack_halves(__m512 v, int TW)
{
    __m512i from = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    from = _mm512_mask_sub_epi32(from, (__mmask16)0xFF00u, from, _mm512_set1_epi32(8 - TW));
    return _mm512_permutexvar_ps(from, v);
}

static inline __mmask16 first_lanes(int n) { return (__mmask16)((1u << n) - 1u); }

/* input_row for tile rows ti and ti + 1 (rows: the plane's row 2 ti) */
__attribute__((target("avx512f")))
static void input_rows2_avx512(float *restrict V, size_t v_step, const float *restrict rows,
                               const tiling *g)
{
    __m512 d[16], v[16];
    for (int r = 0; r < 4; r++) {
        const float *p = rows + r * g->row_len, *q = p + 2 * g->row_len;
        d[4 * r] = evens2(p, q), d[4 * r + 1] = odds2(p, q);
        d[4 * r + 2] = evens2(p + 2, q + 2), d[4 * r + 3] = odds2(p + 2, q + 2);
    }
    INPUT_TILE(__m512, d, v);
    for (int xi = 0; xi < 16; xi++)
        _mm512_storeu_ps(V + xi * v_step, pack_halves(v[xi], g->TW));
}

/* output_row for tile rows ti and ti + 1 (out: row 2 ti; n_rows: output
 * rows of tile row ti + 1, 1 when H is odd and it is the last) */
__attribute__((target("avx512f")))
static void output_rows2_avx512(float *restrict out, const float *restrict M, size_t m_step,
                                const tiling *g, int n_rows, float bias, int accumulate)
{
    const int W = g->W;
    const __m512 bias_v = _mm512_set1_ps(bias);
    const __m512i first = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i second = _mm512_add_epi32(first, _mm512_set1_epi32(8));
    const __mmask16 cols = first_lanes(W);
    __m512 m[16], y[4];
    for (int xi = 0; xi < 16; xi++)
        m[xi] = unpack_halves(_mm512_maskz_loadu_ps(first_lanes(2 * g->TW), M + xi * m_step), g->TW);
    OUTPUT_TILE(__m512, m, y);
    for (int row = 0; row < 2 + n_rows; row++) {
        const int a = row & 1;   /* rows 0, 1: tile row ti; 2, 3: ti + 1 */
        float *o = out + (size_t)row * W;
        const __m512 yr = _mm512_permutex2var_ps(y[2 * a], row < 2 ? first : second, y[2 * a + 1]);
        _mm512_mask_storeu_ps(o, cols,
                              accumulate ? _mm512_maskz_loadu_ps(cols, o) + yr : yr + bias_v);
    }
}

/* grad_row for tile rows ti and ti + 1 (rows: the plane's row 2 ti + 1) */
__attribute__((target("avx512f")))
static void grad_rows2_avx512(float *restrict Z, size_t z_step, const float *restrict rows,
                              const tiling *g)
{
    __m512 q[4], z[16];
    for (int a = 0; a < 2; a++) {
        const float *p = rows + a * g->row_len, *p2 = p + 2 * g->row_len;
        q[2 * a] = odds2(p, p2), q[2 * a + 1] = evens2(p + 2, p2 + 2);
    }
    GRAD_TILE(__m512, q, z);
    for (int xi = 0; xi < 16; xi++)
        _mm512_storeu_ps(Z + xi * z_step, pack_halves(z[xi], g->TW));
}
#endif

/* ---- Which path -------------------------------------------------------------------
 * The transforms follow nn_gemm's path, as lib/convdirect.c's kernels do:
 * scalar loops on its scalar path, AVX2 on its avx2 path, and the two-row
 * AVX-512 versions on its avx512 path (which it takes only on CPUs with
 * AVX-512F) where a row has at most 8 tiles, for pairs of tile rows (the
 * last tile row of an odd TH goes through the AVX2 version).  All give the
 * same bits. */
enum { WINO_SCALAR, WINO_AVX2, WINO_AVX512 };

static int transform_path(void)
{
    if (!nn_conv_vector())
        return WINO_SCALAR;
    return strcmp(nn_gemm_path(), "avx512") ? WINO_AVX2 : WINO_AVX512;
}

/* How many tile rows, from ti on, the next call below handles: 2 where
 * the AVX-512 versions apply, else 1. */
static int rows_at_once(int path, const tiling *g, int ti)
{
    return path == WINO_AVX512 && g->TW <= 8 && ti + 1 < g->TH ? 2 : 1;
}

/* The input tiles of tile rows ti .. ti + n - 1 (n from rows_at_once);
 * rows: the plane's row 2 ti, V: tile ti TW's place. */
static void input_rows(int path, int n, float *V, size_t v_step, const float *rows,
                       const tiling *g)
{
#if defined(WINO_HAVE_AVX2)
    if (n == 2) {
        input_rows2_avx512(V, v_step, rows, g);
        return;
    }
    if (path != WINO_SCALAR) {
        input_row_avx2(V, v_step, rows, g);
        return;
    }
#endif
    (void)path, (void)n;
    input_row_scalar(V, v_step, rows, g);
}

/* The output tiles of tile rows ti .. ti + n - 1 into out's row 2 ti on;
 * last_rows: the output rows of the last of them (1 at an odd H's end). */
static void output_rows(int path, int n, float *out, const float *M, size_t m_step,
                        const tiling *g, int last_rows, float bias, int accumulate)
{
#if defined(WINO_HAVE_AVX2)
    if (n == 2) {
        output_rows2_avx512(out, M, m_step, g, last_rows, bias, accumulate);
        return;
    }
    if (path != WINO_SCALAR) {
        output_row_avx2(out, M, m_step, g, last_rows, bias, accumulate);
        return;
    }
#endif
    (void)path, (void)n;
    output_row_scalar(out, M, m_step, g, last_rows, bias, accumulate);
}

/* The gradient tiles of tile rows ti .. ti + n - 1; rows: the plane's row
 * 2 ti + 1, Z: tile ti TW's place. */
static void grad_rows(int path, int n, float *Z, size_t z_step, const float *rows,
                      const tiling *g)
{
#if defined(WINO_HAVE_AVX2)
    if (n == 2) {
        grad_rows2_avx512(Z, z_step, rows, g);
        return;
    }
    if (path != WINO_SCALAR) {
        grad_row_avx2(Z, z_step, rows, g);
        return;
    }
#endif
    (void)path, (void)n;
    grad_row_scalar(Z, z_step, rows, g);
}

static int group_images(int N, int tiles)
{
    const int g = GROUP_TILES / tiles;
    return g < 1 ? 1 : g > N ? N : g;
}

/* V[xi][c][t] of images n0 .. n0 + g - 1 of x (N, C, H, W): row (xi, c) at
 * V + (xi C + c) stride, tile t = (n - n0) tiles + ti TW + tj. */
static void transform_inputs(float *V, size_t stride, float *plane, const float *x, int n0, int g,
                             int C, const tiling *tl, int path)
{
    const size_t image = (size_t)tl->H * tl->W, v_step = (size_t)C * stride;
    for (int c = 0; c < C; c++)
        for (int t = 0; t < g; t++) {
            copy_to_plane(plane, x + ((size_t)(n0 + t) * C + c) * image, tl);
            for (int ti = 0, n; ti < tl->TH; ti += n) {
                n = rows_at_once(path, tl, ti);
                input_rows(path, n, V + c * stride + (size_t)t * tl->tiles + (size_t)ti * tl->TW,
                           v_step, plane + (size_t)(2 * ti) * tl->row_len, tl);
            }
        }
}

/* ---- Forward ------------------------------------------------------------------ */
void nn_winograd_forward(float *out, const float *in, const float *w, const float *b, int N,
                         int C, int H, int W, int K, int accumulate)
{
    const tiling tl = make_tiling(H, W);
    const int G = group_images(N, tl.tiles), n_groups = (N + G - 1) / G;
    const int threads = nn_conv_threads(), path = transform_path();
    const size_t stride = (size_t)G * tl.tiles + SPARE, image = (size_t)H * W;
    const size_t v_size = 16 * (size_t)C * stride, m_size = 16 * (size_t)K * stride;
    float *U = nn_malloc(sizeof(float) * 16 * (size_t)K * C);
    transform_filters(U, w, K, C);
    WINO_OMP(omp parallel num_threads(threads) if (threads > 1 && n_groups > 1))
    {
        float *space = nn_conv_workspace(tl.plane_size + v_size + m_size);
        float *plane = space, *V = plane + tl.plane_size, *M = V + v_size;
        memset(plane, 0, sizeof(float) * tl.plane_size);
        WINO_OMP(omp for schedule(static))
        for (int group = 0; group < n_groups; group++) {
            const int n0 = group * G, g = G < N - n0 ? G : N - n0, T = g * tl.tiles;
            transform_inputs(V, stride, plane, in, n0, g, C, &tl, path);
            /* M_xi (K, T) = U_xi (K, C) . V_xi (C, T) */
            for (int xi = 0; xi < 16; xi++)
                nn_gemm(NN_NO_TRANS, NN_NO_TRANS, K, T, C, 1.0f, U + (size_t)xi * K * C, C,
                        V + (size_t)xi * C * stride, (int)stride, 0.0f,
                        M + (size_t)xi * K * stride, (int)stride);
            /* filter by filter, so each of M's 16 rows is read front to back */
            for (int k = 0; k < K; k++)
                for (int t = 0; t < g; t++) {
                    float *o = out + ((size_t)(n0 + t) * K + k) * image;
                    const float *m = M + k * stride + (size_t)t * tl.tiles;
                    for (int ti = 0, n; ti < tl.TH; ti += n) {
                        n = rows_at_once(path, &tl, ti);
                        output_rows(path, n, o + (size_t)(2 * ti) * W, m + (size_t)ti * tl.TW,
                                    (size_t)K * stride, &tl, 2 * (ti + n - 1) + 1 < H ? 2 : 1,
                                    b ? b[k] : 0.0f, accumulate);
                    }
                }
        }
    }
    free(U);
}

/* ---- Backward: d_in -------------------------------------------------------------
 * in the forward pass this was: out[n,k,y,x] = b[k] + sum_c sum_u sum_v
 * in[n,c,y+u-1,x+v-1] w[k,c,u,v]; so d_in[n,c,y',x'] collects
 * d_out[n,k,y'-u+1,x'-v+1] w[k,c,u,v], and with u' = 2 - u, v' = 2 - v:
 *
 *     d_in[n,c,y,x] = sum_k sum_u' sum_v' d_out[n,k,y+u'-1,x+v'-1] w[k,c,2-u',2-v']
 *
 * the forward convolution of d_out (K channels in) with the filters
 * w_rot[c,k,u',v'] = w[k,c,2-u',2-v'] (C filters out), padding 1. */
void nn_winograd_backward_input(float *d_in, const float *d_out, const float *w, int N, int C,
                                int H, int W, int K)
{
    float *w_rot = nn_malloc(sizeof(float) * 9 * (size_t)K * C);
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++)
            for (int e = 0; e < 9; e++)
                w_rot[((size_t)c * K + k) * 9 + e] = w[((size_t)k * C + c) * 9 + 8 - e];
    nn_winograd_forward(d_in, d_out, w_rot, NULL, N, K, H, W, C, 1);
    free(w_rot);
}

/* ---- Backward: d_w ----------------------------------------------------------------
 * dU = sum over the batch of Z_xi V_xi^T in the order of lib/conv.c's d_w: the
 * groups of images split into D_W_CHUNKS consecutive chunks, each summed in
 * order into its own partial dU (nn_gemm, beta 0 for its first group, 1
 * after), the partials added in chunk order, then d_w += G^T dU G. */
void nn_winograd_backward_weights(float *d_w, const float *d_out, const float *in, int N, int C,
                                  int H, int W, int K)
{
    const tiling tl = make_tiling(H, W);
    const int G = group_images(N, tl.tiles), n_groups = (N + G - 1) / G;
    const int n_chunks = n_groups < D_W_CHUNKS ? n_groups : D_W_CHUNKS;
    const int threads = nn_conv_threads(), path = transform_path();
    const size_t stride = (size_t)G * tl.tiles + SPARE, image = (size_t)H * W;
    const size_t v_size = 16 * (size_t)C * stride, z_size = 16 * (size_t)K * stride;
    const size_t n_u = 16 * (size_t)K * C;
    float *partials = nn_malloc(sizeof(float) * n_u * (size_t)n_chunks);
    WINO_OMP(omp parallel num_threads(threads) if (threads > 1 && n_chunks > 1))
    {
        float *space = nn_conv_workspace(tl.plane_size + v_size + z_size);
        float *plane = space, *V = plane + tl.plane_size, *Z = V + v_size;
        memset(plane, 0, sizeof(float) * tl.plane_size);
        WINO_OMP(omp for schedule(static))
        for (int chunk = 0; chunk < n_chunks; chunk++) {
            const int first = (int)((long)n_groups * chunk / n_chunks);
            const int last = (int)((long)n_groups * (chunk + 1) / n_chunks);
            float *dU = partials + n_u * (size_t)chunk;
            for (int group = first; group < last; group++) {
                const int n0 = group * G, g = G < N - n0 ? G : N - n0, T = g * tl.tiles;
                transform_inputs(V, stride, plane, in, n0, g, C, &tl, path);
                /* The plane now holds d_out's channels: every row and column
                 * an input channel has, d_out's has (H2 = H, W2 = W), so
                 * the zeros around stay where they are. */
                for (int k = 0; k < K; k++)
                    for (int t = 0; t < g; t++) {
                        copy_to_plane(plane, d_out + ((size_t)(n0 + t) * K + k) * image, &tl);
                        for (int ti = 0, n; ti < tl.TH; ti += n) {
                            n = rows_at_once(path, &tl, ti);
                            grad_rows(path, n, Z + k * stride + (size_t)t * tl.tiles + (size_t)ti * tl.TW,
                                      (size_t)K * stride, plane + (size_t)(2 * ti + 1) * tl.row_len,
                                      &tl);
                        }
                    }
                /* dU_xi (K, C) (+)= Z_xi (K, T) . V_xi^T (T, C) */
                const float beta = group == first ? 0.0f : 1.0f;
                for (int xi = 0; xi < 16; xi++)
                    nn_gemm(NN_NO_TRANS, NN_TRANS, K, C, T, 1.0f, Z + (size_t)xi * K * stride,
                            (int)stride, V + (size_t)xi * C * stride, (int)stride, beta,
                            dU + (size_t)xi * K * C, C);
            }
        }
    }
    for (int chunk = 1; chunk < n_chunks; chunk++)
        for (size_t e = 0; e < n_u; e++)
            partials[e] += partials[n_u * (size_t)chunk + e];
    const size_t plane = (size_t)K * C;
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++) {
            float m[16], h[12], g[9];   /* h = G^T m (3 x 4), g = h G (3 x 3) */
            for (int xi = 0; xi < 16; xi++)
                m[xi] = partials[xi * plane + (size_t)k * C + c];
            for (int s = 0; s < 4; s++)
                GT_1D(m[s], m[4 + s], m[8 + s], m[12 + s], h[s], h[4 + s], h[8 + s]);
            for (int u = 0; u < 3; u++)
                GT_1D(h[4 * u], h[4 * u + 1], h[4 * u + 2], h[4 * u + 3], g[3 * u], g[3 * u + 1],
                      g[3 * u + 2]);
            float *dw = d_w + ((size_t)k * C + c) * 9;
            for (int e = 0; e < 9; e++)
                dw[e] += g[e];
        }
    free(partials);
}
