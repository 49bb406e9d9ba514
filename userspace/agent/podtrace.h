/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracer's figures for the agent's metrics: one tracer session for the pods that the active
 * plans target or observe, restarted when that set changes, and per pod the sum of every read
 * while the pod stays in the set (so the metrics' _total counters only grow).
 */
#ifndef FAULTLINE_AGENT_PODTRACE_H
#define FAULTLINE_AGENT_PODTRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/metrics.h"
#include "common/error.h"
#include "engine/trace.h"
#include "kernel/podnames.h"

struct podtrace_pod {
	char uid[POD_UID_MAX];
	struct pod_name name; /* ns and name "" when /var/log/pods does not have it */
	struct trace_target totals;
};

struct podtrace {
	struct trace_session *session; /* NULL: not tracing */
	size_t npods;
	struct podtrace_pod *pods; /* the set, sorted by UID */
	struct metrics_pod *view; /* npods of them, for metrics_render() */
	bool start_failed; /* for this set: not tried again until the set changes */
};

/*
 * Trace exactly these pod UIDs (any order, duplicates allowed, at most METRICS_MAX_PODS kept):
 * nothing when the set is the one traced; else the old session's last figures are kept, it is
 * stopped and one for the new set started (none for an empty set). 0, or -errno with err set
 * once when the new session could not start (then no figures until the set changes).
 */
int podtrace_update(struct podtrace *t, const char *const *uids, size_t n,
		    struct flt_error *err);

/* Add what the session measured since the last read into each pod's totals. */
int podtrace_read(struct podtrace *t, struct flt_error *err);

static inline bool podtrace_running(const struct podtrace *t)
{
	return t->session != NULL;
}

/* Stop tracing and free everything; t can be used again. */
void podtrace_stop(struct podtrace *t);

#endif /* FAULTLINE_AGENT_PODTRACE_H */
