/* SPDX-License-Identifier: MIT */
/* A sequence whose length type is signed (see bad_signed_length.c). */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ct_seq
#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "signed_tp.h"
#if !defined(CT_SEQ_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define CT_SEQ_TP_H
#include <lttng/tracepoint.h>
TRACEPOINT_EVENT(ct_seq, ev, TP_ARGS(const int *, v, int, n),
	TP_FIELDS(ctf_sequence(int, v, v, int, n)))
#endif
#include <lttng/tracepoint-event.h>
