/* test-ch02-torch.c: chapter 2's networks against PyTorch.
 *
 * tests/ch02/torch_reference.py (committed, run by hand with
 * /usr/bin/python3) wrote tests/ch02/torch_reference.txt (committed): small
 * MLPs with fixed weights, their mean loss over a batch and every weight and
 * bias gradient, in float64.  This test rebuilds each network twice, as the
 * chapter's didactic double-precision slow_mlp and as its library-based float
 * mlp, and compares the loss and all gradients with PyTorch's.
 *
 * The chapter's functions are static in a program with a main(): we include
 * its source with NN_CHAPTER_NO_MAIN defined, which compiles everything but
 * main, so the test calls exactly the code the chapter runs. */
#define NN_CHAPTER_NO_MAIN
/* Without main, most of the chapter's static functions go unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../../chapters/02-backprop/ch02-backprop.c"

/* Double vs float64 with the same formulas: only the order of the sums
 * differs, so agreement to ~1e-15 relative; 1e-10 leaves room. */
#define DIDACTIC_RTOL 1e-10
#define DIDACTIC_ATOL 1e-13
/* The library computes in float (24-bit mantissa) over sums of <= 5 terms. */
#define LIBRARY_RTOL 2e-5
#define LIBRARY_ATOL 2e-6

typedef struct {
    char name[64], activation[32], head[32];
    int L, n[MAX_LAYERS + 1], batch;
    double *x, *y, *t, *W[MAX_LAYERS + 1], *b[MAX_LAYERS + 1];
    double loss, *dW[MAX_LAYERS + 1], *db[MAX_LAYERS + 1];
} reference_case;

/* Reads "NAME COUNT v..." expecting NAME and COUNT values; NULL on mismatch. */
static double *read_array(FILE *f, const char *want, size_t count)
{
    char name[64];
    size_t got;
    if (fscanf(f, "%63s %zu", name, &got) != 2 || strcmp(name, want) != 0 || got != count) {
        nn_diag("reference file: expected %s with %zu values", want, count);
        return NULL;
    }
    double *v = nn_doubles(count);
    for (size_t i = 0; i < count; i++)
        if (fscanf(f, "%lf", &v[i]) != 1) {
            free(v);
            return NULL;
        }
    return v;
}

/* 1 on success, 0 at the end of the file; bails out on a malformed file. */
static int read_case(FILE *f, reference_case *c)
{
    char word[64];
    memset(c, 0, sizeof *c);
    if (fscanf(f, "%63s", word) != 1)
        return 0;
    if (strcmp(word, "case") != 0 || fscanf(f, "%63s", c->name) != 1 ||
        fscanf(f, " layers %d", &c->L) != 1 || c->L < 1 || c->L > MAX_LAYERS)
        nn_tap_bail_out("torch_reference.txt: malformed case header near '%s'", word);
    for (int l = 0; l <= c->L; l++)
        if (fscanf(f, "%d", &c->n[l]) != 1 || c->n[l] < 1)
            nn_tap_bail_out("torch_reference.txt: %s: bad layer sizes", c->name);
    if (fscanf(f, " activation %31s head %31s batch %d", c->activation, c->head, &c->batch) != 3)
        nn_tap_bail_out("torch_reference.txt: %s: bad activation/head/batch lines", c->name);
    int ok = (c->x = read_array(f, "x", (size_t)c->batch * c->n[0])) != NULL;
    if (ok && strcmp(c->head, "squared") == 0)
        ok = (c->t = read_array(f, "t", (size_t)c->batch)) != NULL;
    else if (ok)
        ok = (c->y = read_array(f, "y", (size_t)c->batch)) != NULL;
    char name[16];
    for (int l = 1; ok && l <= c->L; l++) {
        snprintf(name, sizeof name, "W%d", l);
        ok = (c->W[l] = read_array(f, name, (size_t)c->n[l] * c->n[l - 1])) != NULL;
        snprintf(name, sizeof name, "b%d", l);
        ok = ok && (c->b[l] = read_array(f, name, (size_t)c->n[l])) != NULL;
    }
    double *loss = ok ? read_array(f, "loss", 1) : NULL;
    if (loss) {
        c->loss = loss[0];
        free(loss);
    }
    ok = ok && loss;
    for (int l = 1; ok && l <= c->L; l++) {
        snprintf(name, sizeof name, "dW%d", l);
        ok = (c->dW[l] = read_array(f, name, (size_t)c->n[l] * c->n[l - 1])) != NULL;
        snprintf(name, sizeof name, "db%d", l);
        ok = ok && (c->db[l] = read_array(f, name, (size_t)c->n[l])) != NULL;
    }
    if (!ok || fscanf(f, "%63s", word) != 1 || strcmp(word, "end") != 0)
        nn_tap_bail_out("torch_reference.txt: case %s is malformed or truncated", c->name);
    return 1;
}

static void free_case(reference_case *c)
{
    free(c->x);
    free(c->y);
    free(c->t);
    for (int l = 1; l <= c->L; l++) {
        free(c->W[l]);
        free(c->b[l]);
        free(c->dW[l]);
        free(c->db[l]);
    }
}

static void check_case(const reference_case *c)
{
    nn_activation act;
    if (nn_act_parse(c->activation, &act) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    head_kind head = strcmp(c->head, "softmax") == 0   ? HEAD_SOFTMAX
                     : strcmp(c->head, "sigmoid") == 0 ? HEAD_SIGMOID
                                                       : HEAD_SQUARED;
    int B = c->batch, *labels = nn_calloc((size_t)B, sizeof *labels);
    float *xf = nn_floats((size_t)B * c->n[0]), *tf = nn_floats((size_t)B);
    for (int i = 0; i < B; i++) {
        labels[i] = c->y ? (int)c->y[i] : 0;
        tf[i] = c->t ? (float)c->t[i] : 0;
    }
    for (int i = 0; i < B * c->n[0]; i++)
        xf[i] = (float)c->x[i];

    /* The didactic network, in double. */
    slow_mlp slow;
    slow_mlp_init(&slow, c->L, c->n, act, head);
    for (int l = 1; l <= c->L; l++) {
        memcpy(slow.W[l], c->W[l], sizeof(double) * (size_t)c->n[l] * c->n[l - 1]);
        memcpy(slow.b[l], c->b[l], sizeof(double) * (size_t)c->n[l]);
    }
    double loss = slow_mlp_loss_grad(&slow, c->x, c->y ? labels : NULL, c->t, B);
    nn_is_close(loss, c->loss, DIDACTIC_RTOL, DIDACTIC_ATOL, "%s: didactic loss = torch's", c->name);
    for (int l = 1; l <= c->L; l++) {
        nn_is_close_doubles(slow.dW[l], c->dW[l], (size_t)c->n[l] * c->n[l - 1], DIDACTIC_RTOL,
                            DIDACTIC_ATOL, "%s: didactic dL/dW%d = torch's", c->name, l);
        nn_is_close_doubles(slow.db[l], c->db[l], (size_t)c->n[l], DIDACTIC_RTOL, DIDACTIC_ATOL,
                            "%s: didactic dL/db%d = torch's", c->name, l);
    }

    /* The library network, in float. */
    mlp fast;
    mlp_init(&fast, c->L, c->n, act, head, B);
    for (int l = 1; l <= c->L; l++) {
        for (int i = 0; i < c->n[l] * c->n[l - 1]; i++)
            fast.W[l][i] = (float)c->W[l][i];
        for (int j = 0; j < c->n[l]; j++)
            fast.b[l][j] = (float)c->b[l][j];
    }
    nn_zero(fast.grads, fast.n_params);
    mlp_forward(&fast, xf, B);
    loss = mlp_loss(&fast, labels, tf, B);
    mlp_backward(&fast, labels, tf, B);
    nn_is_close(loss, c->loss, LIBRARY_RTOL, LIBRARY_ATOL, "%s: library loss = torch's", c->name);
    for (int l = 1; l <= c->L; l++) {
        size_t count = (size_t)c->n[l] * c->n[l - 1];
        double *dW = nn_doubles(count), *db = nn_doubles((size_t)c->n[l]);
        for (size_t i = 0; i < count; i++)
            dW[i] = fast.dW[l][i];
        for (int j = 0; j < c->n[l]; j++)
            db[j] = fast.db[l][j];
        nn_is_close_doubles(dW, c->dW[l], count, LIBRARY_RTOL, LIBRARY_ATOL,
                            "%s: library dL/dW%d = torch's", c->name, l);
        nn_is_close_doubles(db, c->db[l], (size_t)c->n[l], LIBRARY_RTOL, LIBRARY_ATOL,
                            "%s: library dL/db%d = torch's", c->name, l);
        free(dW);
        free(db);
    }
    mlp_free(&fast);
    slow_mlp_free(&slow);
    free(labels);
    free(xf);
    free(tf);
}

int main(void)
{
    nn_tap_timeout(60);
    const char *top = getenv("top_srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/ch02/torch_reference.txt", top && *top ? top : NNLAB_SRCDIR);
    FILE *f = fopen(path, "r");
    if (!f)
        nn_tap_bail_out("%s: cannot open the reference values (re-run "
                        "/usr/bin/python3 tests/ch02/torch_reference.py)", path);
    char header[512];
    if (!fgets(header, sizeof header, f) || header[0] != '#')
        nn_tap_bail_out("%s: missing the header line", path);
    reference_case c;
    int cases = 0;
    while (read_case(f, &c)) {
        check_case(&c);
        free_case(&c);
        cases++;
    }
    fclose(f);
    nn_is_int(cases, 5, "the reference file holds the 5 cases of torch_reference.py");
    return nn_tap_done();
}
