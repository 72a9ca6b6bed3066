/* SPDX-License-Identifier: MIT */
/*
 * Oracle stress test of the ring buffer, in one process.
 *
 * T writer threads each emit N self-checking records (oracle.h) with
 * rt_write; odd threads hop CPUs with sched_setaffinity; a per-thread timer
 * signal writes records of its own on top of whatever its thread was doing,
 * rt_write included. A reader thread drains concurrently. At the end:
 * join, drain, flush every CPU, drain again, then check
 *
 *   - every record intact, each (stream, seq) read at most once, and the
 *     set read is exactly the set rt_write returned RT_OK for;
 *   - per CPU: packets consecutive, timestamps never go back and lie in
 *     their packet's [timestamp_begin, timestamp_end];
 *   - emitted = read + lost exactly, where lost is the lost counters, the
 *     last packet's events_discarded per CPU, and the writers' own tally
 *     of the statuses rt_write returned, cause by cause.
 *
 * --index cid: the set is indexed by the threads' rseq mm_cid, starts with
 * one buffer and grows as writers ask (a grower thread plays the listener
 * and the daemon: eventfd, rt_bufset_grow); the records that found no
 * buffer yet are counted (RT_E_NOBUF, lost_nobuf) like any other loss.
 *
 * Emitted counts are per thread and per context (thread / handler), so no
 * counter has two writers and the handler needs no atomics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "oracle.h"

#define STACK_REC 4096u /* the largest record built on the stack */
#define NSTATUS 9       /* -RT_E_NOBUF + 1 */

struct counts {
	uint64_t emitted;
	uint64_t status[NSTATUS]; /* by -status */
	uint64_t big_made;        /* records built larger than rt_max_record */
};

struct writer {
	pthread_t thread;
	uint32_t id;
	int hop;
	struct counts main;  /* the thread's own writes */
	struct counts sig;   /* its signal handler's writes */
	uint64_t signals, signals_in_write, hops;
	volatile sig_atomic_t in_write;
	volatile int done;
} __attribute__((aligned(128)));

static struct {
	uint32_t threads;
	uint64_t records;
	uint32_t subbuf, nsub;
	enum rt_mode mode;
	int expect_mode; /* 0: any */
	enum { LOSS_ANY, LOSS_ZERO, LOSS_SOME } expect_loss;
	uint32_t timer_us;
	uint32_t hop_every;
	enum rt_clock clock;
	uint32_t big_every, max_every;
	uint64_t handler_cap;
	int timeout;
	int require_nested;
	int stall_lock_ms; /* locked mode: hold CPU 0's lock this long, repeatedly */
	enum rt_index index;
} opt = {
	.threads = 16,
	.records = 20000,
	.subbuf = 1u << 20,
	.nsub = 8,
	.timer_us = 300,
	.hop_every = 5,
	.handler_cap = 50000,
	.timeout = 50,
};

static struct rt_bufset bs;
static struct writer *writers;
static struct seqmap okmap; /* (stream, seq) for which rt_write returned RT_OK */
static cpu_set_t allowed;
static int nr_allowed;
static volatile int writers_done, all_done;
static __thread __attribute__((tls_model("initial-exec"))) struct writer *self;

static uint32_t rec_len(uint32_t stream, uint64_t seq, struct counts *c)
{
	uint32_t max = rt_max_record(&bs);
	if (opt.big_every && seq % opt.big_every == opt.big_every - 1 && max + 8 <= STACK_REC) {
		c->big_made++;
		return max + 8;
	}
	if (opt.max_every && seq % opt.max_every == 0 && max <= STACK_REC)
		return max;
	uint32_t len = REC_FIXED + 8 * (uint32_t)((seq * 7 + stream) % 13);
	return len < max ? len : max & ~7u;
}

/* Builds, writes and accounts one record. Async-signal-safe. */
static void emit(struct counts *c, uint32_t stream, struct writer *w)
{
	uint64_t buf[STACK_REC / 8];
	uint64_t seq = c->emitted;
	uint32_t len = rec_len(stream, seq, c);
	rec_build(buf, stream, seq, len);
	w->in_write = 1;
	int r = rt_write(&bs, buf, len);
	w->in_write = 0;
	c->emitted++;
	if (r > 0 || -r >= NSTATUS)
		r = -(NSTATUS - 1);
	c->status[-r]++;
	if (r == RT_OK)
		seqmap_set(&okmap, stream, seq);
}

static void on_timer(int sig)
{
	(void)sig;
	int saved = errno;
	struct writer *w = self;
	if (w && !w->done) {
		sig_atomic_t interrupted_write = w->in_write;
		w->signals++;
		w->signals_in_write += interrupted_write != 0;
		if (w->sig.emitted < opt.handler_cap)
			emit(&w->sig, opt.threads + w->id, w);
		w->in_write = interrupted_write;
	}
	errno = saved;
}

static void hop(struct writer *w, uint64_t i)
{
	cpu_set_t set;
	uint64_t k = i / opt.hop_every + w->id;
	if (k % 4 == 3) {
		set = allowed; /* now and then: let the scheduler choose */
	} else {
		int nth = (int)(k % (uint64_t)nr_allowed);
		CPU_ZERO(&set);
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &allowed) && nth-- == 0) {
				CPU_SET(c, &set);
				break;
			}
	}
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		die("sched_setaffinity: %s", strerror(errno));
	w->hops++;
}

static timer_t start_timer(void)
{
	timer_t t;
	struct sigevent sev = {0};
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t) != 0)
		die("timer_create: %s", strerror(errno));
	/* Stagger the threads so their signals do not arrive together. */
	long first = opt.timer_us * 1000L + (long)self->id * 7919;
	struct itimerspec its = {
		.it_interval = {0, opt.timer_us * 1000L},
		.it_value = {first / 1000000000L, first % 1000000000L},
	};
	if (timer_settime(t, 0, &its, NULL) != 0)
		die("timer_settime: %s", strerror(errno));
	return t;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	self = w;
	timer_t t = 0;
	if (opt.timer_us)
		t = start_timer();
	for (uint64_t i = 0; i < opt.records; i++) {
		if (w->hop && i % opt.hop_every == 0)
			hop(w, i);
		emit(&w->main, w->id, w);
	}
	if (opt.timer_us)
		timer_delete(t);
	w->done = 1;
	return NULL;
}

static struct oracle orc;

static void *reader_main(void *arg)
{
	(void)arg;
	while (!writers_done) {
		uint64_t n = 0;
		for (uint32_t cpu = 0; cpu < bs.nr_cpus; cpu++)
			n += oracle_drain(&orc, cpu);
		if (n == 0)
			usleep(200);
	}
	oracle_final(&orc);
	return NULL;
}

/* Holds CPU 0's lock once, longer than a writer waits for it, so that
 * writers on CPU 0 drop by design (bounded wait) while the buffer never
 * fills. The writers start once it holds the lock. */
static volatile int stall_held;

static void *staller_main(void *arg)
{
	(void)arg;
	if (rt_lock_cpu(&bs, 0) != 0)
		die("rt_lock_cpu failed");
	stall_held = 1;
	usleep((useconds_t)opt.stall_lock_ms * 1000);
	rt_unlock_cpu(&bs, 0);
	return NULL;
}

static void *watchdog_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < opt.timeout * 10 && !all_done; i++)
		usleep(100000);
	if (all_done)
		return NULL;
	fprintf(stderr, "FATAL: no end after %d s (a writer or the reader is stuck)\n", opt.timeout);
	for (uint32_t i = 0; i < opt.threads; i++)
		fprintf(stderr, "  writer %u: %llu emitted, %llu by handler, in_write %d, done %d\n", i,
			(unsigned long long)writers[i].main.emitted,
			(unsigned long long)writers[i].sig.emitted, (int)writers[i].in_write,
			writers[i].done);
	fprintf(stderr, "  reader: %llu records, %llu packets, writers_done %d\n",
		(unsigned long long)orc.records, (unsigned long long)orc.packets, writers_done);
	_exit(3);
}

/* The listener's and the daemon's part for an mm_cid set: grows it to the
 * buffers its writers want, as they ask (eventfd), until the end. */
static int grow_efd = -1;
static uint64_t grows;

static void *grower_main(void *arg)
{
	(void)arg;
	while (!writers_done) {
		uint64_t n;
		if (read(grow_efd, &n, sizeof n) < 0) {
			usleep(200);
			continue;
		}
		char err[200];
		if (rt_bufset_grow(&bs, __atomic_load_n(&bs.want, __ATOMIC_RELAXED), err,
				   sizeof err) != RT_OK)
			die("rt_bufset_grow: %s", err);
		grows++;
	}
	return NULL;
}

static const char *mode_name(int m)
{
	return m == RT_MODE_RSEQ ? "rseq" : m == RT_MODE_LOCKED ? "locked" : m == 0 ? "auto" : "?";
}

static int parse_mode(const char *s)
{
	if (!strcmp(s, "auto") || !strcmp(s, "any"))
		return RT_MODE_AUTO;
	if (!strcmp(s, "rseq"))
		return RT_MODE_RSEQ;
	if (!strcmp(s, "locked"))
		return RT_MODE_LOCKED;
	die("bad mode %s", s);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rb_stress [--threads T] [--records N] [--subbuf B] [--nsub K]\n"
		"  [--mode auto|rseq|locked] [--expect-mode any|rseq|locked]\n"
		"  [--expect-loss any|zero|some] [--timer-us U] [--hop-every H]\n"
		"  [--clock mono|tsc] [--big-every B] [--max-every M] [--handler-cap C]\n"
		"  [--timeout S] [--require-nested] [--stall-lock-ms MS] [--index cpu|cid]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{"threads", 1, 0, 't'}, {"records", 1, 0, 'n'}, {"subbuf", 1, 0, 's'},
		{"nsub", 1, 0, 'k'}, {"mode", 1, 0, 'm'}, {"expect-mode", 1, 0, 'M'},
		{"expect-loss", 1, 0, 'L'}, {"timer-us", 1, 0, 'T'}, {"hop-every", 1, 0, 'H'},
		{"clock", 1, 0, 'c'}, {"big-every", 1, 0, 'b'}, {"max-every", 1, 0, 'x'},
		{"handler-cap", 1, 0, 'C'}, {"timeout", 1, 0, 'w'}, {"require-nested", 0, 0, 'R'},
		{"stall-lock-ms", 1, 0, 'S'}, {"index", 1, 0, 'I'},
		{0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't': opt.threads = (uint32_t)atoi(optarg); break;
		case 'n': opt.records = strtoull(optarg, NULL, 0); break;
		case 's': opt.subbuf = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'k': opt.nsub = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm': opt.mode = parse_mode(optarg); break;
		case 'M': opt.expect_mode = parse_mode(optarg); break;
		case 'L':
			opt.expect_loss = !strcmp(optarg, "zero") ? LOSS_ZERO
					  : !strcmp(optarg, "some") ? LOSS_SOME
								    : LOSS_ANY;
			break;
		case 'T': opt.timer_us = (uint32_t)atoi(optarg); break;
		case 'H': opt.hop_every = (uint32_t)atoi(optarg); break;
		case 'c': opt.clock = !strcmp(optarg, "tsc") ? RT_CLOCK_TSC : RT_CLOCK_MONOTONIC; break;
		case 'b': opt.big_every = (uint32_t)atoi(optarg); break;
		case 'x': opt.max_every = (uint32_t)atoi(optarg); break;
		case 'C': opt.handler_cap = strtoull(optarg, NULL, 0); break;
		case 'w': opt.timeout = atoi(optarg); break;
		case 'R': opt.require_nested = 1; break;
		case 'S': opt.stall_lock_ms = atoi(optarg); break;
		case 'I': opt.index = !strcmp(optarg, "cid") ? RT_INDEX_CID : RT_INDEX_CPU; break;
		default: usage();
		}
	}
	if (optind != argc || opt.threads == 0 || opt.hop_every == 0)
		usage();
}

static void sum_counts(struct counts *t, const struct counts *c)
{
	t->emitted += c->emitted;
	t->big_made += c->big_made;
	for (int i = 0; i < NSTATUS; i++)
		t->status[i] += c->status[i];
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv);
	if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
		die("sched_getaffinity: %s", strerror(errno));
	nr_allowed = CPU_COUNT(&allowed);

	char err[256] = "";
	struct rt_params p = {
		.subbuf_size = opt.subbuf, .num_subbuf = opt.nsub, .mode = opt.mode,
		.clock = opt.clock, .stream_id = 3,
		.uuid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		.index = opt.index, .nr_ready = 1,
	};
	if (opt.index == RT_INDEX_CID && !rt_cid_usable())
		die("--index cid: this kernel does not fill rseq mm_cid (or RSEQTRACE_CID=0)");
	int r = rt_bufset_create(&p, &bs, err, sizeof err);
	if (r != RT_OK)
		die("rt_bufset_create: %s (%s)", rt_strerror(r), err);
	pthread_t grower;
	if (opt.index == RT_INDEX_CID) {
		grow_efd = eventfd(0, EFD_CLOEXEC);
		if (grow_efd < 0)
			die("eventfd: %s", strerror(errno));
		bs.grow_fd = grow_efd;
		pthread_create(&grower, NULL, grower_main, NULL);
	}
	printf("mode %s (asked %s, rseq usable here: %d, RSEQTRACE_LOCKED=%s), %u CPUs, "
	       "%u x %u B per CPU, %u threads x %llu records, timer %u us, clock %s\n",
	       mode_name((int)bs.mode), mode_name(opt.mode), rt_rseq_usable(),
	       getenv("RSEQTRACE_LOCKED") ? getenv("RSEQTRACE_LOCKED") : "unset", bs.nr_cpus,
	       opt.nsub, opt.subbuf, opt.threads, (unsigned long long)opt.records, opt.timer_us,
	       opt.clock == RT_CLOCK_TSC ? "tsc" : "monotonic");
	if (opt.expect_mode && (int)bs.mode != opt.expect_mode)
		die("the set is in %s mode, expected %s", mode_name((int)bs.mode),
		    mode_name(opt.expect_mode));
	if (bs.mode == RT_MODE_RSEQ && !rt_rseq_usable())
		die("rseq mode chosen but rseq is not usable in this thread");

	uint32_t nr_streams = 2 * opt.threads;
	uint64_t max_seq = opt.records > opt.handler_cap ? opt.records : opt.handler_cap;
	void *okmem = malloc(seqmap_bytes(nr_streams, max_seq));
	if (!okmem || oracle_init(&orc, &bs, nr_streams, max_seq) != 0)
		die("out of memory");
	seqmap_init(&okmap, nr_streams, max_seq, okmem);

	struct sigaction sa = {0};
	sa.sa_handler = on_timer;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) != 0)
		die("sigaction: %s", strerror(errno));

	writers = aligned_alloc(128, sizeof *writers * opt.threads);
	if (!writers)
		die("out of memory");
	memset(writers, 0, sizeof *writers * opt.threads);
	pthread_t reader, watchdog, staller;
	pthread_create(&watchdog, NULL, watchdog_main, NULL);
	pthread_create(&reader, NULL, reader_main, NULL);
	if (opt.stall_lock_ms) {
		if (bs.mode != RT_MODE_LOCKED)
			die("--stall-lock-ms needs a locked-mode set");
		pthread_create(&staller, NULL, staller_main, NULL);
		while (!stall_held)
			usleep(1000);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < opt.threads; i++) {
		writers[i].id = i;
		writers[i].hop = i % 2 == 1;
		if (pthread_create(&writers[i].thread, NULL, writer_main, &writers[i]) != 0)
			die("pthread_create failed");
	}
	for (uint32_t i = 0; i < opt.threads; i++)
		pthread_join(writers[i].thread, NULL);
	writers_done = 1;
	if (opt.index == RT_INDEX_CID) {
		uint64_t one = 1;
		if (write(grow_efd, &one, sizeof one) != sizeof one) /* wakes the grower */
			die("eventfd: %s", strerror(errno));
		pthread_join(grower, NULL);
	}
	if (opt.stall_lock_ms)
		pthread_join(staller, NULL);
	pthread_join(reader, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	all_done = 1;
	pthread_join(watchdog, NULL);

	struct loss loss;
	oracle_losses(&orc, &loss);

	struct counts tot = {0};
	uint64_t signals = 0, nested = 0, hops = 0;
	for (uint32_t i = 0; i < opt.threads; i++) {
		sum_counts(&tot, &writers[i].main);
		sum_counts(&tot, &writers[i].sig);
		signals += writers[i].signals;
		nested += writers[i].signals_in_write;
		hops += writers[i].hops;
	}
	uint64_t ok = tot.status[0], full = tot.status[-RT_E_FULL];
	uint64_t big = tot.status[-RT_E_BIG], abrt = tot.status[-RT_E_ABORT];
	uint64_t nobuf = tot.status[-RT_E_NOBUF];
	uint64_t other = tot.emitted - ok - full - big - abrt - nobuf;

	printf("%.2f s: emitted %llu (%llu by signal handlers), read %llu in %llu packets\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)tot.emitted,
	       (unsigned long long)(tot.emitted - opt.threads * opt.records),
	       (unsigned long long)orc.records, (unsigned long long)orc.packets);
	printf("lost: counters full %llu big %llu abort %llu; writers saw full %llu big %llu "
	       "abort %llu other %llu\n",
	       (unsigned long long)loss.full, (unsigned long long)loss.big,
	       (unsigned long long)loss.abort, (unsigned long long)full, (unsigned long long)big,
	       (unsigned long long)abrt, (unsigned long long)other);
	printf("signals %llu (%llu landed inside rt_write), CPU hops %llu\n",
	       (unsigned long long)signals, (unsigned long long)nested, (unsigned long long)hops);
	if (opt.index == RT_INDEX_CID)
		printf("indexed by mm_cid: %u of %u buffers after %llu growths, no buffer yet: "
		       "counted %llu, writers saw %llu\n", bs.nr_cpus, bs.nr_max,
		       (unsigned long long)grows, (unsigned long long)loss.nobuf,
		       (unsigned long long)nobuf);
	CHECK(&orc, loss.nobuf == nobuf, "lost_nobuf %llu, writers saw RT_E_NOBUF %llu times",
	      (unsigned long long)loss.nobuf, (unsigned long long)nobuf);

	CHECK(&orc, other == 0, "%llu writes returned an unexpected status",
	      (unsigned long long)other);
	CHECK(&orc, orc.records == ok, "read %llu records, rt_write returned RT_OK %llu times",
	      (unsigned long long)orc.records, (unsigned long long)ok);
	CHECK(&orc, loss.full == full && loss.big == big && loss.abort == abrt,
	      "lost counters (full %llu big %llu abort %llu) differ from the statuses writers saw",
	      (unsigned long long)loss.full, (unsigned long long)loss.big,
	      (unsigned long long)loss.abort);
	CHECK(&orc, tot.emitted == orc.records + loss.total,
	      "emitted %llu != read %llu + lost %llu", (unsigned long long)tot.emitted,
	      (unsigned long long)orc.records, (unsigned long long)loss.total);
	CHECK(&orc, big == tot.big_made, "%llu oversized records built, %llu refused as too big",
	      (unsigned long long)tot.big_made, (unsigned long long)big);
	uint64_t diff = 0;
	for (uint32_t s = 0; s < nr_streams; s++)
		for (uint64_t q = 0; q < max_seq; q++)
			if (seqmap_get(&okmap, s, q) != seqmap_get(&orc.seen, s, q) && diff++ < 5)
				oracle_error(&orc, "(stream %u, seq %llu): written OK %d, read %d", s,
					     (unsigned long long)q, seqmap_get(&okmap, s, q),
					     seqmap_get(&orc.seen, s, q));
	if (opt.expect_loss == LOSS_ZERO) {
		/* "zero" means the buffer never fills and no record is refused:
		 * nothing is lost to full or big. What the design does drop is
		 * counted under abort, and the checks above already hold it to
		 * what the writers saw: in rseq mode a write that aborted on
		 * every bounded retry; in locked mode also a handler that finds
		 * its own thread holding the lock, and a writer that waited its
		 * bounded time for a lock (a loaded machine, valgrind). */
		CHECK(&orc, loss.full == 0 && loss.big == 0,
		      "expected no loss to full or big, lost full %llu big %llu (abort %llu)",
		      (unsigned long long)loss.full, (unsigned long long)loss.big,
		      (unsigned long long)loss.abort);
		if (bs.mode == RT_MODE_RSEQ)
			CHECK(&orc, loss.abort <= tot.emitted / 1000,
			      "rseq mode: %llu of %llu writes aborted on every retry",
			      (unsigned long long)loss.abort, (unsigned long long)tot.emitted);
	}
	if (opt.stall_lock_ms)
		CHECK(&orc, loss.abort > 0, "no writer gave up waiting for the stalled lock");
	if (opt.expect_loss == LOSS_SOME)
		CHECK(&orc, loss.full > 0, "expected the buffer to overflow, nothing lost to full");
	if (opt.timer_us)
		CHECK(&orc, signals > 0, "no timer signal was handled");
	if (opt.require_nested)
		CHECK(&orc, nested > 0, "no signal landed inside rt_write");
	for (uint32_t cpu = 0; cpu < bs.nr_cpus; cpu++)
		printf("cpu %u: %llu packets, %llu records, events_discarded %llu\n", cpu,
		       (unsigned long long)orc.cpu[cpu].packets,
		       (unsigned long long)orc.cpu[cpu].records,
		       (unsigned long long)orc.cpu[cpu].last_discarded);

	if (orc.errors) {
		printf("FAIL: %llu errors; first: %s\n", (unsigned long long)orc.errors,
		       orc.first_error);
		return 1;
	}
	printf("PASS\n");
	oracle_fini(&orc);
	free(okmem);
	free(writers);
	rt_bufset_unmap(&bs);
	return 0;
}
