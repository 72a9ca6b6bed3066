/* SPDX-License-Identifier: MIT */
/*
 * Cross-process oracle test: the parent creates a buffer set; two forked
 * writer processes map it from the inherited memfd with rt_bufset_map and
 * write from several threads each (hopping CPUs); a third process maps it
 * too and reads. The writers publish what rt_write returned for every
 * record in a MAP_SHARED anonymous area, one status byte per (stream, seq),
 * so the reader can check exactly:
 *
 *   - every record read is intact and was written with status RT_OK, and
 *     every RT_OK record is read, once;
 *   - emitted = read + lost, the lost counters equal the drops the writers
 *     saw and the last packet's events_discarded of each CPU.
 *
 * With --kill, writer 1 is killed with SIGKILL in the middle of its run.
 * Then the survivor must finish and the reader must keep draining (nothing
 * stalls), every record read must still be intact, the survivor must be
 * accounted exactly, and for each thread of the killed writer the records
 * read are exactly its RT_OK ones plus possibly the one write that was in
 * flight (the first sequence number with no status), which may instead have
 * been dropped and counted, or never have happened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oracle.h"

#define NWRITERS 2
#define MAXT 16
#define NSTATUS 8

/* status byte: 0 = rt_write has not returned (yet), else 1 + -status */
#define ST_NONE 0
#define ST_OK 1

struct shared {
	volatile int writers_done;
	volatile int killed;          /* index of the killed writer, or -1 */
	volatile uint64_t reader_packets;
	volatile int reader_started;
	uint8_t status[];             /* [stream][seq] */
};

static struct {
	uint32_t threads; /* per writer process */
	uint64_t records; /* per thread */
	uint32_t subbuf, nsub;
	enum rt_mode mode;
	int expect_mode;
	int kill;
	int rounds;
	uint32_t hop_every;
	int timeout;
} opt = {
	.threads = 4,
	.records = 100000,
	.subbuf = 4096,
	.nsub = 4,
	.rounds = 1,
	.hop_every = 7,
	.timeout = 30,
};

static struct shared *sh;

static uint32_t nr_streams(void)
{
	return NWRITERS * opt.threads;
}

static uint8_t *status_of(uint32_t stream, uint64_t seq)
{
	return &sh->status[(size_t)stream * opt.records + seq];
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- writers --------------------------------------------------------- */

struct wthread {
	struct rt_bufset *bs;
	uint32_t stream;
	pthread_t th;
};

static void hop_to(uint32_t k)
{
	cpu_set_t all, one;
	if (sched_getaffinity(0, sizeof all, &all) != 0)
		return;
	int n = CPU_COUNT(&all);
	if (n < 1)
		return;
	int nth = (int)(k % (uint32_t)n);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all) && nth-- == 0) {
			CPU_SET(c, &one);
			break;
		}
	sched_setaffinity(0, sizeof one, &one);
}

static void *wthread_main(void *arg)
{
	struct wthread *t = arg;
	uint64_t buf[512];
	uint32_t max = rt_max_record(t->bs);
	for (uint64_t seq = 0; seq < opt.records; seq++) {
		if (t->stream % 2 && seq % opt.hop_every == 0)
			hop_to((uint32_t)(seq / opt.hop_every + t->stream));
		uint32_t len = REC_FIXED + 8 * (uint32_t)((seq * 5 + t->stream) % 11);
		if (len > max)
			len = max;
		rec_build(buf, t->stream, seq, len);
		int r = rt_write(t->bs, buf, len);
		if (r > 0 || r < -(NSTATUS - 1))
			r = -(NSTATUS - 1);
		__atomic_store_n(status_of(t->stream, seq), (uint8_t)(1 - r), __ATOMIC_RELEASE);
	}
	return NULL;
}

static void writer_process(int fd, int w)
{
	struct rt_bufset bs;
	char err[256] = "";
	int r = rt_bufset_map(fd, &bs, err, sizeof err);
	if (r != RT_OK)
		die("writer %d: rt_bufset_map: %s (%s)", w, rt_strerror(r), err);
	if (bs.mode == RT_MODE_RSEQ && !rt_rseq_usable())
		die("writer %d: rseq set, but rseq is not usable here", w);
	/* Sets of the allowed CPUs are per thread: start from all. */
	struct wthread t[MAXT];
	for (uint32_t i = 0; i < opt.threads; i++) {
		t[i].bs = &bs;
		t[i].stream = (uint32_t)w * opt.threads + i;
		if (pthread_create(&t[i].th, NULL, wthread_main, &t[i]) != 0)
			die("pthread_create failed");
	}
	for (uint32_t i = 0; i < opt.threads; i++)
		pthread_join(t[i].th, NULL);
	rt_bufset_unmap(&bs);
	_exit(0);
}

/* ---- reader ---------------------------------------------------------- */

struct account {
	uint64_t ok, drops[NSTATUS], other, unknown;
};

static int check_stream(struct oracle *o, uint32_t s, int killed, struct account *a,
			uint64_t *inflight_read, uint64_t *inflight)
{
	/* The first sequence number without a status: the write in flight
	 * when the writer died. Nothing after it may have a status. */
	uint64_t k = opt.records;
	for (uint64_t q = 0; q < opt.records; q++) {
		uint8_t st = __atomic_load_n(status_of(s, q), __ATOMIC_ACQUIRE);
		if (st == ST_NONE && k == opt.records)
			k = q;
		if (st != ST_NONE && k != opt.records)
			oracle_error(o, "stream %u: seq %llu has a status after seq %llu had none", s,
				     (unsigned long long)q, (unsigned long long)k);
	}
	if (!killed && k != opt.records)
		oracle_error(o, "stream %u of a surviving writer stops at seq %llu of %llu", s,
			     (unsigned long long)k, (unsigned long long)opt.records);
	if (killed && k < opt.records)
		(*inflight)++;
	for (uint64_t q = 0; q < opt.records; q++) {
		uint8_t st = *status_of(s, q);
		int read = seqmap_get(&o->seen, s, q);
		if (st == ST_NONE) {
			if (read && q == k)
				(*inflight_read)++;
			else if (read)
				oracle_error(o, "stream %u seq %llu read but never written", s,
					     (unsigned long long)q);
			continue;
		}
		if (st == ST_OK)
			a->ok++;
		else if (st - 1 < NSTATUS)
			a->drops[st - 1]++;
		if (st == ST_OK && !read)
			oracle_error(o, "stream %u seq %llu: rt_write said OK, never read", s,
				     (unsigned long long)q);
		if (st != ST_OK && read)
			oracle_error(o, "stream %u seq %llu: dropped (%s) but read", s,
				     (unsigned long long)q, rt_strerror(1 - st));
	}
	return 0;
}

static void reader_process(int fd)
{
	struct rt_bufset bs;
	char err[256] = "";
	int r = rt_bufset_map(fd, &bs, err, sizeof err);
	if (r != RT_OK)
		die("reader: rt_bufset_map: %s (%s)", rt_strerror(r), err);
	struct oracle o;
	if (oracle_init(&o, &bs, nr_streams(), opt.records) != 0)
		die("out of memory");
	sh->reader_started = 1;
	while (!sh->writers_done) {
		uint64_t n = 0;
		for (uint32_t cpu = 0; cpu < bs.nr_cpus; cpu++)
			n += oracle_drain(&o, cpu);
		sh->reader_packets = o.packets;
		if (n == 0)
			usleep(100);
	}
	oracle_final(&o);
	sh->reader_packets = o.packets;

	struct loss loss;
	oracle_losses(&o, &loss);
	struct account a = {0};
	uint64_t inflight = 0, inflight_read = 0;
	for (uint32_t s = 0; s < nr_streams(); s++)
		check_stream(&o, s, (int)(s / opt.threads) == sh->killed, &a, &inflight_read,
			     &inflight);
	uint64_t full = a.drops[-RT_E_FULL], big = a.drops[-RT_E_BIG], abrt = a.drops[-RT_E_ABORT];
	uint64_t other = 0;
	for (int i = 1; i < NSTATUS; i++)
		if (i != -RT_E_FULL && i != -RT_E_BIG && i != -RT_E_ABORT)
			other += a.drops[i];
	uint64_t known = a.ok + full + big + abrt + other;
	printf("reader: mode %s, read %llu records in %llu packets; writers: %llu OK, "
	       "dropped full %llu big %llu abort %llu, other %llu, in flight at kill %llu "
	       "(read %llu); lost counters %llu (full %llu big %llu abort %llu)\n",
	       bs.mode == RT_MODE_RSEQ ? "rseq" : "locked", (unsigned long long)o.records,
	       (unsigned long long)o.packets, (unsigned long long)a.ok, (unsigned long long)full,
	       (unsigned long long)big, (unsigned long long)abrt, (unsigned long long)other,
	       (unsigned long long)inflight, (unsigned long long)inflight_read,
	       (unsigned long long)loss.total, (unsigned long long)loss.full,
	       (unsigned long long)loss.big, (unsigned long long)loss.abort);
	CHECK(&o, other == 0, "%llu writes returned an unexpected status", (unsigned long long)other);
	CHECK(&o, o.records == a.ok + inflight_read, "read %llu, written OK %llu + in flight %llu",
	      (unsigned long long)o.records, (unsigned long long)a.ok,
	      (unsigned long long)inflight_read);
	/* Every write that returned has its drop counted; a write in flight
	 * may have been counted as dropped just before the kill. */
	uint64_t dropped = full + big + abrt;
	CHECK(&o, loss.total >= dropped && loss.total - dropped <= inflight - inflight_read,
	      "lost counters %llu; writers saw %llu drops, %llu writes in flight unread",
	      (unsigned long long)loss.total, (unsigned long long)dropped,
	      (unsigned long long)(inflight - inflight_read));
	CHECK(&o, loss.full >= full && loss.big == big && loss.abort >= abrt &&
		  loss.full - full + loss.abort - abrt == loss.total - dropped,
	      "lost counters by cause (full %llu big %llu abort %llu) differ from the writers' "
	      "(full %llu big %llu abort %llu)",
	      (unsigned long long)loss.full, (unsigned long long)loss.big,
	      (unsigned long long)loss.abort, (unsigned long long)full, (unsigned long long)big,
	      (unsigned long long)abrt);
	if (sh->killed < 0)
		CHECK(&o, o.records + loss.total == known && known == nr_streams() * opt.records,
		      "emitted %llu != read %llu + lost %llu",
		      (unsigned long long)(nr_streams() * opt.records),
		      (unsigned long long)o.records, (unsigned long long)loss.total);
	if (o.errors) {
		printf("FAIL: %llu errors; first: %s\n", (unsigned long long)o.errors, o.first_error);
		_exit(1);
	}
	_exit(0);
}

/* ---- parent ---------------------------------------------------------- */

static pid_t spawn(void (*fn)(int, int), int fd, int arg)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0)
		fn(fd, arg);
	return pid;
}

static void reader_entry(int fd, int unused)
{
	(void)unused;
	reader_process(fd);
}

/* Waits for pid up to deadline (absolute, now() clock); 1 if it ended. */
static int wait_until(pid_t pid, int *status, double deadline)
{
	while (now() < deadline) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0)
			die("waitpid: %s", strerror(errno));
		usleep(1000);
	}
	return 0;
}

static uint64_t progress(int w)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < opt.threads; i++) {
		uint32_t s = (uint32_t)w * opt.threads + i;
		uint64_t q = 0;
		while (q < opt.records && *status_of(s, q) != ST_NONE)
			q += 64;
		n += q;
	}
	return n;
}

static int one_round(int round)
{
	struct rt_bufset bs;
	char err[256] = "";
	struct rt_params p = {
		.subbuf_size = opt.subbuf, .num_subbuf = opt.nsub, .mode = opt.mode,
		.stream_id = 5, .uuid = {0xaa, 0xbb, (uint8_t)round},
	};
	int r = rt_bufset_create(&p, &bs, err, sizeof err);
	if (r != RT_OK)
		die("rt_bufset_create: %s (%s)", rt_strerror(r), err);
	if (opt.expect_mode && (int)bs.mode != opt.expect_mode)
		die("the set is in mode %u, expected %d", bs.mode, opt.expect_mode);
	memset(sh->status, 0, (size_t)nr_streams() * opt.records);
	sh->writers_done = 0;
	sh->killed = -1;
	sh->reader_packets = 0;
	sh->reader_started = 0;

	double t0 = now(), deadline = t0 + opt.timeout;
	pid_t reader = spawn(reader_entry, bs.fd, 0);
	pid_t w[NWRITERS];
	for (int i = 0; i < NWRITERS; i++)
		w[i] = spawn(writer_process, bs.fd, i);

	int st, failed = 0;
	if (opt.kill) {
		/* Let writer 1 get going, then kill it wherever it is. */
		uint64_t target = (uint64_t)opt.threads * opt.records / 4;
		while (progress(1) < target && now() < deadline)
			usleep(50);
		if (kill(w[1], SIGKILL) != 0)
			die("kill: %s", strerror(errno));
		waitpid(w[1], &st, 0);
		if (WIFEXITED(st)) {
			printf("FAIL: round %d: writer 1 had finished before the kill\n", round);
			failed = 1;
		} else {
			sh->killed = 1;
		}
		printf("round %d: killed writer 1 at %.3f s, %llu of its records had returned, "
		       "reader at %llu packets\n",
		       round, now() - t0, (unsigned long long)progress(1),
		       (unsigned long long)sh->reader_packets);
	}
	uint64_t packets_at_kill = sh->reader_packets;
	uint64_t survivor_at_kill = progress(0);
	for (int i = 0; i < NWRITERS; i++) {
		if (opt.kill && i == 1)
			continue;
		if (!wait_until(w[i], &st, deadline)) {
			printf("FAIL: writer %d stalled (no exit after %d s)\n", i, opt.timeout);
			kill(w[i], SIGKILL);
			waitpid(w[i], &st, 0);
			failed = 1;
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("FAIL: writer %d ended with status %#x\n", i, st);
			failed = 1;
		}
	}
	sh->writers_done = 1;
	if (!wait_until(reader, &st, deadline + 10)) {
		printf("FAIL: reader stalled (no exit after %d s)\n", opt.timeout + 10);
		kill(reader, SIGKILL);
		waitpid(reader, &st, 0);
		failed = 1;
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("FAIL: reader ended with status %#x\n", st);
		failed = 1;
	}
	/* Whatever the survivor wrote after the kill was read, or dropped
	 * because unread packets filled the buffer: either way the reader
	 * must have gone on reading. */
	if (opt.kill && sh->killed == 1 &&
	    survivor_at_kill < (uint64_t)opt.threads * opt.records &&
	    sh->reader_packets <= packets_at_kill) {
		printf("FAIL: the reader read nothing after the kill\n");
		failed = 1;
	}
	printf("round %d: %s in %.2f s\n", round, failed ? "FAIL" : "ok", now() - t0);
	rt_bufset_unmap(&bs);
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"threads", 1, 0, 't'}, {"records", 1, 0, 'n'}, {"subbuf", 1, 0, 's'},
		{"nsub", 1, 0, 'k'}, {"mode", 1, 0, 'm'}, {"expect-mode", 1, 0, 'M'},
		{"kill", 0, 0, 'K'}, {"rounds", 1, 0, 'r'}, {"hop-every", 1, 0, 'H'},
		{"timeout", 1, 0, 'w'}, {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 't': opt.threads = (uint32_t)atoi(optarg); break;
		case 'n': opt.records = strtoull(optarg, NULL, 0); break;
		case 's': opt.subbuf = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'k': opt.nsub = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm':
		case 'M': {
			int m = !strcmp(optarg, "rseq") ? RT_MODE_RSEQ
				: !strcmp(optarg, "locked") ? RT_MODE_LOCKED : RT_MODE_AUTO;
			if (c == 'm')
				opt.mode = m;
			else
				opt.expect_mode = m;
			break;
		}
		case 'K': opt.kill = 1; break;
		case 'r': opt.rounds = atoi(optarg); break;
		case 'H': opt.hop_every = (uint32_t)atoi(optarg); break;
		case 'w': opt.timeout = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: rb_xproc [--threads T] [--records N] [--subbuf B] "
					"[--nsub K] [--mode M] [--expect-mode M] [--kill] [--rounds R] "
					"[--hop-every H] [--timeout S]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opt.threads == 0 || opt.threads > MAXT || opt.hop_every == 0)
		die("bad options");
	size_t size = sizeof *sh + (size_t)nr_streams() * opt.records;
	sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	int failed = 0;
	for (int i = 0; i < opt.rounds; i++)
		failed |= one_round(i);
	printf("%s\n", failed ? "FAIL" : "PASS");
	return failed;
}
