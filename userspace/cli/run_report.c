// SPDX-License-Identifier: GPL-2.0-only
/*
 * report.json of `faultline run` (docs/report.md), written through the output writer: a
 * phase's figures are printed by the same calls as `faultline trace -j` prints a target's.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run_report.h"
#include "cli/trace_print.h"
#include "common/hist.h"
#include "common/syscalls.h"
#include "fault.h"

#define REPORT_VERSION 1
#define TOP_SYSCALLS 3 /* in the verdict's figures, besides those conditions name */

static const char *const effect_names[] = {
	"blackhole", "reject", "loss", "delay", "rate", "duplicate", "corrupt", "reorder",
};

static bool has_effect(const struct plan_fault *f, size_t e)
{
	switch (e) {
	case 0:
		return f->actions & FLT_ACT_BLACKHOLE;
	case 1:
		return f->actions & FLT_ACT_REJECT;
	case 2:
		return (f->actions & FLT_ACT_LOSS) || (f->netem_effects & PLAN_NETEM_LOSS_GE);
	case 3:
		return f->actions & FLT_ACT_DELAY;
	case 4:
		return f->actions & FLT_ACT_RATE;
	case 5:
		return f->netem_effects & PLAN_NETEM_DUPLICATE;
	case 6:
		return f->netem_effects & PLAN_NETEM_CORRUPT;
	default:
		return f->netem_effects & PLAN_NETEM_REORDER;
	}
}

static const char *condition_target(const struct plan *plan, const struct plan_condition *c)
{
	return c->target == PLAN_OBSERVED ? "observed" : plan->targets[c->target].name;
}

static void print_plan(struct out *o, const struct plan *plan)
{
	size_t i, j;

	out_object_begin(o, "plan");
	out_string(o, "name", NULL, plan->name);
	out_string(o, "file", NULL, plan->file);
	out_u64(o, "duration_ms", NULL, plan->duration_ms);
	out_array_begin(o, "targets");
	for (i = 0; i < plan->ntargets; i++) {
		const struct plan_target *t = &plan->targets[i];

		out_object_begin(o, NULL);
		out_string(o, "name", NULL, t->name);
		out_string(o, "kind", NULL, t->nids ? target_kind_name(t->ids[0].kind) : NULL);
		out_array_begin(o, "ids");
		for (j = 0; j < t->nids; j++)
			out_string(o, NULL, NULL, t->ids[j].id);
		out_array_end(o);
		out_object_end(o);
	}
	out_array_end(o);
	out_array_begin(o, "faults");
	for (i = 0; i < plan->nfaults; i++) {
		const struct plan_fault *f = &plan->faults[i];

		out_object_begin(o, NULL);
		out_string(o, "name", NULL, f->name);
		out_string(o, "target", NULL, plan->targets[f->target].name);
		out_array_begin(o, "effects");
		for (j = 0; j < sizeof(effect_names) / sizeof(effect_names[0]); j++)
			if (has_effect(f, j))
				out_string(o, NULL, NULL, effect_names[j]);
		out_array_end(o);
		out_object_end(o);
	}
	out_array_end(o);
	out_array_begin(o, "observe");
	for (i = 0; i < plan->nobserved; i++) {
		out_object_begin(o, NULL);
		out_string(o, "kind", NULL, target_kind_name(plan->observed[i].kind));
		out_string(o, "id", NULL, plan->observed[i].id);
		out_object_end(o);
	}
	out_array_end(o);
	out_array_begin(o, "abortWhen");
	for (i = 0; i < plan->nconditions; i++) {
		const struct plan_condition *c = &plan->conditions[i];

		out_object_begin(o, NULL);
		out_string(o, "target", NULL, condition_target(plan, c));
		out_string(o, "metric", NULL, c->metric_name);
		out_u64(o, c->latency ? "above_ns" : "above", NULL, c->above);
		out_u64(o, "for_ms", NULL, c->for_ms);
		out_object_end(o);
	}
	out_array_end(o);
	out_object_end(o);
}

static void print_phases(struct out *o, const struct experiment_result *r)
{
	int ph;

	out_array_begin(o, "phases");
	for (ph = 0; ph < EXPERIMENT_PHASES; ph++) {
		if (!r->phases[ph].ran)
			continue;
		out_object_begin(o, NULL);
		out_string(o, "name", NULL, experiment_phase_name(ph));
		out_u64(o, "start_ms", NULL, r->phases[ph].start_ms);
		out_u64(o, "end_ms", NULL, r->phases[ph].end_ms);
		out_object_end(o);
	}
	out_array_end(o);
}

static void print_abort(struct out *o, const struct experiment_result *r)
{
	const struct experiment_abort *a = &r->abort;
	const struct plan_condition *c;

	if (!a->fired) {
		out_null(o, "abort", NULL);
		return;
	}
	c = &r->plan->conditions[a->condition];
	out_object_begin(o, "abort");
	out_u64(o, "condition", NULL, a->condition);
	out_string(o, "target", NULL, condition_target(r->plan, c));
	out_string(o, "metric", NULL, c->metric_name);
	out_u64(o, c->latency ? "above_ns" : "above", NULL, c->above);
	out_u64(o, "for_ms", NULL, c->for_ms);
	out_u64(o, "first_held_ms", NULL, a->first_held_ms);
	out_u64(o, "fired_ms", NULL, a->fired_ms);
	out_u64(o, c->latency ? "value_ns" : "value", NULL, a->value);
	out_u64(o, "reverted_ms", NULL, a->reverted_ms);
	out_object_end(o);
}

#define NO_FLAG ((size_t)-1)

/* One series: the uint64_t at value_off of each interval's point, null where the bool at
 * has_off (NO_FLAG: none) is false. */
static void print_one_series(struct out *o, const struct experiment_result *r,
			     const struct experiment_pod *p, const char *key, size_t value_off,
			     size_t has_off)
{
	size_t i;

	out_array_begin(o, key);
	for (i = 0; i < r->nintervals; i++) {
		const char *pt = (const char *)&p->series[i];
		uint64_t v;
		bool has;

		memcpy(&v, pt + value_off, sizeof(v));
		has = has_off == NO_FLAG || *(const bool *)(pt + has_off);
		if (has && p->traced)
			out_u64(o, NULL, NULL, v);
		else
			out_null(o, NULL, NULL);
	}
	out_array_end(o);
}

#define POINT(member) offsetof(struct experiment_point, member)

static void print_series(struct out *o, const struct experiment_result *r,
			 const struct experiment_pod *p)
{
	size_t i;

	out_object_begin(o, "series");
	out_array_begin(o, "t_ms");
	for (i = 0; i < r->nintervals; i++)
		out_u64(o, NULL, NULL, r->t_ms[i]);
	out_array_end(o);
	out_array_begin(o, "phase");
	for (i = 0; i < r->nintervals; i++)
		out_string(o, NULL, NULL, experiment_phase_name(r->interval_phase[i]));
	out_array_end(o);
	print_one_series(o, r, p, "connects", POINT(connects), NO_FLAG);
	print_one_series(o, r, p, "connect_failed", POINT(connect_failed), NO_FLAG);
	print_one_series(o, r, p, "connect_p99_ns", POINT(connect_p99_ns), POINT(has_connect_p99));
	print_one_series(o, r, p, "rtt_p99_ns", POINT(rtt_p99_ns), POINT(has_rtt_p99));
	print_one_series(o, r, p, "retransmits", POINT(retransmits), NO_FLAG);
	print_one_series(o, r, p, "drops", POINT(drops), NO_FLAG);
	/* what the faults dropped is counted for untraced targets too */
	out_array_begin(o, "fault_dropped");
	for (i = 0; i < r->nintervals; i++)
		out_u64(o, NULL, NULL, p->series[i].fault_dropped);
	out_array_end(o);
	out_object_end(o);
}

static uint64_t drops_of(const struct trace_target *t)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < t->ndrops; i++)
		n += t->drops[i].count;
	return n;
}

static const struct trace_syscall *syscall_in(const struct trace_target *t, int nr)
{
	size_t i;

	for (i = 0; i < t->nsyscalls; i++)
		if (t->syscalls[i].nr == nr)
			return &t->syscalls[i];
	return NULL;
}

/* A figure of one phase: false when it has none (the phase did not run, no samples). */
struct figure {
	char name[96];
	bool latency;
	int kind; /* FIG_* */
	int nr; /* FIG_SYSCALL */
};

enum { FIG_CONNECT_P99, FIG_RTT_P99, FIG_CONNECT_FAILED, FIG_RETRANSMITS, FIG_DROPS, FIG_SYSCALL };

static bool figure_value(const struct figure *f, const struct experiment_result *r,
			 const struct experiment_pod *p, int ph, double *v)
{
	const struct trace_target *t = &p->phases[ph];
	const struct trace_syscall *sc;
	const struct hist *h = NULL;

	if (!r->phases[ph].ran)
		return false;
	switch (f->kind) {
	case FIG_CONNECT_P99:
		h = &t->connect;
		break;
	case FIG_RTT_P99:
		h = &t->rtt;
		break;
	case FIG_SYSCALL:
		sc = syscall_in(t, f->nr);
		if (!sc)
			return false;
		h = &sc->h;
		break;
	case FIG_CONNECT_FAILED:
		*v = (double)t->connect.errors;
		return true;
	case FIG_RETRANSMITS:
		*v = (double)t->retransmits;
		return true;
	default:
		*v = (double)drops_of(t);
		return true;
	}
	if (!hist_samples(h))
		return false;
	*v = (double)hist_percentile(h, 99);
	return true;
}

static double phase_seconds(const struct experiment_result *r, int ph)
{
	uint64_t ms = r->phases[ph].end_ms - r->phases[ph].start_ms;

	return ms ? (double)ms / 1000 : 0.001;
}

static void print_figure(struct out *o, const struct figure *f, const struct experiment_result *r,
			 const struct experiment_pod *p)
{
	static const char *const ratio_keys[] = { NULL, "fault_ratio", "recovery_ratio" };
	bool has[EXPERIMENT_PHASES];
	double v[EXPERIMENT_PHASES];
	int ph;

	out_object_begin(o, NULL);
	out_string(o, "name", NULL, f->name);
	out_string(o, "unit", NULL, f->latency ? "ns" : "count");
	for (ph = 0; ph < EXPERIMENT_PHASES; ph++) {
		has[ph] = figure_value(f, r, p, ph, &v[ph]);
		if (has[ph])
			out_u64(o, experiment_phase_name(ph), NULL, (uint64_t)v[ph]);
		else
			out_null(o, experiment_phase_name(ph), NULL);
	}
	for (ph = EXPERIMENT_FAULT; ph < EXPERIMENT_PHASES; ph++) {
		double base = v[EXPERIMENT_BASELINE], other = v[ph];

		if (!has[EXPERIMENT_BASELINE] || !has[ph] || base <= 0) {
			out_null(o, ratio_keys[ph], NULL);
			continue;
		}
		if (!f->latency) { /* rates, so that phases of different lengths compare */
			base /= phase_seconds(r, EXPERIMENT_BASELINE);
			other /= phase_seconds(r, ph);
		}
		out_double(o, ratio_keys[ph], NULL, other / base);
	}
	out_object_end(o);
}

/* The syscalls of the figures: the most time over the run, then those conditions name. */
static size_t figure_syscalls(const struct experiment_result *r, const struct experiment_pod *p,
			      int *nrs, size_t max)
{
	struct trace_target all = { 0 };
	size_t n = 0, i, j;
	int ph;

	for (ph = 0; ph < EXPERIMENT_PHASES; ph++)
		if (engine_trace_target_add(&all, &p->phases[ph]))
			break;
	for (i = 0; i < all.nsyscalls && n < TOP_SYSCALLS; i++)
		nrs[n++] = all.syscalls[i].nr;
	for (i = 0; i < r->plan->nconditions && n < max; i++) {
		const struct plan_condition *c = &r->plan->conditions[i];

		if (c->metric != PLAN_METRIC_SYSCALL_P99 || !experiment_pod_of(p, c))
			continue;
		for (j = 0; j < n && nrs[j] != c->syscall_nr; j++)
			;
		if (j == n)
			nrs[n++] = c->syscall_nr;
	}
	free(all.syscalls);
	free(all.drops);
	return n;
}

static void print_figures(struct out *o, const struct experiment_result *r,
			  const struct experiment_pod *p)
{
	static const struct figure fixed[] = {
		{ "tcp.connect.p99", true, FIG_CONNECT_P99, 0 },
		{ "tcp.rtt.p99", true, FIG_RTT_P99, 0 },
		{ "tcp.connect.failed", false, FIG_CONNECT_FAILED, 0 },
		{ "tcp.retransmits", false, FIG_RETRANSMITS, 0 },
		{ "drops", false, FIG_DROPS, 0 },
	};
	int nrs[TOP_SYSCALLS + 16];
	size_t i, n;

	out_array_begin(o, "figures");
	for (i = 0; p->traced && i < sizeof(fixed) / sizeof(fixed[0]); i++)
		print_figure(o, &fixed[i], r, p);
	n = p->traced ? figure_syscalls(r, p, nrs, sizeof(nrs) / sizeof(nrs[0])) : 0;
	for (i = 0; i < n; i++) {
		struct figure f = { .latency = true, .kind = FIG_SYSCALL, .nr = nrs[i] };
		const char *name = syscall_name(nrs[i]);

		if (name)
			snprintf(f.name, sizeof(f.name), "syscall.%s.p99", name);
		else
			snprintf(f.name, sizeof(f.name), "syscall.syscall_%d.p99", nrs[i]);
		print_figure(o, &f, r, p);
	}
	out_array_end(o);
}

static void print_pod(struct out *o, const struct experiment_result *r,
		      const struct experiment_pod *p)
{
	const struct trace_view view = { .top = 0 };
	size_t i;
	int ph;

	out_object_begin(o, NULL);
	out_string(o, "id", NULL, p->id);
	out_string(o, "kind", NULL, target_kind_name(p->kind));
	if (p->kind == TARGET_POD) {
		/* from /var/log/pods; null when no folder names the pod */
		out_string(o, "namespace", NULL, p->pod_namespace[0] ? p->pod_namespace : NULL);
		out_string(o, "pod", NULL, p->pod_namespace[0] ? p->pod_name : NULL);
		out_string(o, "pattern", NULL, p->pattern);
	}
	out_string(o, "role", NULL, p->observed ? "observed" : "target");
	out_string(o, "target", NULL, p->observed ? NULL : r->plan->targets[p->target].name);
	out_bool(o, "traced", NULL, p->traced);
	out_object_begin(o, "phases");
	for (ph = 0; p->traced && ph < EXPERIMENT_PHASES; ph++) {
		if (!r->phases[ph].ran)
			continue;
		out_object_begin(o, experiment_phase_name(ph));
		out_u64(o, "duration_ms", NULL, r->phases[ph].end_ms - r->phases[ph].start_ms);
		print_trace_figures(o, &p->phases[ph], &view);
		out_object_end(o);
	}
	out_object_end(o);
	print_series(o, r, p);
	out_array_begin(o, "faults");
	for (i = 0; i < p->nfaults; i++) {
		const struct engine_counters *c = &p->faults[i].counters;

		out_object_begin(o, NULL);
		out_string(o, "name", NULL, p->faults[i].name);
		out_u64(o, "matched_packets", NULL, c->matched_packets);
		out_u64(o, "matched_bytes", NULL, c->matched_bytes);
		out_u64(o, "dropped_packets", NULL, c->dropped_packets);
		out_u64(o, "rejected_connects", NULL, c->rejected_connects);
		out_u64(o, "rejected_sends", NULL, c->rejected_sends);
		out_object_end(o);
	}
	out_array_end(o);
	out_object_end(o);
}

static void print_verdict(struct out *o, const struct experiment_result *r)
{
	size_t i;

	out_object_begin(o, "verdict");
	out_string(o, "status", NULL, experiment_status_name(r->status));
	out_string(o, "message", NULL, r->message);
	out_array_begin(o, "pods");
	for (i = 0; i < r->npods; i++) {
		const struct experiment_pod *p = &r->pods[i];

		out_object_begin(o, NULL);
		out_string(o, "id", NULL, p->id);
		out_string(o, "role", NULL, p->observed ? "observed" : "target");
		print_figures(o, r, p);
		out_object_end(o);
	}
	out_array_end(o);
	out_object_end(o);
}

int run_report_print(FILE *f, const struct experiment_result *r)
{
	struct out *o = out_new(f, true, true);
	size_t i;

	if (!o)
		return -ENOMEM;
	out_object_begin(o, NULL);
	out_u64(o, "report_version", NULL, REPORT_VERSION);
	out_string(o, "faultline_version", NULL, r->version);
	out_object_begin(o, "node");
	out_string(o, "hostname", NULL, r->hostname);
	out_string(o, "kernel", NULL, r->kernel);
	out_object_end(o);
	out_u64(o, "start_unix_ms", NULL, r->start_unix_ms);
	out_u64(o, "end_unix_ms", NULL, r->end_unix_ms);
	out_u64(o, "interval_ms", NULL, r->interval_ms);
	print_plan(o, r->plan);
	print_phases(o, r);
	print_abort(o, r);
	out_array_begin(o, "pods");
	for (i = 0; i < r->npods; i++)
		print_pod(o, r, &r->pods[i]);
	out_array_end(o);
	print_verdict(o, r);
	out_object_end(o);
	out_end(o);
	out_free(o);
	return ferror(f) ? -EIO : 0;
}

int run_report_file(const char *path, const struct experiment_result *r, struct flt_error *err)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, ret;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "run: cannot write %s: %s", tmp,
				strerror(-ret));
	}
	ret = run_report_print(f, r);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "run: cannot write %s: %s", path,
				strerror(-ret));
	}
	return 0;
}
