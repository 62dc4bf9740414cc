/* claim.c: one checked sentence per line (nn_claim.h). */
#include "nn_claim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int is_id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

int nn_claim(int holds, const char *id, const char *fmt, ...)
{
    NN_ASSERT(id != NULL && id[0] != '\0');
    for (const char *c = id; *c; c++)
        NN_ASSERT(is_id_char(*c));

    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    NN_ASSERT(len >= 0);
    char *sentence = nn_malloc((size_t)len + 1);
    va_start(ap, fmt);
    vsnprintf(sentence, (size_t)len + 1, fmt, ap);
    va_end(ap);
    for (char *c = sentence; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';

    /* Not nn_say: a claim is printed under --quiet too, since the run test
     * reads it from a quiet run as well as from a talkative one. */
    printf("claim %s: %s %s\n", id, holds ? "PASS" : "FAIL", sentence);
    fflush(stdout);
    free(sentence);
    return holds;
}
