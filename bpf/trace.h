/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tracer's maps, shared by bpf/trace.bpf.c and userspace. Fixed-width types only: this
 * header is compiled for the BPF target and for x86_64.
 *
 * Every figure is aggregated in the kernel, per CPU, in two sparse maps keyed by what it is
 * about: flt_tr_stats (count, errors, total, max per target and metric) and flt_tr_hist (one
 * count per target, metric and latency bucket). Userspace sums the CPUs.
 *
 * Buckets are log-linear: values 0..15 ns have a bucket each, then every power of two from 16 ns
 * is split into FLT_TR_SUB equal buckets, so a bucket's upper bound is at most 1/8 above any value
 * in it. A value v belongs to the first bucket whose inclusive upper bound le is >= v.
 */
#ifndef FAULTLINE_TRACE_H
#define FAULTLINE_TRACE_H

#include <linux/types.h>

#define FLT_TR_SUB_BITS 3
#define FLT_TR_SUB (1u << FLT_TR_SUB_BITS) /* buckets per power of two */
#define FLT_TR_LINEAR (2u * FLT_TR_SUB) /* 0..15 ns: one bucket per nanosecond */
#define FLT_TR_MAX_LOG2 39 /* the last power of two split: 2^39 ns (9 min) .. 2^40 - 1 */
/* 305 buckets: the linear ones, 36 powers of two of 8, and one for 2^40 ns and above */
#define FLT_TR_BUCKETS (FLT_TR_LINEAR + (FLT_TR_MAX_LOG2 - 3) * FLT_TR_SUB + 1)

/* What a key is about. */
#define FLT_TR_SYSCALL 0 /* value: the syscall number; errors: returns < 0 */
#define FLT_TR_CONNECT 1 /* count: connects that ended; errors: those that failed; hist: successes */
#define FLT_TR_RTT 2 /* smoothed RTT of a TCP socket, sampled per segment received */
#define FLT_TR_RETRANS 3 /* count only */
#define FLT_TR_DROP 4 /* value: enum skb_drop_reason; count only */

#define FLT_TR_LEVELS_MAX 4 /* distinct cgroup levels of traced targets */
#define FLT_TR_SYSCALL_NR_MAX 1024 /* syscall numbers the filter can name */

/* Events not counted because a map was full: index of flt_tr_overflow. */
#define FLT_TR_OVF_HIST 0
#define FLT_TR_OVF_STATS 1
#define FLT_TR_OVF_STARTS 2 /* a start time could not be kept (raw_tp syscalls, connects) */
#define FLT_TR_OVF_COUNT 3

/* Map sizes: see docs/trace.md for the memory they bound. */
#define FLT_TR_TARGETS_MAX 1024
#define FLT_TR_IFACES_MAX 4096
#define FLT_TR_STATS_MAX 32768
#define FLT_TR_HIST_MAX 131072
#define FLT_TR_STARTS_MAX 16384

/*
 * The traced cgroups, direct-mapped by id & (FLT_TR_SLOTS - 1) in the object's .bss: the test
 * every syscall of every process makes is one load and a compare, no helper and no hashing. A
 * cgroup whose slot another holds is found in flt_tr_cgroups instead (shared marks the slot).
 */
#define FLT_TR_SLOTS 4096

struct flt_tr_slot {
	__u64 cgroup_id; /* 0: free */
	__u32 target;
	__u32 shared; /* another traced cgroup has this slot: look it up in flt_tr_cgroups */
};

/* flt_tr_stats and flt_tr_hist keys; bucket is 0 in flt_tr_stats. */
struct flt_tr_key {
	__u32 target; /* index userspace gave the target */
	__u32 kind; /* FLT_TR_* */
	__u32 value; /* syscall number, drop reason; 0 otherwise */
	__u32 bucket;
};

struct flt_tr_stats {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 max_ns;
};

/* A drop without a socket is the target's when it happened on one of its devices. */
struct flt_tr_ifkey {
	__u32 ifindex; /* 0: any device of the netns */
	__u32 netns_ino;
};

/* The bucket of v (see above). */
static inline __attribute__((always_inline)) __u32 flt_tr_bucket(__u64 v)
{
	__u32 log2 = 0;
	__u64 x = v;

	if (v < FLT_TR_LINEAR)
		return (__u32)v;
	if (x >> 32) {
		x >>= 32;
		log2 += 32;
	}
	if (x >> 16) {
		x >>= 16;
		log2 += 16;
	}
	if (x >> 8) {
		x >>= 8;
		log2 += 8;
	}
	if (x >> 4) {
		x >>= 4;
		log2 += 4;
	}
	if (x >> 2) {
		x >>= 2;
		log2 += 2;
	}
	if (x >> 1)
		log2 += 1;
	if (log2 > FLT_TR_MAX_LOG2)
		return FLT_TR_BUCKETS - 1;
	return FLT_TR_LINEAR + (log2 - 4) * FLT_TR_SUB +
	       (__u32)((v >> (log2 - FLT_TR_SUB_BITS)) & (FLT_TR_SUB - 1));
}

#endif /* FAULTLINE_TRACE_H */
