// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where faultline decides drops and rejects: tc programs on a target's interfaces, cgroup_skb
 * programs on its cgroup (packet loss and blackholes), cgroup sock_addr programs (rejected
 * connects and unconnected UDP sends). Every hook finds its target, builds a flt_flow (peer
 * address and ports relative to the target) and runs the same rule match, flt_rule_matches().
 *
 * Plain UAPI headers and no CO-RE: tc and cgroup programs need no kernel types, and the object
 * must load unchanged on every kernel from 6.1 on.
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
 * drops it counts the drop and no later rule draws a random number.
 *
 * Reject rules are counted as matched here too, but packets are never dropped for them: a
 * reject fails new connects and sends in the sock_addr hooks, and traffic that still flows
 * under a reject (connections made before it) shows as matched but not dropped.
 *
 * Counters are per-CPU and incremented without atomics: the only race is a process-context
 * cgroup hook interrupted on the same CPU by one for the same rule, costing one count at worst.
 */
static __always_inline bool flt_packet_drops(struct __sk_buff *skb, __u32 l3_off, __u32 slot,
					     __u8 dir)
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
 * Both tc programs return TC_ACT_UNSPEC, never TC_ACT_OK, for what they do not drop:
 * TC_ACT_UNSPEC is TCX_NEXT for tcx links and "continue with the next filter" for cls_bpf in
 * direct-action mode, so other tools' programs attached after ours still see the packet.
 */
static __always_inline int flt_tc(struct __sk_buff *skb, __u8 hook_dir)
{
	struct flt_iface_key key = {
		.ifindex = skb->ifindex,
		.netns_slot = flt_netns_slot,
	};
	const struct flt_iface *iface;
	__u8 dir = hook_dir;

	iface = bpf_map_lookup_elem(&flt_ifaces, &key);
	if (!iface)
		return TC_ACT_UNSPEC;
	/* The host end of a pod's veth receives what the pod sends. */
	if (iface->flags & FLT_IFACE_SWAP)
		dir = hook_dir == FLT_DIR_EGRESS ? FLT_DIR_INGRESS : FLT_DIR_EGRESS;
	if (flt_packet_drops(skb, ETH_HLEN, iface->target_slot, dir))
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
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

	if (!slot_plus1)
		return FLT_CG_PASS;
	if (flt_packet_drops(skb, 0, slot_plus1 - 1, FLT_DIR_EGRESS))
		return FLT_CG_DROP_CN;
	return FLT_CG_PASS;
}

/* Ingress drops are silent, as real loss is. */
SEC("cgroup_skb/ingress")
int flt_cg_ingress(struct __sk_buff *skb)
{
	__u32 slot_plus1 = flt_cg_slot_plus1();

	if (!slot_plus1)
		return FLT_CG_PASS;
	if (flt_packet_drops(skb, 0, slot_plus1 - 1, FLT_DIR_INGRESS))
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
