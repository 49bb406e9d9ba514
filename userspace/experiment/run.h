/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An experiment: trace a plan's targets and observed pods for a baseline, apply the plan, trace
 * while it is active (evaluating its abort conditions each interval), revert it, trace the
 * recovery. What was measured, per pod, per phase and per interval, is the result, from which
 * the front end writes report.json. Like the engine it prints nothing: the front end is told of
 * each interval and event through hooks, and says through its wait hook when to stop.
 */
#ifndef FAULTLINE_EXPERIMENT_RUN_H
#define FAULTLINE_EXPERIMENT_RUN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "engine/engine.h"
#include "engine/trace.h"
#include "plan/plan.h"

enum experiment_phase {
	EXPERIMENT_BASELINE,
	EXPERIMENT_FAULT,
	EXPERIMENT_RECOVERY,
	EXPERIMENT_PHASES,
};

enum experiment_status {
	EXPERIMENT_COMPLETED,
	EXPERIMENT_ABORTED,
	EXPERIMENT_INTERRUPTED,
	EXPERIMENT_FAILED,
};

const char *experiment_phase_name(enum experiment_phase phase); /* "baseline", ... */
const char *experiment_status_name(enum experiment_status status); /* "completed", ... */

struct experiment_opts {
	uint64_t baseline_ms; /* 0: no baseline */
	uint64_t recovery_ms; /* 0: no recovery */
	uint64_t interval_ms; /* > 0 */
};

/* One pod's main figures over one interval. A latency without samples has has_* false. */
struct experiment_point {
	uint64_t connects;
	uint64_t connect_failed;
	bool has_connect_p99, has_rtt_p99;
	uint64_t connect_p99_ns;
	uint64_t rtt_p99_ns;
	uint64_t retransmits;
	uint64_t drops;
	uint64_t fault_dropped;
};

struct experiment_fault_counters {
	char name[STATE_NAME_MAX];
	struct engine_counters counters;
};

/* A target id of the plan (role target) or an observed pod or cgroup. */
struct experiment_pod {
	char id[PATH_MAX]; /* as the plan wrote it; a pod's UID for a NAMESPACE/NAME expanded */
	enum target_kind kind;
	const char *pattern; /* the plan's NAMESPACE/NAME or NAMESPACE/GLOB; NULL for a UID */
	/* a pod's namespace and name from /var/log/pods; "" when unknown */
	char pod_namespace[64];
	char pod_name[254];
	bool observed;
	size_t target; /* index into plan->targets; PLAN_OBSERVED for an observed one */
	bool traced; /* pods and cgroups: the tracer attributes by cgroup */
	char trace_id[PATH_MAX]; /* the tracer's name for it: the UID, or cgroup:PATH */
	struct trace_target phases[EXPERIMENT_PHASES]; /* accumulated over each phase that ran */
	struct experiment_point *series; /* one per interval of the result */
	size_t nfaults;
	struct experiment_fault_counters *faults; /* its target's faults: the last counters */
	uint64_t dropped_before; /* what its faults had dropped at the previous interval */
};

struct experiment_span {
	bool ran;
	uint64_t start_ms, end_ms; /* from the run's start */
};

struct experiment_abort {
	bool fired;
	size_t condition; /* index into plan->conditions */
	uint64_t first_held_ms, fired_ms, reverted_ms;
	uint64_t value; /* ns for a latency */
};

struct experiment_result {
	const struct plan *plan;
	char version[32];
	char hostname[256];
	char kernel[256]; /* uname's release and version */
	uint64_t start_unix_ms, end_unix_ms;
	uint64_t interval_ms;
	struct experiment_span phases[EXPERIMENT_PHASES];
	size_t nintervals;
	uint64_t *t_ms; /* each interval's end, from the start */
	enum experiment_phase *interval_phase;
	size_t npods;
	struct experiment_pod *pods;
	struct experiment_abort abort;
	enum experiment_status status;
	char message[512]; /* the verdict in words */
};

struct experiment_hooks {
	/*
	 * Wait until deadline (CLOCK_MONOTONIC ns); true when the run must end now (a signal):
	 * the plan is reverted at once and the run ends, interrupted.
	 */
	bool (*wait)(void *ctx, uint64_t deadline_ns);
	/* After each interval: phase, the time left in it, the result so far. May be NULL. */
	void (*interval)(void *ctx, const struct experiment_result *r, enum experiment_phase phase,
			 uint64_t left_ms);
	/* A line about what happened (applied, reverted, a condition fired). May be NULL. */
	void (*event)(void *ctx, const char *what);
	void *ctx;
};

/*
 * Check that the plan can run here (engine_apply's dry run: its targets, a name not active) and
 * fill r's pods; nothing is changed. FLT_ERR_INPUT / FLT_ERR_TARGET as apply gives them.
 */
int experiment_prepare(const struct plan *plan, const struct experiment_opts *opts,
		       struct experiment_result *r, struct flt_error *err);

/*
 * Run the experiment prepared in r. 0 when there is a result to report, whatever its status
 * (r->status, r->message); a negative errno with err when the tracer could not start (nothing
 * was changed, there is nothing to report).
 */
int experiment_run(const struct experiment_opts *opts, const struct experiment_hooks *hooks,
		   struct experiment_result *r, struct flt_error *err);

void experiment_result_free(struct experiment_result *r);

/* Is pod one of condition c's: a pod of its target, or observed for "observed"? */
bool experiment_pod_of(const struct experiment_pod *p, const struct plan_condition *c);

#endif /* FAULTLINE_EXPERIMENT_RUN_H */
