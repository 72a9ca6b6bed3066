/* SPDX-License-Identifier: MIT */
/*
 * rseqtrace_pthread: the events of librseqtrace-pthread-wrapper.so. Same
 * names and fields as LTTng-UST's lttng_ust_pthread provider, plus the
 * caller's address as a field (`ip`). status is the function's return
 * value (0, EBUSY, EDEADLK, EOWNERDEAD, ...).
 */
#ifndef RSEQTRACE_PROBES_PTHREAD_TP_H
#define RSEQTRACE_PROBES_PTHREAD_TP_H

#include <pthread.h>
#include <stdint.h>

#include <rseqtrace/tracepoint.h>

/* Before the thread may block. */
RSEQTRACE_EVENT(rseqtrace_pthread, pthread_mutex_lock_req, DEBUG_LINE,
	RSEQTRACE_ARGS(const pthread_mutex_t *, mutex, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, mutex, (uintptr_t)mutex)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

/* After pthread_mutex_lock returned. */
RSEQTRACE_EVENT(rseqtrace_pthread, pthread_mutex_lock_acq, DEBUG_LINE,
	RSEQTRACE_ARGS(const pthread_mutex_t *, mutex, int, status, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, mutex, (uintptr_t)mutex)
		rseqtrace_field_integer(int32_t, status, status)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

RSEQTRACE_EVENT(rseqtrace_pthread, pthread_mutex_trylock, DEBUG_LINE,
	RSEQTRACE_ARGS(const pthread_mutex_t *, mutex, int, status, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, mutex, (uintptr_t)mutex)
		rseqtrace_field_integer(int32_t, status, status)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

/* After pthread_mutex_unlock returned. */
RSEQTRACE_EVENT(rseqtrace_pthread, pthread_mutex_unlock, DEBUG_LINE,
	RSEQTRACE_ARGS(const pthread_mutex_t *, mutex, int, status, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, mutex, (uintptr_t)mutex)
		rseqtrace_field_integer(int32_t, status, status)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

#endif
