/* optim.c: SGD (momentum, Nesterov), Adagrad, RMSprop, Adadelta, Adam, as
 * flat loops over one parameter buffer; gradient clipping; divergence checks.
 *
 * Letters: n parameters, index i; t the step count (1 for the first step).
 * Each update follows torch.optim (version 1.13) operation for operation;
 * the arithmetic of one element is done in double and stored as float. */
#include "nn_optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_core.h"

static const char *const optim_names[] = {"sgd", "momentum", "nesterov", "adagrad",
                                          "rmsprop", "adadelta", "adam", NULL};

const char *nn_optim_name(nn_optim_kind kind)
{
    switch (kind) {
    case NN_SGD: return "sgd";
    case NN_ADAGRAD: return "adagrad";
    case NN_RMSPROP: return "rmsprop";
    case NN_ADADELTA: return "adadelta";
    case NN_ADAM: return "adam";
    default: return "unknown";
    }
}

nn_optim_config nn_optim_defaults(nn_optim_kind kind, double lr)
{
    nn_optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    switch (kind) {
    case NN_SGD:
        c.lr = 0.01;
        break;
    case NN_ADAGRAD:
        c.lr = 0.01;
        c.eps = 1e-10;
        break;
    case NN_RMSPROP:
        c.lr = 0.01;
        c.alpha = 0.99;
        c.eps = 1e-8;
        break;
    case NN_ADADELTA:
        c.lr = 1.0;
        c.alpha = 0.9;
        c.eps = 1e-6;
        break;
    case NN_ADAM:
        c.lr = 0.001;
        c.beta1 = 0.9;
        c.beta2 = 0.999;
        c.eps = 1e-8;
        break;
    default:
        break;
    }
    if (lr > 0)
        c.lr = lr;
    return c;
}

int nn_optim_parse(const char *name, double lr, nn_optim_config *cfg)
{
    if (!strcmp(name, "sgd")) {
        *cfg = nn_optim_defaults(NN_SGD, lr);
    } else if (!strcmp(name, "momentum") || !strcmp(name, "nesterov")) {
        *cfg = nn_optim_defaults(NN_SGD, lr);
        cfg->momentum = 0.9;
        cfg->nesterov = name[0] == 'n';
    } else if (!strcmp(name, "adagrad")) {
        *cfg = nn_optim_defaults(NN_ADAGRAD, lr);
    } else if (!strcmp(name, "rmsprop")) {
        *cfg = nn_optim_defaults(NN_RMSPROP, lr);
    } else if (!strcmp(name, "adadelta")) {
        *cfg = nn_optim_defaults(NN_ADADELTA, lr);
    } else if (!strcmp(name, "adam")) {
        *cfg = nn_optim_defaults(NN_ADAM, lr);
    } else {
        char list[128] = "";
        for (int k = 0; optim_names[k]; k++) {
            strcat(list, k ? ", " : "");
            strcat(list, optim_names[k]);
        }
        return nn_error("unknown optimizer '%s' (valid: %s)", name, list);
    }
    return NN_OK;
}

static int check_config(const nn_optim_config *c)
{
    if (c->kind < 0 || c->kind >= NN_OPTIM_COUNT)
        return nn_error("optimizer kind %d does not exist (use an nn_optim_kind value)", (int)c->kind);
    if (!(c->lr > 0) || !isfinite(c->lr))
        return nn_error("%s: learning rate %g must be a positive number", nn_optim_name(c->kind), c->lr);
    if (!(c->weight_decay >= 0) || !(c->decay >= 0))
        return nn_error("%s: weight_decay %g and decay %g must be >= 0", nn_optim_name(c->kind),
                        c->weight_decay, c->decay);
    if (c->kind == NN_SGD && !(c->momentum >= 0 && c->momentum < 1))
        return nn_error("sgd: momentum %g must lie in [0, 1)", c->momentum);
    if (c->kind == NN_SGD && c->nesterov && c->momentum == 0)
        return nn_error("sgd: Nesterov momentum needs momentum > 0 (set momentum, e.g. 0.9)");
    if ((c->kind == NN_RMSPROP || c->kind == NN_ADADELTA) && !(c->alpha >= 0 && c->alpha < 1))
        return nn_error("%s: the averaging constant %g must lie in [0, 1)", nn_optim_name(c->kind), c->alpha);
    if (c->kind == NN_ADAM && !(c->beta1 >= 0 && c->beta1 < 1 && c->beta2 >= 0 && c->beta2 < 1))
        return nn_error("adam: beta1 %g and beta2 %g must lie in [0, 1)", c->beta1, c->beta2);
    if (c->kind != NN_SGD && !(c->eps > 0))
        return nn_error("%s: eps %g must be > 0 (it keeps the division finite)", nn_optim_name(c->kind),
                        c->eps);
    return NN_OK;
}

int nn_optim_init(nn_optim *opt, const nn_optim_config *cfg, size_t n)
{
    memset(opt, 0, sizeof *opt);
    if (check_config(cfg) != NN_OK)
        return NN_ERR;
    if (n == 0)
        return nn_error("%s: nothing to optimize (0 parameters)", nn_optim_name(cfg->kind));
    opt->cfg = *cfg;
    opt->n = n;
    opt->state = nn_floats(2 * n);
    opt->s1 = opt->state;
    opt->s2 = opt->state + n;
    return NN_OK;
}

void nn_optim_reset(nn_optim *opt)
{
    nn_zero(opt->state, 2 * opt->n);
    opt->t = 0;
}

void nn_optim_free(nn_optim *opt)
{
    free(opt->state);
    memset(opt, 0, sizeof *opt);
}

double nn_optim_lr(const nn_optim *opt) { return opt->cfg.lr / (1.0 + opt->cfg.decay * (double)opt->t); }

/* The message of a diverged run: where, why, and what to try. */
static int diverged(const nn_optim *opt, const char *what)
{
    return nn_error("diverged at step %ld: %s (learning rate %g too large for this problem: try %g or smaller)",
                    opt->t, what, opt->cfg.lr, opt->cfg.lr / 10);
}

/* ---- The SGD updates, the hot loop of every training run ---------------
 * One element's update, in double as everywhere in this file:
 *   g = grad + wd * param;  b <- (float)(mu b + g);
 *   step = g + mu b (Nesterov) or b;  param <- (float)(param - lr * step).
 * The vector forms below do exactly these double operations in exactly
 * this order, four or eight elements at a time (no FMA, nothing
 * reassociated), so they give the same bits as the scalar loop; they only
 * remove the per-element branch, the float <-> double conversions one at a
 * time, and the second pass of the divergence check, which is folded into
 * the update as "not |param| <= NN_DIVERGE_PARAM" (true for NaN and
 * infinities too). */
/* The largest float <= NN_DIVERGE_PARAM: |p| <= it in float is exactly
 * |p| <= NN_DIVERGE_PARAM in double, the test of the check loop below. */
static float diverge_limit(void)
{
    float limit = (float)NN_DIVERGE_PARAM;
    return (double)limit > NN_DIVERGE_PARAM ? nextafterf(limit, 0) : limit;
}

static int sgd_scalar(float *restrict params, float *restrict b, const float *restrict grads,
                      size_t from, size_t n, double lr, double wd, double mu, int nesterov)
{
    const float limit = diverge_limit();
    int bad = 0;
    for (size_t i = from; i < n; i++) {
        double g = grads[i] + wd * params[i];
        double step = g;
        if (mu != 0) {
            b[i] = (float)(mu * b[i] + g);
            step = nesterov ? g + mu * b[i] : b[i];
        }
        params[i] = (float)(params[i] - lr * step);
        bad |= !(fabsf(params[i]) <= limit);
    }
    return bad;
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx"))) static int sgd_avx(float *restrict params, float *restrict b,
                                                  const float *restrict grads, size_t n, double lr,
                                                  double wd, double mu, int nesterov)
{
    const __m256d vlr = _mm256_set1_pd(lr), vwd = _mm256_set1_pd(wd), vmu = _mm256_set1_pd(mu);
    const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    const __m128 limit = _mm_set1_ps(diverge_limit());
    __m128 bad = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d p = _mm256_cvtps_pd(_mm_loadu_ps(params + i));
        __m256d g = _mm256_add_pd(_mm256_cvtps_pd(_mm_loadu_ps(grads + i)), _mm256_mul_pd(vwd, p));
        __m256d step = g;
        if (mu != 0) {
            __m128 bf = _mm256_cvtpd_ps(
                _mm256_add_pd(_mm256_mul_pd(vmu, _mm256_cvtps_pd(_mm_loadu_ps(b + i))), g));
            _mm_storeu_ps(b + i, bf);
            __m256d bd = _mm256_cvtps_pd(bf);
            step = nesterov ? _mm256_add_pd(g, _mm256_mul_pd(vmu, bd)) : bd;
        }
        __m128 pf = _mm256_cvtpd_ps(_mm256_sub_pd(p, _mm256_mul_pd(vlr, step)));
        _mm_storeu_ps(params + i, pf);
        bad = _mm_or_ps(bad, _mm_cmp_ps(_mm_and_ps(pf, abs_mask), limit, _CMP_NLE_UQ));
    }
    return (_mm_movemask_ps(bad) != 0) | sgd_scalar(params, b, grads, i, n, lr, wd, mu, nesterov);
}

/* The same, eight elements at a time on AVX-512 (the same double operations
 * in the same order, so the same bits); the rest go through the AVX loop. */
__attribute__((target("avx512f"))) static int sgd_avx512(float *restrict params,
                                                        float *restrict b,
                                                        const float *restrict grads, size_t n,
                                                        double lr, double wd, double mu,
                                                        int nesterov)
{
    const __m512d vlr = _mm512_set1_pd(lr), vwd = _mm512_set1_pd(wd), vmu = _mm512_set1_pd(mu);
    const __m256 limit = _mm256_set1_ps(diverge_limit());
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 bad = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d p = _mm512_cvtps_pd(_mm256_loadu_ps(params + i));
        __m512d g = _mm512_add_pd(_mm512_cvtps_pd(_mm256_loadu_ps(grads + i)), _mm512_mul_pd(vwd, p));
        __m512d step = g;
        if (mu != 0) {
            __m256 bf = _mm512_cvtpd_ps(
                _mm512_add_pd(_mm512_mul_pd(vmu, _mm512_cvtps_pd(_mm256_loadu_ps(b + i))), g));
            _mm256_storeu_ps(b + i, bf);
            __m512d bd = _mm512_cvtps_pd(bf);
            step = nesterov ? _mm512_add_pd(g, _mm512_mul_pd(vmu, bd)) : bd;
        }
        __m256 pf = _mm512_cvtpd_ps(_mm512_sub_pd(p, _mm512_mul_pd(vlr, step)));
        _mm256_storeu_ps(params + i, pf);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_and_ps(pf, abs_mask), limit, _CMP_NLE_UQ));
    }
    return (_mm256_movemask_ps(bad) != 0) |
           sgd_avx(params + i, b + i, grads + i, n - i, lr, wd, mu, nesterov);
}
#endif

static int sgd_update(float *params, float *b, const float *grads, size_t n, double lr,
                      double wd, double mu, int nesterov)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f"))
        return sgd_avx512(params, b, grads, n, lr, wd, mu, nesterov);
    if (__builtin_cpu_supports("avx"))
        return sgd_avx(params, b, grads, n, lr, wd, mu, nesterov);
#endif
    return sgd_scalar(params, b, grads, 0, n, lr, wd, mu, nesterov);
}

int nn_optim_step(nn_optim *opt, float *params, const float *grads)
{
    const nn_optim_config *c = &opt->cfg;
    const size_t n = opt->n;
    const double lr = nn_optim_lr(opt);
    const double wd = c->weight_decay;
    float *s1 = opt->s1, *s2 = opt->s2;
    opt->t++;
    switch (c->kind) {
    case NN_SGD: /* b <- mu b + g, then a step of -lr b (or -lr (g + mu b)) */
        if (!sgd_update(params, s1, grads, n, lr, wd, c->momentum, c->nesterov))
            return NN_OK;
        break;
    case NN_ADAGRAD:
        for (size_t i = 0; i < n; i++) {
            double g = grads[i] + wd * params[i];
            s1[i] = (float)(s1[i] + g * g);                      /* r <- r + g^2 */
            params[i] = (float)(params[i] - lr * g / (sqrt(s1[i]) + c->eps));
        }
        break;
    case NN_RMSPROP:
        for (size_t i = 0; i < n; i++) {
            double g = grads[i] + wd * params[i];
            s1[i] = (float)(c->alpha * s1[i] + (1 - c->alpha) * g * g);
            params[i] = (float)(params[i] - lr * g / (sqrt(s1[i]) + c->eps));
        }
        break;
    case NN_ADADELTA:
        for (size_t i = 0; i < n; i++) {
            double g = grads[i] + wd * params[i];
            s1[i] = (float)(c->alpha * s1[i] + (1 - c->alpha) * g * g);          /* r */
            double dx = sqrt(s2[i] + c->eps) / sqrt(s1[i] + c->eps) * g;
            s2[i] = (float)(c->alpha * s2[i] + (1 - c->alpha) * dx * dx);        /* u */
            params[i] = (float)(params[i] - lr * dx);
        }
        break;
    case NN_ADAM: {
        /* Both averages start at 0, so early on they are biased towards 0 by
         * the factors 1 - beta^t; dividing by them removes the bias. */
        const double correction1 = 1 - pow(c->beta1, (double)opt->t);
        const double correction2 = 1 - pow(c->beta2, (double)opt->t);
        for (size_t i = 0; i < n; i++) {
            double g = grads[i] + wd * params[i];
            s1[i] = (float)(c->beta1 * s1[i] + (1 - c->beta1) * g);             /* m */
            s2[i] = (float)(c->beta2 * s2[i] + (1 - c->beta2) * g * g);         /* v */
            double m_hat = s1[i] / correction1, v_hat = s2[i] / correction2;
            params[i] = (float)(params[i] - lr * m_hat / (sqrt(v_hat) + c->eps));
        }
        break;
    }
    default:
        NN_ASSERT(!"unknown optimizer kind");
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(params[i]) || fabs(params[i]) > NN_DIVERGE_PARAM) {
            char what[96];
            snprintf(what, sizeof what, "parameter %zu became %s", i,
                     isfinite(params[i]) ? "huge" : isnan(params[i]) ? "NaN" : "infinite");
            return diverged(opt, what);
        }
    }
    return NN_OK;
}

int nn_optim_check_loss(const nn_optim *opt, double loss, double reference, double factor)
{
    if (!isfinite(loss))
        return diverged(opt, isnan(loss) ? "the loss became NaN" : "the loss became infinite");
    if (isfinite(reference) && reference > 0 && loss > factor * reference) {
        char what[96];
        snprintf(what, sizeof what, "the loss exploded to %.3g, %.0e times its reference %.3g", loss,
                 loss / reference, reference);
        return diverged(opt, what);
    }
    return NN_OK;
}

double nn_clip_grad_norm(float *grads, size_t n, double max_norm)
{
    double norm = nn_norm2(grads, n);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1)
        for (size_t i = 0; i < n; i++)
            grads[i] = (float)(grads[i] * coef);
    return norm;
}
