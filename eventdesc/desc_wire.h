/* SPDX-License-Identifier: MIT */
/*
 * Event descriptions on the wire: one event's provider, name, loglevel and
 * fields as a self-contained byte blob, and the parser that turns such a
 * blob, from anyone, back into a heap-owned description.
 *
 * The instrumented process flattens its static descriptions (types.h);
 * the CTF metadata writer (ctf/) only ever sees parsed ones, so
 * the in-process path and the daemon generate metadata from the same,
 * validated, input.
 *
 * Blob (all integers little-endian, no alignment):
 *   u32 magic "RTD1"   u16 version (1)   u16 flags (0)   u32 total length
 *   i32 loglevel       str provider      str event       str signature
 *   u32 nr_fields      { str name, type } * nr_fields
 * type:  u8 kind, then
 *   INTEGER  int
 *   FLOAT    u8 size (4 or 8)
 *   STRING   -
 *   ARRAY    u32 count, type (an INTEGER)
 *   SEQUENCE type (the length: unsigned INTEGER), type (elements: INTEGER)
 *   ENUM     str name, type (container: INTEGER), u32 n,
 *            { str label, u64 first, u64 last } * n
 * int:   u8 size (1,2,4,8)  u8 signed (0,1)  u8 base (2,8,10,16)  u8 encoding (0, 1 = UTF-8 text, size 1 only;
 *        | 0x80: stored big-endian)
 * str:   u16 n (bytes including the final NUL, n >= 2), n bytes
 *
 * The parser checks everything: lengths against the bytes left, the total
 * length, NUL termination and no interior NUL, identifiers (provider,
 * event, field and enum names: [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes)
 * and enum labels (UTF-8 without control characters), every code, counts
 * (bounded before allocating), nesting depth, enum ranges against their
 * container, duplicate field names (including the generated `_<seq>_length`
 * names), and that nothing trails the last field.
 */
#ifndef RT_DESC_WIRE_H
#define RT_DESC_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rseqtrace/types.h>

#define RT_DESC_MAGIC 0x31445452u /* "RTD1" */
#define RT_DESC_VERSION 1u
#define RT_DESC_MAX_BLOB (1u << 20)
#define RT_DESC_MAX_NAME 255u
#define RT_DESC_MAX_SIGNATURE 2048u
#define RT_DESC_MAX_FIELDS 1024u
#define RT_DESC_MAX_ENTRIES 65536u
#define RT_DESC_MAX_COUNT (1u << 20)

struct rt_int_type {
	uint8_t size;
	uint8_t is_signed;
	uint8_t base;
	uint8_t encoding;
};

struct rt_enum_entry {
	char *label;
	int64_t first, last; /* inclusive; unsigned containers: the bits */
};

struct rt_field {
	char *name;
	uint32_t kind;            /* enum rseqtrace_field_kind */
	uint32_t count;           /* ARRAY */
	struct rt_int_type elem;  /* INTEGER, ENUM container, ARRAY/SEQUENCE element; FLOAT: size */
	struct rt_int_type length; /* SEQUENCE */
	char *enum_name;          /* ENUM */
	uint32_t nr_entries;
	struct rt_enum_entry *entries;
};

/* Heap-owned; free with rt_desc_free(). */
struct rt_desc {
	char *provider;
	char *event;
	char *name; /* "provider:event" */
	char *signature;
	int32_t loglevel;
	uint32_t nr_fields;
	struct rt_field *fields;
};

/* Flattens a static description into buf (if cap is large enough).
 * Returns the blob's length (which may exceed cap: call again with a
 * bigger buffer), or -1 if the description cannot be represented (names
 * too long, bad codes). */
ssize_t rt_desc_flatten(const struct rseqtrace_event_desc *d, void *buf, size_t cap);

/* Parses and validates a blob of exactly len bytes. NULL on any defect,
 * with the reason in err. */
struct rt_desc *rt_desc_parse(const void *blob, size_t len, char *err, size_t errlen);
void rt_desc_free(struct rt_desc *d);

/* 1 if both describe the same record layout and labels (names, types,
 * enum entries; loglevel and signature are not compared). */
int rt_desc_same_layout(const struct rt_desc *a, const struct rt_desc *b);

#endif
