/* SPDX-License-Identifier: MIT */
/*
 * rseqtrace_libc: the events of librseqtrace-libc-wrapper.so. Same names
 * and fields as LTTng-UST's lttng_ust_libc provider, plus aligned_alloc,
 * plus the caller's address as a field (`ip`; LTTng records it only as
 * the optional `ip` context). Pointers are shown in hex.
 */
#ifndef RSEQTRACE_PROBES_LIBC_TP_H
#define RSEQTRACE_PROBES_LIBC_TP_H

#include <stddef.h>
#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(rseqtrace_libc, malloc, DEBUG_LINE,
	RSEQTRACE_ARGS(size_t, size, void *, ptr, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, size, size)
		rseqtrace_field_integer_hex(uint64_t, ptr, (uintptr_t)ptr)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

RSEQTRACE_EVENT(rseqtrace_libc, free, DEBUG_LINE,
	RSEQTRACE_ARGS(void *, ptr, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, ptr, (uintptr_t)ptr)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

RSEQTRACE_EVENT(rseqtrace_libc, calloc, DEBUG_LINE,
	RSEQTRACE_ARGS(size_t, nmemb, size_t, size, void *, ptr, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, nmemb, nmemb)
		rseqtrace_field_integer(uint64_t, size, size)
		rseqtrace_field_integer_hex(uint64_t, ptr, (uintptr_t)ptr)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

/* in_ptr 0 with ptr != 0 is an allocation; size 0 with in_ptr != 0 and
 * ptr 0 is a free (glibc's realloc(p, 0)). */
RSEQTRACE_EVENT(rseqtrace_libc, realloc, DEBUG_LINE,
	RSEQTRACE_ARGS(void *, in_ptr, size_t, size, void *, ptr, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, in_ptr, (uintptr_t)in_ptr)
		rseqtrace_field_integer(uint64_t, size, size)
		rseqtrace_field_integer_hex(uint64_t, ptr, (uintptr_t)ptr)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

RSEQTRACE_EVENT(rseqtrace_libc, memalign, DEBUG_LINE,
	RSEQTRACE_ARGS(size_t, alignment, size_t, size, void *, ptr, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, alignment, alignment)
		rseqtrace_field_integer(uint64_t, size, size)
		rseqtrace_field_integer_hex(uint64_t, ptr, (uintptr_t)ptr)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

/* out_ptr: the allocation, 0 when result (the return value) is not 0. */
RSEQTRACE_EVENT(rseqtrace_libc, posix_memalign, DEBUG_LINE,
	RSEQTRACE_ARGS(void *, out_ptr, size_t, alignment, size_t, size, int, result,
		       const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, out_ptr, (uintptr_t)out_ptr)
		rseqtrace_field_integer(uint64_t, alignment, alignment)
		rseqtrace_field_integer(uint64_t, size, size)
		rseqtrace_field_integer(int32_t, result, result)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

/* Not in LTTng-UST 2.13, whose wrapper leaves aligned_alloc to glibc
 * (so it records the free of a block it never saw allocated). */
RSEQTRACE_EVENT(rseqtrace_libc, aligned_alloc, DEBUG_LINE,
	RSEQTRACE_ARGS(size_t, alignment, size_t, size, void *, ptr, const void *, ip),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, alignment, alignment)
		rseqtrace_field_integer(uint64_t, size, size)
		rseqtrace_field_integer_hex(uint64_t, ptr, (uintptr_t)ptr)
		rseqtrace_field_integer_hex(uint64_t, ip, (uintptr_t)ip)))

#endif
