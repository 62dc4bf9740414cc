/* convdirect-kernels.h: the vector kernels of lib/convdirect.c, written once
 * for a vector of VL floats and included twice by convdirect.c: for AVX2
 * registers (VL = 8, __m256) and for AVX-512 registers (VL = 16, __m512).
 * Not a public header: it has no include guard on purpose, and it expects
 * these names defined by the includer (one line each there):
 *
 *   VEC, VL                the vector type and its number of lanes
 *   KNAME(x)               x with the width's suffix (x_v8, x_v16)
 *   KTARGET                the target attribute string of the operations
 *   V_ZERO() V_LOADU(p) V_STOREU(p, v) V_SET1(x) V_ADD(a, b)
 *   V_FMA(a, b, c)         a b + c rounded once (vfmadd)
 *   V_MASK                 the type of a lane mask
 *   V_MASK_RANGE(lo, hi)   the lanes l with lo <= l < hi
 *   V_MASK_NONE()          no lane
 *   V_MASKZ_LOADU(m, p)    p[l] in the lanes of m, 0 elsewhere (reads only those)
 *   V_MASK_STOREU(p, m, v) p[l] = v[l] in the lanes of m (writes only those)
 *   V_MASK_ADD(s, m, t)    s + t in the lanes of m, s elsewhere
 *
 * The plan (tile sizes, padded buffers) is convdirect.c's; every comment
 * on the order of the operations is there too.  The kernels here are
 * always inlined into convdirect.c's entry functions, which carry the
 * target attribute of the CPU path (a 256-bit kernel inlined into an
 * AVX-512 function gets the 32 registers of AVX-512). */

#define KINLINE static inline __attribute__((always_inline, target(KTARGET)))

/* ---- Forward: R output rows x T output columns of VL filters ------------
 * acc[a][t] holds out[kb .. kb+VL-1, i0 + a, j0 + t]: per (c, u, v) one
 * vector of packed weights wt[(c,u,v), kb ..] and, per output, a broadcast
 * input number and a fused multiply-add. */
KINLINE void KNAME(fwd_tile)(float *out, const float *xp, const float *wt, const float *bias,
                             const direct_plan *pl, int kb, int i0, int j0, const int T,
                             const int R)
{
    VEC acc[4][16];
    _Pragma("GCC unroll 4") for (int a = 0; a < R; a++)
        _Pragma("GCC unroll 16") for (int t = 0; t < T; t++)
            acc[a][t] = V_ZERO();
    const int F = pl->F, XW = pl->XW;
    const float *wr = wt + kb;
    for (int c = 0; c < pl->C; c++)
        for (int u = 0; u < F; u++) {
            const float *row[4];
            _Pragma("GCC unroll 4") for (int a = 0; a < R; a++)
                row[a] = xp + ((size_t)c * pl->XH + i0 + a + u) * XW + j0;
            for (int v = 0; v < F; v++, wr += pl->KP) {
                const VEC wv = V_LOADU(wr);
                _Pragma("GCC unroll 4") for (int a = 0; a < R; a++) {
                    _Pragma("GCC unroll 16") for (int t = 0; t < T; t++)
                        acc[a][t] = V_FMA(V_SET1(row[a][t]), wv, acc[a][t]);
                    row[a] = opaque_next(row[a]);
                }
            }
        }
    /* out = acc + b, then each lane (filter) to its own plane of out. */
    const VEC bv = V_LOADU(bias + kb);
    const int lanes = pl->K - kb < VL ? pl->K - kb : VL, plane = pl->H2 * pl->W2;
    float lane[VL];
    _Pragma("GCC unroll 4") for (int a = 0; a < R; a++) {
        if (i0 + a >= pl->H2)
            break;
        float *o = out + (size_t)kb * plane + (size_t)(i0 + a) * pl->W2 + j0;
        const int cols = pl->W2 - j0 < T ? pl->W2 - j0 : T;
        _Pragma("GCC unroll 16") for (int t = 0; t < T; t++) {
            if (t >= cols)
                break;
            V_STOREU(lane, V_ADD(acc[a][t], bv));
            for (int l = 0; l < lanes; l++)
                o[(size_t)l * plane + t] = lane[l];
        }
    }
}

KINLINE void KNAME(fwd_image_tiles)(float *out, const float *xp, const float *wt,
                                    const float *bias, const direct_plan *pl, const int T,
                                    const int R)
{
    for (int kb = 0; kb < pl->K; kb += VL)
        for (int i0 = 0; i0 < pl->H2; i0 += R)
            for (int j0 = 0; j0 < pl->W2; j0 += T)
                KNAME(fwd_tile)(out, xp, wt, bias, pl, kb, i0, j0, T, R);
}

/* One image: T (the plan's) chooses the instance, whose R follows from T
 * and the register budget as in plan_make. */
#define FWD_CASE(T_)                                                                        \
    case T_:                                                                                \
        KNAME(fwd_image_tiles)(out, xp, wt, bias, pl, T_, FWD_ROWS(T_, budget));           \
        break;
KINLINE void KNAME(fwd_image)(float *out, const float *xp, const float *wt, const float *bias,
                              const direct_plan *pl, const int budget)
{
    switch (pl->T) {
        FWD_CASE(1) FWD_CASE(2) FWD_CASE(3) FWD_CASE(4) FWD_CASE(5) FWD_CASE(6)
        FWD_CASE(7) FWD_CASE(8) FWD_CASE(9) FWD_CASE(10) FWD_CASE(11) FWD_CASE(12)
        FWD_CASE(13) FWD_CASE(14) FWD_CASE(15) FWD_CASE(16)
    default:
        break;
    }
}
#undef FWD_CASE

/* ---- Weight gradient: U x F weights of one channel, VL filters ----------
 * acc[uu][v] holds the sum for w[kb .., c, u0 + uu, v] over one block of
 * KC columns (pixels) of the group; per pixel one vector of d_out^T (the
 * VL filters' gradients at that pixel) and, per weight, a broadcast input
 * number and a fused multiply-add.  `accumulate` = 0 for the chunk's first
 * group: its first block is stored, every later block added. */
KINLINE void KNAME(dw_group)(float *part, const float *xps, const float *gts, const direct_plan *pl,
                             int g, int accumulate, const int F, const int U)
{
    const int HW2 = pl->H2 * pl->W2, cols = g * HW2, KP = pl->KP, WP = pl->WP;
    const size_t image = (size_t)pl->C * pl->HP * WP, grad_image = (size_t)HW2 * KP;
    for (int kb = 0; kb < pl->K; kb += VL)
        for (int c = 0; c < pl->C; c++)
            for (int u0 = 0; u0 < F; u0 += U)
                for (int q0 = 0; q0 < cols; q0 += DIRECT_KC) {
                    const int q_end = cols - q0 < DIRECT_KC ? cols : q0 + DIRECT_KC;
                    VEC acc[8][8];
                    _Pragma("GCC unroll 8") for (int uu = 0; uu < U; uu++)
                        _Pragma("GCC unroll 8") for (int v = 0; v < F; v++)
                            acc[uu][v] = V_ZERO();
                    for (int q = q0; q < q_end;) {
                        /* column q is pixel (i, j) of image t; a run of the row */
                        const int t = q / HW2, p = q - t * HW2, i = p / pl->W2, j = p - i * pl->W2;
                        const int run = pl->W2 - j < q_end - q ? pl->W2 - j : q_end - q;
                        const float *gv_at = gts + t * grad_image + (size_t)p * KP + kb;
                        const float *rows[8];
                        _Pragma("GCC unroll 8") for (int uu = 0; uu < U; uu++)
                            rows[uu] = xps + t * image + ((size_t)c * pl->HP + i + u0 + uu) * WP + j;
                        for (int s = 0; s < run; s++, gv_at += KP) {
                            const VEC gv = V_LOADU(gv_at);
                            _Pragma("GCC unroll 8") for (int uu = 0; uu < U; uu++) {
                                _Pragma("GCC unroll 8") for (int v = 0; v < F; v++)
                                    acc[uu][v] = V_FMA(V_SET1(rows[uu][v]), gv, acc[uu][v]);
                                rows[uu] = opaque_next(rows[uu]);
                            }
                        }
                        q += run;
                    }
                    const int first = !accumulate && q0 == 0;
                    _Pragma("GCC unroll 8") for (int uu = 0; uu < U; uu++) {
                        if (u0 + uu >= F)
                            break;
                        _Pragma("GCC unroll 8") for (int v = 0; v < F; v++) {
                            float *pr = part + ((size_t)(c * F + u0 + uu) * F + v) * KP + kb;
                            V_STOREU(pr, first ? acc[uu][v] : V_ADD(V_LOADU(pr), acc[uu][v]));
                        }
                    }
                }
}

#define DW_CASE(F_)                                                                           \
    case F_:                                                                                  \
        KNAME(dw_group)(part, xps, gts, pl, g, accumulate, F_, DW_ROWS(F_, budget));          \
        break;
KINLINE void KNAME(dw_dispatch)(float *part, const float *xps, const float *gts,
                                const direct_plan *pl, int g, int accumulate, const int budget)
{
    switch (pl->F) {
        DW_CASE(4) DW_CASE(5) DW_CASE(6) DW_CASE(7)
    default:
        break;
    }
}
#undef DW_CASE

/* ---- Input gradient, 1: d_col of one channel, RR rows x PV vectors -------
 * acc[rr][q] holds d_col[(c, rr0 + rr), p0 + VL q ..] for VL pixels p; per k
 * one broadcast weight w[k, c, rr0 + rr] per row and one vector of d_out
 * per column vector: the fma chain over k of the GEMM d_col = w^T d_out. */
KINLINE void KNAME(dcol_tile)(float *dcol, const float *gp, const float *w, const direct_plan *pl,
                              int c, int rr0, int p0, const int PV, const int RR)
{
    const int FF = pl->F * pl->F, CFF = pl->C * FF, PP = pl->PP;
    VEC acc[8][8];
    _Pragma("GCC unroll 8") for (int rr = 0; rr < RR; rr++)
        _Pragma("GCC unroll 8") for (int q = 0; q < PV; q++)
            acc[rr][q] = V_ZERO();
    const float *wk = w + (size_t)c * FF + rr0, *gk = gp + p0;
    for (int k = 0; k < pl->K; k++, wk += CFF, gk += PP) {
        VEC g[8];
        _Pragma("GCC unroll 8") for (int q = 0; q < PV; q++)
            g[q] = V_LOADU(gk + VL * q);
        _Pragma("GCC unroll 8") for (int rr = 0; rr < RR; rr++) {
            const VEC wv = V_SET1(wk[rr < FF - rr0 ? rr : 0]);
            _Pragma("GCC unroll 8") for (int q = 0; q < PV; q++)
                acc[rr][q] = V_FMA(wv, g[q], acc[rr][q]);
        }
    }
    _Pragma("GCC unroll 8") for (int rr = 0; rr < RR; rr++) {
        if (rr0 + rr >= FF)
            break;
        _Pragma("GCC unroll 8") for (int q = 0; q < PV; q++)
            V_STOREU(dcol + (size_t)(rr0 + rr) * PP + p0 + VL * q, acc[rr][q]);
    }
}

KINLINE void KNAME(dcol_channel)(float *dcol, const float *gp, const float *w,
                                 const direct_plan *pl, int c, const int PV, const int RR)
{
    const int FF = pl->F * pl->F;
    for (int p0 = 0; p0 < pl->H2 * pl->W2; p0 += PV * VL)
        for (int rr0 = 0; rr0 < FF; rr0 += RR)
            KNAME(dcol_tile)(dcol, gp, w, pl, c, rr0, p0, PV, RR);
}

/* ---- Input gradient, 2: col2im of one channel ----------------------------
 * d_in[c, y, x] += d_col[(c, u, v), (y + P - u, x + P - v)] for (u, v) in
 * order where the output pixel exists: each input row y (VL columns x at a
 * time) is loaded once and gets its contributions u = 0 .. F-1 (those whose
 * output row i = y + P - u exists), v = 0 .. F-1, in that order, each a
 * masked load of the d_col row shifted by v and a masked addition (lanes
 * whose output column x + P - v does not exist add nothing, as col2im
 * skips them), then is stored once. */
KINLINE void KNAME(col2im_channel)(float *dx, const float *dcol, const direct_plan *pl,
                                   const int F)
{
    const int P = pl->P, H = pl->H, W = pl->W, W2 = pl->W2, PP = pl->PP;
    for (int x0 = 0; x0 < W; x0 += VL) {
        const int in_row = W - x0 < VL ? W - x0 : VL;
        const V_MASK row_lanes = V_MASK_RANGE(0, in_row);
        V_MASK cols_ok[8];
        _Pragma("GCC unroll 8") for (int v = 0; v < F; v++) {
            int lo = v - P - x0, hi = v - P + W2 - x0;
            lo = lo < 0 ? 0 : lo;
            hi = hi > in_row ? in_row : hi;
            cols_ok[v] = lo < hi ? V_MASK_RANGE(lo, hi) : V_MASK_NONE();
        }
        for (int y = 0; y < H; y++) {
            float *row = dx + (size_t)y * W + x0;
            VEC s = V_MASKZ_LOADU(row_lanes, row);
            for (int u = 0; u < F; u++) {
                const int i = y + P - u;
                if (i < 0 || i >= pl->H2)
                    continue;
                /* lane x reads d_col column i W2 + x + P - v; dcol has F
                 * floats of margin before it, so the address stays inside */
                const float *src = dcol + (size_t)u * F * PP + (size_t)i * W2 + x0 + P;
                _Pragma("GCC unroll 8") for (int v = 0; v < F; v++)
                    s = V_MASK_ADD(s, cols_ok[v], V_MASKZ_LOADU(cols_ok[v], src + (size_t)v * PP - v));
            }
            V_MASK_STOREU(row, row_lanes, s);
        }
    }
}

#define DCOL_CASE(PV_)                                                                        \
    case PV_:                                                                                 \
        KNAME(dcol_channel)(dcol, gp, w, pl, c, PV_, DCOL_ROWS(PV_, budget));                 \
        break;
#define COL2IM_CASE(F_)                                                                       \
    case F_:                                                                                  \
        KNAME(col2im_channel)(dx + (size_t)c * pl->H * pl->W, dcol, pl, F_);                  \
        break;
KINLINE void KNAME(din_dispatch)(float *dx, const float *gp, float *dcol, const float *w,
                                 const direct_plan *pl, const int budget)
{
    for (int c = 0; c < pl->C; c++) {
        switch (pl->PV) {
            DCOL_CASE(1) DCOL_CASE(2) DCOL_CASE(3) DCOL_CASE(4) DCOL_CASE(5) DCOL_CASE(6)
            DCOL_CASE(7) DCOL_CASE(8)
        default:
            break;
        }
        switch (pl->F) {
            COL2IM_CASE(4) COL2IM_CASE(5) COL2IM_CASE(6) COL2IM_CASE(7)
        default:
            break;
        }
    }
}
#undef DCOL_CASE
#undef COL2IM_CASE
#undef KINLINE
