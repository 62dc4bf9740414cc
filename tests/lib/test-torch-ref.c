/* test-torch-ref.c: activations, losses and the dense layer against the
 * values PyTorch computed in float64 for the same inputs.
 *
 * The reference file tests/ref/lib_reference.txt is written by the committed
 * script tests/ref/lib_reference.py (see its header for the format).  Inputs
 * come from that file too, so the two sides see identical numbers.  Each
 * tensor is compared with its own tolerance, named next to the comparison
 * with the reason for its size. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

#define REF_FILE "tests/ref/lib_reference.txt"
#define REGENERATE "regenerate it with: /usr/bin/python3 tests/ref/lib_reference.py"

enum { MAX_TENSORS = 64 };

typedef struct {
    char name[64];
    int ndim;
    int shape[NN_MAX_DIMS];
    size_t size;
    float *f;     /* the values as float (inputs for nnlab) */
    double *d;    /* the values as printed (references) */
} ref_tensor;

static ref_tensor refs[MAX_TENSORS];
static int n_refs;

/* Reads the whole file; any malformed line ends the test with "Bail out!". */
static void load_reference(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        nn_tap_bail_out("cannot open %s: %s; " REGENERATE, path, strerror(errno));
    char header[256];
    while (fgets(header, sizeof header, f)) {
        if (header[0] == '#' || header[0] == '\n')
            continue;
        if (n_refs == MAX_TENSORS)
            nn_tap_bail_out("%s holds more than %d tensors", path, MAX_TENSORS);
        ref_tensor *t = &refs[n_refs];
        int used = 0;
        if (sscanf(header, "%63s %d%n", t->name, &t->ndim, &used) != 2 || t->ndim < 0 || t->ndim > NN_MAX_DIMS)
            nn_tap_bail_out("%s: malformed tensor header '%s'; " REGENERATE, path, header);
        t->size = 1;
        for (int k = 0; k < t->ndim; k++) {
            int more = 0;
            if (sscanf(header + used, "%d%n", &t->shape[k], &more) != 1 || t->shape[k] < 0)
                nn_tap_bail_out("%s: tensor %s: bad shape; " REGENERATE, path, t->name);
            used += more;
            t->size *= (size_t)t->shape[k];
        }
        t->f = nn_floats(t->size);
        t->d = nn_doubles(t->size);
        for (size_t i = 0; i < t->size; i++) {
            if (fscanf(f, "%lf", &t->d[i]) != 1)
                nn_tap_bail_out("%s: tensor %s: expected %zu values, found %zu; " REGENERATE, path, t->name,
                                t->size, i);
            t->f[i] = (float)t->d[i];
        }
        int c;
        while ((c = fgetc(f)) != '\n' && c != EOF)
            if (c != ' ')
                nn_tap_bail_out("%s: tensor %s: more values than its shape holds; " REGENERATE, path, t->name);
        n_refs++;
    }
    fclose(f);
}

/* The tensor called name, which must have n values. */
static const ref_tensor *ref(const char *name, size_t n)
{
    for (int i = 0; i < n_refs; i++)
        if (strcmp(refs[i].name, name) == 0) {
            if (refs[i].size != n)
                nn_tap_bail_out("%s: tensor %s has %zu values, the test expects %zu; " REGENERATE, REF_FILE,
                                name, refs[i].size, n);
            return &refs[i];
        }
    nn_tap_bail_out("%s has no tensor %s; " REGENERATE, REF_FILE, name);
}

/* Compares n floats computed by nnlab with the reference called name. */
static void compare(const char *name, const float *got, size_t n, double rtol, double atol)
{
    const ref_tensor *want = ref(name, n);
    double *g = nn_doubles(n);
    for (size_t i = 0; i < n; i++)
        g[i] = got[i];
    nn_is_close_doubles(g, want->d, n, rtol, atol, "%s matches PyTorch (rtol %g, atol %g)", name, rtol, atol);
    free(g);
}

static void compare_scalar(const char *name, double got, double rtol)
{
    nn_is_close(got, ref(name, 1)->d[0], rtol, 0, "%s matches PyTorch (rtol %g)", name, rtol);
}

int main(void)
{
    nn_tap_timeout(10);
    const char *top = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", top && *top ? top : NNLAB_SRCDIR, REF_FILE);
    load_reference(path);
    nn_diag("reference: %s (%d tensors)", path, n_refs);

    /* ---- Activations ------------------------------------------------------
     * Values: nnlab evaluates in double and rounds to float, PyTorch's value
     * is printed to 9 digits: within 2 float ulps (2.4e-7 relative); zeros
     * (relu of negatives, sigmoid(-1000)) must be exact.
     * Gradients: sigmoid, tanh and elu use the saved float output a, and
     * 1 - a or 1 - a^2 cancels digits as a -> 1: the absolute error is a few
     * float ulps of 1 times |g| <= 2, so atol 5e-7 (tanh'(6) = 2.5e-5 is then
     * known to 2%; that is the price of the cheaper saved-output formula). */
    {
        const ref_tensor *z = ref("act.z", 13), *g = ref("act.g", 13);
        for (int act = 0; act < NN_ACT_COUNT; act++) {
            nn_activation f = (nn_activation)act;
            float a[13], d_in[13] = {0};
            char name[64];
            nn_act_forward(f, a, z->f, 13);
            nn_act_backward(f, d_in, g->f, z->f, a, 13);
            snprintf(name, sizeof name, "act.%s.out", nn_act_name(f));
            compare(name, a, 13, 2.4e-7, 0);
            snprintf(name, sizeof name, "act.%s.grad", nn_act_name(f));
            compare(name, d_in, 13, 1e-6, 5e-7);
        }
    }

    /* ---- Losses ------------------------------------------------------------
     * Loss values are accumulated in double from the same float inputs:
     * equal up to the 9 printed digits, rtol 1e-8.  Gradients are rounded to
     * float: rtol 1e-6 with atol 1e-9 for entries that are ~0. */
    {
        const ref_tensor *p = ref("mse.pred", 6), *t = ref("mse.target", 6);
        float d[6] = {0};
        compare_scalar("mse.loss", nn_mse_forward(p->f, t->f, 6), 1e-8);
        nn_mse_backward(d, p->f, t->f, 6);
        compare("mse.grad", d, 6, 1e-6, 1e-9);
    }
    {
        const ref_tensor *z = ref("bce.logits", 10), *y = ref("bce.target", 10);
        float d[10] = {0};
        compare_scalar("bce.loss", nn_bce_logits_forward(z->f, y->f, 10), 1e-8);
        nn_bce_logits_backward(d, z->f, y->f, 10);
        compare("bce.grad", d, 10, 1e-6, 1e-9);
    }
    {
        const ref_tensor *z = ref("xent.logits", 20), *lab = ref("xent.labels", 4);
        int labels[4];
        for (int b = 0; b < 4; b++)
            labels[b] = (int)lab->d[b];
        float probs[20], d[20] = {0};
        compare_scalar("xent.loss", nn_softmax_xent_forward(probs, z->f, labels, 4, 5), 1e-8);
        /* Probabilities are float: rtol 1e-6; the smallest (e^-11 ~ 1.7e-5 in
         * the last row) still has 6 good digits. */
        compare("xent.probs", probs, 20, 1e-6, 1e-12);
        nn_softmax_xent_backward(d, probs, labels, 4, 5);
        compare("xent.grad", d, 20, 1e-6, 1e-9);
    }

    /* ---- Dense layer: nn.Linear(4, 5) on a batch of 3 ----------------------
     * Sums of 3 to 5 float products of values ~1: a few ulps of the largest
     * term, so rtol 1e-6 plus atol 1e-6 where terms cancel. */
    {
        const ref_tensor *in = ref("dense.in", 12), *W = ref("dense.W", 20), *b = ref("dense.b", 5),
                         *d_out = ref("dense.d_out", 15);
        float out[15], dW[20] = {0}, db[5] = {0}, d_in[12] = {0};
        nn_dense_forward(out, in->f, W->f, b->f, 3, 4, 5);
        compare("dense.out", out, 15, 1e-6, 1e-6);
        nn_dense_backward(d_in, dW, db, d_out->f, in->f, W->f, 3, 4, 5);
        compare("dense.dW", dW, 20, 1e-6, 1e-6);
        compare("dense.db", db, 5, 1e-6, 1e-6);
        compare("dense.d_in", d_in, 12, 1e-6, 1e-6);
    }

    for (int i = 0; i < n_refs; i++) {
        free(refs[i].f);
        free(refs[i].d);
    }
    return nn_tap_done();
}
