/* nn_data.h: data sets: readers for real data, generators for synthetic data.
 *
 * Every set is an nn_dataset: n examples of d features in one row-major
 * (n, d) float array, with integer class labels (classification) or float
 * targets (regression).  Images are stored flattened, (n, C*H*W) in NCHW
 * order, with their shape in channels/height/width.
 *
 * Readers never crash on bad input: a missing, truncated, empty or malformed
 * file makes them return NN_ERR with a message (nn_last_error) that names the
 * file, the problem and the fix; programs print it with nn_die_last().
 * Every nn_dataset a function fills is freed with nn_dataset_free (also after
 * an error, when it is left empty). */
#ifndef NN_DATA_H
#define NN_DATA_H

#include <stddef.h>

#include "nn_cli.h"
#include "nn_rng.h"

typedef struct {
    char name[64];        /* "iris", "fashion-mnist-train", "circle", ... */
    int n;                /* examples */
    int d;                /* features per example */
    float *x;             /* (n, d) */
    int *y;               /* (n) class labels 0..n_classes-1, or NULL */
    float *t;             /* (n) regression targets, or NULL */
    int n_classes;        /* 0 for regression */
    char class_names[16][32];          /* where the source names them */
    int channels, height, width;       /* for images, else 0 */
} nn_dataset;

void nn_dataset_free(nn_dataset *ds);

/* ---- CSV ----------------------------------------------------------------
 * A numeric table: separators ',' or whitespace, '#' comments and blank
 * lines ignored, plain or gzip'd (read through zlib, chosen by content, not
 * name).  skip_lines leading lines are skipped (headers).  Errors: missing
 * file, empty file, a non-numeric field (line and column named), a ragged row
 * (its width vs the first row's). */
typedef struct {
    int rows, cols;
    float *values;        /* (rows, cols) */
} nn_table;
int nn_csv_read(const char *path, int skip_lines, nn_table *table);
void nn_table_free(nn_table *table);

/* ---- The tabular sets shipped in data/ ------------------------------------
 * The CSV copies of Debian's python3-sklearn (sklearn/datasets/data).
 * iris, breast_cancer: first line "n_samples,n_features,class names...",
 * then rows of features and the label; the header's sizes are checked
 * against the rows ("a header that lies about the size" is an error).
 * digits: 1797 rows of 64 pixel values (0..16) and the label, gzip'd.
 * diabetes: 442 rows of 10 features (whitespace) plus a separate target file.
 * dir is the data/ directory (NULL: nn_data_dir()).  Values are as in the
 * files: iris in cm, digits' pixels 0..16 (images 1x8x8), diabetes in raw
 * units (sex is 1 or 2), not sklearn's scaled version.  data/README.md gives
 * each set's origin, columns and licence. */
/* $NNLAB_DATA_DIR if set, else NNLAB_SRCDIR "/data" (the source tree's,
 * fixed at compile time; read-only is fine). */
const char *nn_data_dir(void);
int nn_load_iris(nn_dataset *ds, const char *dir);
int nn_load_breast_cancer(nn_dataset *ds, const char *dir);
int nn_load_digits(nn_dataset *ds, const char *dir);
int nn_load_diabetes(nn_dataset *ds, const char *dir);
/* The sklearn layout from any path (used by the loaders above and tests). */
int nn_load_sklearn_csv(nn_dataset *ds, const char *path, const char *name);

/* ---- IDX (MNIST, Fashion-MNIST) --------------------------------------------
 * Big-endian header: magic 0x0000 08 NDIM (unsigned bytes), then NDIM sizes,
 * then the bytes.  Plain or gzip'd.  Errors: wrong magic, wrong number of
 * dimensions, sizes that do not match the data (truncated or too long). */
typedef struct {
    int ndim;
    int dims[4];
    size_t count;         /* product of dims */
    unsigned char *bytes;
} nn_idx;
int nn_idx_read(const char *path, nn_idx *idx);
void nn_idx_free(nn_idx *idx);

/* Fashion-MNIST from dir (NULL: $NNLAB_DATA, else NN_DEFAULT_FASHION_DIR):
 * {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz (or without .gz).
 * train: 60000, test: 10000 examples of 1x28x28, pixels x = byte / 255 in
 * [0, 1], labels 0..9.  limit > 0 keeps the first limit examples.  The two
 * files must agree in count.  Missing files: the message says to install
 * dataset-fashion-mnist or pass --data DIR / set NNLAB_DATA. */
int nn_load_fashion_mnist(nn_dataset *ds, const char *dir, int train, int limit);
extern const char *const nn_fashion_class_names[10];

/* Fashion-MNIST for a chapter program, under the kit's one rule
 * (DESIGN-DECISIONS.md, "Missing data falls back, broken data stops"):
 *   - it loads: returns 1.
 *   - --data DIR named the directory: anything wrong (missing, truncated,
 *     damaged, a directory in a file's place) prints the message and exits 1.
 *   - the directory is the default one ($NNLAB_DATA, else Debian's) and holds
 *     none of the set's four files: the set is not installed.  A note goes to
 *     stderr, also under --quiet, naming the directory, how to install the
 *     set and `instead` (what the chapter does without it); returns 0 and the
 *     chapter goes on without it.
 *   - the default directory holds some of the files but they do not load
 *     (a broken or half-finished installation): the message, exit 1.
 * train and limit as for nn_load_fashion_mnist. */
int nn_chapter_fashion_mnist(nn_dataset *ds, const nn_common *common, int train, int limit,
                             const char *instead);

/* ---- Synthetic sets --------------------------------------------------------- */
/* Truth tables of logic gates: "and", "or", "nand", "nor", "xor" (2 inputs,
 * 4 rows) and "not" (1 input, 2 rows); inputs 0/1, labels 0/1. */
int nn_make_gate(nn_dataset *ds, const char *gate);
/* TensorFlow Playground's four classification sets, 2 features, labels 0/1:
 * "circle", "xor", "gauss", "spiral"; n points, noise in [0, 1] as the
 * Playground's slider (0..50%) / 100.  Class 1 is the Playground's +1 (blue):
 * the inner disc of circle, the quadrants where x y >= 0 of xor, the
 * Gaussian at (2, 2), the first spiral arm.  Generators are in data.c. */
int nn_make_playground(nn_dataset *ds, const char *kind, int n, double noise, nn_rng *rng);
/* Linear regression with a known truth: x ~ U[-1, 1]^d,
 * t = w_true . x + b_true + noise * N(0, 1), with w_true, b_true drawn from
 * N(0, 1) and returned (w_true has d entries). */
int nn_make_linear_regression(nn_dataset *ds, int n, int d, double noise, nn_rng *rng,
                              float *w_true, float *b_true);
/* Small toy images, 1 x size x size, four classes: vertical bar, horizontal
 * bar, diagonal, square outline, at random positions, with pixel noise. */
int nn_make_toy_images(nn_dataset *ds, int n, int size, double noise, nn_rng *rng);

/* ---- Working with sets -------------------------------------------------------- */
/* Shuffle, then the first round(fraction n) examples to a, the rest to b
 * (new sets; ds is unchanged).  fraction in [0, 1]. */
int nn_split(const nn_dataset *ds, double fraction, nn_rng *rng, nn_dataset *a, nn_dataset *b);
/* Keep only the examples of two classes, in place, relabelled 0 (class0) and
 * 1 (class1), with their names. */
int nn_keep_two_classes(nn_dataset *ds, int class0, int class1);
/* z-score every feature with the mean and std of `fit` (std 0 -> 1), applied to
 * each of the others (any may be NULL). */
void nn_standardize(const nn_dataset *fit, nn_dataset *a, nn_dataset *b);

#endif
