/* SPDX-License-Identifier: MIT */
/* A provider in a shared object, loaded with dlopen mid-session by tapp
 * --dlopen: its events must be in the metadata before any packet uses them. */
#include <stdint.h>

#define RSEQTRACE_CREATE_PROBES
#include "tprov_tp.h"

__attribute__((visibility("default"))) void tprov_emit(uint64_t n);
void tprov_emit(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		rseqtrace(rtdlib, late, i, "from a dlopen'ed provider");
}
