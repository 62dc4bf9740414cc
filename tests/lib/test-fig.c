/* test-fig.c: the C side of the figure writer (lib/nn_fig.h): directories,
 * errors as values naming the directory, data paths and the data helpers.
 * Rendering with gnuplot is checked by test-fig-render.sh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nnlab.h"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

int main(void)
{
    nn_tap_timeout(10);
    /* A scratch directory in the build tree (the working directory of make check). */
    char work[] = "test-fig-c.XXXXXX";
    if (!mkdtemp(work))
        nn_tap_bail_out("cannot create a scratch directory in the working directory");
    char path[512], text[4096];

    nn_is_str(nn_fig_out_dir(), ".", "the output directory defaults to .");

    /* ---- nn_mkdirs ------------------------------------------------------ */
    snprintf(path, sizeof path, "%s/a/b/c", work);
    nn_is_int(nn_mkdirs(path), NN_OK, "nn_mkdirs creates nested directories");
    nn_ok(is_dir(path), "  ... and they exist");
    nn_is_int(nn_mkdirs(path), NN_OK, "nn_mkdirs on an existing directory is NN_OK");
    snprintf(path, sizeof path, "%s/a/b/c/", work);
    nn_is_int(nn_mkdirs(path), NN_OK, "a trailing slash is fine");
    nn_is_int(nn_mkdirs(""), NN_ERR, "an empty path is NN_ERR (it would mean the root)");
    nn_is_int(nn_mkdirs("/proc/nnlab-test/x"), NN_ERR, "a directory under /proc is NN_ERR");
    nn_contains(nn_last_error(), "/proc/nnlab-test", "  the message names the directory");
    snprintf(path, sizeof path, "%s/plain", work);
    FILE *plain = fopen(path, "w");
    if (plain)
        fclose(plain);
    snprintf(text, sizeof text, "%s/plain/sub", work);
    nn_is_int(nn_mkdirs(text), NN_ERR, "a directory under a regular file is NN_ERR");
    nn_contains(nn_last_error(), path, "  the message names the file in the way");
    nn_contains(nn_last_error(), "--out DIR", "  and says how to choose another place");

    /* ---- nn_fig_begin into an unwritable output directory ---------------- */
    nn_fig fig;
    nn_fig_set_out_dir(path); /* the regular file */
    nn_is_int(nn_fig_begin(&fig, "99-figtest", "x"), NN_ERR, "nn_fig_begin with --out a regular file is NN_ERR");
    nn_contains(nn_last_error(), path, "  the message names the directory");
    nn_fig_set_out_dir("/proc/nnlab-out");
    nn_is_int(nn_fig_begin(&fig, "99-figtest", "x"), NN_ERR, "nn_fig_begin with --out under /proc is NN_ERR");
    nn_contains(nn_last_error(), "/proc/nnlab-out", "  the message names the directory");

    /* ---- A figure, end to end -------------------------------------------- */
    nn_fig_set_out_dir(work);
    nn_is_int(nn_fig_begin(&fig, "99-figtest", "weights"), NN_OK, "nn_fig_begin into a scratch directory");
    const float m[6] = {1.5f, -2.25f, 0.0f, 3.0f, -4.5f, 0.125f};
    FILE *f = nn_fig_data(&fig, NULL, "matrix 2 rows x 3 columns");
    nn_fig_write_matrix(f, m, 2, 3);
    FILE *g = nn_fig_data(&fig, "bias", "o b");
    fprintf(g, "0 1\n");
    const char *p1 = nn_fig_path(&fig, NULL), *p2 = nn_fig_path(&fig, "bias");
    nn_is_str(p1, "plots/99-figtest/weights.dat", "nn_fig_path of the main data file, relative to OUT");
    nn_is_str(p2, "plots/99-figtest/weights-bias.dat", "nn_fig_path of a part");
    nn_fig_cmd(&fig, "plot '%s' matrix with image, '%s' using 1:2", p1, p2);
    nn_is_close(nn_fig_abs_max(m, 6), 4.5, 0, 0, "nn_fig_abs_max is max |m| = 4.5 (a negative entry)");
    nn_is_int(nn_fig_end(&fig), NN_OK, "nn_fig_end closes everything with NN_OK");

    snprintf(path, sizeof path, "%s/plots/99-figtest/weights.dat", work);
    slurp(path, text, sizeof text);
    nn_is_str(text, "# matrix 2 rows x 3 columns\n1.5 -2.25 0\n3 -4.5 0.125\n",
              "the data file: header, then one matrix row per line");
    snprintf(path, sizeof path, "%s/plots/99-figtest/weights.gp", work);
    slurp(path, text, sizeof text);
    nn_contains(text, "plot 'plots/99-figtest/weights.dat' matrix with image, "
                      "'plots/99-figtest/weights-bias.dat' using 1:2\n",
                "one command names two data files (paths stay valid together)");
    nn_contains(text, "load 'plots/nnlab.gp'\nnn_dir = 'plots/99-figtest'; nn_name = 'weights'\n@nn_output\n",
                "the script loads the style, then names its output");
    snprintf(path, sizeof path, "%s/plots/nnlab.gp", work);
    nn_ok(access(path, R_OK) == 0, "the style is copied into OUT/plots/");

    nn_fig_set_out_dir(".");
    snprintf(text, sizeof text, "rm -rf '%s'", work);
    nn_ok(system(text) == 0, "scratch directory removed");
    return nn_tap_done();
}
