/* SPDX-License-Identifier: MIT */
/*
 * Flattening and hostile-input parsing of event descriptions (desc_wire.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventdesc/desc_wire.h"

/* ---- writer -------------------------------------------------------------- */

struct out {
	uint8_t *p;
	size_t cap, len;
	int bad;
};

static void put(struct out *o, const void *v, size_t n)
{
	if (o->p && o->len + n <= o->cap)
		memcpy(o->p + o->len, v, n);
	o->len += n;
}

static void put_le(struct out *o, uint64_t v, unsigned bytes)
{
	uint8_t b[8];
	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(o, b, bytes);
}

static void put_str(struct out *o, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (!s || n == 0 || n > max) {
		o->bad = 1;
		return;
	}
	put_le(o, n + 1, 2);
	put(o, s, n + 1);
}

static void put_int(struct out *o, const struct rseqtrace_int_desc *t)
{
	put_le(o, RSEQTRACE_FIELD_INTEGER, 1);
	put_le(o, t->size, 1);
	put_le(o, t->is_signed, 1);
	put_le(o, t->base, 1);
	put_le(o, t->encoding, 1);
}

static void put_field(struct out *o, const struct rseqtrace_field_desc *f)
{
	put_str(o, f->name, RT_DESC_MAX_NAME);
	switch (f->kind) {
	case RSEQTRACE_FIELD_INTEGER:
		put_int(o, &f->elem);
		break;
	case RSEQTRACE_FIELD_FLOAT:
		put_le(o, f->kind, 1);
		put_le(o, f->elem.size, 1);
		break;
	case RSEQTRACE_FIELD_STRING:
		put_le(o, f->kind, 1);
		break;
	case RSEQTRACE_FIELD_ARRAY:
		put_le(o, f->kind, 1);
		put_le(o, f->count, 4);
		put_int(o, &f->elem);
		break;
	case RSEQTRACE_FIELD_SEQUENCE:
		put_le(o, f->kind, 1);
		put_int(o, &f->length);
		put_int(o, &f->elem);
		break;
	case RSEQTRACE_FIELD_ENUM:
		if (!f->enumeration) {
			o->bad = 1;
			return;
		}
		put_le(o, f->kind, 1);
		put_str(o, f->enumeration->name, RT_DESC_MAX_NAME);
		put_int(o, &f->elem);
		put_le(o, f->enumeration->nr_entries, 4);
		for (uint32_t i = 0; i < f->enumeration->nr_entries; i++) {
			const struct rseqtrace_enum_entry *e = &f->enumeration->entries[i];
			put_str(o, e->label, RT_DESC_MAX_NAME);
			put_le(o, (uint64_t)e->start, 8);
			put_le(o, (uint64_t)e->end, 8);
		}
		break;
	default:
		o->bad = 1;
	}
}

ssize_t rt_desc_flatten(const struct rseqtrace_event_desc *d, void *buf, size_t cap)
{
	struct out o = { .p = buf, .cap = cap };
	put_le(&o, RT_DESC_MAGIC, 4);
	put_le(&o, RT_DESC_VERSION, 2);
	put_le(&o, 0, 2);
	size_t len_at = o.len;
	put_le(&o, 0, 4); /* total length, patched below */
	put_le(&o, (uint32_t)d->loglevel, 4);
	put_str(&o, d->provider, RT_DESC_MAX_NAME);
	put_str(&o, d->name, RT_DESC_MAX_NAME);
	put_str(&o, d->signature && *d->signature ? d->signature : "void", RT_DESC_MAX_SIGNATURE);
	put_le(&o, d->nr_fields, 4);
	for (uint32_t i = 0; i < d->nr_fields && !o.bad; i++)
		put_field(&o, &d->fields[i]);
	if (o.bad || o.len > RT_DESC_MAX_BLOB)
		return -1;
	if (o.p && o.len <= o.cap) {
		uint32_t total = (uint32_t)o.len;
		for (unsigned i = 0; i < 4; i++)
			o.p[len_at + i] = (uint8_t)(total >> (8 * i));
	}
	return (ssize_t)o.len;
}

/* ---- parser -------------------------------------------------------------- */

struct in {
	const uint8_t *p;
	size_t len, at;
	char *err;
	size_t errlen;
	int failed;
};

static int __attribute__((format(printf, 2, 3))) fail(struct in *in, const char *fmt, ...)
{
	if (!in->failed && in->err && in->errlen) {
		va_list ap;
		va_start(ap, fmt);
		int n = snprintf(in->err, in->errlen, "description byte %zu: ", in->at);
		if (n > 0 && (size_t)n < in->errlen)
			vsnprintf(in->err + n, in->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	in->failed = 1;
	return -1;
}

static int get_le(struct in *in, unsigned bytes, uint64_t *v)
{
	*v = 0;
	if (in->failed)
		return -1;
	if (in->len - in->at < bytes)
		return fail(in, "truncated (%u more bytes needed)", bytes);
	for (unsigned i = 0; i < bytes; i++)
		*v |= (uint64_t)in->p[in->at + i] << (8 * i);
	in->at += bytes;
	return 0;
}

static int is_ident(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int is_printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Well-formed UTF-8 (shortest form, no surrogates), no control characters. */
static int is_label(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		unsigned c = *s, n;
		uint32_t cp;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
		else return 0;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return 0;
		s += n + 1;
	}
	return 1;
}

enum str_kind { STR_IDENT, STR_SIGNATURE, STR_LABEL };

static char *get_str(struct in *in, enum str_kind kind, const char *what)
{
	uint64_t n;
	if (get_le(in, 2, &n))
		return NULL;
	size_t max = kind == STR_SIGNATURE ? RT_DESC_MAX_SIGNATURE : RT_DESC_MAX_NAME;
	if (n < 2 || n - 1 > max) {
		fail(in, "%s: length %llu not in [1, %zu]", what, (unsigned long long)n - 1, max);
		return NULL;
	}
	if (in->len - in->at < n) {
		fail(in, "%s: truncated", what);
		return NULL;
	}
	const char *s = (const char *)in->p + in->at;
	if (s[n - 1] != 0 || memchr(s, 0, n - 1)) {
		fail(in, "%s: not one NUL-terminated string", what);
		return NULL;
	}
	int ok = kind == STR_IDENT ? is_ident(s) : kind == STR_SIGNATURE ? is_printable_ascii(s) : is_label(s);
	if (!ok) {
		fail(in, "%s: invalid characters", what);
		return NULL;
	}
	char *copy = malloc(n);
	if (!copy) {
		fail(in, "out of memory");
		return NULL;
	}
	memcpy(copy, s, n);
	in->at += n;
	return copy;
}

static int get_int_type(struct in *in, struct rt_int_type *t, const char *what)
{
	uint64_t kind, size, sgn, base, enc;
	if (get_le(in, 1, &kind) || get_le(in, 1, &size) || get_le(in, 1, &sgn) ||
	    get_le(in, 1, &base) || get_le(in, 1, &enc))
		return -1;
	if (kind != RSEQTRACE_FIELD_INTEGER)
		return fail(in, "%s: must be an integer (kind %llu)", what, (unsigned long long)kind);
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return fail(in, "%s: integer size %llu", what, (unsigned long long)size);
	if (sgn > 1)
		return fail(in, "%s: signedness %llu", what, (unsigned long long)sgn);
	if (base != 2 && base != 8 && base != 10 && base != 16)
		return fail(in, "%s: base %llu", what, (unsigned long long)base);
	uint64_t text = enc & ~(uint64_t)RSEQTRACE_ENCODING_BIG_ENDIAN;
	if (text > RSEQTRACE_ENCODING_UTF8 || (text && size != 1))
		return fail(in, "%s: encoding %llu for a %llu-byte integer", what,
			    (unsigned long long)enc, (unsigned long long)size);
	*t = (struct rt_int_type){ (uint8_t)size, (uint8_t)sgn, (uint8_t)base, (uint8_t)enc };
	return 0;
}

/* Whether v (bits of a 64-bit value) fits the container, read with its
 * signedness. */
static int fits(const struct rt_int_type *t, int64_t v)
{
	if (t->size == 8)
		return 1;
	unsigned bits = t->size * 8u;
	if (t->is_signed)
		return v >= -(INT64_C(1) << (bits - 1)) && v < (INT64_C(1) << (bits - 1));
	return (uint64_t)v < (UINT64_C(1) << bits);
}

static int ordered(const struct rt_int_type *t, int64_t a, int64_t b)
{
	return t->is_signed ? a <= b : (uint64_t)a <= (uint64_t)b;
}

static int get_enum(struct in *in, struct rt_field *f)
{
	uint64_t n;
	if (!(f->enum_name = get_str(in, STR_IDENT, "enum name")) ||
	    get_int_type(in, &f->elem, "enum container") || get_le(in, 4, &n))
		return -1;
	if (f->elem.encoding)
		return fail(in, "enum container cannot be text");
	/* Each entry takes at least 2 + 2 + 16 bytes. */
	if (n == 0 || n > RT_DESC_MAX_ENTRIES || n > (in->len - in->at) / 20)
		return fail(in, "enum with %llu entries", (unsigned long long)n);
	f->entries = calloc(n, sizeof *f->entries);
	if (!f->entries)
		return fail(in, "out of memory");
	for (uint64_t i = 0; i < n; i++) {
		struct rt_enum_entry *e = &f->entries[i];
		uint64_t a, b;
		if (!(e->label = get_str(in, STR_LABEL, "enum label")))
			return -1;
		f->nr_entries = (uint32_t)i + 1;
		if (get_le(in, 8, &a) || get_le(in, 8, &b))
			return -1;
		e->first = (int64_t)a;
		e->last = (int64_t)b;
		if (!fits(&f->elem, e->first) || !fits(&f->elem, e->last) ||
		    !ordered(&f->elem, e->first, e->last))
			return fail(in, "enum entry \"%s\": range outside its container or reversed",
				    e->label);
	}
	return 0;
}

static int get_field(struct in *in, struct rt_field *f)
{
	uint64_t kind, v;
	if (!(f->name = get_str(in, STR_IDENT, "field name")) || get_le(in, 1, &kind))
		return -1;
	f->kind = (uint32_t)kind;
	switch (kind) {
	case RSEQTRACE_FIELD_INTEGER:
		in->at--; /* the kind byte belongs to the integer */
		return get_int_type(in, &f->elem, f->name);
	case RSEQTRACE_FIELD_FLOAT:
		if (get_le(in, 1, &v))
			return -1;
		if (v != 4 && v != 8)
			return fail(in, "%s: float size %llu", f->name, (unsigned long long)v);
		f->elem = (struct rt_int_type){ (uint8_t)v, 1, 10, 0 };
		return 0;
	case RSEQTRACE_FIELD_STRING:
		f->elem = (struct rt_int_type){ 1, 0, 10, RSEQTRACE_ENCODING_UTF8 };
		return 0;
	case RSEQTRACE_FIELD_ARRAY:
		if (get_le(in, 4, &v) || get_int_type(in, &f->elem, f->name))
			return -1;
		if (v == 0 || v > RT_DESC_MAX_COUNT)
			return fail(in, "%s: array count %llu", f->name, (unsigned long long)v);
		f->count = (uint32_t)v;
		return 0;
	case RSEQTRACE_FIELD_SEQUENCE:
		if (get_int_type(in, &f->length, f->name) || get_int_type(in, &f->elem, f->name))
			return -1;
		if (f->length.is_signed || f->length.encoding)
			return fail(in, "%s: sequence length must be an unsigned integer", f->name);
		return 0;
	case RSEQTRACE_FIELD_ENUM:
		return get_enum(in, f);
	}
	return fail(in, "%s: unknown field kind %llu", f->name, (unsigned long long)kind);
}

/* Field names as CTF will spell them must be distinct: `_<name>` for each
 * field and `__<name>_length` for each sequence. */
static int check_names(struct in *in, const struct rt_desc *d)
{
	for (uint32_t i = 0; i < d->nr_fields; i++) {
		const char *a = d->fields[i].name;
		for (uint32_t j = 0; j < d->nr_fields; j++) {
			const char *b = d->fields[j].name;
			if (j > i && strcmp(a, b) == 0)
				return fail(in, "duplicate field name \"%s\"", a);
			if (d->fields[j].kind != RSEQTRACE_FIELD_SEQUENCE)
				continue;
			size_t lb = strlen(b), la = strlen(a);
			/* a == "_" b "_length" collides with b's length field */
			if (la == lb + 8 && a[0] == '_' && strncmp(a + 1, b, lb) == 0 &&
			    strcmp(a + 1 + lb, "_length") == 0)
				return fail(in, "field \"%s\" collides with the length of \"%s\"", a, b);
		}
	}
	return 0;
}

struct rt_desc *rt_desc_parse(const void *blob, size_t len, char *err, size_t errlen)
{
	struct in in = { .p = blob, .len = len, .err = err, .errlen = errlen };
	if (err && errlen)
		err[0] = 0;
	if (!blob || len > RT_DESC_MAX_BLOB) {
		fail(&in, "blob of %zu bytes (at most %u)", len, RT_DESC_MAX_BLOB);
		return NULL;
	}
	uint64_t magic, version, flags, total, level, nr;
	if (get_le(&in, 4, &magic) || get_le(&in, 2, &version) || get_le(&in, 2, &flags) ||
	    get_le(&in, 4, &total) || get_le(&in, 4, &level))
		return NULL;
	if (magic != RT_DESC_MAGIC || version != RT_DESC_VERSION || flags != 0) {
		fail(&in, "not a version %u description (magic 0x%llx, version %llu, flags %llu)",
		     RT_DESC_VERSION, (unsigned long long)magic, (unsigned long long)version,
		     (unsigned long long)flags);
		return NULL;
	}
	if (total != len) {
		fail(&in, "total length %llu, received %zu", (unsigned long long)total, len);
		return NULL;
	}
	if (level > RSEQTRACE_LOGLEVEL_MAX) {
		fail(&in, "loglevel %llu", (unsigned long long)level);
		return NULL;
	}
	struct rt_desc *d = calloc(1, sizeof *d);
	if (!d) {
		fail(&in, "out of memory");
		return NULL;
	}
	d->loglevel = (int32_t)level;
	if (!(d->provider = get_str(&in, STR_IDENT, "provider")) ||
	    !(d->event = get_str(&in, STR_IDENT, "event")) ||
	    !(d->signature = get_str(&in, STR_SIGNATURE, "signature")) || get_le(&in, 4, &nr))
		goto bad;
	/* Each field takes at least 2 + 2 + 1 bytes. */
	if (nr > RT_DESC_MAX_FIELDS || nr > (len - in.at) / 5) {
		fail(&in, "%llu fields", (unsigned long long)nr);
		goto bad;
	}
	if (nr && !(d->fields = calloc(nr, sizeof *d->fields))) {
		fail(&in, "out of memory");
		goto bad;
	}
	for (uint64_t i = 0; i < nr; i++) {
		d->nr_fields = (uint32_t)i + 1;
		if (get_field(&in, &d->fields[i]))
			goto bad;
	}
	if (in.at != len) {
		fail(&in, "%zu bytes after the last field", len - in.at);
		goto bad;
	}
	if (check_names(&in, d))
		goto bad;
	size_t n = strlen(d->provider) + strlen(d->event) + 2;
	if (!(d->name = malloc(n))) {
		fail(&in, "out of memory");
		goto bad;
	}
	snprintf(d->name, n, "%s:%s", d->provider, d->event);
	return d;
bad:
	rt_desc_free(d);
	return NULL;
}

void rt_desc_free(struct rt_desc *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; i < d->nr_fields; i++) {
		struct rt_field *f = &d->fields[i];
		free(f->name);
		free(f->enum_name);
		for (uint32_t j = 0; j < f->nr_entries; j++)
			free(f->entries[j].label);
		free(f->entries);
	}
	free(d->fields);
	free(d->provider);
	free(d->event);
	free(d->name);
	free(d->signature);
	free(d);
}

static int same_int(const struct rt_int_type *a, const struct rt_int_type *b)
{
	return a->size == b->size && a->is_signed == b->is_signed && a->base == b->base &&
	       a->encoding == b->encoding;
}

static int same_field(const struct rt_field *a, const struct rt_field *b)
{
	if (strcmp(a->name, b->name) || a->kind != b->kind || a->count != b->count ||
	    !same_int(&a->elem, &b->elem) || !same_int(&a->length, &b->length) ||
	    a->nr_entries != b->nr_entries)
		return 0;
	if ((a->enum_name || b->enum_name) &&
	    (!a->enum_name || !b->enum_name || strcmp(a->enum_name, b->enum_name)))
		return 0;
	for (uint32_t i = 0; i < a->nr_entries; i++)
		if (strcmp(a->entries[i].label, b->entries[i].label) ||
		    a->entries[i].first != b->entries[i].first ||
		    a->entries[i].last != b->entries[i].last)
			return 0;
	return 1;
}

int rt_desc_same_layout(const struct rt_desc *a, const struct rt_desc *b)
{
	if (a->nr_fields != b->nr_fields)
		return 0;
	for (uint32_t i = 0; i < a->nr_fields; i++)
		if (!same_field(&a->fields[i], &b->fields[i]))
			return 0;
	return 1;
}
