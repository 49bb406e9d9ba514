/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A packet or a socket address as faultline's rules see it: struct flt_flow (the peer's address
 * and ports relative to the target, the transport protocol), the parsers that fill it from an IP
 * packet or from a cgroup sock_addr context, and the per-field matches a rule is made of
 * (protocol, port ranges, CIDRs). No maps, no counters: anything that classifies traffic by
 * faultline's rules can include this header.
 *
 * Every access to the packet goes through bpf_skb_load_bytes() at an offset the caller names,
 * so the same parsers serve tc (l3_off ETH_HLEN) and cgroup_skb (l3_off 0) programs.
 */
#ifndef FAULTLINE_FLOW_BPF_H
#define FAULTLINE_FLOW_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "fault.h"

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

/* Whether the flow's peer address is inside the one CIDR c. */
static __always_inline bool flt_cidr_has(const struct flt_cidr *c, const struct flt_flow *flow)
{
	__u32 diff;

	if (c->family != flow->family)
		return false;
	diff = (flow->peer_addr[0] & c->mask[0]) ^ c->addr[0];
	if (c->family == FLT_AF_INET6) {
		diff |= (flow->peer_addr[1] & c->mask[1]) ^ c->addr[1];
		diff |= (flow->peer_addr[2] & c->mask[2]) ^ c->addr[2];
		diff |= (flow->peer_addr[3] & c->mask[3]) ^ c->addr[3];
	}
	return !diff;
}

static __always_inline bool flt_cidr_in(const struct flt_cidr *cidrs, __u8 ncidrs,
					const struct flt_flow *flow)
{
	__u32 i;

	for (i = 0; i < FLT_MAX_CIDRS && i < ncidrs; i++) {
		if (flt_cidr_has(&cidrs[i], flow))
			return true;
	}
	return false;
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
 * The peer of a connect() or an unconnected UDP sendmsg() on an IPv4 socket, from its cgroup
 * sock_addr context. flow must be zeroed; the ports are flt_parse_sock_addr_port()'s.
 */
static __always_inline void flt_parse_sock_addr4(const struct bpf_sock_addr *ctx,
						 struct flt_flow *flow)
{
	flow->family = FLT_AF_INET;
	flow->peer_addr[0] = ctx->user_ip4;
}

/* The same on an IPv6 socket. */
static __always_inline void flt_parse_sock_addr6(const struct bpf_sock_addr *ctx,
						 struct flt_flow *flow)
{
	flow->peer_addr[0] = ctx->user_ip6[0];
	flow->peer_addr[1] = ctx->user_ip6[1];
	flow->peer_addr[2] = ctx->user_ip6[2];
	flow->peer_addr[3] = ctx->user_ip6[3];
	/*
	 * A dual-stack socket reaches IPv4 peers as ::ffff:a.b.c.d (RFC 4291 2.5.5.2) and sends
	 * IPv4 packets: match IPv4 CIDRs, as the packet hooks will.
	 */
	if (!flow->peer_addr[0] && !flow->peer_addr[1] &&
	    flow->peer_addr[2] == bpf_htonl(0x0000ffff)) {
		flow->family = FLT_AF_INET;
		flow->peer_addr[0] = flow->peer_addr[3];
		flow->peer_addr[3] = 0;
		flow->peer_addr[2] = 0;
	} else {
		flow->family = FLT_AF_INET6;
	}
}

/* The transport protocol and, for TCP and UDP, the peer port; the local port is not known yet. */
static __always_inline void flt_parse_sock_addr_port(const struct bpf_sock_addr *ctx,
						     struct flt_flow *flow)
{
	flow->protocol = ctx->protocol;
	if (flow->protocol == IPPROTO_TCP || flow->protocol == IPPROTO_UDP) {
		flow->peer_port = bpf_ntohs((__u16)ctx->user_port);
		flow->peer_port_known = 1;
	}
}

#endif /* FAULTLINE_FLOW_BPF_H */
