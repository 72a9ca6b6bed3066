/* SPDX-License-Identifier: MIT */
/* `list` and the summary stop prints: sessions, traces, counts, apps. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/output.h"
#include "consumerd/registry.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"
#include "consumerd/transport.h"

static const char *channel_name(const struct trace *t)
{
	return t->ch ? t->ch->name : "?";
}

static void blocking_text(struct text *t, uint64_t us)
{
	if (us == RT_BLOCKING_INF)
		text_add(t, "inf");
	else
		text_add(t, "%llu", (unsigned long long)us);
}

static const char *state_name(enum session_state st)
{
	return st == S_ACTIVE ? "active" : st == S_STOPPED ? "stopped" : "created, not started";
}

static void human_bytes(char *out, size_t n, uint64_t b)
{
	if (b >= 10ull << 20)
		snprintf(out, n, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 10ull << 10)
		snprintf(out, n, "%.1f KiB", (double)b / (1 << 10));
	else
		snprintf(out, n, "%llu B", (unsigned long long)b);
}

static void trace_rel(const struct session *s, const struct trace *t, char *out, size_t n)
{
	size_t k = strlen(s->output);
	snprintf(out, n, "%s", strncmp(t->dir, s->output, k) == 0 && t->dir[k] == '/' ?
			  t->dir + k + 1 : t->dir);
}

static void session_totals(const struct session *s, struct cpu_stats *sum)
{
	memset(sum, 0, sizeof *sum);
	for (const struct trace *t = s->traces; t; t = t->next) {
		const struct cpu_stats ts = t->total;
		sum->packets += ts.packets;
		sum->bytes += ts.bytes;
		sum->events += ts.events;
		sum->discarded += ts.discarded;
		sum->pending_discarded += ts.pending_discarded;
		sum->corrupt_packets += ts.corrupt_packets;
		sum->unwritten_events += ts.unwritten_events;
		sum->corrupt_events += ts.corrupt_events;
		sum->late_events += ts.late_events;
		sum->counter_resets += ts.counter_resets;
		sum->overwritten_packets += ts.overwritten_packets;
		sum->lost_full += ts.lost_full;
		sum->lost_big += ts.lost_big;
		sum->lost_abort += ts.lost_abort;
		sum->lost_nobuf += ts.lost_nobuf;
		sum->lost_invalid += ts.lost_invalid;
	}
}

/* The causes of s->discarded that are not zero: ", 12 buffer full, ...". */
static void losses_text(struct text *t, const struct cpu_stats *s)
{
	const struct {
		uint64_t n;
		const char *what;
	} cause[] = {
		{ s->lost_full, "buffer full" },
		{ s->lost_big, "too big" },
		{ s->lost_abort, "aborted" },
		{ s->lost_nobuf, "no buffer for the thread's mm_cid yet" },
		{ s->lost_invalid, "malformed" },
		{ s->corrupt_events, "corrupt" },
		{ s->late_events, "late" },
		{ s->unwritten_events, "write errors" },
	};
	for (size_t i = 0; i < sizeof cause / sizeof cause[0]; i++)
		if (cause[i].n)
			text_add(t, ", %llu %s", (unsigned long long)cause[i].n, cause[i].what);
}

/* The blocking timeout of the channel that lost events to full buffers
 * (the first one, if several did): what the hint is about. */
static uint64_t losing_blocking(const struct session *s)
{
	for (const struct trace *tr = s->traces; tr; tr = tr->next)
		if (tr->total.lost_full && tr->ch)
			return tr->ch->blocking_us;
	return s->blocking_us;
}

/* What the user can change so that the writers lose nothing. */
static void loss_warnings(const struct session *s, const struct cpu_stats *sum, struct text *t)
{
	uint64_t blocking = losing_blocking(s);
	if (sum->lost_full)
		text_add(t, "warning: %llu events lost (buffer full): %s\n",
			 (unsigned long long)sum->lost_full,
			 blocking == RT_BLOCKING_INF ?
			 "writers still waiting when the session stopped gave them up" :
			 blocking ? "increase --subbuf-size/--num-subbuf or --blocking-timeout" :
			 "increase --subbuf-size/--num-subbuf or use --blocking-timeout");
	if (sum->lost_big)
		text_add(t, "warning: %llu events lost (too big for a sub-buffer or the probe's "
			    "staging buffer): increase --subbuf-size or RSEQTRACE_MAX_PAYLOAD\n",
			 (unsigned long long)sum->lost_big);
	if (sum->lost_abort)
		text_add(t, "warning: %llu events lost (aborted: a writer stepped in a debugger, "
			    "a lock held too long, or a thread that cannot use rseq)\n",
			 (unsigned long long)sum->lost_abort);
	if (sum->lost_nobuf)
		text_add(t, "warning: %llu events lost (no buffer yet for their thread's mm_cid: "
			    "a process that gained CPUs or threads while buffers were added, or the "
			    "daemon's --max-buffer-memory)\n",
			 (unsigned long long)sum->lost_nobuf);
	if (sum->lost_invalid)
		text_add(t, "warning: %llu events lost (malformed: a record of a bad length handed to "
			    "the ring buffer, not by the tracepoint macros)\n",
			 (unsigned long long)sum->lost_invalid);
}

static void trace_errors(const struct session *s, struct text *t, const char *prefix)
{
	for (const struct trace *tr = s->traces; tr; tr = tr->next)
		if (tr->error)
			text_add(t, "%s%s\n", prefix, tr->error);
}

/* The counts the drain threads published, into each trace's totals: they
 * tell the control thread only of flushes and closes, not of each drain. */
static void refresh_counts(const struct session *s)
{
	for (struct trace *tr = s->traces; tr; tr = tr->next)
		trace_refresh_stats(tr);
}

void session_summary(struct session *s, struct text *t)
{
	struct cpu_stats sum;
	refresh_counts(s);
	session_totals(s, &sum);
	if (s->snapshot) {
		text_add(t, "%llu snapshot(s) recorded; the buffers keep the latest events until "
			    "the session is destroyed (rseqtrace snapshot record)\n",
			 (unsigned long long)s->snapshots);
		loss_warnings(s, &sum, t);
		trace_errors(s, t, "error: ");
		return;
	}
	char b[32];
	human_bytes(b, sizeof b, sum.bytes);
	text_add(t, "%llu events recorded, %llu discarded, %s in %llu packets, in %s\n",
		 (unsigned long long)sum.events, (unsigned long long)sum.discarded, b,
		 (unsigned long long)sum.packets, s->output);
	loss_warnings(s, &sum, t);
	if (sum.overwritten_packets)
		text_add(t, "%llu packets overwritten before the daemon took them (overwrite mode: the "
			    "trace's packet numbers skip them)\n", (unsigned long long)sum.overwritten_packets);
	if (sum.unwritten_events)
		text_add(t, "error: %llu events could not be written (counted as discarded)\n",
			 (unsigned long long)sum.unwritten_events);
	if (sum.corrupt_packets || sum.corrupt_events || sum.counter_resets)
		text_add(t, "warning: an application overwrote trace buffers: %llu events and %llu "
			    "packets rejected (counted as discarded), %llu lost-counter resets\n",
			 (unsigned long long)sum.corrupt_events,
			 (unsigned long long)sum.corrupt_packets,
			 (unsigned long long)sum.counter_resets);
	trace_errors(s, t, "error: ");
}

static void list_session_kv(struct daemon *d, const struct session *s, struct text *t)
{
	struct cpu_stats sum;
	session_totals(s, &sum);
	text_add(t, "session=%s\nstate=%s\noutput=%s\nbuffers=%s\nsubbuf_size=%u\nnum_subbuf=%u\n"
		    "clock=%s\n", s->name, s->state == S_ACTIVE ? "active" :
		    s->state == S_STOPPED ? "stopped" : "created", s->output,
		 s->buffers == RT_BUFFERS_PID ? "pid" : "uid", s->subbuf_size, s->num_subbuf,
		 s->clock == RT_CLOCK_TSC ? "tsc" : "monotonic");
	text_add(t, "overwritten_packets=%llu\n", (unsigned long long)sum.overwritten_packets);
	if (s->snapshot)
		text_add(t, "snapshot=1\nsnapshots=%llu\nsnapshot_output=%s\n",
			 (unsigned long long)s->snapshots, s->snap_out.id ? s->snap_out.path : "");
	if (s->rot_phase)
		text_add(t, "rotation_ongoing=%s\n", s->rot_name);
	text_add(t, "rotation_timer=%llu\nrotation_size=%llu\n",
		 (unsigned long long)s->rot_timer_us, (unsigned long long)s->rot_size);
	if (s->snapshot && s->snap_out.id)
		text_add(t, "snapshot_output_name=%s\nsnapshot_output_max_size=%llu\n",
			 s->snap_out.name, (unsigned long long)s->snap_out.max_size);
	if (s->relayd) {
		char why[256];
		int up = relayd_link_status(s->relayd, why, sizeof why);
		text_add(t, "relayd=%s\nrelayd_error=%s\nlive_timer=%u\n", up ? "up" : "down", why,
			 s->live_us);
	}
	text_add(t, "blocking_timeout=");
	blocking_text(t, s->blocking_us);
	/* The first channel's (the one most sessions have), or those channel0
	 * would have. */
	text_add(t, "\ncontexts=");
	contexts_text(t, s->channels ? s->channels->contexts : RT_CTX_VPID | RT_CTX_VTID |
			 RT_CTX_PROCNAME, ",");
	text_add(t, "\n");
	for (const struct channel *ch = s->channels; ch; ch = ch->next) {
		text_add(t, "channel=%s enabled=%d subbuf_size=%u num_subbuf=%u overwrite=%d "
			    "switch_timer=%u read_timer=%u monitor_timer=%u blocking_timeout=",
			 ch->name, ch->enabled, ch->subbuf_size, ch->num_subbuf, ch->overwrite,
			 ch->switch_timer_us, ch->read_timer_us, ch->monitor_timer_us);
		blocking_text(t, ch->blocking_us);
		text_add(t, " tracefile_size=%llu tracefile_count=%u contexts=",
			 (unsigned long long)ch->tracefile_size, ch->tracefile_count);
		contexts_text(t, ch->contexts, ",");
		text_add(t, "\n");
	}
	text_add(t, "events=%llu\ndiscarded=%llu\npending_discarded=%llu\nbytes=%llu\npackets=%llu\n"
		    "corrupt_packets=%llu\nunwritten_events=%llu\ncorrupt_events=%llu\n"
		    "late_events=%llu\ncounter_resets=%llu\nlost_full=%llu\nlost_big=%llu\n"
		    "lost_abort=%llu\nlost_nobuf=%llu\nlost_invalid=%llu\n",
		 (unsigned long long)sum.events, (unsigned long long)sum.discarded,
		 (unsigned long long)sum.pending_discarded, (unsigned long long)sum.bytes,
		 (unsigned long long)sum.packets, (unsigned long long)sum.corrupt_packets,
		 (unsigned long long)sum.unwritten_events, (unsigned long long)sum.corrupt_events,
		 (unsigned long long)sum.late_events, (unsigned long long)sum.counter_resets,
		 (unsigned long long)sum.lost_full, (unsigned long long)sum.lost_big,
		 (unsigned long long)sum.lost_abort, (unsigned long long)sum.lost_nobuf,
		 (unsigned long long)sum.lost_invalid);
	for (const struct trace *tr = s->traces; tr; tr = tr->next) {
		text_add(t, "trace=%s channel=%s mode=%s index=%s buffers=%u owner_pid=%d events=%llu "
			    "discarded=%llu\n", tr->dir, channel_name(tr),
			 tr->mode == RT_MODE_LOCKED ? "locked" : "rseq",
			 tr->index == RT_INDEX_CID ? "mm_cid" : "cpu", tr->nr_buffers, (int)tr->owner_pid,
			 (unsigned long long)tr->total.events, (unsigned long long)tr->total.discarded);
		for (uint32_t c = 0; c < tr->nr_cpus; c++)
			text_add(t, "cpu=%u trace=%s channel=%s packets=%llu events=%llu discarded=%llu "
				    "lost_full=%llu lost_big=%llu lost_abort=%llu lost_nobuf=%llu "
				    "lost_invalid=%llu corrupt=%llu late=%llu unwritten=%llu\n", c, tr->dir, channel_name(tr),
				 (unsigned long long)tr->cpu[c].packets,
				 (unsigned long long)tr->cpu[c].events,
				 (unsigned long long)tr->cpu[c].discarded,
				 (unsigned long long)tr->cpu[c].lost_full,
				 (unsigned long long)tr->cpu[c].lost_big,
				 (unsigned long long)tr->cpu[c].lost_abort,
				 (unsigned long long)tr->cpu[c].lost_nobuf,
				 (unsigned long long)tr->cpu[c].lost_invalid,
				 (unsigned long long)tr->cpu[c].corrupt_events,
				 (unsigned long long)tr->cpu[c].late_events,
				 (unsigned long long)tr->cpu[c].unwritten_events);
		if (tr->refused_events)
			text_add(t, "refused_events=%u trace=%s\n", tr->refused_events, tr->dir);
		if (tr->error)
			text_add(t, "error=%s\n", tr->error);
	}
	for (const struct conn *c = d->conns; c; c = c->next)
		for (const struct trace *tr = s->traces; c->app && tr; tr = tr->next)
			for (const struct link *l = tr->links; l; l = l->next)
				if (l->app == c->app)
					text_add(t, "process=%d %s %s\n", (int)c->app->pid,
						 c->app->procname, c->app->rseq ? "rseq" : "locked");
	uint32_t k = 0; /* rule_exclude= and rule_filter= name the rule= lines by number */
	for (const struct channel *ch = s->channels; ch; ch = ch->next)
		for (uint32_t i = 0; i < ch->nr_rules; i++, k++) {
			const struct rule *r = &ch->rules[i];
			text_add(t, "rule=%s %s %u %d %s\n", r->enable ? "enable" : "disable",
				 r->pattern, r->loglevel_type, r->loglevel, ch->name);
			for (uint32_t x = 0; x < r->nr_excl; x++)
				text_add(t, "rule_exclude=%u %s\n", k, r->excl[x]);
			if (r->filter_text)
				text_add(t, "rule_filter=%u %s\n", k, r->filter_text);
		}
	trackers_text(t, s, 1);
	if (s->warnings.s)
		text_add(t, "warnings=%u\n", (unsigned)s->warnings.len);
	text_add(t, "untraced_processes=%u\n", s->untraced);
	text_add(t, "\n");
}

static void list_trace(const struct session *s, const struct trace *tr, struct text *t)
{
	char rel[RT_PATH_MAX];
	trace_rel(s, tr, rel, sizeof rel);
	text_add(t, "    Trace %s: %s buffers, %s%s%s\n", rel,
		 tr->mode == RT_MODE_LOCKED ? "locked-mode" : "rseq",
		 tr->per_pid ? "per-PID" : "per-UID (shared)",
		 tr->index == RT_INDEX_CID ? ", one per thread concurrency id (mm_cid)" : "",
		 tr->per_pid && !tr->owner ? ", process exited" : "");
	/* A closed trace keeps its counts only (trace.h). */
	uint32_t shown = tr->events ? tr->nr_events : 0;
	text_add(t, "      Events (%u):", tr->nr_events);
	for (uint32_t e = 0; e < shown && e < 32; e++)
		text_add(t, " %s", tr->events[e]->desc.name);
	text_add(t, "%s\n", shown > 32 ? " ..." : "");
	if (tr->refused_events)
		text_add(t, "      %u event classes refused (layout conflicts, metadata cap)\n",
			 tr->refused_events);
	text_add(t, "      Processes:");
	int any = 0;
	for (const struct link *l = tr->links; l; l = l->next) {
		text_add(t, " %s[%d]", l->app->procname, (int)l->app->pid);
		any = 1;
	}
	text_add(t, "%s\n", any ? "" : " none now");
	for (uint32_t c = 0; c < tr->nr_cpus; c++) {
		text_add(t, "      %s %-3u %8llu packets %10llu discarded %12llu events recorded",
			 tr->index == RT_INDEX_CID ? "cid" : "CPU", c,
			 (unsigned long long)tr->cpu[c].packets,
			 (unsigned long long)tr->cpu[c].discarded,
			 (unsigned long long)tr->cpu[c].events);
		losses_text(t, &tr->cpu[c]);
		text_add(t, "\n");
	}
	char b[32];
	human_bytes(b, sizeof b, tr->total.bytes);
	text_add(t, "      total   %8llu packets %10llu discarded %12llu events recorded, %s\n",
		 (unsigned long long)tr->total.packets, (unsigned long long)tr->total.discarded,
		 (unsigned long long)tr->total.events, b);
	if (tr->total.pending_discarded)
		text_add(t, "      %llu more discarded, reported at the next packet or stop\n",
			 (unsigned long long)tr->total.pending_discarded);
	if (tr->total.corrupt_packets || tr->total.corrupt_events)
		text_add(t, "      %llu packets were corrupt or cut short: %llu events an "
			    "application overwrote were discarded\n",
			 (unsigned long long)tr->total.corrupt_packets,
			 (unsigned long long)tr->total.corrupt_events);
	if (tr->total.late_events)
		text_add(t, "      %llu events came after a stop (discarded)\n",
			 (unsigned long long)tr->total.late_events);
	if (tr->total.counter_resets)
		text_add(t, "      the lost-event counters were overwritten %llu times "
			    "(their jumps not counted)\n",
			 (unsigned long long)tr->total.counter_resets);
	if (tr->total.unwritten_events)
		text_add(t, "      %llu events could not be written\n",
			 (unsigned long long)tr->total.unwritten_events);
	if (tr->error)
		text_add(t, "      ERROR: %s\n", tr->error);
}

static void list_channel(const struct session *s, const struct channel *ch, struct text *t)
{
	char sb[32];
	human_bytes(sb, sizeof sb, ch->subbuf_size);
	text_add(t, "  Channel %s [%s]: %u x %s per %s, %s mode", ch->name,
		 ch->enabled ? "enabled" : "disabled", ch->num_subbuf, sb,
		 s->buffers == RT_BUFFERS_PID ? "process buffer" : "CPU",
		 ch->overwrite ? "overwrite" : "discard");
	if (ch->blocking_us == RT_BLOCKING_INF)
		text_add(t, ", a full buffer makes writers wait");
	else if (ch->blocking_us)
		text_add(t, ", a full buffer makes writers wait up to %llu us",
			 (unsigned long long)ch->blocking_us);
	text_add(t, "\n    Timers:   switch %u us, read %u us, monitor %u us\n",
		 ch->switch_timer_us, ch->read_timer_us, ch->monitor_timer_us);
	if (ch->tracefile_size || ch->tracefile_count)
		text_add(t, "    Trace files: %llu bytes, %u files\n",
			 (unsigned long long)ch->tracefile_size, ch->tracefile_count);
	text_add(t, "    Contexts: ");
	contexts_text(t, ch->contexts, ", ");
	text_add(t, "\n    Event rules:%s\n",
		 ch->nr_rules ? "" : " none (rseqtrace enable-event -c CHANNEL PATTERN)");
	for (uint32_t i = 0; i < ch->nr_rules; i++) {
		text_add(t, "      %-8s", ch->rules[i].enable ? "enable" : "disable");
		describe_rule(t, &ch->rules[i]);
		text_add(t, "\n");
	}
	for (const struct trace *tr = s->traces; tr; tr = tr->next)
		if (tr->ch == ch)
			list_trace(s, tr, t);
}

static void list_session(struct daemon *d, const struct session *s, struct text *t)
{
	text_add(t, "Session %s [%s%s]%s\n", s->name, state_name(s->state),
		 s->snapshot ? " snapshot" : "", d->current_session == s->id ? " (current)" : "");
	text_add(t, "  Output:   %s\n", s->output[0] ? s->output : "none (--no-output)");
	if (s->relayd) {
		char why[256];
		int up = relayd_link_status(s->relayd, why, sizeof why);
		text_add(t, "  Relayd:   %s%s%s%s\n", up ? "connected" : "down", up ? "" : " (",
			 up ? "" : why, up ? "" : ")");
		if (s->live_us)
			text_add(t, "  Live:     timer %u us\n", s->live_us);
	}
	text_add(t, "  Buffers:  per-%s, clock %s\n", s->buffers == RT_BUFFERS_PID ? "PID" : "UID",
		 s->clock == RT_CLOCK_TSC ? "tsc" : "monotonic");
	if (s->rot_phase)
		text_add(t, "  Rotation: ongoing, archive %s/archives/%s when complete\n", s->output,
			 s->rot_name);
	if (s->snapshot)
		text_add(t, "  Snapshot: %llu recorded, output %s\n", (unsigned long long)s->snapshots,
			 s->snap_out.id ? s->snap_out.path : "none (rseqtrace snapshot add-output DIR)");
	if (!s->channels)
		text_add(t, "  Channels: none (rseqtrace enable-channel NAME, or enable-event "
			    "makes channel0)\n");
	for (const struct channel *ch = s->channels; ch; ch = ch->next)
		list_channel(s, ch, t);
	text_add(t, "  Trackers:\n");
	trackers_text(t, s, 0);
	struct cpu_stats sum;
	session_totals(s, &sum);
	text_add(t, "  Total: %llu events recorded, %llu discarded",
		 (unsigned long long)sum.events, (unsigned long long)sum.discarded);
	losses_text(t, &sum);
	text_add(t, "\n");
	loss_warnings(s, &sum, t);
	if (s->untraced)
		text_add(t, "  %u processes not traced (see the warnings)\n",
			 s->untraced);
	if (s->warnings.s)
		text_add(t, "  Warnings:\n%s", s->warnings.s);
	if (s->warnings_dropped)
		text_add(t, "    (%u more warnings not shown)\n", s->warnings_dropped);
	text_add(t, "\n");
}

static void list_apps(struct daemon *d, struct text *t)
{
	int any = 0;
	for (struct conn *c = d->conns; c; c = c->next) {
		struct app *a = c->app;
		if (!a)
			continue;
		if (!any)
			text_add(t, "Registered processes:\n");
		any = 1;
		text_add(t, "  %s[%d] %s, %u events described", a->procname, (int)a->pid,
			 a->rseq ? "rseq" : "no rseq (locked-mode per-PID buffers)", a->nr_events);
		if (a->refused_events)
			text_add(t, ", %u refused (rseqtraced --max-app-events %u)", a->refused_events,
				 d->cfg.max_app_events);
		text_add(t, "\n");
	}
	if (!any)
		text_add(t, "Registered processes: none\n");
}

/* The daemon-wide buffer memory: in use (mapped sets) and the cap. */
static void buffer_memory(struct daemon *d, struct text *t, int kv)
{
	if (kv)
		text_add(t, "buffer_memory_used=%llu\nbuffer_memory_cap=%llu\n",
			 (unsigned long long)d->buffer_memory,
			 (unsigned long long)d->cfg.max_buffer_memory);
	else
		text_add(t, "Buffer memory: %.1f MiB used of %llu MiB (rseqtraced --max-buffer-memory)\n",
			 (double)d->buffer_memory / (1 << 20),
			 (unsigned long long)(d->cfg.max_buffer_memory >> 20));
}

void list_one_session(struct daemon *d, const struct session *s, int kv, struct text *t)
{
	refresh_counts(s);
	kv ? list_session_kv(d, s, t) : list_session(d, s, t);
}

int cmd_list(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_session *r = m->body;
	int kv = r->flags & RT_LIST_KV;
	struct text t = { 0 };
	if (r->session[0] || (r->flags & RT_LIST_CURRENT)) {
		struct session *s = session_find(d, r->session);
		if (!s && !r->session[0])
			return send_replyf(c, m->hdr.seq, -ENOENT,
					 "no current session: create one (rseqtrace create NAME)");
		if (!s)
			return send_replyf(c, m->hdr.seq, -ENOENT,
					 "no session named '%s' (see: rseqtrace list)", r->session);
		/* Show what is on disk now, not what was at the last timer
		 * tick: after a drain pass, or at a short deadline. */
		if (s->state == S_ACTIVE)
			return op_list_session(d, c, m->hdr.seq, s, kv);
		list_one_session(d, s, kv, &t);
	} else {
		if (!d->sessions && !kv)
			text_add(&t, "No sessions (create one: rseqtrace create NAME)\n\n");
		for (struct session *s = d->sessions; s; s = s->next)
			list_one_session(d, s, kv, &t);
		if (!kv)
			list_apps(d, &t);
		buffer_memory(d, &t, kv);
	}
	send_reply(c, m->hdr.seq, 0, t.oom ? "out of memory" : t.s ? t.s : "");
	text_free(&t);
	return 0;
}
