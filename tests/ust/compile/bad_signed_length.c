/* SPDX-License-Identifier: MIT */
/* A sequence whose length type is signed: refused, with the reason. */
#define TRACEPOINT_CREATE_PROBES
#include "signed_tp.h"
