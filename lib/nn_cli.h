/* nn_cli.h: the command line every chapter shares.
 *
 * Common options:  --help  --version  --seed N  --out DIR  --data DIR  --quiet
 * plus the chapter's own, declared in a table:
 *
 *     int epochs = 20; double lr = 0.1; const char *act = "relu";
 *     static const char *const acts[] = {"sigmoid", "relu", NULL};
 *     nn_option options[] = {
 *         NN_OPT_INT("epochs", "N", "training epochs", &epochs, 1, 100000),
 *         NN_OPT_DOUBLE("lr", "RATE", "learning rate", &lr, 0, 100),
 *         NN_OPT_CHOICE("activation", "NAME", "hidden activation", &act, acts),
 *         NN_OPT_END
 *     };
 *     nn_common common;
 *     nn_cli_parse(argc, argv, "ch02-backprop", "the MLP trained by backpropagation",
 *                  options, &common);
 *
 * Every value is range-checked; a bad one ends the program with a message
 * naming the option, the value and the allowed range, then a usage line, and
 * exit status 2. */
#ifndef NN_CLI_H
#define NN_CLI_H

#include <stdint.h>

#include "nn_core.h"

typedef enum { NN_OPT_FLAG_T, NN_OPT_INT_T, NN_OPT_DOUBLE_T, NN_OPT_STRING_T, NN_OPT_CHOICE_T } nn_opt_type;

typedef struct {
    const char *name;       /* long name, without the dashes; NULL ends the table */
    nn_opt_type type;
    const char *arg_name;   /* shown in --help: "N", "RATE" */
    const char *help;
    void *value;            /* int*, double*, const char**; FLAG: int* set to 1 */
    double min, max;        /* allowed range for INT and DOUBLE, inclusive */
    const char *const *choices; /* NULL-terminated, for CHOICE */
} nn_option;

#define NN_OPT_FLAG(name, help, ptr) {name, NN_OPT_FLAG_T, NULL, help, (ptr), 0, 0, NULL}
#define NN_OPT_INT(name, arg, help, ptr, lo, hi) {name, NN_OPT_INT_T, arg, help, (ptr), lo, hi, NULL}
#define NN_OPT_DOUBLE(name, arg, help, ptr, lo, hi) {name, NN_OPT_DOUBLE_T, arg, help, (ptr), lo, hi, NULL}
#define NN_OPT_STRING(name, arg, help, ptr) {name, NN_OPT_STRING_T, arg, help, (ptr), 0, 0, NULL}
#define NN_OPT_CHOICE(name, arg, help, ptr, list) {name, NN_OPT_CHOICE_T, arg, help, (ptr), 0, 0, list}
#define NN_OPT_END {NULL, NN_OPT_FLAG_T, NULL, NULL, NULL, 0, 0, NULL}

typedef struct {
    uint64_t seed;          /* --seed, default 42 */
    const char *out_dir;    /* --out, default "." : figures go to OUT/plots/NN-topic/ */
    const char *data_dir;   /* --data, else $NNLAB_DATA, else /usr/share/datasets/fashion-mnist */
    int quiet;              /* --quiet: no summary on stdout, no progress line */
    int data_given;         /* 1 if --data named data_dir (then it must hold the data) */
} nn_common;

#define NN_DEFAULT_SEED 42
#define NN_DEFAULT_FASHION_DIR "/usr/share/datasets/fashion-mnist"

/* Parses argv; handles --help and --version (exit 0) and errors (exit 2).
 * Also sets the program name for messages and the figure output directory. */
void nn_cli_parse(int argc, char **argv, const char *program, const char *summary,
                  const nn_option *options, nn_common *common);

/* Print to stdout unless --quiet. */
void nn_say(const char *fmt, ...) NN_PRINTF(1, 2);
int nn_is_quiet(void);

/* A progress line on stderr, rewritten in place, only when stderr is a
 * terminal and not --quiet: "label  done/total".  nn_progress_end clears it. */
void nn_progress(const char *label, long done, long total);
void nn_progress_end(void);

/* A usage error detected after parsing (e.g. two options that conflict):
 * message, usage line, exit 2. */
NN_NORETURN void nn_usage_error(const char *fmt, ...) NN_PRINTF(1, 2);

#endif
