// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where faultline decides drops, rejects and departure times: tc programs on a target's
 * interfaces, cgroup_skb programs on its cgroup (packet loss and blackholes), cgroup sock_addr
 * programs (rejected connects and unconnected UDP sends). Every hook finds its target, builds a
 * flt_flow (peer address and ports relative to the target) and runs the same rule match,
 * flt_rule_matches(). Only the tc programs shape: delay and rate (the edt backend: they set the
 * departure time that fq on the device honours) and the steering of packets to a netem leaf
 * (the netem backend). The cgroup programs ignore those actions.
 *
 * Plain UAPI headers and no CO-RE: tc and cgroup programs need no kernel types, and the object
 * must load unchanged on every kernel from 6.1 on (bpf_skb_set_tstamp() and
 * __sk_buff.tstamp_type need 5.18).
 *
 * The map contract. Userspace sets max_entries before load where the table says "set", loads
 * one tc instance per network namespace and makes every instance reuse the first one's maps
 * (all of them: a rate is shared by a target's interfaces whatever their netns).
 *
 *   map            type, key -> value                                 size      written by
 *   flt_rules      ARRAY, target slot -> flt_target_rules             set       userspace
 *   flt_ifaces     HASH, flt_iface_key -> flt_iface                   set       userspace
 *   flt_counters   PERCPU_ARRAY, slot * FLT_MAX_RULES + rule          set       programs
 *                  -> flt_counters
 *   flt_cg         CGROUP_STORAGE -> flt_cg_target                    -         userspace
 *   flt_rate       ARRAY, (slot * FLT_MAX_RULES + rule) * 2           set       programs
 *                  + (target-relative direction == ingress)
 *                  -> flt_rate_state: next_ns, when the rule's rate lets the next packet leave
 *   flt_flows      LRU_HASH, flt_flow_key -> __u64 last departure     65536,    programs
 *                  (ns) of the flow                                   may set
 *   flt_dist       ARRAY, FLT_DIST_* -> flt_dist_table                fixed     userspace
 *   flt_delay_rnd  PERCPU_ARRAY, slot * FLT_MAX_RULES + rule          set       programs
 *                  -> __u32: the rule's last correlated random number (netem's crndstate)
 *
 * Userspace's duties beyond filling the tables:
 * - flt_rate: zero a rule's two entries whenever it writes a new rule at that index (a stale
 *   next_ns in the future would hold the new rule's first packets until then).
 * - flt_flows and flt_delay_rnd need no reset, and flt_flows should get none while a target
 *   keeps its rules: a flow's last departure is at most the old delay ahead, and holding the
 *   flow's next packets behind it is what keeps a lowered delay from reordering the flow.
 * - flt_dist: fill FLT_DIST_NORMAL, _PARETO and _PARETONORMAL from iproute2's tables (sorted
 *   inverse CDFs, 4096 values) before a rule uses them; an unfilled table gives a constant
 *   delay. FLT_DIST_UNIFORM's entry is unused: uniform jitter is computed.
 * - jitter_ns is capped at 2^31 - 1 ns here as netem caps it (sch_netem.c, INT_MAX).
 * - ifb_ifindex: an IFB in the same network namespace as the interface (the IFB finds the
 *   interface to re-inject into by skb->skb_iif in its own netns, drivers/net/ifb.c), whose root
 *   is fq for delay and rate, faultline's prio for netem. With 0, nothing arriving on that
 *   interface is shaped (not even stamped).
 * - netem_classid: TC_H_MAKE(FLT_PRIO_HANDLE << 16, band) of the band whose leaf is that
 *   fault's netem; loss for netem-backed faults is netem's, so no FLT_ACT_LOSS on them.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "fault.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The network namespace this tc program instance serves: ifindex is unique only within a netns,
 * so userspace loads one instance per netns and keys flt_ifaces by (ifindex, slot).
 */
const volatile __u32 flt_netns_slot = 0;

/* Userspace sets every max_entries below before load (or reuses another instance's fds). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32); /* target slot */
	__type(value, struct flt_target_rules);
} flt_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct flt_iface_key);
	__type(value, struct flt_iface);
} flt_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLT_MAX_RULES);
	__type(key, __u32); /* target slot * FLT_MAX_RULES + rule index */
	__type(value, struct flt_counters);
} flt_counters SEC(".maps");

/*
 * One storage per (cgroup, attach type), shared by all our programs attached there (kernel >= 5.9,
 * commit 7d9c3427894f): userspace writes the target slot into it after attaching.
 */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, struct flt_cg_target);
} flt_cg SEC(".maps");

/* Defaults of the shaping maps serve one target slot; userspace sizes them for its slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLT_MAX_RULES * 2);
	__type(key, __u32); /* (slot * FLT_MAX_RULES + rule) * 2 + (direction == ingress) */
	__type(value, struct flt_rate_state);
} flt_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flt_flow_key);
	__type(value, __u64); /* the flow's last departure time, ns */
} flt_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLT_DIST_COUNT);
	__type(key, __u32); /* FLT_DIST_* */
	__type(value, struct flt_dist_table);
} flt_dist SEC(".maps");

/*
 * Per CPU, so that drawing needs no lock: the correlation then holds between the successive
 * packets of the rule that one CPU handles, which for one flow is nearly all of them (RSS and
 * the socket keep a flow on a CPU).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLT_MAX_RULES);
	__type(key, __u32); /* slot * FLT_MAX_RULES + rule */
	__type(value, __u32);
} flt_delay_rnd SEC(".maps");

/*
 * Scratch memory for one packet: the mask of its matching shaping rules. In a map, not on the
 * stack: the verifier does not track what map memory holds, while a mask on the stack would be a
 * known constant on every path through the rule scan. Kernel 6.1 cannot follow precision
 * through the call of flt_rule_matches() and marks every scalar precise, so a stack mask made it
 * tell apart every subset of 16 rules and give up at 1M instructions.
 */
struct flt_scratch {
	__u32 shaping_rules;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flt_scratch);
} flt_scratch SEC(".maps");

static __always_inline struct flt_scratch *flt_scratch_get(void)
{
	__u32 zero = 0;
	struct flt_scratch *scratch = bpf_map_lookup_elem(&flt_scratch, &zero);

	if (scratch)
		scratch->shaping_rules = 0;
	return scratch;
}

/* Verdicts of cgroup_skb programs (include/uapi/linux/bpf.h, BPF_PROG_TYPE_CGROUP_SKB). */
#define FLT_CG_DROP 0
#define FLT_CG_PASS 1
#define FLT_CG_DROP_CN 2 /* egress only: drop and notify congestion */

/* Verdicts of cgroup sock_addr programs. */
#define FLT_SOCK_REJECT 0
#define FLT_SOCK_ALLOW 1

#define FLT_EPERM 1 /* what the kernel reports for a reject without bpf_set_retval */

#define FLT_IP_OFFSET 0x1fff   /* IPv4 fragment offset bits (include/net/ip.h) */
#define FLT_IP6_OFFSET 0xfff8  /* IPv6 fragment offset bits (include/net/ipv6.h) */
#define FLT_MAX_IP6_EXT_HDRS 8 /* extension headers skipped before giving up on ports */

#define FLT_NSEC_PER_SEC 1000000000ULL
#define FLT_JITTER_MAX_NS 0x7fffffffULL /* netem's cap: min(jitter, INT_MAX) in sch_netem.c */
#define FLT_SHAPING_ACTS (FLT_ACT_DELAY | FLT_ACT_RATE | FLT_ACT_NETEM)
#define FLT_EDT_ACTS (FLT_ACT_DELAY | FLT_ACT_RATE)

/* Which sides a tc program shapes on, for flt_tc_shape(). */
#define FLT_SIDE_HOOK_INGRESS 1	  /* the device's ingress (else its egress) */
#define FLT_SIDE_TARGET_INGRESS 2 /* traffic entering the target (else leaving it) */

/*
 * __sk_buff.tstamp_type values (include/uapi/linux/bpf.h): BPF_SKB_TSTAMP_DELIVERY_MONO since
 * 5.18, renamed BPF_SKB_CLOCK_MONOTONIC in 6.11, which also added BPF_SKB_CLOCK_TAI.
 */
#define FLT_TSTAMP_MONO 1
#define FLT_TSTAMP_TAI 2

/* What a rule is matched against: the traffic as the target sees it. */
struct flt_flow {
	__u32 peer_addr[4]; /* network byte order; IPv4 in peer_addr[0], the rest zero */
	__u16 peer_port;    /* host byte order */
	__u16 local_port;
	__u8 family;	      /* FLT_AF_* */
	__u8 protocol;	      /* IPPROTO_* of the transport header (or of the fragment) */
	__u8 peer_port_known; /* TCP or UDP and the ports were readable */
	__u8 local_port_known;
};

static __always_inline bool flt_proto_matches(__u8 rule_protocol, __u8 protocol)
{
	switch (rule_protocol) {
	case FLT_PROTO_ANY:
		return true;
	case FLT_PROTO_ICMP:
		return protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6;
	default:
		return rule_protocol == protocol;
	}
}

static __always_inline bool flt_port_in(const struct flt_port_range *ranges, __u8 nranges,
					__u16 port)
{
	__u32 i;

	for (i = 0; i < FLT_MAX_PORTS && i < nranges; i++) {
		if (port >= ranges[i].first && port <= ranges[i].last)
			return true;
	}
	return false;
}

static __always_inline bool flt_cidr_in(const struct flt_cidr *cidrs, __u8 ncidrs,
					const struct flt_flow *flow)
{
	const struct flt_cidr *c;
	__u32 i, diff;

	for (i = 0; i < FLT_MAX_CIDRS && i < ncidrs; i++) {
		c = &cidrs[i];
		if (c->family != flow->family)
			continue;
		diff = (flow->peer_addr[0] & c->mask[0]) ^ c->addr[0];
		if (c->family == FLT_AF_INET6) {
			diff |= (flow->peer_addr[1] & c->mask[1]) ^ c->addr[1];
			diff |= (flow->peer_addr[2] & c->mask[2]) ^ c->addr[2];
			diff |= (flow->peer_addr[3] & c->mask[3]) ^ c->addr[3];
		}
		if (!diff)
			return true;
	}
	return false;
}

/*
 * The one match of every hook: 1 when the rule selects the flow, else 0. dir is the
 * target-relative direction of the traffic. A rule with ports or local ports matches TCP and
 * UDP with readable ports only: never ICMP, never a non-first fragment, and never a local port
 * at connect()/sendmsg() time, where it is unknown.
 *
 * A global function, not static inline: the verifier checks a global function once, on its own,
 * instead of once per rule on every path its callers reach it by. Inlined, flt_tc_ingress cost
 * 202k processed instructions on kernel 6.18; as a global function 16k (18k on 6.1). Pointer
 * arguments of global functions may be NULL as far as the verifier knows (kernel >= 5.12).
 */
__noinline int flt_rule_matches(const struct flt_rule *rule, __u32 dir, const struct flt_flow *flow)
{
	if (!rule || !flow)
		return 0;
	if (!(rule->direction & dir))
		return 0;
	if (!flt_proto_matches(rule->protocol, flow->protocol))
		return 0;
	if (rule->nports &&
	    (!flow->peer_port_known || !flt_port_in(rule->ports, rule->nports, flow->peer_port)))
		return 0;
	if (rule->nlocal_ports &&
	    (!flow->local_port_known ||
	     !flt_port_in(rule->local_ports, rule->nlocal_ports, flow->local_port)))
		return 0;
	if (rule->ncidrs && !flt_cidr_in(rule->cidrs, rule->ncidrs, flow))
		return 0;
	return 1;
}

static __always_inline struct flt_counters *flt_counters_of(__u32 slot, __u32 rule_index)
{
	__u32 key = slot * FLT_MAX_RULES + rule_index;

	return bpf_map_lookup_elem(&flt_counters, &key);
}

/* Reads the TCP or UDP ports at l4_off into the flow, peer and local by direction. */
static __always_inline void flt_parse_ports(struct __sk_buff *skb, __u32 l4_off, __u8 dir,
					    struct flt_flow *flow)
{
	struct {
		__be16 source;
		__be16 dest;
	} ports; /* the first four bytes of struct tcphdr and struct udphdr alike */

	if (flow->protocol != IPPROTO_TCP && flow->protocol != IPPROTO_UDP)
		return;
	if (bpf_skb_load_bytes(skb, l4_off, &ports, sizeof(ports)))
		return;
	if (dir == FLT_DIR_EGRESS) {
		flow->peer_port = bpf_ntohs(ports.dest);
		flow->local_port = bpf_ntohs(ports.source);
	} else {
		flow->peer_port = bpf_ntohs(ports.source);
		flow->local_port = bpf_ntohs(ports.dest);
	}
	flow->peer_port_known = 1;
	flow->local_port_known = 1;
}

static __always_inline int flt_parse_ipv4(struct __sk_buff *skb, __u32 l3_off, __u8 dir,
					  struct flt_flow *flow)
{
	struct iphdr iph;

	if (bpf_skb_load_bytes(skb, l3_off, &iph, sizeof(iph)))
		return -1;
	if (iph.version != 4 || iph.ihl < 5)
		return -1;
	flow->family = FLT_AF_INET;
	flow->protocol = iph.protocol;
	flow->peer_addr[0] = dir == FLT_DIR_EGRESS ? iph.daddr : iph.saddr;
	/* A non-first fragment carries no transport header. */
	if (bpf_ntohs(iph.frag_off) & FLT_IP_OFFSET)
		return 0;
	flt_parse_ports(skb, l3_off + iph.ihl * 4, dir, flow);
	return 0;
}

static __always_inline int flt_parse_ipv6(struct __sk_buff *skb, __u32 l3_off, __u8 dir,
					  struct flt_flow *flow)
{
	struct ipv6hdr ip6h;
	struct {
		__u8 nexthdr;
		__u8 hdrlen;	 /* in 8-byte units, not counting the first 8 (RFC 8200 4.3) */
		__be16 frag_off; /* fragment header only (RFC 8200 4.5) */
	} ext;
	const struct in6_addr *peer;
	__u32 off = l3_off + sizeof(ip6h);
	__u8 nexthdr;
	__u32 i;

	if (bpf_skb_load_bytes(skb, l3_off, &ip6h, sizeof(ip6h)))
		return -1;
	if (ip6h.version != 6)
		return -1;
	flow->family = FLT_AF_INET6;
	peer = dir == FLT_DIR_EGRESS ? &ip6h.daddr : &ip6h.saddr;
	flow->peer_addr[0] = peer->in6_u.u6_addr32[0];
	flow->peer_addr[1] = peer->in6_u.u6_addr32[1];
	flow->peer_addr[2] = peer->in6_u.u6_addr32[2];
	flow->peer_addr[3] = peer->in6_u.u6_addr32[3];

	nexthdr = ip6h.nexthdr;
	for (i = 0; i < FLT_MAX_IP6_EXT_HDRS; i++) {
		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_DSTOPTS && nexthdr != IPPROTO_FRAGMENT)
			break;
		if (bpf_skb_load_bytes(skb, off, &ext, sizeof(ext))) {
			/* Truncated: the protocol stays the unreadable header's, without ports. */
			flow->protocol = nexthdr;
			return 0;
		}
		if (nexthdr == IPPROTO_FRAGMENT) {
			if (bpf_ntohs(ext.frag_off) & FLT_IP6_OFFSET) {
				/* Non-first fragment: the protocol is known, the ports are not. */
				flow->protocol = ext.nexthdr;
				return 0;
			}
			off += 8;
		} else {
			off += (ext.hdrlen + 1) * 8;
		}
		nexthdr = ext.nexthdr;
	}
	/* More headers than we skip leave an extension header as the protocol, without ports. */
	flow->protocol = nexthdr;
	flt_parse_ports(skb, off, dir, flow);
	return 0;
}

/*
 * Parses the IP packet at l3_off (family from skb->protocol): 0 when flow describes it, -1 for
 * what no rule applies to (not IP, truncated or malformed IP header).
 */
static __always_inline int flt_parse(struct __sk_buff *skb, __u32 l3_off, __u8 dir,
				     struct flt_flow *flow)
{
	__builtin_memset(flow, 0, sizeof(*flow));
	if (skb->protocol == bpf_htons(ETH_P_IP))
		return flt_parse_ipv4(skb, l3_off, dir, flow);
	if (skb->protocol == bpf_htons(ETH_P_IPV6))
		return flt_parse_ipv6(skb, l3_off, dir, flow);
	return -1;
}

/*
 * The verdict of the packet hooks: true drops. Every matching, unexpired rule counts the packet
 * (a GSO skb counts once, and loss applies to it whole, as netem's does); the first rule that
 * drops it counts the drop and no later rule draws a random number. *shaping_rules gets bit i
 * for each matching, unexpired rule i that delays, limits or steers (FLT_SHAPING_ACTS): the tc
 * hooks shape a packet that is not dropped after this scan, so that a dropped packet spends no
 * rate and draws no delay.
 *
 * Reject rules are counted as matched here too, but packets are never dropped for them: a
 * reject fails new connects and sends in the sock_addr hooks, and traffic that still flows
 * under a reject (connections made before it) shows as matched but not dropped.
 *
 * Counters are per-CPU and incremented without atomics: the only race is a process-context
 * cgroup hook interrupted on the same CPU by one for the same rule, costing one count at worst.
 */
static __always_inline bool flt_packet_drops(struct __sk_buff *skb, __u32 l3_off, __u32 slot,
					     __u8 dir, __u32 *shaping_rules)
{
	const struct flt_target_rules *target;
	const struct flt_rule *rule;
	struct flt_counters *counters;
	struct flt_flow flow;
	bool drop = false;
	__u32 nrules, i;
	__u64 now_ns;

	target = bpf_map_lookup_elem(&flt_rules, &slot);
	if (!target)
		return false;
	nrules = target->nrules;
	if (!nrules)
		return false;
	if (flt_parse(skb, l3_off, dir, &flow))
		return false;

	now_ns = bpf_ktime_get_ns();
	for (i = 0; i < FLT_MAX_RULES && i < nrules; i++) {
		rule = &target->rules[i];
		/* Expiry is what ends a fault when no faultline process is left to remove it. */
		if (rule->deadline_ns < now_ns)
			continue;
		if (!flt_rule_matches(rule, dir, &flow))
			continue;
		counters = flt_counters_of(slot, i);
		if (counters) {
			counters->matched_packets++;
			counters->matched_bytes += skb->len;
		}
		if (rule->actions & FLT_SHAPING_ACTS)
			*shaping_rules |= 1U << i;
		if (drop)
			continue;
		if ((rule->actions & FLT_ACT_BLACKHOLE) ||
		    ((rule->actions & FLT_ACT_LOSS) &&
		     (__u64)bpf_get_prandom_u32() < rule->loss_threshold)) {
			drop = true;
			if (counters)
				counters->dropped_packets++;
		}
	}
	return drop;
}

/*
 * The verdict of the sock_addr hooks: the positive errno of the first matching, unexpired reject
 * rule, or 0 to allow. Only rejects are counted here; the packets of an allowed connection are
 * counted by the packet hooks.
 */
static __always_inline int flt_connect_errno(__u32 slot, const struct flt_flow *flow)
{
	const struct flt_target_rules *target;
	const struct flt_rule *rule;
	struct flt_counters *counters;
	__u32 nrules, i;
	__u64 now_ns;

	target = bpf_map_lookup_elem(&flt_rules, &slot);
	if (!target)
		return 0;
	nrules = target->nrules;
	if (!nrules)
		return 0;

	now_ns = bpf_ktime_get_ns();
	for (i = 0; i < FLT_MAX_RULES && i < nrules; i++) {
		rule = &target->rules[i];
		if (!(rule->actions & FLT_ACT_REJECT) || rule->deadline_ns < now_ns)
			continue;
		if (!flt_rule_matches(rule, FLT_DIR_EGRESS, flow))
			continue;
		counters = flt_counters_of(slot, i);
		if (counters)
			counters->rejected_connects++;
		return rule->reject_errno ? rule->reject_errno : FLT_EPERM;
	}
	return 0;
}

/*
 * Where a packet's departure starts: now, or later when it already carries a departure time
 * (TCP stamps its own pacing, kernel >= 4.20). Which stamps are departure times depends on the
 * hook. On a device's ingress a stamp is a receive time (CLOCK_REALTIME, far in the future for
 * fq) unless its type says delivery time. On egress fq takes any stamp for a CLOCK_MONOTONIC
 * departure (sch_fq.c), so we do too, except one typed TAI (SO_TXTIME for etf, typed since
 * 6.11). Because we read tstamp_type, the kernel hands us skb->tstamp as it is (filter.c,
 * bpf_convert_tstamp_read()) rather than 0 for a delivery time at ingress, and stores our
 * writes to it as they are.
 */
static __always_inline __u64 flt_departure_base(struct __sk_buff *skb, bool at_ingress,
						__u64 now_ns)
{
	__u64 tstamp = skb->tstamp;
	__u8 type = skb->tstamp_type;

	if (at_ingress ? type != FLT_TSTAMP_MONO : type == FLT_TSTAMP_TAI)
		return now_ns;
	return tstamp > now_ns ? tstamp : now_ns;
}

/*
 * netem's correlated random number (get_crandom() in sch_netem.c): with c the correlation
 * times 2^32, next = ((2^32 - (c + 1)) * random + (c + 1) * last) >> 32. Neither product nor
 * their sum overflows 64 bits: both factors of each are below 2^32 and the weights sum to 2^32.
 */
static __always_inline __u32 flt_delay_random(__u32 rule_key, __u32 correlation)
{
	__u32 rnd = bpf_get_prandom_u32();
	__u64 rho;
	__u32 *last;

	if (!correlation)
		return rnd;
	last = bpf_map_lookup_elem(&flt_delay_rnd, &rule_key);
	if (!last)
		return rnd;
	rho = (__u64)correlation + 1;
	rnd = (__u32)(((__u64)rnd * ((1ULL << 32) - rho) + (__u64)*last * rho) >> 32);
	*last = rnd;
	return rnd;
}

/*
 * A delay drawn as netem's tabledist() (sch_netem.c) draws it: mu = delay_ns and sigma =
 * jitter_ns; uniform gives mu - sigma + [0, 2 sigma), a table mu + t * sigma / 8192 rounded as
 * netem rounds it (the remainder of sigma / 8192 times t, plus or minus 4096, truncated). In
 * unsigned 64-bit arithmetic on |t|, since signed division needs BPF cpu v4 (kernel 6.6). A
 * sample below zero is zero: a delay never moves a departure earlier.
 *
 * One deliberate difference: netem reduces the random number with a modulo (rnd % (2 sigma),
 * table[rnd % 4096]), which keeps only its low bits, and the low bits of get_crandom()'s
 * weighted sum are no more correlated than fresh ones: netem's correlation has no measurable
 * effect below c = 0.999. We scale the number into the range instead (multiply and shift;
 * the table index is its top 12 bits). Without correlation that draws the same values with the
 * same probabilities; with it, nearby numbers give nearby delays, as iproute2's tables are
 * sorted (they are inverse CDFs), so the correlation reaches the delays.
 */
static __always_inline __u64 flt_delay_sample(const struct flt_rule *rule, __u32 rule_key)
{
	__u64 mu = rule->delay_ns, sigma = rule->jitter_ns, abs_t, offset;
	const struct flt_dist_table *dist;
	__u32 rnd, dist_key, index;
	__s16 t;

	if (!sigma)
		return mu;
	if (sigma > FLT_JITTER_MAX_NS)
		sigma = FLT_JITTER_MAX_NS;
	rnd = flt_delay_random(rule_key, rule->delay_correlation);
	if (rule->distribution == FLT_DIST_UNIFORM) {
		offset = ((__u64)rnd * (2 * sigma)) >> 32; /* in [0, 2 sigma) */
		if (offset >= sigma)
			return mu + (offset - sigma);
		return mu > sigma - offset ? mu - (sigma - offset) : 0;
	}
	dist_key = rule->distribution;
	dist = bpf_map_lookup_elem(&flt_dist, &dist_key);
	if (!dist)
		return mu;
	index = (__u32)(((__u64)rnd * FLT_DIST_TABLE_SIZE) >> 32);
	if (index >= FLT_DIST_TABLE_SIZE) /* it is not; the verifier may not know */
		return mu;
	t = dist->values[index];
	abs_t = t < 0 ? (__u64)(-(__s32)t) : (__u64)t;
	offset = ((sigma % FLT_DIST_SCALE) * abs_t + FLT_DIST_SCALE / 2) / FLT_DIST_SCALE +
		 (sigma / FLT_DIST_SCALE) * abs_t;
	if (t >= 0)
		return mu + offset;
	return mu > offset ? mu - offset : 0;
}

/*
 * The departure a rate allows: not before the rule's next free time in this direction, which
 * then moves on by the packet's transmission time at the rate. Shared by every flow and every
 * CPU, hence the lock. An idle rate keeps no credit: a burst after a pause leaves spaced like
 * any other, as netem's rate does.
 */
static __always_inline __u64 flt_rate_departure(const struct flt_rule *rule, __u32 rate_key,
						__u32 bytes, __u64 departure)
{
	struct flt_rate_state *state;
	__u64 tx_ns;

	if (!rule->rate_bytes_per_sec)
		return departure;
	state = bpf_map_lookup_elem(&flt_rate, &rate_key);
	if (!state)
		return departure;
	tx_ns = (__u64)bytes * FLT_NSEC_PER_SEC / rule->rate_bytes_per_sec;
	bpf_spin_lock(&state->lock);
	if (state->next_ns > departure)
		departure = state->next_ns;
	state->next_ns = departure + tx_ns;
	bpf_spin_unlock(&state->lock);
	return departure;
}

/*
 * One edt rule's effect on a departure time: its rate first, then its delay (a thin pipe, then a
 * long wire). A global function, checked once by the verifier rather than once per rule.
 */
__noinline __u64 flt_edt_rule(const struct flt_rule *rule, __u32 rule_key, __u32 ingress /* 0, 1 */,
			      __u32 bytes, __u64 departure)
{
	if (!rule)
		return departure;
	if (rule->actions & FLT_ACT_RATE)
		departure = flt_rate_departure(rule, rule_key * 2 + ingress, bytes, departure);
	if (rule->actions & FLT_ACT_DELAY)
		departure += flt_delay_sample(rule, rule_key);
	return departure;
}

/*
 * Shapes a packet that no rule dropped, with the matching rules in shaping_rules, in rule order:
 * edt rules add up into one departure time, and the first netem rule names the netem leaf.
 *
 * The departure is then kept monotonic per flow (skb hash and target-relative direction, per
 * target, whichever of its rules delay the flow), or fq, which sorts each flow's packets by
 * departure time, would let jitter reorder a flow. Without atomics: two CPUs shaping one flow at the same instant may
 * both pass the check, which only a flow spread over CPUs can do.
 *
 * Where the packet waits:
 * - on the device's egress, in the root qdisc of the device: fq holds the packet until
 *   skb->tstamp; prio hands it to the band skb->priority names (its major is prio's handle).
 * - on the device's ingress there is no qdisc to wait in: the packet goes to the egress of the
 *   interface's IFB, whose root is fq or prio, stamped as a delivery time (CLOCK_MONOTONIC),
 *   which bpf_redirect() keeps where it clears other stamps (skb_clear_tstamp() in
 *   __bpf_tx_skb(), filter.c) and which fq reads correctly. The IFB re-injects the packet into
 *   this device's ingress with skb->tc_skip_classify set (ifb_ri_tasklet()), and
 *   __netif_receive_skb_core() then skips sch_handle_ingress() altogether, tcx included
 *   (net/core/dev.c, the same from 6.1 to 6.18; seen on 6.18 with clsact and tcx): our
 *   program does not see the packet a second time. The stamp is cleared on local delivery
 *   (ip_local_deliver_finish(), kernel >= 5.18).
 */
__noinline int flt_tc_shape(struct __sk_buff *skb, __u32 slot, __u32 ifb_ifindex, __u32 sides,
			    __u32 shaping_rules)
{
	bool at_ingress = sides & FLT_SIDE_HOOK_INGRESS;
	__u32 ingress = !!(sides & FLT_SIDE_TARGET_INGRESS);
	__u32 netem_classid = 0;
	bool edt = false;
	const struct flt_target_rules *target;
	struct flt_flow_key flow_key;
	const struct flt_rule *rule;
	__u64 departure, *last;
	__u32 bytes, i;

	if (!skb || !shaping_rules)
		return TC_ACT_UNSPEC;
	/* What arrives with no IFB to wait in is not shaped, not even stamped. */
	if (at_ingress && !ifb_ifindex)
		return TC_ACT_UNSPEC;
	target = bpf_map_lookup_elem(&flt_rules, &slot);
	if (!target)
		return TC_ACT_UNSPEC;
	/*
	 * On egress a GSO packet's wire length counts each segment's headers
	 * (qdisc_pkt_len_init()); at ingress it is skb->len less the Ethernet header, which
	 * skb->len has here, so the larger counts.
	 */
	bytes = skb->len;
	if (skb->wire_len > bytes)
		bytes = skb->wire_len;
	departure = flt_departure_base(skb, at_ingress, bpf_ktime_get_ns());
	for (i = 0; i < FLT_MAX_RULES; i++) {
		if (!(shaping_rules & (1U << i)))
			continue;
		rule = &target->rules[i];
		if ((rule->actions & FLT_ACT_NETEM) && !netem_classid)
			netem_classid = rule->netem_classid;
		if (!(rule->actions & FLT_EDT_ACTS))
			continue;
		/*
		 * A bool, not a mask of the edt rules: a mask would make the 6.1 verifier tell apart
		 * every subset of rules (it ran out of its 1M instructions), a bool two states.
		 */
		edt = true;
		departure = flt_edt_rule(rule, slot * FLT_MAX_RULES + i, ingress, bytes, departure);
	}
	if (edt) {
		flow_key.target_slot = slot;
		flow_key.flow_hash = (bpf_get_hash_recalc(skb) & ~1U) | ingress;
		last = bpf_map_lookup_elem(&flt_flows, &flow_key);
		if (last) {
			if (*last > departure)
				departure = *last;
			*last = departure;
		} else {
			bpf_map_update_elem(&flt_flows, &flow_key, &departure, BPF_ANY);
		}
		if (at_ingress)
			bpf_skb_set_tstamp(skb, departure, FLT_TSTAMP_MONO);
		else
			skb->tstamp = departure;
	}
	if (netem_classid)
		skb->priority = netem_classid;
	if (at_ingress)
		return bpf_redirect(ifb_ifindex, 0);
	return TC_ACT_UNSPEC;
}

/*
 * Both tc programs return TC_ACT_UNSPEC, never TC_ACT_OK, for what they neither drop nor
 * redirect: TC_ACT_UNSPEC is TCX_NEXT for tcx links and "continue with the next filter" for
 * cls_bpf in direct-action mode, so other tools' programs attached after ours still see the
 * packet. A shaped packet on ingress is TC_ACT_REDIRECT (to the IFB).
 */
static __always_inline int flt_tc(struct __sk_buff *skb, __u8 hook_dir)
{
	struct flt_iface_key key = {
		.ifindex = skb->ifindex,
		.netns_slot = flt_netns_slot,
	};
	const struct flt_iface *iface;
	struct flt_scratch *scratch;
	__u8 dir = hook_dir;

	iface = bpf_map_lookup_elem(&flt_ifaces, &key);
	if (!iface)
		return TC_ACT_UNSPEC;
	scratch = flt_scratch_get();
	if (!scratch)
		return TC_ACT_UNSPEC;
	/* The host end of a pod's veth receives what the pod sends. */
	if (iface->flags & FLT_IFACE_SWAP)
		dir = hook_dir == FLT_DIR_EGRESS ? FLT_DIR_INGRESS : FLT_DIR_EGRESS;
	if (flt_packet_drops(skb, ETH_HLEN, iface->target_slot, dir, &scratch->shaping_rules))
		return TC_ACT_SHOT;
	/*
	 * No test of shaping_rules here: a branch on it would make the verifier tell apart every
	 * value the scan can leave in it (2^16), where the global function sees any value once.
	 * Each tc program verifies in 30k instructions on 6.18 (16.5k before shaping), and the
	 * call costs ~5 ns a packet that nothing shapes.
	 */
	return flt_tc_shape(skb, iface->target_slot, iface->ifb_ifindex,
			    (hook_dir == FLT_DIR_INGRESS ? FLT_SIDE_HOOK_INGRESS : 0) |
				    (dir == FLT_DIR_INGRESS ? FLT_SIDE_TARGET_INGRESS : 0),
			    scratch->shaping_rules);
}

SEC("tc")
int flt_tc_ingress(struct __sk_buff *skb)
{
	return flt_tc(skb, FLT_DIR_INGRESS);
}

SEC("tc")
int flt_tc_egress(struct __sk_buff *skb)
{
	return flt_tc(skb, FLT_DIR_EGRESS);
}

/* The target of a cgroup attachment plus one; 0 until userspace configured it. */
static __always_inline __u32 flt_cg_slot_plus1(void)
{
	const struct flt_cg_target *cg = bpf_get_local_storage(&flt_cg, 0);

	return cg->target_slot_plus1;
}

/*
 * Egress drops return 2, drop with congestion notification: the kernel turns it into
 * NET_XMIT_DROP, so TCP enters CWR and keeps the segment for retransmission, and UDP's sendmsg
 * succeeds unless IP_RECVERR is set (udp_send_skb()); 0 would fail every send with EPERM, which
 * no real loss does.
 */
SEC("cgroup_skb/egress")
int flt_cg_egress(struct __sk_buff *skb)
{
	__u32 slot_plus1 = flt_cg_slot_plus1();
	struct flt_scratch *scratch = flt_scratch_get(); /* its mask unused: shaping is tc's */

	if (!slot_plus1 || !scratch)
		return FLT_CG_PASS;
	if (flt_packet_drops(skb, 0, slot_plus1 - 1, FLT_DIR_EGRESS, &scratch->shaping_rules))
		return FLT_CG_DROP_CN;
	return FLT_CG_PASS;
}

/* Ingress drops are silent, as real loss is. */
SEC("cgroup_skb/ingress")
int flt_cg_ingress(struct __sk_buff *skb)
{
	__u32 slot_plus1 = flt_cg_slot_plus1();
	struct flt_scratch *scratch = flt_scratch_get(); /* its mask unused: shaping is tc's */

	if (!slot_plus1 || !scratch)
		return FLT_CG_PASS;
	if (flt_packet_drops(skb, 0, slot_plus1 - 1, FLT_DIR_INGRESS, &scratch->shaping_rules))
		return FLT_CG_DROP;
	return FLT_CG_PASS;
}

/* Rejects with errno: bpf_set_retval() (kernel >= 5.18) replaces the default EPERM. */
static __always_inline int flt_sock_addr(struct bpf_sock_addr *ctx, struct flt_flow *flow)
{
	__u32 slot_plus1 = flt_cg_slot_plus1();
	int err;

	if (!slot_plus1)
		return FLT_SOCK_ALLOW;
	flow->protocol = ctx->protocol;
	if (flow->protocol == IPPROTO_TCP || flow->protocol == IPPROTO_UDP) {
		flow->peer_port = bpf_ntohs((__u16)ctx->user_port);
		flow->peer_port_known = 1;
	}
	err = flt_connect_errno(slot_plus1 - 1, flow);
	if (!err)
		return FLT_SOCK_ALLOW;
	bpf_set_retval(-err);
	return FLT_SOCK_REJECT;
}

static __always_inline int flt_sock_addr4(struct bpf_sock_addr *ctx)
{
	struct flt_flow flow = {};

	flow.family = FLT_AF_INET;
	flow.peer_addr[0] = ctx->user_ip4;
	return flt_sock_addr(ctx, &flow);
}

static __always_inline int flt_sock_addr6(struct bpf_sock_addr *ctx)
{
	struct flt_flow flow = {};

	flow.peer_addr[0] = ctx->user_ip6[0];
	flow.peer_addr[1] = ctx->user_ip6[1];
	flow.peer_addr[2] = ctx->user_ip6[2];
	flow.peer_addr[3] = ctx->user_ip6[3];
	/*
	 * A dual-stack socket reaches IPv4 peers as ::ffff:a.b.c.d (RFC 4291 2.5.5.2) and sends
	 * IPv4 packets: match IPv4 CIDRs, as the packet hooks will.
	 */
	if (!flow.peer_addr[0] && !flow.peer_addr[1] &&
	    flow.peer_addr[2] == bpf_htonl(0x0000ffff)) {
		flow.family = FLT_AF_INET;
		flow.peer_addr[0] = flow.peer_addr[3];
		flow.peer_addr[3] = 0;
		flow.peer_addr[2] = 0;
	} else {
		flow.family = FLT_AF_INET6;
	}
	return flt_sock_addr(ctx, &flow);
}

SEC("cgroup/connect4")
int flt_cg_connect4(struct bpf_sock_addr *ctx)
{
	return flt_sock_addr4(ctx);
}

SEC("cgroup/connect6")
int flt_cg_connect6(struct bpf_sock_addr *ctx)
{
	return flt_sock_addr6(ctx);
}

/* Unconnected UDP sends only; connected UDP sockets went through connect4/6. */
SEC("cgroup/sendmsg4")
int flt_cg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return flt_sock_addr4(ctx);
}

SEC("cgroup/sendmsg6")
int flt_cg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return flt_sock_addr6(ctx);
}
