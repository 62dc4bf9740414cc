/* cli.c: the shared getopt_long front of every chapter. */
#include "nn_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn_fig.h"

static int quiet;
static const char *usage_program = "nnlab";
static int progress_shown;

enum { OPT_HELP = 1000, OPT_VERSION, OPT_SEED, OPT_OUT, OPT_DATA, OPT_QUIET, OPT_OWN };

static void usage_line(FILE *f) { fprintf(f, "usage: %s [options]   (try '%s --help')\n", usage_program, usage_program); }

void nn_usage_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: error: ", usage_program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    usage_line(stderr);
    exit(2);
}

static void print_help(const char *program, const char *summary, const nn_option *options)
{
    printf("%s: %s\n\nusage: %s [options]\n\nOptions of this chapter:\n", program, summary, program);
    for (const nn_option *o = options; o && o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
        printf("  %-24s %s", left, o->help);
        switch (o->type) {
        /* Whole-number ranges in full: %g would print 1000000 as 1e+06. */
        case NN_OPT_INT_T: printf(" (%.0f..%.0f, default %d)", o->min, o->max, *(int *)o->value); break;
        case NN_OPT_DOUBLE_T: printf(" (%g..%g, default %g)", o->min, o->max, *(double *)o->value); break;
        case NN_OPT_STRING_T:
            if (*(const char **)o->value)
                printf(" (default %s)", *(const char **)o->value);
            break;
        case NN_OPT_CHOICE_T:
            printf(" (one of");
            for (const char *const *c = o->choices; *c; c++)
                printf(" %s", *c);
            printf("; default %s)", *(const char **)o->value);
            break;
        case NN_OPT_FLAG_T: break;
        }
        putchar('\n');
    }
    printf("\nCommon options:\n"
           "  --seed N                 random seed; same seed, same numbers (default %d)\n"
           "  --out DIR                write figures under DIR/plots/ (default .)\n"
           "  --data DIR               Fashion-MNIST directory (default $NNLAB_DATA, else %s)\n"
           "  --quiet                  print nothing but errors\n"
           "  --help                   this help\n"
           "  --version                the kit's version\n",
           NN_DEFAULT_SEED, NN_DEFAULT_FASHION_DIR);
}

static int parse_long(const char *s, long *v)
{
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

static int parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && isfinite(*v);
}

static void set_option(const nn_option *o, const char *arg)
{
    switch (o->type) {
    case NN_OPT_FLAG_T: *(int *)o->value = 1; return;
    case NN_OPT_INT_T: {
        long v;
        if (!parse_long(arg, &v))
            nn_usage_error("--%s expects a whole number, got '%s'", o->name, arg);
        if (v < o->min || v > o->max)
            nn_usage_error("--%s must be between %.0f and %.0f, got %ld", o->name, o->min, o->max, v);
        *(int *)o->value = (int)v;
        return;
    }
    case NN_OPT_DOUBLE_T: {
        double v;
        if (!parse_double(arg, &v))
            nn_usage_error("--%s expects a number, got '%s'", o->name, arg);
        if (v < o->min || v > o->max)
            nn_usage_error("--%s must be between %g and %g, got %g", o->name, o->min, o->max, v);
        *(double *)o->value = v;
        return;
    }
    case NN_OPT_STRING_T: *(const char **)o->value = arg; return;
    case NN_OPT_CHOICE_T:
        for (const char *const *c = o->choices; *c; c++)
            if (strcmp(*c, arg) == 0) {
                *(const char **)o->value = *c;
                return;
            }
        {
            char list[512] = "";
            for (const char *const *c = o->choices; *c; c++) {
                strncat(list, *c, sizeof list - strlen(list) - 1);
                if (c[1])
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            nn_usage_error("unknown value '%s' for --%s: choose one of %s", arg, o->name, list);
        }
    }
}

void nn_cli_parse(int argc, char **argv, const char *program, const char *summary,
                  const nn_option *options, nn_common *common)
{
    int n_own = 0;
    while (options && options[n_own].name)
        n_own++;
    struct option *longs = nn_calloc((size_t)n_own + 7, sizeof *longs);
    static const struct option common_longs[] = {
        {"help", no_argument, NULL, OPT_HELP}, {"version", no_argument, NULL, OPT_VERSION},
        {"seed", required_argument, NULL, OPT_SEED}, {"out", required_argument, NULL, OPT_OUT},
        {"data", required_argument, NULL, OPT_DATA}, {"quiet", no_argument, NULL, OPT_QUIET},
    };
    for (int i = 0; i < 6; i++)
        longs[i] = common_longs[i];
    for (int i = 0; i < n_own; i++) {
        for (int j = 0; j < 6; j++)
            NN_ASSERT(strcmp(options[i].name, common_longs[j].name) != 0);
        longs[6 + i].name = options[i].name;
        longs[6 + i].has_arg = options[i].type == NN_OPT_FLAG_T ? no_argument : required_argument;
        longs[6 + i].val = OPT_OWN + i;
    }

    usage_program = program;
    nn_set_program_name(program);
    common->seed = NN_DEFAULT_SEED;
    common->out_dir = ".";
    common->data_dir = getenv("NNLAB_DATA") && *getenv("NNLAB_DATA") ? getenv("NNLAB_DATA")
                                                                      : NN_DEFAULT_FASHION_DIR;
    common->quiet = 0;
    common->data_given = 0;

    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
        switch (c) {
        case OPT_HELP: print_help(program, summary, options); free(longs); exit(0);
        case OPT_VERSION: printf("%s (nnlab) %s\n", program, NN_VERSION); free(longs); exit(0);
        case OPT_SEED: {
            long v;
            if (!parse_long(optarg, &v) || v < 0)
                nn_usage_error("--seed expects a non-negative whole number, got '%s'", optarg);
            common->seed = (uint64_t)v;
            break;
        }
        case OPT_OUT:
        case OPT_DATA:
            /* An empty directory would turn OUT/plots into /plots. */
            if (!*optarg)
                nn_usage_error("--%s expects a directory, got an empty string", c == OPT_OUT ? "out" : "data");
            *(c == OPT_OUT ? &common->out_dir : &common->data_dir) = optarg;
            common->data_given |= c == OPT_DATA;
            break;
        case OPT_QUIET: common->quiet = 1; break;
        case ':': nn_usage_error("option %s needs a value", argv[optind - 1]);
        case '?':
            /* getopt_long leaves in optopt what it stumbled on: a known
             * option's code when a value was given to an option that takes
             * none ("--quiet=3"), the letter of an unknown short option (which
             * may sit inside a cluster such as "-xv", so argv[optind - 1] need
             * not hold it), or 0 for an unknown long option. */
            if (optopt >= OPT_HELP)
                nn_usage_error("option '%s' takes no value", argv[optind - 1]);
            if (optopt)
                nn_usage_error("unknown option '-%c' (options are long: --help lists them)", optopt);
            nn_usage_error("unknown option '%s'", argv[optind - 1]);
        default:
            NN_ASSERT(c >= OPT_OWN && c < OPT_OWN + n_own);
            set_option(&options[c - OPT_OWN], optarg);
        }
    }
    free(longs);
    if (optind < argc)
        nn_usage_error("unexpected argument '%s' (options start with --)", argv[optind]);
    quiet = common->quiet;
    nn_fig_set_out_dir(common->out_dir);
}

int nn_is_quiet(void) { return quiet; }

void nn_say(const char *fmt, ...)
{
    va_list ap;
    if (quiet)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

void nn_progress(const char *label, long done, long total)
{
    if (quiet || !isatty(STDERR_FILENO))
        return;
    fprintf(stderr, "\r%s  %ld/%ld ", label, done, total);
    fflush(stderr);
    progress_shown = 1;
}

void nn_progress_end(void)
{
    if (progress_shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        progress_shown = 0;
    }
}
