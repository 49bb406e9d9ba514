/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Attaching faultline's programs and removing them again: tc programs as tcx links (kernel >= 6.6)
 * or as direct-action cls_bpf filters on clsact (older kernels), cgroup programs as bpf_links.
 * Every attachment is described by a state record (kept in the plan's description) from which
 * attach_remove() can undo it from any faultline process.
 */
#ifndef FAULTLINE_ATTACH_H
#define FAULTLINE_ATTACH_H

#include <stdbool.h>
#include <stdint.h>

#include "state/store.h"

enum tc_mode {
	TC_MODE_AUTO,
	TC_MODE_TCX,
	TC_MODE_CLSACT,
};

/* FAULTLINE_TC_ATTACH=auto|tcx|clsact (default auto); -EINVAL for another value. */
int tc_mode_from_env(enum tc_mode *mode);

/* 1 when this kernel attaches tcx links (>= 6.6), 0 when not; prog_fd: any loaded tc program. */
int tcx_supported(int prog_fd);

struct tc_attach_req {
	int prog_fd;
	int ifindex;
	bool ingress;
	const char *netns_path; /* enter this netns for the attach; NULL: the caller's */
	uint64_t netns_ino; /* inode of the netns the device is in */
	enum tc_mode mode; /* TCX or CLSACT (resolved, not AUTO) */
	const char *link_pin; /* tcx: where to pin the link (a state_pin_path) */
	const char *registry_pin; /* clsact: the pinned map counting faultline's users of a clsact */
	uint32_t handle; /* clsact: filter handle to use */
	/*
	 * clsact ingress only: not a direct-action filter but one whose mirred action redirects
	 * the packets prog_fd matches to this device (netem/mirred.h); 0 for none. Its priority is
	 * after_priority + 1: right after the filter at after_priority (0: first).
	 */
	int mirred_ifindex;
	uint32_t after_priority;
	/* clsact: called with the record before the filter is attached, so that a process killed
	 * in between leaves a record of the clsact it created or counted */
	int (*record)(void *ctx, const struct state_record *rec);
	void *ctx;
};

/*
 * Attach; rec (its what and link set by the caller) gets what attach_remove() needs, its
 * priority included (clsact: TC_FILTER_PRIORITY, or the kernel's pick where another kind of
 * filter has it).
 */
int attach_tc(const struct tc_attach_req *req, struct state_record *rec);

/* Attach a cgroup program to cgroup dir and pin the link at link_pin. */
int attach_cgroup(int prog_fd, const char *cgroup_dir, int attach_type, const char *link_pin,
		  struct state_record *rec);

/*
 * Undo an attachment (any record kind, qdiscs and IFBs too) from its record. link_pin: the
 * record's pinned link (tcx, cgroup), registry_pin: the clsact registry. Missing objects (already
 * gone) are not errors.
 */
int attach_remove(const struct state_record *rec, const char *link_pin, const char *registry_pin);


#endif /* FAULTLINE_ATTACH_H */
