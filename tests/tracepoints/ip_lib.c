/* SPDX-License-Identifier: MIT */
/* A call site in a shared library (position-independent, loaded at a
 * random base): its ip must resolve to this library and this function. */
#include "ip_tp.h"

__attribute__((noinline)) void ip_lib_caller(int n)
{
	rseqtrace(iptest, lib, n);
}
