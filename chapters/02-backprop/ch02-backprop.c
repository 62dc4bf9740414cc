/* Chapter 2: the multilayer perceptron, trained by backpropagation
 * ================================================================
 *
 * Chapter 1 ended with a single unit that cannot compute XOR.  Stacking
 * units in layers removes that limit; what makes the stack trainable is
 * backpropagation, the chain rule applied node by node from the loss back
 * to every weight.  This chapter builds both from plain loops, checks every
 * derivative against finite differences, then trains real networks with the
 * library's fast layers and measures what they learn:
 *
 *   section 1   activations f(z) and their derivatives f'(z), maxout
 *   section 2   the forward equations and the four backpropagation equations
 *   section 3   the logistic-regression computational graph of deck 001,
 *               in forward mode and in reverse mode (X = 3, y = 1, W = 3)
 *   section 4   saturation: the NOT gate with squared loss vs cross-entropy;
 *               vanishing gradients, sigma' <= 1/4
 *   section 5   counting parameters
 *   section 6   XOR by a 2-2-1 network
 *   section 7   how training works: shuffle, mini-batches, one step per batch,
 *               with the library's dense layers (tested equal to section 2)
 *   section 8   decision boundaries on the four TensorFlow-Playground sets
 *   section 9   universal approximation, and depth vs width
 *   section 10  gradient norm per layer, sigmoid vs ReLU
 *   section 11  real data: the shipped digits and Fashion-MNIST
 *
 * Notation (deck 004, "Forward and Backward Equations"): layer l has
 * pre-activations z^l and activations a^l; w^l_jk is the weight to unit j of
 * layer l from unit k of layer l-1, b^l_j its bias; a^0 = x is the input
 * (the deck numbers the input layer 1; here it is layer 0, so that W^l is the
 * l-th weight matrix and an L-layer network has exactly L of them); f is the
 * activation and the loss of one example is l(a^L, y).  delta^l = dl/dz^l is
 * the "error" of layer l (deck 000, Nielsen's notation).
 *
 * Build and run:   make ch02-backprop && ./ch02-backprop
 * Figures:         ./ch02-backprop --out . && gnuplot plots/02-backprop/<name>.gp
 * The full Fashion-MNIST run (30 epochs of 60000 images): --full.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

#define CHAPTER "02-backprop"

/* ======================================================================
 * Section 1. Activations and their derivatives
 * ======================================================================
 *
 * A unit computes a = f(z) with z = w . a_prev + b.  Without a non-linear f a
 * stack of layers collapses into one linear map (W^2 (W^1 x) = (W^2 W^1) x),
 * so the choice of f is what gives depth its power, and f' is what
 * backpropagation multiplies by at every layer (section 2).  The decks list
 * (deck 000, "Activation functions"):
 *
 *   sigmoid     f(z) = 1 / (1 + e^-z)             f'(z) = f (1 - f)        <= 1/4
 *   tanh        f(z) = tanh z                      f'(z) = 1 - f^2          <= 1
 *   ReLU        f(z) = max(0, z)                   f'(z) = [z > 0]
 *   leaky ReLU  f(z) = z if z > 0 else s z         f'(z) = 1 or s
 *   ELU         f(z) = z if z > 0 else e^z - 1     f'(z) = 1 or e^z
 *
 * The decks disagree on the leaky slope s (0.1 in deck 000, 0.001 in deck
 * 004); we take PyTorch's 0.01 (NN_LEAKY_SLOPE) so that values compare with
 * torch directly.  At a kink (z = 0) we use the left derivative, as PyTorch
 * does: ReLU'(0) = 0.
 *
 * These are the didactic versions, in double precision.  The library's
 * nn_act_value / nn_act_derivative compute the same numbers (the tests hold
 * them equal), and its nn_act_forward / nn_act_backward do it for whole
 * float arrays. */
static double activation(nn_activation f, double z)
{
    switch (f) {
    case NN_IDENTITY: return z;
    case NN_SIGMOID: /* written so that exp never overflows */
        return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
    case NN_TANH: return tanh(z);
    case NN_RELU: return z > 0 ? z : 0;
    case NN_LEAKY_RELU: return z > 0 ? z : NN_LEAKY_SLOPE * z;
    case NN_ELU: return z > 0 ? z : NN_ELU_ALPHA * expm1(z);
    default: break;
    }
    NN_ASSERT(!"unknown activation");
    return 0;
}

static double activation_slope(nn_activation f, double z)
{
    switch (f) {
    case NN_IDENTITY: return 1;
    case NN_SIGMOID: {
        double s = activation(NN_SIGMOID, z);
        return s * (1 - s);
    }
    case NN_TANH: {
        double t = tanh(z);
        return 1 - t * t;
    }
    case NN_RELU: return z > 0 ? 1 : 0;
    case NN_LEAKY_RELU: return z > 0 ? 1 : NN_LEAKY_SLOPE;
    case NN_ELU: return z > 0 ? 1 : NN_ELU_ALPHA * exp(z);
    default: break;
    }
    NN_ASSERT(!"unknown activation");
    return 0;
}

/* Maxout (deck 000) is not a function of one pre-activation but of k of
 * them: the unit computes k linear pieces of its input and keeps the largest,
 *
 *     a = max_j (w_j . x + b_j),   j = 1..k.
 *
 * With pieces (w, 0) and (0, 0) it is a ReLU; with (w, 0) and (-w, 0), |w.x|;
 * in general any convex piecewise-linear function.  Its derivative is that of
 * the winning piece j* and zero for the others:
 *
 *     da/dw_j* = x,   da/db_j* = 1,   da/dx = w_j*,   da/dw_j = da/db_j = 0 (j != j*).
 *
 * so in backward the gradient flows through the argmax only, the same rule
 * as max pooling in chapter 6.  w is (k, d) row-major, one piece per row. */
static double maxout_forward(int *winner, const double *x, const double *w, const double *b,
                             int d, int k)
{
    double best = 0;
    for (int j = 0; j < k; j++) {
        double z = b[j];
        for (int i = 0; i < d; i++)
            z += w[j * d + i] * x[i];
        if (j == 0 || z > best) {
            best = z;
            *winner = j;
        }
    }
    return best;
}

/* in the forward pass this was: a = z_j* = w_j* . x + b_j*; so with
 * d_a = dl/da, adds dl/dx, dl/dw, dl/db (any may be NULL). */
static void maxout_backward(double *d_x, double *d_w, double *d_b, double d_a, const double *x,
                            const double *w, int winner, int d)
{
    for (int i = 0; i < d; i++) {
        if (d_x)
            d_x[i] += d_a * w[winner * d + i];
        if (d_w)
            d_w[winner * d + i] += d_a * x[i];
    }
    if (d_b)
        d_b[winner] += d_a;
}

/* The activations the chapter's networks may use, as the user names them. */
static const char *const hidden_activation_names[] = {"sigmoid", "tanh", "relu", "leaky_relu",
                                                      "elu", NULL};

/* The maxout unit plotted in the activation figure: three pieces of a scalar
 * input, a convex kinked curve that no single fixed f above draws. */
static const double plot_maxout_w[3] = {-0.5, 0.25, 1.5};
static const double plot_maxout_b[3] = {-1.0, 0.0, -1.0};

/* ======================================================================
 * Section 2. Forward equations and backpropagation
 * ======================================================================
 *
 * An L-layer perceptron maps an input x to an output a^L by (deck 004)
 *
 *     (1)  a^0 = x
 *     (2)  z^l = W^l a^(l-1) + b^l          l = 1..L
 *     (3)  a^l = f(z^l)                      (the output layer has its own f)
 *     (4)  loss l(a^L, y)
 *
 * Training needs dl/dW^l and dl/db^l for every layer.  Differentiating by
 * hand for each architecture does not scale (deck 001: "if the network is
 * changed, we need to write a new function"); the chain rule applied node
 * by node does.  Deck 003 (Duke) walks it from the output unit 100 back:
 *
 *     dE/dw_99,100 = dE/do_100 . do_100/dnet_100 . dnet_100/dw_99,100
 *                  = -(y - o_100) . o_100 (1 - o_100) . o_99
 *
 * and one layer deeper the first two factors reappear as delta_100, "which
 * depends only on node 100": we must have computed every delta downstream
 * before we can compute one upstream.  Collected per layer, with
 * delta^l = dl/dz^l, these are the four backpropagation equations:
 *
 *   (BP1)  delta^L = dl/da^L (*) f'(z^L)                  output layer
 *   (BP2)  delta^l = ((W^(l+1))^T delta^(l+1)) (*) f'(z^l)  one layer back
 *   (BP3)  dl/db^l_j  = delta^l_j
 *   (BP4)  dl/dw^l_jk = a^(l-1)_k delta^l_j                (dl/dW^l = delta^l (a^(l-1))^T)
 *
 * where (*) multiplies element by element.  BP2 is deck 003's sum
 * sum_{l in downstream} delta_l w_b,l, written for a whole layer at once.
 * (Deck 004 writes them with gradients as row vectors: BP2 as
 * dl/dz^l = dl/dz^(l+1) W^(l+1) da^l/dz^l, where its slide prints a^(l+1) for
 * z^(l+1), and BP4 as dl/dW^l = (a^(l-1) dl/dz^l)^T.)
 *
 * BP1 and BP2 in this element-wise form assume that a_j depends on z_j
 * alone, a_j = f(z_j): then the Jacobian da/dz is diagonal, with f'(z_j)
 * on its diagonal, and multiplying by it is the (*) above.  In general the
 * chain rule gives
 *
 *   (BP1, general)  delta^L_j = sum_i (dl/da^L_i) (da^L_i/dz^L_j),
 *
 * a vector times the full Jacobian.  The softmax of the output layer,
 * a_i = e^(z_i) / sum_c e^(z_c), is not element-wise: every a_i depends on
 * every z_j, and its Jacobian is full,
 *
 *     da_i/dz_j = a_i (1 - a_i)   if i = j,     -a_i a_j   if i != j,
 *               = a_i ([i = j] - a_j).
 *
 * The element-wise BP1 would keep only the diagonal and get it wrong.  With
 * the cross-entropy l = -log a_y, dl/da_i is -1/a_y for i = y and 0
 * otherwise, so only the row i = y of the Jacobian survives:
 *
 *     delta^L_j = (-1/a_y) a_y ([y = j] - a_j) = a_j - [j = y],
 *
 * that is delta^L = a^L - onehot(y).  The 1/a_y of the loss cancels the a_y
 * of the softmax, the same cancellation as the sigmoid's below, and the
 * result is as simple as if the softmax had been element-wise.  (The
 * gradient check below, and the tests', run through this softmax head, so
 * they compare this delta^L with central differences of -log softmax.)
 *
 * Output layer and loss are chosen together so that BP1 is as simple as it
 * gets, delta^L = a^L - y:
 *   - softmax + cross-entropy, K >= 2 classes: a^L = softmax(z^L),
 *     l = -log a^L_y,                       delta^L = a^L - onehot(y)  (derived above);
 *   - sigmoid + binary cross-entropy, one output: a^L = sigma(z^L),
 *     l = -(y log a + (1-y) log(1-a)),      dl/da = (a - y) / (a (1 - a)) and
 *                                           sigma' = a (1 - a): delta^L = a^L - y;
 *   - identity + squared error (regression): a^L = z^L,
 *     l = (a^L - t)^2,                      delta^L = 2 (a^L - t).
 * Over a mini-batch of B examples the loss is the mean of the examples'
 * losses, so every gradient is the mean of theirs (PyTorch's
 * reduction='mean'). */
typedef enum { HEAD_SOFTMAX, HEAD_SIGMOID, HEAD_SQUARED } head_kind;

#define MAX_LAYERS 8

/* The didactic network: double precision, one example at a time, each
 * equation a loop.  Weights W[l] are (n[l], n[l-1]) row-major: W[l][j*n[l-1]+k]
 * is w^l_jk, the layout of PyTorch's nn.Linear. */
typedef struct {
    int L;                          /* weight layers, l = 1..L */
    int n[MAX_LAYERS + 1];          /* n[0] inputs, n[l] units in layer l */
    nn_activation f;                /* f of the hidden layers l < L */
    head_kind head;                 /* output layer and loss */
    double *W[MAX_LAYERS + 1];      /* (n[l], n[l-1]) */
    double *b[MAX_LAYERS + 1];      /* (n[l]) */
    double *dW[MAX_LAYERS + 1];     /* dl/dW^l, mean over the batch */
    double *db[MAX_LAYERS + 1];
    double *z[MAX_LAYERS + 1];      /* z^l of the current example (n[l]) */
    double *a[MAX_LAYERS + 1];      /* a^l (n[l]); a[0] = x */
    double *delta[MAX_LAYERS + 1];  /* delta^l = dl/dz^l (n[l]) */
} slow_mlp;

static void slow_mlp_init(slow_mlp *net, int L, const int *n, nn_activation f, head_kind head)
{
    NN_ASSERT(L >= 1 && L <= MAX_LAYERS);
    memset(net, 0, sizeof *net);
    net->L = L;
    net->f = f;
    net->head = head;
    for (int l = 0; l <= L; l++)
        net->n[l] = n[l];
    net->a[0] = nn_doubles((size_t)n[0]);
    for (int l = 1; l <= L; l++) {
        size_t weights = (size_t)n[l] * (size_t)n[l - 1];
        net->W[l] = nn_doubles(weights);
        net->dW[l] = nn_doubles(weights);
        net->b[l] = nn_doubles((size_t)n[l]);
        net->db[l] = nn_doubles((size_t)n[l]);
        net->z[l] = nn_doubles((size_t)n[l]);
        net->a[l] = nn_doubles((size_t)n[l]);
        net->delta[l] = nn_doubles((size_t)n[l]);
    }
}

static void slow_mlp_free(slow_mlp *net)
{
    free(net->a[0]);
    for (int l = 1; l <= net->L; l++) {
        free(net->W[l]);
        free(net->dW[l]);
        free(net->b[l]);
        free(net->db[l]);
        free(net->z[l]);
        free(net->a[l]);
        free(net->delta[l]);
    }
    memset(net, 0, sizeof *net);
}

/* Forward equations (1)-(3) for one example x. */
static void slow_mlp_forward(slow_mlp *net, const double *x)
{
    for (int k = 0; k < net->n[0]; k++)
        net->a[0][k] = x[k];                                      /* (1) a^0 = x */
    for (int l = 1; l <= net->L; l++) {
        int rows = net->n[l], cols = net->n[l - 1];
        for (int j = 0; j < rows; j++) {
            double z = net->b[l][j];                               /* (2) */
            for (int k = 0; k < cols; k++)
                z += net->W[l][j * cols + k] * net->a[l - 1][k];
            net->z[l][j] = z;
            net->a[l][j] = l < net->L ? activation(net->f, z) : z; /* (3), hidden */
        }
    }
    /* (3) for the output layer: the head's own f. */
    int K = net->n[net->L];
    double *out = net->a[net->L], *z = net->z[net->L];
    if (net->head == HEAD_SIGMOID) {
        for (int j = 0; j < K; j++)
            out[j] = activation(NN_SIGMOID, z[j]);
    } else if (net->head == HEAD_SOFTMAX) {
        /* softmax_j = e^(z_j - m) / sum_c e^(z_c - m): subtracting m = max z
         * changes nothing mathematically and keeps every exp <= 1. */
        double m = z[0], sum = 0;
        for (int j = 1; j < K; j++)
            m = z[j] > m ? z[j] : m;
        for (int j = 0; j < K; j++)
            sum += out[j] = exp(z[j] - m);
        for (int j = 0; j < K; j++)
            out[j] /= sum;
    }
}

/* (4) the loss of one example, after slow_mlp_forward; y is the class label
 * (softmax, sigmoid) and t the target (squared error). */
static double slow_mlp_example_loss(const slow_mlp *net, int y, double t)
{
    int K = net->n[net->L];
    const double *z = net->z[net->L];
    if (net->head == HEAD_SOFTMAX) {
        /* -log softmax_y = -z_y + log sum_c e^z_c, the log-sum-exp shifted by max z */
        double m = z[0], sum = 0;
        for (int c = 1; c < K; c++)
            m = z[c] > m ? z[c] : m;
        for (int c = 0; c < K; c++)
            sum += exp(z[c] - m);
        return -z[y] + m + log(sum);
    }
    if (net->head == HEAD_SIGMOID) {
        /* -(y log s + (1-y) log(1-s)) with s = sigma(z), as max(z,0) - z y + log(1 + e^-|z|):
         * the same number, but never the log of a probability rounded to 0 */
        return fmax(z[0], 0) - z[0] * y + log1p(exp(-fabs(z[0])));
    }
    return (z[0] - t) * (z[0] - t);
}

/* The mean loss over a batch of B examples x (B, n[0]) with labels y or
 * targets t, and its gradients in dW, db (overwritten: this didactic
 * version computes the batch's gradient from scratch; the library's layers
 * instead add into theirs, see section 7). */
static double slow_mlp_loss_grad(slow_mlp *net, const double *x, const int *y, const double *t,
                                 int B)
{
    int L = net->L;
    for (int l = 1; l <= L; l++) {
        memset(net->dW[l], 0, sizeof(double) * (size_t)net->n[l] * (size_t)net->n[l - 1]);
        memset(net->db[l], 0, sizeof(double) * (size_t)net->n[l]);
    }
    double total = 0;
    for (int e = 0; e < B; e++) {
        slow_mlp_forward(net, x + (size_t)e * (size_t)net->n[0]);
        int label = y ? y[e] : 0;
        double target = t ? t[e] : 0;
        total += slow_mlp_example_loss(net, label, target);

        /* (BP1) delta^L = a^L - y for all three heads (see above). */
        for (int j = 0; j < net->n[L]; j++) {
            double a = net->a[L][j];
            if (net->head == HEAD_SOFTMAX)
                net->delta[L][j] = a - (j == label);
            else if (net->head == HEAD_SIGMOID)
                net->delta[L][j] = a - label;
            else
                net->delta[L][j] = 2 * (a - target);
        }
        for (int l = L; l >= 1; l--) {
            int rows = net->n[l], cols = net->n[l - 1];
            /* (BP3) dl/db^l = delta^l and (BP4) dl/dw^l_jk = a^(l-1)_k delta^l_j,
             * averaged over the batch. */
            for (int j = 0; j < rows; j++) {
                net->db[l][j] += net->delta[l][j] / B;
                for (int k = 0; k < cols; k++)
                    net->dW[l][j * cols + k] += net->a[l - 1][k] * net->delta[l][j] / B;
            }
            /* (BP2) delta^(l-1) = ((W^l)^T delta^l) (*) f'(z^(l-1)). */
            if (l > 1)
                for (int k = 0; k < cols; k++) {
                    double back = 0;
                    for (int j = 0; j < rows; j++)
                        back += net->W[l][j * cols + k] * net->delta[l][j];
                    net->delta[l - 1][k] = back * activation_slope(net->f, net->z[l - 1][k]);
                }
        }
    }
    return total / B;
}

/* Weights drawn from N(0, gain / fan_in): the variance of z^l then stays
 * about gain times that of a^(l-1) from layer to layer (deck 004,
 * "initialising weights": N(0, 1/D); gain 2 is He's choice for ReLU, which
 * zeroes half of its inputs; chapter 3 says more).  Biases start at 0. */
static double init_gain(nn_activation f)
{
    return f == NN_RELU || f == NN_LEAKY_RELU || f == NN_ELU ? 2.0 : 1.0;
}

static void slow_mlp_randomize(slow_mlp *net, double gain, nn_rng *rng)
{
    for (int l = 1; l <= net->L; l++) {
        double std = sqrt(gain / net->n[l - 1]);
        for (int i = 0; i < net->n[l] * net->n[l - 1]; i++)
            net->W[l][i] = std * nn_rng_normal(rng);
        memset(net->b[l], 0, sizeof(double) * (size_t)net->n[l]);
    }
}

static void slow_mlp_sgd_step(slow_mlp *net, double lr)
{
    /* deck 001: w^(i+1) = w^(i) - lambda dL/dw, for every weight and bias */
    for (int l = 1; l <= net->L; l++) {
        for (int i = 0; i < net->n[l] * net->n[l - 1]; i++)
            net->W[l][i] -= lr * net->dW[l][i];
        for (int j = 0; j < net->n[l]; j++)
            net->b[l][j] -= lr * net->db[l][j];
    }
}

/* The gradient check the tests run on every gradient of this chapter, in
 * miniature: perturb one weight by +-eps, take the central difference
 * (L(w + eps) - L(w - eps)) / (2 eps), whose error is O(eps^2), and compare
 * with backpropagation.  Returns the largest relative error over all weights
 * and biases, as nn_rel_error measures it. */
static double slow_mlp_gradient_check(slow_mlp *net, const double *x, const int *y,
                                      const double *t, int B, double eps)
{
    slow_mlp_loss_grad(net, x, y, t, B);
    size_t total = 0;
    for (int l = 1; l <= net->L; l++)
        total += (size_t)net->n[l] * (size_t)(net->n[l - 1] + 1);
    double *analytic = nn_doubles(total), *numeric = nn_doubles(total);
    size_t at = 0;
    for (int l = 1; l <= net->L; l++) {
        size_t weights = (size_t)net->n[l] * (size_t)net->n[l - 1];
        memcpy(analytic + at, net->dW[l], weights * sizeof(double));
        memcpy(analytic + at + weights, net->db[l], (size_t)net->n[l] * sizeof(double));
        at += weights + (size_t)net->n[l];
    }
    at = 0;
    for (int l = 1; l <= net->L; l++)
        for (int part = 0; part < 2; part++) {
            double *p = part == 0 ? net->W[l] : net->b[l];
            size_t count = part == 0 ? (size_t)net->n[l] * (size_t)net->n[l - 1] : (size_t)net->n[l];
            for (size_t i = 0; i < count; i++) {
                double saved = p[i];
                p[i] = saved + eps;
                double up = slow_mlp_loss_grad(net, x, y, t, B);
                p[i] = saved - eps;
                double down = slow_mlp_loss_grad(net, x, y, t, B);
                p[i] = saved;
                numeric[at++] = (up - down) / (2 * eps);
            }
        }
    double error = nn_rel_error(analytic, numeric, total, NULL);
    slow_mlp_loss_grad(net, x, y, t, B);   /* leave the analytic gradient in dW, db */
    free(analytic);
    free(numeric);
    return error;
}

/* ======================================================================
 * Section 3. The logistic-regression computational graph (deck 001)
 * ======================================================================
 *
 * Logistic regression is the smallest network: one sigmoid unit, p =
 * 1 / (1 + e^(-W X)), and the loss L = -y log p - (1 - y) log(1 - p).  Deck 001
 * cuts it into nodes, each a function a grandparent can differentiate:
 *
 *     xi1 = -W X          dxi1/dW  = -X
 *     xi2 = e^xi1         dxi2/dxi1 = e^xi1
 *     xi3 = 1 + xi2       dxi3/dxi2 = 1
 *     xi4 = 1 / xi3 = p   dxi4/dxi3 = -1 / xi3^2
 *     xi5 = log xi4       dxi5/dxi4 = 1 / xi4
 *     xi6 = 1 - xi4       dxi6/dxi4 = -1
 *     xi7 = log xi6       dxi7/dxi6 = 1 / xi6
 *     L = -y xi5 - (1 - y) xi7      dL/dxi5 = -y,  dL/dxi7 = -(1 - y)
 *
 * (the deck treats the two terms L^A = -y xi5 and L^B separately; here they
 * share xi1..xi4 and the graph forks at p.)  The chain rule can then be
 * evaluated in either direction:
 *
 *   forward mode carries dxi_n/dW along with each value, from W to L:
 *       dxi_n/dW = (dxi_n/dxi_(n-1)) (dxi_(n-1)/dW);
 *   reverse mode first evaluates and stores every xi_n, then carries
 *   dL/dxi_n back from L to W:
 *       dL/dxi_(n-1) = sum over children c of (dL/dxi_c)(dxi_c/dxi_(n-1)).
 *
 * The sum is the fork: p feeds both xi5 and xi6, so dL/dp collects both.
 * Forward mode needs one pass per input it differentiates by; reverse mode
 * one pass per output.  A network has millions of weights and one loss,
 * which is why backpropagation is reverse mode.
 *
 * Multiplying the local derivatives out gives, for either label,
 *
 *     dL/dW = (p - y) X:
 *
 * for y = 1 the path through xi5 gives -(1/p) p (1 - p) X = (p - 1) X, and
 * for y = 0 the path through xi7 gives (1/(1 - p)) p (1 - p) X = p X.  This
 * is section 2 in miniature.  The graph is a network with L = 1, one weight
 * and a sigmoid output: its pre-activation is z = W X = -xi1, so
 * dL/dz = -dL/dxi1, and the product of the local derivatives from L back to
 * z is exactly BP1 for sigmoid + cross-entropy, delta^L = p - y; the last
 * factor, dz/dW = X, is BP4, dL/dW = delta^L a^0 with a^0 = X.  The run
 * prints the reverse-mode adjoint of xi1 beside p - y to show it.
 *
 * Why this section comes after the general equations, not before: the
 * graph is where backpropagation is easiest to watch, one scalar at a time,
 * but only with BP1-BP4 in hand does one see that its reverse pass is not a
 * trick of this graph: each node's adjoint is a delta, and the recipe is the
 * same for any network.  Read section 3 first if the scalar case helps;
 * the code does not depend on the order.
 *
 * At X = 3, y = 1, W = 3 both give dL/dW = (p - 1) X = -3 e^-9 / (1 + e^-9)
 * = -3.7018e-4.  The deck's table prints +0.00037018372: it lists the local
 * derivative of xi4 as +(1/(1+e^-9))^2 where it is -1/xi3^2, and the sign
 * is lost.  The true sign is negative, and it must be: y = 1, and raising W
 * raises p = sigma(W X) towards 1 (X > 0), so the loss -log p falls as W
 * grows.  Gradient descent, W <- W - lambda dL/dW, therefore increases W. */
enum { LR_NODES = 8 };   /* xi1..xi7 and L, stored at 1..7 and 8 (0 unused) */

typedef struct {
    double value[LR_NODES + 1];    /* xi_n */
    double tangent[LR_NODES + 1];  /* forward mode: dxi_n/dW */
    double adjoint[LR_NODES + 1];  /* reverse mode: dL/dxi_n */
    double dL_dW_forward, dL_dW_reverse;
} lr_graph;

static const char *const lr_node_text[LR_NODES + 1] = {
    "", "xi1 = -W X", "xi2 = exp(xi1)", "xi3 = 1 + xi2", "xi4 = 1/xi3 = p",
    "xi5 = log xi4", "xi6 = 1 - xi4", "xi7 = log xi6", "L = -y xi5 - (1-y) xi7"};

static void lr_graph_evaluate(lr_graph *g, double X, double y, double W)
{
    double *v = g->value, *t = g->tangent, *bar = g->adjoint;
    memset(g, 0, sizeof *g);
    /* Forward mode: each value and its derivative with respect to W together. */
    v[1] = -W * X;               t[1] = -X;
    v[2] = exp(v[1]);            t[2] = exp(v[1]) * t[1];
    v[3] = 1 + v[2];             t[3] = t[2];
    v[4] = 1 / v[3];             t[4] = -1 / (v[3] * v[3]) * t[3];
    v[5] = log(v[4]);            t[5] = t[4] / v[4];
    v[6] = 1 - v[4];             t[6] = -t[4];
    v[7] = log(v[6]);            t[7] = t[6] / v[6];
    v[8] = -y * v[5] - (1 - y) * v[7];
    t[8] = -y * t[5] - (1 - y) * t[7];
    g->dL_dW_forward = t[8];

    /* Reverse mode: the values above are stored; now from L back to W. */
    bar[8] = 1;                                      /* dL/dL */
    bar[7] = bar[8] * -(1 - y);
    bar[5] = bar[8] * -y;
    bar[6] = bar[7] / v[6];
    bar[4] = bar[5] / v[4] + bar[6] * -1;            /* the fork: both children */
    bar[3] = bar[4] * -1 / (v[3] * v[3]);
    bar[2] = bar[3] * 1;
    bar[1] = bar[2] * exp(v[1]);
    g->dL_dW_reverse = bar[1] * -X;                  /* dxi1/dW = -X */
}

/* The same loss as one formula, for central differences. */
static double lr_loss(double X, double y, double W)
{
    double p = activation(NN_SIGMOID, W * X);
    return -y * log(p) - (1 - y) * log(1 - p);
}

/* ======================================================================
 * Section 4. Saturation and vanishing gradients
 * ======================================================================
 *
 * Deck 004's NOT gate is one sigmoid unit a = sigma(z), z = w x + b.  Take
 * the input x = -1, whose NOT is y = 1, and a badly initialised unit w = 5,
 * b = 0: z = -5, a = sigma(-5) = 0.0067, as wrong as it can be.  With the
 * squared loss l = (a - y)^2,
 *
 *     dl/dz = 2 (a - y) sigma'(z) = 2 (0.0067 - 1) (0.0066) = -0.0132,
 *
 * small although the loss, 0.987, is large: z sits where the sigmoid is
 * flat and sigma'(z) ~ 0 throttles the gradient.  That is saturation.  With
 * the cross-entropy l = -(y log a + (1 - y) log(1 - a)) the 1 / (a (1 - a)) of
 * dl/da cancels sigma'(z) exactly:
 *
 *     dl/dz = a - y = -0.993,
 *
 * large when the unit is wrong, 75 times the squared loss's here.  The
 * weight's gradient is dl/dw = x dl/dz, the bias's dl/db = dl/dz. */
typedef struct {
    double z, a, loss, dl_dz, dl_dw, dl_db;
} neuron_state;

static neuron_state not_gate_neuron(double x, double w, double b, double y, int cross_entropy)
{
    neuron_state s;
    s.z = w * x + b;
    s.a = activation(NN_SIGMOID, s.z);
    if (cross_entropy) {
        /* the stable form of section 2 */
        s.loss = fmax(s.z, 0) - s.z * y + log1p(exp(-fabs(s.z)));
        s.dl_dz = s.a - y;
    } else {
        s.loss = (s.a - y) * (s.a - y);
        s.dl_dz = 2 * (s.a - y) * activation_slope(NN_SIGMOID, s.z);
    }
    s.dl_dw = s.dl_dz * x;
    s.dl_db = s.dl_dz;
    return s;
}

/* Gradient descent on the one unit from the saturated start: the output a
 * after each of `steps` steps goes to a_path[0..steps]. */
static void not_gate_descent(double *a_path, int steps, double lr, int cross_entropy)
{
    double w = 5, b = 0;
    for (int s = 0; s <= steps; s++) {
        neuron_state n = not_gate_neuron(-1, w, b, 1, cross_entropy);
        a_path[s] = n.a;
        w -= lr * n.dl_dw;
        b -= lr * n.dl_db;
    }
}

/* Vanishing gradients.  In a chain of sigmoid units (deck 004, one unit per
 * layer), BP2 multiplies one factor w^l sigma'(z^l) per layer:
 *
 *     dl/dz^2 = (a^4 - y) w^4 sigma'(z^3) w^3 sigma'(z^2)
 *
 * and sigma'(z) = sigma(z)(1 - sigma(z)) <= 1/4, with equality only at z = 0.
 * Unless the weights are large (and then the product may explode instead),
 * the gradient reaching layer l shrinks like (1/4)^(L - l): the first layers
 * of a deep sigmoid network barely learn.  ReLU's slope is exactly 1 where
 * the unit is active, so its product does not shrink by itself; section 10
 * measures both in real networks. */
static double sigmoid_slope_maximum(double lo, double hi, int steps)
{
    double best = 0;
    for (int i = 0; i <= steps; i++) {
        double s = activation_slope(NN_SIGMOID, lo + (hi - lo) * i / steps);
        best = s > best ? s : best;
    }
    return best;
}

/* ======================================================================
 * Section 5. Counting parameters
 * ======================================================================
 *
 * Layer l has a weight from every unit of layer l-1 to each of its n_l units,
 * plus one bias per unit: n_l (n_(l-1) + 1) parameters.  Deck 001's network
 * (2 inputs, two hidden layers of 4, one output) has
 *
 *     layer 1: 4 (2 + 1) = 12,  layer 2: 4 (4 + 1) = 20,  output: 1 (4 + 1) = 5,
 *
 * 37 in all (the slide says "each node has 5 inputs + bias" for layer 2; it
 * means 5 parameters, 4 inputs and a bias).  The count is the size of the
 * one buffer that holds the network's parameters in section 7. */
static long count_parameters(int L, const int *n)
{
    long total = 0;
    for (int l = 1; l <= L; l++)
        total += (long)n[l] * (n[l - 1] + 1);
    return total;
}

static const char *architecture_text(char *buf, size_t len, int L, const int *n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int l = 0; l <= L && used < len; l++)
        used += (size_t)snprintf(buf + used, len - used, l ? "-%d" : "%d", n[l]);
    return buf;
}

/* ======================================================================
 * Section 6. XOR by a 2-2-1 network
 * ======================================================================
 *
 * One unit draws one line and XOR needs two (chapter 1).  Two hidden sigmoid
 * units draw two lines, say an OR-like and a NAND-like one, and the output
 * unit ANDs them: 2-2-1, 9 parameters.  We train it with the didactic network
 * of section 2, full-batch gradient descent on the four rows, sigmoid output
 * and cross-entropy.  Whether it succeeds depends on where it starts: a
 * 2-2-1 network has few spare directions, and some initialisations lead into
 * a flat region or a local minimum where one hidden unit is wasted (deck 001,
 * "Local vs Global Minima: no guarantee").  So we try several. */
typedef struct {
    int tries, solved;
    int first_solved;        /* the first initialisation that solved it, or -1 */
    double final_loss;       /* of that one */
    double weights[9];       /* w^1 (2x2), b^1 (2), w^2 (1x2), b^2 (1) of that one */
    double outputs[4];       /* its a^2 on the four rows */
} xor_result;

static xor_result train_xor(int tries, int steps, double lr, nn_rng *rng)
{
    static const double rows[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static const int labels[4] = {0, 1, 1, 0};
    const int n[3] = {2, 2, 1};
    xor_result r;
    memset(&r, 0, sizeof r);
    r.tries = tries;
    r.first_solved = -1;
    slow_mlp net;
    slow_mlp_init(&net, 2, n, NN_SIGMOID, HEAD_SIGMOID);
    for (int k = 0; k < tries; k++) {
        /* N(0, 1) weights: small nets need larger starting weights than
         * 1/fan_in to break the symmetry between the two hidden units */
        slow_mlp_randomize(&net, 2.0, rng);
        double loss = 0;
        for (int s = 0; s < steps; s++) {
            loss = slow_mlp_loss_grad(&net, &rows[0][0], labels, NULL, 4);
            slow_mlp_sgd_step(&net, lr);
        }
        int correct = 0;
        double outputs[4];
        for (int i = 0; i < 4; i++) {
            slow_mlp_forward(&net, rows[i]);
            outputs[i] = net.a[2][0];
            correct += (outputs[i] > 0.5) == labels[i];
        }
        if (correct == 4) {
            r.solved++;
            if (r.first_solved < 0) {
                r.first_solved = k;
                r.final_loss = loss;
                memcpy(r.weights, net.W[1], 4 * sizeof(double));
                memcpy(r.weights + 4, net.b[1], 2 * sizeof(double));
                memcpy(r.weights + 6, net.W[2], 2 * sizeof(double));
                r.weights[8] = net.b[2][0];
                memcpy(r.outputs, outputs, sizeof outputs);
            }
        }
    }
    slow_mlp_free(&net);
    return r;
}

/* ======================================================================
 * Section 7. How training works, with the library's layers
 * ======================================================================
 *
 * The didactic network handles one example at a time in double precision:
 * clear, and slow.  Real training processes a mini-batch of B examples as
 * one matrix, one example per row, and in float: equation (2) for the whole
 * batch is Z^l = A^(l-1) (W^l)^T + b^l, a GEMM, and BP2-BP4 are two more:
 *
 *     dW^l = (Delta^l)^T A^(l-1)      (BP4 summed over the batch)
 *     db^l = sum over rows of Delta^l  (BP3)
 *     dA^(l-1) = Delta^l W^l           (the (W^l)^T delta^l of BP2, by rows)
 *
 * which is exactly the library's nn_dense_forward / nn_dense_backward (on
 * nn_gemm), with nn_act_forward / nn_act_backward for the (*) f'(z) of BP2
 * and nn_softmax_xent_* / nn_bce_logits_* / nn_mse_* for the head.  The tests
 * hold this network equal to slow_mlp on the same weights.
 *
 * Parameters live in one buffer and their gradients in a second of the same
 * layout (nn_alloc_pieces), so the update w <- w - lambda dL/dw is one loop,
 * and the count of section 5 is the buffer's length.  Library layers ADD
 * into their gradients, so each step starts with one nn_zero of the whole
 * gradient buffer. */
typedef struct {
    int L, n[MAX_LAYERS + 1];       /* as in slow_mlp */
    nn_activation f;
    head_kind head;
    int max_batch;                  /* rows the activation buffers hold */
    float *params, *grads;          /* (n_params) each */
    size_t n_params;
    float *W[MAX_LAYERS + 1];       /* (n[l], n[l-1]) inside params */
    float *b[MAX_LAYERS + 1];       /* (n[l]) */
    float *dW[MAX_LAYERS + 1];      /* the same inside grads */
    float *db[MAX_LAYERS + 1];
    float *work;                    /* one buffer for the activations below */
    float *z[MAX_LAYERS + 1];       /* (max_batch, n[l]) pre-activations Z^l */
    float *a[MAX_LAYERS + 1];       /* (max_batch, n[l]) A^l, l < L */
    float *dz[MAX_LAYERS + 1];      /* dL/dZ^l = Delta^l */
    float *da[MAX_LAYERS + 1];      /* dL/dA^l */
    float *probs;                   /* (max_batch, n[L]) softmax, saved for backward */
    float *targets;                 /* (max_batch) float targets of the BCE / MSE heads */
    const float *input;             /* A^0 of the last forward pass (not owned) */
} mlp;

static void mlp_init(mlp *net, int L, const int *n, nn_activation f, head_kind head, int max_batch)
{
    NN_ASSERT(L >= 1 && L <= MAX_LAYERS && max_batch >= 1);
    memset(net, 0, sizeof *net);
    net->L = L;
    net->f = f;
    net->head = head;
    net->max_batch = max_batch;
    for (int l = 0; l <= L; l++)
        net->n[l] = n[l];
    nn_piece params[2 * MAX_LAYERS], grads[2 * MAX_LAYERS];
    static const char *const names[2] = {"W", "b"};
    for (int l = 1; l <= L; l++) {
        size_t weights = (size_t)n[l] * (size_t)n[l - 1];
        params[2 * (l - 1)] = (nn_piece){names[0], weights, &net->W[l]};
        params[2 * (l - 1) + 1] = (nn_piece){names[1], (size_t)n[l], &net->b[l]};
        grads[2 * (l - 1)] = (nn_piece){names[0], weights, &net->dW[l]};
        grads[2 * (l - 1) + 1] = (nn_piece){names[1], (size_t)n[l], &net->db[l]};
    }
    net->params = nn_alloc_pieces(params, 2 * L, &net->n_params);
    net->grads = nn_alloc_pieces(grads, 2 * L, NULL);

    size_t per_row = 0;
    for (int l = 1; l <= L; l++)
        per_row += 4 * (size_t)n[l];
    per_row += (size_t)n[L] + 1;
    net->work = nn_floats(per_row * (size_t)max_batch);
    float *p = net->work;
    for (int l = 1; l <= L; l++) {
        size_t size = (size_t)max_batch * (size_t)n[l];
        net->z[l] = p;
        net->a[l] = p + size;
        net->dz[l] = p + 2 * size;
        net->da[l] = p + 3 * size;
        p += 4 * size;
    }
    net->probs = p;
    net->targets = p + (size_t)max_batch * (size_t)n[L];
}

static void mlp_free(mlp *net)
{
    free(net->params);
    free(net->grads);
    free(net->work);
    memset(net, 0, sizeof *net);
}

static void mlp_randomize(mlp *net, double gain, nn_rng *rng)
{
    for (int l = 1; l <= net->L; l++) {
        nn_rng_fill_normal(rng, net->W[l], (size_t)net->n[l] * (size_t)net->n[l - 1], 0,
                           sqrt(gain / net->n[l - 1]));
        nn_zero(net->b[l], (size_t)net->n[l]);
    }
}

/* Forward equations for B rows of x (B, n[0]); the output layer's
 * pre-activations Z^L (logits) are left in z[L]. */
static void mlp_forward(mlp *net, const float *x, int B)
{
    NN_ASSERT(B >= 1 && B <= net->max_batch);
    net->input = x;
    const float *prev = x;
    for (int l = 1; l <= net->L; l++) {
        nn_dense_forward(net->z[l], prev, net->W[l], net->b[l], B, net->n[l - 1], net->n[l]);
        if (l < net->L) {
            nn_act_forward(net->f, net->a[l], net->z[l], (size_t)B * (size_t)net->n[l]);
            prev = net->a[l];
        }
    }
}

/* The mean loss of the last forward pass: labels y for softmax and sigmoid
 * heads, targets t for the squared error. */
static double mlp_loss(mlp *net, const int *y, const float *t, int B)
{
    int K = net->n[net->L];
    if (net->head == HEAD_SOFTMAX)
        return nn_softmax_xent_forward(net->probs, net->z[net->L], y, B, K);
    if (net->head == HEAD_SIGMOID) {
        for (int i = 0; i < B; i++)
            net->targets[i] = (float)y[i];
        return nn_bce_logits_forward(net->z[net->L], net->targets, (size_t)B);
    }
    return nn_mse_forward(net->z[net->L], t, (size_t)B);
}

/* Backpropagation after mlp_forward and mlp_loss: ADDS dL/dW^l, dL/db^l
 * into grads (clear them first with nn_zero(net->grads, net->n_params)). */
static void mlp_backward(mlp *net, const int *y, const float *t, int B)
{
    int L = net->L, K = net->n[L];
    /* (BP1): the head's delta^L = a^L - y, divided by B for the mean */
    nn_zero(net->dz[L], (size_t)B * (size_t)K);
    if (net->head == HEAD_SOFTMAX)
        nn_softmax_xent_backward(net->dz[L], net->probs, y, B, K);
    else if (net->head == HEAD_SIGMOID)
        nn_bce_logits_backward(net->dz[L], net->z[L], net->targets, (size_t)B);
    else
        nn_mse_backward(net->dz[L], net->z[L], t, (size_t)B);
    for (int l = L; l >= 1; l--) {
        const float *in = l > 1 ? net->a[l - 1] : net->input;
        float *d_in = l > 1 ? net->da[l - 1] : NULL;   /* nobody needs dL/dx */
        if (d_in)
            nn_zero(d_in, (size_t)B * (size_t)net->n[l - 1]);
        /* (BP3), (BP4), and (W^l)^T delta^l of (BP2) */
        nn_dense_backward(d_in, net->dW[l], net->db[l], net->dz[l], in, net->W[l], B,
                          net->n[l - 1], net->n[l]);
        if (l > 1) {
            /* the (*) f'(z^(l-1)) of (BP2) */
            size_t count = (size_t)B * (size_t)net->n[l - 1];
            nn_zero(net->dz[l - 1], count);
            nn_act_backward(net->f, net->dz[l - 1], net->da[l - 1], net->z[l - 1], net->a[l - 1],
                            count);
        }
    }
}

/* The predicted class of row i after mlp_forward. */
static int mlp_predict(const mlp *net, int i)
{
    int K = net->n[net->L];
    const float *z = net->z[net->L] + (size_t)i * (size_t)K;
    if (net->head == HEAD_SIGMOID)
        return z[0] > 0;        /* sigma(z) > 1/2 */
    return (int)nn_argmax(z, (size_t)K);
}

/* Copies the float network's parameters into a didactic one of the same
 * shape (for the tests, and to compare the two). */
static void mlp_copy_to_slow(const mlp *net, slow_mlp *slow)
{
    for (int l = 1; l <= net->L; l++) {
        for (int i = 0; i < net->n[l] * net->n[l - 1]; i++)
            slow->W[l][i] = net->W[l][i];
        for (int j = 0; j < net->n[l]; j++)
            slow->b[l][j] = net->b[l][j];
    }
}

/* How training works (deck 000):
 *   1. in each epoch, randomly shuffle the training data;
 *   2. partition the shuffled data into mini-batches;
 *   3. for each mini-batch, apply a single step of gradient descent, with
 *      the gradient computed by backpropagation;
 *   4. train for multiple epochs.
 * The loss of a mini-batch, L^k = mean over i in batch k of L_i, is an
 * approximation of the full loss (deck 001), noisy but B/n times cheaper.
 * Shuffling makes the batches differ from epoch to epoch, so their errors
 * average out instead of pushing the same way every epoch.
 *
 * A learning rate that is too large makes the steps overshoot, each further
 * than the last: the loss grows until it overflows.  We watch for that and
 * stop with a message naming the step, rather than print a loss of "nan". */
/* A checkpoint of a training run, for loss curves with more than one point
 * per epoch.  Two training losses: the running mean of the mini-batch losses
 * since the previous checkpoint (what training sees, and what the epoch
 * lines print: it averages over weights that kept improving, so it lags
 * behind), and the loss of the current weights on a fixed sample of the
 * training set, the same weights the test loss is measured with. */
typedef struct {
    double epoch;              /* epochs done, fractional */
    double running_train_loss; /* mean of the mini-batch losses since the last checkpoint */
    double train_loss, test_loss, test_accuracy;   /* at the current weights */
} checkpoint;

typedef struct {
    double lr;
    int epochs, batch;
    const char *what;          /* names the run in messages */
    int verbose;               /* print one line per epoch */
    int checkpoints_per_epoch; /* 0: none; else `log` gets 1 + epochs * this many entries */
    checkpoint *log;
    const nn_dataset *train_sample;  /* the training examples a checkpoint's train_loss uses */
} train_config;

typedef struct {
    double train_loss;         /* mean of the epoch's mini-batch losses */
    double test_loss, test_accuracy;
    double seconds;            /* training time of the epoch (without evaluation) */
} epoch_record;

/* Copies the examples idx[0..B) of ds into the batch buffers. */
static void gather_batch(float *xb, int *yb, float *tb, const nn_dataset *ds, const int *idx, int B)
{
    for (int i = 0; i < B; i++) {
        nn_copy(xb + (size_t)i * (size_t)ds->d, ds->x + (size_t)idx[i] * (size_t)ds->d,
                (size_t)ds->d);
        if (yb && ds->y)
            yb[i] = ds->y[idx[i]];
        if (tb && ds->t)
            tb[i] = ds->t[idx[i]];
    }
}

/* Mean loss and accuracy (classification) over a whole set, in chunks. */
static void mlp_evaluate(mlp *net, const nn_dataset *ds, double *loss, double *accuracy)
{
    double total = 0;
    long correct = 0;
    for (int start = 0; start < ds->n; start += net->max_batch) {
        int B = ds->n - start < net->max_batch ? ds->n - start : net->max_batch;
        const float *x = ds->x + (size_t)start * (size_t)ds->d;
        mlp_forward(net, x, B);
        total += B * mlp_loss(net, ds->y ? ds->y + start : NULL, ds->t ? ds->t + start : NULL, B);
        if (ds->y)
            for (int i = 0; i < B; i++)
                correct += mlp_predict(net, i) == ds->y[start + i];
    }
    *loss = total / ds->n;
    if (accuracy)
        *accuracy = ds->y ? (double)correct / ds->n : 0;
}

/* Mini-batch SGD.  records (may be NULL) gets one entry per epoch; test may
 * be NULL.  Returns NN_ERR with a message if training diverged. */
static int mlp_train(mlp *net, const nn_dataset *train, const nn_dataset *test,
                     const train_config *cfg, nn_rng *rng, epoch_record *records)
{
    NN_ASSERT(cfg->batch >= 1 && cfg->batch <= net->max_batch);
    int *order = nn_malloc((size_t)train->n * sizeof *order);
    float *xb = nn_floats((size_t)cfg->batch * (size_t)train->d);
    int *yb = nn_calloc((size_t)cfg->batch, sizeof *yb);
    float *tb = nn_floats((size_t)cfg->batch);
    long step = 0;
    double first_loss = -1;
    int status = NN_OK;
    int n_batches = (train->n + cfg->batch - 1) / cfg->batch, logged = 0;
    double since_sum = 0;
    int since_count = 0;
    if (cfg->checkpoints_per_epoch > 0) {
        checkpoint c = {0, NAN, 0, 0, 0};
        mlp_evaluate(net, cfg->train_sample, &c.train_loss, NULL);
        if (test)
            mlp_evaluate(net, test, &c.test_loss, &c.test_accuracy);
        cfg->log[logged++] = c;
    }
    for (int epoch = 1; epoch <= cfg->epochs && status == NN_OK; epoch++) {
        double start = nn_seconds(), sum = 0, evaluating = 0;
        int batches = 0;
        nn_rng_permutation(rng, order, (size_t)train->n);               /* 1. shuffle */
        for (int first = 0; first < train->n; first += cfg->batch) {    /* 2. batches */
            int B = train->n - first < cfg->batch ? train->n - first : cfg->batch;
            gather_batch(xb, yb, tb, train, order + first, B);
            nn_zero(net->grads, net->n_params);                         /* 3. one step */
            mlp_forward(net, xb, B);
            double loss = mlp_loss(net, yb, tb, B);
            step++;
            if (first_loss < 0)
                first_loss = loss;
            /* Divergence: the loss overflowed, or grew a hundredfold (a
             * cross-entropy of 100 means odds of e^100 against the truth). */
            if (!isfinite(loss) || loss > 100 * fmax(first_loss, 1)) {
                if (isfinite(loss))
                    status = nn_error("%s: training diverged at step %ld (epoch %d): the loss "
                                      "grew from %.3g to %.3g; lower the learning rate (now %g)",
                                      cfg->what, step, epoch, first_loss, loss, cfg->lr);
                else
                    status = nn_error("%s: training diverged at step %ld (epoch %d): the loss "
                                      "overflowed (it started at %.3g); lower the learning rate "
                                      "(now %g)", cfg->what, step, epoch, first_loss, cfg->lr);
                break;
            }
            mlp_backward(net, yb, tb, B);
            nn_axpy(net->params, (float)-cfg->lr, net->grads, net->n_params);  /* w -= lr dL/dw */
            sum += loss;
            batches++;
            since_sum += loss;
            since_count++;
            /* checkpoint k of this epoch after batch round(k n_batches / per_epoch) */
            int per = cfg->checkpoints_per_epoch;
            if (per > 0 && (long)batches * per / n_batches != (long)(batches - 1) * per / n_batches) {
                double t0 = nn_seconds();
                checkpoint c = {epoch - 1 + (double)batches / n_batches, since_sum / since_count, 0, 0, 0};
                mlp_evaluate(net, cfg->train_sample, &c.train_loss, NULL);
                if (test)
                    mlp_evaluate(net, test, &c.test_loss, &c.test_accuracy);
                cfg->log[logged++] = c;
                since_sum = 0;
                since_count = 0;
                evaluating += nn_seconds() - t0;
            }
            if (cfg->verbose)
                nn_progress(cfg->what, first + B, train->n);
        }
        if (cfg->verbose)
            nn_progress_end();
        if (status != NN_OK)
            break;
        epoch_record rec = {sum / batches, 0, 0, nn_seconds() - start - evaluating};
        if (test)
            mlp_evaluate(net, test, &rec.test_loss, &rec.test_accuracy);
        if (records)
            records[epoch - 1] = rec;
        if (cfg->verbose) {
            if (test && test->y)
                nn_say("  epoch %2d  train loss %.4f  test loss %.4f  test accuracy %5.2f%%  "
                       "(%.2f s)\n", epoch, rec.train_loss, rec.test_loss,
                       100 * rec.test_accuracy, rec.seconds);
            else
                nn_say("  epoch %2d  train loss %.4f  (%.2f s)\n", epoch, rec.train_loss,
                       rec.seconds);
        }
    }
    free(order);
    free(xb);
    free(yb);
    free(tb);
    return status;
}

/* ======================================================================
 * Section 8. Decision boundaries on the TensorFlow-Playground sets
 * ======================================================================
 *
 * The Playground's four sets (circle, xor, gauss, spiral) put two classes in
 * the plane with boundaries of growing difficulty: a line suffices for gauss,
 * circle and xor need a curve, spiral needs the boundary to wind around the
 * origin.  We train the same 2-16-16-1 network on each (batch 10 as the
 * Playground's default, learning rate 0.1, 300 epochs) and map sigma(z^L),
 * the predicted probability of class 1, over the plane.  With ReLU units the
 * spiral is learned in that budget (the run checks a test accuracy of at
 * least 90%); try --activation tanh to see how tanh units, which start in
 * their linear range, fare in the same budget.  Inputs are divided by 5, the
 * sets' radius, so that they lie in about [-1, 1] like the features of
 * every other set in the kit. */
static const char *const playground_names[] = {"circle", "xor", "gauss", "spiral", NULL};
static const char *const dataset_choices[] = {"all", "circle", "xor", "gauss", "spiral", NULL};

enum { PLAYGROUND_POINTS = 400, PLAYGROUND_HIDDEN = 16, PLAYGROUND_EPOCHS = 300,
       BOUNDARY_GRID = 81 };
#define PLAYGROUND_SCALE 5.0
#define PLAYGROUND_LR 0.1
#define PLAYGROUND_NOISE 0.1

typedef struct {
    double train_accuracy, test_accuracy;
} boundary_result;

/* Trains on kind, writes the probability map and the points into the
 * figure's parts KIND-map and KIND-points. */
static int playground_experiment(boundary_result *res, nn_fig *fig, const char *kind,
                                 nn_activation f, nn_rng *rng)
{
    nn_dataset all, train, test;
    if (nn_make_playground(&all, kind, PLAYGROUND_POINTS, PLAYGROUND_NOISE, rng) != NN_OK)
        return NN_ERR;
    for (int i = 0; i < all.n * all.d; i++)
        all.x[i] /= PLAYGROUND_SCALE;
    if (nn_split(&all, 0.75, rng, &train, &test) != NN_OK) {
        nn_dataset_free(&all);
        return NN_ERR;
    }
    const int n[4] = {2, PLAYGROUND_HIDDEN, PLAYGROUND_HIDDEN, 1};
    mlp net;
    mlp_init(&net, 3, n, f, HEAD_SIGMOID, 256);
    mlp_randomize(&net, init_gain(f), rng);
    train_config cfg = {PLAYGROUND_LR, PLAYGROUND_EPOCHS, 10, kind, 0, 0, NULL, NULL};
    int status = mlp_train(&net, &train, NULL, &cfg, rng, NULL);
    double loss;
    if (status == NN_OK) {
        mlp_evaluate(&net, &train, &loss, &res->train_accuracy);
        mlp_evaluate(&net, &test, &loss, &res->test_accuracy);
        char part[64];
        snprintf(part, sizeof part, "%s-map", kind);
        FILE *map = nn_fig_data(fig, part, "x y probability_of_class_1");
        float row[2 * BOUNDARY_GRID];
        for (int r = 0; r < BOUNDARY_GRID && map; r++) {
            double y = -6 + 12.0 * r / (BOUNDARY_GRID - 1);
            for (int c = 0; c < BOUNDARY_GRID; c++) {
                row[2 * c] = (float)((-6 + 12.0 * c / (BOUNDARY_GRID - 1)) / PLAYGROUND_SCALE);
                row[2 * c + 1] = (float)(y / PLAYGROUND_SCALE);
            }
            mlp_forward(&net, row, BOUNDARY_GRID);
            for (int c = 0; c < BOUNDARY_GRID; c++)
                fprintf(map, "%.4f %.4f %.5f\n", row[2 * c] * PLAYGROUND_SCALE,
                        row[2 * c + 1] * PLAYGROUND_SCALE, activation(NN_SIGMOID, net.z[3][c]));
            fputc('\n', map);
        }
        snprintf(part, sizeof part, "%s-points", kind);
        FILE *points = nn_fig_data(fig, part, "x y class (training points)");
        for (int i = 0; i < train.n && points; i++)
            fprintf(points, "%.4f %.4f %d\n", train.x[2 * i] * PLAYGROUND_SCALE,
                    train.x[2 * i + 1] * PLAYGROUND_SCALE, train.y[i]);
    }
    mlp_free(&net);
    nn_dataset_free(&all);
    nn_dataset_free(&train);
    nn_dataset_free(&test);
    return status;
}

/* ======================================================================
 * Section 9. Universal approximation, and depth vs width
 * ======================================================================
 *
 * "One hidden layer is enough to represent an approximation of any function
 * to an arbitrary degree of accuracy" (deck 001): each hidden unit adds one
 * smooth step f(w x + b) to the output, and enough steps draw any continuous
 * curve.  We fit y = sin(5x) on [-1, 1] (three humps, four turning points)
 * with one tanh hidden layer of growing width and measure the mean squared
 * error on a dense grid.  One unit draws one step and cannot turn four
 * times; a handful can.  The theorem promises the approximation exists, not
 * that gradient descent finds it in a given number of steps: what we measure
 * is what mini-batch SGD reaches in a fixed budget (1000 epochs), so the
 * curve flattens once the error left is SGD's noise rather than the
 * network's capacity.
 *
 * "So why deeper?  A shallow net may need (exponentially) more width"
 * (deck 001).  We compare, at equal parameter counts, one hidden layer
 * against three, on the same function and the same budget of steps.  The
 * differences at this small scale are modest and depend on the seed; the
 * deck's claim is about functions with repeated structure, where a deep
 * network reuses what a shallow one must build again unit by unit. */
enum { APPROX_TRAIN = 200, APPROX_GRID = 401, APPROX_EPOCHS = 1000, APPROX_BATCH = 20 };
#define APPROX_LR 0.05
/* weights N(0, 4 / fan_in): the first layer's (fan_in 1) steps are then steep
 * enough for the turns of sin(5x) from the start */
#define APPROX_GAIN 4.0

static double approx_target(double x)
{
    return sin(5 * x);
}

static void make_regression_set(nn_dataset *ds, int n, int grid, nn_rng *rng)
{
    memset(ds, 0, sizeof *ds);
    snprintf(ds->name, sizeof ds->name, "%s", grid ? "grid" : "train");
    ds->n = n;
    ds->d = 1;
    ds->x = nn_floats((size_t)n);
    ds->t = nn_floats((size_t)n);
    for (int i = 0; i < n; i++) {
        double x = grid ? -1 + 2.0 * i / (n - 1) : nn_rng_range(rng, -1, 1);
        ds->x[i] = (float)x;
        ds->t[i] = (float)approx_target(x);
    }
}

/* Trains a 1-H-...-H-1 tanh network with `depth` hidden layers; returns its
 * grid MSE and, if fit is not NULL, its prediction on the grid. */
static int approximation_run(double *mse, float *fit, int depth, int width, const nn_dataset *train,
                             const nn_dataset *grid, nn_rng *rng)
{
    int n[MAX_LAYERS + 1];
    n[0] = 1;
    for (int l = 1; l <= depth; l++)
        n[l] = width;
    n[depth + 1] = 1;
    mlp net;
    mlp_init(&net, depth + 1, n, NN_TANH, HEAD_SQUARED, APPROX_GRID);
    mlp_randomize(&net, APPROX_GAIN, rng);
    /* Each first-layer unit is a step at x = -b/w; with b = 0 all steps
     * would start at x = 0.  Spread them over the interval: b_j = -w_j c_j,
     * c_j ~ U[-1, 1]. */
    for (int j = 0; j < width; j++)
        net.b[1][j] = (float)(-net.W[1][j] * nn_rng_range(rng, -1, 1));
    train_config cfg = {APPROX_LR, APPROX_EPOCHS, APPROX_BATCH, "approximation", 0, 0, NULL, NULL};
    int status = mlp_train(&net, train, NULL, &cfg, rng, NULL);
    if (status == NN_OK) {
        mlp_evaluate(&net, grid, mse, NULL);
        if (fit)
            nn_copy(fit, net.z[depth + 1], (size_t)grid->n);
    }
    mlp_free(&net);
    return status;
}

/* ======================================================================
 * Section 10. Gradient norm per layer: sigmoid vs ReLU
 * ======================================================================
 *
 * Section 4's bound, measured.  A deep network, 64 inputs (the digits),
 * seven hidden layers of 32 units, 10 outputs, initialised as section 2
 * says for its activation, sees 20 mini-batches of 64 digits; for each
 * layer we average ||dL/dW^l||, the size of the step gradient descent would
 * take there.  For the sigmoid it falls by a factor of about 4 per layer
 * (sigma' <= 1/4 at work; the run checks a factor between 2.5 and 6) from
 * the output back to the input: the first layers hardly move.  For ReLU with He's
 * initialisation it stays level (the run checks: within a factor 4 from
 * the first layer to the last).  A third curve, ReLU with the sigmoid's
 * N(0, 1/D), shows that the initialisation matters too: it is level as well,
 * but several times lower, about ten times by the argument that follows
 * and more for a draw that leaves more units inactive (the run checks more
 * than five times, and prints the ratio).  A ReLU zeroes half of its inputs, so with
 * N(0, 1/D) each layer halves the variance of the activations on the way
 * forward and that of delta on the way back.  In dL/dW^l = delta^l
 * (a^(l-1))^T the two shrinkings meet: delta^l has passed L - l layers, a^(l-1)
 * has passed l - 1, and their product has shrunk by (1/sqrt 2)^(L-1) ~ 0.09
 * whatever l is.  He's N(0, 2/D) doubles the variance back at every layer. */
enum { GRADNORM_HIDDEN_LAYERS = 7, GRADNORM_WIDTH = 32, GRADNORM_BATCHES = 20 };

static void gradient_norms(double *norms, nn_activation f, double gain, const nn_dataset *digits,
                           nn_rng *rng)
{
    int n[MAX_LAYERS + 1];
    int L = GRADNORM_HIDDEN_LAYERS + 1, B = 64;
    n[0] = digits->d;
    for (int l = 1; l < L; l++)
        n[l] = GRADNORM_WIDTH;
    n[L] = digits->n_classes;
    mlp net;
    mlp_init(&net, L, n, f, HEAD_SOFTMAX, B);
    mlp_randomize(&net, gain, rng);
    int *order = nn_malloc((size_t)digits->n * sizeof *order);
    float *xb = nn_floats((size_t)B * (size_t)digits->d);
    int *yb = nn_calloc((size_t)B, sizeof *yb);
    nn_rng_permutation(rng, order, (size_t)digits->n);
    for (int l = 1; l <= L; l++)
        norms[l] = 0;
    for (int k = 0; k < GRADNORM_BATCHES; k++) {
        gather_batch(xb, yb, NULL, digits, order + k * B, B);
        nn_zero(net.grads, net.n_params);
        mlp_forward(&net, xb, B);
        mlp_loss(&net, yb, NULL, B);
        mlp_backward(&net, yb, NULL, B);
        for (int l = 1; l <= L; l++)
            norms[l] += nn_norm2(net.dW[l], (size_t)n[l] * (size_t)n[l - 1]) / GRADNORM_BATCHES;
    }
    free(order);
    free(xb);
    free(yb);
    mlp_free(&net);
}

/* ======================================================================
 * Section 11. Real data: the digits and Fashion-MNIST
 * ======================================================================
 *
 * The shipped digits (8x8 images, 1797 examples, 10 classes; data/) and
 * Fashion-MNIST (28x28 images of clothes, 60000 for training and 10000 for
 * testing, 10 classes; Debian's dataset-fashion-mnist) are learned by a
 * D-H-10 network: one hidden layer (--hidden, 256 by default, so 784-256-10
 * and 203530 parameters for Fashion-MNIST), softmax and cross-entropy, plain
 * mini-batch SGD (learning rate 0.1, batches of 128, 30 epochs).  Pixels are
 * scaled to [0, 1].  The default run uses the first --train Fashion-MNIST
 * images and two epochs, which takes seconds; --full trains on all 60000
 * and tests on all 10000 (a run of minutes whose results are printed, not
 * checked: it is too long for make check).  Plain SGD's test accuracy wobbles from epoch to epoch, because
 * the noise of the last steps is never averaged away; chapter 3 measures
 * that wobble on a regression and the learning-rate decay that calms it.
 *
 * Reading the loss curves.  The epoch lines print, as most training loops
 * do, the mean of the epoch's mini-batch losses, and early on that mean sits
 * above the test loss, which looks as if the network did better on data it
 * has not seen.  It does not: the mean averages the losses of every weight
 * vector of the epoch, most of them worse than the weights at its end, while
 * the test loss is measured at the end.  The figures therefore show three
 * curves, at five checkpoints per epoch in the short runs: the running mean
 * (drawn at the middle of the stretch it averages), and the training loss
 * (on the first 2000 training examples) and test loss of the weights at the
 * checkpoint.  The run checks both halves of that explanation: in epoch 1
 * the printed mean is above the end-of-epoch training loss, and at the same
 * final weights the training loss is below the test loss.  The accuracy
 * panel's axis runs from 0 to 100%, with chance (1 in 10) marked, so that a
 * gain of a point or two looks like what it is. */
typedef struct {
    double accuracy, seconds_per_epoch;
    int epochs_run;
    checkpoint last;           /* the final checkpoint */
    double spread_low, spread_high;  /* test accuracy over several splits (digits) */
} real_result;

static int real_data_run(real_result *res, const char *title, const char *fig_name,
                         const nn_dataset *train, const nn_dataset *test, int hidden,
                         nn_activation f, double lr, int epochs, int batch, nn_rng *rng)
{
    const int n[3] = {train->d, hidden, train->n_classes};
    char arch[64];
    nn_say("%s: %s network (%ld parameters), %s hidden units, %d training and %d test "
           "examples, %d epochs, batch %d, learning rate %g\n", title,
           architecture_text(arch, sizeof arch, 2, n), count_parameters(2, n), nn_act_name(f),
           train->n, test->n, epochs, batch, lr);
    mlp net;
    mlp_init(&net, 2, n, f, HEAD_SOFTMAX, batch > 256 ? batch : 256);
    mlp_randomize(&net, init_gain(f), rng);
    epoch_record *records = nn_calloc((size_t)epochs, sizeof *records);
    /* Short runs get five checkpoints per epoch, so that their curves have
     * more than one point per epoch; the training loss at a checkpoint is
     * measured on (at most) the first 2000 training examples. */
    int n_batches = (train->n + batch - 1) / batch;
    int per_epoch = epochs <= 5 ? (n_batches < 5 ? n_batches : 5) : 1;
    checkpoint *log = nn_calloc((size_t)(1 + epochs * per_epoch), sizeof *log);
    nn_dataset sample = *train;
    sample.n = train->n < 2000 ? train->n : 2000;
    train_config cfg = {lr, epochs, batch, title, 1, per_epoch, log, &sample};
    int status = mlp_train(&net, train, test, &cfg, rng, records);
    if (status == NN_OK) {
        double seconds = 0;
        for (int e = 0; e < epochs; e++)
            seconds += records[e].seconds;
        int last = epochs * per_epoch;
        res->accuracy = records[epochs - 1].test_accuracy;
        res->seconds_per_epoch = seconds / epochs;
        res->epochs_run = epochs;
        res->last = log[last];
        /* The epoch lines print the mean of the epoch's batch losses, taken
         * while the weights improved: in the first epoch it sits far above
         * the loss of the weights at the epoch's end, and above the test
         * loss.  Measured at the same weights, training beats test. */
        char id[96];
        snprintf(id, sizeof id, "%s-running-mean-lags", fig_name);
        nn_claim(records[0].train_loss > log[per_epoch].train_loss, id,
                 "%s: the printed train loss of epoch 1 (%.4f, a mean over the epoch) is above the training loss "
                 "of the weights at its end (%.4f)", title, records[0].train_loss, log[per_epoch].train_loss);
        snprintf(id, sizeof id, "%s-train-below-test", fig_name);
        nn_claim(log[last].train_loss < log[last].test_loss, id,
                 "%s: at the same final weights the training loss %.4f is below the test loss %.4f", title,
                 log[last].train_loss, log[last].test_loss);
        nn_fig fig;
        if (nn_fig_begin_sized(&fig, CHAPTER, fig_name, 1000, 440) != NN_OK) {
            status = NN_ERR;
        } else {
            FILE *data = nn_fig_data(&fig, NULL, "epoch running_train_loss_midpoint running_train_loss "
                                     "train_loss test_loss test_accuracy");
            for (int k = 0; k <= last && data; k++) {
                /* the running mean covers the interval since the previous
                 * checkpoint: it is drawn at the interval's middle */
                double mid = k ? (log[k].epoch + log[k - 1].epoch) / 2 : 0;
                fprintf(data, "%.4f %.4f %.6f %.6f %.6f %.6f\n", log[k].epoch, mid, log[k].running_train_loss,
                        log[k].train_loss, log[k].test_loss, log[k].test_accuracy);
            }
            const char *path = nn_fig_path(&fig, NULL);
            nn_fig_cmd(&fig, "set multiplot layout 1,2 title '%s: %s network, mini-batch SGD' "
                             "noenhanced", title, arch);
            nn_fig_cmd(&fig, "set xlabel 'epoch'\nset ylabel 'cross-entropy loss'");
            nn_fig_cmd(&fig, "set xrange [0:%d]\nset key top right", epochs);
            if (epochs <= 25)
                nn_fig_cmd(&fig, "set xtics 1");
            nn_fig_cmd(&fig, "plot '%s' every ::1 using 2:3 with linespoints ls 4 dt 2 title 'train, running mean "
                             "of the batches (lags)', \\", path);
            nn_fig_cmd(&fig, "     '' using 1:4 with linespoints ls 1 title 'train, at the checkpoint', \\");
            nn_fig_cmd(&fig, "     '' using 1:5 with linespoints ls 2 title 'test, at the checkpoint'");
            nn_fig_cmd(&fig, "set ylabel 'test accuracy (%%)'\nset key center right");
            nn_fig_cmd(&fig, "set yrange [0:100]; set ytics 10");
            nn_fig_cmd(&fig, "plot '%s' using 1:(100*$6) with linespoints ls 3 title 'test accuracy', "
                             "%g with lines ls 8 dt 3 lw 1 title 'chance (1 in %d)'", path,
                       100.0 / train->n_classes, train->n_classes);
            nn_fig_cmd(&fig, "unset multiplot");
            status = nn_fig_end(&fig);
        }
    }
    free(log);
    free(records);
    mlp_free(&net);
    return status;
}

/* ======================================================================
 * The run: every section in order, a summary on stdout, figures under --out
 * ====================================================================== */
#ifndef NN_CHAPTER_NO_MAIN

static void check_figure(nn_fig *fig)
{
    if (nn_fig_end(fig) != NN_OK)
        nn_die_last();
}

static void figure_activations(void)
{
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, "activations", 1100, 680) != NN_OK)
        nn_die_last();
    static const nn_activation shown[] = {NN_SIGMOID, NN_TANH, NN_RELU, NN_LEAKY_RELU, NN_ELU};
    FILE *f = nn_fig_data(&fig, NULL,
                          "z sigmoid tanh relu leaky_relu elu maxout then the six derivatives");
    for (int i = 0; i <= 400 && f; i++) {
        double z = -4 + 8.0 * i / 400, slope[6];
        fprintf(f, "%.4f", z);
        for (int k = 0; k < 5; k++) {
            fprintf(f, " %.6f", activation(shown[k], z));
            slope[k] = activation_slope(shown[k], z);
        }
        int winner = 0;
        fprintf(f, " %.6f", maxout_forward(&winner, &z, plot_maxout_w, plot_maxout_b, 1, 3));
        slope[5] = plot_maxout_w[winner];
        for (int k = 0; k < 6; k++)
            fprintf(f, " %.6f", slope[k]);
        fputc('\n', f);
    }
    const char *path = nn_fig_path(&fig, NULL);
    static const char *const titles[6] = {"sigmoid", "tanh", "ReLU", "leaky ReLU (slope 0.01 for z < 0)",
                                          "ELU", "maxout (3 pieces)"};
    /* One panel per activation, f and f' in it: drawn together, ReLU's line
     * hides leaky ReLU's and ELU's on one side each, and a key over six
     * curves covers them. */
    nn_fig_cmd(&fig, "set multiplot layout 2,3 title 'activations f(z) (solid) and their derivatives f''(z) "
                     "(dashed)'");
    nn_fig_cmd(&fig, "set xlabel 'z'; set ylabel \"f(z), f'(z)\"; set key top left samplen 2");
    nn_fig_cmd(&fig, "set xrange [-4:4]; set xtics 2");
    for (int k = 0; k < 6; k++) {
        nn_fig_cmd(&fig, "set title '%s'", titles[k]);
        nn_fig_cmd(&fig, "plot '%s' using 1:%d with lines ls %d title 'f(z)', '' using 1:%d with lines ls %d "
                         "dt 2 title \"f'(z)\"", path, k + 2, k + 1, k + 8, k + 1);
    }
    nn_fig_cmd(&fig, "unset multiplot");
    check_figure(&fig);
}

int main(int argc, char **argv)
{
    int epochs = 30, hidden = 256, batch = 128, full = 0, fashion_train = 6000;
    double lr = 0.1;
    const char *act_name = "relu", *dataset = "all";
    nn_option options[] = {
        NN_OPT_INT("epochs", "N", "epochs of the digits run and of the --full Fashion-MNIST run "
                   "(the short one does at most 2)", &epochs, 1, 10000),
        NN_OPT_INT("hidden", "N", "hidden units of the digits and Fashion-MNIST networks",
                   &hidden, 1, 100000),
        NN_OPT_DOUBLE("lr", "RATE", "learning rate of the digits and Fashion-MNIST runs", &lr,
                      1e-9, 1e9),
        NN_OPT_INT("batch", "N", "mini-batch size of the digits and Fashion-MNIST runs", &batch,
                   1, 4096),
        NN_OPT_CHOICE("activation", "NAME", "hidden activation of the Playground and real-data "
                      "networks", &act_name, hidden_activation_names),
        NN_OPT_CHOICE("dataset", "NAME", "Playground set(s) for the decision boundaries",
                      &dataset, dataset_choices),
        NN_OPT_INT("train", "N", "Fashion-MNIST training images in the short run", &fashion_train,
                   100, 60000),
        NN_OPT_FLAG("full", "the full Fashion-MNIST run: 60000 training and 10000 test images, "
                    "--epochs epochs", &full),
        NN_OPT_END};
    nn_common common;
    nn_cli_parse(argc, argv, "ch02-backprop", "the multilayer perceptron trained by backpropagation",
                 options, &common);
    nn_activation act;
    if (nn_act_parse(act_name, &act) != NN_OK)
        nn_usage_error("%s", nn_last_error());
    nn_rng rng = nn_rng_new(common.seed);
    char arch[64];

    /* ---- Section 1 ---- */
    nn_say("Chapter 2: the multilayer perceptron, trained by backpropagation\n\n");
    nn_say("1. Activations (figure activations): the sigmoid's slope is at most %.4f, at z = 0; "
           "ReLU's is 1 for z > 0.\n", sigmoid_slope_maximum(-8, 8, 1600));
    figure_activations();
    {
        /* backward through a maxout unit of 3 pieces of 4 inputs, against
         * central differences of its forward */
        double x[4], w[12], b[3], d_x[4] = {0}, d_w[12] = {0}, d_b[3] = {0};
        for (int i = 0; i < 4; i++)
            x[i] = nn_rng_normal(&rng);
        for (int i = 0; i < 12; i++)
            w[i] = nn_rng_normal(&rng);
        for (int j = 0; j < 3; j++)
            b[j] = nn_rng_normal(&rng);
        int winner, other;
        maxout_forward(&winner, x, w, b, 4, 3);
        maxout_backward(d_x, d_w, d_b, 1.0, x, w, winner, 4);
        double worst = 0, eps = 1e-6;
        for (int i = 0; i < 4; i++) {
            double saved = x[i];
            x[i] = saved + eps;
            double up = maxout_forward(&other, x, w, b, 4, 3);
            x[i] = saved - eps;
            double down = maxout_forward(&other, x, w, b, 4, 3);
            x[i] = saved;
            worst = fmax(worst, fabs((up - down) / (2 * eps) - d_x[i]));
        }
        nn_say("   maxout: the gradient flows to the winning piece only (piece %d of 3 here); "
               "da/dx agrees with central differences to %.0e.\n\n", winner + 1, worst);
    }

    /* ---- Section 2 ---- */
    {
        const int n[4] = {4, 5, 4, 3};
        slow_mlp net;
        slow_mlp_init(&net, 3, n, NN_TANH, HEAD_SOFTMAX);
        slow_mlp_randomize(&net, 1.0, &rng);
        double x[5 * 4];
        int y[5];
        for (int i = 0; i < 20; i++)
            x[i] = nn_rng_normal(&rng);
        for (int i = 0; i < 5; i++)
            y[i] = (int)nn_rng_below(&rng, 3);
        double error = slow_mlp_gradient_check(&net, x, y, NULL, 5, 1e-5);
        nn_say("2. Backpropagation (BP1-BP4) on a %s tanh network, 5 examples: largest relative "
               "error against central differences %.1e.\n\n",
               architecture_text(arch, sizeof arch, 3, n), error);
        slow_mlp_free(&net);
    }

    /* ---- Section 3 ---- */
    {
        lr_graph g;
        lr_graph_evaluate(&g, 3, 1, 3);
        nn_say("3. Logistic regression as a computational graph, X = 3, y = 1, W = 3:\n");
        nn_say("   %-24s %14s %16s %16s\n", "node", "value", "forward dxi/dW", "reverse dL/dxi");
        for (int k = 1; k <= LR_NODES; k++)
            nn_say("   %-24s %14.7g %16.7g %16.7g\n", lr_node_text[k], g.value[k] + 0.0,
                   g.tangent[k] + 0.0, g.adjoint[k] + 0.0);   /* + 0.0: no "-0" */
        double eps = 1e-5, numeric = (lr_loss(3, 1, 3 + eps) - lr_loss(3, 1, 3 - eps)) / (2 * eps);
        nn_say("   dL/dW: forward mode %.7e, reverse mode %.7e, central difference %.7e;\n"
               "   |dL/dW| = %.4e as in deck 001.  The sign is negative: with y = 1, a larger W "
               "pushes p = sigma(W X)\n   towards 1 and lowers the loss.\n", g.dL_dW_forward,
               g.dL_dW_reverse, numeric, fabs(g.dL_dW_reverse));
        double p = g.value[4], delta = p - 1;
        nn_say("   delta^L = dL/dz = -dL/dxi1 = %.7e = p - y = %.7e (BP1), and dL/dW = delta^L X = %.7e (BP4)\n",
               -g.adjoint[1], delta, delta * 3);
        int agree = fabs(-g.adjoint[1] - delta) <= 1e-9 * fabs(delta) &&
                    fabs(g.dL_dW_reverse - delta * 3) <= 1e-9 * fabs(delta * 3) &&
                    fabs(numeric - delta * 3) <= 1e-6 * fabs(delta * 3);
        lr_graph g0;
        lr_graph_evaluate(&g0, 3, 0, 3);
        double p0 = g0.value[4];
        agree = agree && fabs(g0.dL_dW_reverse - p0 * 3) <= 1e-9 * fabs(p0 * 3);
        nn_claim(agree, "graph-is-delta-times-x",
                 "the graph's reverse pass gives dL/dW = (p - y) X for y = 1 (%.6e) and y = 0 (%.6e), "
                 "with dL/dz = p - y = delta^L", g.dL_dW_reverse, g0.dL_dW_reverse);
        nn_say("\n");
    }

    /* ---- Section 4 ---- */
    {
        neuron_state sq = not_gate_neuron(-1, 5, 0, 1, 0), ce = not_gate_neuron(-1, 5, 0, 1, 1);
        nn_say("4. Saturation, the NOT gate at x = -1 (y = 1), w = 5, b = 0: z = %g, a = %.4f\n",
               sq.z, sq.a);
        nn_say("   squared loss  %.4f  dl/dz = %+.5f  dl/dw = %+.5f\n", sq.loss, sq.dl_dz, sq.dl_dw);
        nn_say("   cross-entropy %.4f  dl/dz = %+.5f  dl/dw = %+.5f  (%.0f times larger)\n",
               ce.loss, ce.dl_dz, ce.dl_dw, ce.dl_dz / sq.dl_dz);
        enum { STEPS = 60 };
        double path_sq[STEPS + 1], path_ce[STEPS + 1];
        not_gate_descent(path_sq, STEPS, 1.0, 0);
        not_gate_descent(path_ce, STEPS, 1.0, 1);
        nn_say("   after %d gradient steps (rate 1): a = %.4f with squared loss, %.4f with "
               "cross-entropy (figure saturation)\n", STEPS, path_sq[STEPS], path_ce[STEPS]);
        nn_claim(ce.dl_dz / sq.dl_dz > 50 && path_ce[STEPS] > path_sq[STEPS], "cross-entropy-beats-saturation",
                 "from the saturated start the cross-entropy's dl/dz is %.0f times the squared loss's, and after %d "
                 "steps its output is closer to y = 1 (%.4f against %.4f)", ce.dl_dz / sq.dl_dz, STEPS,
                 path_ce[STEPS], path_sq[STEPS]);
        nn_say("   vanishing gradients: sigma' <= 1/4, so %d sigmoid layers scale a gradient by at "
               "most %.1e (times the weights)\n\n", 10, pow(0.25, 10));
        nn_fig fig;
        if (nn_fig_begin(&fig, CHAPTER, "saturation") != NN_OK)
            nn_die_last();
        FILE *f = nn_fig_data(&fig, NULL, "step a_squared_loss a_cross_entropy");
        for (int s = 0; s <= STEPS && f; s++)
            fprintf(f, "%d %.6f %.6f\n", s, path_sq[s], path_ce[s]);
        nn_fig_cmd(&fig, "set title 'NOT gate from the saturated start x = -1, w = 5, b = 0 "
                         "(target y = 1)'");
        nn_fig_cmd(&fig, "set xlabel 'gradient step (learning rate 1)'\nset ylabel 'output a = "
                         "sigma(w x + b)'\nset yrange [0:1.05]\nset key at graph 0.62, graph 0.35 right");
        nn_fig_cmd(&fig, "plot '%s' using 1:3 with lines ls 2 title 'cross-entropy: dl/dz = a - "
                         "y', '' using 1:2 with lines ls 1 title \"squared loss: dl/dz = 2 (a - "
                         "y) sigma'(z)\"", nn_fig_path(&fig, NULL));
        check_figure(&fig);
    }

    /* ---- Section 5 ---- */
    {
        const int deck[4] = {2, 4, 4, 1}, fashion[3] = {784, hidden, 10};
        nn_say("5. Parameters: the %s network of deck 001 has %ld; ",
               architecture_text(arch, sizeof arch, 3, deck), count_parameters(3, deck));
        nn_say("the %s network for Fashion-MNIST has %ld.\n\n",
               architecture_text(arch, sizeof arch, 2, fashion), count_parameters(2, fashion));
    }

    /* ---- Section 6 ---- */
    {
        xor_result r = train_xor(10, 4000, 2.0, &rng);
        nn_say("6. XOR by a 2-2-1 sigmoid network, 4000 full-batch steps: %d of %d random "
               "initialisations solved it.\n", r.solved, r.tries);
        if (r.first_solved >= 0) {
            const double *w = r.weights;
            nn_say("   try %d: hidden units sigma(%.1f x1 %+.1f x2 %+.1f) and sigma(%.1f x1 %+.1f x2 "
                   "%+.1f),\n   output sigma(%.1f h1 %+.1f h2 %+.1f); outputs on 00 01 10 11: "
                   "%.3f %.3f %.3f %.3f\n\n", r.first_solved + 1, w[0], w[1], w[4], w[2], w[3],
                   w[5], w[6], w[7], w[8], r.outputs[0], r.outputs[1], r.outputs[2],
                   r.outputs[3]);
        } else {
            nn_say("\n");
        }
    }

    /* ---- Section 7 ---- */
    {
        const int n[4] = {6, 8, 5, 4};
        enum { B = 16 };
        mlp fast;
        slow_mlp slow;
        mlp_init(&fast, 3, n, act, HEAD_SOFTMAX, B);
        slow_mlp_init(&slow, 3, n, act, HEAD_SOFTMAX);
        mlp_randomize(&fast, init_gain(act), &rng);
        mlp_copy_to_slow(&fast, &slow);
        float x[B * 6];
        double xd[B * 6];
        int y[B];
        for (int i = 0; i < B * 6; i++)
            xd[i] = x[i] = (float)nn_rng_normal(&rng);
        for (int i = 0; i < B; i++)
            y[i] = (int)nn_rng_below(&rng, 4);
        nn_zero(fast.grads, fast.n_params);
        mlp_forward(&fast, x, B);
        double fast_loss = mlp_loss(&fast, y, NULL, B);
        mlp_backward(&fast, y, NULL, B);
        double slow_loss = slow_mlp_loss_grad(&slow, xd, y, NULL, B), worst = 0;
        for (int l = 1; l <= 3; l++)
            for (int i = 0; i < n[l] * n[l - 1]; i++)
                worst = fmax(worst, fabs(fast.dW[l][i] - slow.dW[l][i]));
        nn_say("7. The library's batched float network vs the didactic one (%s, %s, batch %d): "
               "losses %.6f and %.6f,\n   largest weight-gradient difference %.1e.\n\n",
               architecture_text(arch, sizeof arch, 3, n), nn_act_name(act), B, fast_loss,
               slow_loss, worst);
        mlp_free(&fast);
        slow_mlp_free(&slow);
    }

    /* ---- Section 8 ---- */
    {
        int all = strcmp(dataset, "all") == 0, count = all ? 4 : 1;
        nn_fig fig;
        if (nn_fig_begin_sized(&fig, CHAPTER, "boundaries", count > 1 ? 1000 : 600,
                               count > 1 ? 960 : 560) != NN_OK)
            nn_die_last();
        /* a pale version of the style's diverging palette, so that the points,
         * in the class colours, stand out on it */
        nn_fig_cmd(&fig, "set palette defined (0 '#9CC3E0', 0.5 '#F7F7F7', 1 '#F2B48C')\n"
                         "set cbrange [0:1]\nset size ratio -1");
        nn_fig_cmd(&fig, "set xrange [-6:6]\nset yrange [-6:6]\nunset key\nunset grid");
        nn_fig_cmd(&fig, "set xlabel 'input x_1'\nset ylabel 'input x_2'\nset cblabel 'p(class 1)'");
        if (count > 1)
            nn_fig_cmd(&fig, "set multiplot layout 2,2 title 'decision boundaries of a "
                             "2-16-16-1 %s network: background = predicted "
                             "probability of class 1' noenhanced margins 0.07, 0.89, 0.1, 0.93 "
                             "spacing 0.17, 0.1", nn_act_name(act));
        nn_say("8. Decision boundaries of a 2-%d-%d-1 %s network (figure boundaries), %d points "
               "(75%% train), noise %.1f:\n", PLAYGROUND_HIDDEN, PLAYGROUND_HIDDEN,
               nn_act_name(act), PLAYGROUND_POINTS, PLAYGROUND_NOISE);
        for (int k = 0; playground_names[k]; k++) {
            if (!all && strcmp(dataset, playground_names[k]) != 0)
                continue;
            const char *kind = playground_names[k];
            boundary_result res;
            if (playground_experiment(&res, &fig, kind, act, &rng) != NN_OK)
                nn_die_last();
            nn_say("   %-7s train accuracy %5.1f%%  test accuracy %5.1f%%\n", kind,
                   100 * res.train_accuracy, 100 * res.test_accuracy);
            if (act == NN_RELU && strcmp(kind, "spiral") == 0)
                nn_claim(res.test_accuracy >= 0.9, "relu-learns-spiral",
                         "with ReLU units the 2-16-16-1 network learns the spiral in the budget: test accuracy "
                         "%.1f%%", 100 * res.test_accuracy);
            char map[64], points[64];
            snprintf(map, sizeof map, "%s-map", kind);
            snprintf(points, sizeof points, "%s-points", kind);
            nn_fig_cmd(&fig, "set title '%s (test accuracy %.0f%%)'", kind,
                       100 * res.test_accuracy);
            if (!all || !playground_names[k + 1])   /* the last panel draws the class legend */
                nn_fig_cmd(&fig, "set key at screen 0.5, screen 0.01 center bottom vertical maxrows 1 nobox");
            nn_fig_cmd(&fig, "plot '%s' using 1:2:3 with image notitle, \\", nn_fig_path(&fig, map));
            nn_fig_cmd(&fig, "     '%s' using 1:2 with points pt 7 ps 0.9 lc rgb 'white' notitle, \\",
                       nn_fig_path(&fig, points));
            nn_fig_cmd(&fig, "     '' using 1:2:($3 == 1 ? nn_class1 : nn_class0) with points pt 7 "
                             "ps 0.6 lc rgb variable notitle, \\");
            /* the class legend, once, below the panels */
            nn_fig_cmd(&fig, "     keyentry with points pt 7 ps 1.2 lc rgb nn_class1 title 'class 1', \\");
            nn_fig_cmd(&fig, "     keyentry with points pt 7 ps 1.2 lc rgb nn_class0 title 'class 0'");
        }
        if (count > 1)
            nn_fig_cmd(&fig, "unset multiplot");
        check_figure(&fig);
        nn_say("\n");
    }

    /* ---- Section 9 ---- */
    {
        static const int widths[] = {1, 2, 4, 8, 16, 32};
        enum { N_WIDTHS = 6 };
        static const int budget_wide[] = {17, 32, 69}, budget_deep[] = {4, 6, 9};
        enum { N_BUDGETS = 3 };
        nn_dataset train, grid;
        make_regression_set(&train, APPROX_TRAIN, 0, &rng);
        make_regression_set(&grid, APPROX_GRID, 1, NULL);
        float *fits = nn_floats((size_t)N_WIDTHS * APPROX_GRID);
        double mse[N_WIDTHS], mse_wide[N_BUDGETS], mse_deep[N_BUDGETS];
        long params_wide[N_BUDGETS], params_deep[N_BUDGETS];
        nn_say("9. Universal approximation: y = sin(5x) on [-1, 1] by 1-H-1 tanh networks, "
               "%d examples, %d epochs of SGD (figure approximation)\n", APPROX_TRAIN,
               APPROX_EPOCHS);
        for (int k = 0; k < N_WIDTHS; k++) {
            if (approximation_run(&mse[k], fits + (size_t)k * APPROX_GRID, 1, widths[k], &train,
                                  &grid, &rng) != NN_OK)
                nn_die_last();
            nn_say("   width %2d (%3d parameters): grid MSE %.5f\n", widths[k], 3 * widths[k] + 1,
                   mse[k]);
        }
        double best_wide = mse[2];
        for (int k = 3; k < N_WIDTHS; k++)
            best_wide = fmin(best_wide, mse[k]);
        nn_claim(mse[0] > 0.1 && best_wide < 0.01, "width-approximates",
                 "one tanh unit cannot draw sin(5x) (grid MSE %.4f); four or more reach %.5f", mse[0], best_wide);
        nn_say("   depth vs width at equal parameter counts:\n");
        for (int k = 0; k < N_BUDGETS; k++) {
            int wide[3] = {1, budget_wide[k], 1};
            int deep[5] = {1, budget_deep[k], budget_deep[k], budget_deep[k], 1};
            params_wide[k] = count_parameters(2, wide);
            params_deep[k] = count_parameters(4, deep);
            if (approximation_run(&mse_wide[k], NULL, 1, budget_wide[k], &train, &grid, &rng) !=
                    NN_OK ||
                approximation_run(&mse_deep[k], NULL, 3, budget_deep[k], &train, &grid, &rng) !=
                    NN_OK)
                nn_die_last();
            nn_say("   1 hidden layer of %2d (%3ld parameters): MSE %.5f   3 hidden layers of %d "
                   "(%3ld parameters): MSE %.5f\n", budget_wide[k], params_wide[k], mse_wide[k],
                   budget_deep[k], params_deep[k], mse_deep[k]);
        }
        nn_say("\n");
        nn_fig fig;
        if (nn_fig_begin_sized(&fig, CHAPTER, "approximation", 1000, 440) != NN_OK)
            nn_die_last();
        FILE *f = nn_fig_data(&fig, "fits", "x target fit_width_1 2 4 8 16 32");
        for (int i = 0; i < APPROX_GRID && f; i++) {
            fprintf(f, "%.4f %.5f", grid.x[i], grid.t[i]);
            for (int k = 0; k < N_WIDTHS; k++)
                fprintf(f, " %.5f", fits[(size_t)k * APPROX_GRID + i]);
            fputc('\n', f);
        }
        f = nn_fig_data(&fig, "errors", "parameters mse depth (1: one hidden layer, 3: three)");
        for (int k = 0; k < N_WIDTHS && f; k++)
            fprintf(f, "%d %.6g 1\n", 3 * widths[k] + 1, mse[k]);
        for (int k = 0; k < N_BUDGETS && f; k++)
            fprintf(f, "%ld %.6g 1\n", params_wide[k], mse_wide[k]);
        if (f)
            fputs("\n\n", f);
        for (int k = 0; k < N_BUDGETS && f; k++)
            fprintf(f, "%ld %.6g 3\n", params_deep[k], mse_deep[k]);
        const char *fits_path = nn_fig_path(&fig, "fits");
        nn_fig_cmd(&fig, "set multiplot layout 1,2\nset xlabel 'x'\nset key top left font ',9'");
        nn_fig_cmd(&fig, "set title 'one hidden layer of H tanh units'\nset yrange [-1.8:2.2]");
        nn_fig_cmd(&fig, "plot '%s' using 1:2 with lines lw 5 lc rgb '#BBBBBB' title 'target', \\",
                   fits_path);
        for (int k = 0; k < N_WIDTHS; k++)
            nn_fig_cmd(&fig, "     '' using 1:%d with lines ls %d title 'H = %d'%s", k + 3, k + 1,
                       widths[k], k + 1 < N_WIDTHS ? ", \\" : "");
        nn_fig_cmd(&fig, "set title 'error on the grid vs parameters'\nset logscale xy\n"
                         "set xlabel 'parameters'\nset ylabel 'mean squared error'\n"
                         "set yrange [*:*]\nset key top right");
        nn_fig_cmd(&fig, "plot '%s' index 0 using 1:2 with points ls 1 pt 7 ps 1.3 title 'one "
                         "hidden layer', '' index 1 using 1:2 with points ls 2 pt 5 ps 1.3 title "
                         "'three hidden layers'", nn_fig_path(&fig, "errors"));
        nn_fig_cmd(&fig, "unset multiplot");
        check_figure(&fig);
        free(fits);
        nn_dataset_free(&train);
        nn_dataset_free(&grid);
    }

    /* ---- Sections 10 and 11: the digits ---- */
    nn_dataset digits;
    if (nn_load_digits(&digits, NULL) != NN_OK)
        nn_die_last();
    for (int i = 0; i < digits.n * digits.d; i++)
        digits.x[i] /= 16;                   /* pixel values 0..16 to [0, 1] */
    {
        enum { CURVES = 3 };
        static const char *const names[CURVES] = {"sigmoid, N(0, 1/D)", "ReLU, N(0, 2/D) (He)",
                                                  "ReLU, N(0, 1/D)"};
        static const nn_activation acts[CURVES] = {NN_SIGMOID, NN_RELU, NN_RELU};
        static const double gains[CURVES] = {1, 2, 1};
        double norms[CURVES][MAX_LAYERS + 1];
        int L = GRADNORM_HIDDEN_LAYERS + 1;
        nn_say("10. Gradient norm ||dL/dW^l|| per layer of a 64-%dx%d-10 network on the digits "
               "(figure gradient-norms):\n", GRADNORM_WIDTH, GRADNORM_HIDDEN_LAYERS);
        for (int c = 0; c < CURVES; c++) {
            gradient_norms(norms[c], acts[c], gains[c], &digits, &rng);
            nn_say("   %-22s layer 1: %.2e  layer %d: %.2e  (ratio %.2g)\n", names[c], norms[c][1],
                   L, norms[c][L], norms[c][1] / norms[c][L]);
        }
        double sigmoid_factor = pow(norms[0][L] / norms[0][1], 1.0 / (L - 1));
        double he_level = norms[1][1] / norms[1][L], he_over_lecun = 0;
        for (int l = 1; l <= L; l++)
            he_over_lecun += norms[1][l] / norms[2][l] / L;
        nn_claim(sigmoid_factor > 2.5 && sigmoid_factor < 6, "sigmoid-gradient-falls-4x",
                 "sigmoid: the gradient norm falls by a factor %.2f per layer towards the input (about 4)",
                 sigmoid_factor);
        nn_claim(he_level > 1.0 / 4 && he_level < 4 && he_over_lecun > 5,
                 "relu-gradient-level",
                 "ReLU: layer 1 / layer %d is %.2f with He's init (level, within 4x over %d layers); N(0, 1/D) is "
                 "%.1f times lower on average", L, he_level, L, he_over_lecun);
        nn_say("\n");
        nn_fig fig;
        if (nn_fig_begin(&fig, CHAPTER, "gradient-norms") != NN_OK)
            nn_die_last();
        FILE *f = nn_fig_data(&fig, NULL, "layer sigmoid relu_he relu_1_over_D");
        for (int l = 1; l <= L && f; l++)
            fprintf(f, "%d %.6g %.6g %.6g\n", l, norms[0][l], norms[1][l], norms[2][l]);
        nn_fig_cmd(&fig, "set title 'gradient size per layer at initialisation (64-%dx%d-10, "
                         "digits)'", GRADNORM_WIDTH, GRADNORM_HIDDEN_LAYERS);
        nn_fig_cmd(&fig, "set xlabel 'layer l (1 = next to the input)'\nset ylabel "
                         "'||dL/dW^l||'\nset logscale y\nset format y '10^{%%L}'\n"
                         "set xtics 1\nset key bottom right");
        for (int c = 0; c < CURVES; c++)
            nn_fig_cmd(&fig, "%s '%s' using 1:%d with linespoints ls %d title '%s'%s",
                       c ? "    " : "plot", nn_fig_path(&fig, NULL), c + 2, c + 1, names[c],
                       c + 1 < CURVES ? ", \\" : "");
        check_figure(&fig);
    }

    /* ---- Section 11 ---- */
    real_result digits_result, fashion_result;
    {
        nn_dataset train, test;
        if (nn_split(&digits, 0.8, &rng, &train, &test) != NN_OK)
            nn_die_last();
        nn_say("11. Real data\n");
        if (real_data_run(&digits_result, "digits", "loss-digits", &train, &test, hidden, act, lr,
                          epochs, batch, &rng) != NN_OK)
            nn_die_last();
        nn_dataset_free(&train);
        nn_dataset_free(&test);
        /* 359 test digits: one digit is 0.28 points, and which digits are in
         * the test set is luck.  The same run on two more splits, each with
         * its own initial weights, shows how much of the number is the split. */
        enum { SPLITS = 3 };
        double lowest = digits_result.accuracy, highest = digits_result.accuracy;
        for (int sp = 1; sp < SPLITS; sp++) {
            nn_rng split_rng = nn_rng_new(common.seed + 1000 + (uint64_t)sp);
            if (nn_split(&digits, 0.8, &split_rng, &train, &test) != NN_OK)
                nn_die_last();
            const int n[3] = {train.d, hidden, train.n_classes};
            mlp net;
            mlp_init(&net, 2, n, act, HEAD_SOFTMAX, batch > 256 ? batch : 256);
            mlp_randomize(&net, init_gain(act), &split_rng);
            train_config cfg = {lr, epochs, batch, "digits", 0, 0, NULL, NULL};
            if (mlp_train(&net, &train, &test, &cfg, &split_rng, NULL) != NN_OK)
                nn_die_last();
            double loss, accuracy;
            mlp_evaluate(&net, &test, &loss, &accuracy);
            lowest = fmin(lowest, accuracy);
            highest = fmax(highest, accuracy);
            mlp_free(&net);
            nn_dataset_free(&train);
            nn_dataset_free(&test);
        }
        digits_result.spread_low = lowest;
        digits_result.spread_high = highest;
    }
    nn_dataset_free(&digits);
    {
        nn_dataset train, test;
        int limit = full ? 0 : fashion_train;
        int loaded = nn_load_fashion_mnist(&train, common.data_dir, 1, limit) == NN_OK;
        if (loaded && nn_load_fashion_mnist(&test, common.data_dir, 0, full ? 0 : 2000) != NN_OK) {
            nn_dataset_free(&train);
            loaded = 0;
        }
        if (!loaded && full)
            nn_die_last();
        if (!loaded) {
            nn_say("Fashion-MNIST: skipped, the data is not there:\n  %s\n  (the run goes on "
                   "without it; --full needs it)\n", nn_last_error());
        } else {
            if (real_data_run(&fashion_result, full ? "Fashion-MNIST" : "Fashion-MNIST (short run)",
                              "loss-fashion", &train, &test, hidden, act, lr,
                              full || epochs < 2 ? epochs : 2, batch, &rng) != NN_OK)
                nn_die_last();
            nn_say("Fashion-MNIST: test accuracy %.2f%% after %d epochs, %.2f s per epoch%s\n",
                   100 * fashion_result.accuracy, fashion_result.epochs_run,
                   fashion_result.seconds_per_epoch,
                   full ? "" : " (short run; --full for all 60000 images)");
            nn_dataset_free(&train);
            nn_dataset_free(&test);
        }
    }
    nn_say("digits: test accuracy %.2f%% after %d epochs (%.1f-%.1f%% over 3 splits), %.3f s per epoch\n",
           100 * digits_result.accuracy, digits_result.epochs_run, 100 * digits_result.spread_low,
           100 * digits_result.spread_high, digits_result.seconds_per_epoch);
    nn_say("\nFigures: %s/plots/%s/*.gp (render with make figures, or gnuplot from %s)\n",
           common.out_dir, CHAPTER, common.out_dir);
    return 0;
}

#endif /* NN_CHAPTER_NO_MAIN */
