/* test-ch06-units.c: the didactic pooling loops of ch06-pooling against the
 * library and the decks' hand-worked examples.  The chapter is compiled in
 * without its main. */
#define CH06_NO_MAIN
/* the chapter's sections are not all called here */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "../../chapters/06-pooling/ch06-pooling.c"

/* The loops in double, the library in float: one float rounding per value
 * (max, average) or a sum of F^2 squares and a sqrt (L2). */
#define LOOPS_VS_LIB_ATOL 1e-6
#define LOOPS_VS_LIB_RTOL 1e-6

int main(void)
{
    nn_tap_timeout(60);
    pool_shape s = make_pool_shape(4, 4, 2, 2);
    double out[4];
    int argmax[4];
    static const double want_max[4] = {5, 8, 6, 7};
    pool_forward(out, argmax, duke, &s, POOL_MAX);
    nn_is_close_doubles(out, want_max, 4, 0, 0, "deck 003: the chapter's max pool gives [[5,8],[6,7]]");
    /* hand-worked: (1+2+2+5)/4, (2+4+1+8)/4, (3+0+6+1)/4, (4+4+7+6)/4 */
    static const double want_avg[4] = {2.5, 3.75, 2.5, 5.25};
    pool_forward(out, argmax, duke, &s, POOL_AVG);
    nn_is_close_doubles(out, want_avg, 4, 0, 1e-15, "the chapter's average pool of the same input");
    pool_forward(out, argmax, duke, &s, POOL_L2);
    nn_is_close(out[0], sqrt(1 + 4 + 4 + 25), 1e-15, 0, "the chapter's L2 pool: first window sqrt(34)");

    /* the deck 004 indicator: max backward routes each gradient to its argmax */
    static const double d_s[4] = {1, 2, 3, 4};
    static const double want_route[16] = {0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0};
    double d_a[16] = {0};
    pool_forward(out, argmax, duke, &s, POOL_MAX);
    pool_backward(d_a, d_s, duke, out, argmax, &s, POOL_MAX);
    nn_is_close_doubles(d_a, want_route, 16, 0, 0, "max backward routes [[1,2],[3,4]] to the four maxima");

    /* the chapter's loops == the library over shapes and kinds, forward and backward */
    static const int shapes[][4] = {{4, 4, 2, 2}, {7, 9, 3, 2}, {8, 8, 2, 1}, {9, 6, 3, 3}, {13, 13, 2, 2}};
    nn_rng rng = nn_rng_new(4);
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        const int *v = shapes[c];
        pool_shape ps = make_pool_shape(v[0], v[1], v[2], v[3]);
        nn_pool_dims d;
        nn_pool_dims_make(&d, 1, 1, v[0], v[1], v[2], v[3]);
        size_t n_in = nn_pool_in_size(&d), n_out = nn_pool_out_size(&d);
        double *a = nn_doubles(n_in), *g = nn_doubles(n_out), *o = nn_doubles(n_out), *da = nn_doubles(n_in);
        for (size_t q = 0; q < n_in; q++)
            a[q] = nn_rng_normal(&rng);
        for (size_t q = 0; q < n_out; q++)
            g[q] = nn_rng_normal(&rng);
        float *af = to_floats(a, n_in), *gf = to_floats(g, n_out), *of = nn_floats(n_out), *daf = nn_floats(n_in);
        int *am = malloc(sizeof(int) * n_out), *amf = malloc(sizeof(int) * n_out);
        for (int kind = POOL_MAX; kind <= POOL_L2; kind++) {
            nn_zero(daf, n_in);
            memset(da, 0, sizeof(double) * n_in);
            pool_forward(o, am, a, &ps, (pool_kind)kind);
            pool_backward(da, g, a, o, am, &ps, (pool_kind)kind);
            if (kind == POOL_MAX) {
                nn_maxpool_forward(of, amf, af, &d);
                nn_maxpool_backward(daf, gf, amf, &d);
                nn_ok(memcmp(am, amf, sizeof(int) * n_out) == 0, "argmax: chapter == library, %dx%d F%d S%d",
                      v[0], v[1], v[2], v[3]);
            } else if (kind == POOL_AVG) {
                nn_avgpool_forward(of, af, &d);
                nn_avgpool_backward(daf, gf, &d);
            } else {
                nn_l2pool_forward(of, af, &d);
                nn_l2pool_backward(daf, gf, af, of, &d);
            }
            double *ofd = nn_doubles(n_out), *dafd = nn_doubles(n_in);
            for (size_t q = 0; q < n_out; q++) ofd[q] = of[q];
            for (size_t q = 0; q < n_in; q++) dafd[q] = daf[q];
            nn_is_close_doubles(ofd, o, n_out, LOOPS_VS_LIB_RTOL, LOOPS_VS_LIB_ATOL,
                                "%s forward: chapter == library, %dx%d F%d S%d", pool_names[kind], v[0], v[1], v[2], v[3]);
            nn_is_close_doubles(dafd, da, n_in, LOOPS_VS_LIB_RTOL, LOOPS_VS_LIB_ATOL,
                                "%s backward: chapter == library, %dx%d F%d S%d", pool_names[kind], v[0], v[1], v[2], v[3]);
            free(ofd);
            free(dafd);
        }
        free(a); free(g); free(o); free(da); free(af); free(gf); free(of); free(daf); free(am); free(amf);
    }

    /* the shift used by the invariance experiment moves content right */
    float img[784] = {0}, moved[784];
    img[5 * 28 + 10] = 1;
    shift_right(moved, img, 1, 2);
    nn_ok(moved[5 * 28 + 12] == 1 && moved[5 * 28 + 10] == 0, "shift_right moves a pixel 2 columns right");
    /* relative change: 0 for equal features, sqrt(2) for disjoint ones of equal norm */
    float f1[4] = {1, 0, 0, 0}, f2[4] = {0, 1, 0, 0};
    nn_is_close(relative_change(f1, f1, 4), 0, 0, 0, "relative change of identical features is 0");
    nn_is_close(relative_change(f2, f1, 4), sqrt(2.0), 1e-12, 0, "relative change of disjoint features is sqrt 2");
    return nn_tap_done();
}
