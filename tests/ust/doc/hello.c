/* SPDX-License-Identifier: MIT */
/* LTTng-UST's "hello world" application, plus tracef() and tracelog() as the
 * pre-2.13 documentation uses them (tracelog(TRACE_<LEVEL>, ...)). */
#include <stdio.h>
#include <lttng/tracef.h>
#include <lttng/tracelog.h>
#include "hello-tp.h"

int main(int argc, char *argv[])
{
    int x;

    puts("Hello, World!");
    tracepoint(hello_world, my_first_tracepoint, 23, "hi there!");

    for (x = 0; x < argc; ++x) {
        tracepoint(hello_world, my_first_tracepoint, x, argv[x]);
    }

    tracef("my message: %d (%s)", 23, "hi there!");
    tracelog(TRACE_WARNING, "my message: %d (%s)", 24, "still there");
    tracelog(TRACE_DEBUG_LINE, "x = %d", x);

    puts("Quitting now!");
    tracepoint(hello_world, my_first_tracepoint, x * x, "x^2");
    return 0;
}
