/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracer's BPF object (bpf/trace.bpf.c): load it with the traced cgroup levels and syscall
 * filter, tell it the traced cgroups and devices, attach it, read its maps. Nothing is pinned:
 * closing the tracer, or the process's end, detaches it.
 */
#ifndef FAULTLINE_TRACER_H
#define FAULTLINE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct btf;
#include "trace.h"

enum tracer_mode {
	TRACER_AUTO, /* tp_btf, else raw_tp */
	TRACER_TP_BTF,
	TRACER_RAW_TP,
};

struct tracer_config {
	enum tracer_mode mode;
	uint32_t levels[FLT_TR_LEVELS_MAX]; /* cgroup levels of the targets, deepest first */
	size_t nlevels;
	bool filter; /* trace only the syscalls in wanted */
	uint64_t wanted[FLT_TR_SYSCALL_NR_MAX / 64];
};

struct tracer;

/* Open and load (no attachment yet). FLT_ERR_SYSTEM with the kernel's reason on failure. */
int tracer_open(const struct tracer_config *cfg, struct tracer **t, struct flt_error *err);

/* Trace the processes and sockets of cgroup id (and its descendants) as target. */
int tracer_add_cgroup(struct tracer *t, uint64_t cgroup_id, uint32_t target,
		      struct flt_error *err);

/* Drops without a socket on device ifindex of netns netns_ino (ifindex 0: any) are target's. */
int tracer_add_device(struct tracer *t, uint32_t ifindex, uint32_t netns_ino, uint32_t target,
		      struct flt_error *err);

int tracer_attach(struct tracer *t, struct flt_error *err);

/* "tp_btf" or "raw_tp". */
const char *tracer_mode_name(const struct tracer *t);

/* Whether drops are traced (the kernel's skb:kfree_skb has a reason: 5.17+). */
bool tracer_has_drops(const struct tracer *t);

/* One entry of a map, summed over the CPUs. */
typedef void (*tracer_stats_fn)(const struct flt_tr_key *key, const struct flt_tr_stats *st,
				void *arg);
typedef void (*tracer_hist_fn)(const struct flt_tr_key *key, uint64_t count, void *arg);

/* Every entry of the stats and histogram maps, and the events lost to full maps. */
int tracer_read(struct tracer *t, tracer_stats_fn on_stats, tracer_hist_fn on_hist, void *arg,
		uint64_t *overflow, struct flt_error *err);

void tracer_close(struct tracer *t);

/*
 * The name of drop reason value in the running kernel's enum skb_drop_reason, without its
 * SKB_DROP_REASON_ prefix; NULL when the kernel has no such value.
 */
const char *tracer_drop_reason(uint32_t value);

/*
 * Can the tracer load and attach in mode here? 0, or -errno with why filled. Changes nothing
 * that outlives the call.
 */
int tracer_probe(enum tracer_mode mode, char *why, size_t len);

/* The running kernel's BTF, loaded once and kept (not to be freed). NULL when it has none. */
const struct btf *tracer_kernel_btf(void);

#endif /* FAULTLINE_TRACER_H */
