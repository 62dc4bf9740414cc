/* fixed-values.h: the fixed weights and inputs of chapter 7's PyTorch
 * references (tests/ch07/fixed_values.py computes the same numbers), and a
 * reader of the reference files.
 *
 * nn_fixed_uniform(j, stream): a hash of the element index j and a stream
 * number, in 32-bit unsigned arithmetic, so C and Python agree to the bit:
 *     h = j 2654435761 + stream 1013904223 + 12345   (mod 2^32)
 *     h ^= h >> 13;  h *= 1274126177;  h ^= h >> 16
 *     uniform = h / 2^32 - 1/2                        in [-1/2, 1/2)
 * A tensor scaled by a holds (float)(a * uniform(j, stream)).
 *
 * A reference file holds '#' comment lines and lines "name count v1 ... vcount".
 * ref_load reads one whole; ref_get finds an array by name and checks its
 * length; a missing or malformed file bails out naming it and how to
 * regenerate it. */
#ifndef NNLAB_TEST_FIXED_VALUES_H
#define NNLAB_TEST_FIXED_VALUES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

static inline double nn_fixed_uniform(uint32_t j, uint32_t stream)
{
    uint32_t h = j * 2654435761u + stream * 1013904223u + 12345u;
    h ^= h >> 13;
    h *= 1274126177u;
    h ^= h >> 16;
    return h / 4294967296.0 - 0.5;
}

static inline void nn_fixed_tensor(float *x, size_t n, uint32_t stream, double scale)
{
    for (size_t j = 0; j < n; j++)
        x[j] = (float)(scale * nn_fixed_uniform((uint32_t)j, stream));
}

#define REF_MAX 64
typedef struct {
    const char *file;
    int n;
    char names[REF_MAX][64];
    size_t counts[REF_MAX];
    float *values[REF_MAX];
} ref_file;

static inline void ref_load(ref_file *r, const char *rel)
{
    const char *top = getenv("top_srcdir");
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", top && *top ? top : NNLAB_SRCDIR, rel);
    memset(r, 0, sizeof *r);
    r->file = rel;
    FILE *f = fopen(path, "r");
    if (!f)
        nn_tap_bail_out("cannot open the reference file %s (set top_srcdir to the nnlab source tree)",
                        path);
    char word[64];
    while (fscanf(f, " %63s", word) == 1) {
        if (word[0] == '#') {
            int ch;
            while ((ch = fgetc(f)) != '\n' && ch != EOF)
                ;
            continue;
        }
        if (r->n == REF_MAX)
            nn_tap_bail_out("%s: more than %d arrays", rel, REF_MAX);
        int a = r->n++;
        snprintf(r->names[a], sizeof r->names[a], "%s", word);
        unsigned long count;
        if (fscanf(f, "%lu", &count) != 1 || count == 0 || count > 10000000ul)
            nn_tap_bail_out("%s: array %s has no valid count (regenerate the file with its script)", rel,
                            word);
        r->counts[a] = count;
        r->values[a] = nn_floats(count);
        for (unsigned long i = 0; i < count; i++)
            if (fscanf(f, "%f", &r->values[a][i]) != 1)
                nn_tap_bail_out("%s: array %s: value %lu of %lu missing (regenerate the file with its "
                                "script)", rel, word, i, count);
    }
    fclose(f);
}

static inline const float *ref_get(const ref_file *r, const char *name, size_t count)
{
    for (int a = 0; a < r->n; a++)
        if (strcmp(r->names[a], name) == 0) {
            if (r->counts[a] != count)
                nn_tap_bail_out("%s: array %s has %zu values, the test expects %zu (regenerate the file)",
                                r->file, name, r->counts[a], count);
            return r->values[a];
        }
    nn_tap_bail_out("%s has no array '%s' (regenerate the file with its script)", r->file, name);
}

static inline void ref_free(ref_file *r)
{
    for (int a = 0; a < r->n; a++)
        free(r->values[a]);
    r->n = 0;
}

#endif
