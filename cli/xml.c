/* SPDX-License-Identifier: MIT */
/* libxml2, loaded when a command needs it (xml.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

#include "cli/cli.h"
#include "cli/xml.h"

/* The SONAME libxml2 has had since 2.0 (libxml2-dev's link is not there
 * on a machine with the library only). */
#define LIBXML2 "libxml2.so.2"

struct xml_lib libxml2;

int xml_load(void)
{
	static const struct { const char *name; size_t off; } syms[] = {
#define XML_SYM(f) { #f, offsetof(struct xml_lib, f) },
		XML_FUNCS(XML_SYM)
#undef XML_SYM
		{ "xmlFree", offsetof(struct xml_lib, free_fn) },
	};
	static int loaded;
	if (loaded)
		return 0;
	void *h = dlopen(LIBXML2, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		cli_error("this command needs libxml2 (%s), which cannot be loaded: %s\n"
			  "Install it (Debian: apt install libxml2)", LIBXML2, why ? why : "not found");
		return -1;
	}
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *p = dlsym(h, syms[i].name);
		if (!p) {
			cli_error("%s has no %s (too old a libxml2 for this command)", LIBXML2,
				  syms[i].name);
			dlclose(h);
			return -1;
		}
		*(void **)((char *)&libxml2 + syms[i].off) = p;
	}
	loaded = 1;
	return 0;
}
