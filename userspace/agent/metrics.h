/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's metrics in Prometheus' text format (0.0.4), rendered from a view of what the
 * agent knows; pure, no kernel access (tests/unit/test_metrics.c). docs/agent.md lists every
 * metric, its labels and the bounds on their cardinality.
 */
#ifndef FAULTLINE_AGENT_METRICS_H
#define FAULTLINE_AGENT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/trace.h"

#define METRICS_TOP_SYSCALLS 5 /* syscalls per pod in faultline_syscall_latency_seconds */
#define METRICS_TOP_DROPS 5 /* drop reasons per pod in faultline_drops_total */
#define METRICS_MAX_PODS 256 /* pods with tracer figures */

/* Why a plan file was not applied, counted in faultline_plan_errors_total{reason}. */
enum agent_error_reason {
	AGENT_ERR_INVALID,  /* the file is not a valid plan */
	AGENT_ERR_POLICY,   /* refused by the node policy */
	AGENT_ERR_FROZEN,   /* refused: the node is frozen */
	AGENT_ERR_CONFLICT, /* a plan of that name or on those targets is active */
	AGENT_ERR_APPLY,    /* the apply failed */
	AGENT_ERR_REVERT,   /* a revert failed */
	AGENT_ERR_REASONS,
};

const char *agent_error_reason_name(enum agent_error_reason r); /* "invalid", ... */

/* A pod the tracer follows for the active plans, with what it measured since it was first. */
struct metrics_pod {
	const char *uid;
	const char *ns; /* "" when unknown */
	const char *name;
	const struct trace_target *totals; /* cumulative since the agent first traced it */
};

struct metrics_view {
	const struct engine_plans *plans; /* active plans, with counters and namespace/name */
	uint64_t errors[AGENT_ERR_REASONS]; /* since the agent started */
	size_t npods;
	const struct metrics_pod *pods;
	bool tracer; /* the tracer runs (else no tracer figures) */
	bool frozen;
	size_t files; /* plan files in the directory */
};

/* The text of /metrics, malloc'ed; NULL when out of memory. */
char *metrics_render(const struct metrics_view *v);

#endif /* FAULTLINE_AGENT_METRICS_H */
