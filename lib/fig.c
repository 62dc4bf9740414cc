/* fig.c: writes figure data files and gnuplot scripts. */
#include "nn_fig.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef NNLAB_STYLE_FILE
#define NNLAB_STYLE_FILE "plots/nnlab.gp"
#endif

static const char *out_dir = ".";

void nn_fig_set_out_dir(const char *dir) { out_dir = dir; }
const char *nn_fig_out_dir(void) { return out_dir; }

int nn_mkdirs(const char *path)
{
    char buf[NN_FIG_PATH];
    if (!*path)
        return nn_error("cannot create a directory with an empty name (give --out DIR a directory)");
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return nn_error("path too long: %s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            struct stat st;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return nn_error("cannot create directory %s: %s (choose a writable place with --out DIR)",
                                buf, strerror(errno));
            /* EEXIST also means a regular file of that name is in the way. */
            if (stat(buf, &st) == 0 && !S_ISDIR(st.st_mode))
                return nn_error("cannot create directory %s: a file of that name exists "
                                "(choose another place with --out DIR)", buf);
            *p = saved;
            if (!saved)
                break;
        }
    }
    return NN_OK;
}

/* The style is copied next to the scripts so an output tree renders on its
 * own.  $NNLAB_STYLE overrides where it is read from. */
static int copy_style(void)
{
    const char *from = getenv("NNLAB_STYLE");
    char to[NN_FIG_PATH];
    if (!from || !*from)
        from = NNLAB_STYLE_FILE;
    snprintf(to, sizeof to, "%s/plots/nnlab.gp", out_dir);
    /* Building in the source tree, the copy would be the style itself. */
    char from_real[PATH_MAX], to_real[PATH_MAX];
    if (realpath(from, from_real) && realpath(to, to_real) && strcmp(from_real, to_real) == 0)
        return NN_OK;
    FILE *in = fopen(from, "rb");
    if (!in)
        return nn_error("cannot read the gnuplot style %s: %s (set NNLAB_STYLE to the kit's plots/nnlab.gp)",
                        from, strerror(errno));
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return nn_error("cannot write %s: %s (choose a writable place with --out DIR)", to, strerror(errno));
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    int bad = ferror(in) | ferror(out);
    fclose(in);
    if (fclose(out) != 0 || bad)
        return nn_error("cannot copy the gnuplot style to %s", to);
    return NN_OK;
}

int nn_fig_begin(nn_fig *fig, const char *chapter, const char *name)
{
    return nn_fig_begin_sized(fig, chapter, name, 0, 0);
}

int nn_fig_begin_sized(nn_fig *fig, const char *chapter, const char *name, int width, int height)
{
    memset(fig, 0, sizeof *fig);
    snprintf(fig->chapter, sizeof fig->chapter, "%s", chapter);
    snprintf(fig->name, sizeof fig->name, "%s", name);
    snprintf(fig->dir, sizeof fig->dir, "%s/plots/%s", out_dir, chapter);
    if (nn_mkdirs(fig->dir) != NN_OK || copy_style() != NN_OK)
        return NN_ERR;
    char path[NN_FIG_PATH + 80];
    snprintf(path, sizeof path, "%s/%s.gp", fig->dir, name);
    fig->script = fopen(path, "w");
    if (!fig->script)
        return nn_error("cannot write %s: %s (choose a writable place with --out DIR)", path, strerror(errno));
    fprintf(fig->script,
            "# %s/%s: written by %s; run it from the output directory:\n"
            "#   gnuplot plots/%s/%s.gp                       (PNG)\n"
            "#   gnuplot -e \"nn_format='pdf'\" plots/%s/%s.gp  (pdf, svg, tex)\n",
            chapter, name, nn_program_name(), chapter, name, chapter, name);
    /* A size of its own is set before the style, which reads it to size the terminal. */
    if (width > 0)
        fprintf(fig->script, "nn_width = %d\n", width);
    if (height > 0)
        fprintf(fig->script, "nn_height = %d\n", height);
    /* nn_output (plots/nnlab.gp) sets the output file: plots/CHAPTER/NAME.EXT,
     * or for the includable tex format NAME-slide.tex from inside the
     * chapter's directory. */
    fprintf(fig->script, "load 'plots/nnlab.gp'\nnn_dir = 'plots/%s'; nn_name = '%s'\n@nn_output\n", chapter,
            name);
    return NN_OK;
}

const char *nn_fig_path(const nn_fig *fig, const char *part)
{
    /* A ring of buffers, so that several paths can be arguments of one
     * nn_fig_cmd call: plot '%s' ..., '%s' ... */
    static _Thread_local char ring[8][NN_FIG_PATH];
    static _Thread_local unsigned next;
    char *path = ring[next++ % 8];
    if (part)
        snprintf(path, NN_FIG_PATH, "plots/%s/%s-%s.dat", fig->chapter, fig->name, part);
    else
        snprintf(path, NN_FIG_PATH, "plots/%s/%s.dat", fig->chapter, fig->name);
    return path;
}

FILE *nn_fig_data(nn_fig *fig, const char *part, const char *columns)
{
    NN_ASSERT(fig->n_data < NN_FIG_MAX_DATA);
    char path[2 * NN_FIG_PATH];
    snprintf(path, sizeof path, "%s/%s", out_dir, nn_fig_path(fig, part));
    FILE *f = fopen(path, "w");
    if (!f)
        nn_die(1, "cannot write %s: %s (choose a writable place with --out DIR)", path, strerror(errno));
    fprintf(f, "# %s\n", columns);
    fig->data[fig->n_data++] = f;
    return f;
}

void nn_fig_cmd(nn_fig *fig, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(fig->script, fmt, ap);
    va_end(ap);
    fputc('\n', fig->script);
}

int nn_fig_end(nn_fig *fig)
{
    int bad = 0;
    for (int i = 0; i < fig->n_data; i++)
        bad |= ferror(fig->data[i]) | (fclose(fig->data[i]) != 0);
    fprintf(fig->script, "unset output\n");
    bad |= ferror(fig->script) | (fclose(fig->script) != 0);
    fig->n_data = 0;
    fig->script = NULL;
    if (bad)
        return nn_error("writing figure %s/%s failed (disk full or not writable?)", fig->chapter, fig->name);
    return NN_OK;
}

void nn_fig_write_matrix(FILE *f, const float *m, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++)
            fprintf(f, c ? " %.6g" : "%.6g", m[(size_t)r * cols + c]);
        fputc('\n', f);
    }
}

double nn_fig_abs_max(const float *m, size_t n)
{
    double best = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(m[i]) > best)
            best = fabs(m[i]);
    return best;
}
