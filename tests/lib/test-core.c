/* test-core.c: errors, checked allocation, one allocation per role, tensors
 * and the small vector helpers of nn_core.h. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "test-child.h"

/* ---- Children: behaviour that ends the process ---------------------------- */

static int die_with_status_3(void *arg)
{
    (void)arg;
    nn_set_program_name("/some/dir/ch99-demo");
    printf("written before the error\n");
    nn_die(3, "cannot open %s (run make data)", "train.csv");
}

static int die_with_last_error(void *arg)
{
    (void)arg;
    nn_set_program_name("ch99-demo");
    nn_error("labels.csv line %d: expected 3 columns, found %d", 7, 2);
    nn_die_last();
}

static int break_an_invariant(void *arg)
{
    int rows = *(int *)arg;
    nn_set_program_name("ch99-demo");
    NN_ASSERT(rows > 0);
    return 0;
}

int main(void)
{
    nn_tap_timeout(10);

    /* ---- One allocation per role ------------------------------------------
     * A two-layer network's parameters W1 (3, 2), b1 (3), W2 (1, 3), b2 (1):
     * 6 + 3 + 3 + 1 = 13 floats, pieces back to back in table order. */
    float *W1 = NULL, *b1 = NULL, *W2 = NULL, *b2 = NULL;
    nn_piece pieces[] = {{"W1", 6, &W1}, {"b1", 3, &b1}, {"W2", 3, &W2}, {"b2", 1, &b2}};
    size_t total = 0;
    float *params = nn_alloc_pieces(pieces, 4, &total);
    nn_is_int((long)total, 13, "nn_alloc_pieces: total is the sum of the piece sizes");
    nn_ok(W1 == params && b1 == params + 6 && W2 == params + 9 && b2 == params + 12,
          "nn_alloc_pieces: pieces lie back to back in table order");
    int zeroed = 1;
    for (size_t i = 0; i < total; i++)
        zeroed &= params[i] == 0.0f;
    nn_ok(zeroed, "nn_alloc_pieces: the buffer starts zeroed");
    for (size_t i = 0; i < total; i++)
        params[i] = (float)i;
    nn_ok(b1[0] == 6.0f && W2[2] == 11.0f && b2[0] == 12.0f,
          "writing the flat buffer is seen through the named pointers");
    float *fresh = nn_alloc_pieces(pieces, 4, NULL); /* total may be NULL */
    nn_ok(fresh != params && W1 == fresh && b2 == fresh + 12,
          "nn_alloc_pieces with total NULL allocates a fresh buffer and re-points the table");
    free(fresh);

    /* The gradients share the parameters' layout: re-point the same table. */
    float *grads = nn_floats(total);
    nn_point_pieces(pieces, 4, grads);
    nn_ok(W1 == grads && b1 == grads + 6 && W2 == grads + 9 && b2 == grads + 12,
          "nn_point_pieces re-points the table into another buffer, same offsets");
    free(grads);
    free(params);

    /* ---- Tensors -------------------------------------------------------- */
    nn_tensor t = nn_tensor4(2, 3, 28, 28);
    char buf[64];
    nn_is_int(t.ndim, 4, "nn_tensor4: ndim 4");
    nn_is_int((long)t.size, 2 * 3 * 28 * 28, "nn_tensor4: size is the product of the shape");
    nn_is_str(nn_shape_str(&t, buf, sizeof buf), "(2, 3, 28, 28)", "nn_shape_str of an NCHW tensor");
    nn_ok(t.data[0] == 0.0f && t.data[t.size - 1] == 0.0f, "nn_tensor4: data zeroed");
    char tiny[6];
    nn_shape_str(&t, tiny, sizeof tiny);
    nn_ok(strlen(tiny) < sizeof tiny && strncmp(tiny, "(2, 3", 5) == 0,
          "nn_shape_str truncates to the buffer and stays terminated ('%s')", tiny);
    nn_tensor_free(&t);
    nn_ok(t.data == NULL && t.size == 0, "nn_tensor_free clears the tensor");

    nn_tensor m = nn_tensor2(2, 3);
    nn_is_str(nn_shape_str(&m, buf, sizeof buf), "(2, 3)", "nn_tensor2 shape");
    int want23[2] = {2, 3}, want32[2] = {3, 2}, want3[1] = {6};
    nn_clear_error();
    nn_is_int(nn_tensor_check(&m, 2, want23, "weights"), NN_OK, "nn_tensor_check: matching shape is NN_OK");
    nn_is_str(nn_last_error(), "no error recorded", "a passing check records no error");
    nn_is_int(nn_tensor_check(&m, 2, want32, "weights W1"), NN_ERR, "nn_tensor_check: (2, 3) vs (3, 2) is NN_ERR");
    nn_is_str(nn_last_error(), "weights W1 has shape (2, 3) but (3, 2) was expected",
              "nn_tensor_check message names the tensor and both shapes");
    nn_is_int(nn_tensor_check(&m, 1, want3, "input"), NN_ERR,
              "nn_tensor_check: same size, different rank is NN_ERR");
    nn_contains(nn_last_error(), "(6)", "rank mismatch message shows the expected shape");
    nn_tensor_free(&m);

    int shape3[3] = {4, 0, 5};
    nn_tensor empty = nn_tensor_new(3, shape3);
    nn_ok(empty.size == 0 && empty.data != NULL, "a zero-sized dimension gives size 0 and a valid pointer");
    nn_tensor_free(&empty);

    /* ---- Errors -------------------------------------------------------- */
    nn_clear_error();
    nn_is_int(nn_error("cannot open %s: %s", "iris.csv", "No such file"), NN_ERR, "nn_error returns NN_ERR");
    nn_is_str(nn_last_error(), "cannot open iris.csv: No such file", "nn_last_error returns the formatted message");
    nn_error("reading the training set: %s", nn_last_error());
    nn_is_str(nn_last_error(), "reading the training set: cannot open iris.csv: No such file",
              "nn_error can wrap the previous message with context");
    nn_clear_error();
    nn_is_str(nn_last_error(), "no error recorded", "nn_clear_error forgets the message");
    char longmsg[3000];
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    nn_error("%s", longmsg);
    nn_ok(strlen(nn_last_error()) == 1023, "a 2999-character message is truncated to the 1023-character buffer");

    nn_set_program_name("/usr/lib/nnlab/ch02-backprop");
    nn_is_str(nn_program_name(), "ch02-backprop", "nn_set_program_name keeps the base name");

    child_result r;
    run_child(die_with_status_3, NULL, &r);
    nn_is_int(r.exit_status, 3, "nn_die exits with the status it was given");
    nn_is_str(r.err, "ch99-demo: error: cannot open train.csv (run make data)\n",
              "nn_die prints 'program: error: message' on stderr");
    nn_is_str(r.out, "written before the error\n", "nn_die flushes stdout first");

    run_child(die_with_last_error, NULL, &r);
    nn_is_int(r.exit_status, 1, "nn_die_last exits 1");
    nn_is_str(r.err, "ch99-demo: error: labels.csv line 7: expected 3 columns, found 2\n",
              "nn_die_last prints the last error");

    int rows = 0;
    run_child(break_an_invariant, &rows, &r);
    nn_is_int(r.signal, SIGABRT, "a broken NN_ASSERT aborts");
    nn_contains(r.err, "test-core.c:", "the assertion message names the file");
    nn_contains(r.err, "rows > 0 is false", "the assertion message names the condition");
    rows = 4;
    run_child(break_an_invariant, &rows, &r);
    nn_ok(r.exit_status == 0 && r.signal == 0 && r.err[0] == '\0', "a holding NN_ASSERT does nothing");

    /* ---- Vector helpers ---------------------------------------------------
     * Hand values: x = (1, 2, 3), y = (4, -5, 6): x.y = 4 - 10 + 18 = 12. */
    float x[3] = {1, 2, 3}, y[3] = {4, -5, 6};
    nn_is_close(nn_dot(x, y, 3), 12.0, 0, 0, "nn_dot of (1,2,3) and (4,-5,6) is 12");
    nn_is_close(nn_norm2(y, 3), sqrt(77.0), 1e-15, 0, "nn_norm2 of (4,-5,6) is sqrt(77)");
    /* nn_dot accumulates in double: 1e8 + 1 - 1e8 is 1 in double, 0 in float. */
    float big[3] = {1e8f, 1.0f, -1e8f}, ones[3] = {1, 1, 1};
    nn_is_close(nn_dot(big, ones, 3), 1.0, 0, 0, "nn_dot accumulates in double (1e8 + 1 - 1e8 = 1)");
    nn_axpy(y, 2.0f, x, 3);
    nn_ok(y[0] == 6 && y[1] == -1 && y[2] == 12, "nn_axpy: y += 2 x");
    nn_copy(y, x, 3);
    nn_ok(y[0] == 1 && y[1] == 2 && y[2] == 3, "nn_copy");
    float shift[4] = {1, 2, 3, 4};
    nn_copy(shift + 1, shift, 3);
    nn_ok(shift[1] == 1 && shift[2] == 2 && shift[3] == 3, "nn_copy handles overlapping arrays");
    nn_zero(shift, 4);
    nn_ok(shift[0] == 0 && shift[3] == 0, "nn_zero");
    float ties[5] = {-1, 7, 3, 7, 2};
    nn_is_int((long)nn_argmax(ties, 5), 1, "nn_argmax returns the first of tied maxima");
    float finite[3] = {1, 2, 3};
    nn_ok(nn_all_finite(finite, 3), "nn_all_finite on finite values");
    finite[1] = NAN;
    nn_ok(!nn_all_finite(finite, 3), "nn_all_finite sees a NaN");
    finite[1] = -INFINITY;
    nn_ok(!nn_all_finite(finite, 3), "nn_all_finite sees -inf");
    double t0 = nn_seconds(), t1 = nn_seconds();
    nn_ok(t1 >= t0 && t0 > 0, "nn_seconds is monotonic");

    return nn_tap_done();
}
