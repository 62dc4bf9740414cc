/* test-data.c: the data module.
 *
 * Three parts.  Bad files: each is written into a fresh temporary directory
 * (gzip'd ones through zlib) and the reader must return NN_ERR with a message
 * that names the file and the problem.  Good files: the shipped tables and
 * Fashion-MNIST load with the sizes, first rows and class counts their
 * documentation gives.  Synthetic sets: shapes, balance, determinism, and the
 * property each generator promises, checked from the data alone (the circle's
 * classes split by radius, the regression truth recovered by least squares). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nnlab.h"

/* ---- Files in a temporary directory ------------------------------------------ */

static char tmpdir[4096];
static char made[128][4200];   /* files to remove at the end */
static int n_made;

static const char *tmp_path(const char *name)
{
    NN_ASSERT(n_made < 128);
    snprintf(made[n_made], sizeof made[n_made], "%s/%s", tmpdir, name);
    return made[n_made++];
}

static const char *write_plain(const char *name, const void *bytes, size_t len)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0)
        nn_tap_bail_out("cannot write %s", path);
    return path;
}

static const char *write_text(const char *name, const char *text)
{
    return write_plain(name, text, strlen(text));
}

static const char *write_gz(const char *name, const void *bytes, size_t len)
{
    const char *path = tmp_path(name);
    gzFile f = gzopen(path, "wb");
    if (!f || (len > 0 && gzwrite(f, bytes, (unsigned)len) != (int)len) || gzclose(f) != Z_OK)
        nn_tap_bail_out("cannot write %s", path);
    return path;
}

/* Cuts the file at path to its first keep bytes (a download that stopped). */
static void truncate_to(const char *path, long keep)
{
    if (truncate(path, keep) != 0)
        nn_tap_bail_out("cannot truncate %s", path);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    return size;
}

/* The loader returned NN_ERR and its message names the file and the problem. */
static void expect_error(int status, const char *path, const char *problem, const char *what)
{
    const char *msg = nn_last_error();
    int ok = status == NN_ERR && strstr(msg, path) && strstr(msg, problem);
    if (!nn_ok(ok, "%s: NN_ERR naming the file and \"%s\"", what, problem))
        nn_diag("status %d, message: %s", status, msg);
}

/* An IDX file of bytes: magic 0x000008NN, big-endian sizes, then the data. */
static size_t make_idx(unsigned char *out, int ndim, const int *dims, const unsigned char *data,
                       size_t data_len)
{
    size_t at = 0;
    out[at++] = 0;
    out[at++] = 0;
    out[at++] = 0x08;
    out[at++] = (unsigned char)ndim;
    for (int k = 0; k < ndim; k++) {
        unsigned v = (unsigned)dims[k];
        out[at++] = (unsigned char)(v >> 24);
        out[at++] = (unsigned char)(v >> 16);
        out[at++] = (unsigned char)(v >> 8);
        out[at++] = (unsigned char)v;
    }
    memcpy(out + at, data, data_len);
    return at + data_len;
}

/* ---- Bad input ------------------------------------------------------------------- */

static void test_bad_csv(void)
{
    nn_table table;
    const char *path = tmp_path("no-such.csv");
    expect_error(nn_csv_read(path, 0, &table), path, "cannot open", "missing CSV");

    path = write_text("empty.csv", "");
    expect_error(nn_csv_read(path, 0, &table), path, "empty", "empty plain CSV");
    path = write_gz("empty.csv.gz", "", 0);
    expect_error(nn_csv_read(path, 0, &table), path, "empty", "empty gzip'd CSV");
    path = write_text("comments.csv", "# only a comment\n\n   \n");
    expect_error(nn_csv_read(path, 0, &table), path, "no rows", "CSV of comments only");

    path = write_text("word.csv", "1,2,3\n4,5,6\n7,abc,9\n");
    expect_error(nn_csv_read(path, 0, &table), path, "line 3, column 2: 'abc' is not a number",
                 "non-numeric CSV field");
    path = write_text("blank-field.csv", "1,2,3\n4,,6\n");
    expect_error(nn_csv_read(path, 0, &table), path, "line 2, column 2: the field is empty",
                 "empty CSV field");
    path = write_text("long-word.csv", "1,2\n3,abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\n");
    expect_error(nn_csv_read(path, 0, &table), path, "column 2: 'abcdefghijabcdefghijabcdefghijabcdefghij...'",
                 "long non-numeric CSV field, quoted in part");
    path = write_text("nan.csv", "1 2\n3 nan\n");
    expect_error(nn_csv_read(path, 0, &table), path, "'nan' is not a finite number",
                 "NaN in a CSV");
    path = write_text("huge.csv", "1e39\n");
    expect_error(nn_csv_read(path, 0, &table), path, "fits a float", "number too large for a float");

    path = write_text("ragged.csv", "1,2,3\n4,5,6\n7,8\n");
    expect_error(nn_csv_read(path, 0, &table), path, "line 3 has 2 columns but line 1 has 3",
                 "short CSV row");
    path = write_text("ragged-long.csv", "1 2\n3 4 5\n");
    expect_error(nn_csv_read(path, 0, &table), path, "ragged row", "long CSV row");

    static const char binary[] = "1,2\n3,\0\0\0\n";
    path = write_plain("binary.csv", binary, sizeof binary - 1);
    expect_error(nn_csv_read(path, 0, &table), path, "NUL byte", "binary data as a CSV");

    /* A gzip'd table cut in the middle of its compressed stream. */
    char big[8000];
    size_t used = 0;
    for (int i = 0; used < sizeof big - 64; i++)
        used += (size_t)snprintf(big + used, sizeof big - used, "%d,%d.%d,%d\n", i, i * 7 % 13, i % 10, i * i % 97);
    path = write_gz("cut.csv.gz", big, used);
    truncate_to(path, file_size(path) / 2);
    expect_error(nn_csv_read(path, 0, &table), path, "truncated", "truncated gzip'd CSV");

    /* The same loader on a directory. */
    expect_error(nn_csv_read(tmpdir, 0, &table), tmpdir, "is a directory, but a data file should "
                 "be here", "a directory as a CSV");

    /* Invisible bytes inside a field are named, not printed raw. */
    path = write_text("nbsp.csv", "1,2\n3,4\xc2\xa0\n");
    expect_error(nn_csv_read(path, 0, &table), path, "'4\\xC2\\xA0' is not a number",
                 "a non-breaking space in a field is shown as \\xC2\\xA0");
}

/* A small gzip file that inflates to far more than any table: the reader
 * stops at its cap (64 MiB) instead of reading it whole. */
static void test_gzip_bomb_csv(void)
{
    enum { CHUNK = 1 << 20 };
    char *ones = nn_malloc(CHUNK);
    for (int i = 0; i < CHUNK; i += 2) {
        ones[i] = '1';
        ones[i + 1] = '\n';
    }
    const char *path = tmp_path("bomb.csv.gz");
    gzFile f = gzopen(path, "wb9");
    for (int k = 0; f && k < 80; k++)
        if (gzwrite(f, ones, CHUNK) != CHUNK)
            nn_tap_bail_out("cannot write %s", path);
    if (!f || gzclose(f) != Z_OK)
        nn_tap_bail_out("cannot write %s", path);
    free(ones);
    nn_table table;
    double start = nn_seconds();
    expect_error(nn_csv_read(path, 0, &table), path, "more than 67108864 bytes once decompressed",
                 "a CSV that inflates from under 1 MB to 80 MiB (a gzip bomb)");
    nn_diag("compressed %ld bytes; refused after %.2f s", file_size(path), nn_seconds() - start);
}

/* Accepted: a table that starts with a UTF-8 byte-order mark (as spreadsheets
 * write them) reads as if it were not there. */
static void test_csv_bom(void)
{
    nn_table table;
    const char *path = write_text("bom.csv", "\xef\xbb\xbf" "1.5,2\n3,4\n");
    int status = nn_csv_read(path, 0, &table);
    if (nn_ok(status == NN_OK, "a CSV starting with a UTF-8 byte-order mark reads"))
        nn_ok(table.rows == 2 && table.cols == 2 && table.values[0] == 1.5f && table.values[3] == 4,
              "the BOM is skipped: 2 x 2, first value 1.5 (got %d x %d, %g)", table.rows, table.cols,
              (double)table.values[0]);
    else
        nn_diag("%s", nn_last_error());
    nn_table_free(&table);
    nn_dataset ds;
    char text[256];
    snprintf(text, sizeof text, "\xef\xbb\xbf" "2,2,a,b\n0.5,1,0\n2,3,1\n");
    path = write_text("bom-sklearn.csv", text);
    status = nn_load_sklearn_csv(&ds, path, "bom");
    nn_ok(status == NN_OK && ds.n == 2 && ds.d == 2 && ds.y[1] == 1,
          "an sklearn table with a BOM before its header loads (2 examples, 2 features)");
    if (status != NN_OK)
        nn_diag("%s", nn_last_error());
    nn_dataset_free(&ds);
}

static void test_bad_sklearn(void)
{
    nn_dataset ds;
    const char *path = write_text("liar.csv", "5,2,a,b\n1,2,0\n3,4,1\n");
    expect_error(nn_load_sklearn_csv(&ds, path, "liar"), path,
                 "the header says 5 examples but the file holds 2 rows", "header lies about the count");
    path = write_text("liar-width.csv", "2,3,a,b\n1,2,0\n3,4,1\n");
    expect_error(nn_load_sklearn_csv(&ds, path, "liar"), path,
                 "the header says 3 features", "header lies about the width");
    path = write_text("bad-header.csv", "many,2,a,b\n1,2,0\n");
    expect_error(nn_load_sklearn_csv(&ds, path, "bad"), path, "n_samples 'many'",
                 "header with a word for the count");
    path = write_text("short-header.csv", "2,2\n1,2,0\n3,4,1\n");
    expect_error(nn_load_sklearn_csv(&ds, path, "bad"), path, "at least 3",
                 "header without class names");
    path = write_text("label-range.csv", "2,2,a,b\n1,2,0\n3,4,2\n");
    expect_error(nn_load_sklearn_csv(&ds, path, "bad"), path, "line 3: label 2 is out of range",
                 "label out of range");
    path = write_text("label-frac.csv", "2,2,a,b\n1,2,0.5\n3,4,1\n");
    expect_error(nn_load_sklearn_csv(&ds, path, "bad"), path, "label 0.5 is out of range",
                 "fractional label");
    path = write_text("header-only.csv", "2,2,a,b\n");
    expect_error(nn_load_sklearn_csv(&ds, path, "bad"), path, "no rows", "header without rows");

    /* The real iris file, cut in the middle of a row and after a whole row:
     * the first is a ragged row, the second only the header can catch. */
    char iris_path[4200];
    snprintf(iris_path, sizeof iris_path, "%s/iris.csv", nn_data_dir());
    FILE *f = fopen(iris_path, "rb");
    char text[4096];
    size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[len] = '\0';
    if (len > 2000) {
        size_t cut = len / 2;
        while (text[cut] != ',')
            cut++;
        path = write_plain("iris-cut.csv", text, cut);
        expect_error(nn_load_sklearn_csv(&ds, path, "iris"), path, "truncated",
                     "iris cut inside a row");
        cut = (size_t)(strchr(text + len / 2, '\n') - text) + 1;
        path = write_plain("iris-cut-line.csv", text, cut);
        expect_error(nn_load_sklearn_csv(&ds, path, "iris"), path,
                     "the header says 150 examples", "iris cut after a whole row");
        path = write_gz("iris-cut.csv.gz", text, len);
        truncate_to(path, file_size(path) - 20);
        expect_error(nn_load_sklearn_csv(&ds, path, "iris"), path, "truncated",
                     "gzip'd iris with its end cut off");
    } else {
        nn_skip("the shipped iris.csv is unreadable", "truncated copies of iris.csv");
    }

    /* A directory without the shipped files: the message says how to get them. */
    expect_error(nn_load_iris(&ds, tmpdir), "iris.csv", "python3-sklearn", "iris missing from dir");
    expect_error(nn_load_digits(&ds, tmpdir), "digits.csv.gz", "cannot open", "digits missing");
    expect_error(nn_load_diabetes(&ds, tmpdir), "diabetes_data_raw.csv.gz", "NNLAB_DATA_DIR",
                 "diabetes missing");
}

static void test_bad_idx(void)
{
    nn_idx idx;
    unsigned char buf[512], data[64];
    for (int i = 0; i < 64; i++)
        data[i] = (unsigned char)(i * 5);

    const char *path = tmp_path("none-idx1-ubyte");
    expect_error(nn_idx_read(path, &idx), path, "cannot open", "missing IDX");
    path = write_plain("empty-idx1-ubyte", "", 0);
    expect_error(nn_idx_read(path, &idx), path, "empty", "empty IDX");
    path = write_gz("empty-idx1-ubyte.gz", "", 0);
    expect_error(nn_idx_read(path, &idx), path, "empty", "empty gzip'd IDX");
    path = write_plain("tiny-idx", "\0\0", 2);
    expect_error(nn_idx_read(path, &idx), path, "too short", "IDX of two bytes");

    int dims[5] = {2, 3, 4, 1, 1};
    size_t len = make_idx(buf, 3, dims, data, 24);
    buf[2] = 0x0D;   /* float elements: not a byte file */
    path = write_plain("magic-idx", buf, len);
    expect_error(nn_idx_read(path, &idx), path, "wrong magic 0x00000d03", "wrong IDX magic");
    path = write_plain("gzip-inside-plain", "\x1f\x8b\x08\x00\x00\x00", 6);
    expect_error(nn_idx_read(path, &idx), path, "truncated", "gzip header with nothing after");

    len = make_idx(buf, 5, dims, data, 24);
    path = write_plain("five-dims-idx", buf, len);
    expect_error(nn_idx_read(path, &idx), path, "5 dimensions", "IDX with 5 dimensions");
    len = make_idx(buf, 0, dims, data, 24);
    path = write_plain("zero-dims-idx", buf, len);
    expect_error(nn_idx_read(path, &idx), path, "0 dimensions", "IDX with 0 dimensions");
    len = make_idx(buf, 3, dims, data, 24);
    path = write_plain("header-cut-idx", buf, 9);
    expect_error(nn_idx_read(path, &idx), path, "too short for the 3 sizes", "IDX header cut");

    path = write_plain("short-idx3-ubyte", buf, len - 5);
    expect_error(nn_idx_read(path, &idx), path, "2 x 3 x 4 = 24 bytes of data but only 19 follow",
                 "truncated plain IDX");
    len = make_idx(buf, 3, dims, data, 30);
    path = write_plain("long-idx3-ubyte", buf, len);
    expect_error(nn_idx_read(path, &idx), path, "2 x 3 x 4 = 24 bytes do not match the data: "
                 "more bytes follow", "IDX header dims smaller than the data");

    /* Caps from the header: a promise larger than the largest real set
     * (60000 x 28 x 28 bytes) is refused before any data is read, and a
     * small promise followed by a flood of data is refused after reading one
     * byte past it, not after reading the flood. */
    int promise[3] = {60001, 28, 28};
    len = make_idx(buf, 3, promise, data, 24);
    path = write_plain("huge-promise-idx3-ubyte", buf, len);
    expect_error(nn_idx_read(path, &idx), path, "more than 47040000 bytes of data",
                 "IDX header promising 60001 x 28 x 28 bytes");
    static unsigned char flood[1 << 20];
    int flood_dims[1] = {10};
    len = make_idx(flood, 1, flood_dims, data, 10);
    path = tmp_path("bomb-idx1-ubyte.gz");
    gzFile bomb = gzopen(path, "wb9");
    if (!bomb || gzwrite(bomb, flood, (unsigned)len) != (int)len)
        nn_tap_bail_out("cannot write %s", path);
    memset(flood, 0, sizeof flood);
    for (int k = 0; k < 200; k++)
        if (gzwrite(bomb, flood, sizeof flood) != (int)sizeof flood)
            nn_tap_bail_out("cannot write %s", path);
    if (gzclose(bomb) != Z_OK)
        nn_tap_bail_out("cannot write %s", path);
    double start = nn_seconds();
    expect_error(nn_idx_read(path, &idx), path, "10 = 10 bytes do not match the data",
                 "gzip'd IDX promising 10 bytes that inflates to 200 MiB");
    double seconds = nn_seconds() - start;
    nn_diag("compressed %ld bytes, inflating to 200 MiB; refused after %.3f s", file_size(path), seconds);

    /* A directory in a file's place is named as such. */
    path = tmp_path("dir-idx1-ubyte");
    if (mkdir(path, 0700) != 0)
        nn_tap_bail_out("cannot make %s", path);
    expect_error(nn_idx_read(path, &idx), path, "is a directory", "a directory as an IDX file");
    rmdir(path);
    int zero[1] = {0};
    len = make_idx(buf, 1, zero, data, 0);
    path = write_plain("zero-size-idx", buf, len);
    expect_error(nn_idx_read(path, &idx), path, "impossible size 0", "IDX with a zero size");

    /* A gzip'd IDX cut short: zlib reports the stream ending early. */
    static unsigned char big[4 + 8 + 5000];
    unsigned char noise[5000];
    uint32_t h = 12345;
    for (int i = 0; i < 5000; i++) {
        h = h * 1103515245u + 12345u;
        noise[i] = (unsigned char)(h >> 24);
    }
    int big_dims[2] = {50, 100};
    len = make_idx(big, 2, big_dims, noise, 5000);
    path = write_gz("cut-idx2-ubyte.gz", big, len);
    truncate_to(path, file_size(path) * 2 / 3);
    expect_error(nn_idx_read(path, &idx), path, "truncated", "truncated gzip'd IDX");

    /* The good cases: a plain and a gzip'd file read the same. */
    len = make_idx(buf, 3, dims, data, 24);
    const char *plain = write_plain("good-idx3-ubyte", buf, len);
    const char *gz = write_gz("good-idx3-ubyte.gz", buf, len);
    for (int k = 0; k < 2; k++) {
        const char *p = k ? gz : plain;
        int status = nn_idx_read(p, &idx);
        int ok = status == NN_OK && idx.ndim == 3 && idx.dims[0] == 2 && idx.dims[1] == 3 &&
                 idx.dims[2] == 4 && idx.count == 24 && memcmp(idx.bytes, data, 24) == 0;
        if (!nn_ok(ok, "%s IDX of 2x3x4 bytes reads back exactly", k ? "gzip'd" : "plain"))
            nn_diag("%s", status == NN_OK ? "wrong contents" : nn_last_error());
        nn_idx_free(&idx);
    }
}

/* A fake Fashion-MNIST directory: images (count, rows, cols) and labels. */
static void write_fashion(const char *sub, int n_images, int n_labels, int rows, int image_ndim,
                          int bad_label)
{
    static unsigned char buf[16 + 4 * 784 + 16];
    unsigned char pixels[4 * 784], labels[8];
    for (int i = 0; i < 4 * 784; i++)
        pixels[i] = (unsigned char)(i % 256);
    for (int i = 0; i < 8; i++)
        labels[i] = (unsigned char)(bad_label && i == 1 ? 10 : (i * 3) % 10);
    char name[256];
    int dims[3] = {n_images, rows, 28};
    if (image_ndim == 1)
        dims[0] = n_images * rows * 28;
    size_t len = make_idx(buf, image_ndim, dims, pixels, (size_t)n_images * (size_t)rows * 28);
    snprintf(name, sizeof name, "%s/train-images-idx3-ubyte.gz", sub);
    write_gz(name, buf, len);
    int label_dims[1] = {n_labels};
    len = make_idx(buf, 1, label_dims, labels, (size_t)n_labels);
    snprintf(name, sizeof name, "%s/train-labels-idx1-ubyte.gz", sub);
    write_gz(name, buf, len);
}

static void test_bad_fashion(void)
{
    nn_dataset ds;
    char dir[4200];
    const char *subs[] = {"fm-good", "fm-dims", "fm-count", "fm-label", "fm-rows"};
    for (int k = 0; k < 5; k++) {
        snprintf(dir, sizeof dir, "%s/%s", tmpdir, subs[k]);
        if (mkdir(dir, 0700) != 0)
            nn_tap_bail_out("cannot make %s", dir);
    }
    snprintf(dir, sizeof dir, "%s/no-fashion-here", tmpdir);
    int status = nn_load_fashion_mnist(&ds, dir, 1, 0);
    expect_error(status, "no-fashion-here/train-images-idx3-ubyte.gz",
                 "apt-get install dataset-fashion-mnist", "Fashion-MNIST missing");
    nn_contains(nn_last_error(), "--data DIR", "the missing-Fashion-MNIST message mentions --data DIR");
    nn_contains(nn_last_error(), "NNLAB_DATA", "the missing-Fashion-MNIST message mentions NNLAB_DATA");

    write_fashion("fm-good", 3, 3, 28, 3, 0);
    write_fashion("fm-dims", 3, 3, 28, 1, 0);
    write_fashion("fm-count", 3, 2, 28, 3, 0);
    write_fashion("fm-label", 3, 3, 28, 3, 1);
    write_fashion("fm-rows", 3, 3, 27, 3, 0);

    snprintf(dir, sizeof dir, "%s/fm-dims", tmpdir);
    expect_error(nn_load_fashion_mnist(&ds, dir, 1, 0), "fm-dims/train-images-idx3-ubyte.gz",
                 "1 dimension", "images file with 1 dimension");
    snprintf(dir, sizeof dir, "%s/fm-rows", tmpdir);
    expect_error(nn_load_fashion_mnist(&ds, dir, 1, 0), "fm-rows/train-images-idx3-ubyte.gz",
                 "(count, 28, 28)", "images of 27x28 pixels");
    snprintf(dir, sizeof dir, "%s/fm-count", tmpdir);
    expect_error(nn_load_fashion_mnist(&ds, dir, 1, 0), "fm-count/train-labels-idx1-ubyte.gz",
                 "holds 3 images but", "images and labels disagree in count");
    nn_contains(nn_last_error(), "holds 2 labels", "the count message gives both counts");
    /* A directory where the images file should be: not "not installed". */
    snprintf(dir, sizeof dir, "%s/fm-dims/train-images-idx3-ubyte.gz", tmpdir);
    remove(dir);
    if (mkdir(dir, 0700) != 0)
        nn_tap_bail_out("cannot make %s", dir);
    snprintf(dir, sizeof dir, "%s/fm-dims", tmpdir);
    expect_error(nn_load_fashion_mnist(&ds, dir, 1, 0), "fm-dims/train-images-idx3-ubyte.gz",
                 "is a directory, but a data file should be here", "a directory as the images file");
    nn_ok(strstr(nn_last_error(), "not installed") == NULL,
          "a directory in the images file's place is not reported as \"not installed\"");
    snprintf(dir, sizeof dir, "%s/fm-dims/train-images-idx3-ubyte.gz", tmpdir);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/fm-label", tmpdir);
    expect_error(nn_load_fashion_mnist(&ds, dir, 1, 0), "fm-label/train-labels-idx1-ubyte.gz",
                 "example 1 is 10, out of range 0..9", "label 10 in Fashion-MNIST");

    /* The images file cut short inside its gzip stream. */
    snprintf(dir, sizeof dir, "%s/fm-count/train-images-idx3-ubyte.gz", tmpdir);
    truncate_to(dir, file_size(dir) / 2);
    snprintf(dir, sizeof dir, "%s/fm-count", tmpdir);
    expect_error(nn_load_fashion_mnist(&ds, dir, 1, 0), "fm-count/train-images-idx3-ubyte.gz",
                 "truncated", "truncated Fashion-MNIST images");

    /* The small good directory: pixels are byte / 255, labels as written. */
    snprintf(dir, sizeof dir, "%s/fm-good", tmpdir);
    status = nn_load_fashion_mnist(&ds, dir, 1, 2);
    if (nn_ok(status == NN_OK, "a 3-image Fashion-MNIST directory loads (limit 2)")) {
        nn_ok(ds.n == 2 && ds.d == 784 && ds.channels == 1 && ds.height == 28 && ds.width == 28,
              "limit 2 keeps 2 images of 1x28x28 (got n %d d %d)", ds.n, ds.d);
        nn_is_close(ds.x[784 + 300], ((784 + 300) % 256) / 255.0, 1e-6, 0,
                    "pixel 300 of image 1 is its byte / 255");
        nn_ok(ds.y[0] == 0 && ds.y[1] == 3, "labels read as written (0, 3)");
        nn_is_str(ds.class_names[9], "Ankle boot", "class 9 is named Ankle boot");
    } else {
        nn_diag("%s", nn_last_error());
    }
    nn_dataset_free(&ds);
    for (int k = 0; k < 5; k++) {
        static const char *const files[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"};
        for (int f = 0; f < 2; f++) {
            snprintf(dir, sizeof dir, "%s/%s/%s", tmpdir, subs[k], files[f]);
            remove(dir);
        }
        snprintf(dir, sizeof dir, "%s/%s", tmpdir, subs[k]);
        rmdir(dir);
    }
}

/* ---- The shipped sets ------------------------------------------------------------ */

static void count_labels(const nn_dataset *ds, int *counts)
{
    for (int k = 0; k < 16; k++)
        counts[k] = 0;
    for (int i = 0; i < ds->n; i++)
        counts[ds->y[i]]++;
}

static void test_shipped(void)
{
    nn_dataset ds;
    int counts[16];

    /* dir NULL: nn_data_dir(), the source tree's data/ (NNLAB_SRCDIR). */
    int status = nn_load_iris(&ds, NULL);
    if (nn_ok(status == NN_OK, "iris loads from nn_data_dir() = %s", nn_data_dir())) {
        nn_ok(ds.n == 150 && ds.d == 4 && ds.n_classes == 3, "iris is 150 x 4 with 3 classes");
        static const float first[4] = {5.1f, 3.5f, 1.4f, 0.2f};
        nn_is_close_floats(ds.x, first, 4, 0, 0, "iris row 1 is 5.1, 3.5, 1.4, 0.2");
        nn_is_int(ds.y[0], 0, "iris row 1 is class 0");
        nn_is_str(ds.class_names[2], "virginica", "iris class 2 is virginica");
        count_labels(&ds, counts);
        nn_ok(counts[0] == 50 && counts[1] == 50 && counts[2] == 50, "iris has 50 of each class");
        nn_is_str(ds.name, "iris", "the set is named iris");
    } else {
        nn_diag("%s", nn_last_error());
    }
    nn_dataset_free(&ds);

    status = nn_load_breast_cancer(&ds, NULL);
    if (nn_ok(status == NN_OK, "breast_cancer loads")) {
        nn_ok(ds.n == 569 && ds.d == 30 && ds.n_classes == 2, "breast_cancer is 569 x 30, 2 classes");
        count_labels(&ds, counts);
        nn_ok(counts[0] == 212 && counts[1] == 357, "212 malignant (0) and 357 benign (1), as WDBC says");
        nn_is_str(ds.class_names[0], "malignant", "class 0 is malignant");
        nn_is_close(ds.x[0], 17.99, 1e-6, 0, "first radius (mean) is 17.99");
    } else {
        nn_diag("%s", nn_last_error());
    }
    nn_dataset_free(&ds);

    status = nn_load_digits(&ds, NULL);
    if (nn_ok(status == NN_OK, "digits loads (gzip'd)")) {
        nn_ok(ds.n == 1797 && ds.d == 64 && ds.n_classes == 10 && ds.channels == 1 &&
              ds.height == 8 && ds.width == 8, "digits is 1797 images of 1x8x8, 10 classes");
        count_labels(&ds, counts);
        int lo = 1797, hi = 0;
        for (int k = 0; k < 10; k++) {
            lo = counts[k] < lo ? counts[k] : lo;
            hi = counts[k] > hi ? counts[k] : hi;
        }
        nn_ok(lo == 174 && hi == 183, "each digit occurs 174..183 times (got %d..%d)", lo, hi);
        float max = 0;
        for (int j = 0; j < 1797 * 64; j++)
            max = ds.x[j] > max ? ds.x[j] : max;
        nn_is_close(max, 16, 0, 0, "the brightest pixel count is 16 (of a 4x4 block)");
        nn_ok(ds.x[2] == 5 && ds.x[3] == 13 && ds.y[0] == 0, "the first image starts 0, 0, 5, 13 and is a 0");
    } else {
        nn_diag("%s", nn_last_error());
    }
    nn_dataset_free(&ds);

    status = nn_load_diabetes(&ds, NULL);
    if (nn_ok(status == NN_OK, "diabetes loads (two gzip'd files)")) {
        nn_ok(ds.n == 442 && ds.d == 10 && ds.n_classes == 0 && ds.y == NULL && ds.t != NULL,
              "diabetes is 442 x 10 with a regression target");
        static const float first[10] = {59, 2, 32.1f, 101, 157, 93.2f, 38, 4, 4.8598f, 87};
        nn_is_close_floats(ds.x, first, 10, 0, 0, "diabetes row 1 in raw units");
        nn_is_close(ds.t[0], 151, 0, 0, "diabetes target 1 is 151");
        nn_is_close(ds.t[441], 57, 0, 0, "diabetes target 442 is 57");
    } else {
        nn_diag("%s", nn_last_error());
    }
    nn_dataset_free(&ds);

    /* $NNLAB_DATA_DIR overrides the source tree. */
    write_text("iris.csv", "2,1,small,large\n1,0\n7,1\n");
    setenv("NNLAB_DATA_DIR", tmpdir, 1);
    nn_is_str(nn_data_dir(), tmpdir, "nn_data_dir() follows $NNLAB_DATA_DIR");
    status = nn_load_iris(&ds, NULL);
    nn_ok(status == NN_OK && ds.n == 2 && ds.d == 1 && ds.y[1] == 1 && ds.x[1] == 7,
          "nn_load_iris(NULL) reads $NNLAB_DATA_DIR/iris.csv");
    nn_dataset_free(&ds);
    unsetenv("NNLAB_DATA_DIR");
}

static void test_csv_good(void)
{
    nn_table plain, gz;
    const char text[] = "a b c header\n# comment\n1 2 3\r\n\n  4\t5   6  # trailing comment\n";
    const char *p1 = write_text("good.txt", text);
    const char *p2 = write_gz("good.txt.gz", text, sizeof text - 1);
    int s1 = nn_csv_read(p1, 1, &plain), s2 = nn_csv_read(p2, 1, &gz);
    if (nn_ok(s1 == NN_OK && s2 == NN_OK, "a blank-separated table with a header, comments and CRLF reads")) {
        static const float want[6] = {1, 2, 3, 4, 5, 6};
        nn_ok(plain.rows == 2 && plain.cols == 3, "2 rows of 3 columns");
        nn_is_close_floats(plain.values, want, 6, 0, 0, "values 1..6");
        nn_ok(gz.rows == 2 && gz.cols == 3 && memcmp(gz.values, plain.values, sizeof want) == 0,
              "the gzip'd copy reads the same");
    } else {
        nn_diag("%s", nn_last_error());
    }
    nn_table_free(&plain);
    nn_table_free(&gz);
    const char *p3 = write_text("commas.csv", " -1.5e2 , .25,3\n");
    if (nn_ok(nn_csv_read(p3, 0, &plain) == NN_OK, "a comma-separated row with spaces reads")) {
        static const float want[3] = {-150, 0.25f, 3};
        nn_is_close_floats(plain.values, want, 3, 0, 0, "-1.5e2, .25, 3");
    }
    nn_table_free(&plain);
}

static void test_fashion_real(void)
{
    const char *dir = getenv("NNLAB_DATA");
    if (!dir || !*dir)
        dir = NN_DEFAULT_FASHION_DIR;
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", dir);
    if (access(probe, R_OK) != 0) {
        nn_skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)",
                "the real Fashion-MNIST files");
        return;
    }
    nn_dataset ds;
    int counts[16];
    int status = nn_load_fashion_mnist(&ds, dir, 1, 0);
    if (nn_ok(status == NN_OK, "Fashion-MNIST training set loads from %s", dir)) {
        nn_ok(ds.n == 60000 && ds.d == 784 && ds.channels == 1 && ds.height == 28 && ds.width == 28,
              "60000 training images of 1x28x28");
        float lo = 1, hi = 0;
        for (size_t j = 0; j < (size_t)ds.n * 784; j++) {
            lo = ds.x[j] < lo ? ds.x[j] : lo;
            hi = ds.x[j] > hi ? ds.x[j] : hi;
        }
        nn_ok(lo == 0 && hi == 1, "pixels span exactly [0, 1] (got [%g, %g])", lo, hi);
        count_labels(&ds, counts);
        int all = 1;
        for (int k = 0; k < 10; k++)
            all &= counts[k] == 6000;
        nn_ok(all, "6000 training images of each class");
    } else {
        nn_diag("%s", nn_last_error());
    }
    nn_dataset_free(&ds);
    status = nn_load_fashion_mnist(&ds, dir, 0, 0);
    if (nn_ok(status == NN_OK, "Fashion-MNIST test set loads")) {
        count_labels(&ds, counts);
        int all = 1;
        for (int k = 0; k < 10; k++)
            all &= counts[k] == 1000;
        nn_ok(ds.n == 10000 && all, "10000 test images, 1000 of each class");
        nn_is_str(ds.name, "fashion-mnist-test", "the test set is named fashion-mnist-test");
    } else {
        nn_diag("%s", nn_last_error());
    }
    nn_dataset_free(&ds);
    status = nn_load_fashion_mnist(&ds, dir, 0, 100);
    nn_ok(status == NN_OK && ds.n == 100, "limit 100 keeps 100 test images");
    nn_dataset_free(&ds);
}

/* ---- Synthetic sets --------------------------------------------------------------- */

static void test_gates(void)
{
    static const char *const names[] = {"and", "or", "nand", "nor", "xor"};
    for (int g = 0; g < 5; g++) {
        nn_dataset ds;
        int status = nn_make_gate(&ds, names[g]);
        int ok = status == NN_OK && ds.n == 4 && ds.d == 2 && ds.n_classes == 2;
        for (int i = 0; ok && i < 4; i++) {
            int a = ds.x[2 * i] != 0, b = ds.x[2 * i + 1] != 0, want;
            ok &= (ds.x[2 * i] == 0 || ds.x[2 * i] == 1) && (ds.x[2 * i + 1] == 0 || ds.x[2 * i + 1] == 1);
            switch (g) {
            case 0: want = a && b; break;
            case 1: want = a || b; break;
            case 2: want = !(a && b); break;
            case 3: want = !(a || b); break;
            default: want = a != b; break;
            }
            ok &= ds.y[i] == want;
        }
        nn_ok(ok, "gate %s: 4 rows of 0/1 inputs, labels from C's own operator", names[g]);
        nn_dataset_free(&ds);
    }
    nn_dataset ds;
    int status = nn_make_gate(&ds, "not");
    nn_ok(status == NN_OK && ds.n == 2 && ds.d == 1 && ds.y[0] == !(int)ds.x[0] && ds.y[1] == !(int)ds.x[1] &&
          ds.x[0] != ds.x[1], "gate not: 2 rows, label = !input");
    nn_dataset_free(&ds);
    expect_error(nn_make_gate(&ds, "xnor"), "xnor", "unknown gate", "an unknown gate");
}

static int same_data(const nn_dataset *a, const nn_dataset *b)
{
    return a->n == b->n && a->d == b->d &&
           memcmp(a->x, b->x, (size_t)a->n * (size_t)a->d * sizeof *a->x) == 0 &&
           (!a->y || memcmp(a->y, b->y, (size_t)a->n * sizeof *a->y) == 0) &&
           (!a->t || memcmp(a->t, b->t, (size_t)a->n * sizeof *a->t) == 0);
}

static void test_playground(void)
{
    static const char *const kinds[] = {"circle", "xor", "gauss", "spiral"};
    enum { N = 400 };
    for (int k = 0; k < 4; k++) {
        nn_rng r1 = nn_rng_new(5), r2 = nn_rng_new(5), r3 = nn_rng_new(6);
        nn_dataset a, b, c;
        int status = nn_make_playground(&a, kinds[k], N, 0.2, &r1);
        nn_make_playground(&b, kinds[k], N, 0.2, &r2);
        nn_make_playground(&c, kinds[k], N, 0.2, &r3);
        if (!nn_ok(status == NN_OK && a.n == N && a.d == 2 && a.n_classes == 2, "%s: %d points of 2 features",
                   kinds[k], N)) {
            nn_diag("%s", nn_last_error());
            continue;
        }
        nn_ok(same_data(&a, &b), "%s: same seed, same points and labels", kinds[k]);
        nn_ok(!same_data(&a, &c), "%s: another seed, other points", kinds[k]);
        int ones = 0, finite = nn_all_finite(a.x, 2 * N), first_half_ones = 0;
        for (int i = 0; i < N; i++) {
            ones += a.y[i];
            first_half_ones += i < N / 2 && a.y[i];
        }
        /* Labels are balanced up to label noise (xor: up to sampling, about
         * +-20 points at one standard deviation). */
        nn_ok(finite && ones > N / 2 - 60 && ones < N / 2 + 60, "%s: %d of %d points in class 1",
              kinds[k], ones, N);
        nn_ok(first_half_ones > N / 4 - 50 && first_half_ones < N / 4 + 50,
              "%s: shuffled (%d class-1 points in the first half)", kinds[k], first_half_ones);
        nn_dataset_free(&a);
        nn_dataset_free(&b);
        nn_dataset_free(&c);
    }

    /* circle without noise: class 1 inside radius 2.5, class 0 in 3.5..5. */
    nn_rng rng = nn_rng_new(11);
    nn_dataset ds;
    nn_make_playground(&ds, "circle", N, 0, &rng);
    int separated = 1, ones = 0;
    double inner_max = 0, outer_min = 99, outer_max = 0;
    for (int i = 0; i < N; i++) {
        double r = hypot(ds.x[2 * i], ds.x[2 * i + 1]);
        ones += ds.y[i];
        if (ds.y[i] == 1)
            inner_max = r > inner_max ? r : inner_max;
        else {
            outer_min = r < outer_min ? r : outer_min;
            outer_max = r > outer_max ? r : outer_max;
        }
    }
    separated = inner_max < 2.5 && outer_min >= 3.5 - 1e-5 && outer_max <= 5 + 1e-5;
    nn_ok(separated && ones == N / 2, "circle, noise 0: class 1 has r < 2.5 (max %.3f), class 0 "
          "r in [3.5, 5] (%.3f..%.3f), %d each", inner_max, outer_min, outer_max, ones);
    nn_dataset_free(&ds);
    /* With noise the points stay put and labels near the gap flip. */
    nn_make_playground(&ds, "circle", N, 0.3, &rng);
    int flipped = 0;
    for (int i = 0; i < N; i++)
        flipped += (hypot(ds.x[2 * i], ds.x[2 * i + 1]) < 3) != ds.y[i];
    nn_ok(flipped > 0 && flipped < N / 2, "circle, noise 0.3: %d labels differ from the radius rule", flipped);
    nn_dataset_free(&ds);

    /* xor without noise: class 1 iff x y >= 0, points kept 0.3 off the axes. */
    nn_make_playground(&ds, "xor", N, 0, &rng);
    int ok = 1;
    for (int i = 0; i < N; i++) {
        float x = ds.x[2 * i], y = ds.x[2 * i + 1];
        ok &= ds.y[i] == (x * y >= 0) && fabsf(x) >= 0.3f && fabsf(y) >= 0.3f && fabsf(x) <= 5.3f &&
              fabsf(y) <= 5.3f;
    }
    nn_ok(ok, "xor, noise 0: label is [x y >= 0], 0.3 <= |x|, |y| <= 5.3");
    nn_dataset_free(&ds);

    /* gauss: centres (2, 2) and (-2, -2), variance 0.5 at noise 0, 4 at noise 0.5. */
    for (int level = 0; level < 2; level++) {
        double noise = level ? 0.5 : 0, variance = level ? 4 : 0.5;
        enum { M = 4000 };
        nn_make_playground(&ds, "gauss", M, noise, &rng);
        double sum[2][2] = {{0}}, sq[2] = {0};
        for (int i = 0; i < M; i++)
            for (int j = 0; j < 2; j++)
                sum[ds.y[i]][j] += ds.x[2 * i + j];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < 2; j++) {
                double dev = ds.x[2 * i + j] - (ds.y[i] ? 2 : -2);
                sq[ds.y[i]] += dev * dev;
            }
        double se = sqrt(variance / (M / 2));
        nn_is_close(sum[1][0] / (M / 2), 2, 0, 5 * se, "gauss, noise %g: class 1 mean x is 2", noise);
        nn_is_close(sum[0][1] / (M / 2), -2, 0, 5 * se, "gauss, noise %g: class 0 mean y is -2", noise);
        nn_is_close((sq[0] + sq[1]) / (2.0 * M), variance, 5 * sqrt(2.0 / (2 * M)), 0,
                    "gauss, noise %g: variance is %g", noise, variance);
        nn_dataset_free(&ds);
    }

    /* spiral without noise: the radii of each arm are 5 k / m, and the second
     * arm is the first turned by pi, i.e. every point's negation is in the set. */
    nn_make_playground(&ds, "spiral", 200, 0, &rng);
    int radii_ok = 1, mirrored = 1;
    for (int k = 0; k < 100; k++) {
        int found = 0;
        for (int i = 0; i < 200; i++)
            found += ds.y[i] == 1 && fabs(hypot(ds.x[2 * i], ds.x[2 * i + 1]) - 5.0 * k / 100) < 1e-5;
        radii_ok &= found == 1;
    }
    for (int i = 0; i < 200; i++) {
        if (ds.y[i] != 1)
            continue;
        int found = 0;
        for (int j = 0; j < 200; j++)
            found |= ds.y[j] == 0 && fabsf(ds.x[2 * j] + ds.x[2 * i]) < 1e-5f &&
                     fabsf(ds.x[2 * j + 1] + ds.x[2 * i + 1]) < 1e-5f;
        mirrored &= found;
    }
    nn_ok(radii_ok, "spiral, noise 0: arm 1 has one point at each radius 5 k / 100");
    nn_ok(mirrored, "spiral, noise 0: arm 2 is arm 1 turned by pi");
    nn_dataset_free(&ds);

    expect_error(nn_make_playground(&ds, "moons", 10, 0, &rng), "moons", "unknown Playground set",
                 "an unknown Playground set");
    expect_error(nn_make_playground(&ds, "circle", 10, 1.5, &rng), "circle", "noise 1.5",
                 "Playground noise out of range");
    expect_error(nn_make_playground(&ds, "circle", 1, 0, &rng), "circle", "1 points",
                 "Playground set of one point");
}

/* Solves the (m, m) system A z = v by Gaussian elimination with partial
 * pivoting, in double; A and v are overwritten. */
static void solve(double *A, double *v, int m)
{
    for (int c = 0; c < m; c++) {
        int pivot = c;
        for (int r = c + 1; r < m; r++)
            if (fabs(A[r * m + c]) > fabs(A[pivot * m + c]))
                pivot = r;
        for (int j = 0; j < m; j++) {
            double tmp = A[c * m + j];
            A[c * m + j] = A[pivot * m + j];
            A[pivot * m + j] = tmp;
        }
        double tmp = v[c];
        v[c] = v[pivot];
        v[pivot] = tmp;
        for (int r = c + 1; r < m; r++) {
            double f = A[r * m + c] / A[c * m + c];
            for (int j = c; j < m; j++)
                A[r * m + j] -= f * A[c * m + j];
            v[r] -= f * v[c];
        }
    }
    for (int r = m - 1; r >= 0; r--) {
        for (int j = r + 1; j < m; j++)
            v[r] -= A[r * m + j] * v[j];
        v[r] /= A[r * m + r];
    }
}

static void test_regression(void)
{
    enum { N = 4000, D = 3, M = D + 1 };
    for (int level = 0; level < 2; level++) {
        double noise = level ? 0.5 : 0;
        nn_rng rng = nn_rng_new(3), again = nn_rng_new(3);
        nn_dataset ds, ds2;
        float w[D], b, w2[D], b2;
        int status = nn_make_linear_regression(&ds, N, D, noise, &rng, w, &b);
        nn_make_linear_regression(&ds2, N, D, noise, &again, w2, &b2);
        if (!nn_ok(status == NN_OK && ds.n == N && ds.d == D && ds.t && !ds.y && ds.n_classes == 0,
                   "regression, noise %g: %d x %d with targets", noise, N, D))
            continue;
        nn_ok(same_data(&ds, &ds2) && memcmp(w, w2, sizeof w) == 0 && b == b2,
              "regression, noise %g: same seed, same data and truth", noise);
        /* Least squares with a bias column: (X^T X) z = X^T t, z = (w, b). */
        double A[M * M] = {0}, v[M] = {0};
        int in_range = 1;
        for (int i = 0; i < N; i++) {
            double row[M];
            for (int k = 0; k < D; k++) {
                row[k] = ds.x[i * D + k];
                in_range &= row[k] >= -1 && row[k] < 1;
            }
            row[D] = 1;
            for (int r = 0; r < M; r++) {
                v[r] += row[r] * ds.t[i];
                for (int c = 0; c < M; c++)
                    A[r * M + c] += row[r] * row[c];
            }
        }
        solve(A, v, M);
        nn_ok(in_range, "regression: x in [-1, 1)");
        /* Standard error of each weight: noise / sqrt(N var(x)), var(x) = 1/3;
         * without noise only float rounding of the targets remains. */
        double tol = level ? 5 * noise / sqrt(N / 3.0) : 1e-5;
        double want[M];
        for (int k = 0; k < D; k++)
            want[k] = w[k];
        want[D] = b;
        nn_is_close_doubles(v, want, M, 0, tol, "regression, noise %g: least squares recovers (w, b)", noise);
        if (level) {
            double ss = 0;
            for (int i = 0; i < N; i++) {
                double fit = v[D];
                for (int k = 0; k < D; k++)
                    fit += v[k] * ds.x[i * D + k];
                ss += (ds.t[i] - fit) * (ds.t[i] - fit);
            }
            nn_is_close(sqrt(ss / (N - M)), noise, 5 / sqrt(2.0 * N), 0,
                        "regression: the residual standard deviation is the noise %g", noise);
        }
        nn_dataset_free(&ds);
        nn_dataset_free(&ds2);
    }
    nn_dataset ds;
    nn_rng rng = nn_rng_new(1);
    expect_error(nn_make_linear_regression(&ds, 0, 3, 0.1, &rng, NULL, NULL), "linear regression",
                 "not a possible size", "regression with n = 0");
}

static void test_toy_images(void)
{
    enum { N = 400, S = 8 };
    nn_rng rng = nn_rng_new(9), again = nn_rng_new(9);
    nn_dataset ds, ds2;
    int status = nn_make_toy_images(&ds, N, S, 0, &rng);
    nn_make_toy_images(&ds2, N, S, 0, &again);
    if (!nn_ok(status == NN_OK && ds.n == N && ds.d == S * S && ds.channels == 1 && ds.height == S &&
               ds.width == S && ds.n_classes == 4, "toy images: %d of 1x%dx%d, 4 classes", N, S, S))
        return;
    nn_ok(same_data(&ds, &ds2), "toy images: same seed, same images");
    int counts[16];
    count_labels(&ds, counts);
    nn_ok(counts[0] == N / 4 && counts[1] == N / 4 && counts[2] == N / 4 && counts[3] == N / 4,
          "toy images: %d of each class", N / 4);
    /* Noise 0: check each image's shape from its lit pixels alone. */
    int shape_ok[4] = {1, 1, 1, 1};
    for (int i = 0; i < N; i++) {
        const float *img = ds.x + i * S * S;
        int lit = 0, rows[S] = {0}, cols[S] = {0}, diag[2 * S] = {0}, anti[2 * S] = {0}, binary = 1;
        for (int r = 0; r < S; r++)
            for (int c = 0; c < S; c++) {
                binary &= img[r * S + c] == 0 || img[r * S + c] == 1;
                if (img[r * S + c] == 1) {
                    lit++;
                    rows[r]++;
                    cols[c]++;
                    diag[r - c + S]++;
                    anti[r + c]++;
                }
            }
        int used_rows = 0, used_cols = 0, max_diag = 0, max_anti = 0;
        for (int k = 0; k < S; k++) {
            used_rows += rows[k] > 0;
            used_cols += cols[k] > 0;
        }
        for (int k = 0; k < 2 * S; k++) {
            max_diag = diag[k] > max_diag ? diag[k] : max_diag;
            max_anti = anti[k] > max_anti ? anti[k] : max_anti;
        }
        int y = ds.y[i], ok = binary && lit >= S / 2;
        if (y == 0)
            ok &= used_cols == 1 && used_rows == lit;
        else if (y == 1)
            ok &= used_rows == 1 && used_cols == lit;
        else if (y == 2)
            ok &= max_diag == lit || max_anti == lit;
        else   /* an outline of side s: 4 (s - 1) pixels in s rows and s columns */
            ok &= used_rows == used_cols && used_rows >= 3 && lit == 4 * (used_rows - 1);
        shape_ok[y] &= ok;
    }
    nn_ok(shape_ok[0], "toy images, noise 0: every vertical bar lies in one column");
    nn_ok(shape_ok[1], "toy images, noise 0: every horizontal bar lies in one row");
    nn_ok(shape_ok[2], "toy images, noise 0: every diagonal lies on one diagonal");
    nn_ok(shape_ok[3], "toy images, noise 0: every square is an outline of 4 (s - 1) pixels");
    nn_dataset_free(&ds);
    nn_dataset_free(&ds2);

    nn_make_toy_images(&ds, N, S, 0.2, &rng);
    float lo = 1, hi = 0;
    int grey = 0;
    for (int j = 0; j < N * S * S; j++) {
        lo = ds.x[j] < lo ? ds.x[j] : lo;
        hi = ds.x[j] > hi ? ds.x[j] : hi;
        grey += ds.x[j] > 0 && ds.x[j] < 1;
    }
    nn_ok(lo >= 0 && hi <= 1 && grey > N * S * S / 4, "toy images, noise 0.2: pixels in [0, 1], %d grey", grey);
    nn_dataset_free(&ds);
    expect_error(nn_make_toy_images(&ds, 10, 3, 0, &rng), "toy images", "size 3", "toy images of 3x3");
}

static void test_working_with_sets(void)
{
    nn_dataset iris, a, b, a2, b2;
    if (nn_load_iris(&iris, NULL) != NN_OK) {
        nn_skip("iris.csv did not load", "splitting and standardizing iris");
        return;
    }
    nn_rng rng = nn_rng_new(4), again = nn_rng_new(4);
    int status = nn_split(&iris, 0.8, &rng, &a, &b);
    nn_split(&iris, 0.8, &again, &a2, &b2);
    nn_ok(status == NN_OK && a.n == 120 && b.n == 30 && a.d == 4 && b.n_classes == 3,
          "split 0.8 of 150 gives 120 and 30");
    nn_ok(same_data(&a, &a2) && same_data(&b, &b2), "split: same seed, same split");
    /* Together the halves hold exactly the original examples: the class counts
     * and the feature sums agree. */
    int counts[16], ca[16], cb[16];
    count_labels(&iris, counts);
    count_labels(&a, ca);
    count_labels(&b, cb);
    double sum = 0, sum_ab = 0;
    for (int j = 0; j < 150 * 4; j++)
        sum += iris.x[j];
    for (int j = 0; j < 120 * 4; j++)
        sum_ab += a.x[j];
    for (int j = 0; j < 30 * 4; j++)
        sum_ab += b.x[j];
    nn_ok(ca[0] + cb[0] == counts[0] && ca[1] + cb[1] == counts[1] && ca[2] + cb[2] == counts[2],
          "split: class counts add up (%d %d %d in the first part)", ca[0], ca[1], ca[2]);
    int moved = 0;
    for (int i = 0; i < a.n; i++)
        moved += a.y[i] != iris.y[i];
    nn_ok(moved > 0, "split: the examples are shuffled (iris is sorted by class)");
    nn_is_close(sum_ab, sum, 1e-9, 0, "split: feature sums add up");

    /* Standardize with the training part's statistics. */
    double mean0 = 0, var0 = 0;
    for (int i = 0; i < a.n; i++)
        mean0 += a.x[i * 4];
    mean0 /= a.n;
    for (int i = 0; i < a.n; i++)
        var0 += (a.x[i * 4] - mean0) * (a.x[i * 4] - mean0);
    double std0 = sqrt(var0 / a.n), want_b0 = (b.x[0] - mean0) / std0;
    nn_standardize(&a, &a, &b);
    double m[4] = {0}, v[4] = {0};
    for (int i = 0; i < a.n; i++)
        for (int j = 0; j < 4; j++) {
            m[j] += a.x[i * 4 + j] / a.n;
            v[j] += a.x[i * 4 + j] * a.x[i * 4 + j] / a.n;
        }
    static const double zeros[4] = {0, 0, 0, 0}, ones[4] = {1, 1, 1, 1};
    nn_is_close_doubles(m, zeros, 4, 0, 1e-5, "standardize: training features have mean 0");
    nn_is_close_doubles(v, ones, 4, 1e-5, 0, "standardize: training features have variance 1");
    nn_is_close(b.x[0], want_b0, 1e-5, 1e-6, "standardize: the test part uses the training mean and std");
    nn_dataset_free(&a);
    nn_dataset_free(&b);
    nn_dataset_free(&a2);
    nn_dataset_free(&b2);
    nn_rng bad = nn_rng_new(1);
    expect_error(nn_split(&iris, 1.5, &bad, &a, &b), "iris", "fraction 1.5", "split fraction 1.5");

    /* A constant feature (the gate's... here a column of 3s) stays finite. */
    nn_dataset flat;
    nn_make_gate(&flat, "and");
    for (int i = 0; i < 4; i++)
        flat.x[2 * i] = 3;
    nn_standardize(&flat, &flat, NULL);
    nn_ok(flat.x[0] == 0 && flat.x[6] == 0 && nn_all_finite(flat.x, 8), "standardize: a constant feature becomes 0, not NaN");
    nn_dataset_free(&flat);

    /* Keep versicolor and virginica, relabelled 0 and 1. */
    status = nn_keep_two_classes(&iris, 1, 2);
    count_labels(&iris, counts);
    nn_ok(status == NN_OK && iris.n == 100 && iris.n_classes == 2 && counts[0] == 50 && counts[1] == 50,
          "keep classes 1 and 2 of iris: 100 examples, 50 of each");
    nn_is_close(iris.x[0], 7.0, 1e-6, 0, "the first kept example is iris row 51 (7.0, versicolor)");
    nn_ok(strcmp(iris.class_names[0], "versicolor") == 0 && strcmp(iris.class_names[1], "virginica") == 0,
          "the kept classes keep their names");
    expect_error(nn_keep_two_classes(&iris, 0, 2), "iris", "cannot keep classes 0 and 2",
                 "keeping a class that no longer exists");
    nn_dataset_free(&iris);
}

int main(void)
{
    nn_tap_timeout(60);
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/nnlab-test-data-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir))
        nn_tap_bail_out("cannot make a temporary directory %s", tmpdir);
    unsetenv("NNLAB_DATA_DIR");

    test_bad_csv();
    test_gzip_bomb_csv();
    test_csv_bom();
    test_bad_sklearn();
    test_bad_idx();
    test_bad_fashion();
    test_csv_good();
    test_shipped();
    test_fashion_real();
    test_gates();
    test_playground();
    test_regression();
    test_toy_images();
    test_working_with_sets();

    for (int i = 0; i < n_made; i++)
        remove(made[i]);
    if (rmdir(tmpdir) != 0)
        nn_diag("could not remove %s", tmpdir);
    return nn_tap_done();
}
