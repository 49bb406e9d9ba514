// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline run PLAN: an experiment (experiment/run.h) with its progress on stderr, and its
 * report (report.json, report.html) in a folder. Exit status: 0 completed, 3 aborted by a
 * condition, 1 interrupted or failed, 2 invalid input (nothing was changed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/run_report.h"
#include "cli/signals.h"
#include "cli/trace_print.h"
#include "common/clock.h"
#include "experiment/run.h"
#include "plan/policy.h"
#include "plan/values.h"
#include "report/html.h"

#define RUN_INTERVAL_DEFAULT_MS 1000
#define RUN_EXIT_ABORTED 3
#define POD_SHORT 12 /* of an id in a progress line */

struct run_ctx {
	const sigset_t *wait_mask;
	bool failed_wait;
};

static bool run_wait(void *arg, uint64_t deadline_ns)
{
	struct run_ctx *ctx = arg;

	if (!stop_signal && wait_until(deadline_ns, mono_now_ns(), ctx->wait_mask))
		ctx->failed_wait = true;
	return stop_signal != 0 || ctx->failed_wait;
}

/* A latency of the point, or "-" without samples. */
static const char *latency_text(bool has, uint64_t ns, struct ns_text *t)
{
	if (!has)
		return "-";
	*t = ns_text(ns);
	return t->s;
}

/* One line per pod per interval on stderr: what an SRE watches while the drill runs. */
static void run_interval(void *arg, const struct experiment_result *r, enum experiment_phase phase,
			 uint64_t left_ms)
{
	const size_t last = r->nintervals - 1;
	char left[32];
	size_t i;

	(void)arg;
	format_duration_ms((left_ms + 500) / 1000 * 1000, left, sizeof(left));
	for (i = 0; i < r->npods; i++) {
		const struct experiment_pod *p = &r->pods[i];
		const struct experiment_point *pt = &p->series[last];
		struct ns_text c, rt;

		fprintf(stderr, "%-8s %5s left  %-*.*s", experiment_phase_name(phase), left,
			POD_SHORT, POD_SHORT, p->id);
		if (p->traced)
			fprintf(stderr,
				"  connects %" PRIu64 " failed %" PRIu64 "  connect p99 %s"
				"  rtt p99 %s  retrans %" PRIu64 "  drops %" PRIu64,
				pt->connects, pt->connect_failed,
				latency_text(pt->has_connect_p99, pt->connect_p99_ns, &c),
				latency_text(pt->has_rtt_p99, pt->rtt_p99_ns, &rt), pt->retransmits,
				pt->drops);
		if (!p->observed)
			fprintf(stderr, "  fault-dropped %" PRIu64, pt->fault_dropped);
		fprintf(stderr, "%s\n", p->observed ? "  (observed)" : "");
	}
}

static void run_event(void *arg, const char *what)
{
	(void)arg;
	fprintf(stderr, "run: %s\n", what);
}

/* --report DIR, or ./faultline-run-NAME-TIMESTAMP; made if missing (*made then). */
static int report_dir(const struct cmd_opts *opts, const struct plan *plan, char *dir,
		      size_t size, bool *made, struct flt_error *err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	struct stat st;

	if (opts->report_dir) {
		snprintf(dir, size, "%s", opts->report_dir);
	} else {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(dir, size, "faultline-run-%s-%s", plan->name, stamp);
	}
	*made = !mkdir(dir, 0755);
	if (*made || (errno == EEXIST && !stat(dir, &st) && S_ISDIR(st.st_mode)))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return flt_fail(err, errno == ENOENT || errno == ENOTDIR ? FLT_ERR_INPUT : FLT_ERR_SYSTEM,
			errno, "--report: cannot make the folder %s: %s", dir, strerror(errno));
}

static int exit_status(enum experiment_status status)
{
	switch (status) {
	case EXPERIMENT_COMPLETED:
		return 0;
	case EXPERIMENT_ABORTED:
		return RUN_EXIT_ABORTED;
	default:
		return 1;
	}
}

/* The outcome: a few lines (text), or one document (JSON). */
static void print_outcome(struct out *o, const struct experiment_result *r, const char *json,
			  const char *html)
{
	out_object_begin(o, NULL);
	out_string(o, "status", "%s: ", experiment_status_name(r->status));
	out_string(o, "message", "%s\n", r->message);
	out_string(o, "report_json", "report: %s\n", json);
	out_string(o, "report_html", html ? "        %s\n" : NULL, html);
	out_object_end(o);
	out_end(o);
}

/* Writes report.json, then report.html from it; the outcome, or what failed. */
static int write_reports(const struct cmd_opts *opts, const struct experiment_result *r,
			 const char *dir)
{
	char json[PATH_MAX], html[PATH_MAX];
	struct flt_error err;
	int status = exit_status(r->status);

	snprintf(json, sizeof(json), "%s/report.json", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	if (run_report_file(json, r, &err)) {
		cmd_fail(opts, &err);
		return 1;
	}
	if (report_html_file(json, html, &err)) {
		fprintf(stderr, "run: %s\n", err.message);
		print_outcome(opts->out, r, json, NULL);
		return status ? status : 1;
	}
	print_outcome(opts->out, r, json, html);
	return status;
}

int cmd_run(const struct cmd_opts *opts)
{
	struct experiment_opts eopts = {
		.baseline_ms = opts->baseline_ms,
		.recovery_ms = opts->recovery_ms,
		.interval_ms = opts->interval_ms ? opts->interval_ms : RUN_INTERVAL_DEFAULT_MS,
	};
	struct experiment_result r = { 0 };
	struct caught_signals caught;
	struct run_ctx ctx = { 0 };
	struct experiment_hooks hooks = {
		.wait = run_wait, .interval = run_interval, .event = run_event, .ctx = &ctx,
	};
	struct policy policy = { 0 };
	struct plan plan = { 0 };
	char dir[PATH_MAX];
	bool prepared = false, signals_set = false, made_dir = false;
	struct flt_error err;
	int status, ret;

	if (opts->argc != 1) {
		out_error_msg(opts->out, "run: expected one plan (faultline run PLAN [--baseline D] "
			      "[--recovery D] [--interval D] [--report DIR])");
		return 2;
	}
	/* the whole plan first: nothing is traced or changed for a plan that is wrong */
	if (plan_parse_file(opts->argv[0], opts->max_duration_ms, &plan, &err))
		return cmd_fail(opts, &err);
	/* names to UIDs: the rest of the run, its report included, deals in UIDs */
	status = engine_expand_pods(&plan, &err) ? cmd_fail(opts, &err) : 0;
	if (status)
		goto out;
	status = cmd_policy(opts, &policy);
	if (status)
		goto out;
	status = cmd_begin(opts, "run");
	if (status)
		goto out;
	/* refused before the baseline is traced, not when the fault phase applies the plan */
	if (engine_policy_check(&plan, &err)) {
		status = cmd_fail(opts, &err);
		goto out;
	}
	if (experiment_prepare(&plan, &eopts, &r, &err) ||
	    report_dir(opts, &plan, dir, sizeof(dir), &made_dir, &err)) {
		status = cmd_fail(opts, &err);
		goto out;
	}
	prepared = true;
	ret = signals_catch(&caught);
	signals_set = !ret;
	if (ret) {
		flt_fail(&err, FLT_ERR_SYSTEM, -ret, "run: cannot catch signals: %s",
			 strerror(-ret));
		status = cmd_fail(opts, &err);
		goto out;
	}
	ctx.wait_mask = &caught.wait_mask;
	if (experiment_run(&eopts, &hooks, &r, &err)) {
		/* nothing was traced or changed: nothing to report, no folder left behind */
		if (made_dir)
			rmdir(dir);
		status = cmd_fail(opts, &err);
		goto out;
	}
	status = write_reports(opts, &r, dir);
out:
	if (signals_set)
		signals_restore(&caught);
	if (prepared)
		experiment_result_free(&r);
	plan_free(&plan);
	engine_set_policy(NULL);
	policy_free(&policy);
	return status;
}
