/* test-netcount.c: lib/netcount.c, the parameter and cost counter, against
 * hand-worked layers (deck 002's output size, CS231n's and Krizhevsky's
 * layers), LeNet-5's numbers in LeCun et al. 1998 (the "60K parameters" of
 * deck 004), torchvision's models (tests/ch07/torchvision_counts.txt, written
 * by tests/ch07/torchvision_counts.py; every number must agree exactly) and
 * deck 004's table of popular networks. */
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

/* Counts spec on (C, H, W); bails out when a spec that must parse does not. */
static nn_netcount count(const char *spec, int C, int H, int W)
{
    nn_netcount nc;
    if (nn_netcount_parse(&nc, spec, C, H, W) != NN_OK)
        nn_tap_bail_out("'%s' should parse: %s", spec, nn_last_error());
    return nc;
}

/* The first row of kind `kind`, skipping `skip` of them. */
static const nn_nc_layer *row_of(const nn_netcount *nc, nn_nc_kind kind, int skip)
{
    for (int l = 0; l < nc->n_layers; l++)
        if (nc->layers[l].kind == kind && skip-- == 0)
            return &nc->layers[l];
    nn_tap_bail_out("no layer of kind %d", (int)kind);
}

static int shape_is(const nn_nc_layer *r, int c, int h, int w)
{
    return r->out_c == c && r->out_h == h && r->out_w == w;
}

static void test_output_size(void)
{
    /* deck 002, "Stride": a 7x7 input and a 3x3 filter give 5x5 at stride 1
     * and 3x3 at stride 2: W2 = (W - F + 2P) / S + 1. */
    nn_netcount nc = count("conv:1:3", 1, 7, 7);
    nn_ok(shape_is(&nc.layers[0], 1, 5, 5), "deck 002: 7x7, 3x3 filter, stride 1 -> 5x5");
    nn_is_int(nc.params, 3 * 3 + 1, "one 3x3 filter on one channel: 9 weights and a bias");
    nn_is_int(nc.macs, 5 * 5 * 9, "multiply-adds: 9 per output, 25 outputs");
    nn_netcount_free(&nc);
    nc = count("conv:1:3:2", 1, 7, 7);
    nn_ok(shape_is(&nc.layers[0], 1, 3, 3), "deck 002: 7x7, 3x3 filter, stride 2 -> 3x3");
    nn_netcount_free(&nc);
    /* deck 002's worked convolution: a 5x5 image and a 3x3 filter give 3x3 */
    nc = count("conv:1:3", 1, 5, 5);
    nn_ok(shape_is(&nc.layers[0], 1, 3, 3), "deck 002: 5x5 image, 3x3 filter -> 3x3 feature map");
    nn_netcount_free(&nc);
    /* deck 002, "Kernels": Krizhevsky's 96 filters of 11x11x3, each shared by
     * the 55x55 neurons of its depth slice: (227 - 11) / 4 + 1 = 55. */
    nc = count("conv:96:11:4", 3, 227, 227);
    nn_ok(shape_is(&nc.layers[0], 96, 55, 55), "deck 002: 227x227x3, 96 filters 11x11 stride 4 -> 55x55x96");
    nn_is_int(nc.params, 96 * (11 * 11 * 3 + 1), "... 96 x (363 + 1) = 34,944 parameters");
    nn_is_int(nc.macs, 55LL * 55 * 96 * 363, "... 55 x 55 x 96 x 363 multiply-adds");
    nn_netcount_free(&nc);
    /* CS231n: 32x32x3 input, 10 filters 5x5 with stride 1 and pad 2 keep 32x32;
     * each filter has 5*5*3 + 1 = 76 parameters, 760 in all. */
    nc = count("conv:10:5:1:2", 3, 32, 32);
    nn_ok(shape_is(&nc.layers[0], 10, 32, 32), "pad 2 keeps a 5x5 convolution's 32x32");
    nn_is_int(nc.params, 760, "10 filters of 5x5x3 + bias: 760 parameters");
    nn_netcount_free(&nc);
    /* deck 002, pooling: 224x224x64 pooled 2x2 stride 2 -> 112x112x64 */
    nc = count("maxpool:2", 64, 224, 224);
    nn_ok(shape_is(&nc.layers[0], 64, 112, 112), "deck 002: 224x224x64 max-pooled 2x2 -> 112x112x64");
    nn_is_int(nc.params + nc.macs, 0, "a pool has no parameters and no multiply-adds");
    nn_netcount_free(&nc);
    /* rectangular filters and padding (Inception's 1x7): (17 - 1 + 0) + 1, (17 - 7 + 6) + 1 */
    nc = count("conv:4:1x7:1:0x3:nobias", 2, 17, 17);
    nn_ok(shape_is(&nc.layers[0], 4, 17, 17), "a 1x7 filter with 0x3 padding keeps 17x17");
    nn_is_int(nc.params, 4 * 2 * 7, "1x7, no bias: K C 7 parameters");
    nn_netcount_free(&nc);
}

static void test_layer_formulas(void)
{
    /* groups: each filter sees C/G channels; G = C is a depthwise convolution */
    nn_netcount nc = count("conv:64:3:1:1:g=64 conv:128:3:1:1:g=32:nobias", 64, 8, 8);
    nn_is_int(nc.layers[0].params, 64 * 9 + 64, "depthwise 3x3 on 64 channels: 64 x 9 + 64");
    nn_is_int(nc.layers[0].macs, 8 * 8 * 64 * 9, "depthwise multiply-adds: H2 W2 K 9");
    nn_is_int(nc.layers[1].params, 128 * (64 / 32) * 9, "32 groups: 128 filters of 2 x 3 x 3, no bias");
    nn_netcount_free(&nc);
    /* batch norm: gamma and beta per channel, and the running mean and variance */
    nc = count("bn bn:noscale", 16, 4, 4);
    nn_is_int(nc.layers[0].params, 32, "BatchNorm2d(16): 32 parameters");
    nn_is_int(nc.layers[0].running, 32, "... and 32 running statistics");
    nn_is_int(nc.layers[1].params, 16, "noscale (Keras scale=False): beta only");
    nn_netcount_free(&nc);
    /* a dense layer flattens its input: 16 x 5 x 5 = 400 inputs */
    nc = count("dense:120 dense:84:nobias", 16, 5, 5);
    nn_is_int(nc.layers[0].params, 400 * 120 + 120, "dense 400 -> 120: 48,120");
    nn_is_int(nc.layers[1].params, 120 * 84, "dense 120 -> 84 without bias: 10,080");
    nn_is_int(nc.macs, 400 * 120 + 120 * 84, "dense multiply-adds: I O per layer");
    nn_netcount_free(&nc);
    /* activation memory: the input and every new tensor; relu works in place */
    nc = count("conv:2:3 relu maxpool:2 flatten", 1, 6, 6);
    nn_is_int(nc.activations, 36 + 2 * 4 * 4 + 2 * 2 * 2, "activations: input 36 + conv 32 + pool 8");
    nn_ok(nc.layers[1].in_place && nc.layers[1].activations == 32, "relu's row shows 32 floats, in place");
    nn_ok(shape_is(&nc.layers[3], 8, 1, 1), "flatten: 2 x 2 x 2 -> 8");
    nn_netcount_free(&nc);
    /* deck 003's residual block H(x) = F(x) + x: the identity adds no parameters */
    nc = count("res{ conv:4:3:1:1 bn relu conv:4:3:1:1 bn } relu", 4, 8, 8);
    nn_is_int(nc.params, 2 * (4 * 4 * 9 + 4) + 2 * 8, "basic residual block: two convs and two BNs");
    nn_ok(nc.out_c == 4 && nc.out_h == 8 && nc.out_w == 8, "F(x) + x keeps the shape");
    nn_ok(row_of(&nc, NN_NC_ADD, 0)->in_place, "the sum is written in place");
    nn_netcount_free(&nc);
    /* a projection shortcut: 1x1 conv with stride 2 to the new shape */
    nc = count("res{ conv:8:3:2:1 bn relu conv:8:3:1:1 bn | conv:8:1:2 bn } relu", 4, 8, 8);
    nn_ok(nc.out_c == 8 && nc.out_h == 4 && nc.out_w == 4, "projection block: 4x8x8 -> 8x4x4");
    nn_is_int(nc.params, (8 * 4 * 9 + 8) + (8 * 8 * 9 + 8) + (8 * 4 + 8) + 3 * 16,
              "projection block: three convs and three BNs");
    nn_netcount_free(&nc);
    /* Inception-style concatenation along channels */
    nc = count("cat{ conv:3:1 | conv:5:3:1:1 | maxpool:3:1:1 }", 2, 6, 6);
    nn_ok(nc.out_c == 3 + 5 + 2 && nc.out_h == 6 && nc.out_w == 6, "cat: 3 + 5 + 2 channels of 6x6");
    nn_is_int(row_of(&nc, NN_NC_CONCAT, 0)->activations, 10 * 36, "cat makes a new tensor of 360 floats");
    nn_netcount_free(&nc);
}

/* LeCun, Bottou, Bengio, Haffner 1998, section II.B: per layer the trainable
 * parameters and the connections (inputs plus bias to every output), and in
 * all "340,908 connections, but only 60,000 trainable free parameters". */
static void test_lenet_1998(void)
{
    nn_netcount nc;
    if (nn_netcount_builtin(&nc, "lenet5-1998") != NN_OK)
        nn_tap_bail_out("lenet5-1998: %s", nn_last_error());
    static const struct {
        nn_nc_kind kind;
        int skip, c, h, w;
        long long params, connections;
        const char *name;
    } paper[] = {
        {NN_NC_CONV, 0, 6, 28, 28, 156, 122304, "C1"},
        {NN_NC_SUBSAMPLE, 0, 6, 14, 14, 12, 5880, "S2"},
        {NN_NC_CONV, 1, 16, 10, 10, 1516, 151600, "C3"},
        {NN_NC_SUBSAMPLE, 1, 16, 5, 5, 32, 2000, "S4"},
        {NN_NC_CONV, 2, 120, 1, 1, 48120, 48120, "C5"},
        {NN_NC_DENSE, 0, 84, 1, 1, 10164, 10164, "F6"},
    };
    for (size_t i = 0; i < sizeof paper / sizeof paper[0]; i++) {
        const nn_nc_layer *r = row_of(&nc, paper[i].kind, paper[i].skip);
        nn_ok(shape_is(r, paper[i].c, paper[i].h, paper[i].w), "LeNet-5 1998 %s: %d maps of %dx%d",
              paper[i].name, paper[i].c, paper[i].h, paper[i].w);
        nn_is_int(r->params, paper[i].params, "LeNet-5 1998 %s: trainable parameters", paper[i].name);
        nn_is_int(r->connections, paper[i].connections, "LeNet-5 1998 %s: connections", paper[i].name);
    }
    nn_is_int(nc.params, 60000, "LeNet-5 1998: 60,000 trainable parameters (deck 004: 60K)");
    nn_is_int(nc.connections, 340908, "LeNet-5 1998: 340,908 connections");
    nn_netcount_free(&nc);

    /* The chapter's LeNet-5 on 28x28, by hand: 6 (25 + 1) + 16 (150 + 1)
     * + 120 (400 + 1) + 84 (120 + 1) + 10 (84 + 1). */
    if (nn_netcount_builtin(&nc, "lenet5") != NN_OK)
        nn_tap_bail_out("lenet5: %s", nn_last_error());
    nn_is_int(nc.params, 156 + 2416 + 48120 + 10164 + 850, "chapter LeNet-5: 61,706 parameters");
    nn_ok(shape_is(row_of(&nc, NN_NC_AVGPOOL, 1), 16, 5, 5), "chapter LeNet-5: 16 x 5 x 5 before the dense layers");
    nn_netcount_free(&nc);
}

static void expect_error(const char *spec, int C, int H, int W, const char *needle, const char *what)
{
    nn_netcount nc;
    nn_clear_error();
    int status = nn_netcount_parse(&nc, spec, C, H, W);
    nn_ok(status == NN_ERR && nc.n_layers == 0 && nc.layers == NULL, "refused: %s", what);
    nn_contains(nn_last_error(), needle, "message for %s", what);
    if (status == NN_OK)
        nn_netcount_free(&nc);
}

static void test_bad_specs(void)
{
    expect_error("conv:4:3 maxpool:8", 1, 6, 6, "layer 2 'maxpool:8': pool height: window 8 is larger than the input 4",
                 "a pool larger than the feature map");
    expect_error("conv:0:3", 1, 6, 6, "needs at least 1 filter (K = 0)", "zero filters");
    expect_error("conv:6:3:g=4", 6, 6, 6, "groups g=4 must divide both the 6 input channels and the 6 filters",
                 "groups not dividing the channels");
    expect_error("conv:8:3:g=3", 6, 6, 6, "must divide", "groups not dividing the filters");
    expect_error("conv:4:7", 1, 6, 6, "filter 7 is larger than the padded input", "a filter larger than the input");
    expect_error("dense:0", 1, 6, 6, "at least 1 output", "a dense layer of width 0");
    expect_error("conv:4:3 pool:2", 1, 6, 6, "unknown layer 'pool'", "an unknown layer");
    expect_error("conv:4:3x", 1, 6, 6, "'3x' is not HxW", "a malformed field");
    expect_error("conv:4:3:g=two", 1, 6, 6, "groups must be a number", "a malformed option");
    expect_error("relu:3", 1, 6, 6, "relu takes 0 to 0 numbers", "a number where none belongs");
    expect_error("conv:4:3:conn=99", 2, 6, 6, "only 4 x 2 = 8", "more connections than pairs");
    expect_error("res{ conv:4:3:1:1 bn", 4, 6, 6, "is not closed", "an unclosed block");
    expect_error("conv:4:3 }", 1, 6, 6, "no block to close", "a stray '}'");
    expect_error("res{ conv:8:3:1:1 }", 4, 6, 6, "add a projection shortcut", "a residual sum of mismatched shapes");
    expect_error("res{ conv:8:3:1:1 | conv:8:1:2 }", 4, 6, 6, "the branches of a sum must agree",
                 "residual branches of different sizes");
    expect_error("cat{ conv:8:3 | conv:8:1 }", 4, 6, 6, "same size", "concatenating maps of different sizes");
    expect_error("", 1, 6, 6, "no layers", "an empty specification");
    expect_error("relu", 0, 6, 6, "is empty", "an empty input");
    expect_error("maxpool:2:2:2", 1, 6, 6, "more than half the window", "pool padding above half the window");
    nn_ok(nn_netcount_builtin_spec("lenet6", &(int){0}, &(int){0}, &(int){0}) == NULL,
          "an unknown built-in network is refused");
    nn_contains(nn_last_error(), "no built-in network 'lenet6' (known: lenet5-1998", "message lists the known ones");
}

static void test_table(void)
{
    nn_netcount nc;
    if (nn_netcount_builtin(&nc, "vgg16") != NN_OK)
        nn_tap_bail_out("vgg16: %s", nn_last_error());
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    nn_netcount_print(f, &nc, "VGG-16", 0);
    fclose(f);
    nn_contains(text, "VGG-16\nlayer", "the title comes first, then the header");
    nn_contains(text, "conv:64:3:1:1   64 x 224 x 224       3,211,264         1,792       86,704,128",
                "CS231n's first row: [224x224x64], 3.2M floats, (3*3*3)*64 weights (+ 64 biases)");
    nn_contains(text, "dense:4096      4096 x 1 x 1             4,096   102,764,544",
                "CS231n's FC 7x7x512 -> 4096: 102,760,448 weights + 4,096 biases");
    nn_contains(text, "138,357,544", "the total parameters, with thousands separators");
    nn_ok(strstr(text, "relu") == NULL, "without element-wise rows, no relu");
    free(text);
    f = open_memstream(&text, &len);
    nn_netcount_print(f, &nc, NULL, 1);
    fclose(f);
    nn_contains(text, "relu            64 x 224 x 224        in place", "with them, relu is shown in place");
    free(text);
    nn_netcount_free(&nc);
    char buf[32];
    nn_is_str(nn_netcount_commas(1000, buf, sizeof buf), "1,000", "commas: 1000");
    nn_is_str(nn_netcount_commas(999, buf, sizeof buf), "999", "commas: 999");
    nn_is_str(nn_netcount_commas(-1234567, buf, sizeof buf), "-1,234,567", "commas: -1234567");
}

/* ---- torchvision ------------------------------------------------------------ */

typedef struct {
    char name[32];
    int c, h, w;
    long long params, running, macs, conv_bias;
    int output;
    int n_layers;
    struct {
        char module[64], type[32];
        long long params, macs;
        int c, h, w;
    } layers[1000];
} tv_model;

/* Which of the counter's rows torch's hooks see, and under which type name. */
static const char *torch_type(nn_nc_kind k)
{
    switch (k) {
    case NN_NC_CONV: return "Conv2d";
    case NN_NC_BN: return "BatchNorm2d";
    case NN_NC_DENSE: return "Linear";
    case NN_NC_MAXPOOL: return "MaxPool2d";
    case NN_NC_AVGPOOL: return "AvgPool2d";
    case NN_NC_ADAPTIVE_AVGPOOL: return "AdaptiveAvgPool2d";
    default: return NULL;
    }
}

static int read_model(FILE *f, tv_model *m, const char *path)
{
    char word[32];
    if (fscanf(f, " %31s", word) != 1)
        return 0;
    while (word[0] == '#') {
        int ch;
        while ((ch = fgetc(f)) != '\n' && ch != EOF)
            ;
        if (fscanf(f, " %31s", word) != 1)
            return 0;
    }
    if (strcmp(word, "model") != 0 ||
        fscanf(f, " %31s input %d %d %d params %lld running %lld macs %lld conv_bias %lld output %d",
               m->name, &m->c, &m->h, &m->w, &m->params, &m->running, &m->macs, &m->conv_bias,
               &m->output) != 9)
        nn_tap_bail_out("%s: expected a 'model NAME input C H W params ...' line (regenerate it with "
                        "/usr/bin/python3 tests/ch07/torchvision_counts.py)", path);
    m->n_layers = 0;
    for (;;) {
        if (fscanf(f, " %31s", word) != 1)
            nn_tap_bail_out("%s: model %s is truncated", path, m->name);
        if (strcmp(word, "end") == 0) {
            if (fscanf(f, " %31s", word) != 1 || strcmp(word, m->name) != 0)
                nn_tap_bail_out("%s: model %s does not end with 'end %s'", path, m->name, m->name);
            return 1;
        }
        int index;
        if (strcmp(word, "layer") != 0 || m->n_layers == 1000)
            nn_tap_bail_out("%s: model %s: expected a layer line", path, m->name);
        int k = m->n_layers++;
        if (fscanf(f, " %d %63s %31s params %lld out %d %d %d macs %lld", &index, m->layers[k].module,
                   m->layers[k].type, &m->layers[k].params, &m->layers[k].c, &m->layers[k].h,
                   &m->layers[k].w, &m->layers[k].macs) != 8 || index != k + 1)
            nn_tap_bail_out("%s: model %s, layer %d is malformed", path, m->name, k + 1);
    }
}

static void compare_model(const tv_model *m)
{
    nn_netcount nc;
    if (nn_netcount_builtin(&nc, m->name) != NN_OK) {
        nn_ok(0, "%s: built in (%s)", m->name, nn_last_error());
        return;
    }
    nn_ok(nc.in_c == m->c && nc.in_h == m->h && nc.in_w == m->w, "%s: input %d x %d x %d", m->name, m->c,
          m->h, m->w);
    nn_is_int(nc.params, m->params, "%s: parameters as torchvision's", m->name);
    nn_is_int(nc.running, m->running, "%s: running statistics as torchvision's", m->name);
    nn_is_int(nc.macs, m->macs, "%s: multiply-adds as counted from torch's output shapes", m->name);
    nn_ok(nc.out_c == m->output && nc.out_h == 1 && nc.out_w == 1, "%s: %d outputs", m->name, m->output);
    /* Layer by layer, in order of evaluation; one test line for all of them,
     * naming the first disagreement. */
    int k = 0, bad = 0, skipped = 0;
    char why[512] = "";
    for (int l = 0; l < nc.n_layers && !bad; l++) {
        const nn_nc_layer *r = &nc.layers[l];
        const char *type = torch_type(r->kind);
        if (!type)
            continue;
        /* A pool torch applies as a function (Inception's branch pools) has
         * no module and no hook: skip ours when torch's next layer is no pool.
         * The convolution after it still checks the shape it left. */
        int is_pool = r->kind == NN_NC_MAXPOOL || r->kind == NN_NC_AVGPOOL;
        if (is_pool && (k == m->n_layers || !strstr(m->layers[k].type, "Pool"))) {
            skipped++;
            continue;
        }
        if (k == m->n_layers) {
            snprintf(why, sizeof why, "row %d '%s' has no torch layer left", l + 1, r->text);
            bad = 1;
            break;
        }
        const char *what = NULL;
        if (strcmp(type, m->layers[k].type) != 0)
            what = "type";
        else if (r->params != m->layers[k].params)
            what = "parameters";
        else if (r->macs != m->layers[k].macs)
            what = "multiply-adds";
        else if (!shape_is(r, m->layers[k].c, m->layers[k].h, m->layers[k].w))
            what = "output shape";
        if (what) {
            snprintf(why, sizeof why, "row %d '%s' (%s, %lld params, %d x %d x %d) vs torch %s (%s, %lld "
                     "params, %d x %d x %d): %s differ", l + 1, r->text, type, r->params, r->out_c, r->out_h,
                     r->out_w, m->layers[k].module, m->layers[k].type, m->layers[k].params, m->layers[k].c,
                     m->layers[k].h, m->layers[k].w, what);
            bad = 1;
        }
        k++;
    }
    if (!bad && k != m->n_layers) {
        snprintf(why, sizeof why, "%d counted layers, torch has %d", k, m->n_layers);
        bad = 1;
    }
    if (!nn_ok(!bad, "%s: all %d conv/bn/dense/pool layers agree with torch (type, parameters, "
               "multiply-adds, output shape)", m->name, m->n_layers))
        nn_diag("%s", why);
    if (skipped)
        nn_diag("%s: %d functional pools have no torch module to compare", m->name, skipped);
    nn_netcount_free(&nc);
}

static void test_torchvision(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/ch07/torchvision_counts.txt", top && *top ? top : NNLAB_SRCDIR);
    FILE *f = fopen(path, "r");
    if (!f)
        nn_tap_bail_out("cannot open %s (set top_srcdir to the nnlab source tree)", path);
    static tv_model m;
    long long resnet50 = -1, resnet50_bias = -1;
    int n_models = 0;
    while (read_model(f, &m, path)) {
        compare_model(&m);
        n_models++;
        if (strcmp(m.name, "resnet50") == 0)
            resnet50 = m.params, resnet50_bias = m.conv_bias;
    }
    fclose(f);
    nn_is_int(n_models, 6, "torchvision_counts.txt holds 6 models");

    /* Deck 004's table comes from Keras, which counts the running statistics
     * in its total, and whose ResNet-50 has a bias on every convolution. */
    nn_netcount nc;
    nn_netcount_builtin(&nc, "resnet50-keras");
    nn_is_int(nc.params, resnet50 + resnet50_bias,
              "Keras ResNet-50: torchvision's parameters plus one bias per conv output channel");
    nn_is_int(nc.params + nc.running, 25636712, "deck 004: ResNet50 25,636,712 (Keras's total)");
    nn_netcount_free(&nc);
    nn_netcount_builtin(&nc, "resnext50");
    nn_is_int(nc.params + nc.running, 25097128, "deck 004: ResNeXt50 25,097,128 (Keras's total)");
    nn_netcount_free(&nc);
    nn_netcount_builtin(&nc, "vgg16");
    nn_is_int(nc.params + nc.running, 138357544, "deck 004: VGG16 138,357,544");
    nn_netcount_free(&nc);
    nn_netcount_builtin(&nc, "inception3-keras");
    nn_is_int(nc.params + nc.running, 23851784,
              "deck 004: InceptionV3 23,851,784 (Keras: batch norms without gamma, plus running statistics)");
    nn_netcount_free(&nc);
    /* No torchvision model: the deck's (Keras's) number is the only truth. */
    nn_netcount_builtin(&nc, "xception");
    nn_is_int(nc.params + nc.running, 22910480, "deck 004: Xception 22,910,480 (Keras's total)");
    nn_netcount_free(&nc);
    nn_netcount_builtin(&nc, "alexnet");
    nn_is_int(nc.params, 61100840, "torchvision's AlexNet: 61,100,840 (deck 004: 60M)");
    nn_netcount_free(&nc);
}

/* The architecture strings of nn_model.h are specifications too: the counter
 * and lib/model.c must agree on every layer's output shape and parameters.
 * (Their multiply-adds differ by convention: model.c counts one per element
 * for batch norm, the counter none, as nn_netcount.h says.) */
static void test_model_strings(void)
{
    static const char *const archs[] = {
        "conv:6:5:1:2 tanh avgpool:2 conv:16:5 tanh avgpool:2 dense:120 tanh dense:84 tanh dense:10",
        "conv:16:3:1:1 bn relu maxpool:2 conv:32:3:1:1 bn relu maxpool:2 dropout:25 flatten dense:64 bn "
        "relu dense:10",
    };
    for (size_t a = 0; a < sizeof archs / sizeof archs[0]; a++) {
        nn_model *m = nn_model_new(archs[a], 1, 28, 28, 2);
        nn_netcount nc;
        if (!m || nn_netcount_parse(&nc, archs[a], 1, 28, 28) != NN_OK) {
            nn_ok(0, "architecture %zu builds in both: %s", a + 1, nn_last_error());
            if (m)
                nn_model_free(m);
            continue;
        }
        int same = nn_model_layer_count(m) == nc.n_layers;
        for (int l = 0; same && l < nc.n_layers; l++) {
            nn_layer_info info = nn_model_layer(m, l);
            const nn_nc_layer *r = &nc.layers[l];
            same = info.out_c == r->out_c && info.out_h == r->out_h && info.out_w == r->out_w &&
                   (long long)info.n_params == r->params;
            if (!same)
                nn_diag("layer %d '%s': model %d x %d x %d, %zu params; counter %d x %d x %d, %lld", l + 1,
                        r->text, info.out_c, info.out_h, info.out_w, info.n_params, r->out_c, r->out_h,
                        r->out_w, r->params);
        }
        nn_ok(same, "architecture %zu: nn_model and the counter agree on every layer's shape and parameters",
              a + 1);
        nn_is_int((long)nn_model_param_count(m), (long)nc.params, "architecture %zu: total parameters", a + 1);
        nn_netcount_free(&nc);
        nn_model_free(m);
    }
}

int main(void)
{
    nn_tap_timeout(30);
    test_output_size();
    test_layer_formulas();
    test_lenet_1998();
    test_bad_specs();
    test_table();
    test_model_strings();
    test_torchvision();
    return nn_tap_done();
}
