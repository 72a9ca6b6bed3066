/* SPDX-License-Identifier: MIT */
/* The provider shared object (gcc -shared -fPIC dyn-tp.c ...). */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "dyn-tp.h"
