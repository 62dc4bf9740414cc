/* exercise.c: the record of which exercise stubs ran. */
#include "nn_exercise.h"

#include <stdio.h>

void nn_todo_reached(const char *id, const char *file, int line)
{
    (void)id;
    (void)file;
    (void)line;
}
