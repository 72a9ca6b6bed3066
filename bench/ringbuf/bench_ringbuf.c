/* SPDX-License-Identifier: MIT */
/*
 * bench-ringbuf: what one record costs the writer, for three commit schemes
 * over the same buffer layout, measured side by side in one run.
 *
 *   rseq     the real rt_write() on an RT_MODE_RSEQ set (copy-and-commit)
 *   locked   the real rt_write() on an RT_MODE_LOCKED set, which is
 *            rt_write_locked(): robust process-shared mutex per CPU buffer
 *   cas      LTTng-UST's scheme re-implemented in cas_xadd.h: lock cmpxchg
 *            reserve, in-place write, lock xadd per-sub-buffer commit count
 *
 * Clock columns: "mono" and "tsc" are sets created with that clock, so the
 * real write path reads it once per record; "none" is the same path with
 * the per-record clock read removed: rseq and locked sets created with
 * RT_CLOCK_NONE (every timestamp 0), cas_write with CAS_CLOCK_NONE on a TSC
 * set (its packet timestamps still read the TSC).
 *
 * A figure is ns per record as one writer thread sees it: the thread's own
 * elapsed time over its records, averaged over the threads of the run, and
 * the median over the repetitions. Variants alternate inside each
 * repetition, so drift hits all of them alike.
 *
 * Consumer: none runs while a writer is timed. Each set holds every record
 * of a run with no wrap and no drop (checked), and is drained between runs,
 * untimed, with rt_flush + rt_read_next/rt_read_release, which also checks
 * that every record written was committed and read back, and that nothing
 * was counted lost. The figures are of the write path alone (including the
 * sub-buffer switches it does), not of writer/consumer interference.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "cas_xadd.h"
#include "ringbuf/ringbuf.h"

enum scheme { S_RSEQ, S_LOCKED, S_CAS, NR_SCHEMES };
enum column { K_NONE, K_TSC, K_MONO, NR_COLUMNS };

static const char *const scheme_name[NR_SCHEMES] = { "rseq", "locked", "cas+xadd" };
static const char *const column_name[NR_COLUMNS] = { "none", "tsc", "mono" };
/* Targets for rseq / cas+xadd, per clock column (issue #2). */
static const double target_vs_cas[NR_COLUMNS] = { 0.30, 0.55, 0.75 };

#define MAX_REPS 101
#define MAX_SIZES 8
#define MAX_THREADS 8
#define MAX_RECORD 256

struct options {
	int reps;
	uint64_t records; /* per thread and run */
	uint32_t sizes[MAX_SIZES];
	int nr_sizes;
	int threads[MAX_THREADS];
	int nr_threads;
	uint32_t subbuf_size;
	uint32_t num_subbuf;
	int pin;
	int verbose;
};

/* The sets: one per scheme and set clock (TSC also serves "none"). */
struct sets {
	struct rt_bufset rseq[NR_COLUMNS], locked[NR_COLUMNS]; /* by clock column */
	struct cas_set cas[2];
};

static int set_index(enum column k)
{
	return k == K_MONO ? 1 : 0;
}

static struct rt_bufset *bufset_of(struct sets *s, enum scheme sch, enum column k)
{
	return sch == S_RSEQ ? &s->rseq[k] : sch == S_LOCKED ? &s->locked[k] : &s->cas[set_index(k)].bs;
}

/* ---- Timed loops: one per variant, the write inlined where it is inline. */

union record {
	struct rt_event_header h;
	uint64_t w[MAX_RECORD / 8];
};

typedef uint64_t loop_fn(void *set, union record *rec, uint64_t n, uint32_t len);

/*
 * Every variant is one out-of-line function per record, with its whole
 * write path inlined into it (flatten: rt_write, the clock read, the
 * sequence; what stays a call is what is a call in the library, such as
 * rt_write_locked, rt_switch and clock_gettime). So every scheme pays the
 * same one call per record, as a probe function per event would.
 */
#define WRITE_LOOP(name, settype, call)                                        \
	static __attribute__((noinline, flatten)) int                          \
	name##_one(settype *s, union record *rec, uint32_t len)                \
	{                                                                      \
		return call;                                                   \
	}                                                                      \
	static __attribute__((noinline)) uint64_t                              \
	name(void *set, union record *rec, uint64_t n, uint32_t len)           \
	{                                                                      \
		uint64_t failed = 0;                                           \
		for (uint64_t i = 0; i < n; i++)                               \
			failed += name##_one(set, rec, len) != RT_OK;          \
		return failed;                                                 \
	}

WRITE_LOOP(loop_rseq, struct rt_bufset, rt_write(s, rec, len))
WRITE_LOOP(loop_locked, struct rt_bufset, rt_write(s, rec, len))
WRITE_LOOP(loop_cas_none, struct cas_set, cas_write(s, rec, len, CAS_CLOCK_NONE))
WRITE_LOOP(loop_cas_tsc, struct cas_set, cas_write(s, rec, len, RT_CLOCK_TSC))
WRITE_LOOP(loop_cas_mono, struct cas_set, cas_write(s, rec, len, RT_CLOCK_MONOTONIC))

static loop_fn *const loops[NR_SCHEMES][NR_COLUMNS] = {
	[S_RSEQ] = { loop_rseq, loop_rseq, loop_rseq },
	[S_LOCKED] = { loop_locked, loop_locked, loop_locked },
	[S_CAS] = { loop_cas_none, loop_cas_tsc, loop_cas_mono },
};

static void *set_arg(struct sets *s, enum scheme sch, enum column k)
{
	if (sch == S_CAS)
		return &s->cas[set_index(k)];
	return bufset_of(s, sch, k);
}

/* ---- One run: T threads write n records each. --------------------------- */

struct worker {
	pthread_t tid;
	loop_fn *loop;
	void *set;
	uint64_t n;
	uint32_t len;
	int pin_cpu; /* -1: not pinned */
	pthread_barrier_t *start;
	double ns_per_record;
	uint64_t failed;
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (w->pin_cpu >= 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(w->pin_cpu, &one);
		pthread_setaffinity_np(pthread_self(), sizeof one, &one);
	}
	union record rec;
	for (uint32_t i = 0; i < MAX_RECORD / 8; i++)
		rec.w[i] = 0x5a5a5a5a00000000ull | i;
	/* The bench's marker: a record's id is its staged length. */
	rec.h = (struct rt_event_header){ .word = rt_eh_extended(w->len) };

	pthread_barrier_wait(w->start);
	double t0 = now_ns();
	w->failed = w->loop(w->set, &rec, w->n, w->len);
	double t1 = now_ns();
	w->ns_per_record = (t1 - t0) / (double)w->n;
	return NULL;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench-ringbuf: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Counts the records of one packet; each record's id is its length. */
static uint64_t count_records(const char *pkt, uint32_t len)
{
	uint64_t n = 0;
	for (uint32_t pos = RT_PACKET_HEADER_LEN; pos < len;) {
		/* The compact form (ringbuf/packet.h) is 8 bytes shorter. */
		uint32_t word, id, stored;
		memcpy(&word, pkt + pos, 4);
		id = (word & RT_EH_EXTENDED) == RT_EH_EXTENDED ? word >> RT_EH_ID_BITS
							       : (word & RT_EH_EXTENDED);
		stored = (word & RT_EH_EXTENDED) == RT_EH_EXTENDED ? id : id - RT_EH_COMPACT_SKIP;
		if (id < RT_MIN_RECORD || id % 8 || stored > len - pos)
			die("malformed record at byte %u of a packet (id %u)", pos, id);
		pos += stored;
		n++;
	}
	return n;
}

/* Untimed: closes the open packets and reads everything back. */
static uint64_t drain(struct rt_bufset *bs, struct cas_set *cas, void *pkt)
{
	char err[256];
	uint64_t records = 0;
	for (uint32_t cpu = 0; cpu < bs->nr_cpus; cpu++) {
		if (cas && cas_check_commits(cas, cpu, err, sizeof err))
			die("cas+xadd: %s", err);
		int r = rt_flush(bs, cpu);
		if (r < 0)
			die("rt_flush(cpu %u): %s", cpu, rt_strerror(r));
		uint32_t len;
		while ((r = rt_read_next(bs, cpu, pkt, &len)) == 1) {
			records += count_records(pkt, len);
			if (cas)
				cas_release(cas, cpu);
			rt_read_release(bs, cpu, pkt);
		}
		if (r < 0)
			die("rt_read_next(cpu %u): %s", cpu, rt_strerror(r));
		if (rt_lost_total(&bs->ctl[cpu]) != 0)
			die("cpu %u: records were counted lost; the sets are too small", cpu);
	}
	return records;
}

static double run_once(struct sets *s, const struct options *o, enum scheme sch,
		       enum column k, uint32_t len, int threads, void *pkt)
{
	struct worker w[MAX_THREADS];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, (unsigned)threads);
	int ncpu = rt_possible_cpus();
	for (int t = 0; t < threads; t++) {
		w[t] = (struct worker){
			.loop = loops[sch][k],
			.set = set_arg(s, sch, k),
			.n = o->records,
			.len = len,
			.pin_cpu = o->pin ? t % ncpu : -1,
			.start = &start,
		};
		int e = pthread_create(&w[t].tid, NULL, worker_main, &w[t]);
		if (e)
			die("pthread_create: %s", strerror(e));
	}
	double sum = 0;
	uint64_t failed = 0;
	for (int t = 0; t < threads; t++) {
		pthread_join(w[t].tid, NULL);
		sum += w[t].ns_per_record;
		failed += w[t].failed;
	}
	pthread_barrier_destroy(&start);
	if (failed)
		die("%s/%s: %llu writes failed", scheme_name[sch], column_name[k],
		    (unsigned long long)failed);

	struct rt_bufset *bs = bufset_of(s, sch, k);
	uint64_t read = drain(bs, sch == S_CAS ? set_arg(s, sch, k) : NULL, pkt);
	uint64_t written = o->records * (uint64_t)threads;
	if (read != written)
		die("%s/%s: wrote %llu records, read back %llu", scheme_name[sch],
		    column_name[k], (unsigned long long)written, (unsigned long long)read);
	return sum / threads;
}

/* ---- Set-up, options, report -------------------------------------------- */

static void prefault(struct rt_bufset *bs)
{
	/* Before any writer: touch every page so no run pays first faults. */
	memset(bs->data, 0, (size_t)bs->nr_cpus * bs->buf_size);
}

static void create_sets(struct sets *s, const struct options *o)
{
	static const enum rt_clock clocks[NR_COLUMNS] = {
		[K_NONE] = RT_CLOCK_NONE, [K_TSC] = RT_CLOCK_TSC, [K_MONO] = RT_CLOCK_MONOTONIC,
	};
	char err[256];
	for (int k = 0; k < NR_COLUMNS; k++) {
		struct rt_params p = {
			.subbuf_size = o->subbuf_size,
			.num_subbuf = o->num_subbuf,
			.mode = RT_MODE_RSEQ,
			.clock = clocks[k],
		};
		if (rt_bufset_create(&p, &s->rseq[k], err, sizeof err))
			die("rseq set: %s", err);
		p.mode = RT_MODE_LOCKED;
		if (rt_bufset_create(&p, &s->locked[k], err, sizeof err))
			die("locked set: %s", err);
		prefault(&s->rseq[k]);
		prefault(&s->locked[k]);
	}
	for (int i = 0; i < 2; i++) {
		enum rt_clock clock = i ? RT_CLOCK_MONOTONIC : RT_CLOCK_TSC;
		if (cas_set_create(&s->cas[i], o->subbuf_size, o->num_subbuf, clock, err, sizeof err))
			die("cas set: %s", err);
		prefault(&s->cas[i].bs);
	}
}

static void destroy_sets(struct sets *s)
{
	for (int k = 0; k < NR_COLUMNS; k++) {
		rt_bufset_unmap(&s->rseq[k]);
		rt_bufset_unmap(&s->locked[k]);
	}
	for (int i = 0; i < 2; i++)
		cas_set_destroy(&s->cas[i]);
}

static int parse_list(const char *arg, long lo, long hi, long *out, int max)
{
	int n = 0;
	for (const char *p = arg; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v < lo || v > hi || n == max)
			return -1;
		out[n++] = v;
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-ringbuf [-r REPS] [-n RECORDS] [-s SIZES] [-t THREADS] [--pin] [-v]\n"
		"  -r REPS      repetitions; the median is reported (default 11, at least 5)\n"
		"  -n RECORDS   records per thread and run (default 200000)\n"
		"  -s SIZES     record sizes in bytes, multiples of 8 >= 16 (default 16,64)\n"
		"  -t THREADS   writer thread counts (default 1,2)\n"
		"  --subbuf B   sub-buffer size (default 262144); the count is chosen so a\n"
		"               run never wraps\n"
		"  --pin        pin writer thread i to CPU i mod #CPUs (default: not pinned)\n"
		"  -v           print every repetition\n");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	*o = (struct options){
		.reps = 11, .records = 200000,
		.sizes = { 16, 64 }, .nr_sizes = 2,
		.threads = { 1, 2 }, .nr_threads = 2,
		.subbuf_size = 256 * 1024,
	};
	static const struct option longopts[] = {
		{ "pin", no_argument, NULL, 'p' },
		{ "subbuf", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	long v[MAX_SIZES];
	int c, n;
	while ((c = getopt_long(argc, argv, "r:n:s:t:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->reps = atoi(optarg);
			if (o->reps < 5 || o->reps > MAX_REPS)
				die("-r: between 5 and %d", MAX_REPS);
			break;
		case 'n':
			o->records = strtoull(optarg, NULL, 10);
			if (o->records < 1000)
				die("-n: at least 1000");
			break;
		case 's':
			n = parse_list(optarg, 16, MAX_RECORD, v, MAX_SIZES);
			if (n <= 0)
				die("-s: sizes between 16 and %d", MAX_RECORD);
			for (int i = 0; i < n; i++) {
				if (v[i] % 8)
					die("-s: %ld is not a multiple of 8", v[i]);
				o->sizes[i] = (uint32_t)v[i];
			}
			o->nr_sizes = n;
			break;
		case 't':
			n = parse_list(optarg, 1, MAX_THREADS, v, MAX_THREADS);
			if (n <= 0)
				die("-t: thread counts between 1 and %d", MAX_THREADS);
			for (int i = 0; i < n; i++)
				o->threads[i] = (int)v[i];
			o->nr_threads = n;
			break;
		case 'b':
			o->subbuf_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			o->pin = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}

	/* Room for every record of a run on one CPU (all threads may share
	 * one), plus packet headers and one partly used sub-buffer. */
	uint32_t max_size = 0, max_threads = 0;
	for (int i = 0; i < o->nr_sizes; i++)
		max_size = o->sizes[i] > max_size ? o->sizes[i] : max_size;
	for (int i = 0; i < o->nr_threads; i++)
		max_threads = (uint32_t)o->threads[i] > max_threads ? (uint32_t)o->threads[i] : max_threads;
	uint64_t per_sub = (o->subbuf_size - RT_PACKET_HEADER_LEN - 8) / max_size;
	if (o->subbuf_size < 4096 || per_sub == 0)
		die("--subbuf: too small");
	uint64_t subs = o->records * max_threads / per_sub + 3;
	uint32_t num = 2;
	while (num < subs)
		num *= 2;
	if (num > RT_MAX_NUM_SUBBUF)
		die("-n %llu needs more than %u sub-buffers of %u bytes; use --subbuf",
		    (unsigned long long)o->records, RT_MAX_NUM_SUBBUF, o->subbuf_size);
	o->num_subbuf = num;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double tmp[MAX_REPS];
	memcpy(tmp, v, sizeof *v * (size_t)n);
	qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static void print_header(const struct options *o)
{
	struct utsname u;
	uname(&u);
	char model[128] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof line, f)) {
			char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon) {
				snprintf(model, sizeof model, "%s", colon + 2);
				model[strcspn(model, "\n")] = 0;
				break;
			}
		}
		fclose(f);
	}
	printf("bench-ringbuf: ns per record per writer thread, median of %d runs\n", o->reps);
	printf("  %s, %d CPUs, kernel %s, glibc rseq size %u\n", model, rt_possible_cpus(),
	       u.release, __rseq_size);
	printf("  %llu records per thread and run; sets of %u x %u KiB per CPU; writers %s\n",
	       (unsigned long long)o->records, o->num_subbuf, o->subbuf_size / 1024,
	       o->pin ? "pinned" : "not pinned");
	printf("  consumer: none while timing; every run is drained and checked after it\n");
	printf("  clock: none = no per-record clock read, tsc = rdtsc, mono = CLOCK_MONOTONIC (vDSO)\n\n");
}

int main(int argc, char **argv)
{
	struct options o;
	parse_options(argc, argv, &o);
	if (!rt_rseq_usable())
		die("rseq is not usable in this process (glibc rseq size %u); the rseq "
		    "variant cannot run", __rseq_size);

	static double samples[MAX_SIZES][MAX_THREADS][NR_COLUMNS][NR_SCHEMES][MAX_REPS];
	struct sets s;
	create_sets(&s, &o);
	void *pkt = malloc(o.subbuf_size);
	if (!pkt)
		die("out of memory");
	print_header(&o);

	/* One untimed pass over everything first (code, TLBs, thread stacks). */
	for (int rep = -1; rep < o.reps; rep++) {
		for (int si = 0; si < o.nr_sizes; si++)
			for (int ti = 0; ti < o.nr_threads; ti++)
				for (int k = 0; k < NR_COLUMNS; k++)
					for (int sch = 0; sch < NR_SCHEMES; sch++) {
						double ns = run_once(&s, &o, sch, k, o.sizes[si],
								     o.threads[ti], pkt);
						if (rep >= 0)
							samples[si][ti][k][sch][rep] = ns;
					}
	}

	printf("record thr clock |   rseq  locked cas+xadd | rseq/cas rseq/locked | target rseq/cas\n");
	printf("------ --- ----- | ------- ------- ------- | -------- ----------- | ---------------\n");
	int missed = 0;
	for (int si = 0; si < o.nr_sizes; si++)
		for (int ti = 0; ti < o.nr_threads; ti++)
			for (int k = 0; k < NR_COLUMNS; k++) {
				double m[NR_SCHEMES];
				for (int sch = 0; sch < NR_SCHEMES; sch++)
					m[sch] = median(samples[si][ti][k][sch], o.reps);
				double r_cas = m[S_RSEQ] / m[S_CAS], r_lock = m[S_RSEQ] / m[S_LOCKED];
				int ok = r_cas <= target_vs_cas[k];
				missed += !ok;
				printf("%4u B %3d %-5s | %7.1f %7.1f %7.1f | %8.2f %11.2f | <= %.2f %s\n",
				       o.sizes[si], o.threads[ti], column_name[k], m[S_RSEQ],
				       m[S_LOCKED], m[S_CAS], r_cas, r_lock, target_vs_cas[k],
				       ok ? "ok" : "MISSED");
			}

	if (o.verbose) {
		printf("\nall runs (ns/record):\n");
		for (int si = 0; si < o.nr_sizes; si++)
			for (int ti = 0; ti < o.nr_threads; ti++)
				for (int k = 0; k < NR_COLUMNS; k++)
					for (int sch = 0; sch < NR_SCHEMES; sch++) {
						printf("%4u B %d %-5s %-8s", o.sizes[si], o.threads[ti],
						       column_name[k], scheme_name[sch]);
						for (int rep = 0; rep < o.reps; rep++)
							printf(" %.1f", samples[si][ti][k][sch][rep]);
						printf("\n");
					}
	}
	printf("\n%s\n", missed ? "some rseq/cas targets were MISSED" : "all rseq/cas targets met");
	free(pkt);
	destroy_sets(&s);
	return 0;
}
