/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The checks of a fault plan that involve several fields (internal to userspace/plan/): what
 * the fields of one fault mean together, and what links a fault to its target. Each check
 * refuses what would be accepted without having its effect in the kernel (docs/plan.md, "What
 * combines"), with the position of the field at fault.
 */
#ifndef FAULTLINE_PLAN_VALIDATE_H
#define FAULTLINE_PLAN_VALIDATE_H

#include <stddef.h>

#include "plan/walk.h"

struct plan_fault;

/* The fields of a fault, in the order of schema.c's table: the checks find them by index. */
enum fault_field {
	FAULT_NAME,
	FAULT_TARGET,
	FAULT_DIRECTION,
	FAULT_MATCH,
	FAULT_BLACKHOLE,
	FAULT_REJECT,
	FAULT_LOSS,
	FAULT_BACKEND,
	FAULT_DELAY,
	FAULT_RATE,
	FAULT_DUPLICATE,
	FAULT_CORRUPT,
	FAULT_REORDER,
	FAULT_FIELD_COUNT,
};

/* The fields of a fault's match, likewise. */
enum match_field {
	MATCH_CIDRS,
	MATCH_PROTOCOL,
	MATCH_PORTS,
	MATCH_LOCAL_PORTS,
	MATCH_FIELD_COUNT,
};

/* A fault's nodes, kept until spec is read: its target is checked then. */
struct fault_refs {
	struct seen_field fields[MAX_FIELDS]; /* by enum fault_field */
	struct seen_field match[MAX_FIELDS];  /* by enum match_field */
	/* the first effect that needs network interfaces (delay, rate, netem); -1: none */
	int waiting_field;
	const char *waiting_what; /* as messages name it: "loss model gilbert-elliott" */
};

/* Once match's fields are read: what protocol icmp rules out. */
int check_match(struct parser *p, const struct plan_fault *fault, const struct seen_field *match);

/* Once a fault's fields are read (node is the fault): what they mean together. */
int check_fault(struct parser *p, struct plan_fault *fault, yaml_node_t *node,
		struct fault_refs *refs);

/*
 * Once spec is read: the target fault i names becomes its index, and the fault is checked
 * against that target and the faults before it.
 */
int link_fault_target(struct parser *p, size_t i);

#endif /* FAULTLINE_PLAN_VALIDATE_H */
