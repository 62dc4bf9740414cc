/* cli-demo.c: a tiny program on the shared command line (lib/nn_cli.h) for
 * test-cli.sh.  It declares one option of each kind a chapter uses, then
 * prints what it parsed, one "name=value" per line. */
#include "nnlab.h"

int main(int argc, char **argv)
{
    int epochs = 20, samples = 5000, verbose = 0;
    double lr = 0.1;
    const char *activation = "relu";
    static const char *const activations[] = {"sigmoid", "tanh", "relu", NULL};
    nn_option options[] = {
        NN_OPT_INT("epochs", "N", "training epochs", &epochs, 1, 1000),
        NN_OPT_INT("samples", "N", "training examples", &samples, 10, 2000000),
        NN_OPT_DOUBLE("lr", "RATE", "learning rate", &lr, 0, 10),
        NN_OPT_CHOICE("activation", "NAME", "hidden activation", &activation, activations),
        NN_OPT_FLAG("verbose", "print every epoch", &verbose),
        NN_OPT_END,
    };
    nn_common common;
    nn_cli_parse(argc, argv, "cli-demo", "a demonstration of the shared command line", options, &common);
    printf("epochs=%d\nsamples=%d\nlr=%.17g\nactivation=%s\nverbose=%d\n", epochs, samples, lr, activation,
           verbose);
    printf("seed=%llu\nout=%s\ndata=%s\nquiet=%d\n", (unsigned long long)common.seed, common.out_dir,
           common.data_dir, common.quiet);
    nn_say("said: not quiet\n");
    return 0;
}
