/* nn_model.h: a small sequential network, and the model file that chapter 7
 * saves and chapter 8 loads.
 *
 * Chapter 7 first writes a CNN's forward and backward out by hand, one lib
 * call per layer, so every tensor and its shape is on the page.  Once that is
 * shown, this helper runs the same layers from a list, and a test keeps the
 * two equal.  Chapter 8 uses it to explain a network without knowing its
 * layers in advance: the input gradient, a layer's output (Grad-CAM) and
 * per-layer weight randomisation (the sanity checks) all need a generic list.
 *
 * ---- The architecture string ------------------------------------------------
 * Layers separated by spaces, each a name and colon-separated integers:
 *
 *     conv:K:F[:S[:P]]   2-D convolution, K filters of F x F, stride S (1),
 *                        zero padding P (0)            w (K, C, F, F), b (K)
 *     bn                 BatchNorm2d on a (C, H, W) input, BatchNorm1d on a
 *                        flat one                       gamma (C), beta (C),
 *                        running mean (C), running var (C)
 *     relu  tanh         element-wise
 *     maxpool:F[:S]      F x F window, stride S (F)
 *     avgpool:F[:S]
 *     dropout:P100       inverted dropout with p = P100 / 100 (training only)
 *     flatten            (C, H, W) -> (C H W); a dense layer flattens itself too
 *     dense:O            W (O, I), b (O)
 *
 * e.g. LeNet-5 on 28x28 inputs padded to 32x32:
 *     "conv:6:5:1:2 tanh avgpool:2 conv:16:5 tanh avgpool:2 dense:120 tanh dense:84 tanh dense:10"
 * The last layer's outputs are the logits (unnormalised class scores); the
 * softmax lives in the loss.
 *
 * ---- The model file (format version 1) --------------------------------------
 * Little-endian throughout.
 *
 *     offset  size  field
 *     0       8     magic "NNLABMDL"
 *     8       4     uint32 format version (1)
 *     12      4     uint32 C, H, W of the input (three uint32: 12 bytes)
 *     24      4     uint32 length L of the architecture string
 *     28      L     the architecture string (no terminating zero)
 *     ..      4     uint32 T, the number of tensors
 *     then T times:
 *             4     uint32 length of the tensor's name, then the name
 *             4     uint32 ndim (1..4), then ndim uint32 sizes
 *             4*n   n float32 values (n = product of the sizes)
 *     last    4     uint32 CRC-32 (zlib's crc32) of every byte before it
 *
 * Tensors appear in layer order, and within a layer in the order of the list
 * above (w then b; gamma, beta, running mean, running var).  A reader checks
 * the magic, the version, the architecture against the shapes it implies, each
 * shape, the exact length and the checksum, and refuses a file that fails any
 * of them with a message naming the file and the problem.  doc/MODEL-FORMAT.md
 * says the same at more length. */
#ifndef NN_MODEL_H
#define NN_MODEL_H
#include <stddef.h>
#include <stdint.h>
#include "nn_rng.h"

#define NN_MODEL_MAGIC "NNLABMDL"
#define NN_MODEL_VERSION 1u

typedef enum {
    NN_LAYER_CONV, NN_LAYER_BN, NN_LAYER_RELU, NN_LAYER_TANH, NN_LAYER_MAXPOOL,
    NN_LAYER_AVGPOOL, NN_LAYER_DROPOUT, NN_LAYER_FLATTEN, NN_LAYER_DENSE
} nn_layer_kind;

/* One layer's input and output shape (per example) and its parameter counts,
 * for the chapters' tables. */
typedef struct {
    nn_layer_kind kind;
    char name[32];           /* "conv:16:3:1:1" as written in the string */
    int in_c, in_h, in_w;    /* input (C, H, W); a flat input has H = W = 1 */
    int out_c, out_h, out_w; /* output likewise */
    size_t n_params;         /* learnable floats (not running statistics) */
    size_t n_macs;           /* multiply-adds for one example */
} nn_layer_info;

typedef struct nn_model nn_model;

/* Parse `arch` for inputs of shape (C, H, W) and batches of up to max_batch
 * examples.  NULL and a message (nn_last_error) when the string is malformed
 * or a layer does not fit its input (a pool larger than the feature map, zero
 * filters, a dense layer of width 0). */
nn_model *nn_model_new(const char *arch, int C, int H, int W, int max_batch);
void nn_model_free(nn_model *m);

/* He initialisation after ReLU, Xavier after tanh, biases 0, BN gamma 1 and
 * beta 0, running statistics 0 and 1; from the kit's RNG, so the same seed
 * gives the same bits. */
void nn_model_init(nn_model *m, uint64_t seed);

int nn_model_layer_count(const nn_model *m);
nn_layer_info nn_model_layer(const nn_model *m, int l);
const char *nn_model_arch(const nn_model *m);
int nn_model_classes(const nn_model *m);          /* outputs of the last layer */

/* All learnable parameters in one buffer, their gradients in another of the
 * same layout (an optimizer is one flat loop).  Running statistics are kept
 * apart: they are saved but not trained. */
size_t nn_model_param_count(const nn_model *m);
float *nn_model_params(nn_model *m);
float *nn_model_grads(nn_model *m);
/* The parameters of layer l within that buffer (offset and count), for the
 * sanity checks that randomise one layer at a time. */
size_t nn_model_layer_param_offset(const nn_model *m, int l);

/* Forward pass of B <= max_batch examples x (B, C, H, W) to logits (B, classes).
 * training = 1 uses batch statistics and dropout (drawn from rng); 0 uses the
 * running statistics and no dropout.  NN_ERR on a bad B. */
int nn_model_forward(nn_model *m, float *logits, const float *x, int B, int training, nn_rng *rng);
/* Backward of the last forward: ADDS the parameter gradients into
 * nn_model_grads(m) and, when d_x is not NULL, writes the input gradient
 * (B, C, H, W) into d_x (overwritten, not added). */
int nn_model_backward(nn_model *m, float *d_x, const float *d_logits, int B);

/* After a forward (and a backward): layer l's output activations and the
 * gradient of the loss with respect to them, both (B, out_c, out_h, out_w).
 * Grad-CAM reads these at the last convolutional layer. */
const float *nn_model_output(const nn_model *m, int l);
const float *nn_model_output_grad(const nn_model *m, int l);

/* Save in the format above; load one back for batches of up to max_batch.
 * NN_ERR / NULL with a message naming the file and the problem. */
int nn_model_save(const nn_model *m, const char *path);
nn_model *nn_model_load(const char *path, int max_batch);

/* ---- Added with the implementation (lib/model.c) ------------------------------ */

/* The input shape (C, H, W) and the largest batch the model was made for. */
void nn_model_input_shape(const nn_model *m, int *C, int *H, int *W);
int nn_model_max_batch(const nn_model *m);
/* nn_model_grads(m) = 0, before a backward pass that should not accumulate. */
void nn_model_zero_grads(nn_model *m);
/* The running statistics (every BN layer's running mean then running var, in
 * layer order): saved in the file, not trained, not in nn_model_params. */
size_t nn_model_stat_count(const nn_model *m);
float *nn_model_stats(nn_model *m);
/* Draw layer l's parameters afresh with nn_model_init's rule from rng (the
 * cascading randomisation of chapter 8); a layer without weights is reset
 * to gamma 1, beta 0 (BN) or left alone. */
void nn_model_init_layer(nn_model *m, int l, nn_rng *rng);
/* Index of the last convolutional layer, -1 when there is none. */
int nn_model_last_conv(const nn_model *m);
/* A new model with the same architecture, parameters and running statistics,
 * for batches of up to max_batch.  NULL only on a bad max_batch. */
nn_model *nn_model_clone(const nn_model *m, int max_batch);

#endif
