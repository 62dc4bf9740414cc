/* test-ch05-units.c: the didactic loops of ch05-convolution against the
 * library's reference and fast versions, the flipped-kernel identity, and the
 * decks' hand-worked examples.  The chapter is compiled in without its main. */
#define CH05_NO_MAIN
/* the chapter's sections are not called here */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "../../chapters/05-convolution/ch05-convolution.c"

/* The chapter loops in double, the library in float: agreement to float
 * rounding of sums of up to C F F = 50 terms of size ~1. */
#define LOOPS_VS_LIB_ATOL 1e-4
#define LOOPS_VS_LIB_RTOL 1e-5

static void fill(nn_rng *rng, double *x, size_t n)
{
    for (size_t q = 0; q < n; q++)
        x[q] = nn_rng_normal(rng);
}

int main(void)
{
    nn_tap_timeout(60);
    nn_rng rng = nn_rng_new(9);

    /* deck 002's worked example by the chapter's cross-correlation */
    double feature[9];
    static const double want[9] = {4, 3, 4, 2, 4, 3, 2, 3, 4};
    cross_correlate(feature, deck_image, 5, 5, deck_filter, 3);
    nn_is_close_doubles(feature, want, 9, 0, 0, "deck 002: the chapter's loops give [[4,3,4],[2,4,3],[2,3,4]]");

    /* convolution = cross-correlation with the kernel turned by 180 degrees,
     * and differs from it for an asymmetric kernel */
    double img[8 * 9], k[9], flipped[9], conv[6 * 7], corr[6 * 7];
    fill(&rng, img, 72);
    fill(&rng, k, 9);
    convolve(conv, img, 8, 9, k, 3);
    flip_kernel(flipped, k, 3);
    cross_correlate(corr, img, 8, 9, flipped, 3);
    nn_is_close_doubles(conv, corr, 42, 1e-12, 1e-12, "convolution with K == cross-correlation with K flipped");
    cross_correlate(corr, img, 8, 9, k, 3);
    nn_ok(fabs(conv[0] - corr[0]) > 1e-6, "for a random kernel convolution and cross-correlation differ");

    /* deck 004's detectors on the chapter's picture: hand-counted places */
    static const double detectors[8] = {-1, 1, -1, 1, -1, 1, -1, -1};
    static const double biases[2] = {-1, 0};
    conv_shape s = make_shape(1, PIC, PIC, 2, 2, 1, 0);
    double maps[2 * 49];
    conv_forward(maps, picture, detectors, biases, &s);
    relu_inplace(maps, 98);
    int edge_places = 0, l_places = 0, edge_ok = 1;
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            int edge = maps[i * 7 + j] > 0, l_shape = maps[49 + i * 7 + j] > 0;
            edge_places += edge;
            l_places += l_shape;
            /* the white block's left edge is column 2, rows 1..5 */
            edge_ok &= edge == (j == 1 && i >= 1 && i <= 4);
        }
    nn_ok(edge_ok && edge_places == 4, "deck 004 edge detector fires at the 4 places left of the white block");
    nn_ok(l_places == 1 && maps[49 + 5 * 7 + 1] > 0, "deck 004 L detector fires once, at (5, 1)");

    /* the chapter's loops == the library, forward and backward, over shapes */
    static const int shapes[][7] = {{1, 5, 5, 1, 3, 1, 0}, {2, 7, 6, 3, 3, 2, 1}, {3, 9, 9, 4, 3, 2, 1},
                                    {2, 8, 8, 2, 5, 3, 2}, {1, 6, 7, 3, 1, 1, 0}, {2, 4, 4, 2, 4, 1, 1}};
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        const int *v = shapes[c];
        conv_shape cs = make_shape(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        nn_conv_dims d;
        nn_conv_dims_make(&d, 1, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        size_t n_x = nn_conv_in_size(&d), n_w = nn_conv_weight_size(&d), n_z = nn_conv_out_size(&d);
        double *x = nn_doubles(n_x), *w = nn_doubles(n_w), *b = nn_doubles((size_t)cs.K);
        double *z = nn_doubles(n_z), *g = nn_doubles(n_z);
        double *dx = nn_doubles(n_x), *dw = nn_doubles(n_w), *db = nn_doubles((size_t)cs.K);
        fill(&rng, x, n_x);
        fill(&rng, w, n_w);
        fill(&rng, b, (size_t)cs.K);
        fill(&rng, g, n_z);
        conv_forward(z, x, w, b, &cs);
        conv_backward(dx, dw, db, g, x, w, &cs);
        float *xf = to_floats(x, n_x), *wf = to_floats(w, n_w), *bf = to_floats(b, (size_t)cs.K);
        float *gf = to_floats(g, n_z), *zf = nn_floats(n_z), *zn = nn_floats(n_z);
        float *dxf = nn_floats(n_x), *dwf = nn_floats(n_w), *dbf = nn_floats((size_t)cs.K);
        nn_conv2d_forward(zf, xf, wf, bf, &d);
        nn_conv2d_forward_naive(zn, xf, wf, bf, &d);
        nn_conv2d_backward(dxf, dwf, dbf, gf, xf, wf, &d);
        double *zd = nn_doubles(n_z), *dxd = nn_doubles(n_x), *dwd = nn_doubles(n_w), *dbd = nn_doubles((size_t)cs.K);
        for (size_t q = 0; q < n_z; q++) zd[q] = zf[q];
        for (size_t q = 0; q < n_x; q++) dxd[q] = dxf[q];
        for (size_t q = 0; q < n_w; q++) dwd[q] = dwf[q];
        for (int q = 0; q < cs.K; q++) dbd[q] = dbf[q];
        char name[80];
        snprintf(name, sizeof name, "C%d %dx%d K%d F%d S%d P%d", v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        nn_is_close_doubles(zd, z, n_z, LOOPS_VS_LIB_RTOL, LOOPS_VS_LIB_ATOL, "chapter loops == nn_conv2d_forward, %s", name);
        for (size_t q = 0; q < n_z; q++) zd[q] = zn[q];
        nn_is_close_doubles(zd, z, n_z, LOOPS_VS_LIB_RTOL, LOOPS_VS_LIB_ATOL, "chapter loops == nn_conv2d_forward_naive, %s", name);
        nn_is_close_doubles(dxd, dx, n_x, LOOPS_VS_LIB_RTOL, LOOPS_VS_LIB_ATOL, "chapter dL/dx == nn_conv2d_backward, %s", name);
        nn_is_close_doubles(dwd, dw, n_w, LOOPS_VS_LIB_RTOL, LOOPS_VS_LIB_ATOL, "chapter dL/dw == nn_conv2d_backward, %s", name);
        nn_is_close_doubles(dbd, db, (size_t)cs.K, LOOPS_VS_LIB_RTOL, LOOPS_VS_LIB_ATOL, "chapter dL/db == nn_conv2d_backward, %s", name);
        free(x); free(w); free(b); free(z); free(g); free(dx); free(dw); free(db);
        free(xf); free(wf); free(bf); free(gf); free(zf); free(zn); free(dxf); free(dwf); free(dbf);
        free(zd); free(dxd); free(dwd); free(dbd);
    }

    /* the chapter's backward against central differences (section 7's check) */
    conv_shape bs = make_shape(2, 5, 6, 2, 3, 2, 2);
    size_t n_x = (size_t)2 * 30, n_w = (size_t)2 * 2 * 9, n_z = (size_t)2 * bs.H2 * bs.W2;
    backward_check bc = {&bs, nn_doubles(n_x), nn_doubles(n_w), nn_doubles(2), nn_doubles(n_z), nn_doubles(n_z)};
    fill(&rng, bc.x, n_x);
    fill(&rng, bc.w, n_w);
    fill(&rng, bc.b, 2);
    fill(&rng, bc.g, n_z);
    double *dx = nn_doubles(n_x), *dw = nn_doubles(n_w), *db = nn_doubles(2);
    conv_backward(dx, dw, db, bc.g, bc.x, bc.w, &bs);
    nn_ok(numeric_rel_error(&bc, bc.w, dw, n_w) < 1e-7, "chapter dL/dw matches central differences");
    nn_ok(numeric_rel_error(&bc, bc.b, db, 2) < 1e-7, "chapter dL/db matches central differences");
    nn_ok(numeric_rel_error(&bc, bc.x, dx, n_x) < 1e-7, "chapter dL/dx matches central differences");
    free(bc.x); free(bc.w); free(bc.b); free(bc.g); free(bc.z); free(dx); free(dw); free(db);
    nn_conv_free_workspace();
    return nn_tap_done();
}
