/* data.c: the data sets of the kit.
 *
 * Two kinds of data feed the chapters.  Real data is read from files: small
 * tables (CSV) shipped in data/, and Fashion-MNIST in the IDX format of LeCun's
 * MNIST, installed by Debian's dataset-fashion-mnist.  Synthetic data is drawn
 * from the kit's seeded generator: logic-gate truth tables, the four
 * classification sets of the TensorFlow Playground, a regression set whose
 * true weights are known, and small toy images.
 *
 * Every reader treats its input as untrusted.  A file can be missing, empty,
 * cut short by a failed download, or not the file it claims to be; each of
 * those is a message (via nn_error) of the form
 *
 *     PATH: WHERE: WHAT IS WRONG (WHAT THAT MEANS: HOW TO FIX IT)
 *
 * and a return of NN_ERR, never a crash.  Files are read through zlib's
 * gzopen/gzread, which read gzip'd and plain files alike (zlib looks at the
 * first bytes, not at the name), never further than the real data sets'
 * sizes allow (a small gzip file can inflate to gigabytes), then parsed from
 * memory.
 *
 * Letters used below: n examples, d features per example, K classes. */
#include "nn_data.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nn_cli.h"
#include "nn_core.h"

/* What to tell the reader when a file is missing or broken.  The shipped
 * tables, Fashion-MNIST and a caller's own CSV each have their own remedy. */
typedef struct {
    const char *missing;  /* how to get the file */
    const char *broken;   /* how to replace a malformed one */
} remedy;

static const remedy own_file = {
    "check the path and the file name",
    "fix the file or regenerate it",
};
static const remedy shipped_table = {
    "the kit ships it in data/: restore it from the kit or from python3-sklearn "
    "(/usr/lib/python3/dist-packages/sklearn/datasets/data/), "
    "or set NNLAB_DATA_DIR to a directory that holds it",
    "restore it from the kit or from python3-sklearn",
};
static const remedy fashion_files = {
    "Fashion-MNIST is not installed: `apt-get install dataset-fashion-mnist`, "
    "or pass --data DIR / set NNLAB_DATA to a directory holding its four *-ubyte.gz files",
    "download it again, or `apt-get install --reinstall dataset-fashion-mnist`",
};

/* Caps on what a reader accepts, from the sizes of the real data sets.  A
 * gzip'd file can inflate a thousandfold (a "gzip bomb": 2 MB that inflates
 * to 2 GB), so the caps bound the decompressed bytes, and a reader stops as
 * soon as it passes them instead of reading the whole stream first.
 *   - An IDX file holds exactly what its header promises; the largest the
 *     kit reads, Fashion-MNIST's (and MNIST's) training images, promises
 *     60000 x 28 x 28 = 47040000 bytes.  A header promising more is refused
 *     before anything is read, and reading stops one byte past the promise.
 *   - A table: the largest shipped one (breast_cancer.csv) inflates to under
 *     130 kB; 64 MiB leaves room for a reader's own tables. */
#define MAX_IDX_DATA_BYTES ((size_t)60000 * 28 * 28)
#define MAX_TABLE_BYTES ((size_t)64 << 20)

/* ---- Reading a file ------------------------------------------------------- */

static const char *status_text(const char *text) { return text ? text : "unknown error"; }

/* Opens path through zlib (gzip'd or plain, told apart by content).  A path
 * that names a directory is refused here: it would otherwise open, fail at
 * the first read, and be reported as a missing file. */
static int open_data_file(const char *path, const remedy *fix, gzFile *out)
{
    struct stat st;
    *out = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return nn_error("%s: is a directory, but a data file should be here (move the directory "
                        "away and put the file in its place: %s)", path, fix->broken);
    errno = 0;
    *out = gzopen(path, "rb");
    if (!*out)
        return nn_error("%s: cannot open it: %s (%s)", path,
                        errno ? strerror(errno) : "out of memory", fix->missing);
    return NN_OK;
}

/* Reads up to want bytes into buf; *got says how many came (fewer at the end
 * of the data).  A damaged or truncated gzip stream or an I/O error is an
 * error, with *got bytes read before it. */
static int read_bytes(gzFile file, const char *path, const remedy *fix, unsigned char *buf,
                      size_t want, size_t *got)
{
    *got = 0;
    while (*got < want) {
        size_t chunk = want - *got < (1u << 30) ? want - *got : (1u << 30);
        int n = gzread(file, buf + *got, (unsigned)chunk);
        if (n <= 0)
            break;
        *got += (size_t)n;
    }
    /* gzread stops at the end of the data or at an error; only gzerror tells
     * which.  A gzip stream cut short reports Z_BUF_ERROR ("unexpected end of
     * file"); an I/O error reports Z_ERRNO. */
    int status, saved_errno = errno;
    char why[128];
    snprintf(why, sizeof why, "%s", status_text(gzerror(file, &status)));
    if (status == Z_ERRNO)
        snprintf(why, sizeof why, "%s", strerror(saved_errno));
    if (status == Z_OK || status == Z_STREAM_END)
        return NN_OK;
    if (status == Z_BUF_ERROR)
        return nn_error("%s: the gzip data ends early after %zu bytes (the file is truncated: %s)",
                        path, *got, fix->broken);
    if (status == Z_DATA_ERROR)
        return nn_error("%s: the gzip data is corrupt: %s (the file is damaged: %s)", path, why,
                        fix->broken);
    return nn_error("%s: cannot read it: %s (%s)", path, why, fix->missing);
}

/* Reads the (decompressed) contents of path, at most max_len bytes, into a
 * new buffer with a terminating '\0' after the len bytes.  More than max_len
 * bytes, an empty file, a truncated gzip stream, a directory or an
 * unreadable file are errors. */
static int read_whole_file(const char *path, const remedy *fix, size_t max_len,
                           unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    gzFile file;
    if (open_data_file(path, fix, &file) != NN_OK)
        return NN_ERR;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = nn_malloc(cap);
    int status = NN_OK;
    for (;;) {
        size_t got;
        status = read_bytes(file, path, fix, buf + len, cap - 1 - len, &got);
        len += got;
        if (status != NN_OK || len < cap - 1)
            break;
        if (len > max_len) {
            status = nn_error("%s: holds more than %zu bytes once decompressed, more than any "
                              "table the kit reads (a gzip bomb, or not a data file: check the path)",
                              path, max_len);
            break;
        }
        size_t grown_cap = 2 * cap > max_len + 2 ? max_len + 2 : 2 * cap;
        unsigned char *grown = realloc(buf, grown_cap);
        if (!grown) {
            status = nn_error("%s: out of memory reading it (%zu bytes)", path, grown_cap);
            break;
        }
        buf = grown;
        cap = grown_cap;
    }
    gzclose(file);
    if (status == NN_OK && len == 0)
        status = nn_error("%s: the file is empty (it holds no data: %s)", path, fix->broken);
    if (status != NN_OK) {
        free(buf);
        return NN_ERR;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return NN_OK;
}

/* dir "/" file into out; a path too long for the buffer is an error. */
static int join_path(char *out, size_t cap, const char *dir, const char *file)
{
    int used = snprintf(out, cap, "%s/%s", dir, file);
    if (used < 0 || (size_t)used >= cap)
        return nn_error("%s/%s: the path is longer than %zu characters (use a shorter directory)",
                        dir, file, cap - 1);
    return NN_OK;
}

/* ---- CSV -------------------------------------------------------------------
 * A line is split on ',' if it has one, else on runs of blanks (the diabetes
 * files are blank-separated).  Everything after '#' is a comment; blank lines
 * are ignored.  Every field must be a finite number that fits a float. */

typedef struct {
    const char *path;
    const remedy *fix;
    char *header;         /* the first skipped line (NULL if none), owned */
    long *row_lines;      /* (rows) the file line of each row, owned */
} csv_source;

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* Parses one field [begin, end) into *value. */
static int parse_field(const csv_source *src, long line, int column, const char *begin,
                       const char *end, float *value)
{
    while (begin < end && is_blank(*begin))
        begin++;
    while (end > begin && is_blank(end[-1]))
        end--;
    int width = (int)(end - begin);
    if (width == 0)
        return nn_error("%s: line %ld, column %d: the field is empty (the file is malformed: %s)",
                        src->path, line, column, src->fix->broken);
    char field[64];
    if (width < (int)sizeof field) {
        memcpy(field, begin, (size_t)width);
        field[width] = '\0';
    }
    char *stop = field;
    errno = 0;
    double v = width < (int)sizeof field ? strtod(field, &stop) : 0;
    if (width >= (int)sizeof field || stop != field + width) {
        /* Quote at most 40 characters, with bytes that would garble a
         * terminal or not show at all (binary data, a byte-order mark, a
         * non-breaking space) written as \xNN, so the reader sees them. */
        char shown[4 * 40 + 4];
        size_t used = 0;
        for (int k = 0; k < width && k < 40; k++) {
            unsigned char c = (unsigned char)begin[k];
            used += (size_t)snprintf(shown + used, sizeof shown - used,
                                     c >= 0x20 && c < 0x7f ? "%c" : "\\x%02X", c);
        }
        snprintf(shown + used, sizeof shown - used, "%s", width > 40 ? "..." : "");
        return nn_error("%s: line %ld, column %d: '%s' is not a number (the file is malformed: %s)",
                        src->path, line, column, shown, src->fix->broken);
    }
    if (!isfinite(v) || fabs(v) > FLT_MAX)
        return nn_error("%s: line %ld, column %d: '%s' is not a finite number that fits a float "
                        "(the file is malformed: %s)", src->path, line, column, field,
                        src->fix->broken);
    *value = (float)v;
    return NN_OK;
}

/* Appends the fields of one line to the table (growing it); sets *width. */
static int parse_line(const csv_source *src, long line, char *text, nn_table *table,
                      size_t *cap, int *width)
{
    int comma = strchr(text, ',') != NULL;
    int column = 0;
    char *p = text;
    for (;;) {
        char *begin, *end;
        if (comma) {
            begin = p;
            end = strchr(p, ',');
            if (!end)
                end = p + strlen(p);
        } else {
            while (*p && is_blank(*p))
                p++;
            if (!*p)
                break;
            begin = p;
            end = p;
            while (*end && !is_blank(*end))
                end++;
        }
        size_t at = (size_t)table->rows * (size_t)(table->cols > 0 ? table->cols : 0) + (size_t)column;
        if (at >= *cap) {
            size_t grown_cap = *cap ? 2 * *cap : 1024;
            float *grown = realloc(table->values, grown_cap * sizeof *grown);
            if (!grown)
                return nn_error("%s: out of memory at line %ld (%zu numbers)", src->path, line, grown_cap);
            table->values = grown;
            *cap = grown_cap;
        }
        if (parse_field(src, line, column + 1, begin, end, &table->values[at]) != NN_OK)
            return NN_ERR;
        column++;
        if (table->cols > 0 && column > table->cols)
            break;   /* already ragged: the caller reports it */
        if (comma) {
            if (!*end)
                break;
            p = end + 1;
        } else {
            p = end;
        }
    }
    *width = column;
    return NN_OK;
}

/* The reader behind nn_csv_read and the loaders of the shipped sets. */
static int csv_parse(csv_source *src, int skip_lines, nn_table *table)
{
    memset(table, 0, sizeof *table);
    src->header = NULL;
    src->row_lines = NULL;
    unsigned char *bytes;
    size_t len;
    if (read_whole_file(src->path, src->fix, MAX_TABLE_BYTES, &bytes, &len) != NN_OK)
        return NN_ERR;
    /* A UTF-8 byte-order mark (EF BB BF), which some spreadsheets write
     * before the first cell, is not part of the first number: skip it. */
    char *text = (char *)bytes;
    if (len >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) {
        text += 3;
        len -= 3;
    }

    size_t cap = 0, lines_cap = 0;
    long line = 0;
    int first_line_of_data = 0;
    char *p = text, *end_of_text = text + len;
    int status = NN_OK;
    while (p < end_of_text) {
        char *eol = memchr(p, '\n', (size_t)(end_of_text - p));
        if (!eol)
            eol = end_of_text;
        *eol = '\0';
        line++;
        if (strlen(p) != (size_t)(eol - p)) {
            status = nn_error("%s: line %ld holds a NUL byte: this is binary data, not a table "
                              "(wrong file? %s)", src->path, line, src->fix->broken);
            break;
        }
        if (line <= skip_lines) {
            if (line == 1)
                src->header = strcpy(nn_malloc(strlen(p) + 1), p);
            p = eol + 1;
            continue;
        }
        char *hash = strchr(p, '#');
        if (hash)
            *hash = '\0';
        char *q = p;
        while (*q && is_blank(*q))
            q++;
        if (*q) {
            if (table->rows == INT_MAX) {
                status = nn_error("%s: more than %d rows (too large for the kit)", src->path, INT_MAX);
                break;
            }
            int width = 0;
            if (parse_line(src, line, p, table, &cap, &width) != NN_OK) {
                status = NN_ERR;
                break;
            }
            if (table->rows == 0) {
                table->cols = width;
                first_line_of_data = (int)line;
            } else if (width != table->cols) {
                status = nn_error("%s: line %ld has %d%s column%s but line %d has %d (a ragged row: "
                                  "the file is truncated or malformed: %s)", src->path, line, width,
                                  width > table->cols ? " or more" : "", width == 1 ? "" : "s",
                                  first_line_of_data, table->cols, src->fix->broken);
                break;
            }
            if ((size_t)table->rows >= lines_cap) {
                lines_cap = lines_cap ? 2 * lines_cap : 256;
                long *grown = realloc(src->row_lines, lines_cap * sizeof *grown);
                if (!grown) {
                    status = nn_error("%s: out of memory at line %ld", src->path, line);
                    break;
                }
                src->row_lines = grown;
            }
            src->row_lines[table->rows] = line;
            table->rows++;
        }
        p = eol + 1;
    }
    free(bytes);
    if (status == NN_OK && table->rows == 0)
        status = nn_error("%s: no rows of numbers in %ld line%s (the file is empty or holds only "
                          "headers and comments: %s)", src->path, line, line == 1 ? "" : "s",
                          src->fix->broken);
    if (status != NN_OK) {
        nn_table_free(table);
        free(src->header);
        free(src->row_lines);
        src->header = NULL;
        src->row_lines = NULL;
    }
    return status;
}

int nn_csv_read(const char *path, int skip_lines, nn_table *table)
{
    csv_source src = {path, &own_file, NULL, NULL};
    if (csv_parse(&src, skip_lines, table) != NN_OK)
        return NN_ERR;
    free(src.header);
    free(src.row_lines);
    return NN_OK;
}

void nn_table_free(nn_table *table)
{
    free(table->values);
    memset(table, 0, sizeof *table);
}

/* ---- Data sets -------------------------------------------------------------- */

static void copy_name(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

/* A fresh data set of n examples of d features (zeroed), with labels for a
 * classification set of K classes or targets for a regression set (K = 0). */
static void dataset_new(nn_dataset *ds, const char *name, int n, int d, int n_classes)
{
    memset(ds, 0, sizeof *ds);
    copy_name(ds->name, sizeof ds->name, name);
    ds->n = n;
    ds->d = d;
    ds->x = nn_floats((size_t)n * (size_t)d);
    ds->n_classes = n_classes;
    if (n_classes > 0)
        ds->y = nn_calloc((size_t)n, sizeof *ds->y);
    else
        ds->t = nn_floats((size_t)n);
}

void nn_dataset_free(nn_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->y);
    free(ds->t);
    memset(ds, 0, sizeof *ds);
}

/* A label must be a whole number in 0..K-1. */
static int check_label(const csv_source *src, int row, float value, int n_classes, int *label)
{
    if (value != floorf(value) || value < 0 || value >= (float)n_classes)
        return nn_error("%s: line %ld: label %g is out of range: the classes are 0..%d "
                        "(the file is malformed: %s)", src->path, src->row_lines[row],
                        (double)value, n_classes - 1, src->fix->broken);
    *label = (int)value;
    return NN_OK;
}

const char *nn_data_dir(void)
{
    const char *env = getenv("NNLAB_DATA_DIR");
    if (env && *env)
        return env;
#ifdef NNLAB_SRCDIR
    return NNLAB_SRCDIR "/data";
#else
    return "data";
#endif
}

/* "150" -> 150; anything but a positive whole number is an error. */
static int header_count(const csv_source *src, const char *field, const char *what, int *count)
{
    char *stop;
    errno = 0;
    long v = strtol(field, &stop, 10);
    while (*stop && is_blank(*stop))
        stop++;
    if (stop == field || *stop || errno || v <= 0 || v > INT_MAX)
        return nn_error("%s: line 1: the header's %s '%s' is not a positive whole number (the "
                        "header should read \"n_samples,n_features,class names...\": %s)",
                        src->path, what, field, src->fix->broken);
    *count = (int)v;
    return NN_OK;
}

/* The header "n_samples,n_features,name0,name1,..." of sklearn's tables. */
static int parse_sklearn_header(const csv_source *src, nn_dataset *ds, int *n_samples, int *n_features)
{
    char fields[2 + 16][64];
    int n_fields = 0;
    const char *p = src->header ? src->header : "";
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t width = comma ? (size_t)(comma - p) : strlen(p);
        while (width > 0 && is_blank(*p)) {
            p++;
            width--;
        }
        while (width > 0 && is_blank(p[width - 1]))
            width--;
        if (n_fields == 2 + 16)
            return nn_error("%s: line 1: the header names more than 16 classes (the kit keeps at "
                            "most 16: is this the right file? %s)", src->path, src->fix->broken);
        snprintf(fields[n_fields], sizeof fields[n_fields], "%.*s", (int)width, p);
        n_fields++;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (n_fields < 3)
        return nn_error("%s: line 1: the header '%.60s' has %d field%s, but \"n_samples,n_features,"
                        "class names...\" needs at least 3 (the file is malformed: %s)", src->path,
                        src->header ? src->header : "", n_fields, n_fields == 1 ? "" : "s",
                        src->fix->broken);
    if (header_count(src, fields[0], "n_samples", n_samples) != NN_OK ||
        header_count(src, fields[1], "n_features", n_features) != NN_OK)
        return NN_ERR;
    ds->n_classes = n_fields - 2;
    for (int k = 0; k < ds->n_classes; k++)
        copy_name(ds->class_names[k], sizeof ds->class_names[k], fields[2 + k]);
    return NN_OK;
}

/* The sklearn layout: a header line, then n_samples rows of n_features
 * numbers and a label.  The header is checked against the rows: a file cut
 * short after a whole line, or a header that lies about the size, would
 * otherwise load as a smaller (or differently shaped) data set. */
static int load_sklearn(nn_dataset *ds, const char *path, const char *name, const remedy *fix)
{
    memset(ds, 0, sizeof *ds);
    csv_source src = {path, fix, NULL, NULL};
    nn_table table;
    if (csv_parse(&src, 1, &table) != NN_OK)
        return NN_ERR;
    nn_dataset header = {0};
    int n_samples = 0, n_features = 0, status = parse_sklearn_header(&src, &header, &n_samples, &n_features);
    if (status == NN_OK && table.cols != n_features + 1)
        status = nn_error("%s: the header says %d features (so %d columns with the label) but the "
                          "rows have %d columns (a header that does not match the data: the file is "
                          "malformed: %s)", path, n_features, n_features + 1, table.cols, fix->broken);
    if (status == NN_OK && table.rows != n_samples)
        status = nn_error("%s: the header says %d examples but the file holds %d rows (the file is "
                          "truncated or its header lies about the size: %s)", path, n_samples,
                          table.rows, fix->broken);
    if (status == NN_OK) {
        dataset_new(ds, name, n_samples, n_features, header.n_classes);
        memcpy(ds->class_names, header.class_names, sizeof ds->class_names);
        for (int i = 0; i < n_samples && status == NN_OK; i++) {
            const float *row = table.values + (size_t)i * (size_t)table.cols;
            memcpy(ds->x + (size_t)i * (size_t)n_features, row, (size_t)n_features * sizeof *row);
            status = check_label(&src, i, row[n_features], ds->n_classes, &ds->y[i]);
        }
        if (status != NN_OK)
            nn_dataset_free(ds);
    }
    nn_table_free(&table);
    free(src.header);
    free(src.row_lines);
    return status;
}

int nn_load_sklearn_csv(nn_dataset *ds, const char *path, const char *name)
{
    return load_sklearn(ds, path, name, &shipped_table);
}

static int load_shipped_sklearn(nn_dataset *ds, const char *dir, const char *file, const char *name)
{
    char path[4096];
    memset(ds, 0, sizeof *ds);
    if (join_path(path, sizeof path, dir ? dir : nn_data_dir(), file) != NN_OK)
        return NN_ERR;
    return load_sklearn(ds, path, name, &shipped_table);
}

int nn_load_iris(nn_dataset *ds, const char *dir)
{
    return load_shipped_sklearn(ds, dir, "iris.csv", "iris");
}

int nn_load_breast_cancer(nn_dataset *ds, const char *dir)
{
    return load_shipped_sklearn(ds, dir, "breast_cancer.csv", "breast_cancer");
}

/* Reads a headerless shipped table and checks its size against the known set. */
static int read_shipped_table(const char *dir, const char *file, int rows, int cols,
                              nn_table *table, csv_source *src, char *path, size_t path_cap)
{
    memset(table, 0, sizeof *table);
    if (join_path(path, path_cap, dir ? dir : nn_data_dir(), file) != NN_OK)
        return NN_ERR;
    src->path = path;
    src->fix = &shipped_table;
    if (csv_parse(src, 0, table) != NN_OK)
        return NN_ERR;
    int status = NN_OK;
    if (table->cols != cols)
        status = nn_error("%s: the rows have %d columns but this set has %d (the file is "
                          "malformed: %s)", path, table->cols, cols, shipped_table.broken);
    else if (table->rows != rows)
        status = nn_error("%s: the file holds %d rows but this set has %d (the file is truncated "
                          "or malformed: %s)", path, table->rows, rows, shipped_table.broken);
    if (status != NN_OK) {
        nn_table_free(table);
        free(src->header);
        free(src->row_lines);
    }
    return status;
}

/* UCI's optical digits (the test part, as sklearn ships it): 1797 images of
 * 8x8 pixels, each pixel the count (0..16) of ink pixels in a 4x4 block of
 * the original 32x32 bitmap; then the digit. */
int nn_load_digits(nn_dataset *ds, const char *dir)
{
    enum { N = 1797, SIDE = 8, D = SIDE * SIDE };
    memset(ds, 0, sizeof *ds);
    char path[4096];
    csv_source src = {0};
    nn_table table;
    if (read_shipped_table(dir, "digits.csv.gz", N, D + 1, &table, &src, path, sizeof path) != NN_OK)
        return NN_ERR;
    dataset_new(ds, "digits", N, D, 10);
    ds->channels = 1;
    ds->height = ds->width = SIDE;
    for (int k = 0; k < 10; k++)
        snprintf(ds->class_names[k], sizeof ds->class_names[k], "%d", k);
    int status = NN_OK;
    for (int i = 0; i < N && status == NN_OK; i++) {
        const float *row = table.values + (size_t)i * (D + 1);
        for (int j = 0; j < D && status == NN_OK; j++) {
            if (row[j] != floorf(row[j]) || row[j] < 0 || row[j] > 16)
                status = nn_error("%s: line %ld, column %d: pixel value %g is outside 0..16 (the "
                                  "file is malformed: %s)", path, src.row_lines[i], j + 1,
                                  (double)row[j], shipped_table.broken);
            ds->x[(size_t)i * D + (size_t)j] = row[j];
        }
        if (status == NN_OK)
            status = check_label(&src, i, row[D], 10, &ds->y[i]);
    }
    if (status != NN_OK)
        nn_dataset_free(ds);
    nn_table_free(&table);
    free(src.row_lines);
    return status;
}

/* Efron, Hastie, Johnstone and Tibshirani's diabetes data: 442 patients, ten
 * baseline measurements (age, sex, bmi, bp, s1..s6) in their raw units, and
 * the disease progression one year later as the regression target. */
int nn_load_diabetes(nn_dataset *ds, const char *dir)
{
    enum { N = 442, D = 10 };
    memset(ds, 0, sizeof *ds);
    char data_path[4096], target_path[4096];
    csv_source data_src = {0}, target_src = {0};
    nn_table data, target;
    if (read_shipped_table(dir, "diabetes_data_raw.csv.gz", N, D, &data, &data_src, data_path,
                           sizeof data_path) != NN_OK)
        return NN_ERR;
    if (read_shipped_table(dir, "diabetes_target.csv.gz", N, 1, &target, &target_src, target_path,
                           sizeof target_path) != NN_OK) {
        nn_table_free(&data);
        free(data_src.row_lines);
        return NN_ERR;
    }
    dataset_new(ds, "diabetes", N, D, 0);
    nn_copy(ds->x, data.values, (size_t)N * D);
    nn_copy(ds->t, target.values, N);
    nn_table_free(&data);
    nn_table_free(&target);
    free(data_src.row_lines);
    free(target_src.row_lines);
    return NN_OK;
}

/* ---- IDX ---------------------------------------------------------------------
 * The format of LeCun's MNIST files, which Fashion-MNIST copies:
 *
 *     bytes 0-1   0x00 0x00
 *     byte  2     element type: 0x08 = unsigned byte (the only one used here)
 *     byte  3     number of dimensions, 1 (labels) or 3 (images)
 *     then        one 32-bit big-endian size per dimension
 *     then        the elements, the last dimension varying fastest.
 *
 * So labels start 0x00000801 and images 0x00000803.  The sizes must account
 * for every byte that follows: fewer bytes is a truncated file, more is a
 * header that does not describe its data. */

static uint32_t big_endian_u32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* "60000 x 28 x 28" into buf. */
static const char *idx_shape(const nn_idx *idx, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int k = 0; k < idx->ndim; k++)
        snprintf(buf + strlen(buf), cap - strlen(buf), k ? " x %d" : "%d", idx->dims[k]);
    return buf;
}

/* The header is read first and the data after it: the header says how many
 * bytes to expect, so a file is never read further than one byte past that
 * promise (which is how a header that does not describe its data, or a gzip
 * bomb behind a small header, is caught), and a promise larger than the
 * largest real data set is refused before any data is read. */
static int idx_parse(const char *path, const remedy *fix, nn_idx *idx)
{
    memset(idx, 0, sizeof *idx);
    gzFile file;
    if (open_data_file(path, fix, &file) != NN_OK)
        return NN_ERR;
    unsigned char header[4 + 4 * 4];
    size_t got = 0, header_len = 4;
    int status = read_bytes(file, path, fix, header, 4, &got);
    if (status == NN_OK && got == 0)
        status = nn_error("%s: the file is empty (it holds no data: %s)", path, fix->broken);
    else if (status == NN_OK && got < 4)
        status = nn_error("%s: only %zu bytes, too short for the 4-byte IDX magic (the file is "
                          "truncated: %s)", path, got, fix->broken);
    else if (status == NN_OK && (header[0] != 0 || header[1] != 0 || header[2] != 0x08))
        status = nn_error("%s: wrong magic 0x%08x: an IDX file of bytes starts 0x000008NN "
                          "(0x00000801 labels, 0x00000803 images) (not an IDX file, or damaged: %s)",
                          path, (unsigned)big_endian_u32(header), fix->broken);
    else if (status == NN_OK && (header[3] < 1 || header[3] > 4))
        status = nn_error("%s: the magic 0x%08x gives %d dimensions, but IDX files here have 1 to 4 "
                          "(the file is damaged: %s)", path, (unsigned)big_endian_u32(header),
                          header[3], fix->broken);
    if (status == NN_OK) {
        idx->ndim = header[3];
        header_len = 4 + 4 * (size_t)idx->ndim;
        status = read_bytes(file, path, fix, header + 4, header_len - 4, &got);
        if (status == NN_OK && got < header_len - 4)
            status = nn_error("%s: only %zu bytes, too short for the %d sizes of its header (the "
                              "file is truncated: %s)", path, 4 + got, idx->ndim, fix->broken);
    }
    idx->count = 1;
    for (int k = 0; k < idx->ndim && status == NN_OK; k++) {
        uint32_t size = big_endian_u32(header + 4 + 4 * k);
        if (size == 0 || size > INT_MAX)
            status = nn_error("%s: dimension %d has the impossible size %u (the file is damaged: %s)",
                              path, k + 1, (unsigned)size, fix->broken);
        else if (size > MAX_IDX_DATA_BYTES / idx->count)
            status = nn_error("%s: the header promises more than %zu bytes of data (dimension %d "
                              "has size %u), more than the largest IDX set the kit reads, "
                              "Fashion-MNIST's 60000 x 28 x 28 training images (the file is damaged "
                              "or is not a data set for the kit: %s)", path, MAX_IDX_DATA_BYTES,
                              k + 1, (unsigned)size, fix->broken);
        idx->dims[k] = (int)size;
        idx->count *= size;
    }
    unsigned char *bytes = NULL;
    if (status == NN_OK) {
        bytes = nn_malloc(idx->count + 1);
        status = read_bytes(file, path, fix, bytes, idx->count + 1, &got);
    }
    if (status == NN_OK && got != idx->count) {
        char shape[64];
        idx_shape(idx, shape, sizeof shape);
        if (got < idx->count)
            status = nn_error("%s: the header promises %s = %zu bytes of data but only %zu follow "
                              "(the file is truncated: %s)", path, shape, idx->count, got,
                              fix->broken);
        else
            status = nn_error("%s: the header's sizes %s = %zu bytes do not match the data: more "
                              "bytes follow (the header does not describe the data: %s)", path,
                              shape, idx->count, fix->broken);
    }
    gzclose(file);
    if (status != NN_OK) {
        free(bytes);
        memset(idx, 0, sizeof *idx);
        return NN_ERR;
    }
    idx->bytes = bytes;
    return NN_OK;
}

int nn_idx_read(const char *path, nn_idx *idx)
{
    return idx_parse(path, &own_file, idx);
}

void nn_idx_free(nn_idx *idx)
{
    free(idx->bytes);
    memset(idx, 0, sizeof *idx);
}

/* ---- Fashion-MNIST ------------------------------------------------------------
 * Zalando's 28x28 grey photos of clothes (Xiao, Rasul and Vollgraf 2017), a
 * drop-in replacement for MNIST's digits that is harder to get right: 60000
 * training and 10000 test images, 6000 and 1000 of each class. */
const char *const nn_fashion_class_names[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

/* dir/base.gz, or dir/base if only the uncompressed file is there. */
static int fashion_path(char *path, size_t cap, const char *dir, const char *base)
{
    char plain[4096];
    if (join_path(plain, sizeof plain, dir, base) != NN_OK)
        return NN_ERR;
    int used = snprintf(path, cap, "%s.gz", plain);
    if (used < 0 || (size_t)used >= cap)
        return nn_error("%s.gz: the path is too long (use a shorter directory)", plain);
    if (access(path, F_OK) != 0 && access(plain, F_OK) == 0)
        snprintf(path, cap, "%s", plain);
    return NN_OK;
}

int nn_load_fashion_mnist(nn_dataset *ds, const char *dir, int train, int limit)
{
    enum { SIDE = 28 };
    memset(ds, 0, sizeof *ds);
    if (!dir || !*dir) {
        const char *env = getenv("NNLAB_DATA");
        dir = env && *env ? env : NN_DEFAULT_FASHION_DIR;
    }
    const char *part = train ? "train" : "t10k";
    char base[64], images_path[4200], labels_path[4200];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", part);
    if (fashion_path(images_path, sizeof images_path, dir, base) != NN_OK)
        return NN_ERR;
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", part);
    if (fashion_path(labels_path, sizeof labels_path, dir, base) != NN_OK)
        return NN_ERR;

    nn_idx images, labels = {0};
    if (idx_parse(images_path, &fashion_files, &images) != NN_OK)
        return NN_ERR;
    int status = NN_OK;
    char shape[64];
    if (images.ndim != 3 || images.dims[1] != SIDE || images.dims[2] != SIDE)
        status = nn_error("%s: %d dimension%s of size %s, but images are (count, 28, 28) "
                          "(not Fashion-MNIST images: %s)", images_path, images.ndim,
                          images.ndim == 1 ? "" : "s", idx_shape(&images, shape, sizeof shape),
                          fashion_files.broken);
    if (status == NN_OK)
        status = idx_parse(labels_path, &fashion_files, &labels);
    if (status == NN_OK && labels.ndim != 1)
        status = nn_error("%s: %d dimensions of size %s, but a label file has 1 (not "
                          "Fashion-MNIST labels: %s)", labels_path, labels.ndim,
                          idx_shape(&labels, shape, sizeof shape), fashion_files.broken);
    if (status == NN_OK && labels.dims[0] != images.dims[0])
        status = nn_error("%s holds %d images but %s holds %d labels (the two files disagree: one "
                          "is truncated or from another set: %s)", images_path, images.dims[0],
                          labels_path, labels.dims[0], fashion_files.broken);
    for (int i = 0; status == NN_OK && i < labels.dims[0]; i++)
        if (labels.bytes[i] > 9)
            status = nn_error("%s: the label of example %d is %d, out of range 0..9 (the file is "
                              "damaged: %s)", labels_path, i, labels.bytes[i], fashion_files.broken);
    if (status == NN_OK) {
        int n = images.dims[0];
        if (limit > 0 && limit < n)
            n = limit;
        dataset_new(ds, train ? "fashion-mnist-train" : "fashion-mnist-test", n, SIDE * SIDE, 10);
        ds->channels = 1;
        ds->height = ds->width = SIDE;
        for (int k = 0; k < 10; k++)
            copy_name(ds->class_names[k], sizeof ds->class_names[k], nn_fashion_class_names[k]);
        /* Pixels are 0 (background) .. 255 (ink); x = byte / 255 in [0, 1]. */
        for (size_t j = 0; j < (size_t)n * SIDE * SIDE; j++)
            ds->x[j] = images.bytes[j] / 255.0f;
        for (int i = 0; i < n; i++)
            ds->y[i] = labels.bytes[i];
    }
    nn_idx_free(&images);
    nn_idx_free(&labels);
    return status;
}

/* Whether dir holds any of Fashion-MNIST's four files (gzip'd or plain, or
 * anything at all under those names, such as a directory). */
static int fashion_any_file_there(const char *dir)
{
    static const char *const bases[4] = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    };
    char path[4200];
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, bases[k]);
        if (access(path, F_OK) == 0)
            return 1;
        snprintf(path, sizeof path, "%s/%s.gz", dir, bases[k]);
        if (access(path, F_OK) == 0)
            return 1;
    }
    return 0;
}

/* The rule is in nn_data.h.  Why a fall-back at all: a student without the
 * 30 MB package can still read and run every chapter; why only then: a
 * directory the user named, or files that are there but broken, mean the
 * user expects the real data, and a run on toy data would silently answer a
 * different question. */
int nn_chapter_fashion_mnist(nn_dataset *ds, const nn_common *common, int train, int limit,
                             const char *instead)
{
    const char *dir = common->data_dir;
    if (!dir || !*dir) {
        const char *env = getenv("NNLAB_DATA");
        dir = env && *env ? env : NN_DEFAULT_FASHION_DIR;
    }
    if (nn_load_fashion_mnist(ds, dir, train, limit) == NN_OK)
        return 1;
    int any_file = fashion_any_file_there(dir);
    if (common->data_given && !any_file)
        nn_die(1, "--data %s: no Fashion-MNIST files there (it should hold %s-images-idx3-ubyte.gz "
               "and the three other *-ubyte.gz files: check the directory, or leave out --data to use "
               "$NNLAB_DATA or %s)", dir, train ? "train" : "t10k", NN_DEFAULT_FASHION_DIR);
    if (common->data_given || any_file)
        nn_die_last();
    const char *env = getenv("NNLAB_DATA");
    fprintf(stderr, "%s: note: Fashion-MNIST is not installed: %s (%s) holds none of its files; "
            "%s.  To use it: `apt-get install dataset-fashion-mnist`, or pass --data DIR / set "
            "NNLAB_DATA to a directory holding its four *-ubyte.gz files\n", nn_program_name(), dir,
            env && *env ? "$NNLAB_DATA" : "the default directory", instead);
    return 0;
}

/* ---- Synthetic sets ---------------------------------------------------------- */

/* Truth tables: inputs 0/1 in the order 00, 01, 10, 11 (or 0, 1 for not). */
int nn_make_gate(nn_dataset *ds, const char *gate)
{
    static const struct {
        const char *name;
        int truth[4];  /* output for inputs 00, 01, 10, 11 (not: for 0, 1) */
    } gates[] = {
        {"and", {0, 0, 0, 1}}, {"or", {0, 1, 1, 1}}, {"nand", {1, 1, 1, 0}},
        {"nor", {1, 0, 0, 0}}, {"xor", {0, 1, 1, 0}}, {"not", {1, 0, 0, 0}},
    };
    memset(ds, 0, sizeof *ds);
    for (size_t g = 0; gate && g < sizeof gates / sizeof gates[0]; g++) {
        if (strcmp(gate, gates[g].name) != 0)
            continue;
        int inputs = strcmp(gate, "not") == 0 ? 1 : 2;
        int rows = 1 << inputs;
        dataset_new(ds, gate, rows, inputs, 2);
        copy_name(ds->class_names[0], sizeof ds->class_names[0], "false");
        copy_name(ds->class_names[1], sizeof ds->class_names[1], "true");
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < inputs; k++)
                ds->x[r * inputs + k] = (float)((r >> (inputs - 1 - k)) & 1);
            ds->y[r] = gates[g].truth[r];
        }
        return NN_OK;
    }
    return nn_error("unknown gate '%s' (use one of and, or, nand, nor, xor, not)", gate ? gate : "(null)");
}

/* Puts the examples in the order perm (a random permutation), in place. */
static void permute_examples(nn_dataset *ds, nn_rng *rng)
{
    int *perm = nn_malloc((size_t)ds->n * sizeof *perm);
    nn_rng_permutation(rng, perm, (size_t)ds->n);
    float *x = nn_floats((size_t)ds->n * (size_t)ds->d);
    int *y = ds->y ? nn_malloc((size_t)ds->n * sizeof *y) : NULL;
    float *t = ds->t ? nn_floats((size_t)ds->n) : NULL;
    for (int i = 0; i < ds->n; i++) {
        nn_copy(x + (size_t)i * (size_t)ds->d, ds->x + (size_t)perm[i] * (size_t)ds->d, (size_t)ds->d);
        if (y)
            y[i] = ds->y[perm[i]];
        if (t)
            t[i] = ds->t[perm[i]];
    }
    free(ds->x);
    free(ds->y);
    free(ds->t);
    ds->x = x;
    ds->y = y;
    ds->t = t;
    free(perm);
}

/* The TensorFlow Playground's four 2-D classification sets (dataset.ts of
 * playground.tensorflow.org), re-implemented on the kit's generator.  The
 * Playground labels points +1 (blue) and -1 (orange); here +1 is class 1 and
 * -1 class 0.  Its noise slider runs 0..50%; noise = slider / 100.
 *
 *   circle  radius R = 5.  Half the points at a radius r ~ U[0, R/2] (class
 *           1), half in the ring r ~ U[0.7 R, R] (class 0), at a uniform
 *           angle.  Noise moves the point by U[-R, R] noise in x and y before
 *           it is labelled by |p| < R/2, and the clean point is kept: noise
 *           flips the labels of points near the gap, it does not blur them.
 *   xor     x, y ~ U[-5, 5], pushed 0.3 away from the axes; class 1 where
 *           x y >= 0.  Noise as for circle (U[-5, 5] noise), labels only.
 *   gauss   half the points from N((2, 2), s^2 I) (class 1), half from
 *           N((-2, -2), s^2 I) (class 0); the variance s^2 grows linearly
 *           from 0.5 at noise 0 to 4 at noise 0.5.
 *   spiral  two arms, point i of m at radius r = 5 i / m and angle
 *           t = 1.75 (2 pi) i / m (+ pi for the second arm): x = r sin t,
 *           y = r cos t, each moved by U[-1, 1] noise.  Class 1 is the first arm.
 * As in the Playground, the points are shuffled at the end. */
int nn_make_playground(nn_dataset *ds, const char *kind, int n, double noise, nn_rng *rng)
{
    memset(ds, 0, sizeof *ds);
    static const char *const kinds[] = {"circle", "xor", "gauss", "spiral"};
    int which = -1;
    for (int k = 0; kind && k < 4; k++)
        if (strcmp(kind, kinds[k]) == 0)
            which = k;
    if (which < 0)
        return nn_error("unknown Playground set '%s' (use one of circle, xor, gauss, spiral)",
                        kind ? kind : "(null)");
    if (n < 2 || n > 10000000)
        return nn_error("%s: %d points asked for; use 2 to 10000000", kind, n);
    if (!(noise >= 0 && noise <= 1))
        return nn_error("%s: noise %g is outside [0, 1] (the Playground's slider 0..50%% is "
                        "noise 0..0.5)", kind, noise);
    NN_ASSERT(rng != NULL);

    const double radius = 5, two_pi = 2 * acos(-1.0), pi = acos(-1.0);
    dataset_new(ds, kind, n, 2, 2);
    copy_name(ds->class_names[0], sizeof ds->class_names[0], "orange (-1)");
    copy_name(ds->class_names[1], sizeof ds->class_names[1], "blue (+1)");
    int first_half = n / 2;   /* class 1 first, then class 0 (then shuffled) */
    for (int i = 0; i < n; i++) {
        int positive = i < first_half;
        double x = 0, y = 0;
        int label = positive;
        if (which == 0) {           /* circle */
            double r = positive ? nn_rng_range(rng, 0, 0.5 * radius)
                                : nn_rng_range(rng, 0.7 * radius, radius);
            double angle = nn_rng_range(rng, 0, two_pi);
            x = r * sin(angle);
            y = r * cos(angle);
            double nx = x + nn_rng_range(rng, -radius, radius) * noise;
            double ny = y + nn_rng_range(rng, -radius, radius) * noise;
            label = sqrt(nx * nx + ny * ny) < 0.5 * radius;
        } else if (which == 1) {    /* xor */
            const double padding = 0.3;
            x = nn_rng_range(rng, -5, 5);
            x += x > 0 ? padding : -padding;
            y = nn_rng_range(rng, -5, 5);
            y += y > 0 ? padding : -padding;
            double nx = x + nn_rng_range(rng, -5, 5) * noise;
            double ny = y + nn_rng_range(rng, -5, 5) * noise;
            label = nx * ny >= 0;
        } else if (which == 2) {    /* gauss */
            double variance = 0.5 + (4 - 0.5) * noise / 0.5;
            double centre = positive ? 2 : -2, s = sqrt(variance);
            x = centre + s * nn_rng_normal(rng);
            y = centre + s * nn_rng_normal(rng);
        } else {                    /* spiral */
            int m = positive ? first_half : n - first_half;
            int k = positive ? i : i - first_half;
            double r = radius * k / m;
            double t = 1.75 * two_pi * k / m + (positive ? 0 : pi);
            x = r * sin(t) + nn_rng_range(rng, -1, 1) * noise;
            y = r * cos(t) + nn_rng_range(rng, -1, 1) * noise;
        }
        ds->x[2 * i] = (float)x;
        ds->x[2 * i + 1] = (float)y;
        ds->y[i] = label;
    }
    permute_examples(ds, rng);
    return NN_OK;
}

/* t = w_true . x + b_true + noise N(0, 1): a line (plane) the chapters can
 * recover exactly, so a fit is judged against the truth, not a guess. */
int nn_make_linear_regression(nn_dataset *ds, int n, int d, double noise, nn_rng *rng,
                              float *w_true, float *b_true)
{
    memset(ds, 0, sizeof *ds);
    if (n < 1 || d < 1 || d > 100000 || (size_t)n * (size_t)d > ((size_t)1 << 30))
        return nn_error("linear regression: n = %d examples of d = %d features is not a possible "
                        "size (use n >= 1, 1 <= d <= 100000, n d <= 2^30)", n, d);
    if (!(noise >= 0 && noise < 1e6))
        return nn_error("linear regression: noise %g must be a standard deviation >= 0", noise);
    NN_ASSERT(rng != NULL);
    float *w = nn_floats((size_t)d), b;
    for (int k = 0; k < d; k++)
        w[k] = (float)nn_rng_normal(rng);
    b = (float)nn_rng_normal(rng);
    dataset_new(ds, "linear", n, d, 0);
    for (int i = 0; i < n; i++) {
        float *x = ds->x + (size_t)i * (size_t)d;
        double t = b;
        for (int k = 0; k < d; k++) {
            x[k] = (float)nn_rng_range(rng, -1, 1);
            t += (double)w[k] * x[k];
        }
        ds->t[i] = (float)(t + noise * nn_rng_normal(rng));
    }
    if (w_true)
        nn_copy(w_true, w, (size_t)d);
    if (b_true)
        *b_true = b;
    free(w);
    return NN_OK;
}

/* Toy images, 1 x S x S, ink 1 on background 0, four classes:
 *   0 vertical bar     a column segment of length S/2..S
 *   1 horizontal bar   a row segment of length S/2..S
 *   2 diagonal         a segment of slope +1 or -1 of length S/2..S
 *   3 square outline   side 3..S
 * each at a random position; then every pixel gets noise N(0, 1) added and
 * is clipped to [0, 1].  The classes come in turn (so they are balanced to
 * within one) and the examples are then shuffled. */
int nn_make_toy_images(nn_dataset *ds, int n, int size, double noise, nn_rng *rng)
{
    memset(ds, 0, sizeof *ds);
    if (n < 1 || n > 10000000)
        return nn_error("toy images: %d images asked for; use 1 to 10000000", n);
    if (size < 4 || size > 64)
        return nn_error("toy images: size %d is outside 4..64 (a square outline needs room)", size);
    if (!(noise >= 0 && noise <= 1))
        return nn_error("toy images: noise %g is outside [0, 1]", noise);
    NN_ASSERT(rng != NULL);
    static const char *const names[4] = {"vertical bar", "horizontal bar", "diagonal", "square"};
    dataset_new(ds, "toy-images", n, size * size, 4);
    ds->channels = 1;
    ds->height = ds->width = size;
    for (int k = 0; k < 4; k++)
        copy_name(ds->class_names[k], sizeof ds->class_names[k], names[k]);
    const uint32_t S = (uint32_t)size;
    for (int i = 0; i < n; i++) {
        float *img = ds->x + (size_t)i * S * S;   /* (S, S) */
        int label = i % 4;
        ds->y[i] = label;
        uint32_t length = S / 2 + nn_rng_below(rng, S - S / 2 + 1);   /* S/2..S */
        if (label == 0 || label == 1) {
            uint32_t along = nn_rng_below(rng, S - length + 1), across = nn_rng_below(rng, S);
            for (uint32_t k = 0; k < length; k++) {
                uint32_t r = label == 0 ? along + k : across, c = label == 0 ? across : along + k;
                img[r * S + c] = 1;
            }
        } else if (label == 2) {
            uint32_t r0 = nn_rng_below(rng, S - length + 1), c0 = nn_rng_below(rng, S - length + 1);
            int falling = nn_rng_below(rng, 2) == 0;
            for (uint32_t k = 0; k < length; k++)
                img[(r0 + k) * S + (falling ? c0 + k : c0 + length - 1 - k)] = 1;
        } else {
            uint32_t side = 3 + nn_rng_below(rng, S - 2);   /* 3..S */
            uint32_t r0 = nn_rng_below(rng, S - side + 1), c0 = nn_rng_below(rng, S - side + 1);
            for (uint32_t k = 0; k < side; k++) {
                img[r0 * S + c0 + k] = 1;
                img[(r0 + side - 1) * S + c0 + k] = 1;
                img[(r0 + k) * S + c0] = 1;
                img[(r0 + k) * S + c0 + side - 1] = 1;
            }
        }
        if (noise > 0)
            for (uint32_t j = 0; j < S * S; j++) {
                double v = img[j] + noise * nn_rng_normal(rng);
                img[j] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
            }
    }
    permute_examples(ds, rng);
    return NN_OK;
}

/* ---- Working with sets ---------------------------------------------------------- */

/* out = the examples idx[0..count) of ds, with ds's metadata. */
static void take_examples(nn_dataset *out, const nn_dataset *ds, const int *idx, int count)
{
    *out = *ds;
    out->n = count;
    out->x = nn_floats((size_t)count * (size_t)ds->d);
    out->y = ds->y ? nn_calloc((size_t)count, sizeof *out->y) : NULL;
    out->t = ds->t ? nn_floats((size_t)count) : NULL;
    for (int i = 0; i < count; i++) {
        nn_copy(out->x + (size_t)i * (size_t)ds->d, ds->x + (size_t)idx[i] * (size_t)ds->d, (size_t)ds->d);
        if (ds->y)
            out->y[i] = ds->y[idx[i]];
        if (ds->t)
            out->t[i] = ds->t[idx[i]];
    }
}

int nn_split(const nn_dataset *ds, double fraction, nn_rng *rng, nn_dataset *a, nn_dataset *b)
{
    if (a)
        memset(a, 0, sizeof *a);
    if (b)
        memset(b, 0, sizeof *b);
    if (!ds || !a || !b || !rng || !ds->x)
        return nn_error("nn_split: needs a data set, a generator and two outputs (a NULL was passed)");
    if (!(fraction >= 0 && fraction <= 1))
        return nn_error("%s: split fraction %g is outside [0, 1]", ds->name, fraction);
    int *perm = nn_malloc((size_t)(ds->n > 0 ? ds->n : 1) * sizeof *perm);
    nn_rng_permutation(rng, perm, (size_t)ds->n);
    int n_a = (int)lround(fraction * ds->n);
    take_examples(a, ds, perm, n_a);
    take_examples(b, ds, perm + n_a, ds->n - n_a);
    free(perm);
    return NN_OK;
}

int nn_keep_two_classes(nn_dataset *ds, int class0, int class1)
{
    if (!ds->y)
        return nn_error("%s: has no class labels, so no classes to keep", ds->name);
    if (class0 < 0 || class0 >= ds->n_classes || class1 < 0 || class1 >= ds->n_classes ||
        class0 == class1)
        return nn_error("%s: cannot keep classes %d and %d: they must be two different classes "
                        "in 0..%d", ds->name, class0, class1, ds->n_classes - 1);
    int kept = 0;
    for (int i = 0; i < ds->n; i++) {
        if (ds->y[i] != class0 && ds->y[i] != class1)
            continue;
        int label = ds->y[i] == class1;
        nn_copy(ds->x + (size_t)kept * (size_t)ds->d, ds->x + (size_t)i * (size_t)ds->d, (size_t)ds->d);
        if (ds->t)
            ds->t[kept] = ds->t[i];
        ds->y[kept++] = label;
    }
    if (kept == 0)
        return nn_error("%s: no examples of class %d or %d", ds->name, class0, class1);
    char names[2][32];
    memcpy(names[0], ds->class_names[class0], sizeof names[0]);
    memcpy(names[1], ds->class_names[class1], sizeof names[1]);
    memset(ds->class_names, 0, sizeof ds->class_names);
    memcpy(ds->class_names[0], names[0], sizeof names[0]);
    memcpy(ds->class_names[1], names[1], sizeof names[1]);
    ds->n = kept;
    ds->n_classes = 2;
    return NN_OK;
}

/* x_ij <- (x_ij - mu_j) / sigma_j with mu_j and sigma_j (population standard
 * deviation, in double) from `fit` only: the test set must not leak into the
 * statistics.  A constant feature (sigma_j = 0) is only centred. */
void nn_standardize(const nn_dataset *fit, nn_dataset *a, nn_dataset *b)
{
    NN_ASSERT(fit != NULL && fit->n > 0 && fit->d > 0);
    int d = fit->d;
    double *mean = nn_doubles((size_t)d), *std = nn_doubles((size_t)d);
    for (int i = 0; i < fit->n; i++)
        for (int j = 0; j < d; j++)
            mean[j] += fit->x[(size_t)i * (size_t)d + (size_t)j];
    for (int j = 0; j < d; j++)
        mean[j] /= fit->n;
    for (int i = 0; i < fit->n; i++)
        for (int j = 0; j < d; j++) {
            double dev = fit->x[(size_t)i * (size_t)d + (size_t)j] - mean[j];
            std[j] += dev * dev;
        }
    for (int j = 0; j < d; j++) {
        std[j] = sqrt(std[j] / fit->n);
        if (std[j] == 0)
            std[j] = 1;
    }
    nn_dataset *targets[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        nn_dataset *ds = targets[k];
        if (!ds || (k == 1 && ds == a))
            continue;
        NN_ASSERT(ds->d == d);
        for (int i = 0; i < ds->n; i++)
            for (int j = 0; j < d; j++) {
                float *v = &ds->x[(size_t)i * (size_t)d + (size_t)j];
                *v = (float)((*v - mean[j]) / std[j]);
            }
    }
    free(mean);
    free(std);
}
