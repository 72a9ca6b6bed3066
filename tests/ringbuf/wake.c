/* SPDX-License-Identifier: MIT */
/*
 * Writer wake-ups (ringbuf.h, layout.h invariant I5). One case per run:
 *
 *   protocol   one thread, pinned: a sleeping consumer gets no wake-up
 *              while less than half a CPU's buffer is closed, exactly one
 *              when the close that reaches half commits, none for the
 *              closes after it; rt_reader_sleep reports ready data instead
 *              of sleeping; an awake consumer gets none; errno survives
 *   nonblock   the writers' end with O_NONBLOCK cleared (any process that
 *              holds a descriptor can do that) and the consumer's queue
 *              full: a write that wakes must still return (alarm = fail);
 *              the consumer's end gone: no SIGPIPE, errno unchanged
 *   race       writers in bursts on every CPU against a consumer that sleeps
 *              whenever nothing is ready, 1 ms at a time: after a sleep that
 *              ended with a CPU ready and nobody waking it, the writers are
 *              held out of rt_write and, if the flag is still set with a
 *              CPU ready, a wake-up was lost; and never more wake-ups than
 *              sleeps
 *
 * Mode: --mode rseq|locked (default rseq; locked writers take the same
 * close path under the lock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ringbuf/ringbuf.h"
#include "expect.h"

static enum rt_mode mode = RT_MODE_RSEQ;

struct rec {
	struct rt_event_header h;
	uint64_t value;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void create(struct rt_bufset *bs, uint32_t subbuf, uint32_t nsub, int *rx)
{
	struct rt_params p = { .subbuf_size = subbuf, .num_subbuf = nsub, .mode = mode,
			       .clock = RT_CLOCK_MONOTONIC };
	char err[256] = "";
	if (rt_bufset_create(&p, bs, err, sizeof err) != RT_OK) {
		printf("FAIL: rt_bufset_create: %s\n", err);
		exit(1);
	}
	if (rt_wake_pair(rx, &bs->wake_fd) != RT_OK) {
		printf("FAIL: rt_wake_pair: %s\n", strerror(errno));
		exit(1);
	}
}

static void pin(uint32_t cpu)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) != 0) {
		printf("FAIL: cannot run on CPU %u: %s\n", cpu, strerror(errno));
		exit(1);
	}
	for (int i = 0; i < 1000 && sched_getcpu() != (int)cpu; i++)
		sched_yield();
}

static int write_one(struct rt_bufset *bs, uint64_t v)
{
	struct rec r = { .h = { .word = rt_eh_extended(1) }, .value = v };
	return rt_write(bs, &r, sizeof r);
}

/* Closed, unreleased bytes of cpu as the consumer counts them. */
static uint64_t closed_bytes(const struct rt_bufset *bs, uint32_t cpu)
{
	struct rt_cpu_stats st;
	rt_cpu_stats(bs, cpu, &st);
	return (st.offset & ~(bs->subbuf_size - 1)) - st.consumed;
}

/* Writes until cpu's closed bytes reach `target`; returns the count. */
static uint64_t write_until_closed(struct rt_bufset *bs, uint32_t cpu, uint64_t target)
{
	uint64_t n = 0;
	while (closed_bytes(bs, cpu) < target && n < 10000000) {
		int r = write_one(bs, n++);
		if (r != RT_OK) {
			printf("FAIL: write: %s\n", rt_strerror(r));
			exit(1);
		}
	}
	return n;
}

static int pending(int rx)
{
	struct pollfd p = { .fd = rx, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

static void drain(struct rt_bufset *bs, void *pkt)
{
	uint32_t len;
	for (uint32_t c = 0; c < bs->nr_cpus; c++)
		while (rt_read_next(bs, c, pkt, &len) == 1)
			rt_read_release(bs, c, pkt);
}

/* At most max packets per CPU. */
static void drain_some(struct rt_bufset *bs, void *pkt, uint32_t max)
{
	uint32_t len;
	for (uint32_t c = 0; c < bs->nr_cpus; c++)
		for (uint32_t k = 0; k < max && rt_read_next(bs, c, pkt, &len) == 1; k++)
			rt_read_release(bs, c, pkt);
}

static void case_protocol(void)
{
	struct rt_bufset bs;
	int rx;
	create(&bs, 4096, 8, &rx);
	void *pkt = malloc(bs.subbuf_size);
	pin(0);
	uint64_t half = rt_wake_threshold(&bs);

	EXPECT(rt_reader_sleep(&bs) == 0, "an empty set is not ready");
	EXPECT(bs.hdr->reader_asleep == 1, "the flag is set while asleep");
	write_until_closed(&bs, 0, half - bs.subbuf_size);
	EXPECT(!pending(rx), "woken before half a buffer was closed");
	EXPECT(bs.hdr->reader_asleep == 1, "a writer cleared the flag below the threshold");

	/* The close that reaches half wakes; errno is the application's. */
	errno = 4242;
	write_until_closed(&bs, 0, half);
	EXPECT(errno == 4242, "errno changed by a waking write: %d", errno);
	EXPECT(pending(rx), "no wake-up at half a buffer");
	EXPECT(bs.hdr->reader_asleep == 0, "the waking writer left the flag set");
	EXPECT(rt_wake_clear(rx) == 1, "more than one wake-up for one sleep");
	write_until_closed(&bs, 0, bs.buf_size - bs.subbuf_size);
	EXPECT(!pending(rx), "woken again within one sleep");

	/* Ready data: the consumer must not sleep. */
	rt_reader_awake(&bs);
	EXPECT(rt_reader_sleep(&bs) == 1, "half a buffer closed, yet told to sleep");
	EXPECT(bs.hdr->reader_asleep == 0, "flag left set when not sleeping");

	/* Drained: asleep again; an awake consumer gets nothing. */
	drain(&bs, pkt);
	EXPECT(rt_reader_sleep(&bs) == 0, "drained set reported ready");
	rt_reader_awake(&bs);
	write_until_closed(&bs, 0, half + bs.subbuf_size);
	EXPECT(!pending(rx), "an awake consumer was woken");

	/* Asleep with data above the threshold already: the next close wakes. */
	drain(&bs, pkt);
	write_until_closed(&bs, 0, half - bs.subbuf_size);
	EXPECT(rt_reader_sleep(&bs) == 0, "below the threshold reported ready");
	write_until_closed(&bs, 0, half);
	EXPECT(rt_wake_clear(rx) == 1, "no wake-up after sleeping with data below the threshold");

	/* Consumer flush closes packets too, while awake: no self wake-up. */
	rt_reader_awake(&bs);
	EXPECT(rt_flush(&bs, 0) >= 0, "flush failed");
	EXPECT(!pending(rx), "the consumer's own flush woke it");
	free(pkt);
	close(rx);
	rt_bufset_unmap(&bs);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "FAIL: a waking write blocked\n";
	ssize_t w = write(1, m, sizeof m - 1);
	(void)w;
	_exit(1);
}

static void case_nonblock(void)
{
	struct rt_bufset bs;
	int rx;
	create(&bs, 4096, 4, &rx);
	void *pkt = malloc(bs.subbuf_size);
	pin(0);
	/* Someone holding the writers' end makes it blocking and fills the
	 * consumer's queue. */
	int flags = fcntl(bs.wake_fd, F_GETFL);
	EXPECT(fcntl(bs.wake_fd, F_SETFL, flags & ~O_NONBLOCK) == 0, "F_SETFL: %s", strerror(errno));
	int queued = 0;
	while (send(bs.wake_fd, "x", 1, MSG_DONTWAIT) == 1 && queued < 1000000)
		queued++;
	EXPECT(errno == EAGAIN, "filling the queue ended with %s", strerror(errno));
	signal(SIGALRM, on_alarm);
	alarm(10);
	EXPECT(rt_reader_sleep(&bs) == 0, "empty set ready");
	write_until_closed(&bs, 0, rt_wake_threshold(&bs));
	EXPECT(bs.hdr->reader_asleep == 0, "no writer tried to wake");
	alarm(0);
	int want = queued < 64 ? queued : 64;
	EXPECT(rt_wake_clear(rx) == want, "rt_wake_clear read other than %d", want);

	/* The consumer's end closed: the send fails, quietly. */
	close(rx);
	rt_reader_awake(&bs);
	drain(&bs, pkt);
	signal(SIGPIPE, SIG_DFL);
	EXPECT(rt_reader_sleep(&bs) == 0, "drained set ready");
	errno = 77;
	write_until_closed(&bs, 0, rt_wake_threshold(&bs));
	EXPECT(errno == 77, "errno changed by a failed wake-up: %d", errno);
	EXPECT(bs.hdr->reader_asleep == 0, "no writer tried to wake");
	printf("nonblock: %d wake-ups queued before EAGAIN; waking write returned\n", queued);
	free(pkt);
	rt_bufset_unmap(&bs);
}

/* ---- race -------------------------------------------------------------- */

#define WRITERS 4

struct race {
	struct rt_bufset bs;
	int rx;
	int stop;
	int hold;                /* the consumer wants every writer out of rt_write */
	int busy[WRITERS];       /* writer i is inside rt_write */
	uint64_t sleeps, wakeups, checks, lost, drains, written;
};

struct writer_arg {
	struct race *r;
	int i;
};

/* Bursts of up to a buffer's worth of records, then a pause of 0-2 ms, so
 * the consumer keeps falling asleep around packet closes and a lost
 * wake-up is not hidden by the next burst. Out of rt_write while the
 * consumer holds (a Dekker pair of its own: busy, fence, hold). */
static void *writer_main(void *arg)
{
	struct writer_arg *wa = arg;
	struct race *r = wa->r;
	unsigned seed = (unsigned)wa->i * 7919u + 1;
	uint64_t n = 0;
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		uint64_t burst = rand_r(&seed) % (r->bs.buf_size / sizeof(struct rec));
		for (uint64_t k = 0; k < burst; k++) {
			__atomic_store_n(&r->busy[wa->i], 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&r->hold, __ATOMIC_SEQ_CST)) {
				__atomic_store_n(&r->busy[wa->i], 0, __ATOMIC_SEQ_CST);
				while (__atomic_load_n(&r->hold, __ATOMIC_SEQ_CST))
					sched_yield();
				continue;
			}
			write_one(&r->bs, n++);
			__atomic_store_n(&r->busy[wa->i], 0, __ATOMIC_SEQ_CST);
		}
		struct timespec ts = { 0, (long)(rand_r(&seed) % 2000) * 1000 };
		nanosleep(&ts, NULL);
	}
	__atomic_fetch_add(&r->written, n, __ATOMIC_RELAXED);
	return NULL;
}

static int any_ready(const struct rt_bufset *bs)
{
	for (uint32_t c = 0; c < bs->nr_cpus; c++) {
		uint64_t cl = closed_bytes(bs, c);
		if (cl >= rt_wake_threshold(bs) && cl <= bs->buf_size)
			return 1;
	}
	return 0;
}

/* After a sleep that timed out with a CPU ready and the flag still set:
 * once no writer is inside rt_write (so none is between its close and its
 * look at the flag), the flag still set with a CPU ready is a wake-up
 * that was lost. */
static void check_lost(struct race *r)
{
	r->checks++;
	__atomic_store_n(&r->hold, 1, __ATOMIC_SEQ_CST);
	double give_up = now() + 10;
	for (int i = 0; i < WRITERS; i++)
		while (__atomic_load_n(&r->busy[i], __ATOMIC_SEQ_CST) && now() < give_up)
			sched_yield();
	EXPECT(now() < give_up, "a writer stayed inside rt_write for 10 s");
	if (__atomic_load_n(&r->bs.hdr->reader_asleep, __ATOMIC_SEQ_CST) && any_ready(&r->bs))
		r->lost++;
	__atomic_store_n(&r->hold, 0, __ATOMIC_SEQ_CST);
}

static void case_race(double seconds)
{
	static struct race r;
	create(&r.bs, 1024, 8, &r.rx);
	void *pkt = malloc(r.bs.subbuf_size);
	pthread_t w[WRITERS];
	struct writer_arg wa[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		wa[i] = (struct writer_arg){ &r, i };
		pthread_create(&w[i], NULL, writer_main, &wa[i]);
	}
	double end = now() + seconds;
	while (now() < end) {
		if (!rt_reader_sleep(&r.bs)) {
			r.sleeps++;
			struct pollfd p = { .fd = r.rx, .events = POLLIN };
			if (poll(&p, 1, 1) == 0 && r.bs.hdr->reader_asleep && any_ready(&r.bs))
				check_lost(&r);
		}
		rt_reader_awake(&r.bs);
		r.wakeups += (uint64_t)rt_wake_clear(r.rx);
		/* Sometimes all, sometimes part (a consumer with a budget):
		 * it then goes to sleep with packets still ready. */
		drain_some(&r.bs, pkt, r.drains % 3 ? UINT32_MAX : (uint32_t)(r.drains % 5));
		r.drains++;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	printf("race: %.1f s, %llu records, %llu sleeps, %llu wake-ups, %llu drains, "
	       "%llu suspicious sleeps checked\n", seconds, (unsigned long long)r.written,
	       (unsigned long long)r.sleeps, (unsigned long long)r.wakeups,
	       (unsigned long long)r.drains, (unsigned long long)r.checks);
	EXPECT(r.lost == 0, "%llu lost wake-ups (asleep, a CPU ready, no writer waking us)",
	       (unsigned long long)r.lost);
	EXPECT(r.wakeups <= r.sleeps, "%llu wake-ups for %llu sleeps",
	       (unsigned long long)r.wakeups, (unsigned long long)r.sleeps);
	/* The case must have exercised both paths, or it proves nothing. */
	EXPECT(r.sleeps >= 100 && r.wakeups >= 100, "too few sleeps (%llu) or wake-ups (%llu)",
	       (unsigned long long)r.sleeps, (unsigned long long)r.wakeups);
	free(pkt);
	close(r.rx);
	rt_bufset_unmap(&r.bs);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *which = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			const char *m = argv[++i];
			mode = !strcmp(m, "locked") ? RT_MODE_LOCKED : RT_MODE_RSEQ;
		} else {
			which = argv[i];
		}
	}
	if (mode == RT_MODE_RSEQ && !rt_rseq_usable()) {
		printf("FAIL: rseq is not usable in this process\n");
		return 1;
	}
	if (!which) {
		printf("usage: rb_wake [--mode rseq|locked] protocol|nonblock|race\n");
		return 2;
	}
	if (!strcmp(which, "protocol"))
		case_protocol();
	else if (!strcmp(which, "nonblock"))
		case_nonblock();
	else if (!strcmp(which, "race"))
		case_race(3.0);
	else {
		printf("unknown case %s\n", which);
		return 2;
	}
	printf("%s (%s): %s\n", which, mode == RT_MODE_RSEQ ? "rseq" : "locked",
	       failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
