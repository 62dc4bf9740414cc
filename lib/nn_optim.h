/* nn_optim.h: optimizers as flat loops over one parameter buffer.
 *
 * A network keeps its parameters in one buffer and its gradients in a second
 * of the same layout (nn_alloc_pieces); an optimizer keeps its state in a
 * third, so one step is one loop over n floats, whatever the network.
 *
 * The updates are torch.optim's, step for step (tests/lib/test-optim.c
 * replays the trajectories written by tests/ref/optim_torch.py).  With g the
 * gradient, t = 1, 2, ... the step count and lr_t the learning rate of step t:
 *
 *   weight decay (all):  g <- g + wd p                   (an L2 penalty wd/2 ||p||^2)
 *   SGD:                 p <- p - lr_t g
 *   + momentum mu:       b <- mu b + g,  p <- p - lr_t b
 *   + Nesterov:          b <- mu b + g,  p <- p - lr_t (g + mu b)
 *   Adagrad:             r <- r + g^2,   p <- p - lr_t g / (sqrt(r) + eps)
 *   RMSprop (alpha):     r <- alpha r + (1 - alpha) g^2,
 *                                        p <- p - lr_t g / (sqrt(r) + eps)
 *   Adadelta (rho):      r <- rho r + (1 - rho) g^2,
 *                        dx = sqrt(u + eps) / sqrt(r + eps) g,
 *                        u <- rho u + (1 - rho) dx^2,   p <- p - lr_t dx
 *   Adam (beta1, beta2): m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2,
 *                        m^ = m / (1 - beta1^t),  v^ = v / (1 - beta2^t),
 *                        p <- p - lr_t m^ / (sqrt(v^) + eps)
 *
 * The decks write some of these differently; the mapping (chapter 3 shows
 * each one in the decks' own form and tests that the two agree):
 *   - momentum as v <- beta v - alpha g, w <- w + v (deck 000): the same
 *     update with v = -lr b, beta = mu, alpha = lr;
 *   - momentum as nu <- alpha nu + (1 - alpha) g, W <- W - lambda nu
 *     (deck 001): an average instead of a sum, nu = (1 - alpha) b, so it is
 *     SGD with mu = alpha and lr = lambda (1 - alpha);
 *   - Nesterov as a gradient taken at the look-ahead point W + nu (deck 001):
 *     torch's form tracks that look-ahead point itself as p;
 *   - Adagrad/RMSprop with eps inside the square root, sqrt(G + eps) (deck
 *     000): torch and deck 001 add it outside, delta + sqrt(r); with
 *     eps = 1e-8 or 1e-10 the two differ only where r is about eps^2;
 *   - Adadelta: Zeiler's method has no learning rate; torch multiplies the
 *     step by lr (default 1.0, which is Zeiler's).
 *
 * Learning-rate decay, the decks' (and Keras's) lr_t = lr / (1 + decay (t-1)):
 * in torch, Adagrad(lr_decay=decay) does exactly this, and for the others
 * LambdaLR(opt, lambda k: 1 / (1 + decay * k)) stepped once per step.
 *
 * Divergence: a step that leaves a parameter non-finite or beyond
 * NN_DIVERGE_PARAM is reported as "diverged at step N (learning rate ... too
 * large: try ...)"; nn_optim_check_loss does the same for the loss, so a
 * program never prints NaN as a result. */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include <stddef.h>

typedef enum { NN_SGD, NN_ADAGRAD, NN_RMSPROP, NN_ADADELTA, NN_ADAM, NN_OPTIM_COUNT } nn_optim_kind;

typedef struct {
    nn_optim_kind kind;
    double lr;            /* lr (torch), alpha / lambda / epsilon in the decks */
    double momentum;      /* SGD: mu; 0 for plain SGD */
    int nesterov;         /* SGD: 1 for Nesterov momentum (needs momentum > 0) */
    double weight_decay;  /* wd: g <- g + wd p */
    double alpha;         /* RMSprop's alpha, Adadelta's rho (torch: 0.99, 0.9) */
    double beta1, beta2;  /* Adam (0.9, 0.999) */
    double eps;           /* torch's defaults: Adagrad 1e-10, RMSprop/Adam 1e-8, Adadelta 1e-6 */
    double decay;         /* lr_t = lr / (1 + decay (t-1)); 0 for a constant rate */
} nn_optim_config;

/* State: one allocation of 2n floats, named by role. */
typedef struct {
    nn_optim_config cfg;
    size_t n;             /* number of parameters */
    long t;               /* steps taken */
    float *state;         /* (2, n) */
    float *s1;            /* (n) SGD: b; Adagrad/RMSprop/Adadelta: r; Adam: m */
    float *s2;            /* (n) Adadelta: u; Adam: v; unused otherwise */
} nn_optim;

/* The parameter must exceed this in magnitude for a step to count as
 * exploding (float overflows at 3.4e38). */
#define NN_DIVERGE_PARAM 1e20

/* "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam". */
const char *nn_optim_name(nn_optim_kind kind);
/* torch.optim's defaults for kind, with learning rate lr (lr <= 0: torch's
 * default where it has one: Adagrad 0.01, RMSprop 0.01, Adadelta 1.0,
 * Adam 0.001; SGD has none and gets 0.01). */
nn_optim_config nn_optim_defaults(nn_optim_kind kind, double lr);
/* A config by name: "sgd", "momentum" (mu 0.9), "nesterov" (mu 0.9),
 * "adagrad", "rmsprop", "adadelta", "adam"; an unknown name is an error
 * listing the valid ones. */
int nn_optim_parse(const char *name, double lr, nn_optim_config *cfg);

/* Checks the config (ranges, Nesterov without momentum, ...), allocates the
 * zeroed state for n parameters.  NN_ERR with a message on a bad config. */
int nn_optim_init(nn_optim *opt, const nn_optim_config *cfg, size_t n);
void nn_optim_reset(nn_optim *opt);     /* zero state, t = 0 */
void nn_optim_free(nn_optim *opt);

/* The learning rate the next step will use: lr / (1 + decay t). */
double nn_optim_lr(const nn_optim *opt);
/* One step: params (n) updated from grads (n), which are not modified (the
 * weight-decay term is added on the fly).  NN_ERR "diverged at step N ..."
 * when a parameter became non-finite or exploded. */
int nn_optim_step(nn_optim *opt, float *params, const float *grads);
/* NN_ERR "diverged at step N ..." if loss is non-finite or has grown past
 * factor * reference (reference: the first loss, say; factor 1e6 is a good
 * default).  Uses opt->t as the step number. */
int nn_optim_check_loss(const nn_optim *opt, double loss, double reference, double factor);

/* Gradient clipping by global norm, torch.nn.utils.clip_grad_norm_: with
 * ||g|| the 2-norm of all n gradients, if ||g|| > max_norm then
 * g <- g max_norm / (||g|| + 1e-6).  Returns ||g|| before clipping.
 * (Deck 001: if ||g|| > u, g <- g u / ||g||; torch adds the 1e-6.) */
double nn_clip_grad_norm(float *grads, size_t n, double max_norm);

#endif
