/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * faultline's engine: apply a plan, read what active plans do, revert them, sweep expired ones,
 * probe the kernel. Each call is one operation under the state store's lock, returns a result
 * struct and, on failure, a negative errno with a struct flt_error whose kind decides the exit
 * status. The engine writes nothing to stdout: the front ends (the CLI, the tracer, the
 * experiment runner, the agent) decide what to print. Warnings go to the log (common/log.h).
 */
#ifndef FAULTLINE_ENGINE_H
#define FAULTLINE_ENGINE_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "plan/plan.h"
#include "plan/policy.h"
#include "state/store.h"

struct engine_plans;

/* --- pods by name, the node policy, freeze ----------------------------------------------------- */

/*
 * Replace each pod id of plan (targets and spec.observe) that is NAMESPACE/NAME or
 * NAMESPACE/GLOB by the UIDs of the pods of this node it names (kernel/podnames.h), in place:
 * each expanded id keeps its position and gets pattern (the id as written; NULL for a UID as
 * written). FLT_ERR_TARGET, positioned at the id, when a name or glob matches no pod of this
 * node. Front ends call it once after parsing, before engine_apply() or engine_trace_start().
 */
int engine_expand_pods(struct plan *plan, struct flt_error *err);

/*
 * The node policy that engine_apply() enforces from now on in this process (NULL: none); the
 * engine keeps the pointer, the caller keeps the policy alive.
 */
void engine_set_policy(const struct policy *policy);
/* The policy set (NULL: none): engine_apply() loads its protected CIDRs into the programs. */
const struct policy *engine_policy(void);

/*
 * Check an expanded plan against the policy set (no policy: 0). FLT_ERR_INPUT, positioned at
 * the plan's field that breaks it, the message naming the policy's rule:
 * "plan.yaml:9:11: spec.targets.web.pods[0]: refused by policy FILE: protect.namespaces:
 * pod kube-system/coredns-1 (UID) is in a protected namespace". engine_apply() calls it too.
 */
int engine_policy_check(const struct plan *plan, struct flt_error *err);

/*
 * The kill switch: mark the node frozen in the state store (it survives restarts of any
 * faultline process), then revert every active plan (reverted gets their final counters).
 * While frozen, engine_apply() refuses every plan with FLT_ERR_INPUT "node is frozen ...".
 */
int engine_freeze(struct engine_plans *reverted, struct flt_error *err);
int engine_unfreeze(struct flt_error *err);
int engine_frozen(bool *frozen, struct flt_error *err);

/*
 * The agent's memory of the plan contents it applied (a key: a hash of the file's name and
 * content), kept in the state store so that a restarted agent does not apply a content again.
 * The oldest are forgotten past some thousands.
 */
int engine_seen_add(uint64_t key, struct flt_error *err);
int engine_seen_has(uint64_t key, bool *seen, struct flt_error *err);

/* --- apply ------------------------------------------------------------------------------------ */

/* One attachment apply makes (or, with dry_run, would make). */
struct engine_hook {
	char what[STATE_WHAT_MAX];
	const char *hook; /* "tc ingress", "cgroup connect4", ... */
	bool tc;
	char ifname[IF_NAMESIZE]; /* tc */
	int ifindex;
	const char *netns; /* tc: the netns path entered, NULL for faultline's own */
	char cgroup[PATH_MAX]; /* cgroup hooks: the directory */
};

/* A device's queue where packets of waiting faults wait. */
struct engine_queue {
	char ifname[IF_NAMESIZE];
	const char *qdisc; /* "fq (edt)", "prio with netem leaves" */
	bool egress; /* on the device's own egress */
	bool ifb; /* on an IFB for what arrives on its ingress */
};

/* One target id of the plan (a pod, cgroup, netns or interface) and what it gets. */
struct engine_slot {
	const char *target; /* the plan's target name */
	const char *kind; /* "pod", ... */
	const char *id;
	size_t nhooks;
	struct engine_hook *hooks;
	size_t nqueues;
	struct engine_queue *queues;
	size_t nfaults;
	const char **faults; /* the names of its faults */
};

struct engine_apply_result {
	bool dry_run;
	const char *tc_mode; /* "tcx link", "clsact filter"; NULL when no tc program or dry run */
	size_t ntargets; /* the plan's targets that faults use */
	size_t nids; /* their ids: pods, cgroups, netns, interfaces */
	size_t nslots;
	struct engine_slot *slots;
};

/*
 * Validate plan against this node and apply all of its faults or none. FLT_ERR_INPUT: a plan
 * this node cannot run (a qdisc this kernel lacks, a name already active, a target another active
 * plan has); FLT_ERR_TARGET: a target that is not here; FLT_ERR_SYSTEM otherwise, with nothing
 * left behind. dry_run: resolve and plan, change nothing.
 */
int engine_apply(const struct plan *plan, bool dry_run, struct engine_apply_result *res,
		 struct flt_error *err);
void engine_apply_result_free(struct engine_apply_result *res);

/* --- status, revert, sweep -------------------------------------------------------------------- */

struct engine_counters {
	uint64_t matched_packets;
	uint64_t matched_bytes;
	uint64_t dropped_packets;
	uint64_t rejected_connects;
	uint64_t rejected_sends;
};

struct engine_target_status {
	char kind[16];
	char id[PATH_MAX];
	char pod_namespace[64]; /* pods: from /var/log/pods (kernel/podnames.h); "" when unknown */
	char pod_name[254];
	bool gone; /* the pod, cgroup, netns or interface is no longer there */
	struct engine_counters counters;
};

struct engine_fault_status {
	char name[STATE_NAME_MAX];
	char target[STATE_NAME_MAX];
	size_t ntargets;
	struct engine_target_status *targets;
};

struct engine_attachment {
	char what[STATE_WHAT_MAX];
	bool attached;
};

struct engine_plan_status {
	char name[STATE_NAME_MAX];
	char file[PATH_MAX];
	bool partial; /* apply was interrupted: not every planned attachment was made */
	int64_t remaining_ms;
	uint64_t duration_ms;
	uint64_t applied_unix_ms;
	size_t nfaults;
	struct engine_fault_status *faults;
	size_t nattachments;
	struct engine_attachment *attachments; /* planned, and whether made */
};

struct engine_plans {
	size_t n;
	struct engine_plan_status *plans;
};

void engine_plans_free(struct engine_plans *plans);

/* The active plans (name NULL), or one: FLT_ERR_NOT_ACTIVE when there is no such plan. */
int engine_status(const char *name, struct engine_plans *out, struct flt_error *err);

/*
 * Remove every kernel object of plan name; out gets its final counters. FLT_ERR_INPUT for an
 * invalid name, FLT_ERR_NOT_ACTIVE when there is no such plan, FLT_ERR_SYSTEM when something
 * could not be removed (the rest is removed all the same).
 */
int engine_revert(const char *name, struct engine_plans *out, struct flt_error *err);
int engine_revert_all(struct engine_plans *out, struct flt_error *err);

/*
 * Revert the plans whose deadline has passed, and remove what a killed apply left without a
 * description; out gets the expired plans' final counters. Every command but probe and lint
 * calls it first. Fails only when the store cannot be opened or listed (then the command cannot
 * work either); what an expired plan left behind is logged, and swept again next time.
 */
int engine_sweep(struct engine_plans *out, struct flt_error *err);

/* --- probe ------------------------------------------------------------------------------------ */

struct engine_feature {
	const char *name;
	bool supported;
	char why[256];
};

#define ENGINE_FEATURES_MAX 32

struct engine_probe_result {
	char kernel[128];
	size_t n;
	struct engine_feature features[ENGINE_FEATURES_MAX];
};

/* What this kernel supports; changes nothing. Without privileges, says which are missing. */
void engine_probe(struct engine_probe_result *res);

/* The capabilities apply, status and revert need; FLT_ERR_SYSTEM naming the missing ones. */
int engine_check_privileges(const char *command, struct flt_error *err);

#endif /* FAULTLINE_ENGINE_H */
