/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Abort conditions (spec.abortWhen): a condition's value over one interval, from what the tracer
 * measured for its pods and what the plan's faults dropped, and whether it has held long enough
 * to fire. Pure: no kernel access, so that it is unit-tested on figures made up by hand.
 */
#ifndef FAULTLINE_CONDITIONS_H
#define FAULTLINE_CONDITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/trace.h"
#include "plan/plan.h"

/* Where a condition stands: the intervals in a row that held. */
struct cond_state {
	uint64_t streak;
	uint64_t first_held_ms; /* the end of the first interval of the streak */
};

/*
 * The intervals in a row a condition must hold to fire: its `for` in intervals, rounded up, at
 * least one (`for: 3s` at 1s intervals: 3; no `for`: 1).
 */
uint64_t cond_intervals_needed(const struct plan_condition *c, uint64_t interval_ms);

/*
 * The condition's value over one interval: its metric over pods (the snapshot's targets that
 * are the condition's: a target's ids, or the observed pods) merged into one, or fault_dropped
 * (what the target's faults dropped in the interval) for fault.dropped. False when the interval
 * has no value: a latency without samples. Counts always have one.
 */
bool cond_value(const struct plan_condition *c, const struct trace_target *const *pods,
		size_t npods, uint64_t fault_dropped, uint64_t *value);

/*
 * One interval ended at end_ms with the value (present: cond_value's answer): true when the
 * condition fires, having held for cond_intervals_needed() intervals in a row. An interval that
 * does not hold (not above, or no value) ends the streak.
 */
bool cond_step(const struct plan_condition *c, struct cond_state *st, uint64_t interval_ms,
	       bool present, uint64_t value, uint64_t end_ms);

#endif /* FAULTLINE_CONDITIONS_H */
