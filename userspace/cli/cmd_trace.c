// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline trace: per-target syscall latency, TCP connect latency and failures, RTT,
 * retransmits and drops, until --for elapses or a signal ends it; one summary at the end, or one
 * block per --interval (JSON Lines with -j).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli/commands.h"
#include "engine/trace.h"
#include "plan/values.h"

#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL
#define HIST_ROWS 64 /* one per power of two of a u64 */
#define HIST_BAR_WIDTH 40
/* A wait is cut into pieces no longer than this, so a huge --for needs no overflow checks. */
#define WAIT_MAX_NS (3600 * NSEC_PER_SEC)

/* How a snapshot is shown. */
struct trace_view {
	size_t top; /* syscalls per target in text, and in JSON when top_given */
	bool top_given;
	bool interval; /* a block per interval: a timestamp line first */
};

/* A time with a unit chosen for it, about 3 significant digits: "870ns", "12.3us", "1.20ms". */
struct ns_text {
	char s[24];
};

static struct ns_text ns_text(uint64_t ns)
{
	struct ns_text t;
	const char *unit;
	double x;

	if (ns < 1000) {
		snprintf(t.s, sizeof(t.s), "%" PRIu64 "ns", ns);
		return t;
	}
	/* the unit switches where rounding would print 1000 of the smaller one */
	if (ns < 999500) {
		x = (double)ns / 1e3;
		unit = "us";
	} else if (ns < 999500000) {
		x = (double)ns / 1e6;
		unit = "ms";
	} else {
		x = (double)ns / 1e9;
		unit = "s";
	}
	snprintf(t.s, sizeof(t.s), x < 9.995 ? "%.2f%s" : x < 99.95 ? "%.1f%s" : "%.0f%s", x, unit);
	return t;
}

/* A time: the nanoseconds in JSON, in a column in text. */
static void print_ns(struct out *o, const char *key, const char *text_fmt, uint64_t ns)
{
	out_u64(o, key, NULL, ns);
	if (text_fmt)
		out_text(o, text_fmt, ns_text(ns).s);
}

/* The non-empty buckets with their inclusive upper bounds: JSON only. */
static void print_buckets(struct out *o, const struct hist *h)
{
	unsigned int b;

	out_array_begin(o, "buckets");
	for (b = 0; b < FLT_TR_BUCKETS; b++) {
		if (!h->buckets[b])
			continue;
		out_object_begin(o, NULL);
		out_u64(o, "le_ns", NULL, hist_le_ns(b));
		out_u64(o, "count", NULL, h->buckets[b]);
		out_object_end(o);
	}
	out_array_end(o);
}

/* The power of two a bucket's values are in, by its lowest value: rows 0 -> 1, 2 -> 3, 4 -> 7... */
static unsigned int hist_row(unsigned int b)
{
	uint64_t lo = b ? hist_le_ns(b - 1) + 1 : 0;

	return lo < 2 ? 0 : 63 - (unsigned int)__builtin_clzll(lo);
}

/*
 * A histogram in text as BCC's tools draw one: the log-linear buckets summed per power of two,
 * from the first to the last non-empty row, with a bar scaled to the largest row. Finer rows
 * would not fit a terminal; JSON has the buckets themselves.
 */
static void print_hist_text(struct out *o, const struct hist *h, const char *indent)
{
	/* the last bucket has no upper bound: its row is open-ended */
	const unsigned int open_row = hist_row(FLT_TR_BUCKETS - 1);
	uint64_t rows[HIST_ROWS] = { 0 }, most = 0;
	unsigned int b, r, first = HIST_ROWS, last = 0;
	char bar[HIST_BAR_WIDTH + 1];

	if (out_is_json(o) || !hist_samples(h))
		return;
	for (b = 0; b < FLT_TR_BUCKETS; b++) {
		if (!h->buckets[b])
			continue;
		r = hist_row(b);
		rows[r] += h->buckets[b];
		if (first == HIST_ROWS)
			first = r;
		last = r;
	}
	for (r = first; r <= last; r++)
		if (rows[r] > most)
			most = rows[r];
	out_text(o, "%s%22s : %-8s %s\n", indent, "latency", "count", "distribution");
	for (r = first; r <= last; r++) {
		size_t stars = (size_t)((double)rows[r] / (double)most * HIST_BAR_WIDTH);
		uint64_t hi = (2ULL << r) - 1;

		memset(bar, '*', stars);
		memset(bar + stars, ' ', HIST_BAR_WIDTH - stars);
		bar[HIST_BAR_WIDTH] = '\0';
		/* rounded, 2^k - 1 and 2^k look alike: a row then ends where the next one starts */
		out_text(o, "%s%8s -> %-8s : %-8" PRIu64 " |%s|\n", indent,
			 ns_text(r ? 1ULL << r : 0).s,
			 r == open_row ? "inf" : ns_text(hi < 1000 ? hi : hi + 1).s, rows[r], bar);
	}
}

static void print_syscall(struct out *o, const struct trace_syscall *sc, int name_width)
{
	const struct hist *h = &sc->h;

	out_object_begin(o, NULL);
	out_string(o, "name", NULL, sc->name);
	out_text(o, "  %-*s", name_width, sc->name);
	out_u64(o, "count", " %10" PRIu64, h->count);
	out_u64(o, "errors", " %8" PRIu64, h->errors);
	print_ns(o, "total_ns", " %8s", h->total_ns);
	print_ns(o, "p50_ns", " %8s", hist_percentile(h, 50));
	print_ns(o, "p90_ns", " %8s", hist_percentile(h, 90));
	print_ns(o, "p99_ns", " %8s", hist_percentile(h, 99));
	print_ns(o, "max_ns", " %8s\n", h->max_ns);
	print_buckets(o, h);
	out_object_end(o);
}

static void print_syscalls(struct out *o, const struct trace_target *t,
			   const struct trace_view *view)
{
	/* text is for reading: the top N; JSON has every syscall unless --top was asked for */
	size_t n = out_is_json(o) && !view->top_given ? t->nsyscalls
		   : t->nsyscalls < view->top	    ? t->nsyscalls
						    : view->top;
	int width = (int)strlen("SYSCALL");
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)strlen(t->syscalls[i].name) > width)
			width = (int)strlen(t->syscalls[i].name);
	out_array_begin(o, "syscalls");
	if (n)
		out_text(o, "  %-*s %10s %8s %8s %8s %8s %8s %8s\n", width, "SYSCALL", "COUNT",
			 "ERRORS", "TOTAL", "P50", "P90", "P99", "MAX");
	else
		out_text(o, "  no syscalls\n");
	for (i = 0; i < n; i++)
		print_syscall(o, &t->syscalls[i], width);
	out_array_end(o);
	if (n < t->nsyscalls)
		out_text(o, "  (%zu more, with less time: --top shows more)\n", t->nsyscalls - n);
	for (i = 0; i < n && !out_is_json(o); i++) {
		out_text(o, "\n  %s:\n", t->syscalls[i].name);
		print_hist_text(o, &t->syscalls[i].h, "  ");
	}
}

/* p50, p90, p99 and max, what connect and rtt show alike; in text only when there are samples. */
static void print_percentiles(struct out *o, const struct hist *h)
{
	bool any = hist_samples(h) > 0;

	print_ns(o, "p50_ns", any ? ", p50 %s" : NULL, hist_percentile(h, 50));
	print_ns(o, "p90_ns", any ? ", p90 %s" : NULL, hist_percentile(h, 90));
	print_ns(o, "p99_ns", any ? ", p99 %s" : NULL, hist_percentile(h, 99));
	print_ns(o, "max_ns", any ? ", max %s" : NULL, h->max_ns);
	out_text(o, "\n");
}

static void print_tcp(struct out *o, const struct trace_target *t)
{
	size_t i;

	/* a blank line after the syscalls' histograms */
	out_text(o, t->nsyscalls ? "\n" : "");
	if (!out_is_json(o) && !t->connect.count && !t->rtt.count && !t->retransmits && !t->ndrops) {
		out_text(o, "  no TCP events\n");
		return;
	}
	out_object_begin(o, "tcp");

	out_object_begin(o, "connect");
	out_u64(o, "count", "  TCP connects: %" PRIu64, t->connect.count);
	out_u64(o, "failed", ", %" PRIu64 " failed", t->connect.errors);
	/* the latencies are those of the connects that succeeded */
	print_percentiles(o, &t->connect);
	print_hist_text(o, &t->connect, "  ");
	print_buckets(o, &t->connect);
	out_object_end(o);

	out_object_begin(o, "rtt");
	out_u64(o, "count", "  TCP RTT: %" PRIu64 " samples", t->rtt.count);
	print_percentiles(o, &t->rtt);
	print_hist_text(o, &t->rtt, "  ");
	print_buckets(o, &t->rtt);
	out_object_end(o);

	out_u64(o, "retransmits", "  TCP retransmits: %" PRIu64 "\n", t->retransmits);
	out_array_begin(o, "drops");
	for (i = 0; i < t->ndrops; i++) {
		out_object_begin(o, NULL);
		out_string(o, "reason", "  drops %s:", t->drops[i].name);
		out_u64(o, "count", " %" PRIu64 "\n", t->drops[i].count);
		out_object_end(o);
	}
	out_array_end(o);
	out_object_end(o);
}

static void print_target(struct out *o, const struct trace_target *t,
			 const struct trace_view *view)
{
	out_object_begin(o, NULL);
	out_string(o, "id", "\n%s", t->id);
	out_string(o, "kind", " (%s)\n", t->kind);
	print_syscalls(o, t, view);
	print_tcp(o, t);
	out_object_end(o);
}

/* One document (JSON) or block (text): a summary, or one interval's; later blocks set apart. */
static void print_snapshot(struct out *o, const struct trace_snapshot *snap,
			   const struct trace_view *view, bool later)
{
	char duration[32], clock[16] = "";
	struct timeval now;
	struct tm tm;
	size_t i;

	gettimeofday(&now, NULL);
	if (view->interval && localtime_r(&now.tv_sec, &tm))
		strftime(clock, sizeof(clock), "%H:%M:%S ", &tm);
	format_duration_ms(snap->duration_ms, duration, sizeof(duration));

	out_object_begin(o, NULL);
	out_u64(o, "end_unix_ms", NULL,
		(uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_usec / 1000);
	out_u64(o, "duration_ms", NULL, snap->duration_ms);
	out_text(o, "%s%smeasured for %s", later ? "\n" : "", clock, duration);
	out_u64(o, "overflow", snap->overflow ? "; %" PRIu64 " events not counted: a map was full"
					      : NULL,
		snap->overflow);
	out_text(o, "\n");
	out_array_begin(o, "targets");
	for (i = 0; i < snap->ntargets; i++)
		print_target(o, &snap->targets[i], view);
	out_array_end(o);
	out_object_end(o);
	out_end(o);
}

/* --- running until the end: --for, or a signal ----------------------------------------------- */

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

struct caught_signals {
	sigset_t old_mask;
	sigset_t wait_mask; /* the mask while waiting: the caught signals let through */
	struct sigaction old[NSTOP];
	bool caught[NSTOP];
};

static void signals_restore(struct caught_signals *c)
{
	size_t i;

	/* the mask first: a signal still pending goes to on_stop(), not to the default action */
	sigprocmask(SIG_SETMASK, &c->old_mask, NULL);
	for (i = 0; i < NSTOP; i++)
		if (c->caught[i])
			sigaction(stop_signals[i], &c->old[i], NULL);
}

/*
 * SIGINT, SIGTERM and SIGHUP end the trace with what was measured so far. They are blocked but
 * while ppoll() waits, so one that comes while a block is read or printed is seen at the next
 * wait rather than lost until the next deadline. No SA_RESTART: the wait must end at once. A
 * signal the process was started with ignored stays ignored (SIGINT of a background job,
 * SIGHUP under nohup), as those who started it asked; SIGTERM always ends the trace.
 */
static int signals_catch(struct caught_signals *c)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t block;
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	stop_signal = 0;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < NSTOP; i++) {
		if (sigaction(stop_signals[i], NULL, &c->old[i]))
			return -errno;
		c->caught[i] = stop_signals[i] == SIGTERM || c->old[i].sa_handler != SIG_IGN;
		if (c->caught[i])
			sigaddset(&block, stop_signals[i]);
	}
	if (sigprocmask(SIG_BLOCK, &block, &c->old_mask))
		return -errno;
	c->wait_mask = c->old_mask;
	for (i = 0; i < NSTOP; i++) {
		if (!c->caught[i])
			continue;
		sigdelset(&c->wait_mask, stop_signals[i]);
		if (sigaction(stop_signals[i], &sa, NULL)) {
			ret = -errno;
			c->caught[i] = false;
			signals_restore(c);
			return ret;
		}
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* base + ms, UINT64_MAX (never) when it does not fit */
static uint64_t deadline_after(uint64_t base, uint64_t ms)
{
	if (ms > (UINT64_MAX - base) / NSEC_PER_MSEC)
		return UINT64_MAX;
	return base + ms * NSEC_PER_MSEC;
}

/* Until deadline (CLOCK_MONOTONIC ns) or a caught signal. */
static int wait_until(uint64_t deadline, uint64_t now, const sigset_t *mask)
{
	uint64_t left = deadline > now ? deadline - now : 0;
	struct timespec ts;

	if (left > WAIT_MAX_NS)
		left = WAIT_MAX_NS;
	ts.tv_sec = (time_t)(left / NSEC_PER_SEC);
	ts.tv_nsec = (long)(left % NSEC_PER_SEC);
	if (ppoll(NULL, 0, &ts, mask) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

/* --- the command ------------------------------------------------------------------------------ */

struct trace_run {
	const struct cmd_opts *opts;
	struct trace_session *s;
	struct trace_view view;
	bool lines; /* --interval with JSON: one compact document per line, each its own writer */
	size_t blocks; /* printed so far */
};

/* Where a document goes: the invocation's writer, or a new one per line. */
static struct out *doc_begin(const struct trace_run *run)
{
	struct out *o = run->lines ? out_new(stdout, true, false) : NULL;

	return o ? o : run->opts->out;
}

static void doc_end(const struct trace_run *run, struct out *o)
{
	if (o != run->opts->out)
		out_free(o);
}

static int trace_fail(const struct trace_run *run, const struct flt_error *err)
{
	struct cmd_opts opts = *run->opts;
	int status;

	opts.out = doc_begin(run);
	status = cmd_fail(&opts, err);
	doc_end(run, opts.out);
	return status;
}

/* Read and print a snapshot; with skip_empty, one that covers no time prints nothing. */
static int print_read(struct trace_run *run, bool since_last, bool skip_empty)
{
	struct trace_snapshot snap = { 0 };
	struct flt_error err;
	struct out *o;

	if (engine_trace_read(run->s, since_last, &snap, &err))
		return trace_fail(run, &err);
	if (!skip_empty || snap.duration_ms) {
		o = doc_begin(run);
		print_snapshot(o, &snap, &run->view, run->blocks++ > 0);
		doc_end(run, o);
	}
	engine_trace_snapshot_free(&snap);
	return 0;
}

/*
 * Until --for elapses or a signal comes; with --interval, a block at each deadline. Deadlines
 * are absolute, start + k * interval, so the time printing takes does not add up into drift.
 */
static int trace_loop(struct trace_run *run, const sigset_t *wait_mask)
{
	const uint64_t start = now_ns();
	const uint64_t end = run->opts->for_ms ? deadline_after(start, run->opts->for_ms)
					       : UINT64_MAX;
	const uint64_t step = deadline_after(0, run->opts->interval_ms);
	uint64_t next = step ? deadline_after(start, run->opts->interval_ms) : UINT64_MAX;
	uint64_t now, skipped;
	struct flt_error err;
	int status, ret;

	for (;;) {
		now = now_ns();
		if (stop_signal)
			break;
		if (step && now >= next) {
			status = print_read(run, true, false);
			if (status)
				return status;
			/* a block late by more than an interval covers the ones it missed */
			skipped = (now - next) / step + 1;
			next = skipped > (UINT64_MAX - next) / step ? UINT64_MAX : next + skipped * step;
			if (now >= end)
				return 0; /* the last block reached the end: nothing is left */
		}
		if (now >= end)
			break;
		ret = wait_until(next < end ? next : end, now, wait_mask);
		if (ret) {
			flt_fail(&err, FLT_ERR_SYSTEM, -ret, "trace: waiting failed: %s",
				 strerror(-ret));
			return trace_fail(run, &err);
		}
	}
	/* the summary, or the last interval's part (unless it covers no time) */
	return print_read(run, step != 0, step != 0);
}

/* --syscalls read,write: the names, split in place in *copy. 0, or the exit status. */
static int split_syscalls(const struct cmd_opts *opts, char **copy, const char ***names,
			  size_t *n)
{
	char quoted[QUOTE_VALUE_LEN], *p, *comma;
	const char *c;
	size_t max = 1;

	for (c = opts->syscalls; *c; c++)
		max += *c == ',';
	*copy = strdup(opts->syscalls);
	*names = calloc(max, sizeof(**names));
	if (!*copy || !*names) {
		out_error_msg(opts->out, "trace: out of memory");
		return 1;
	}
	for (*n = 0, p = *copy; p; p = comma) {
		comma = strchr(p, ',');
		if (comma)
			*comma++ = '\0';
		if (!*p) {
			out_error_msg(opts->out, "--syscalls: %s has an empty name: use NAME,NAME,...",
				      quote_value(opts->syscalls, quoted, sizeof(quoted)));
			return 2;
		}
		(*names)[(*n)++] = p;
	}
	return 0;
}

int cmd_trace(const struct cmd_opts *opts)
{
	struct trace_run run = {
		.opts = opts,
		.view = { .top = opts->top, .top_given = opts->top_given,
			  .interval = opts->interval_ms != 0 },
		.lines = opts->interval_ms && out_is_json(opts->out),
	};
	struct trace_opts topts = {
		.targets = (const char *const *)opts->argv,
		.ntargets = (size_t)opts->argc,
		.all_pods = opts->all_pods,
	};
	struct caught_signals caught;
	const char **names = NULL;
	bool signals_set = false;
	struct flt_error err;
	char *list = NULL;
	int status, ret;

	if (!opts->argc && !opts->all_pods) {
		out_error_msg(opts->out, "trace: expected pod UIDs or cgroup:PATHs to trace, or "
			      "--all-pods (faultline trace [TARGET...] [--all-pods])");
		return 2;
	}
	if (opts->syscalls) {
		status = split_syscalls(opts, &list, &names, &topts.nsyscalls);
		if (status)
			goto out;
		topts.syscalls = names;
	}
	if (engine_check_privileges("trace", &err)) {
		status = cmd_fail(opts, &err);
		goto out;
	}
	/* before the start: a signal while the tracer loads ends the trace, once it is attached */
	ret = signals_catch(&caught);
	signals_set = !ret;
	if (ret) {
		flt_fail(&err, FLT_ERR_SYSTEM, -ret, "trace: cannot catch signals: %s",
			 strerror(-ret));
		status = cmd_fail(opts, &err);
		goto out;
	}
	if (engine_trace_start(&topts, &run.s, &err)) {
		status = trace_fail(&run, &err);
		goto out;
	}
	/* on stderr in either mode: tests wait for "Tracing" to know the tracer is attached */
	fprintf(stderr, "Tracing %zu target(s) with %s... Hit Ctrl-C to end.\n",
		engine_trace_ntargets(run.s), engine_trace_mode(run.s));
	status = trace_loop(&run, &caught.wait_mask);
out:
	if (run.s)
		engine_trace_stop(run.s);
	if (signals_set)
		signals_restore(&caught);
	free(names);
	free(list);
	return status;
}
