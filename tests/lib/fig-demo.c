/* fig-demo.c: writes three small figures with lib/nn_fig.h, one of each kind
 * the chapters draw, for test-fig-render.sh to check and render:
 *
 *   curve     two loss curves from two data files, log-scale y
 *   heatmap   a signed matrix with the diverging palette, cbrange [-m:m]
 *   panels    a wider canvas (nn_fig_begin_sized) with two panels side by side
 *
 * Usage: fig-demo --out DIR   (the figures go to DIR/plots/99-figtest/) */
#include <math.h>

#include "nnlab.h"

#define CHAPTER "99-figtest"

static void curve(void)
{
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "curve") != NN_OK)
        nn_die_last();
    FILE *train = nn_fig_data(&fig, "train", "epoch loss");
    FILE *test = nn_fig_data(&fig, "test", "epoch loss");
    for (int epoch = 1; epoch <= 20; epoch++) {
        fprintf(train, "%d %.6g\n", epoch, 2.0 * exp(-0.3 * epoch));
        fprintf(test, "%d %.6g\n", epoch, 2.0 * exp(-0.25 * epoch) + 0.05);
    }
    nn_fig_cmd(&fig, "set xlabel 'epoch'");
    nn_fig_cmd(&fig, "set ylabel 'loss'");
    nn_fig_cmd(&fig, "set logscale y");
    /* The style's helpers keep 10^n tick labels and underscores valid in
     * every format, LaTeX included. */
    nn_fig_cmd(&fig, "set format y nn_pow10");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with lines ls 1 title nn_text('train_loss'), \\\n"
                     "     '%s' using 1:2 with lines ls 2 title nn_text('test_loss')",
               nn_fig_path(&fig, "train"), nn_fig_path(&fig, "test"));
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

static void heatmap(void)
{
    enum { ROWS = 6, COLS = 8 };
    float m[ROWS * COLS];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++)
            m[r * COLS + c] = (float)((c - 3.5) * (r + 1) / 4.0);
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "heatmap") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "matrix 6 rows x 8 columns");
    nn_fig_write_matrix(f, m, ROWS, COLS);
    double top = nn_fig_abs_max(m, ROWS * COLS);
    nn_fig_cmd(&fig, "@nn_palette_diverging");
    nn_fig_cmd(&fig, "set cbrange [-%.6g:%.6g]", top, top);
    nn_fig_cmd(&fig, "set autoscale fix");
    nn_fig_cmd(&fig, "set yrange [] reverse");
    nn_fig_cmd(&fig, "set size ratio -1");
    /* a label with bars, which LaTeX's default encoding would turn into dashes */
    nn_fig_cmd(&fig, "set cblabel '|m| (at most max |m|)'");
    nn_fig_cmd(&fig, "plot '%s' matrix with image notitle", nn_fig_path(&fig, NULL));
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

static void panels(void)
{
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, "panels", 1200, 400) != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "z sigmoid tanh");
    for (int i = -40; i <= 40; i++) {
        double z = i / 10.0;
        fprintf(f, "%.3g %.6g %.6g\n", z, nn_sigmoid(z), tanh(z));
    }
    nn_fig_cmd(&fig, "set multiplot layout 1,2");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with lines ls 1 title 'sigmoid'", nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "plot '%s' using 1:3 with lines ls 2 title 'tanh'", nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

int main(int argc, char **argv)
{
    nn_common common;
    nn_cli_parse(argc, argv, "fig-demo", "writes three test figures", NULL, &common);
    curve();
    heatmap();
    panels();
    nn_say("wrote 3 figures under %s/plots/%s\n", common.out_dir, CHAPTER);
    return 0;
}
