// SPDX-License-Identifier: GPL-2.0-only
#include "experiment/conditions.h"
#include "common/hist.h"

uint64_t cond_intervals_needed(const struct plan_condition *c, uint64_t interval_ms)
{
	uint64_t n;

	if (!interval_ms)
		return 1;
	n = c->for_ms / interval_ms + (c->for_ms % interval_ms != 0);
	return n ? n : 1;
}

/* p99 of a latency over pods merged; false without samples. */
static bool merged_p99(const struct plan_condition *c, const struct trace_target *const *pods,
		       size_t npods, uint64_t *value)
{
	struct hist merged = { 0 };
	size_t i, s;

	for (i = 0; i < npods; i++) {
		const struct trace_target *t = pods[i];

		switch (c->metric) {
		case PLAN_METRIC_CONNECT_P99:
			hist_merge(&merged, &t->connect);
			break;
		case PLAN_METRIC_RTT_P99:
			hist_merge(&merged, &t->rtt);
			break;
		default: /* PLAN_METRIC_SYSCALL_P99 */
			for (s = 0; s < t->nsyscalls; s++)
				if (t->syscalls[s].nr == c->syscall_nr)
					hist_merge(&merged, &t->syscalls[s].h);
			break;
		}
	}
	if (!hist_samples(&merged))
		return false;
	*value = hist_percentile(&merged, 99);
	return true;
}

bool cond_value(const struct plan_condition *c, const struct trace_target *const *pods,
		size_t npods, uint64_t fault_dropped, uint64_t *value)
{
	size_t i;

	*value = 0;
	switch (c->metric) {
	case PLAN_METRIC_CONNECT_FAILED:
		for (i = 0; i < npods; i++)
			*value += pods[i]->connect.errors;
		return true;
	case PLAN_METRIC_RETRANSMITS:
		for (i = 0; i < npods; i++)
			*value += pods[i]->retransmits;
		return true;
	case PLAN_METRIC_FAULT_DROPPED:
		*value = fault_dropped;
		return true;
	case PLAN_METRIC_CONNECT_P99:
	case PLAN_METRIC_RTT_P99:
	case PLAN_METRIC_SYSCALL_P99:
		return merged_p99(c, pods, npods, value);
	}
	return false;
}

bool cond_step(const struct plan_condition *c, struct cond_state *st, uint64_t interval_ms,
	       bool present, uint64_t value, uint64_t end_ms)
{
	if (!present || value <= c->above) {
		st->streak = 0;
		return false;
	}
	if (!st->streak++)
		st->first_held_ms = end_ms;
	return st->streak >= cond_intervals_needed(c, interval_ms);
}
