/* test-ch09-sklearn.c: the chapter's permutation importance, ICE curves and
 * partial dependence against scikit-learn's (sklearn.inspection), on the same
 * network.
 *
 * tests/ch09/diabetes_export.txt is the network and test rows of
 * `ch09-shap --seed 1 --export` (test-ch09-run.sh checks that the chapter
 * still writes it); tests/ch09/sklearn_reference.txt is what
 * tests/ch09/sklearn_reference.py computes from it with sklearn
 * (test-ch09-ref-current.sh checks that it still does).  Permutation
 * importance uses sklearn's own row orders, which the script replays and
 * writes, so both sides shuffle the same way; partial dependence uses
 * sklearn's grid (its percentiles interpolate as scipy's mquantiles does,
 * not as the chapter's grid does).
 *
 * Tolerances: the chapter's network computes in float, the script's copy in
 * float64.  Predictions of about 150 then differ by ~1e-5 relative, R^2 by
 * ~1e-6 absolute. */
#pragma GCC diagnostic ignored "-Wunused-function"
#define NN_CHAPTER_NO_MAIN
#include "../../chapters/09-shap/ch09-shap.c"

#define TOL_IMPORTANCE_ATOL 2e-5 /* a drop in R^2: a difference of two R^2 values */
#define TOL_PD_RTOL 2e-6         /* an average of ~133 float predictions */
#define TOL_ICE_RTOL 5e-6        /* one float prediction */

enum { MAX_VALUES = 4096 };

/* The numbers after `key` (and after `index`, when index >= 0) on its line. */
static int reference_values(const char *path, const char *key, int index, double *out, int max)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        nn_tap_bail_out("cannot open %s", path);
    static char line[1 << 16];
    int found = -1;
    while (found < 0 && fgets(line, sizeof line, fp)) {
        char *save = NULL, *k = strtok_r(line, " \n", &save);
        if (!k || strcmp(k, key) != 0)
            continue;
        if (index >= 0 && atoi(strtok_r(NULL, " \n", &save)) != index)
            continue;
        found = 0;
        for (char *tok; found < max && (tok = strtok_r(NULL, " \n", &save));)
            out[found++] = strtod(tok, NULL);
    }
    fclose(fp);
    if (found < 0)
        nn_tap_bail_out("%s: no line '%s %d'", path, key, index);
    return found;
}

int main(void)
{
    nn_tap_timeout(60);
    const char *export_path = NNLAB_SRCDIR "/tests/ch09/diabetes_export.txt";
    const char *ref = NNLAB_SRCDIR "/tests/ch09/sklearn_reference.txt";
    mlp net;
    table_set test;
    memset(&net, 0, sizeof net);
    memset(&test, 0, sizeof test);
    if (import_model(export_path, &net, &test) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    model_fn f = mlp_model(&net);
    int n = test.n, d = test.d;
    static double buf[MAX_VALUES];
    reference_values(ref, "rows", -1, buf, 1);
    nn_is_int((long)buf[0], n, "the reference was computed on the exported test rows");
    reference_values(ref, "repeats", -1, buf, 1);
    int repeats = (int)buf[0];

    /* Permutation importance with sklearn's row orders. */
    int *orders = nn_malloc((size_t)repeats * n * sizeof *orders);
    for (int r = 0; r < repeats; r++) {
        int got = reference_values(ref, "order", r, buf, MAX_VALUES);
        if (got != n)
            nn_tap_bail_out("order %d has %d entries, expected %d", r, got, n);
        for (int i = 0; i < n; i++)
            orders[(size_t)r * n + i] = (int)buf[i];
    }
    double mean[MAX_FEATURES], std[MAX_FEATURES], want_mean[MAX_FEATURES], want_std[MAX_FEATURES];
    double *raw = nn_doubles((size_t)d * repeats), *want_raw = nn_doubles((size_t)d * repeats);
    permutation_importance(mean, std, raw, &f, test.x, test.t, n, d, repeats, orders, NULL);
    for (int j = 0; j < d; j++)
        reference_values(ref, "importances", j, want_raw + (size_t)j * repeats, repeats);
    nn_is_close_doubles(raw, want_raw, (size_t)d * repeats, 0, TOL_IMPORTANCE_ATOL,
                        "every feature's importance in every repeat = sklearn's permutation_importance");
    reference_values(ref, "importance_mean", -1, want_mean, d);
    reference_values(ref, "importance_std", -1, want_std, d);
    nn_is_close_doubles(mean, want_mean, (size_t)d, 0, TOL_IMPORTANCE_ATOL, "importances_mean = sklearn's");
    nn_is_close_doubles(std, want_std, (size_t)d, 0, TOL_IMPORTANCE_ATOL, "importances_std = sklearn's");

    /* ICE and partial dependence on sklearn's grid. */
    reference_values(ref, "pd_feature", -1, buf, 1);
    int j = (int)buf[0];
    double grid[64], want_pd[64];
    int G = reference_values(ref, "pd_grid", -1, grid, 64);
    reference_values(ref, "pd_average", -1, want_pd, 64);
    double *ice = nn_doubles((size_t)n * G), *want_ice = nn_doubles((size_t)n * G), pd[64];
    ice_curves(ice, pd, &f, test.x, n, d, j, grid, G);
    nn_is_close_doubles(pd, want_pd, (size_t)G, TOL_PD_RTOL, 0, "partial dependence on bmi = sklearn's (kind='average')");
    for (int i = 0; i < n; i++)
        reference_values(ref, "ice", i, want_ice + (size_t)i * G, G);
    nn_is_close_doubles(ice, want_ice, (size_t)n * G, TOL_ICE_RTOL, 0,
                        "every ICE curve on bmi = sklearn's (kind='individual')");

    reference_values(ref, "pd2_features", -1, buf, 2);
    int j2 = (int)buf[0], k2 = (int)buf[1];
    double grid_j[64], grid_k[64];
    int Gj = reference_values(ref, "pd2_grid_j", -1, grid_j, 64);
    int Gk = reference_values(ref, "pd2_grid_k", -1, grid_k, 64);
    double *map = nn_doubles((size_t)Gj * Gk), *want_map = nn_doubles((size_t)Gj * Gk);
    for (int a = 0; a < Gj; a++)
        reference_values(ref, "pd2", a, want_map + (size_t)a * Gk, Gk);
    partial_dependence_2d(map, &f, test.x, n, d, j2, k2, grid_j, Gj, grid_k, Gk);
    nn_is_close_doubles(map, want_map, (size_t)Gj * Gk, TOL_PD_RTOL, 0,
                        "two-predictor partial dependence (bmi, s5) = sklearn's");

    free(orders);
    free(raw);
    free(want_raw);
    free(ice);
    free(want_ice);
    free(map);
    free(want_map);
    mlp_free(&net);
    set_free(&test);
    return nn_tap_done();
}
