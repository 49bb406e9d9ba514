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
#include "state/store.h"

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
