/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rule store shared by faultline's tc and cgroup programs and by userspace.
 * Fixed-width types only (and one hash both sides must compute alike): this header is compiled
 * for the BPF target and for x86_64.
 *
 * Lookup is by target first: a tc program finds its target from (netns slot, ifindex) in
 * flt_ifaces, a cgroup program from its attachment's cgroup storage; the target's rules are
 * one array element of at most FLT_MAX_RULES rules and their summary. Per-packet cost is
 * therefore bounded by FLT_MAX_RULES whatever the number of rules and targets on the node, and a
 * packet the summary rules out costs a few compares whatever the number of the target's rules.
 */
#ifndef FAULTLINE_FAULT_H
#define FAULTLINE_FAULT_H

#include <linux/bpf.h> /* struct bpf_spin_lock */
#include <linux/types.h>

#define FLT_MAX_RULES 16 /* rules (faults) per target */
#define FLT_MAX_CIDRS 8 /* CIDRs per rule */
#define FLT_MAX_PORTS 8 /* port ranges per rule, for ports and for localPorts each */
#define FLT_MAX_PROTECT 16 /* the node policy's protected CIDRs (fault.bpf.c's flt_protect) */

/* Direction, relative to the target: egress is traffic leaving the target. */
#define FLT_DIR_EGRESS 1
#define FLT_DIR_INGRESS 2
#define FLT_DIR_BOTH (FLT_DIR_EGRESS | FLT_DIR_INGRESS)

/* What a rule does to the traffic it matches; effects compose. */
#define FLT_ACT_BLACKHOLE 1 /* drop every matching packet */
#define FLT_ACT_LOSS 2 /* drop with probability loss_threshold / 2^32 */
#define FLT_ACT_REJECT 4 /* fail connect() and unconnected UDP sends with reject_errno */
#define FLT_ACT_DELAY 8 /* edt: departure time += delay_ns, jitter_ns from distribution */
#define FLT_ACT_RATE 16 /* edt: departures spaced at rate_bytes_per_sec, per target and direction */
#define FLT_ACT_NETEM 32 /* netem backend: skb->priority = netem_classid, a netem leaf takes it */

/* Delay distributions: netem's tables (iproute2's *.dist), uniform computed. */
#define FLT_DIST_UNIFORM 0
#define FLT_DIST_NORMAL 1
#define FLT_DIST_PARETO 2
#define FLT_DIST_PARETONORMAL 3
#define FLT_DIST_COUNT 4
#define FLT_DIST_TABLE_SIZE 4096 /* value = mu + table[i] * sigma / FLT_DIST_SCALE */
#define FLT_DIST_SCALE 8192

/* faultline's prio qdisc on a device (netem backend): bands 1..3 as pfifo_fast, netem leaves after. */
#define FLT_PRIO_HANDLE 0xf1f1U /* the major number of its handle */
#define FLT_PRIO_FIRST_NETEM_BAND 4

/* Protocols a rule matches: 0 is any; ICMP covers ICMPv6 too. */
#define FLT_PROTO_ANY 0
#define FLT_PROTO_ICMP 1
#define FLT_PROTO_TCP 6
#define FLT_PROTO_UDP 17

/* flt_iface.flags */
#define FLT_IFACE_SWAP 1 /* host end of a pod's veth: the interface's ingress is the pod's egress */
/*
 * What waits on the interface's ingress reaches its IFB through act_mirred, not bpf_redirect():
 * kernels whose IFB drops bpf_redirect()ed packets (Debian's 6.1; faultline probe: ifb_redirect).
 * The tc program leaves the packet to faultline's second filter, flt_tc_mirred, whose mirred
 * action redirects it (fault.bpf.c).
 */
#define FLT_IFACE_MIRRED 2

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
	/* edt backend (FLT_ACT_DELAY, FLT_ACT_RATE) */
	__u64 delay_ns;
	__u64 jitter_ns; /* sigma of the distribution; uniform: delay +- jitter */
	__u64 rate_bytes_per_sec;
	__u32 delay_correlation; /* netem's: next = (1 - c) * random + c * last; c * 2^32 */
	__u8 distribution; /* FLT_DIST_* */
	__u8 pad2[3];
	/* netem backend (FLT_ACT_NETEM): TC_H_MAKE(FLT_PRIO_HANDLE << 16, band) */
	__u32 netem_classid;
	__u32 pad3;
};

/*
 * What a target's rules can match at all, built by userspace from the rules whenever it writes
 * them (rule_summarize(), userspace/engine/rules.c), so that the packet hooks pass most traffic
 * that no rule matches without scanning the rules (flt_summary_may_match(), bpf/rules.bpf.h).
 * Each field is the union over the rules of one condition a matching rule imposes, so a packet
 * outside any one of them matches no rule; inside them all it may still match none (the scan
 * decides). Bitmaps take a port modulo FLT_SUMMARY_BITS and an address by
 * flt_summary_addr_bit(): collisions only cost a scan. An expired rule stays in the summary
 * until the rules are written again: the scan checks deadlines.
 */
#define FLT_SUMMARY_BITS 4096
#define FLT_SUMMARY_WORDS (FLT_SUMMARY_BITS / 64) /* __u64 words of a bitmap */
#define FLT_SUMMARY_ANY_PORT 1 /* some rule has neither ports nor local ports */
#define FLT_SUMMARY_ANY_ADDR 2 /* some rule has no CIDRs */

/*
 * The bitmap bit of a peer address (network byte order, IPv4 in w0 and w1..w3 zero) already
 * masked to the summary's prefix of its family: multiplicative hashing, one definition for both
 * sides.
 */
static inline __u32 flt_summary_addr_bit(__u32 family, __u32 w0, __u32 w1, __u32 w2, __u32 w3)
{
	__u32 h = (family ^ w0) * 0x9e3779b1U;

	h = (h ^ w1) * 0x85ebca6bU;
	h = (h ^ w2) * 0xc2b2ae35U;
	h = (h ^ w3) * 0x9e3779b1U;
	return h >> 20; /* the top 12 bits: 0 .. FLT_SUMMARY_BITS - 1 */
}

struct flt_rule_summary {
	__u8 directions; /* FLT_DIR_* of any rule */
	__u8 flags; /* FLT_SUMMARY_* */
	__u8 pad[2];
	/*
	 * The shortest prefix among the rules' IPv4 and IPv6 CIDRs, as masks: any address inside
	 * one of the CIDRs, masked so, equals that CIDR's address masked so.
	 */
	__u32 addr_mask4;
	__u32 addr_mask6[4];
	__u64 protocols[256 / 64]; /* bit p: IP protocol p (a rule with protocol any sets all) */
	/* bit port % FLT_SUMMARY_BITS: of rules with ports; a range of as many ports sets all */
	__u64 peer_ports[FLT_SUMMARY_WORDS];
	/* the same for the local ports of rules with local ports and no ports */
	__u64 local_ports[FLT_SUMMARY_WORDS];
	/* flt_summary_addr_bit() of every CIDR of every rule, masked to its family's mask */
	__u64 addrs[FLT_SUMMARY_WORDS];
};

/* Value of flt_rules, indexed by target slot: rules and summary change in one map update. */
struct flt_target_rules {
	__u32 nrules;
	__u32 pad;
	struct flt_rule_summary summary; /* of rules[0 .. nrules - 1] */
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
	/*
	 * Packets that must wait (delay, rate, netem) need a qdisc on a device's egress: what
	 * arrives on this interface's ingress is redirected to this IFB device, whose root is fq
	 * or faultline's prio (with FLT_IFACE_MIRRED, by the mirred action of a second filter).
	 * 0: no such device (nothing on ingress needs waiting).
	 */
	__u32 ifb_ifindex;
	__u32 pad;
};

/* Rate state per (slot * FLT_MAX_RULES + rule) * 2 + (direction == ingress): next free time. */
struct flt_rate_state {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 next_ns;
};

/* Key of the per-flow departure times that keep a flow's packets in order under jitter. */
struct flt_flow_key {
	__u32 target_slot; /* one order per flow and target, whichever of its rules delay it */
	__u32 flow_hash; /* skb hash, with the direction in its low bit */
};

struct flt_dist_table {
	__s16 values[FLT_DIST_TABLE_SIZE];
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
	__u64 rejected_connects; /* connect()s failed by a reject */
	__u64 rejected_sends; /* unconnected UDP sendmsg()s failed by a reject */
};

#endif /* FAULTLINE_FAULT_H */
