/* nn_fig.h: figures as pairs of plain data files and standalone gnuplot scripts.
 *
 * Compute first, plot separately: a chapter writes its numbers and a script
 * that draws them; gnuplot renders later (`make figures`) or by hand.  Under
 * the output directory OUT (--out, default .):
 *
 *     OUT/plots/nnlab.gp                   the shared style (copied from plots/)
 *     OUT/plots/NN-topic/NAME.gp           the script
 *     OUT/plots/NN-topic/NAME[-PART].dat   its data, "# col1 col2 ..." header first
 *     OUT/plots/NN-topic/NAME.png          the picture, once rendered
 *
 * Scripts run from OUT:  cd OUT && gnuplot plots/NN-topic/NAME.gp
 * and choose the format with  gnuplot -e "nn_format='pdf'" ...  (png, pdf,
 * svg, tex).  Everything a script needs that depends on the data (a global
 * colour range, a reference value) is written into it by the C side: gnuplot
 * never shells out.
 *
 *     nn_fig fig;
 *     if (nn_fig_begin(&fig, "01-perceptron", "mistakes") != NN_OK) nn_die_last();
 *     FILE *f = nn_fig_data(&fig, NULL, "epoch mistakes");
 *     for (...) fprintf(f, "%d %d\n", epoch, mistakes);
 *     nn_fig_cmd(&fig, "set xlabel 'epoch'");
 *     nn_fig_cmd(&fig, "plot '%s' using 1:2 with linespoints ls 1 title 'mistakes'",
 *                nn_fig_path(&fig, NULL));
 *     if (nn_fig_end(&fig) != NN_OK) nn_die_last();
 */
#ifndef NN_FIG_H
#define NN_FIG_H

#include <stdio.h>

#include "nn_core.h"

#define NN_FIG_MAX_DATA 16
#define NN_FIG_PATH 512

typedef struct {
    char chapter[64];                 /* "01-perceptron" */
    char name[64];                    /* "mistakes" */
    char dir[NN_FIG_PATH];            /* OUT/plots/01-perceptron */
    FILE *script;
    FILE *data[NN_FIG_MAX_DATA];
    char rel_path[NN_FIG_MAX_DATA][NN_FIG_PATH]; /* paths relative to OUT, for the script */
    int n_data;
    int failed;
} nn_fig;

void nn_fig_set_out_dir(const char *dir);   /* done by nn_cli_parse */
const char *nn_fig_out_dir(void);

/* Creates the directories, copies the style, opens the script and writes its
 * preamble (style, output file). */
int nn_fig_begin(nn_fig *fig, const char *chapter, const char *name);
/* The same, for a figure that needs another canvas size than the style's
 * default 800 x 560 (a row of panels, say); sizes in pixels at PNG scale. */
int nn_fig_begin_sized(nn_fig *fig, const char *chapter, const char *name, int width, int height);
/* Opens data file NAME.dat (part NULL) or NAME-PART.dat, writes the column
 * header "# columns", and returns it for the caller's rows (closed by end). */
FILE *nn_fig_data(nn_fig *fig, const char *part, const char *columns);
/* The path of that data file as the script must name it (relative to OUT).
 * The result stays valid for the next 7 calls, enough for one command. */
const char *nn_fig_path(const nn_fig *fig, const char *part);
/* Appends one line (a gnuplot command) to the script. */
void nn_fig_cmd(nn_fig *fig, const char *fmt, ...) NN_PRINTF(2, 3);
/* Closes everything; NN_ERR with a message if any write failed. */
int nn_fig_end(nn_fig *fig);

/* Helpers for common data layouts. */
/* A (rows, cols) matrix as rows of numbers, for `plot ... matrix with image`. */
void nn_fig_write_matrix(FILE *f, const float *m, int rows, int cols);
/* max |m_i|, for a symmetric colour range centred at zero. */
double nn_fig_abs_max(const float *m, size_t n);

/* mkdir -p; NN_ERR with a message naming the directory on failure. */
int nn_mkdirs(const char *path);

#endif
