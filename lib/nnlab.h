/* nnlab.h: the kit's small shared library, libnnlab.
 *
 * Every chapter includes this one header.  Each module has its own header,
 * listed here in the order a reader meets them:
 *
 *   nn_core.h      errors, checked allocation, shapes, one allocation per role
 *   nn_rng.h       PCG32: a seeded generator, same numbers on every machine
 *   nn_gemm.h      C = alpha op(A) op(B) + beta C: blocked kernel + naive reference
 *   nn_act.h       activations and their derivatives
 *   nn_loss.h      MSE, binary cross-entropy from logits, softmax cross-entropy
 *   nn_dense.h     the dense (fully connected) layer, forward and backward
 *   nn_regularize.h dropout (standard and inverted), L1 and L2 penalties
 *   nn_conv.h      2-D convolution (im2col + GEMM, naive reference), output size
 *   nn_pool.h      max, average, L2 and global average pooling
 *   nn_model.h     a sequential network from an architecture string; the model file
 *   nn_netcount.h  parameter, memory and multiply-add counts of a layer list
 *   nn_data.h      CSV and IDX readers, synthetic data sets
 *   nn_fig.h       figures: a data file plus a gnuplot script per figure
 *   nn_cli.h       the command line shared by every chapter
 *   nn_tap.h       TAP output and numerical checks for the tests
 *   nn_exercise.h  NN_TODO and the graded-exercise checks
 *   nn_claim.h     a sentence about the run, printed PASS or FAIL (a claim is a test)
 *
 * Conventions (see DESIGN-DECISIONS.md for the reasons):
 *   - tensors are plain float arrays, row-major, images NCHW as in PyTorch;
 *   - layer pairs have one signature shape, outputs first, then inputs, then sizes:
 *       nn_X_forward(out, saved..., in, params..., dims)
 *       nn_X_backward(d_in, d_params..., d_out, in, params, saved..., dims)
 *   - backward ADDS into gradient buffers (+=); nn_zero clears them;
 *   - a NULL gradient pointer means "not needed" (e.g. d_in of the first layer).
 */
#ifndef NNLAB_H
#define NNLAB_H

#include "nn_core.h"
#include "nn_rng.h"
#include "nn_gemm.h"
#include "nn_act.h"
#include "nn_vmath.h"
#include "nn_loss.h"
#include "nn_dense.h"
#include "nn_regularize.h"
#include "nn_optim.h"
#include "nn_batchnorm.h"
#include "nn_conv.h"
#include "nn_pool.h"
#include "nn_model.h"
#include "nn_netcount.h"
#include "nn_data.h"
#include "nn_fig.h"
#include "nn_cli.h"
#include "nn_tap.h"
#include "nn_exercise.h"
#include "nn_claim.h"

#endif
