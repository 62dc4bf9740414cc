/* nn_act.h: activation functions a = f(z) and their derivatives f'(z).
 *
 *   identity    f(z) = z                               f' = 1
 *   sigmoid     f(z) = 1 / (1 + exp(-z))               f' = f (1 - f)      (at most 1/4)
 *   tanh        f(z) = tanh z                          f' = 1 - f^2
 *   relu        f(z) = max(0, z)                       f' = [z > 0]
 *   leaky_relu  f(z) = z if z > 0 else 0.01 z          f' = 1 or 0.01
 *   elu         f(z) = z if z > 0 else exp(z) - 1      f' = 1 or exp(z)
 *
 * Constants follow PyTorch's defaults (negative_slope 0.01, ELU alpha 1), so
 * values compare with torch.nn.functional directly.  At z = 0 the kinked ones
 * use the left derivative (0 for relu), as PyTorch does. */
#ifndef NN_ACT_H
#define NN_ACT_H

#include <stddef.h>

typedef enum {
    NN_IDENTITY,
    NN_SIGMOID,
    NN_TANH,
    NN_RELU,
    NN_LEAKY_RELU,
    NN_ELU,
    NN_ACT_COUNT
} nn_activation;

#define NN_LEAKY_SLOPE 0.01
#define NN_ELU_ALPHA 1.0

/* "sigmoid", "tanh", "relu", "leaky_relu", "elu", "identity". */
const char *nn_act_name(nn_activation act);
/* Name to enum; an unknown name is an error listing the valid ones. */
int nn_act_parse(const char *name, nn_activation *act);

/* Scalars, in double: for didactic code and for tests. */
double nn_sigmoid(double z);   /* stable for large |z| */
double nn_act_value(nn_activation act, double z);
double nn_act_derivative(nn_activation act, double z);

/* Vectors of n floats.  forward: out[i] = f(in[i]) (out may equal in).
 * backward: d_in[i] += d_out[i] * f'(in[i]), using the saved output
 * out = f(in) where that is cheaper (sigmoid, tanh). */
void nn_act_forward(nn_activation act, float *out, const float *in, size_t n);
void nn_act_backward(nn_activation act, float *d_in, const float *d_out,
                     const float *in, const float *out, size_t n);

#endif
