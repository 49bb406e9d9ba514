// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline trace: per-target syscall latency, TCP connect latency and failures, RTT,
 * retransmits and drops, until --for elapses or a signal ends it; one summary at the end, or one
 * block per --interval (JSON Lines with -j).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/signals.h"
#include "cli/trace_print.h"
#include "common/clock.h"
#include "engine/trace.h"
#include "plan/values.h"

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
		print_trace_target(o, &snap->targets[i], view);
	out_array_end(o);
	out_object_end(o);
	out_end(o);
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
	const uint64_t start = mono_now_ns();
	const uint64_t end = run->opts->for_ms ? deadline_after(start, run->opts->for_ms)
					       : UINT64_MAX;
	const uint64_t step = deadline_after(0, run->opts->interval_ms);
	uint64_t next = step ? deadline_after(start, run->opts->interval_ms) : UINT64_MAX;
	uint64_t now, skipped;
	struct flt_error err;
	int status, ret;

	for (;;) {
		now = mono_now_ns();
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
