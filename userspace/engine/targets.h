/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the engine: a plan's targets resolved on this node, one slot per target id (a pod, a
 * cgroup, a netns or an interface), with the faults it gets, the hooks it needs and where its
 * packets wait. Shared by apply.c (which attaches them) and targets.c (which resolves them).
 */
#ifndef FAULTLINE_TARGETS_H
#define FAULTLINE_TARGETS_H

#include <limits.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "fault.h"
#include "kernel/attach.h"
#include "kernel/features.h"
#include "kernel/netdev.h"
#include "kernel/pods.h"
#include "kernel/shaping.h"
#include "plan/plan.h"
#include "state/store.h"

#define NETNS_SLOTS_MAX 64 /* network namespaces one plan attaches tc programs in */
#define PACKET_ACTIONS (FLT_ACT_BLACKHOLE | FLT_ACT_LOSS)

struct fault_bpf;

struct slot {
	const struct plan_target *target;
	const struct plan_target_id *id;
	struct pod pod;
	char cgroup_dir[PATH_MAX]; /* "" when the slot has no cgroup */
	uint64_t cgroup_id;
	const char *netns_path; /* netns targets: the path to enter; NULL: faultline's own */
	uint64_t netns_ino;
	uint32_t netns_slot;
	struct netdev_entry *ifaces;
	size_t nifaces;
	uint32_t iface_flags;
	size_t faults[FLT_MAX_RULES]; /* plan fault indices, in rule order */
	size_t nrules;
	unsigned int actions; /* union over its rules */
	/* where packets wait (delay, rate, netem), per rule and for its devices */
	bool waits;
	unsigned int wait_directions; /* FLT_DIR_* of its waiting faults */
	enum shaping_kind kinds[FLT_MAX_RULES];
	enum shaping_kind device_kind;
	int *ifb_ifindex; /* per interface, 0 when none */
};

struct apply {
	const struct plan *plan;
	bool dry_run;
	struct slot *slots;
	size_t nslots;
	uint64_t own_netns_ino;
	const char *netns_paths[NETNS_SLOTS_MAX]; /* index: netns slot; [0] is faultline's own */
	uint64_t netns_inos[NETNS_SLOTS_MAX];
	uint32_t nnetns;
	enum tc_mode tc_mode;
	struct fault_bpf *skels[NETNS_SLOTS_MAX];
	struct state_store store;
	struct state_desc desc;
	struct flt_error *err;
	const struct plan_target_id *bad_id; /* the target id resolve_targets() failed on */
	size_t bad_fault; /* the fault a kernel cannot run, SIZE_MAX if none */
	bool caps_known;
	struct shaping_caps caps;
	bool ifb_known;
	enum ifb_path ifb_path; /* choose_ifb_path(): AUTO when no way to an IFB works */
};

/* The hooks a slot needs, as they are listed by --dry-run and attached by apply. */
enum hook {
	HOOK_TC_INGRESS,
	HOOK_TC_EGRESS,
	HOOK_CG_INGRESS,
	HOOK_CG_EGRESS,
	HOOK_CONNECT4,
	HOOK_CONNECT6,
	HOOK_SENDMSG4,
	HOOK_SENDMSG6,
	HOOK_COUNT,
};

struct hook_info {
	const char *name;
	enum bpf_attach_type attach_type;
};
extern const struct hook_info hooks[HOOK_COUNT];

static inline bool hook_is_tc(enum hook h)
{
	return h == HOOK_TC_INGRESS || h == HOOK_TC_EGRESS;
}

bool slot_needs(const struct slot *s, enum hook h);

/* A failure that has nothing to say but its errno ret (memory, a map, a pin): the system's. */
int system_failure(struct flt_error *err, int ret);

/* The inode of the network namespace at path. */
int netns_ino_of(const char *path, uint64_t *ino);

/*
 * One slot per target id, each resolved on this node. On failure ap->err has the kind the kernel
 * layer or the resolver gave it, and the position of the fault or target id at fault where there
 * is one (FLT_ERR_INPUT or _TARGET); an FLT_ERR_SYSTEM error has no position.
 */
int resolve_targets(struct apply *ap);

/* Is another active plan already on one of ap's targets? FLT_ERR_INPUT naming both. */
int check_other_plans(struct apply *ap);

void slots_free(struct apply *ap);

#endif /* FAULTLINE_TARGETS_H */
