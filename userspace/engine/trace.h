/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracer: per-target syscall latency, TCP connect latency and failures, RTT, retransmits and
 * drops, measured in the kernel (bpf/trace.bpf.c) for the processes and sockets of pods and
 * cgroups. A session loads and attaches the tracer, each read returns what was measured, and
 * stopping detaches it (so does the process's exit, however it ends: nothing is pinned).
 * Like the rest of the engine it prints nothing.
 */
#ifndef FAULTLINE_ENGINE_TRACE_H
#define FAULTLINE_ENGINE_TRACE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hist.h"

#define TRACE_NAME_MAX 64

struct trace_opts {
	/* pod UIDs, NAMESPACE/NAME or NAMESPACE/GLOB (kubelet's /var/log/pods), or "cgroup:PATH"
	 * (relative to the cgroup2 mount) */
	const char *const *targets;
	size_t ntargets;
	bool all_pods; /* and every pod of this node */
	const char *const *syscalls; /* only these syscalls ("read"); none: every syscall */
	size_t nsyscalls;
};

struct trace_syscall {
	int nr;
	char name[TRACE_NAME_MAX]; /* "read", or "syscall_NR" when it has no name */
	struct hist h; /* errors: calls that returned an error */
};

struct trace_drop {
	uint32_t reason; /* enum skb_drop_reason of the running kernel */
	char name[TRACE_NAME_MAX]; /* its name from the kernel's BTF, without SKB_DROP_REASON_ */
	uint64_t count;
};

struct trace_target {
	char id[PATH_MAX]; /* the pod UID, or "cgroup:PATH" as given */
	const char *kind; /* "pod" or "cgroup" */
	/* a pod's namespace and name from /var/log/pods (kernel/podnames.h); "" when unknown */
	char pod_namespace[64];
	char pod_name[254];
	size_t nsyscalls;
	struct trace_syscall *syscalls; /* by total_ns, largest first; only those that were called */
	struct hist connect; /* count: connects that ended; errors: failed; buckets: the successful */
	struct hist rtt; /* smoothed RTT, one sample per TCP segment received */
	uint64_t retransmits;
	size_t ndrops;
	struct trace_drop *drops; /* by count, largest first */
};

struct trace_snapshot {
	uint64_t duration_ms; /* what the snapshot covers */
	uint64_t overflow; /* events not counted because a map was full */
	size_t ntargets;
	struct trace_target *targets; /* in the order given, then --all-pods' pods */
};

struct trace_session;

/*
 * Resolve the targets (FLT_ERR_TARGET for one not on this node, FLT_ERR_INPUT for a malformed
 * one or an unknown syscall name), load the tracer and attach it (tp_btf, or raw_tp where the
 * kernel has no tp_btf); FLT_ERR_SYSTEM when the kernel refuses.
 */
int engine_trace_start(const struct trace_opts *opts, struct trace_session **s,
		       struct flt_error *err);

/*
 * What was measured: since the start (since_last false) or since the previous read (true).
 * snap is freed with engine_trace_snapshot_free().
 */
int engine_trace_read(struct trace_session *s, bool since_last, struct trace_snapshot *snap,
		      struct flt_error *err);
void engine_trace_snapshot_free(struct trace_snapshot *snap);

/*
 * into += delta: a target's figures over one read added into those of a longer span (a phase of
 * an experiment); syscalls by number, drops by reason, sorted as reads sort them. 0 or -ENOMEM
 * (into keeps what was added so far). Free into's syscalls and drops with free().
 */
int engine_trace_target_add(struct trace_target *into, const struct trace_target *delta);

/*
 * Fill t's pod_namespace and pod_name from its id when it is a pod that kubelet's log folders
 * name; else leave them "" (a front end with a target it made itself, such as run's).
 */
void engine_trace_target_names(struct trace_target *t);

/* The targets the session traces (--all-pods' pods included, a cgroup named twice once). */
size_t engine_trace_ntargets(const struct trace_session *s);

/* Which hooks the session uses: "tp_btf" or "raw_tp". */
const char *engine_trace_mode(const struct trace_session *s);

void engine_trace_stop(struct trace_session *s);

#endif /* FAULTLINE_ENGINE_TRACE_H */
