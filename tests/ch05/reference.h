/* reference.h: reads the PyTorch reference files written by
 * tests/ch05/conv_reference.py and tests/ch06/pool_reference.py.
 *
 * A file is a sequence of records:
 *     case NAME-OR-KIND INT...        (the shape: 6 or 8 integers)
 *     ARRAY COUNT v1 ... vCOUNT       (one line per array)
 *     end
 * '#' lines are comments.  A malformed file bails out of the test with a
 * message naming the file and how to regenerate it. */
#ifndef NNLAB_TEST_REFERENCE_H
#define NNLAB_TEST_REFERENCE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

#define REF_MAX_ARRAYS 8
#define REF_MAX_INTS 8

typedef struct {
    char kind[32];
    int ints[REF_MAX_INTS];
    int n_ints;
    int n_arrays;
    char names[REF_MAX_ARRAYS][64];
    size_t counts[REF_MAX_ARRAYS];
    float *values[REF_MAX_ARRAYS];
} ref_case;

static void ref_case_free(ref_case *rc)
{
    for (int a = 0; a < rc->n_arrays; a++)
        free(rc->values[a]);
    rc->n_arrays = 0;
}

/* The array called name, and its length in *count; bails out if absent. */
static float *ref_array(const ref_case *rc, const char *name, size_t *count)
{
    for (int a = 0; a < rc->n_arrays; a++)
        if (strcmp(rc->names[a], name) == 0) {
            if (count)
                *count = rc->counts[a];
            return rc->values[a];
        }
    nn_tap_bail_out("reference case %s has no array '%s' (regenerate the reference file)",
                    rc->kind, name);
}

/* Opens $top_srcdir/REL (or NNLAB_SRCDIR/REL). */
static FILE *ref_open(const char *rel)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", top && *top ? top : NNLAB_SRCDIR, rel);
    FILE *f = fopen(path, "r");
    if (!f)
        nn_tap_bail_out("cannot open the reference file %s (set top_srcdir to the nnlab "
                        "source tree)", path);
    return f;
}

/* Reads the next record; 0 at the end of the file. */
static int ref_next(FILE *f, ref_case *rc, int n_ints, const char *file)
{
    char word[64];
    memset(rc, 0, sizeof *rc);
    for (;;) {
        if (fscanf(f, "%63s", word) != 1)
            return 0;
        if (word[0] == '#') {
            int ch;
            while ((ch = fgetc(f)) != '\n' && ch != EOF)
                ;
            continue;
        }
        break;
    }
    if (strcmp(word, "case") != 0 || fscanf(f, "%31s", rc->kind) != 1)
        nn_tap_bail_out("%s: expected 'case NAME', got '%s' (regenerate the file)", file, word);
    rc->n_ints = n_ints;
    for (int i = 0; i < n_ints; i++)
        if (fscanf(f, "%d", &rc->ints[i]) != 1)
            nn_tap_bail_out("%s: case %s: expected %d integers (regenerate the file)", file,
                            rc->kind, n_ints);
    for (;;) {
        if (fscanf(f, "%15s", word) != 1)
            nn_tap_bail_out("%s: case %s is truncated (regenerate the file)", file, rc->kind);
        if (strcmp(word, "end") == 0)
            return 1;
        if (rc->n_arrays == REF_MAX_ARRAYS)
            nn_tap_bail_out("%s: case %s has too many arrays", file, rc->kind);
        int a = rc->n_arrays++;
        snprintf(rc->names[a], sizeof rc->names[a], "%s", word);
        unsigned long count;
        if (fscanf(f, "%lu", &count) != 1 || count > 100000000ul)
            nn_tap_bail_out("%s: case %s, array %s: bad count", file, rc->kind, word);
        rc->counts[a] = count;
        rc->values[a] = nn_floats(count ? count : 1);
        for (unsigned long i = 0; i < count; i++)
            if (fscanf(f, "%f", &rc->values[a][i]) != 1)
                nn_tap_bail_out("%s: case %s, array %s: value %lu missing", file, rc->kind,
                                word, i);
    }
}

#endif
