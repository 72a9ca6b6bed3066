/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD shim: libxml2 cannot be loaded (dlopen of it fails, as on a
 * machine without the library). tests/daemon/test_cli.py runs the CLI
 * under it: save, load and --mi xml must fail with a clear error.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);
	if (!real)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (file && strstr(file, "libxml2"))
		file = "libxml2-not-installed.so.2"; /* fails, dlerror() says why */
	return real(file, mode);
}
