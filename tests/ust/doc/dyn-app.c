/* SPDX-License-Identifier: MIT */
/*
 * An application built with TRACEPOINT_PROBE_DYNAMIC_LINKAGE: it does not
 * link the provider. `dyn-app N` traces N ticks (recorded only if the
 * provider was preloaded); `dyn-app N PROVIDER.so` opens the provider with
 * dlopen after N ticks and traces N more.
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "dyn-tp.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    for (int i = 0; i < n; i++)
        tracepoint(dyn_prov, tick, i, "before dlopen");
    if (argc > 2) {
        void *h = dlopen(argv[2], RTLD_NOW);
        if (!h) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return 1;
        }
        for (int i = 0; i < n; i++)
            tracepoint(dyn_prov, tick, n + i, "after dlopen");
        dlclose(h);
    }
    return 0;
}
