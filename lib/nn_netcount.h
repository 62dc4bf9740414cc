/* nn_netcount.h: parameter and cost accounting for a network written as a
 * list of layers, without building it.
 *
 * For every layer: the output shape, the learnable parameters, the
 * activation memory (floats of its output, per example) and the
 * multiply-adds (per example); and the totals.  The same counter gives the
 * table CS231n prints for VGG-16 and reproduces the parameter counts of
 * deck 004's "Some Popular Convolutional Neural Networks" table.
 *
 * ---- The specification -------------------------------------------------
 * Layers separated by white space, each a name and colon-separated fields.
 * The first layers follow nn_model.h's architecture string, so one string
 * can be counted and trained:
 *
 *   conv:K:F[:S[:P]]   K filters of F x F, stride S (1), zero padding P (0);
 *                      F, S and P may be rectangular, "1x7" (height x width).
 *                      Options after the numbers: g=G (groups: each filter
 *                      sees C/G input channels; G = C is depthwise), nobias,
 *                      conn=N (a partial connection table: only N of the
 *                      K x C (filter, input map) pairs exist, as in LeNet-5's
 *                      C3 layer).
 *                          params  K (C/G) Fh Fw + K        (conn: N Fh Fw + K)
 *                          macs    H2 W2 K (C/G) Fh Fw      (conn: H2 W2 N Fh Fw)
 *                      H2 = floor((H - Fh + 2 Ph) / Sh) + 1 (deck 002's
 *                      (W - F + 2P) / S + 1, nn_out_size), likewise W2.
 *   bn                 batch normalisation per channel (BatchNorm2d; on a flat
 *                      input BatchNorm1d): gamma and beta, 2C params, and
 *                      the running mean and variance, 2C running statistics
 *                      (saved with the model, not learned).  Option noscale:
 *                      no gamma (Keras's scale=False), C params.
 *   relu  tanh  sigmoid  softmax
 *                      element-wise: same shape, no params, no multiply-adds
 *   maxpool:F[:S[:P]]  F x F window, stride S (F), padding P (0)
 *   avgpool:F[:S[:P]]
 *   adaptavg:H[:W]     adaptive average pool to H x W (W = H); gap = adaptavg:1
 *   subsample:F        LeNet-5 (1998)'s S layers: an F x F average times a
 *                      learned coefficient plus a learned bias, per channel:
 *                      2C params, one multiply-add per output
 *   dropout[:P100]     no params; same shape
 *   flatten            (C, H, W) -> (C H W, 1, 1)
 *   dense:O            W (O, I) and b (O), I = C H W (a dense layer flattens
 *                      its input itself); option nobias.  macs O I
 *   rbf:O              LeNet-5 (1998)'s output: O Euclidean radial basis
 *                      units, y_o = sum_i (x_i - w_oi)^2, whose O x I centres
 *                      the paper chose by hand and kept fixed: 0 params
 *                      (its "60,000 trainable parameters"), O I multiply-adds
 *
 * Blocks: branches that all see the block's input, separated by '|':
 *
 *   res{ A | B }       the sum A(x) + B(x); res{ A } is A(x) + x, deck 003's
 *                      H(x) = F(x) + x.  ResNet-50's bottleneck with a
 *                      projection shortcut is
 *                      res{ conv:64:1:nobias bn relu conv:64:3:1:1:nobias bn relu
 *                           conv:256:1:nobias bn | conv:256:1:nobias bn } relu
 *   cat{ A | B | ... } the branches' outputs stacked along channels (Inception)
 *
 * All branches of a res block must end in the same shape, those of a cat
 * block in the same H x W.  Blocks nest.
 *
 * ---- Conventions of the counts -------------------------------------------
 * - Multiply-adds count the products with weights: conv, dense, rbf, subsample.
 *   Pooling, activations, batch norm (which folds into the convolution before
 *   it at inference) and the residual sum are not counted, as the usual FLOP
 *   counters and the papers do.
 * - Activation memory: every layer's row shows the floats of its output.  The
 *   total counts the input and every layer that makes a new tensor; an
 *   element-wise activation, dropout, flatten and the residual sum are
 *   written in place (as CS231n's VGG-16 table and torch's inplace ReLU do),
 *   so they add nothing to the total.  Multiply by 4 bytes per float and by
 *   the batch size; training keeps about twice that (the gradients).
 * - Running statistics are not parameters (torch's parameters() leaves them
 *   out) but Keras's "total params" includes them; deck 004's table comes from
 *   Keras, so nn_netcount keeps them in their own total.
 *
 * ---- Use ------------------------------------------------------------------
 *     nn_netcount nc;
 *     if (nn_netcount_parse(&nc, "conv:16:3:1:1 bn relu maxpool:2 dense:10", 1, 28, 28) != NN_OK)
 *         nn_die_last();              // the message names the layer and the fix
 *     nn_netcount_print(stdout, &nc, "my network on 1 x 28 x 28", 1);
 *     printf("%lld parameters\n", nc.params);
 *     nn_netcount_free(&nc);
 * or a built-in one: nn_netcount_builtin(&nc, "vgg16"). */
#ifndef NN_NETCOUNT_H
#define NN_NETCOUNT_H

#include <stdio.h>

typedef enum {
    NN_NC_CONV, NN_NC_BN, NN_NC_RELU, NN_NC_TANH, NN_NC_SIGMOID, NN_NC_SOFTMAX,
    NN_NC_MAXPOOL, NN_NC_AVGPOOL, NN_NC_ADAPTIVE_AVGPOOL, NN_NC_SUBSAMPLE,
    NN_NC_DROPOUT, NN_NC_FLATTEN, NN_NC_DENSE, NN_NC_RBF,
    /* block structure: one row each, no cost of their own except the join's shape */
    NN_NC_BLOCK_BEGIN,  /* "res{" or "cat{": shows the block's input shape */
    NN_NC_BRANCH,       /* "|": the next branch starts (from the block's input) */
    NN_NC_ADD,          /* "} add": the sum of the branches (or branch + identity) */
    NN_NC_CONCAT        /* "} cat": the branches stacked along channels */
} nn_nc_kind;

typedef struct {
    nn_nc_kind kind;
    char text[48];            /* the layer as written: "conv:64:3:1:1:nobias" */
    int depth;                /* block nesting: 0 at the top level */
    int in_c, in_h, in_w;     /* input (C, H, W); a flat tensor has H = W = 1 */
    int out_c, out_h, out_w;  /* output likewise */
    long long params;         /* learnable floats */
    long long running;        /* running statistics (batch norm's mean and variance) */
    long long activations;    /* floats of the output, per example */
    int in_place;             /* 1: not counted in the activation total (see above) */
    long long macs;           /* multiply-adds per example */
    long long connections;    /* LeCun et al. 1998's count: for each output, the
                                 links from its inputs plus one from the bias
                                 (conv, dense, subsample, rbf; 0 elsewhere) */
} nn_nc_layer;

typedef struct {
    int n_layers;
    nn_nc_layer *layers;      /* n_layers rows, in order of evaluation */
    int in_c, in_h, in_w;     /* the input the counts are for */
    int out_c, out_h, out_w;  /* the network's output */
    long long params;         /* sum of the rows' params */
    long long running;        /* sum of the rows' running statistics */
    long long activations;    /* input + rows that are not in place */
    long long macs;           /* sum of the rows' multiply-adds */
    long long connections;    /* sum of the rows' connections */
} nn_netcount;

/* Counts `spec` for inputs of shape (C, H, W).  NN_OK, or NN_ERR with a
 * message naming the layer (its number and text) and the fix: an unknown
 * layer, a malformed field, zero filters, groups that do not divide the
 * channels, a pool or filter larger than its input, branches whose shapes do
 * not join.  On error *nc holds nothing to free. */
int nn_netcount_parse(nn_netcount *nc, const char *spec, int C, int H, int W);
void nn_netcount_free(nn_netcount *nc);

/* The table, one row per layer (blocks indented), then the totals:
 *
 *     layer                   output (C,H,W)   activations   parameters  multiply-adds
 *     input                   3 x 224 x 224        150,528            0              0
 *     conv:64:3:1:1           64 x 224 x 224     3,211,264        1,792     86,704,128
 *     ...
 *
 * show_elementwise = 0 leaves out the in-place element-wise rows (relu, tanh,
 * sigmoid, softmax, dropout, flatten), as CS231n's VGG-16 table does; 1
 * prints every row.  title (may be NULL) is printed above the table. */
void nn_netcount_print(FILE *f, const nn_netcount *nc, const char *title, int show_elementwise);

/* Formats n with thousands separators ("138,357,544") into buf; returns buf. */
const char *nn_netcount_commas(long long n, char *buf, size_t len);

/* ---- Built-in networks ----------------------------------------------------
 *   lenet5-1998      LeCun et al. 1998 on 32x32: C1, S2 (subsample), C3 with
 *                    its connection table, S4, C5, F6, RBF output: 60,000
 *                    trainable parameters and 340,908 connections, as the paper says
 *   lenet5           the chapter's LeNet-5 on 28x28 Fashion-MNIST (conv 6@5x5
 *                    pad 2, tanh, avgpool 2, conv 16@5x5, tanh, avgpool 2,
 *                    dense 120, tanh, dense 84, tanh, dense 10): 61,706
 *   alexnet          torchvision's AlexNet (3x224x224): 61,100,840
 *   vgg16            torchvision's VGG-16 = Keras's: 138,357,544
 *   resnet50         torchvision's ResNet-50 (convolutions without bias): 25,557,032
 *   resnet50-keras   Keras's ResNet-50 (convolutions with bias): params plus
 *                    running statistics = 25,636,712, deck 004's number
 *   resnext50        torchvision's ResNeXt-50 32x4d: 25,028,904; plus running
 *                    statistics = 25,097,128, Keras's and deck 004's number
 *   inception3       torchvision's Inception v3 (3x299x299, no auxiliary
 *                    classifier): 23,834,568
 *   inception3-keras Keras's (batch norm without gamma): plus running
 *                    statistics = 23,851,784, deck 004's number
 *   xception         Keras's Xception (3x299x299): plus running statistics
 *                    = 22,910,480, deck 004's number (no torchvision model)
 * nn_netcount_builtin_spec returns a newly allocated spec (free it) and the
 * input shape it is meant for, or NULL (and a message) for an unknown name.
 * nn_netcount_builtin counts it.  nn_netcount_builtin_names lists the names
 * (NULL-terminated). */
char *nn_netcount_builtin_spec(const char *name, int *C, int *H, int *W);
int nn_netcount_builtin(nn_netcount *nc, const char *name);
const char *const *nn_netcount_builtin_names(void);

#endif
