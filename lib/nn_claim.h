/* nn_claim.h: a sentence about a chapter's own run, checked by the run.
 *
 * A chapter that writes "momentum reaches the minimum in fewer steps than
 * plain gradient descent" states a result of its own run.  Such a sentence is
 * a claim, and a claim is a test: the chapter computes whether it holds and
 * prints it through nn_claim, and the chapter's run test (check_claims in
 * tests/chapter-run-lib.sh) runs the chapter with seeds 1, 2 and 3 and fails
 * on any claim that does not hold.
 *
 *     nn_claim(steps_momentum < steps_sgd, "momentum-faster",
 *              "momentum reaches the minimum in %d steps, plain gradient descent in %d",
 *              steps_momentum, steps_sgd);
 *
 * prints exactly one line on stdout, also under --quiet:
 *
 *     claim momentum-faster: PASS momentum reaches the minimum in 41 steps, ...
 *     claim momentum-faster: FAIL momentum reaches the minimum in 130 steps, ...
 *
 * The id is a short name made of letters, digits, '-', '_' and '.', unique
 * within a run (check_claims refuses a repeated id).  The sentence states the
 * claim as the chapter makes it, with the measured numbers, so a FAIL line
 * reads as "this is what the text says, and here is what the run found".
 * Newlines in the sentence are printed as spaces: one claim, one line.
 * Returns holds, so a chapter can branch on it. */
#ifndef NN_CLAIM_H
#define NN_CLAIM_H

#include "nn_core.h"

int nn_claim(int holds, const char *id, const char *fmt, ...) NN_PRINTF(3, 4);

#endif
