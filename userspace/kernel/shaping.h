/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where packets wait: delay and rate need a queue on a device's egress. The edt backend stamps
 * departure times that an fq root qdisc honors; the netem backend steers packets into netem leaves
 * of faultline's prio root. Traffic on a device's ingress is redirected to an IFB device that
 * carries the same queue. The previous root qdisc is recorded, and restored on revert.
 */
#ifndef FAULTLINE_SHAPING_H
#define FAULTLINE_SHAPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "plan/plan.h"
#include "state/store.h"

enum shaping_kind {
	SHAPING_NONE, /* no waiting: blackhole, reject, plain loss only */
	SHAPING_EDT,
	SHAPING_NETEM,
};

/* What this kernel has: 0, or -errno from probe.h's qdisc_supported(). */
struct shaping_caps {
	int fq;
	int netem;
	int prio;
};

#define SHAPING_MAX_NETEM_FAULTS (16 - 3) /* prio has at most 16 bands; 3 keep tc's default map */

/* Does this fault make packets wait (delay, rate, a netem effect, or netem-backed loss)? */
bool shaping_fault_waits(const struct plan_fault *fault);

/*
 * The backend of each of a target's faults (kinds[i] for faults[i]) and the kind of queue its
 * devices get. -EINVAL with err (FLT_ERR_INPUT) naming the fault and the missing qdisc or the
 * conflict, and *culprit that fault's index in plan->faults.
 */
int shaping_plan(const struct plan *plan, const size_t *faults, size_t nfaults,
		 const struct shaping_caps *caps, enum shaping_kind *kinds,
		 enum shaping_kind *device_kind, size_t *culprit, struct flt_error *err);

/* The netem class a netem-backed fault steers to: its band among the target's netem faults. */
uint32_t shaping_netem_classid(size_t netem_index);

struct shaping_device {
	int ifindex;
	const char *ifname;
	const char *netns_path; /* NULL: the caller's netns */
	uint64_t netns_ino;
	enum shaping_kind kind;
	bool egress_queue; /* a queue on the device's own egress */
	bool ifb; /* an IFB for what arrives on its ingress */
	const struct plan *plan;
	const size_t *faults; /* the target's faults, with their kinds */
	const enum shaping_kind *kinds;
	size_t nfaults;
};

/*
 * Which queues a device needs for a target's waiting faults, given the rule directions
 * (target-relative FLT_DIR_*) and whether the device is a pod's host end (directions swap).
 */
void shaping_sides(unsigned int directions, bool swap, bool *egress_queue, bool *ifb);

/* How status names a device's queue (ifb false) or its IFB (ifb true): "queue on eth0". */
void shaping_what(bool ifb, const char *ifname, char *buf, size_t len);

/*
 * Build the queues of one device. Each kernel object made is reported through record() (which
 * returns 0 or -errno) before the next is made, so that a failure or a crash leaves it known for
 * shaping_remove(). *ifb_ifindex: the IFB made (0 if none). On failure -errno with err:
 * FLT_ERR_INPUT when the device is not faultline's to shape (another plan's queue or IFB is on
 * it, or its root qdisc has qdiscs or classes under it that could not be put back),
 * FLT_ERR_SYSTEM otherwise.
 */
typedef int (*shaping_record_fn)(void *ctx, const struct state_record *rec);
int shaping_setup(const struct shaping_device *dev, shaping_record_fn record, void *ctx,
		  int *ifb_ifindex, struct flt_error *err);

/* Undo a record of kind STATE_REC_QDISC or STATE_REC_IFB; 1 if rec is not one of them. */
int shaping_remove(const struct state_record *rec);

#endif /* FAULTLINE_SHAPING_H */
