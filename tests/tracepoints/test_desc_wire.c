/* SPDX-License-Identifier: MIT */
/*
 * desc_wire: flatten/parse round trip of every field type, and the parser
 * against hostile blobs: every truncation, random mutations, and crafted
 * defects, each of which must be refused (never crash, never accepted).
 * Then the CTF writer turns a valid but nasty description (labels full of
 * TSDL syntax) into metadata that babeltrace2 accepts.
 *
 * usage: test_desc_wire TMPDIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RSEQTRACE_CREATE_PROBES
#include "types_tp.h"

#include "ctf/ctf.h"
#include "eventdesc/desc_wire.h"
#include "tests/check.h"


static const struct rseqtrace_event_desc *all_descs[] = {
	&rseqtrace__desc_types__ints, &rseqtrace__desc_types__reals, &rseqtrace__desc_types__strings,
	&rseqtrace__desc_types__arrays, &rseqtrace__desc_types__seqs, &rseqtrace__desc_types__enums,
	&rseqtrace__desc_types__blobs, &rseqtrace__desc_types__empty, &rseqtrace__desc_types__align,
	&rseqtrace__desc_types__ten, &rseqtrace__desc_types__huge,
};

static uint8_t *flatten(const struct rseqtrace_event_desc *d, size_t *len)
{
	ssize_t n = rt_desc_flatten(d, NULL, 0);
	CHECK(n > 0, "%s: cannot size", d->name);
	uint8_t *b = malloc((size_t)n);
	CHECK(rt_desc_flatten(d, b, (size_t)n) == n, "%s: flatten size changed", d->name);
	*len = (size_t)n;
	return b;
}

static int same_int(const struct rt_int_type *a, const struct rseqtrace_int_desc *b)
{
	return a->size == b->size && a->is_signed == b->is_signed && a->base == b->base &&
	       a->encoding == b->encoding;
}

static void round_trip(const struct rseqtrace_event_desc *d)
{
	size_t n;
	uint8_t *b = flatten(d, &n);
	char err[256];
	struct rt_desc *p = rt_desc_parse(b, n, err, sizeof err);
	CHECK(p, "%s: parse failed: %s", d->name, err);
	if (!p) {
		free(b);
		return;
	}
	CHECK(strcmp(p->provider, d->provider) == 0 && strcmp(p->event, d->name) == 0 &&
	      p->loglevel == d->loglevel && p->nr_fields == d->nr_fields, "%s: header", d->name);
	for (uint32_t i = 0; i < d->nr_fields && i < p->nr_fields; i++) {
		const struct rseqtrace_field_desc *f = &d->fields[i];
		const struct rt_field *g = &p->fields[i];
		CHECK(strcmp(f->name, g->name) == 0 && f->kind == g->kind, "%s.%s", d->name, f->name);
		if (f->kind != RSEQTRACE_FIELD_STRING && f->kind != RSEQTRACE_FIELD_FLOAT)
			CHECK(same_int(&g->elem, &f->elem), "%s.%s: type", d->name, f->name);
		if (f->kind == RSEQTRACE_FIELD_ARRAY)
			CHECK(g->count == f->count, "%s.%s: count", d->name, f->name);
		if (f->kind == RSEQTRACE_FIELD_SEQUENCE)
			CHECK(same_int(&g->length, &f->length), "%s.%s: length", d->name, f->name);
		if (f->kind == RSEQTRACE_FIELD_ENUM) {
			const struct rseqtrace_enum_desc *e = f->enumeration;
			CHECK(g->nr_entries == e->nr_entries && strcmp(g->enum_name, e->name) == 0,
			      "%s.%s: enum", d->name, f->name);
			for (uint32_t j = 0; j < e->nr_entries && j < g->nr_entries; j++)
				CHECK(strcmp(g->entries[j].label, e->entries[j].label) == 0 &&
				      g->entries[j].first == e->entries[j].start &&
				      g->entries[j].last == e->entries[j].end, "%s.%s: entry %u",
				      d->name, f->name, j);
		}
	}
	CHECK(rt_desc_same_layout(p, p), "layout equal to itself");

	/* Every strict prefix is refused. */
	for (size_t len = 0; len < n; len++) {
		struct rt_desc *q = rt_desc_parse(b, len, err, sizeof err);
		CHECK(!q, "%s: accepted a %zu-byte prefix of %zu", d->name, len, n);
		rt_desc_free(q);
	}
	/* A trailing byte, even with a matching total length, is refused. */
	uint8_t *longer = malloc(n + 1);
	memcpy(longer, b, n);
	longer[n] = 0;
	longer[8] = (uint8_t)(n + 1);
	longer[9] = (uint8_t)((n + 1) >> 8);
	longer[10] = (uint8_t)((n + 1) >> 16);
	struct rt_desc *q = rt_desc_parse(longer, n + 1, err, sizeof err);
	CHECK(!q, "%s: accepted trailing bytes", d->name);
	rt_desc_free(q);
	free(longer);
	rt_desc_free(p);
	free(b);
}

/* A parsed description must be one the metadata writer can print safely. */
static int is_ident(const char *s)
{
	if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static void check_sane(const struct rt_desc *p)
{
	CHECK(is_ident(p->provider) && is_ident(p->event), "accepted bad names");
	CHECK(p->nr_fields <= RT_DESC_MAX_FIELDS && p->loglevel >= 0 && p->loglevel <= 14,
	      "accepted bad counts");
	for (uint32_t i = 0; i < p->nr_fields; i++) {
		const struct rt_field *f = &p->fields[i];
		CHECK(is_ident(f->name), "accepted a bad field name");
		CHECK(f->kind >= 1 && f->kind <= 6, "accepted kind %u", f->kind);
		CHECK(f->elem.size == 1 || f->elem.size == 2 || f->elem.size == 4 || f->elem.size == 8,
		      "accepted size %u", f->elem.size);
		for (uint32_t j = 0; j < f->nr_entries; j++)
			for (const char *c = f->entries[j].label; *c; c++)
				CHECK((unsigned char)*c >= 0x20 && *c != 0x7f, "accepted a control character");
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mutate(const struct rseqtrace_event_desc *d, int rounds)
{
	size_t n;
	uint8_t *b = flatten(d, &n);
	uint8_t *m = malloc(n);
	int accepted = 0;
	for (int r = 0; r < rounds; r++) {
		memcpy(m, b, n);
		int flips = 1 + (int)(next_rand() % 4);
		for (int i = 0; i < flips; i++) {
			size_t at = next_rand() % n;
			switch (next_rand() % 4) {
			case 0: m[at] ^= (uint8_t)(1u << (next_rand() % 8)); break;
			case 1: m[at] = (uint8_t)next_rand(); break;
			case 2: m[at] = 0; break;
			default: m[at] = 0xff;
			}
		}
		size_t len = next_rand() % 8 == 0 ? next_rand() % (n + 1) : n;
		struct rt_desc *p = rt_desc_parse(m, len, NULL, 0);
		if (p) {
			accepted++;
			check_sane(p);
			rt_desc_free(p);
		}
	}
	free(m);
	free(b);
	(void)accepted;
}

/* ---- crafted blobs ---------------------------------------------------------- */

struct blob {
	uint8_t b[4096];
	size_t n;
};

static void u(struct blob *x, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		x->b[x->n++] = (uint8_t)(v >> (8 * i));
}

static void raw_str(struct blob *x, const char *s, size_t len_with_nul)
{
	u(x, len_with_nul, 2);
	memcpy(x->b + x->n, s, len_with_nul);
	x->n += len_with_nul;
}

static void str(struct blob *x, const char *s)
{
	raw_str(x, s, strlen(s) + 1);
}

static void head(struct blob *x, const char *prov, uint64_t level, uint32_t nr)
{
	x->n = 0;
	u(x, RT_DESC_MAGIC, 4);
	u(x, 1, 2);
	u(x, 0, 2);
	u(x, 0, 4);
	u(x, level, 4);
	str(x, prov);
	str(x, "ev");
	str(x, "int, x");
	u(x, nr, 4);
}

static void intt(struct blob *x, unsigned size, unsigned sgn, unsigned base, unsigned enc)
{
	u(x, RSEQTRACE_FIELD_INTEGER, 1);
	u(x, size, 1);
	u(x, sgn, 1);
	u(x, base, 1);
	u(x, enc, 1);
}

static void finish(struct blob *x)
{
	x->b[8] = (uint8_t)x->n;
	x->b[9] = (uint8_t)(x->n >> 8);
	x->b[10] = 0;
	x->b[11] = 0;
}

static void expect(const struct blob *x, int ok, const char *what, const char *reason)
{
	char err[256] = "";
	struct rt_desc *p = rt_desc_parse(x->b, x->n, err, sizeof err);
	if (ok)
		CHECK(p, "%s: refused: %s", what, err);
	else
		CHECK(!p, "%s: accepted", what);
	if (!ok && !p && reason)
		CHECK(strstr(err, reason), "%s: message \"%s\" lacks \"%s\"", what, err, reason);
	if (p)
		check_sane(p);
	rt_desc_free(p);
}

static void crafted(void)
{
	struct blob x;

	head(&x, "prov", 6, 1); str(&x, "a"); intt(&x, 4, 1, 10, 0); finish(&x);
	expect(&x, 1, "a valid blob", NULL);

	head(&x, "prov", 6, 1); str(&x, "a"); intt(&x, 4, 1, 10, 0); finish(&x);
	x.b[0] ^= 1;
	expect(&x, 0, "bad magic", "magic");

	head(&x, "prov", 6, 1); str(&x, "a"); intt(&x, 4, 1, 10, 0); finish(&x);
	x.b[8]++;
	expect(&x, 0, "total length off by one", "total length");

	head(&x, "prov", 15, 0); finish(&x);
	expect(&x, 0, "loglevel 15", "loglevel");

	head(&x, "a;} event { name = x", 6, 0); finish(&x);
	expect(&x, 0, "TSDL injection in the provider", "invalid characters");

	head(&x, "9abc", 6, 0); finish(&x);
	expect(&x, 0, "identifier starting with a digit", "invalid characters");

	x.n = 0; u(&x, RT_DESC_MAGIC, 4); u(&x, 1, 2); u(&x, 0, 2); u(&x, 0, 4); u(&x, 6, 4);
	raw_str(&x, "prov", 4); /* no NUL */
	str(&x, "ev"); str(&x, "s"); u(&x, 0, 4); finish(&x);
	expect(&x, 0, "string without NUL", "NUL");

	x.n = 0; u(&x, RT_DESC_MAGIC, 4); u(&x, 1, 2); u(&x, 0, 2); u(&x, 0, 4); u(&x, 6, 4);
	raw_str(&x, "pr\0ov", 6); /* interior NUL */
	str(&x, "ev"); str(&x, "s"); u(&x, 0, 4); finish(&x);
	expect(&x, 0, "interior NUL", "NUL");

	x.n = 0; u(&x, RT_DESC_MAGIC, 4); u(&x, 1, 2); u(&x, 0, 2); u(&x, 0, 4); u(&x, 6, 4);
	u(&x, 60000, 2); /* string length beyond the blob */
	finish(&x);
	expect(&x, 0, "string length beyond the end", NULL);

	head(&x, "prov", 6, 0xffffffffu); finish(&x);
	expect(&x, 0, "four billion fields", "fields");

	head(&x, "prov", 6, 2); str(&x, "a"); intt(&x, 4, 1, 10, 0); str(&x, "a");
	intt(&x, 1, 0, 10, 0); finish(&x);
	expect(&x, 0, "duplicate field", "duplicate");

	head(&x, "prov", 6, 2); str(&x, "s"); u(&x, RSEQTRACE_FIELD_SEQUENCE, 1); intt(&x, 4, 0, 10, 0);
	intt(&x, 1, 0, 10, 0); str(&x, "_s_length"); intt(&x, 4, 0, 10, 0); finish(&x);
	expect(&x, 0, "field colliding with a sequence length", "collides");

	head(&x, "prov", 6, 1); str(&x, "a"); intt(&x, 3, 1, 10, 0); finish(&x);
	expect(&x, 0, "3-byte integer", "size");

	head(&x, "prov", 6, 1); str(&x, "a"); intt(&x, 4, 1, 7, 0); finish(&x);
	expect(&x, 0, "base 7", "base");

	head(&x, "prov", 6, 1); str(&x, "a"); intt(&x, 4, 0, 10, 1); finish(&x);
	expect(&x, 0, "UTF-8 text of 4-byte elements", "encoding");

	head(&x, "prov", 6, 1); str(&x, "a"); intt(&x, 4, 2, 10, 0); finish(&x);
	expect(&x, 0, "signedness 2", "signedness");

	head(&x, "prov", 6, 1); str(&x, "a"); u(&x, 9, 1); finish(&x);
	expect(&x, 0, "unknown kind", "kind");

	head(&x, "prov", 6, 1); str(&x, "a"); u(&x, RSEQTRACE_FIELD_FLOAT, 1); u(&x, 2, 1); finish(&x);
	expect(&x, 0, "2-byte float", "float");

	head(&x, "prov", 6, 1); str(&x, "a"); u(&x, RSEQTRACE_FIELD_ARRAY, 1); u(&x, 0, 4);
	intt(&x, 4, 0, 10, 0); finish(&x);
	expect(&x, 0, "empty array", "count");

	head(&x, "prov", 6, 1); str(&x, "a"); u(&x, RSEQTRACE_FIELD_ARRAY, 1); u(&x, 3, 4);
	u(&x, RSEQTRACE_FIELD_ARRAY, 1); u(&x, 3, 4); intt(&x, 4, 0, 10, 0); finish(&x);
	expect(&x, 0, "array of arrays", "integer");

	head(&x, "prov", 6, 1); str(&x, "a"); u(&x, RSEQTRACE_FIELD_SEQUENCE, 1); intt(&x, 4, 1, 10, 0);
	intt(&x, 1, 0, 10, 0); finish(&x);
	expect(&x, 0, "signed sequence length", "unsigned");

	head(&x, "prov", 6, 1); str(&x, "e"); u(&x, RSEQTRACE_FIELD_ENUM, 1); str(&x, "en");
	intt(&x, 1, 0, 10, 0); u(&x, 0x7fffffff, 4); finish(&x);
	expect(&x, 0, "two billion enum entries", "entries");

	head(&x, "prov", 6, 1); str(&x, "e"); u(&x, RSEQTRACE_FIELD_ENUM, 1); str(&x, "en");
	intt(&x, 1, 0, 10, 0); u(&x, 1, 4); str(&x, "L"); u(&x, 5, 8); u(&x, 2, 8); finish(&x);
	expect(&x, 0, "reversed enum range", "range");

	head(&x, "prov", 6, 1); str(&x, "e"); u(&x, RSEQTRACE_FIELD_ENUM, 1); str(&x, "en");
	intt(&x, 1, 0, 10, 0); u(&x, 1, 4); str(&x, "L"); u(&x, 0, 8); u(&x, 256, 8); finish(&x);
	expect(&x, 0, "enum range outside a uint8 container", "range");

	head(&x, "prov", 6, 1); str(&x, "e"); u(&x, RSEQTRACE_FIELD_ENUM, 1); str(&x, "en");
	intt(&x, 1, 1, 10, 0); u(&x, 1, 4); str(&x, "L"); u(&x, (uint64_t)-128, 8);
	u(&x, 127, 8); finish(&x);
	expect(&x, 1, "int8 enum range -128..127", NULL);

	const char *bad_labels[] = { "tab\there", "\xc0\x80", "\xed\xa0\x80", "\xf5\x80\x80\x80",
				     "\xe2\x9c", "\xc2\x85" };
	for (size_t i = 0; i < sizeof bad_labels / sizeof bad_labels[0]; i++) {
		head(&x, "prov", 6, 1); str(&x, "e"); u(&x, RSEQTRACE_FIELD_ENUM, 1); str(&x, "en");
		intt(&x, 1, 0, 10, 0); u(&x, 1, 4); str(&x, bad_labels[i]); u(&x, 1, 8); u(&x, 1, 8);
		finish(&x);
		expect(&x, 0, "bad enum label", "invalid characters");
	}
}

/* ---- metadata from a nasty but valid description ------------------------------ */

static void metadata(const char *tmp)
{
	struct blob x;
	head(&x, "nasty", 3, 3);
	str(&x, "e"); u(&x, RSEQTRACE_FIELD_ENUM, 1); str(&x, "en"); intt(&x, 8, 1, 16, 0); u(&x, 3, 4);
	str(&x, "\"; } event { name = \"evil"); u(&x, (uint64_t)INT64_MIN, 8); u(&x, (uint64_t)-1, 8);
	str(&x, "back\\slash */ /*"); u(&x, 0, 8); u(&x, 0, 8);
	str(&x, "\xe2\x9c\x93 {}[];:"); u(&x, 1, 8); u(&x, (uint64_t)INT64_MAX, 8);
	str(&x, "struct"); intt(&x, 8, 0, 16, 0);
	str(&x, "event"); u(&x, RSEQTRACE_FIELD_STRING, 1);
	finish(&x);
	char err[256];
	struct rt_desc *d = rt_desc_parse(x.b, x.n, err, sizeof err);
	CHECK(d, "nasty description refused: %s", err);
	if (!d)
		return;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/desc-wire-%d", tmp, (int)getpid());
	struct ctf_trace_config cfg = { .path = dir, .clock = RT_CLOCK_MONOTONIC };
	struct ctf_trace *t;
	CHECK(ctf_trace_create(&cfg, &t, err, sizeof err) == 0, "ctf_trace_create: %s", err);
	CHECK(ctf_trace_add_stream_class(t, 0, RSEQTRACE_CTX_ALL) == 0, "stream class");
	CHECK(ctf_trace_add_event(t, 0, 5, d) == 0, "add event");
	CHECK(ctf_trace_add_event(t, 0, 5, d) == -EEXIST, "id reused");
	CHECK(ctf_trace_add_event(t, 1, 6, d) == -ENOENT, "unknown stream class");
	CHECK(ctf_trace_close(t) == 0, "close");
	rt_desc_free(d);
	char cmd[8300];
	snprintf(cmd, sizeof cmd, "babeltrace2 --output-format=ctf-metadata '%s' > '%s.txt' 2>&1", dir, dir);
	int rc = system(cmd);
	CHECK(rc == 0, "babeltrace2 rejects the metadata of a nasty description (see %s.txt)", dir);
	snprintf(cmd, sizeof cmd, "babeltrace2 '%s' > /dev/null", dir);
	CHECK(system(cmd) == 0, "babeltrace2 cannot open the (empty) trace in %s", dir);
	snprintf(cmd, sizeof cmd, "%s/metadata", dir);
	FILE *f = fopen(cmd, "r");
	char text[16384] = "";
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	text[n] = 0;
	if (f)
		fclose(f);
	CHECK(strstr(text, "\"\\\"; } event { name = \\\"evil\" = -9223372036854775808 ... -1"),
	      "label not escaped as expected");
	CHECK(strstr(text, "name = \"nasty:ev\";") && strstr(text, "id = 5;"), "event block");
}

int main(int argc, char **argv)
{
	const char *tmp = argc > 1 ? argv[1] : "/tmp";
	for (size_t i = 0; i < sizeof all_descs / sizeof all_descs[0]; i++) {
		round_trip(all_descs[i]);
		mutate(all_descs[i], 20000);
	}
	crafted();
	metadata(tmp);
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("PASS: desc_wire round trips, %zu x 20000 mutations, crafted defects refused\n",
	       sizeof all_descs / sizeof all_descs[0]);
	return 0;
}
