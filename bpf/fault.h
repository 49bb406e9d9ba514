/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rule store shared by faultline's tc and cgroup programs and by userspace.
 * Fixed-width types only: this header is compiled for the BPF target and for x86_64.
 *
 * Lookup is by target first: a tc program finds its target from (netns slot, ifindex) in
 * flt_ifaces, a cgroup program from its attachment's cgroup storage; the target's rules are
 * one array element of at most FLT_MAX_RULES rules. Per-packet cost is therefore bounded by
 * FLT_MAX_RULES whatever the number of rules and targets on the node.
 */
#ifndef FAULTLINE_FAULT_H
#define FAULTLINE_FAULT_H

#include <linux/types.h>

#define FLT_MAX_RULES 16 /* rules (faults) per target */
#define FLT_MAX_CIDRS 8 /* CIDRs per rule */
#define FLT_MAX_PORTS 8 /* port ranges per rule, for ports and for localPorts each */

/* Direction, relative to the target: egress is traffic leaving the target. */
#define FLT_DIR_EGRESS 1
#define FLT_DIR_INGRESS 2
#define FLT_DIR_BOTH (FLT_DIR_EGRESS | FLT_DIR_INGRESS)

/* What a rule does to the traffic it matches; effects compose. */
#define FLT_ACT_BLACKHOLE 1 /* drop every matching packet */
#define FLT_ACT_LOSS 2 /* drop with probability loss_threshold / 2^32 */
#define FLT_ACT_REJECT 4 /* fail connect() and unconnected UDP sends with reject_errno */

/* Protocols a rule matches: 0 is any; ICMP covers ICMPv6 too. */
#define FLT_PROTO_ANY 0
#define FLT_PROTO_ICMP 1
#define FLT_PROTO_TCP 6
#define FLT_PROTO_UDP 17

/* flt_iface.flags */
#define FLT_IFACE_SWAP 1 /* host end of a pod's veth: the interface's ingress is the pod's egress */

/* An address family tag in flt_cidr.family: AF_INET and AF_INET6's values. */
#define FLT_AF_INET 2
#define FLT_AF_INET6 10

struct flt_cidr {
	__u32 addr[4]; /* network byte order, already masked; IPv4 in addr[0] */
	__u32 mask[4]; /* network byte order */
	__u8 family; /* FLT_AF_INET or FLT_AF_INET6 */
	__u8 pad[3];
};

struct flt_port_range {
	__u16 first; /* host byte order, inclusive */
	__u16 last;
};

struct flt_rule {
	__u64 deadline_ns; /* bpf_ktime_get_ns() (CLOCK_MONOTONIC); after it the rule has no effect */
	__u64 loss_threshold; /* drop when bpf_get_prandom_u32() < this; 2^32 drops all */
	__u16 reject_errno; /* positive errno for FLT_ACT_REJECT */
	__u8 actions; /* FLT_ACT_* */
	__u8 direction; /* FLT_DIR_* */
	__u8 protocol; /* FLT_PROTO_* */
	__u8 ncidrs; /* 0: any peer address */
	__u8 nports; /* 0: any peer port */
	__u8 nlocal_ports; /* 0: any local port */
	struct flt_cidr cidrs[FLT_MAX_CIDRS];
	struct flt_port_range ports[FLT_MAX_PORTS];
	struct flt_port_range local_ports[FLT_MAX_PORTS];
};

/* Value of flt_rules, indexed by target slot. */
struct flt_target_rules {
	__u32 nrules;
	__u32 pad;
	struct flt_rule rules[FLT_MAX_RULES];
};

/* Key of flt_ifaces: an interface in the network namespace a tc program instance serves. */
struct flt_iface_key {
	__u32 ifindex;
	__u32 netns_slot; /* the instance's flt_netns_slot (ifindex is unique per netns only) */
};

struct flt_iface {
	__u32 target_slot;
	__u32 flags; /* FLT_IFACE_* */
};

/* Per-attachment cgroup storage: which target a cgroup program attachment serves. */
struct flt_cg_target {
	__u32 target_slot_plus1; /* 0 until userspace configured it: the program does nothing */
	__u32 pad;
};

/* Per-CPU counters, indexed by target_slot * FLT_MAX_RULES + rule index. */
struct flt_counters {
	__u64 matched_packets;
	__u64 matched_bytes;
	__u64 dropped_packets;
	__u64 rejected_connects; /* connects and unconnected UDP sends failed by a reject */
};

#endif /* FAULTLINE_FAULT_H */
