/* test-ch09-units.c: chapter 9's explanations against independent truths.
 *
 * The chapter is one literate program; this file includes it with
 * NN_CHAPTER_NO_MAIN defined, which leaves out its main(), so every function
 * of the chapter is in scope.  The truths:
 *   - Shapley values by brute force, written here a second way: the average
 *     over all M! orders of the features of each feature's marginal
 *     contribution, with every coalition's value computed by filling rows
 *     in a plain loop (not the chapter's coalition_values);
 *   - the closed form w_i (x_i - E x_i) of a linear model;
 *   - additivity, the axioms, the coalition weights worked by hand;
 *   - the deck's income numbers (50k, 40k, -10k) and the hand-worked SHAP_Age;
 *   - the estimators converging to the exact values;
 *   - permutation importance, ICE and PD, percentiles and the tree, each
 *     recomputed here from their definitions. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include <unistd.h>

#define NN_CHAPTER_NO_MAIN
#include "../../chapters/09-shap/ch09-shap.c"

/* v(S) by definition, one row at a time. */
static double brute_value(const model_fn *f, const float *x, const float *bg, int nb, int M, const int *in_S)
{
    double sum = 0;
    float row[MAX_FEATURES], out;
    for (int b = 0; b < nb; b++) {
        for (int j = 0; j < M; j++)
            row[j] = in_S[j] ? x[j] : bg[b * M + j];
        f->predict(f->ctx, row, 1, &out);
        sum += out;
    }
    return sum / nb;
}

/* The average over all M! orders (Heap's algorithm) of the marginal
 * contributions. */
static void brute_shapley(double *phi, const model_fn *f, const float *x, const float *bg, int nb, int M)
{
    int perm[8], c[8] = {0}, count = 0;
    for (int i = 0; i < M; i++) {
        perm[i] = i;
        phi[i] = 0;
    }
    for (;;) {
        int in_S[8] = {0};
        double previous = brute_value(f, x, bg, nb, M, in_S);
        for (int k = 0; k < M; k++) {
            in_S[perm[k]] = 1;
            double current = brute_value(f, x, bg, nb, M, in_S);
            phi[perm[k]] += current - previous;
            previous = current;
        }
        count++;
        int i = 1;
        while (i < M && c[i] >= i) {
            c[i] = 0;
            i++;
        }
        if (i >= M)
            break;
        int j = (i % 2) ? c[i] : 0;
        int t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
        c[i]++;
    }
    for (int i = 0; i < M; i++)
        phi[i] /= count;
}

/* A random small MLP (untrained weights are as good a model as any). */
static void random_mlp(mlp *net, int D, int H, uint64_t seed)
{
    nn_rng rng = nn_rng_new(seed);
    mlp_alloc(net, D, H, 0);
    nn_rng_fill_normal(&rng, net->W1, (size_t)H * D, 0, 1);
    nn_rng_fill_normal(&rng, net->b1, (size_t)H, 0, 0.5);
    nn_rng_fill_normal(&rng, net->W2, (size_t)H, 0, 1);
    net->b2[0] = 0.3f;
    for (int j = 0; j < D; j++) {
        net->x_mean[j] = 0.1 * j;
        net->x_std[j] = 1 + 0.2 * j;
    }
    net->t_mean = 5;
    net->t_std = 2;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        nn_tap_bail_out("cannot write %s", path);
    fputs(text, fp);
    fclose(fp);
}

int main(void)
{
    nn_tap_timeout(120);
    /* The chapter's sections print their tables with nn_say: --quiet keeps
     * them out of the TAP stream. */
    char prog[] = "test-ch09-units", quiet[] = "--quiet";
    char *args[] = {prog, quiet, NULL};
    nn_option no_options[] = {NN_OPT_END};
    nn_common common;
    nn_cli_parse(2, args, "test-ch09-units", "chapter 9's unit tests", no_options, &common);

    /* ---- the coalition weights, by hand ---- */
    nn_is_close(shapley_weight(0, 3), 1.0 / 3, 1e-15, 0, "w(|S| = 0, M = 3) = 0! 2! / 3! = 1/3");
    nn_is_close(shapley_weight(1, 3), 1.0 / 6, 1e-15, 0, "w(|S| = 1, M = 3) = 1! 1! / 3! = 1/6");
    nn_is_close(shapley_weight(2, 3), 1.0 / 3, 1e-15, 0, "w(|S| = 2, M = 3) = 2! 0! / 3! = 1/3");
    nn_is_close(shapley_weight(2, 5), 2.0 * 2 / 120, 1e-15, 0, "w(|S| = 2, M = 5) = 2! 2! / 5! = 1/30");
    double worst = 0;
    for (int M = 1; M <= 16; M++) {
        double sum = 0, binom = 1; /* C(M-1, s) */
        for (int s = 0; s < M; s++) {
            sum += binom * shapley_weight(s, M);
            binom = binom * (M - 1 - s) / (s + 1);
        }
        worst = fmax(worst, fabs(sum - 1));
    }
    nn_is_close(worst, 0, 0, 1e-13, "for M = 1..16 the weights of the 2^(M-1) coalitions without i sum to 1");

    /* ---- deck 000's income example ---- */
    const int balanced[2][2][2] = {{{20, 20}, {20, 20}}, {{20, 20}, {20, 20}}};
    nn_is_close(income_conditional_mean(0, income_table, balanced), 50, 1e-12, 0, "Predict_{}(x0) = 50k$ (deck)");
    nn_is_close(income_conditional_mean(1, income_table, balanced), 40, 1e-12, 0, "Predict_{Age}(x0) = 40k$ (deck)");
    double v[8], phi3[3];
    for (unsigned S = 0; S < 8; S++)
        v[S] = income_conditional_mean(S, income_table, balanced);
    shapley_from_values(phi3, v, 3);
    /* By hand: MC_Age = -10 ({Age}), 37 - 47.5 = -10.5 ({Age,Gender}),
     * 33 - 42.5 = -9.5 ({Age,Job}), 30 - 39 = -9 (all three). */
    nn_is_close(phi3[0], -10.0 / 3 - 10.5 / 6 - 9.5 / 6 - 9.0 / 3, 1e-12, 0, "SHAP_Age(x0) worked by hand");
    nn_is_close(phi3[0] + phi3[1] + phi3[2], v[7] - v[0], 1e-12, 0,
                "the income SHAP values sum to Predict_all(x0) - Predict_{}(x0) = 30 - 50");
    nn_rng rng = nn_rng_new(3);
    table_set income;
    make_income_set(&income, income_table, balanced, &rng);
    double cell_sum[8] = {0};
    int cell_n[8] = {0};
    for (int r = 0; r < income.n; r++) {
        int c = (income.x[r * 3] > 40) * 4 + (int)income.x[r * 3 + 1] * 2 + (int)income.x[r * 3 + 2];
        cell_sum[c] += income.t[r];
        cell_n[c]++;
    }
    worst = 0;
    for (int c = 0; c < 8; c++)
        worst = fmax(worst, fabs(cell_sum[c] / cell_n[c] - income_table[c >> 2][(c >> 1) & 1][c & 1]));
    nn_is_close(worst, 0, 0, 1e-4, "the generated incomes have exactly the table's cell means (noise in +-e pairs)");
    set_free(&income);
    double fill_truth[3];
    const int correlated[2][2][2] = {{{30, 10}, {10, 30}}, {{30, 10}, {10, 30}}};
    income_fill_in_truth(fill_truth, income_no_gender_table, correlated);
    for (unsigned S = 0; S < 8; S++)
        v[S] = income_conditional_mean(S, income_no_gender_table, correlated);
    shapley_from_values(phi3, v, 3);
    nn_is_close(fill_truth[1], 0, 0, 1e-12, "filling in: a table without gender gives Gender 0 (dummy)");
    nn_is_close(phi3[1], -2.5, 1e-12, 0, "retraining: Gender gets -2.5 by hand, through its correlation with job");

    /* ---- exact values against brute force over all orders ---- */
    enum { M = 5, NB = 7 };
    mlp net;
    random_mlp(&net, M, 6, 11);
    model_fn f = mlp_model(&net);
    float bg[NB * M], x[M];
    nn_rng_fill_normal(&rng, bg, NB * M, 0, 1.5);
    nn_rng_fill_normal(&rng, x, M, 0, 1.5);
    value_function vf;
    value_init(&vf, &f, bg, NB);
    double phi[MAX_FEATURES], phi_brute[MAX_FEATURES], base;
    shapley_exact(phi, &base, &vf, x);
    brute_shapley(phi_brute, &f, x, bg, NB, M);
    nn_is_close_doubles(phi, phi_brute, M, 1e-5, 1e-6, "exact enumeration = the average over all 5! orders");
    nn_is_int(vf.evaluations, (1 << M) * NB, "exact enumeration costs 2^M |B| model evaluations");
    float fx;
    f.predict(f.ctx, x, 1, &fx);
    double sum = base;
    for (int i = 0; i < M; i++)
        sum += phi[i];
    nn_is_close(sum, fx, 1e-6, 1e-6, "additivity: E f(X) + sum phi = f(x)");
    int none[M] = {0};
    nn_is_close(base, brute_value(&f, x, bg, NB, M, none), 1e-6, 1e-6, "the base value is the background mean of f");

    /* ---- the estimators ---- */
    nn_rng erng = nn_rng_new(5);
    double est[MAX_FEATURES];
    shapley_permutation(est, &vf, x, 4, 0, &erng);
    sum = base;
    for (int i = 0; i < M; i++)
        sum += est[i];
    nn_is_close(sum, fx, 1e-5, 1e-5, "permutation sampling is additive at any budget (4 orders)");
    shapley_permutation(est, &vf, x, 4000, 1, &erng);
    nn_ok(relative_rmse(est, phi, M) < 0.02, "4000 antithetic orders: within 2%% of exact (%.4f)",
          relative_rmse(est, phi, M));
    shapley_permutation(est, &vf, x, 4000, 0, &erng);
    nn_ok(relative_rmse(est, phi, M) < 0.03, "4000 plain orders: within 3%% of exact (%.4f)",
          relative_rmse(est, phi, M));
    nn_ok(shapley_kernel(est, &vf, x, 20000, &erng) == NN_OK && relative_rmse(est, phi, M) < 0.02,
          "KernelSHAP with 20000 coalitions: within 2%% of exact (%.4f)", relative_rmse(est, phi, M));
    sum = base;
    for (int i = 0; i < M; i++)
        sum += est[i];
    nn_is_close(sum, fx, 1e-5, 1e-5, "KernelSHAP is additive (the constraint)");
    double small_err = 0, large_err = 0;
    for (int r = 0; r < 20; r++) {
        shapley_kernel(est, &vf, x, 40, &erng);
        small_err += relative_rmse(est, phi, M) / 20;
        shapley_kernel(est, &vf, x, 2560, &erng);
        large_err += relative_rmse(est, phi, M) / 20;
    }
    nn_ok(large_err < small_err / 4, "KernelSHAP's error falls with the budget: %.4f at 40, %.4f at 2560", small_err,
          large_err);
    value_free(&vf);

    /* ---- the linear closed form ---- */
    linear_model lin = {.d = M, .w = {1.5, -2, 0.5, 0, 3}, .b = 0.7};
    model_fn fl = {predict_linear, &lin, M};
    value_init(&vf, &fl, bg, NB);
    double closed[MAX_FEATURES];
    shapley_exact(phi, &base, &vf, x);
    linear_closed_form(closed, &lin, x, bg, NB);
    nn_is_close_doubles(phi, closed, M, 1e-5, 1e-5, "linear model: phi_i = w_i (x_i - E x_i)");
    nn_is_close(phi[3], 0, 0, 0, "a zero weight gets exactly 0 (dummy)");
    value_free(&vf);

    /* ---- the axioms ---- */
    double violations[5];
    axioms_demo(violations, 9);
    nn_is_close(violations[0], 0, 0, 1e-6, "symmetry: phi_0 = phi_1 for g symmetric in x0, x1");
    nn_is_close(violations[1], 0, 0, 0, "dummy: phi_3 = 0 exactly for g, which never reads x3");
    nn_is_close(violations[2], 0, 0, 1e-5, "linearity: phi(g + h) = phi(g) + phi(h)");
    nn_is_close(violations[3], 0, 0, 1e-5, "linearity: phi(3 g) = 3 phi(g)");
    nn_is_close(violations[4], 0, 0, 1e-5, "efficiency on all four constructed models");

    /* ---- too many features ---- */
    nn_ok(require_enumerable(16, "x") == NN_OK, "16 features may be enumerated");
    int refused = require_enumerable(30, "the set") == NN_ERR;
    nn_ok(refused && strstr(nn_last_error(), "--method kernel") &&
              strstr(nn_last_error(), "--method permutation"),
          "30 features are refused, naming both approximations: %s", nn_last_error());

    /* ---- permutation importance, ICE and PD by definition ---- */
    enum { N = 9 };
    float X[N * M], t[N];
    nn_rng_fill_normal(&rng, X, N * M, 0, 1);
    for (int r = 0; r < N; r++)
        t[r] = (float)(2 * X[r * M] + 0.3 * nn_rng_normal(&rng));
    int perms[2 * N];
    nn_rng_permutation(&rng, perms, N);
    nn_rng_permutation(&rng, perms + N, N);
    double imp[MAX_FEATURES], sd[MAX_FEATURES], raw[MAX_FEATURES * 2];
    permutation_importance(imp, sd, raw, &f, X, t, N, M, 2, perms, NULL);
    double want_raw[2];
    for (int r = 0; r < 2; r++) {
        float Xp[N * M], pred[N], pred_p[N];
        memcpy(Xp, X, sizeof Xp);
        for (int i = 0; i < N; i++)
            Xp[i * M + 3] = X[perms[r * N + i] * M + 3];
        f.predict(f.ctx, X, N, pred);
        f.predict(f.ctx, Xp, N, pred_p);
        double tm = 0, ss = 0, se = 0, sep = 0;
        for (int i = 0; i < N; i++)
            tm += t[i] / N;
        for (int i = 0; i < N; i++) {
            ss += ((double)t[i] - tm) * ((double)t[i] - tm);
            se += ((double)t[i] - pred[i]) * ((double)t[i] - pred[i]);
            sep += ((double)t[i] - pred_p[i]) * ((double)t[i] - pred_p[i]);
        }
        want_raw[r] = (1 - se / ss) - (1 - sep / ss);
    }
    nn_is_close_doubles(raw + 3 * 2, want_raw, 2, 1e-9, 1e-9, "permutation importance of feature 3, both shuffles");
    nn_is_close(sd[3], fabs(want_raw[0] - want_raw[1]) / 2, 1e-9, 1e-12, "its spread is numpy's std (ddof 0)");
    double grid[3] = {-1, 0, 2}, ice[N * 3], pd[3];
    ice_curves(ice, pd, &fl, X, N, M, 1, grid, 3);
    float base_pred[N];
    fl.predict(fl.ctx, X, N, base_pred);
    double mean_pred = 0, mean_x1 = 0;
    for (int r = 0; r < N; r++) {
        mean_pred += base_pred[r] / (double)N;
        mean_x1 += X[r * M + 1] / (double)N;
    }
    double want_pd[3];
    for (int g = 0; g < 3; g++)
        want_pd[g] = mean_pred + lin.w[1] * (grid[g] - mean_x1);
    nn_is_close_doubles(pd, want_pd, 3, 1e-5, 1e-5, "PD of a linear model: mean f + w_j (z - mean x_j)");
    nn_is_close(ice[4 * 3 + 2] - ice[4 * 3 + 0], lin.w[1] * 3, 1e-5, 1e-5, "an ICE curve of a linear model has slope w_j");
    double map[9];
    partial_dependence_2d(map, &fl, X, N, M, 1, 2, grid, 3, grid, 3);
    nn_is_close(map[2 * 3 + 0] - map[0], lin.w[1] * 3, 1e-5, 1e-5, "two-predictor PD moves by w_j along x_j");
    nn_is_close(map[2] - map[0], lin.w[2] * 3, 1e-5, 1e-5, "two-predictor PD moves by w_k along x_k");

    /* ---- percentiles as numpy computes them (linear interpolation) ---- */
    double vals[5] = {3, 1, 4, 1, 5};
    nn_is_close(percentile(vals, 5, 0.5), 3, 1e-15, 0, "median of (3 1 4 1 5) = 3");
    nn_is_close(percentile(vals, 5, 0.1), 1, 1e-15, 0, "10th percentile = 1 (position 0.4 between 1 and 1)");
    nn_is_close(percentile(vals, 5, 0.975), 4.9, 1e-12, 0, "97.5th percentile = 4 + 0.9 (5 - 4) = 4.9");

    /* ---- the tree finds a step ---- */
    enum { TN = 40 };
    float TX[TN * 2];
    double ty[TN];
    int rows[TN];
    for (int r = 0; r < TN; r++) {
        TX[r * 2] = (float)nn_rng_uniform(&rng);
        TX[r * 2 + 1] = (float)r / TN;
        ty[r] = TX[r * 2 + 1] > 0.6f ? 10 : 2;
        rows[r] = r;
    }
    tree tr;
    memset(&tr, 0, sizeof tr);
    tree_grow(&tr, TX, ty, 2, rows, TN, 2);
    nn_ok(tr.nodes[0].feature == 1 && tr.nodes[0].threshold > 0.6f && tr.nodes[0].threshold < 0.63f,
          "the tree's root splits the step feature at 0.6 (feature %d at %g)", tr.nodes[0].feature,
          tr.nodes[0].threshold);
    float probe[2] = {0.5f, 0.9f};
    nn_is_close(tree_predict(&tr, probe), 10, 1e-12, 0, "and predicts the step's upper value above it");

    /* ---- bad CSV files ---- */
    char path[256];
    snprintf(path, sizeof path, "%s/nnlab-ch09-%d.csv", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    table_set s;
    write_file(path, "1,2,3\n4,5\n");
    nn_ok(load_csv_set(&s, path) == NN_ERR && strstr(nn_last_error(), "line 2"), "a ragged CSV is refused: %s",
          nn_last_error());
    write_file(path, "1,2,3\n4,abc,6\n");
    nn_ok(load_csv_set(&s, path) == NN_ERR && strstr(nn_last_error(), "abc"), "a non-numeric field is refused: %s",
          nn_last_error());
    remove(path);

    /* ---- export and import ---- */
    table_set test_rows, back_rows;
    set_alloc(&test_rows, N, M);
    memcpy(test_rows.x, X, sizeof X);
    memcpy(test_rows.t, t, sizeof t);
    nn_ok(export_model(path, &net, &test_rows) == NN_OK, "export writes");
    mlp back;
    memset(&back, 0, sizeof back);
    memset(&back_rows, 0, sizeof back_rows);
    nn_clear_error();
    int imported = import_model(path, &back, &back_rows);
    nn_ok(imported == NN_OK, "import reads it back %s", nn_last_error());
    float p1[N], p2[N];
    mlp_predict(&net, X, N, p1);
    mlp_predict(&back, back_rows.x, N, p2);
    nn_is_close_floats(p2, p1, N, 0, 0, "the imported network predicts the same bits on the same rows");
    remove(path);
    mlp_free(&back);
    set_free(&back_rows);
    set_free(&test_rows);
    mlp_free(&net);
    return nn_tap_done();
}
