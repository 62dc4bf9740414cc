/* claim-demo.c: a tiny chapter for test-claim.sh.  It makes claims through
 * lib/nn_claim.h the way a chapter does; --mode picks which kind of run it is,
 * so the test can see what check_claims (tests/chapter-run-lib.sh) makes of
 * each. */
#include <string.h>

#include "nnlab.h"

int main(int argc, char **argv)
{
    const char *mode = "pass";
    static const char *const modes[] = {"pass", "fail-seed-2", "none", "twice", "vary", "format", "crash", NULL};
    nn_option options[] = {
        NN_OPT_CHOICE("mode", "NAME", "which kind of run", &mode, modes),
        NN_OPT_END,
    };
    nn_common common;
    nn_cli_parse(argc, argv, "claim-demo", "claims as a chapter makes them", options, &common);
    nn_say("a summary line that --quiet hides\n");

    if (strcmp(mode, "none") == 0)
        return 0;
    if (strcmp(mode, "format") == 0) {
        int t = nn_claim(7, "fmt.id_1", "%d%% of %s, line\none # two \\n", 42, "them");
        int f = nn_claim(0, "other", "plain");
        return t == 7 && f == 0 ? 0 : 3;
    }
    nn_claim(1, "always", "seed %llu: one is one", (unsigned long long)common.seed);
    if (strcmp(mode, "fail-seed-2") == 0)
        nn_claim(common.seed != 2, "not-two", "the seed is not 2 (it is %llu)", (unsigned long long)common.seed);
    if (strcmp(mode, "twice") == 0)
        nn_claim(1, "always", "again");
    if (strcmp(mode, "vary") == 0 && common.seed == 3)
        nn_claim(1, "only-three", "a claim made for seed 3 only");
    if (strcmp(mode, "crash") == 0 && common.seed == 2)
        nn_die(1, "seed 2 fails");
    return 0;
}
