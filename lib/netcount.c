/* netcount.c: parameter, memory and multiply-add accounting from a layer
 * specification (nn_netcount.h), the table printer and the built-in networks.
 *
 * Letters: C, H, W the input of a layer; K filters; Fh x Fw the filter, Sh, Sw
 * the stride, Ph, Pw the padding; G groups; H2, W2 the output's height and
 * width; O the outputs of a dense layer, I = C H W its inputs. */
#include "nn_netcount.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nn_conv.h"
#include "nn_core.h"

/* ---- Reading the specification ------------------------------------------ */

typedef struct {
    int c, h, w;
} shape;

typedef struct {
    nn_netcount *nc;
    int capacity;
    char **tokens;   /* the spec split at white space and at '{', '|', '}' */
    int n_tokens;
    int pos;
    int layer_no;    /* 1-based number of the layer being read, for messages */
} parser;

static nn_nc_layer *push_row(parser *p)
{
    nn_netcount *nc = p->nc;
    if (nc->n_layers == p->capacity) {
        p->capacity = p->capacity ? 2 * p->capacity : 32;
        nn_nc_layer *grown = realloc(nc->layers, (size_t)p->capacity * sizeof *grown);
        if (!grown)
            nn_die(1, "out of memory counting a network of %d layers", nc->n_layers);
        nc->layers = grown;
    }
    nn_nc_layer *row = &nc->layers[nc->n_layers++];
    memset(row, 0, sizeof *row);
    return row;
}

static void tokenize(parser *p, const char *spec)
{
    size_t len = strlen(spec);
    p->tokens = nn_malloc((len + 1) * sizeof *p->tokens);
    p->n_tokens = 0;
    size_t i = 0;
    while (i < len) {
        if (isspace((unsigned char)spec[i])) {
            i++;
            continue;
        }
        size_t start = i;
        if (strchr("{|}", spec[i]))
            i++;
        else
            while (i < len && !isspace((unsigned char)spec[i]) && !strchr("{|}", spec[i]))
                i++;
        char *t = nn_malloc(i - start + 1);
        memcpy(t, spec + start, i - start);
        t[i - start] = '\0';
        p->tokens[p->n_tokens++] = t;
    }
}

static void free_tokens(parser *p)
{
    for (int i = 0; i < p->n_tokens; i++)
        free(p->tokens[i]);
    free(p->tokens);
}

/* A layer's fields: the name, the numbers in order ("5" or "1x7"), and the
 * named options (g=32, conn=60, nobias, noscale). */
#define MAX_FIELDS 8
typedef struct {
    char name[32];
    int n_numbers;
    int number_h[MAX_FIELDS], number_w[MAX_FIELDS];
    int rectangular[MAX_FIELDS];
    int groups, conn, nobias, noscale;
} fields;

/* Prefixes the message of a failed step with the layer's number and text. */
static int layer_error(const parser *p, const char *text, const char *fmt, ...) NN_PRINTF(3, 4);
static int layer_error(const parser *p, const char *text, const char *fmt, ...)
{
    char message[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return nn_error("network specification, layer %d '%s': %s", p->layer_no, text, message);
}

static int read_int(const char *s, const char **end, int *value)
{
    if (!isdigit((unsigned char)*s))
        return NN_ERR;
    errno = 0;
    char *e;
    long v = strtol(s, &e, 10);
    if (errno || v > INT_MAX / 4)
        return NN_ERR;
    *value = (int)v;
    *end = e;
    return NN_OK;
}

static int read_fields(const parser *p, const char *text, fields *f)
{
    memset(f, 0, sizeof *f);
    f->groups = 1;
    const char *s = text;
    size_t n = strcspn(s, ":");
    if (n == 0 || n >= sizeof f->name)
        return layer_error(p, text, "a layer starts with its name (conv, bn, relu, ...)");
    memcpy(f->name, s, n);
    s += n;
    while (*s == ':') {
        s++;
        size_t flen = strcspn(s, ":");
        char field[32];
        if (flen == 0 || flen >= sizeof field)
            return layer_error(p, text, "an empty or overlong field between ':'");
        memcpy(field, s, flen);
        field[flen] = '\0';
        s += flen;
        const char *e;
        int v;
        if (isdigit((unsigned char)field[0])) {
            if (f->n_numbers == MAX_FIELDS)
                return layer_error(p, text, "too many numbers");
            int k = f->n_numbers++;
            if (read_int(field, &e, &f->number_h[k]) != NN_OK)
                return layer_error(p, text, "'%s' is not a number", field);
            f->number_w[k] = f->number_h[k];
            if (*e == 'x') {
                f->rectangular[k] = 1;
                if (read_int(e + 1, &e, &f->number_w[k]) != NN_OK)
                    return layer_error(p, text, "'%s' is not HxW", field);
            }
            if (*e != '\0')
                return layer_error(p, text, "'%s' is not a number or HxW", field);
        } else if (strncmp(field, "g=", 2) == 0) {
            if (read_int(field + 2, &e, &v) != NN_OK || *e)
                return layer_error(p, text, "'%s': groups must be a number, g=32", field);
            f->groups = v;
        } else if (strncmp(field, "conn=", 5) == 0) {
            if (read_int(field + 5, &e, &v) != NN_OK || *e || v < 1)
                return layer_error(p, text, "'%s': the connection count must be a positive number, conn=60",
                                   field);
            f->conn = v;
        } else if (strcmp(field, "nobias") == 0) {
            f->nobias = 1;
        } else if (strcmp(field, "noscale") == 0) {
            f->noscale = 1;
        } else {
            return layer_error(p, text, "unknown option '%s' (options are g=G, conn=N, nobias, noscale)",
                               field);
        }
    }
    return NN_OK;
}

/* Which fields a layer kind takes: at least min_numbers, at most max_numbers,
 * and which options. */
static int expect(const parser *p, const char *text, const fields *f, int min_numbers,
                  int max_numbers, int allow_rect, const char *options)
{
    if (f->n_numbers < min_numbers || f->n_numbers > max_numbers)
        return layer_error(p, text, "%s takes %d to %d numbers, got %d", f->name, min_numbers,
                           max_numbers, f->n_numbers);
    for (int k = 0; k < f->n_numbers; k++)
        if (f->rectangular[k] && !allow_rect)
            return layer_error(p, text, "%s takes plain numbers, not HxW", f->name);
    if ((f->groups != 1 && !strstr(options, "g")) || (f->conn && !strstr(options, "conn")) ||
        (f->nobias && !strstr(options, "nobias")) || (f->noscale && !strstr(options, "noscale")))
        return layer_error(p, text, "%s does not take that option (it takes: %s)", f->name,
                           *options ? options : "none");
    return NN_OK;
}

static long long floats(shape s) { return (long long)s.c * s.h * s.w; }

static void set_shapes(nn_nc_layer *row, shape in, shape out)
{
    row->in_c = in.c, row->in_h = in.h, row->in_w = in.w;
    row->out_c = out.c, row->out_h = out.h, row->out_w = out.w;
    row->activations = floats(out);
}

/* The output side of a window (conv or pool) along one axis, with the layer
 * named in the message. */
static int window_out(const parser *p, const char *text, const char *what, int in, int F, int S,
                      int P, int *out)
{
    if (nn_out_size(what, in, F, S, P, out) != NN_OK)
        return layer_error(p, text, "%s", nn_last_error());
    return NN_OK;
}

static int parse_layer(parser *p, const char *text, shape in, shape *out)
{
    fields f;
    if (read_fields(p, text, &f) != NN_OK)
        return NN_ERR;
    nn_nc_kind kind;
    shape o = in;
    long long params = 0, running = 0, macs = 0, connections = 0;
    int in_place = 0;
    const char *name = f.name;

    if (strcmp(name, "conv") == 0) {
        kind = NN_NC_CONV;
        if (expect(p, text, &f, 2, 4, 1, "g conn nobias") != NN_OK)
            return NN_ERR;
        if (f.rectangular[0])
            return layer_error(p, text, "the number of filters K is one number");
        int K = f.number_h[0];
        int Fh = f.number_h[1], Fw = f.number_w[1];
        int Sh = f.n_numbers > 2 ? f.number_h[2] : 1, Sw = f.n_numbers > 2 ? f.number_w[2] : 1;
        int Ph = f.n_numbers > 3 ? f.number_h[3] : 0, Pw = f.n_numbers > 3 ? f.number_w[3] : 0;
        int G = f.groups;
        if (K < 1)
            return layer_error(p, text, "a convolution needs at least 1 filter (K = %d): give K >= 1", K);
        if (G < 1)
            return layer_error(p, text, "groups must be at least 1 (g=%d)", G);
        if (in.c % G != 0 || K % G != 0)
            return layer_error(p, text,
                               "groups g=%d must divide both the %d input channels and the %d filters: "
                               "choose a common divisor", G, in.c, K);
        if (f.conn && G != 1)
            return layer_error(p, text, "a connection table (conn=) and groups (g=) do not mix");
        if (f.conn > K * in.c)
            return layer_error(p, text,
                               "conn=%d connections but only %d x %d = %d (filter, input map) pairs exist",
                               f.conn, K, in.c, K * in.c);
        if (window_out(p, text, "conv height", in.h, Fh, Sh, Ph, &o.h) != NN_OK ||
            window_out(p, text, "conv width", in.w, Fw, Sw, Pw, &o.w) != NN_OK)
            return NN_ERR;
        o.c = K;
        /* Each filter sees C/G input maps (all C without groups; conn pairs in all). */
        long long pairs = f.conn ? f.conn : (long long)K * (in.c / G);
        long long bias = f.nobias ? 0 : K;
        params = pairs * Fh * Fw + bias;
        macs = (long long)o.h * o.w * pairs * Fh * Fw;
        connections = macs + (long long)o.h * o.w * bias;
    } else if (strcmp(name, "bn") == 0) {
        kind = NN_NC_BN;
        if (expect(p, text, &f, 0, 0, 0, "noscale") != NN_OK)
            return NN_ERR;
        params = f.noscale ? in.c : 2LL * in.c;   /* beta, and gamma unless noscale */
        running = 2LL * in.c;                     /* running mean and variance */
    } else if (strcmp(name, "relu") == 0 || strcmp(name, "tanh") == 0 ||
               strcmp(name, "sigmoid") == 0 || strcmp(name, "softmax") == 0 ||
               strcmp(name, "flatten") == 0) {
        kind = name[0] == 'r' ? NN_NC_RELU : name[0] == 't' ? NN_NC_TANH
             : name[1] == 'i' ? NN_NC_SIGMOID : name[1] == 'o' ? NN_NC_SOFTMAX : NN_NC_FLATTEN;
        if (expect(p, text, &f, 0, 0, 0, "") != NN_OK)
            return NN_ERR;
        if (kind == NN_NC_FLATTEN)
            o = (shape){in.c * in.h * in.w, 1, 1};
        in_place = 1;
    } else if (strcmp(name, "dropout") == 0) {
        kind = NN_NC_DROPOUT;
        if (expect(p, text, &f, 0, 1, 0, "") != NN_OK)
            return NN_ERR;
        if (f.n_numbers == 1 && f.number_h[0] > 100)
            return layer_error(p, text, "the dropout percentage must be 0 to 100, got %d", f.number_h[0]);
        in_place = 1;
    } else if (strcmp(name, "maxpool") == 0 || strcmp(name, "avgpool") == 0 ||
               strcmp(name, "subsample") == 0) {
        kind = name[0] == 'm' ? NN_NC_MAXPOOL : name[0] == 'a' ? NN_NC_AVGPOOL : NN_NC_SUBSAMPLE;
        if (expect(p, text, &f, 1, kind == NN_NC_SUBSAMPLE ? 1 : 3, 0, "") != NN_OK)
            return NN_ERR;
        int F = f.number_h[0];
        int S = f.n_numbers > 1 ? f.number_h[1] : F;
        int P = f.n_numbers > 2 ? f.number_h[2] : 0;
        if (2 * P > F)
            return layer_error(p, text, "padding %d is more than half the window %d (torch refuses it too)",
                               P, F);
        if (window_out(p, text, "pool height", in.h, F, S, P, &o.h) != NN_OK ||
            window_out(p, text, "pool width", in.w, F, S, P, &o.w) != NN_OK)
            return NN_ERR;
        if (kind == NN_NC_SUBSAMPLE) {
            /* LeNet-5 (1998): (sum of the F x F window) x coefficient + bias. */
            params = 2LL * in.c;
            macs = floats(o);
            connections = floats(o) * ((long long)F * F + 1);
        }
    } else if (strcmp(name, "adaptavg") == 0 || strcmp(name, "gap") == 0) {
        kind = NN_NC_ADAPTIVE_AVGPOOL;
        int gap = name[0] == 'g';
        if (expect(p, text, &f, gap ? 0 : 1, gap ? 0 : 2, 0, "") != NN_OK)
            return NN_ERR;
        o.h = gap ? 1 : f.number_h[0];
        o.w = gap ? 1 : f.n_numbers > 1 ? f.number_h[1] : o.h;
        if (o.h < 1 || o.w < 1)
            return layer_error(p, text, "an adaptive pool needs an output of at least 1 x 1");
    } else if (strcmp(name, "dense") == 0 || strcmp(name, "rbf") == 0) {
        kind = name[0] == 'd' ? NN_NC_DENSE : NN_NC_RBF;
        if (expect(p, text, &f, 1, 1, 0, kind == NN_NC_DENSE ? "nobias" : "") != NN_OK)
            return NN_ERR;
        int O = f.number_h[0];
        if (O < 1)
            return layer_error(p, text, "a %s layer needs at least 1 output (got %d)", name, O);
        long long I = floats(in);
        o = (shape){O, 1, 1};
        macs = O * I;
        if (kind == NN_NC_DENSE) {
            long long bias = f.nobias ? 0 : O;
            params = O * I + bias;
            connections = macs + bias;
        } else {
            connections = macs;   /* centres fixed by hand in the paper: no params */
        }
    } else {
        return layer_error(p, text,
                           "unknown layer '%s' (known: conv, bn, relu, tanh, sigmoid, softmax, "
                           "maxpool, avgpool, adaptavg, gap, subsample, dropout, flatten, dense, "
                           "rbf, and the blocks res{...} and cat{...})", name);
    }
    nn_nc_layer *row = push_row(p);
    row->kind = kind;
    snprintf(row->text, sizeof row->text, "%s", text);
    set_shapes(row, in, o);
    row->params = params;
    row->running = running;
    row->macs = macs;
    row->connections = connections;
    row->in_place = in_place;
    *out = o;
    return NN_OK;
}

static int parse_sequence(parser *p, int depth, shape in, shape *out);

static int is_token(const parser *p, int at, const char *t)
{
    return at < p->n_tokens && strcmp(p->tokens[at], t) == 0;
}

static int shapes_equal(shape a, shape b) { return a.c == b.c && a.h == b.h && a.w == b.w; }

/* res{ A | B | ... } or cat{ ... }: every branch starts from the block's input. */
static int parse_block(parser *p, int depth, shape in, shape *out)
{
    int is_res = strcmp(p->tokens[p->pos], "res") == 0;
    const char *opening = is_res ? "res{" : "cat{";
    int block_no = ++p->layer_no;
    nn_nc_layer *begin = push_row(p);
    begin->kind = NN_NC_BLOCK_BEGIN;
    snprintf(begin->text, sizeof begin->text, "%s", opening);
    begin->depth = depth;
    set_shapes(begin, in, in);
    begin->activations = 0;
    begin->in_place = 1;
    p->pos += 2;
    shape joined = in;
    int n_branches = 0;
    for (;;) {
        shape b;
        if (parse_sequence(p, depth + 1, in, &b) != NN_OK)
            return NN_ERR;
        n_branches++;
        if (n_branches == 1) {
            joined = b;
        } else if (is_res && !shapes_equal(b, joined)) {
            return nn_error("network specification, block %d '%s': branch %d ends in %d x %d x %d "
                            "but branch 1 in %d x %d x %d: the branches of a sum must agree",
                            block_no, opening, n_branches, b.c, b.h, b.w, joined.c, joined.h, joined.w);
        } else if (!is_res) {
            if (b.h != joined.h || b.w != joined.w)
                return nn_error("network specification, block %d 'cat{': branch %d ends in %d x %d "
                                "but branch 1 in %d x %d: concatenated maps must have the same size",
                                block_no, n_branches, b.h, b.w, joined.h, joined.w);
            joined.c += b.c;
        }
        if (is_token(p, p->pos, "|")) {
            nn_nc_layer *bar = push_row(p);
            bar->kind = NN_NC_BRANCH;
            snprintf(bar->text, sizeof bar->text, "|");
            bar->depth = depth;
            set_shapes(bar, in, in);
            bar->activations = 0;
            bar->in_place = 1;
            p->pos++;
            continue;
        }
        if (is_token(p, p->pos, "}")) {
            p->pos++;
            break;
        }
        return nn_error("network specification, block %d '%s' is not closed: end it with '}'",
                        block_no, opening);
    }
    /* res{ A } is A(x) + x: the identity is the second branch. */
    if (is_res && n_branches == 1 && !shapes_equal(joined, in))
        return nn_error("network specification, block %d 'res{': its branch ends in %d x %d x %d but "
                        "the input is %d x %d x %d: add a projection shortcut, res{ ... | conv:%d:1:%d "
                        "bn }", block_no, joined.c, joined.h, joined.w, in.c, in.h, in.w, joined.c,
                        joined.h ? in.h / joined.h : 1);
    nn_nc_layer *end = push_row(p);
    end->kind = is_res ? NN_NC_ADD : NN_NC_CONCAT;
    snprintf(end->text, sizeof end->text, is_res ? "} add" : "} cat");
    end->depth = depth;
    set_shapes(end, in, joined);
    end->in_place = is_res;   /* torch: out += identity */
    *out = joined;
    return NN_OK;
}

static int parse_sequence(parser *p, int depth, shape in, shape *out)
{
    shape s = in;
    while (p->pos < p->n_tokens && !is_token(p, p->pos, "|") && !is_token(p, p->pos, "}")) {
        const char *t = p->tokens[p->pos];
        if ((strcmp(t, "res") == 0 || strcmp(t, "cat") == 0) && is_token(p, p->pos + 1, "{")) {
            if (parse_block(p, depth, s, &s) != NN_OK)
                return NN_ERR;
            continue;
        }
        if (strcmp(t, "{") == 0)
            return nn_error("network specification: a '{' must follow res or cat (after layer %d)",
                            p->layer_no);
        p->layer_no++;
        if (parse_layer(p, t, s, &s) != NN_OK)
            return NN_ERR;
        p->nc->layers[p->nc->n_layers - 1].depth = depth;
        p->pos++;
    }
    *out = s;
    return NN_OK;
}

int nn_netcount_parse(nn_netcount *nc, const char *spec, int C, int H, int W)
{
    memset(nc, 0, sizeof *nc);
    if (!spec)
        return nn_error("network specification: none given");
    if (C < 1 || H < 1 || W < 1)
        return nn_error("network specification: the input %d x %d x %d is empty: give C, H, W >= 1",
                        C, H, W);
    parser p = {nc, 0, NULL, 0, 0, 0};
    tokenize(&p, spec);
    shape in = {C, H, W}, out;
    int status = parse_sequence(&p, 0, in, &out);
    if (status == NN_OK && p.pos < p.n_tokens)
        status = nn_error("network specification: '%s' after layer %d has no block to close or "
                          "separate", p.tokens[p.pos], p.layer_no);
    if (status == NN_OK && nc->n_layers == 0)
        status = nn_error("network specification: no layers");
    free_tokens(&p);
    if (status != NN_OK) {
        nn_netcount_free(nc);
        return NN_ERR;
    }
    nc->in_c = C, nc->in_h = H, nc->in_w = W;
    nc->out_c = out.c, nc->out_h = out.h, nc->out_w = out.w;
    nc->activations = floats(in);
    for (int l = 0; l < nc->n_layers; l++) {
        const nn_nc_layer *r = &nc->layers[l];
        nc->params += r->params;
        nc->running += r->running;
        nc->macs += r->macs;
        nc->connections += r->connections;
        if (!r->in_place)
            nc->activations += r->activations;
    }
    return NN_OK;
}

void nn_netcount_free(nn_netcount *nc)
{
    free(nc->layers);
    memset(nc, 0, sizeof *nc);
}

/* ---- The table ----------------------------------------------------------- */

const char *nn_netcount_commas(long long n, char *buf, size_t len)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%lld", n < 0 ? -n : n);
    char out[48];
    int k = 0;
    if (n < 0)
        out[k++] = '-';
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    snprintf(buf, len, "%s", out);
    return buf;
}

static int is_elementwise(nn_nc_kind k)
{
    return k == NN_NC_RELU || k == NN_NC_TANH || k == NN_NC_SIGMOID || k == NN_NC_SOFTMAX ||
           k == NN_NC_DROPOUT || k == NN_NC_FLATTEN;
}

static int is_structure(nn_nc_kind k) { return k == NN_NC_BLOCK_BEGIN || k == NN_NC_BRANCH; }

/* "35.5 KB", "58.2 MB" (binary units: 1 MB = 2^20 bytes, as the tables of
 * the frameworks print them). */
static const char *bytes_text(double bytes, char *buf, size_t len)
{
    if (bytes < 1024.0 * 1024.0)
        snprintf(buf, len, "%.1f KB", bytes / 1024.0);
    else if (bytes < 1024.0 * 1024.0 * 1024.0)
        snprintf(buf, len, "%.1f MB", bytes / (1024.0 * 1024.0));
    else
        snprintf(buf, len, "%.2f GB", bytes / (1024.0 * 1024.0 * 1024.0));
    return buf;
}

void nn_netcount_print(FILE *f, const nn_netcount *nc, const char *title, int show_elementwise)
{
    int width = 12;
    for (int l = 0; l < nc->n_layers; l++) {
        int w = 2 * nc->layers[l].depth + (int)strlen(nc->layers[l].text);
        if (w > width)
            width = w;
    }
    char a[32], b[32], c[32], shape_text[48];
    if (title)
        fprintf(f, "%s\n", title);
    fprintf(f, "%-*s  %-16s %13s %13s %16s\n", width, "layer", "output C x H x W", "activations",
            "parameters", "multiply-adds");
    snprintf(shape_text, sizeof shape_text, "%d x %d x %d", nc->in_c, nc->in_h, nc->in_w);
    fprintf(f, "%-*s  %-16s %13s %13s %16s\n", width, "input", shape_text,
            nn_netcount_commas((long long)nc->in_c * nc->in_h * nc->in_w, a, sizeof a), "0", "0");
    for (int l = 0; l < nc->n_layers; l++) {
        const nn_nc_layer *r = &nc->layers[l];
        if (!show_elementwise && is_elementwise(r->kind))
            continue;
        if (is_structure(r->kind)) {
            fprintf(f, "%*s%s\n", 2 * r->depth, "", r->text);
            continue;
        }
        fprintf(f, "%*s%-*s  ", 2 * r->depth, "", width - 2 * r->depth, r->text);
        snprintf(shape_text, sizeof shape_text, "%d x %d x %d", r->out_c, r->out_h, r->out_w);
        fprintf(f, "%-16s %13s %13s %16s\n", shape_text,
                r->in_place ? "in place" : nn_netcount_commas(r->activations, a, sizeof a),
                nn_netcount_commas(r->params, b, sizeof b), nn_netcount_commas(r->macs, c, sizeof c));
    }
    fprintf(f, "%-*s  %-16s %13s %13s %16s\n", width, "total", "",
            nn_netcount_commas(nc->activations, a, sizeof a), nn_netcount_commas(nc->params, b, sizeof b),
            nn_netcount_commas(nc->macs, c, sizeof c));
    fprintf(f, "activation memory: %s floats = %s per example, forward only (training keeps "
            "about twice as much)\n", nn_netcount_commas(nc->activations, a, sizeof a),
            bytes_text(4.0 * nc->activations, b, sizeof b));
    fprintf(f, "parameters: %s = %s of float32\n", nn_netcount_commas(nc->params, a, sizeof a),
            bytes_text(4.0 * nc->params, b, sizeof b));
    if (nc->running > 0)
        fprintf(f, "running statistics (saved, not learned): %s; with the parameters %s "
                "(Keras's \"total params\")\n", nn_netcount_commas(nc->running, a, sizeof a),
                nn_netcount_commas(nc->params + nc->running, b, sizeof b));
}

/* ---- Built-in networks ------------------------------------------------------ */

typedef struct {
    char *text;
    size_t len, cap;
} strbuf;

static void add(strbuf *s, const char *fmt, ...) NN_PRINTF(2, 3);
static void add(strbuf *s, const char *fmt, ...)
{
    char piece[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    NN_ASSERT(n >= 0 && (size_t)n < sizeof piece);
    if (s->len + (size_t)n + 2 > s->cap) {
        s->cap = 2 * (s->len + (size_t)n + 2);
        char *grown = realloc(s->text, s->cap);
        if (!grown)
            nn_die(1, "out of memory writing a network specification");
        s->text = grown;
    }
    if (s->len)
        s->text[s->len++] = ' ';
    memcpy(s->text + s->len, piece, (size_t)n + 1);
    s->len += (size_t)n;
}

/* ResNet-50 and ResNeXt-50: a stem, then four stages of bottleneck blocks
 * (1x1 conv to `width` channels, 3x3 conv, 1x1 conv to 4 x planes), the first
 * block of each stage with a projection shortcut (1x1 conv + BN).
 * torchvision strides the 3x3 conv (ResNet v1.5); Keras strides the first 1x1
 * conv, as the paper did.  The counts do not depend on where the stride is. */
static void resnet(strbuf *s, int groups, int width_per_group, int conv_bias, int keras_stride)
{
    const char *nb = conv_bias ? "" : ":nobias";
    const int blocks[4] = {3, 4, 6, 3};
    add(s, "conv:64:7:2:3%s bn relu maxpool:3:2:1", nb);
    for (int stage = 0, planes = 64; stage < 4; stage++, planes *= 2) {
        int width = planes * width_per_group / 64 * groups;
        int out = 4 * planes;
        for (int b = 0; b < blocks[stage]; b++) {
            int stride = (b == 0 && stage > 0) ? 2 : 1;
            int s1 = keras_stride ? stride : 1, s3 = keras_stride ? 1 : stride;
            add(s, "res{ conv:%d:1:%d%s bn relu", width, s1, nb);
            if (groups > 1)
                add(s, "conv:%d:3:%d:1:g=%d%s bn relu", width, s3, groups, nb);
            else
                add(s, "conv:%d:3:%d:1%s bn relu", width, s3, nb);
            add(s, "conv:%d:1%s bn", out, nb);
            if (b == 0)
                add(s, "| conv:%d:1:%d%s bn", out, stride, nb);
            add(s, "} relu");
        }
    }
    add(s, "gap flatten dense:1000");
}

/* Inception v3 (Szegedy et al. 2016) as torchvision and Keras build it, on
 * 299x299: every convolution is conv (no bias) + batch norm + ReLU, and each
 * "mixed" block a cat{} of branches.  Keras's batch norms have no gamma
 * (scale=False): bn is then "bn:noscale". */
static void inception_conv(strbuf *s, const char *bn, int K, const char *F, const char *SP)
{
    add(s, "conv:%d:%s%s:nobias %s relu", K, F, SP, bn);
}

static void inception3(strbuf *s, const char *bn)
{
    inception_conv(s, bn, 32, "3", ":2");
    inception_conv(s, bn, 32, "3", "");
    inception_conv(s, bn, 64, "3", ":1:1");
    add(s, "maxpool:3:2");
    inception_conv(s, bn, 80, "1", "");
    inception_conv(s, bn, 192, "3", "");
    add(s, "maxpool:3:2");
    /* Mixed_5b..5d (InceptionA): 1x1 | 1x1 5x5 | 1x1 3x3 3x3 | avgpool 1x1 */
    const int pool_features[3] = {32, 64, 64};
    for (int i = 0; i < 3; i++) {
        add(s, "cat{");
        inception_conv(s, bn, 64, "1", "");
        add(s, "|");
        inception_conv(s, bn, 48, "1", "");
        inception_conv(s, bn, 64, "5", ":1:2");
        add(s, "|");
        inception_conv(s, bn, 64, "1", "");
        inception_conv(s, bn, 96, "3", ":1:1");
        inception_conv(s, bn, 96, "3", ":1:1");
        add(s, "| avgpool:3:1:1");
        inception_conv(s, bn, pool_features[i], "1", "");
        add(s, "}");
    }
    /* Mixed_6a (InceptionB): the grid 35 -> 17 */
    add(s, "cat{");
    inception_conv(s, bn, 384, "3", ":2");
    add(s, "|");
    inception_conv(s, bn, 64, "1", "");
    inception_conv(s, bn, 96, "3", ":1:1");
    inception_conv(s, bn, 96, "3", ":2");
    add(s, "| maxpool:3:2 }");
    /* Mixed_6b..6e (InceptionC): 7x7 factorised into 1x7 and 7x1 */
    const int c7s[4] = {128, 160, 160, 192};
    for (int i = 0; i < 4; i++) {
        int c7 = c7s[i];
        add(s, "cat{");
        inception_conv(s, bn, 192, "1", "");
        add(s, "|");
        inception_conv(s, bn, c7, "1", "");
        inception_conv(s, bn, c7, "1x7", ":1:0x3");
        inception_conv(s, bn, 192, "7x1", ":1:3x0");
        add(s, "|");
        inception_conv(s, bn, c7, "1", "");
        inception_conv(s, bn, c7, "7x1", ":1:3x0");
        inception_conv(s, bn, c7, "1x7", ":1:0x3");
        inception_conv(s, bn, c7, "7x1", ":1:3x0");
        inception_conv(s, bn, 192, "1x7", ":1:0x3");
        add(s, "| avgpool:3:1:1");
        inception_conv(s, bn, 192, "1", "");
        add(s, "}");
    }
    /* Mixed_7a (InceptionD): 17 -> 8 */
    add(s, "cat{");
    inception_conv(s, bn, 192, "1", "");
    inception_conv(s, bn, 320, "3", ":2");
    add(s, "|");
    inception_conv(s, bn, 192, "1", "");
    inception_conv(s, bn, 192, "1x7", ":1:0x3");
    inception_conv(s, bn, 192, "7x1", ":1:3x0");
    inception_conv(s, bn, 192, "3", ":2");
    add(s, "| maxpool:3:2 }");
    /* Mixed_7b, 7c (InceptionE): 3x3 split into parallel 1x3 and 3x1 */
    for (int i = 0; i < 2; i++) {
        add(s, "cat{");
        inception_conv(s, bn, 320, "1", "");
        add(s, "|");
        inception_conv(s, bn, 384, "1", "");
        add(s, "cat{");
        inception_conv(s, bn, 384, "1x3", ":1:0x1");
        add(s, "|");
        inception_conv(s, bn, 384, "3x1", ":1:1x0");
        add(s, "} |");
        inception_conv(s, bn, 448, "1", "");
        inception_conv(s, bn, 384, "3", ":1:1");
        add(s, "cat{");
        inception_conv(s, bn, 384, "1x3", ":1:0x1");
        add(s, "|");
        inception_conv(s, bn, 384, "3x1", ":1:1x0");
        add(s, "} | avgpool:3:1:1");
        inception_conv(s, bn, 192, "1", "");
        add(s, "}");
    }
    add(s, "gap dropout:50 flatten dense:1000");
}

/* Xception (Chollet 2017) as Keras builds it, on 299x299: depthwise-separable
 * convolutions (a 3x3 depthwise conv, g = C, then a 1x1 conv; no biases), each
 * followed by batch norm, in residual blocks whose shortcuts are 1x1 convs
 * with stride 2 (entry and exit flow) or the identity (middle flow). */
static void separable(strbuf *s, int C, int K)
{
    add(s, "conv:%d:3:1:1:g=%d:nobias conv:%d:1:nobias bn", C, C, K);
}

static void xception(strbuf *s)
{
    add(s, "conv:32:3:2:nobias bn relu conv:64:3:nobias bn relu");
    int c = 64;
    const int entry[3] = {128, 256, 728};
    for (int i = 0; i < 3; i++) {
        add(s, "res{%s", i == 0 ? "" : " relu");
        separable(s, c, entry[i]);
        add(s, "relu");
        separable(s, entry[i], entry[i]);
        add(s, "maxpool:3:2:1 | conv:%d:1:2:nobias bn }", entry[i]);
        c = entry[i];
    }
    for (int i = 0; i < 8; i++) {
        add(s, "res{");
        for (int k = 0; k < 3; k++) {
            add(s, "relu");
            separable(s, 728, 728);
        }
        add(s, "}");
    }
    add(s, "res{ relu");
    separable(s, 728, 728);
    add(s, "relu");
    separable(s, 728, 1024);
    add(s, "maxpool:3:2:1 | conv:1024:1:2:nobias bn }");
    separable(s, 1024, 1536);
    add(s, "relu");
    separable(s, 1536, 2048);
    add(s, "relu gap flatten dense:1000");
}

static const char *const builtin_names[] = {"lenet5-1998", "lenet5", "alexnet", "vgg16", "resnet50",
                                            "resnet50-keras", "resnext50", "inception3",
                                            "inception3-keras", "xception", NULL};

const char *const *nn_netcount_builtin_names(void) { return builtin_names; }

char *nn_netcount_builtin_spec(const char *name, int *C, int *H, int *W)
{
    strbuf s = {NULL, 0, 0};
    *C = 3, *H = 224, *W = 224;
    if (strcmp(name, "lenet5-1998") == 0) {
        /* C1 .. F6 as in LeCun et al. 1998, section II.B: C3 connects 60 of
         * its 16 x 6 (map, input map) pairs (table I). */
        *C = 1, *H = 32, *W = 32;
        add(&s, "conv:6:5 tanh subsample:2 tanh conv:16:5:conn=60 tanh subsample:2 tanh "
                "conv:120:5 tanh dense:84 tanh rbf:10");
    } else if (strcmp(name, "lenet5") == 0) {
        *C = 1, *H = 28, *W = 28;
        add(&s, "conv:6:5:1:2 tanh avgpool:2 conv:16:5 tanh avgpool:2 dense:120 tanh dense:84 "
                "tanh dense:10");
    } else if (strcmp(name, "alexnet") == 0) {
        add(&s, "conv:64:11:4:2 relu maxpool:3:2 conv:192:5:1:2 relu maxpool:3:2 "
                "conv:384:3:1:1 relu conv:256:3:1:1 relu conv:256:3:1:1 relu maxpool:3:2 "
                "adaptavg:6 flatten dropout:50 dense:4096 relu dropout:50 dense:4096 relu dense:1000");
    } else if (strcmp(name, "vgg16") == 0) {
        const int stage_width[5] = {64, 128, 256, 512, 512}, stage_convs[5] = {2, 2, 3, 3, 3};
        for (int st = 0; st < 5; st++) {
            for (int k = 0; k < stage_convs[st]; k++)
                add(&s, "conv:%d:3:1:1 relu", stage_width[st]);
            add(&s, "maxpool:2");
        }
        add(&s, "adaptavg:7 flatten dense:4096 relu dropout:50 dense:4096 relu dropout:50 dense:1000");
    } else if (strcmp(name, "resnet50") == 0) {
        resnet(&s, 1, 64, 0, 0);
    } else if (strcmp(name, "resnet50-keras") == 0) {
        resnet(&s, 1, 64, 1, 1);
    } else if (strcmp(name, "resnext50") == 0) {
        resnet(&s, 32, 4, 0, 0);
    } else if (strcmp(name, "inception3") == 0 || strcmp(name, "inception3-keras") == 0) {
        *H = *W = 299;
        inception3(&s, strcmp(name, "inception3") == 0 ? "bn" : "bn:noscale");
    } else if (strcmp(name, "xception") == 0) {
        *H = *W = 299;
        xception(&s);
    } else {
        nn_error("no built-in network '%s' (known: lenet5-1998, lenet5, alexnet, vgg16, resnet50, "
                 "resnet50-keras, resnext50, inception3, inception3-keras, xception)", name);
        return NULL;
    }
    return s.text;
}

int nn_netcount_builtin(nn_netcount *nc, const char *name)
{
    int C, H, W;
    memset(nc, 0, sizeof *nc);
    char *spec = nn_netcount_builtin_spec(name, &C, &H, &W);
    if (!spec)
        return NN_ERR;
    int status = nn_netcount_parse(nc, spec, C, H, W);
    free(spec);
    return status;
}
