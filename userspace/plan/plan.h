/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fault plan: parsed from YAML or JSON (libyaml reads both), validated, positioned errors.
 * The plan layer never touches the kernel. load.c reads a plan, schema.c has its fields,
 * validate.c the checks across them, values.c its scalar values, experiment.c faultline run's
 * sections (observe, abortWhen).
 */
#ifndef FAULTLINE_PLAN_H
#define FAULTLINE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "plan/values.h"

#define PLAN_DEFAULT_MAX_DURATION_MS (60ULL * 60 * 1000) /* 1h unless --max-duration */

enum target_kind {
	TARGET_POD,
	TARGET_CGROUP,
	TARGET_NETNS,
	TARGET_INTERFACE,
};

struct plan_pos {
	unsigned int line; /* 1-based */
	unsigned int col;  /* 1-based */
};

#define PLAN_NETEM_DUPLICATE 1
#define PLAN_NETEM_CORRUPT 2
#define PLAN_NETEM_REORDER 4
#define PLAN_NETEM_LOSS_GE 8 /* loss: {model: gilbert-elliott, ...}; FLT_ACT_LOSS is not set then */

/* One element of a target's pods/cgroups/netns/interfaces list, exactly as the plan wrote it. */
struct plan_target_id {
	char *id; /* a pod's UID once engine_expand_pods() ran */
	char *pattern; /* the NAMESPACE/NAME or NAMESPACE/GLOB it was expanded from; else NULL */
	enum target_kind kind;
	struct plan_pos pos;
};

/* A named target: spec.targets.<name>. */
struct plan_target {
	char *name;
	struct plan_pos pos;
	struct plan_target_id *ids;
	size_t nids;
};

struct plan_fault {
	char *name;
	struct plan_pos pos;
	size_t target;		/* index into plan.targets */
	unsigned int direction; /* FLT_DIR_* from bpf/fault.h; default egress */
	uint8_t protocol;	/* FLT_PROTO_*; default any */
	struct plan_cidr *cidrs;
	size_t ncidrs;
	struct plan_port_range *ports;
	size_t nports;
	struct plan_port_range *local_ports;
	size_t nlocal_ports;
	unsigned int actions; /* FLT_ACT_* */
	double loss_percent;  /* with FLT_ACT_LOSS: 0 < p <= 100 */
	int reject_errno;     /* with FLT_ACT_REJECT: positive errno */

	/* Latency and shaping (FLT_ACT_DELAY, FLT_ACT_RATE in actions) */
	enum plan_backend backend;   /* backend: auto (default) | edt | netem */
	uint64_t delay_ns;	     /* delay.time */
	uint64_t jitter_ns;	     /* delay.jitter, 0 if absent */
	uint8_t distribution;	     /* delay.distribution: FLT_DIST_*, default uniform */
	double delay_correlation;    /* delay.correlation in percent, 0 if absent */
	uint64_t rate_bytes_per_sec; /* rate.bandwidth */

	/* netem-only effects: a fault with any of them needs the netem backend */
	unsigned int netem_effects; /* PLAN_NETEM_* */
	double duplicate_percent;
	double corrupt_percent;
	double reorder_percent; /* needs a delay on the same fault */
	double reorder_correlation;
	/* loss: {model: gilbert-elliott, p, r, h, k}: percents as written (the model's h and k:
	 * probabilities of no loss in the bad and in the good state) */
	double ge_p, ge_r, ge_h, ge_k;
};

/* spec.abortWhen[].metric: what a condition compares with its threshold, per interval. */
enum plan_metric {
	PLAN_METRIC_CONNECT_FAILED, /* tcp.connect.failed: a count */
	PLAN_METRIC_CONNECT_P99,    /* tcp.connect.p99: a latency */
	PLAN_METRIC_RTT_P99,	    /* tcp.rtt.p99: a latency */
	PLAN_METRIC_RETRANSMITS,    /* tcp.retransmits: a count */
	PLAN_METRIC_SYSCALL_P99,    /* syscall.NAME.p99: a latency */
	PLAN_METRIC_FAULT_DROPPED,  /* fault.dropped: a count */
};

/* plan_condition.target for "observed": the pods of spec.observe. */
#define PLAN_OBSERVED ((size_t)-1)

/* One element of spec.abortWhen. */
struct plan_condition {
	struct plan_pos pos;
	size_t target; /* index into plan.targets, or PLAN_OBSERVED */
	enum plan_metric metric;
	int syscall_nr;	     /* PLAN_METRIC_SYSCALL_P99: the syscall's number; -1 otherwise */
	char *metric_name;   /* as written: "tcp.connect.failed", "syscall.read.p99" */
	bool latency;	     /* the metric is a latency: above is in ns; else a count */
	uint64_t above;	     /* the threshold: ns for a latency, else a count per interval */
	uint64_t for_ms;     /* held for this long (0 if absent: one interval) */
};

struct plan {
	char *file;	      /* as given on the command line, for messages */
	char *name;	      /* metadata.name */
	uint64_t duration_ms; /* spec.duration */
	struct plan_pos duration_pos; /* of spec.duration's value (the node policy's refusals) */
	struct plan_target *targets;
	size_t ntargets;
	struct plan_fault *faults;
	size_t nfaults;
	/* faultline run's sections: pods watched but not faulted, and abort conditions */
	struct plan_target_id *observed; /* spec.observe.pods and .cgroups, in document order */
	size_t nobserved;
	struct plan_pos observe_pos; /* of spec.observe's key; line 0 when absent */
	struct plan_condition *conditions; /* spec.abortWhen */
	size_t nconditions;
	struct plan_pos abort_pos; /* of spec.abortWhen's key; line 0 when absent */
};

struct flt_error;

/*
 * Parse and validate the plan at path. Any plan longer than max_duration_ms is refused.
 * Returns 0, or a negative errno with err filled (common/error.h; err may be NULL):
 * - an invalid plan: -EINVAL, kind FLT_ERR_INPUT, with err's file, line, column and field
 *   (a path: spec.faults[1].match.ports[0]; "" for the document itself and for yaml syntax)
 *   and the message "file:line:col: field: what is wrong";
 * - a file that is not a plan to read (missing, a directory, a socket, over 1 MiB: -EFBIG):
 *   FLT_ERR_INPUT, no position (line 0), the message naming the file and the cause;
 * - any other failure to read it, or memory: FLT_ERR_SYSTEM.
 * On error *plan is left empty; plan_free is safe. Path "-" reads standard input, named
 * "<stdin>" in messages.
 */
int plan_parse_file(const char *path, uint64_t max_duration_ms, struct plan *plan,
		    struct flt_error *err);

/* The same on text in memory; file is used in messages only. */
int plan_parse_string(const char *file, const char *text, size_t len, uint64_t max_duration_ms,
		      struct plan *plan, struct flt_error *err);

void plan_free(struct plan *plan);

const char *target_kind_name(enum target_kind kind); /* "pod", "cgroup", "netns", "interface" */

/* "tcp.connect.failed", ...; for PLAN_METRIC_SYSCALL_P99 "syscall.NAME.p99" is metric_name. */
const char *plan_metric_name(enum plan_metric metric);

#endif /* FAULTLINE_PLAN_H */
