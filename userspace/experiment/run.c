// SPDX-License-Identifier: GPL-2.0-only
/*
 * The experiment runner: baseline, fault, recovery, one tracer session throughout. Each interval
 * reads what the tracer measured since the last one (nothing in the kernel is reset, so nothing
 * is lost between reads), and in the fault phase the plan's counters and its abort conditions.
 * Deadlines are absolute (phase start + k intervals), so the time a read takes adds no drift.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/hist.h"
#include "common/log.h"
#include "experiment/conditions.h"
#include "experiment/run.h"

#define NSEC_PER_MSEC 1000000ULL

static const char *const phase_names[] = {
	[EXPERIMENT_BASELINE] = "baseline",
	[EXPERIMENT_FAULT] = "fault",
	[EXPERIMENT_RECOVERY] = "recovery",
};

static const char *const status_names[] = {
	[EXPERIMENT_COMPLETED] = "completed",
	[EXPERIMENT_ABORTED] = "aborted",
	[EXPERIMENT_INTERRUPTED] = "interrupted",
	[EXPERIMENT_FAILED] = "failed",
};

const char *experiment_phase_name(enum experiment_phase phase)
{
	return phase < EXPERIMENT_PHASES ? phase_names[phase] : "unknown";
}

const char *experiment_status_name(enum experiment_status status)
{
	return status <= EXPERIMENT_FAILED ? status_names[status] : "unknown";
}

/* --- preparing ------------------------------------------------------------------------------ */

static int add_pod(struct experiment_result *r, const struct plan_target_id *id, size_t target,
		   bool observed)
{
	struct experiment_pod *p = &r->pods[r->npods++];
	const struct plan *plan = r->plan;
	enum experiment_phase ph;
	size_t f;

	snprintf(p->id, sizeof(p->id), "%s", id->id);
	p->kind = id->kind;
	p->observed = observed;
	p->target = target;
	p->traced = id->kind == TARGET_POD || id->kind == TARGET_CGROUP;
	if (id->kind == TARGET_CGROUP)
		snprintf(p->trace_id, sizeof(p->trace_id), "cgroup:%s", id->id);
	else
		snprintf(p->trace_id, sizeof(p->trace_id), "%s", id->id);
	p->pattern = id->pattern;
	for (ph = 0; ph < EXPERIMENT_PHASES; ph++) {
		snprintf(p->phases[ph].id, sizeof(p->phases[ph].id), "%s", p->trace_id);
		p->phases[ph].kind = target_kind_name(id->kind);
		engine_trace_target_names(&p->phases[ph]);
	}
	snprintf(p->pod_namespace, sizeof(p->pod_namespace), "%s", p->phases[0].pod_namespace);
	snprintf(p->pod_name, sizeof(p->pod_name), "%s", p->phases[0].pod_name);
	if (observed)
		return 0;
	p->faults = calloc(plan->nfaults ? plan->nfaults : 1, sizeof(*p->faults));
	if (!p->faults)
		return -ENOMEM;
	for (f = 0; f < plan->nfaults; f++)
		if (plan->faults[f].target == target)
			snprintf(p->faults[p->nfaults++].name, sizeof(p->faults[0].name), "%s",
				 plan->faults[f].name);
	return 0;
}

static void node_facts(struct experiment_result *r)
{
	struct utsname u;

	snprintf(r->version, sizeof(r->version), "%s", FAULTLINE_VERSION);
	if (gethostname(r->hostname, sizeof(r->hostname)))
		snprintf(r->hostname, sizeof(r->hostname), "unknown");
	r->hostname[sizeof(r->hostname) - 1] = '\0';
	if (!uname(&u))
		snprintf(r->kernel, sizeof(r->kernel), "%s %s", u.release, u.version);
}

int experiment_prepare(const struct plan *plan, const struct experiment_opts *opts,
		       struct experiment_result *r, struct flt_error *err)
{
	struct engine_apply_result dry = { 0 };
	size_t n = plan->nobserved, t, i;
	int ret;

	memset(r, 0, sizeof(*r));
	r->plan = plan;
	r->interval_ms = opts->interval_ms;
	node_facts(r);
	ret = engine_apply(plan, true, &dry, err);
	engine_apply_result_free(&dry);
	if (ret)
		return ret;
	for (t = 0; t < plan->ntargets; t++)
		n += plan->targets[t].nids;
	r->pods = calloc(n ? n : 1, sizeof(*r->pods));
	if (!r->pods)
		goto oom;
	for (t = 0; t < plan->ntargets; t++)
		for (i = 0; i < plan->targets[t].nids; i++)
			if (add_pod(r, &plan->targets[t].ids[i], t, false))
				goto oom;
	for (i = 0; i < plan->nobserved; i++)
		if (add_pod(r, &plan->observed[i], PLAN_OBSERVED, true))
			goto oom;
	return 0;
oom:
	experiment_result_free(r);
	return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "run: out of memory");
}

/* --- running -------------------------------------------------------------------------------- */

struct runner {
	struct experiment_result *r;
	const struct experiment_opts *opts;
	const struct experiment_hooks *hooks;
	struct trace_session *tracer;
	uint64_t start_ns;
	bool applied; /* the plan is active: revert it before the run ends */
	struct cond_state *conds;
};

static uint64_t since_start_ms(const struct runner *run)
{
	return (mono_now_ns() - run->start_ns) / NSEC_PER_MSEC;
}

static void event(const struct runner *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void event(const struct runner *run, const char *fmt, ...)
{
	char line[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pr_debug("run: %s\n", line);
	if (run->hooks->event)
		run->hooks->event(run->hooks->ctx, line);
}

static void fail_run(struct runner *run, const char *what, const struct flt_error *err)
{
	struct experiment_result *r = run->r;

	if (r->status == EXPERIMENT_FAILED)
		return; /* the first failure is the verdict */
	r->status = EXPERIMENT_FAILED;
	snprintf(r->message, sizeof(r->message), "%s: %s", what, err->message);
	event(run, "%s", r->message);
}

static const struct trace_target *snapshot_target(const struct trace_snapshot *snap,
						  const char *trace_id)
{
	size_t i;

	for (i = 0; snap && i < snap->ntargets; i++)
		if (!strcmp(snap->targets[i].id, trace_id))
			return &snap->targets[i];
	return NULL;
}

/* The pod's faults' counters from a status (or a revert's final one); what they dropped. */
static uint64_t take_counters(struct experiment_pod *p, const struct engine_plans *st)
{
	const char *kind = target_kind_name(p->kind);
	uint64_t dropped = 0;
	size_t i, f, t;

	for (i = 0; st && i < st->n; i++)
		for (f = 0; f < st->plans[i].nfaults; f++) {
			const struct engine_fault_status *fs = &st->plans[i].faults[f];

			for (t = 0; t < fs->ntargets; t++) {
				const struct engine_target_status *ts = &fs->targets[t];
				size_t k;

				if (strcmp(ts->kind, kind) || strcmp(ts->id, p->id))
					continue;
				dropped += ts->counters.dropped_packets;
				for (k = 0; k < p->nfaults; k++)
					if (!strcmp(p->faults[k].name, fs->name))
						p->faults[k].counters = ts->counters;
			}
		}
	return dropped;
}

static void point_of(struct experiment_point *pt, const struct trace_target *t)
{
	size_t i;

	pt->connects = t->connect.count;
	pt->connect_failed = t->connect.errors;
	pt->has_connect_p99 = hist_samples(&t->connect) > 0;
	pt->connect_p99_ns = hist_percentile(&t->connect, 99);
	pt->has_rtt_p99 = hist_samples(&t->rtt) > 0;
	pt->rtt_p99_ns = hist_percentile(&t->rtt, 99);
	pt->retransmits = t->retransmits;
	for (i = 0; i < t->ndrops; i++)
		pt->drops += t->drops[i].count;
}

static int grow_series(struct experiment_result *r)
{
	size_t n = r->nintervals + 1, i;
	enum experiment_phase *ph;
	uint64_t *t;

	t = realloc(r->t_ms, n * sizeof(*t));
	if (t)
		r->t_ms = t;
	ph = realloc(r->interval_phase, n * sizeof(*ph));
	if (ph)
		r->interval_phase = ph;
	if (!t || !ph)
		return -ENOMEM;
	for (i = 0; i < r->npods; i++) {
		struct experiment_point *s = realloc(r->pods[i].series, n * sizeof(*s));

		if (!s)
			return -ENOMEM;
		memset(&s[n - 1], 0, sizeof(*s));
		r->pods[i].series = s;
	}
	return 0;
}

bool experiment_pod_of(const struct experiment_pod *p, const struct plan_condition *c)
{
	return c->target == PLAN_OBSERVED ? p->observed : !p->observed && p->target == c->target;
}

/* The abort conditions over the interval just sampled: true when one fired (run->r->abort). */
static bool conditions_fire(struct runner *run, const struct trace_snapshot *snap)
{
	struct experiment_result *r = run->r;
	const struct plan *plan = r->plan;
	const struct trace_target **pods;
	uint64_t end_ms = r->t_ms[r->nintervals - 1], value;
	size_t c, i, n;
	bool present, fired = false;

	pods = calloc(r->npods ? r->npods : 1, sizeof(*pods));
	if (!pods)
		return false;
	for (c = 0; c < plan->nconditions && !fired; c++) {
		const struct plan_condition *cond = &plan->conditions[c];
		uint64_t dropped = 0;

		for (i = n = 0; i < r->npods; i++) {
			const struct experiment_pod *p = &r->pods[i];
			const struct trace_target *t;

			if (!experiment_pod_of(p, cond))
				continue;
			dropped += p->series[r->nintervals - 1].fault_dropped;
			t = p->traced ? snapshot_target(snap, p->trace_id) : NULL;
			if (t)
				pods[n++] = t;
		}
		present = cond_value(cond, pods, n, dropped, &value);
		if (!cond_step(cond, &run->conds[c], r->interval_ms, present, value, end_ms))
			continue;
		fired = true;
		r->abort = (struct experiment_abort){
			.fired = true,
			.condition = c,
			.first_held_ms = run->conds[c].first_held_ms,
			.fired_ms = end_ms,
			.value = value,
		};
	}
	free(pods);
	return fired;
}

/*
 * One interval: what the tracer measured since the last one and, in the fault phase, what the
 * faults did; added to the series and the phase. check: evaluate the abort conditions (true
 * returned when one fired). A failure ends the run as failed (false).
 */
static bool sample(struct runner *run, enum experiment_phase phase, bool check)
{
	struct experiment_result *r = run->r;
	struct trace_snapshot snap = { 0 };
	struct engine_plans st = { 0 };
	bool have_status = false, fired = false;
	struct flt_error err;
	size_t i;

	if (run->tracer && engine_trace_read(run->tracer, true, &snap, &err)) {
		fail_run(run, "the tracer failed", &err);
		return false;
	}
	if (phase == EXPERIMENT_FAULT && run->applied) {
		have_status = !engine_status(r->plan->name, &st, &err);
		if (!have_status)
			pr_debug("run: the plan's counters: %s\n", err.message);
	}
	if (grow_series(r)) {
		flt_fail(&err, FLT_ERR_SYSTEM, ENOMEM, "out of memory");
		fail_run(run, "run", &err);
		goto out;
	}
	r->t_ms[r->nintervals] = since_start_ms(run);
	r->interval_phase[r->nintervals] = phase;
	r->nintervals++;
	for (i = 0; i < r->npods; i++) {
		struct experiment_pod *p = &r->pods[i];
		struct experiment_point *pt = &p->series[r->nintervals - 1];
		const struct trace_target *t = snapshot_target(&snap, p->trace_id);

		if (t) {
			point_of(pt, t);
			if (engine_trace_target_add(&p->phases[phase], t)) {
				flt_fail(&err, FLT_ERR_SYSTEM, ENOMEM, "out of memory");
				fail_run(run, "run", &err);
				goto out;
			}
		}
		if (have_status && !p->observed) {
			uint64_t dropped = take_counters(p, &st);

			pt->fault_dropped = dropped > p->dropped_before ? dropped - p->dropped_before
									: 0;
			p->dropped_before = dropped;
		}
	}
	if (check)
		fired = conditions_fire(run, &snap);
out:
	engine_plans_free(&st);
	engine_trace_snapshot_free(&snap);
	return fired;
}

static void revert(struct runner *run)
{
	struct experiment_result *r = run->r;
	struct engine_plans final = { 0 };
	struct flt_error err;
	size_t i;
	int ret;

	if (!run->applied)
		return;
	ret = engine_revert(r->plan->name, &final, &err);
	run->applied = false;
	for (i = 0; i < r->npods; i++)
		if (!r->pods[i].observed)
			take_counters(&r->pods[i], &final);
	engine_plans_free(&final);
	if (ret && err.kind != FLT_ERR_NOT_ACTIVE) /* gone already: its deadline passed */
		fail_run(run, "the plan could not be reverted in full", &err);
	else
		event(run, "plan %s reverted", r->plan->name);
}

enum phase_end { PHASE_DONE, PHASE_FIRED, PHASE_STOPPED, PHASE_FAILED };

/* A phase of duration_ms, an interval at a time. */
static enum phase_end run_phase(struct runner *run, enum experiment_phase phase,
				uint64_t duration_ms)
{
	struct experiment_result *r = run->r;
	const uint64_t step = r->interval_ms * NSEC_PER_MSEC;
	const uint64_t start = mono_now_ns(), end = start + duration_ms * NSEC_PER_MSEC;
	uint64_t next = start + step, now;
	bool check = phase == EXPERIMENT_FAULT && r->plan->nconditions;
	enum phase_end how = PHASE_DONE;
	bool stop;

	r->phases[phase].ran = true;
	r->phases[phase].start_ms = (start - run->start_ns) / NSEC_PER_MSEC;
	event(run, "%s phase for %llu ms", experiment_phase_name(phase),
	      (unsigned long long)duration_ms);
	for (;;) {
		stop = run->hooks->wait(run->hooks->ctx, next < end ? next : end);
		now = mono_now_ns();
		if (stop || now >= next || now >= end) {
			bool fired = sample(run, phase, check && !stop);

			if (r->status == EXPERIMENT_FAILED) {
				how = PHASE_FAILED;
				break;
			}
			if (stop) {
				how = PHASE_STOPPED;
				break;
			}
			if (run->hooks->interval)
				run->hooks->interval(run->hooks->ctx, r, phase,
						     now < end ? (end - now) / NSEC_PER_MSEC : 0);
			if (fired) {
				how = PHASE_FIRED;
				break;
			}
			/* an interval late by more than a step covers the ones it missed */
			while (next <= now)
				next += step;
		}
		if (now >= end)
			break;
	}
	r->phases[phase].end_ms = since_start_ms(run);
	return how;
}

static void set_verdict(struct experiment_result *r, enum experiment_status status,
			const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_verdict(struct experiment_result *r, enum experiment_status status,
			const char *fmt, ...)
{
	va_list ap;

	if (r->status == EXPERIMENT_FAILED)
		return;
	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

/*
 * The time the plan has left, from its deadline: apply writes the deadline before it makes the
 * first kernel object (so that a crash cannot outlive it), so the fault phase ends there, not a
 * whole duration after apply returned. The plan's duration if its status cannot be read.
 */
static uint64_t plan_left_ms(const struct plan *plan)
{
	struct engine_plans st = { 0 };
	uint64_t left = plan->duration_ms;
	struct flt_error err;

	if (!engine_status(plan->name, &st, &err) && st.n == 1 && st.plans[0].remaining_ms >= 0)
		left = (uint64_t)st.plans[0].remaining_ms;
	engine_plans_free(&st);
	return left;
}

/* The fault phase: apply, trace until the plan's deadline or an abort, revert. */
static enum phase_end fault_phase(struct runner *run)
{
	struct experiment_result *r = run->r;
	const struct plan *plan = r->plan;
	struct engine_apply_result res = { 0 };
	enum phase_end how;
	struct flt_error err;
	uint64_t left_ms;

	if (engine_apply(plan, false, &res, &err)) {
		engine_apply_result_free(&res);
		fail_run(run, "the plan could not be applied", &err);
		return PHASE_FAILED;
	}
	engine_apply_result_free(&res);
	run->applied = true;
	left_ms = plan_left_ms(plan);
	event(run, "plan %s applied for %llu ms, %llu ms of them left", plan->name,
	      (unsigned long long)plan->duration_ms, (unsigned long long)left_ms);
	how = run_phase(run, EXPERIMENT_FAULT, left_ms);
	if (how == PHASE_FIRED) {
		const struct plan_condition *c = &plan->conditions[r->abort.condition];

		event(run, "abortWhen[%zu] fired: %s %s was above its threshold for %llu ms",
		      r->abort.condition,
		      c->target == PLAN_OBSERVED ? "observed" : plan->targets[c->target].name,
		      c->metric_name,
		      (unsigned long long)(r->abort.fired_ms - r->abort.first_held_ms +
					   r->interval_ms));
	}
	revert(run);
	if (how == PHASE_FIRED)
		r->abort.reverted_ms = since_start_ms(run);
	r->phases[EXPERIMENT_FAULT].end_ms = since_start_ms(run);
	return r->status == EXPERIMENT_FAILED ? PHASE_FAILED : how;
}

static int start_tracer(struct runner *run, struct flt_error *err)
{
	struct experiment_result *r = run->r;
	struct trace_opts topts = { 0 };
	const char **ids;
	size_t i;
	int ret;

	ids = calloc(r->npods ? r->npods : 1, sizeof(*ids));
	if (!ids)
		return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "run: out of memory");
	for (i = 0; i < r->npods; i++)
		if (r->pods[i].traced)
			ids[topts.ntargets++] = r->pods[i].trace_id;
	topts.targets = ids;
	ret = topts.ntargets ? engine_trace_start(&topts, &run->tracer, err) : 0;
	free(ids);
	return ret;
}

int experiment_run(const struct experiment_opts *opts, const struct experiment_hooks *hooks,
		   struct experiment_result *r, struct flt_error *err)
{
	struct runner run = { .r = r, .opts = opts, .hooks = hooks };
	const struct plan *plan = r->plan;
	enum phase_end how = PHASE_DONE;
	int ret;

	run.conds = calloc(plan->nconditions ? plan->nconditions : 1, sizeof(*run.conds));
	if (!run.conds)
		return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "run: out of memory");
	ret = start_tracer(&run, err);
	if (ret) {
		free(run.conds);
		return ret;
	}
	run.start_ns = mono_now_ns();
	r->start_unix_ms = unix_now_ms();
	r->status = EXPERIMENT_COMPLETED;

	if (opts->baseline_ms)
		how = run_phase(&run, EXPERIMENT_BASELINE, opts->baseline_ms);
	if (how == PHASE_DONE)
		how = fault_phase(&run);
	if ((how == PHASE_DONE || how == PHASE_FIRED) && opts->recovery_ms) {
		enum phase_end rec = run_phase(&run, EXPERIMENT_RECOVERY, opts->recovery_ms);

		if (rec == PHASE_STOPPED || rec == PHASE_FAILED)
			how = rec;
	}
	revert(&run); /* a failure or a signal during the fault phase: at once */

	switch (how) {
	case PHASE_DONE:
		set_verdict(r, EXPERIMENT_COMPLETED, "the plan ran for its %llu ms and was reverted",
			    (unsigned long long)plan->duration_ms);
		break;
	case PHASE_FIRED:
		set_verdict(r, EXPERIMENT_ABORTED,
			    "abortWhen[%zu] (%s) fired at %llu ms: the plan was reverted at %llu ms",
			    r->abort.condition, plan->conditions[r->abort.condition].metric_name,
			    (unsigned long long)r->abort.fired_ms,
			    (unsigned long long)r->abort.reverted_ms);
		break;
	case PHASE_STOPPED:
		set_verdict(r, EXPERIMENT_INTERRUPTED,
			    "interrupted by a signal: the plan was reverted and the run ended");
		break;
	case PHASE_FAILED:
		break; /* fail_run() said why */
	}
	r->end_unix_ms = unix_now_ms();
	engine_trace_stop(run.tracer);
	free(run.conds);
	return 0;
}

void experiment_result_free(struct experiment_result *r)
{
	size_t i;
	int ph;

	for (i = 0; r->pods && i < r->npods; i++) {
		for (ph = 0; ph < EXPERIMENT_PHASES; ph++) {
			free(r->pods[i].phases[ph].syscalls);
			free(r->pods[i].phases[ph].drops);
		}
		free(r->pods[i].series);
		free(r->pods[i].faults);
	}
	free(r->pods);
	free(r->t_ms);
	free(r->interval_phase);
	memset(r, 0, sizeof(*r));
}
