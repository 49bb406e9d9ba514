// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests of bpf/fault.bpf.c: crafted Ethernet frames through flt_tc_ingress and
 * flt_tc_egress, with flt_rules and flt_ifaces filled directly. Needs root and BPF; nothing is
 * attached anywhere, and the maps vanish with the skeleton.
 *
 * test_run gives the skb the device named by __sk_buff.ifindex in ctx_in (the loopback when 0 or
 * 1), so every test configures ifindex 1 in netns slot 0 as the target's interface.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fault.h"
#include "fault.skel.h"

#define LO_IFINDEX 1
#define NSLOTS 4 /* target slots in flt_rules */
#define NIFACES 8

/* The target's own addresses and a peer's, in the documentation ranges. */
#define TARGET4 "192.0.2.10"
#define PEER4 "198.51.100.7"
#define TARGET6 "2001:db8:aaaa::10"
#define PEER6 "2001:db8:bbbb::7"

#define SEC_NS 1000000000ULL
#define IPV4_MF 0x2000 /* more fragments (RFC 791) */

/* The IPv6 fragment header (RFC 8200 4.5); the UAPI headers do not define it. */
struct ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset in 8-byte units << 3 | M flag */
	__be32 identification;
};
#define LOSS_ALL (1ULL << 32)

static struct fault_bpf *skel;
static int ncpus;

/* A frame to craft: addresses are the packet's own source and destination. */
struct pkt_spec {
	int family;    /* AF_INET or AF_INET6 */
	__u8 protocol; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6 */
	const char *saddr;
	const char *daddr;
	__u16 sport;
	__u16 dport;
	__u16 frag_offset; /* in 8-byte units; non-zero makes a non-first fragment */
	int more_fragments;
	int ip_options;	    /* IPv4: add 4 bytes of options (NOPs), ihl 6 */
	int ip6_frag_hdr;   /* IPv6: add a fragment header (after ext_hdrs) */
	__u8 ext_hdrs[4];   /* IPv6 extension headers before the transport header */
	int n_ext_hdrs;	    /* (hop-by-hop's number is 0, so the count is explicit) */
	size_t truncate_to; /* cut the frame to this many bytes when non-zero */
};

static __u64 now_ns(void)
{
	struct timespec ts;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * SEC_NS + (__u64)ts.tv_nsec;
}

/* Writes the transport header at p: the same bytes in every fragment, so that a parser that
 * wrongly reads ports from a non-first fragment would see the spec's ports. */
static size_t put_l4(const struct pkt_spec *spec, __u8 *p)
{
	struct icmphdr *icmp;
	struct tcphdr *tcp;
	struct udphdr *udp;

	switch (spec->protocol) {
	case IPPROTO_TCP:
		tcp = (struct tcphdr *)p;
		tcp->source = htons(spec->sport);
		tcp->dest = htons(spec->dport);
		tcp->doff = sizeof(*tcp) / 4;
		tcp->syn = 1;
		return sizeof(*tcp);
	case IPPROTO_UDP:
		udp = (struct udphdr *)p;
		udp->source = htons(spec->sport);
		udp->dest = htons(spec->dport);
		udp->len = htons(sizeof(*udp) + 32);
		return sizeof(*udp);
	default: /* ICMP and ICMPv6 echo requests share the layout */
		icmp = (struct icmphdr *)p;
		icmp->type = spec->protocol == IPPROTO_ICMP ? ICMP_ECHO : ICMPV6_ECHO_REQUEST;
		icmp->un.echo.id = htons(spec->sport);
		return sizeof(*icmp);
	}
}

/* Builds Ethernet + IP (+ IPv6 extension headers) + transport header + 32 bytes of payload. */
static size_t build_pkt(const struct pkt_spec *spec, __u8 *buf, size_t size)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	__u8 *p = buf + sizeof(*eth);
	size_t len;
	int i;

	assert_true(size >= 256);
	memset(buf, 0, size);
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	if (spec->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)p;

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = spec->ip_options ? 6 : 5;
		ip->ttl = 64;
		ip->protocol = spec->protocol;
		ip->frag_off = htons(spec->frag_offset | (spec->more_fragments ? IPV4_MF : 0));
		assert_int_equal(inet_pton(AF_INET, spec->saddr, &ip->saddr), 1);
		assert_int_equal(inet_pton(AF_INET, spec->daddr, &ip->daddr), 1);
		p += sizeof(*ip);
		if (spec->ip_options) {
			memset(p, IPOPT_NOOP, 4);
			p += 4;
		}
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)p;
		__u8 *nexthdr = &ip6->nexthdr;

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->hop_limit = 64;
		assert_int_equal(inet_pton(AF_INET6, spec->saddr, &ip6->saddr), 1);
		assert_int_equal(inet_pton(AF_INET6, spec->daddr, &ip6->daddr), 1);
		p += sizeof(*ip6);
		for (i = 0; i < spec->n_ext_hdrs && i < 4; i++) {
			/*
			 * Hop-by-hop, routing and destination options, 16 bytes (hdrlen 1) each,
			 * filled with non-zero bytes that no parser may mistake for headers: one
			 * skippable experimental option (RFC 4727) or routing type 253, no
			 * segments left.
			 */
			*nexthdr = spec->ext_hdrs[i];
			nexthdr = p;
			p[1] = 1;
			memset(p + 2, 0xab, 14);
			if (spec->ext_hdrs[i] == IPPROTO_ROUTING) {
				p[2] = 253;
				p[3] = 0;
			} else {
				p[2] = 0x1e;
				p[3] = 12;
			}
			p += 16;
		}
		if (spec->ip6_frag_hdr) {
			struct ip6_frag *fh = (struct ip6_frag *)p;

			*nexthdr = IPPROTO_FRAGMENT;
			nexthdr = &fh->nexthdr;
			fh->frag_off = htons((__u16)(spec->frag_offset << 3) |
					     (spec->more_fragments ? 1 : 0));
			fh->identification = htonl(0x1234);
			p += sizeof(*fh);
		}
		*nexthdr = spec->protocol;
	}
	p += put_l4(spec, p);
	memset(p, 0xab, 32);
	p += 32;
	len = (size_t)(p - buf);
	if (spec->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(buf + sizeof(*eth));

		ip->tot_len = htons((__u16)(len - sizeof(*eth)));
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + sizeof(*eth));

		ip6->payload_len = htons((__u16)(len - sizeof(*eth) - sizeof(*ip6)));
	}
	if (spec->truncate_to && spec->truncate_to < len)
		len = spec->truncate_to;
	return len;
}

/* Runs prog repeat times on the frame with the skb on ifindex; returns the program's verdict. */
static int run_prog_repeat(struct bpf_program *prog, const struct pkt_spec *spec, __u32 ifindex,
			   __u32 repeat)
{
	struct __sk_buff ctx = {.ifindex = ifindex};
	__u8 buf[256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);
	int err;

	opts.data_size_in = (__u32)build_pkt(spec, buf, sizeof(buf));
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	assert_int_equal(err, 0);
	return (int)opts.retval;
}

static int run_prog(struct bpf_program *prog, const struct pkt_spec *spec)
{
	return run_prog_repeat(prog, spec, LO_IFINDEX, 1);
}

static size_t frame_len(const struct pkt_spec *spec)
{
	__u8 buf[256];

	return build_pkt(spec, buf, sizeof(buf));
}

/* What the target sends to the peer (run through an egress hook). */
static struct pkt_spec out4(__u8 protocol, __u16 local_port, __u16 peer_port)
{
	return (struct pkt_spec){.family = AF_INET,
				 .protocol = protocol,
				 .saddr = TARGET4,
				 .daddr = PEER4,
				 .sport = local_port,
				 .dport = peer_port};
}

/* What the target receives from the peer (run through an ingress hook). */
static struct pkt_spec in4(__u8 protocol, __u16 peer_port, __u16 local_port)
{
	return (struct pkt_spec){.family = AF_INET,
				 .protocol = protocol,
				 .saddr = PEER4,
				 .daddr = TARGET4,
				 .sport = peer_port,
				 .dport = local_port};
}

static struct pkt_spec out6(__u8 protocol, __u16 local_port, __u16 peer_port)
{
	return (struct pkt_spec){.family = AF_INET6,
				 .protocol = protocol,
				 .saddr = TARGET6,
				 .daddr = PEER6,
				 .sport = local_port,
				 .dport = peer_port};
}

static struct flt_rule rule_new(__u8 actions, __u8 direction, __u8 protocol)
{
	struct flt_rule r;

	memset(&r, 0, sizeof(r));
	r.deadline_ns = now_ns() + 3600 * SEC_NS;
	r.actions = actions;
	r.direction = direction;
	r.protocol = protocol;
	return r;
}

static void rule_add_cidr(struct flt_rule *r, const char *addr, int prefix_len)
{
	struct flt_cidr *c = &r->cidrs[r->ncidrs++];
	__u32 *a = c->addr, *m = c->mask;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	int words = family == AF_INET ? 1 : 4, i, bits;

	assert_true(r->ncidrs <= FLT_MAX_CIDRS);
	assert_int_equal(inet_pton(family, addr, a), 1);
	c->family = family == AF_INET ? FLT_AF_INET : FLT_AF_INET6;
	for (i = 0; i < words; i++) {
		bits = prefix_len - 32 * i;
		bits = bits < 0 ? 0 : bits > 32 ? 32 : bits;
		m[i] = bits ? htonl(~0U << (32 - bits)) : 0;
		a[i] &= m[i];
	}
}

static void rule_add_ports(struct flt_rule *r, __u16 first, __u16 last)
{
	assert_true(r->nports < FLT_MAX_PORTS);
	r->ports[r->nports++] = (struct flt_port_range){.first = first, .last = last};
}

static void rule_add_local_ports(struct flt_rule *r, __u16 first, __u16 last)
{
	assert_true(r->nlocal_ports < FLT_MAX_PORTS);
	r->local_ports[r->nlocal_ports++] = (struct flt_port_range){.first = first, .last = last};
}

static void set_rules(__u32 slot, const struct flt_rule *rules, __u32 nrules)
{
	struct flt_target_rules tr;

	memset(&tr, 0, sizeof(tr));
	assert_true(nrules <= FLT_MAX_RULES);
	tr.nrules = nrules;
	memcpy(tr.rules, rules, nrules * sizeof(*rules));
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.flt_rules), &slot, &tr, 0), 0);
}

static void set_rule(__u32 slot, struct flt_rule rule)
{
	set_rules(slot, &rule, 1);
}

static void set_iface(__u32 ifindex, __u32 netns_slot, __u32 target_slot, __u32 flags)
{
	struct flt_iface_key key = {.ifindex = ifindex, .netns_slot = netns_slot};
	struct flt_iface val = {.target_slot = target_slot, .flags = flags};

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.flt_ifaces), &key, &val, 0), 0);
}

/* The counters of (slot, rule), summed over CPUs. */
static struct flt_counters counters_of(__u32 slot, __u32 rule)
{
	struct flt_counters sum = {0}, percpu[ncpus];
	__u32 key = slot * FLT_MAX_RULES + rule;
	int i;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flt_counters), &key, percpu),
			 0);
	for (i = 0; i < ncpus; i++) {
		sum.matched_packets += percpu[i].matched_packets;
		sum.matched_bytes += percpu[i].matched_bytes;
		sum.dropped_packets += percpu[i].dropped_packets;
		sum.rejected_connects += percpu[i].rejected_connects;
	}
	return sum;
}

/* Empties every map: each test starts from no rules, no interfaces and zero counters. */
static int reset_maps(void **state)
{
	struct flt_target_rules *empty = calloc(1, sizeof(*empty));
	struct flt_counters *zeros = calloc((size_t)ncpus, sizeof(*zeros));
	int ifaces_fd = bpf_map__fd(skel->maps.flt_ifaces);
	struct flt_iface_key key, next;
	__u32 i;

	(void)state;
	if (!empty || !zeros)
		goto fail;
	for (i = 0; i < NSLOTS; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.flt_rules), &i, empty, 0))
			goto fail;
	for (i = 0; i < NSLOTS * FLT_MAX_RULES; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.flt_counters), &i, zeros, 0))
			goto fail;
	while (!bpf_map_get_next_key(ifaces_fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(ifaces_fd, &key))
			goto fail;
	}
	free(empty);
	free(zeros);
	/* the usual target: the loopback (test_run's device) in netns slot 0 is target slot 0 */
	set_iface(LO_IFINDEX, 0, 0, 0);
	return 0;
fail:
	free(empty);
	free(zeros);
	return -1;
}

#define TC_IN skel->progs.flt_tc_ingress
#define TC_OUT skel->progs.flt_tc_egress

static void test_ipv4_cidr_matches_inside_prefix_only(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);

	(void)state;
	rule_add_cidr(&r, "198.51.100.0", 25);
	set_rule(0, r);
	p.daddr = "198.51.100.0";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.daddr = "198.51.100.127";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.daddr = "198.51.100.128";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	p.daddr = "198.51.99.255";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);

	/* a /32 is one address; the second CIDR of a rule counts as much as the first */
	r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	rule_add_cidr(&r, "203.0.113.1", 32);
	rule_add_cidr(&r, "198.51.100.7", 32);
	set_rule(0, r);
	p.daddr = "198.51.100.7";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.daddr = "198.51.100.6";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
}

static void test_ipv4_zero_prefix_matches_all_ipv4_but_no_ipv6(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p4 = out4(IPPROTO_UDP, 40000, 53), p6 = out6(IPPROTO_UDP, 40000, 53);

	(void)state;
	rule_add_cidr(&r, "0.0.0.0", 0);
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &p4), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &p6), TC_ACT_UNSPEC);
}

static void test_ipv6_cidr_matches_inside_prefix_only(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p = out6(IPPROTO_TCP, 40000, 443);

	(void)state;
	/* a prefix that ends inside the second 32-bit word */
	rule_add_cidr(&r, "2001:db8:8000::", 33);
	set_rule(0, r);
	p.daddr = "2001:db8:8000::";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.daddr = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.daddr = "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	p.daddr = "2001:db9:8000::";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);

	/* a /127: the last bit is free, the one before is not */
	r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	rule_add_cidr(&r, "2001:db8:bbbb::6", 127);
	set_rule(0, r);
	p.daddr = "2001:db8:bbbb::6";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.daddr = "2001:db8:bbbb::7";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.daddr = "2001:db8:bbbb::8";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	p.daddr = "2001:db8:bbbb:1::6";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);

	/* an IPv6 CIDR never matches IPv4 */
	p = out4(IPPROTO_TCP, 40000, 443);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
}

static void test_protocol_selects_tcp_udp_or_icmp_and_icmpv6(void **state)
{
	struct pkt_spec tcp = out4(IPPROTO_TCP, 40000, 80), udp = out4(IPPROTO_UDP, 40000, 80);
	struct pkt_spec icmp = out4(IPPROTO_ICMP, 7, 0), icmp6 = out6(IPPROTO_ICMPV6, 7, 0);

	(void)state;
	set_rule(0, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP));
	assert_int_equal(run_prog(TC_OUT, &tcp), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &udp), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_OUT, &icmp), TC_ACT_UNSPEC);

	set_rule(0, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_UDP));
	assert_int_equal(run_prog(TC_OUT, &tcp), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_OUT, &udp), TC_ACT_SHOT);

	set_rule(0, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ICMP));
	assert_int_equal(run_prog(TC_OUT, &icmp), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &icmp6), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &tcp), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_OUT, &udp), TC_ACT_UNSPEC);

	set_rule(0, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY));
	assert_int_equal(run_prog(TC_OUT, &tcp), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &udp), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &icmp), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &icmp6), TC_ACT_SHOT);
}

static void test_peer_port_and_range_bounds(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);
	__u16 drop[] = {80, 8000, 8001, 8080}, pass[] = {79, 81, 7999, 8081};
	size_t i;

	(void)state;
	rule_add_ports(&r, 80, 80);
	rule_add_ports(&r, 8000, 8080);
	set_rule(0, r);
	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
		p.dport = drop[i];
		assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	}
	for (i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		p.dport = pass[i];
		assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	}
	/* the target's own port 80 is not the peer's */
	p = out4(IPPROTO_TCP, 80, 40000);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	/* on ingress the peer's port is the source port */
	p = in4(IPPROTO_TCP, 8080, 40000);
	assert_int_equal(run_prog(TC_IN, &p), TC_ACT_SHOT);
	p = in4(IPPROTO_TCP, 40000, 8080);
	assert_int_equal(run_prog(TC_IN, &p), TC_ACT_UNSPEC);
}

static void test_local_port_is_source_on_egress_and_destination_on_ingress(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p;

	(void)state;
	rule_add_local_ports(&r, 5432, 5432);
	set_rule(0, r);
	p = out4(IPPROTO_TCP, 5432, 40000);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p = out4(IPPROTO_TCP, 40000, 5432);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	p = in4(IPPROTO_UDP, 40000, 5432);
	assert_int_equal(run_prog(TC_IN, &p), TC_ACT_SHOT);
	p = in4(IPPROTO_UDP, 5432, 40000);
	assert_int_equal(run_prog(TC_IN, &p), TC_ACT_UNSPEC);

	/* peer port and local port together: both must match */
	rule_add_ports(&r, 443, 443);
	set_rule(0, r);
	p = out4(IPPROTO_TCP, 5432, 443);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p = out4(IPPROTO_TCP, 5432, 444);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	p = out4(IPPROTO_TCP, 5433, 443);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
}

static void test_ports_with_any_protocol_match_tcp_and_udp_only(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec tcp = out4(IPPROTO_TCP, 40000, 7), udp = out6(IPPROTO_UDP, 40000, 7);
	struct pkt_spec icmp = out4(IPPROTO_ICMP, 7, 7), icmp6 = out6(IPPROTO_ICMPV6, 7, 7);

	(void)state;
	rule_add_ports(&r, 0, 65535);
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &tcp), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &udp), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &icmp), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_OUT, &icmp6), TC_ACT_UNSPEC);
}

static void test_direction_follows_hook_and_peer_address_follows_direction(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_EGRESS, FLT_PROTO_ANY);
	struct pkt_spec out = out4(IPPROTO_TCP, 40000, 80), in = in4(IPPROTO_TCP, 80, 40000);

	(void)state;
	rule_add_cidr(&r, PEER4, 32);
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &out), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_IN, &in), TC_ACT_UNSPEC);
	/* egress to the target's own address is not traffic to the peer */
	assert_int_equal(run_prog(TC_OUT, &in), TC_ACT_UNSPEC);

	r.direction = FLT_DIR_INGRESS;
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &out), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_IN, &in), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_IN, &out), TC_ACT_UNSPEC);

	r.direction = FLT_DIR_BOTH;
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &out), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_IN, &in), TC_ACT_SHOT);
}

static void test_swap_flag_turns_hook_ingress_into_target_egress(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_EGRESS, FLT_PROTO_TCP);
	/* the host end of the target's veth receives what the target sends */
	struct pkt_spec sent = out4(IPPROTO_TCP, 40000, 80), received = in4(IPPROTO_TCP, 80, 40000);

	(void)state;
	rule_add_cidr(&r, PEER4, 32);
	rule_add_ports(&r, 80, 80);
	set_rule(0, r);
	set_iface(LO_IFINDEX, 0, 0, FLT_IFACE_SWAP);
	assert_int_equal(run_prog(TC_IN, &sent), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &sent), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_OUT, &received), TC_ACT_UNSPEC);

	r.direction = FLT_DIR_INGRESS;
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &received), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_IN, &received), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_IN, &sent), TC_ACT_UNSPEC);
}

static void test_loss_threshold_zero_never_drops(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_LOSS, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p = out4(IPPROTO_UDP, 40000, 53);
	struct flt_counters c;

	(void)state;
	r.loss_threshold = 0;
	set_rule(0, r);
	assert_int_equal(run_prog_repeat(TC_OUT, &p, LO_IFINDEX, 1000), TC_ACT_UNSPEC);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 1000);
	assert_int_equal(c.dropped_packets, 0);
}

static void test_loss_threshold_two_to_the_32_always_drops(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_LOSS, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p = out4(IPPROTO_UDP, 40000, 53);
	struct flt_counters c;

	(void)state;
	r.loss_threshold = LOSS_ALL;
	set_rule(0, r);
	assert_int_equal(run_prog_repeat(TC_OUT, &p, LO_IFINDEX, 1000), TC_ACT_SHOT);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 1000);
	assert_int_equal(c.dropped_packets, 1000);
}

static void test_loss_30_percent_drops_about_30_percent(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_LOSS, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p = out6(IPPROTO_TCP, 40000, 443);
	struct flt_counters c;

	(void)state;
	r.loss_threshold = (__u64)(0.30 * (double)LOSS_ALL);
	set_rule(0, r);
	run_prog_repeat(TC_OUT, &p, LO_IFINDEX, 10000);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 10000);
	/* binomial: mean 3000, standard deviation 46; the band is 6.5 deviations wide each way */
	assert_in_range(c.dropped_packets, 2700, 3300);
}

static void test_blackhole_drops_every_packet_and_counts_bytes(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p = in4(IPPROTO_TCP, 443, 40000);
	struct flt_counters c;

	(void)state;
	set_rule(0, r);
	assert_int_equal(run_prog_repeat(TC_IN, &p, LO_IFINDEX, 100), TC_ACT_SHOT);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 100);
	/* tc sees the whole frame, Ethernet header included */
	assert_int_equal(c.matched_bytes, 100 * frame_len(&p));
	assert_int_equal(c.dropped_packets, 100);
	assert_int_equal(c.rejected_connects, 0);
}

static void test_expired_rule_has_no_effect(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);
	struct flt_counters c;

	(void)state;
	r.deadline_ns = now_ns() - 1;
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 0);

	/* a live rule stops dropping once its deadline passes */
	r.deadline_ns = now_ns() + SEC_NS / 10;
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	usleep(200000);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 1);
	assert_int_equal(c.dropped_packets, 1);
}

static void test_interface_not_in_flt_ifaces_is_untouched(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);
	struct flt_iface_key key = {.ifindex = LO_IFINDEX, .netns_slot = 0};
	struct flt_counters c;

	(void)state;
	set_rule(0, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY));
	assert_int_equal(bpf_map_delete_elem(bpf_map__fd(skel->maps.flt_ifaces), &key), 0);
	/* the same ifindex in another network namespace, and another interface here */
	set_iface(LO_IFINDEX, 1, 0, 0);
	set_iface(LO_IFINDEX + 1000, 0, 0, 0);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_IN, &p), TC_ACT_UNSPEC);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 0);
}

static void test_interface_finds_its_own_target_slot(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);

	(void)state;
	set_rule(2, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY));
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	set_iface(LO_IFINDEX, 0, 2, 0);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	assert_int_equal(counters_of(2, 0).dropped_packets, 1);
	assert_int_equal(counters_of(0, 0).matched_packets, 0);
}

static void test_counters_count_every_match_and_the_first_drop(void **state)
{
	struct flt_rule rules[4];
	struct pkt_spec p = out4(IPPROTO_UDP, 40000, 53);
	struct flt_counters c;
	const __u32 slot = 3, runs = 10;

	(void)state;
	rules[0] = rule_new(FLT_ACT_LOSS, FLT_DIR_BOTH, FLT_PROTO_UDP);	     /* never drops */
	rules[1] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP); /* no match */
	rules[2] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_EGRESS, FLT_PROTO_ANY);
	rules[3] = rule_new(FLT_ACT_LOSS, FLT_DIR_BOTH, FLT_PROTO_ANY);
	rules[3].loss_threshold = LOSS_ALL;
	set_rules(slot, rules, 4);
	set_iface(LO_IFINDEX, 0, slot, 0);
	assert_int_equal(run_prog_repeat(TC_OUT, &p, LO_IFINDEX, runs), TC_ACT_SHOT);

	c = counters_of(slot, 0);
	assert_int_equal(c.matched_packets, runs);
	assert_int_equal(c.matched_bytes, runs * frame_len(&p));
	assert_int_equal(c.dropped_packets, 0);
	c = counters_of(slot, 1);
	assert_int_equal(c.matched_packets, 0);
	c = counters_of(slot, 2);
	assert_int_equal(c.matched_packets, runs);
	assert_int_equal(c.dropped_packets, runs);
	/* matched after an earlier rule dropped: counted as matched, the drop is rule 2's */
	c = counters_of(slot, 3);
	assert_int_equal(c.matched_packets, runs);
	assert_int_equal(c.dropped_packets, 0);
	/* other slots' counters stay zero */
	assert_int_equal(counters_of(0, 0).matched_packets, 0);
	assert_int_equal(counters_of(2, 2).matched_packets, 0);
}

static void test_rules_beyond_nrules_are_ignored(void **state)
{
	struct flt_target_rules tr;
	struct pkt_spec p = out4(IPPROTO_UDP, 40000, 53);
	int fd = bpf_map__fd(skel->maps.flt_rules);
	__u32 slot = 0;

	(void)state;
	memset(&tr, 0, sizeof(tr));
	tr.rules[0] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
	tr.rules[1] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	tr.nrules = 2;
	assert_int_equal(bpf_map_update_elem(fd, &slot, &tr, 0), 0);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	/* the matching rule is still in the array, past the count */
	tr.nrules = 1;
	assert_int_equal(bpf_map_update_elem(fd, &slot, &tr, 0), 0);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
}

static void test_reject_rule_is_counted_but_not_dropped_by_packet_hooks(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_REJECT, FLT_DIR_BOTH, FLT_PROTO_TCP);
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);
	struct flt_counters c;

	(void)state;
	r.reject_errno = ECONNREFUSED;
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 1);
	assert_int_equal(c.dropped_packets, 0);
	assert_int_equal(c.rejected_connects, 0);
}

static void test_non_first_fragment_does_not_match_port_rule(void **state)
{
	struct flt_rule ports = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_UDP);
	struct flt_rule proto = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_UDP);
	struct pkt_spec first = out4(IPPROTO_UDP, 40000, 53), later = first;
	struct pkt_spec first6 = out6(IPPROTO_UDP, 40000, 53), later6;

	(void)state;
	first.more_fragments = 1;
	later.frag_offset = 185; /* 1480 bytes in; its first bytes read like a port 53 header */
	first6.ip6_frag_hdr = 1;
	first6.more_fragments = 1;
	later6 = first6;
	later6.frag_offset = 181;
	rule_add_ports(&ports, 53, 53);

	set_rule(0, ports);
	assert_int_equal(run_prog(TC_OUT, &first), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &later), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_OUT, &first6), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &later6), TC_ACT_UNSPEC);

	/* without ports the protocol alone matches every fragment */
	set_rule(0, proto);
	assert_int_equal(run_prog(TC_OUT, &later), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &later6), TC_ACT_SHOT);
}

static void test_ipv6_extension_headers_are_skipped_to_the_ports(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
	struct pkt_spec p = out6(IPPROTO_TCP, 40000, 443);

	(void)state;
	rule_add_ports(&r, 443, 443);
	rule_add_cidr(&r, PEER6, 128);
	set_rule(0, r);

	p.ext_hdrs[0] = IPPROTO_HOPOPTS;
	p.n_ext_hdrs = 1;
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.ext_hdrs[1] = IPPROTO_ROUTING;
	p.ext_hdrs[2] = IPPROTO_DSTOPTS;
	p.n_ext_hdrs = 3;
	p.ip6_frag_hdr = 1; /* a first fragment: offset 0, more to come */
	p.more_fragments = 1;
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.dport = 444;
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
}

static void test_ipv4_options_are_skipped_to_the_ports(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_UDP);
	struct pkt_spec p = out4(IPPROTO_UDP, 40000, 53);

	(void)state;
	rule_add_ports(&r, 53, 53);
	set_rule(0, r);
	p.ip_options = 1;
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.dport = 54;
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
}

static void test_truncated_or_non_ip_frames_pass_safely(void **state)
{
	struct flt_rule ports = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);
	struct __sk_buff ctx = {.ifindex = LO_IFINDEX};
	__u8 arp[60] = {0};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = arp, .data_size_in = sizeof(arp),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

	(void)state;
	rule_add_ports(&ports, 80, 80);
	set_rule(0, ports);
	/* the transport header is cut after 2 bytes: the ports are unreadable */
	p.truncate_to = ETH_HLEN + sizeof(struct iphdr) + 2;
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	/* (a frame cut inside the IP header never reaches the program: test_run refuses it) */

	/* ARP is not IP: no rule applies to it, not even one matching everything */
	set_rule(0, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY));
	memset(arp, 0xff, ETH_ALEN);
	arp[12] = ETH_P_ARP >> 8;
	arp[13] = ETH_P_ARP & 0xff;
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(TC_OUT), &opts), 0);
	assert_int_equal((int)opts.retval, TC_ACT_UNSPEC);
	p.truncate_to = ETH_HLEN + sizeof(struct iphdr) + 2;
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
}

static struct fault_bpf *second_instance;

static int destroy_second_instance(void **state)
{
	(void)state;
	fault_bpf__destroy(second_instance);
	second_instance = NULL;
	return 0;
}

/* Userspace loads one tc instance per network namespace, all sharing the maps. */
static struct fault_bpf *load_instance_for_netns_slot(__u32 netns_slot)
{
	struct bpf_map *maps[] = {skel->maps.flt_rules, skel->maps.flt_ifaces,
				  skel->maps.flt_counters, skel->maps.flt_cg};
	struct fault_bpf *inst = fault_bpf__open();
	struct bpf_map *inst_maps[4];
	struct bpf_program *prog;
	size_t i;

	assert_non_null(inst);
	second_instance = inst;
	inst_maps[0] = inst->maps.flt_rules;
	inst_maps[1] = inst->maps.flt_ifaces;
	inst_maps[2] = inst->maps.flt_counters;
	inst_maps[3] = inst->maps.flt_cg;
	inst->rodata->flt_netns_slot = netns_slot;
	for (i = 0; i < 4; i++)
		assert_int_equal(bpf_map__reuse_fd(inst_maps[i], bpf_map__fd(maps[i])), 0);
	bpf_object__for_each_program(prog, inst->obj)
		bpf_program__set_autoload(prog, prog == inst->progs.flt_tc_egress);
	assert_int_equal(fault_bpf__load(inst), 0);
	return inst;
}

static void test_instance_sees_only_interfaces_of_its_netns_slot(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);
	struct fault_bpf *netns1 = load_instance_for_netns_slot(1);

	(void)state;
	/* ifindex 1 is target 0 (no rules) in netns slot 0 and target 1 in netns slot 1 */
	set_rule(1, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY));
	set_iface(LO_IFINDEX, 1, 1, 0);
	assert_int_equal(run_prog(netns1->progs.flt_tc_egress, &p), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	assert_int_equal(counters_of(1, 0).dropped_packets, 1);
}

/*
 * cgroup_skb programs run under test_run, but with a cgroup storage that test_run allocates
 * zeroed for that one run (bpf_cgroup_storages_alloc() in net/bpf/test_run.c), not the map's:
 * userspace cannot name a target in it, so only the "not configured" path is testable here.
 * Drops through cgroup_skb are left to the integration tests, which attach for real.
 */
static void test_cgroup_skb_without_configured_target_passes(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);
	struct flt_counters c;

	(void)state;
	set_rule(0, rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY));
	assert_int_equal(run_prog(skel->progs.flt_cg_egress, &p), 1);
	assert_int_equal(run_prog(skel->progs.flt_cg_ingress, &p), 1);
	c = counters_of(0, 0);
	assert_int_equal(c.matched_packets, 0);
}

static int silent_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ipv4_cidr_matches_inside_prefix_only, reset_maps),
		cmocka_unit_test_setup(test_ipv4_zero_prefix_matches_all_ipv4_but_no_ipv6,
				       reset_maps),
		cmocka_unit_test_setup(test_ipv6_cidr_matches_inside_prefix_only, reset_maps),
		cmocka_unit_test_setup(test_protocol_selects_tcp_udp_or_icmp_and_icmpv6,
				       reset_maps),
		cmocka_unit_test_setup(test_peer_port_and_range_bounds, reset_maps),
		cmocka_unit_test_setup(
			test_local_port_is_source_on_egress_and_destination_on_ingress, reset_maps),
		cmocka_unit_test_setup(test_ports_with_any_protocol_match_tcp_and_udp_only,
				       reset_maps),
		cmocka_unit_test_setup(
			test_direction_follows_hook_and_peer_address_follows_direction, reset_maps),
		cmocka_unit_test_setup(test_swap_flag_turns_hook_ingress_into_target_egress,
				       reset_maps),
		cmocka_unit_test_setup(test_loss_threshold_zero_never_drops, reset_maps),
		cmocka_unit_test_setup(test_loss_threshold_two_to_the_32_always_drops, reset_maps),
		cmocka_unit_test_setup(test_loss_30_percent_drops_about_30_percent, reset_maps),
		cmocka_unit_test_setup(test_blackhole_drops_every_packet_and_counts_bytes,
				       reset_maps),
		cmocka_unit_test_setup(test_expired_rule_has_no_effect, reset_maps),
		cmocka_unit_test_setup(test_interface_not_in_flt_ifaces_is_untouched, reset_maps),
		cmocka_unit_test_setup(test_interface_finds_its_own_target_slot, reset_maps),
		cmocka_unit_test_setup_teardown(
			test_instance_sees_only_interfaces_of_its_netns_slot, reset_maps,
			destroy_second_instance),
		cmocka_unit_test_setup(test_counters_count_every_match_and_the_first_drop,
				       reset_maps),
		cmocka_unit_test_setup(test_rules_beyond_nrules_are_ignored, reset_maps),
		cmocka_unit_test_setup(test_reject_rule_is_counted_but_not_dropped_by_packet_hooks,
				       reset_maps),
		cmocka_unit_test_setup(test_non_first_fragment_does_not_match_port_rule,
				       reset_maps),
		cmocka_unit_test_setup(test_ipv6_extension_headers_are_skipped_to_the_ports,
				       reset_maps),
		cmocka_unit_test_setup(test_ipv4_options_are_skipped_to_the_ports, reset_maps),
		cmocka_unit_test_setup(test_truncated_or_non_ip_frames_pass_safely, reset_maps),
		cmocka_unit_test_setup(test_cgroup_skb_without_configured_target_passes,
				       reset_maps),
	};
	int err, failed;

	if (geteuid() != 0) {
		printf("SKIP: BPF_PROG_TEST_RUN tests need root\n");
		return 77;
	}
	libbpf_set_print(silent_libbpf);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "counting possible cpus failed: %s\n", strerror(-ncpus));
		return 1;
	}
	skel = fault_bpf__open();
	if (!skel) {
		fprintf(stderr, "opening the fault_bpf skeleton failed: %s\n", strerror(errno));
		return 1;
	}
	bpf_map__set_max_entries(skel->maps.flt_rules, NSLOTS);
	bpf_map__set_max_entries(skel->maps.flt_ifaces, NIFACES);
	bpf_map__set_max_entries(skel->maps.flt_counters, NSLOTS * FLT_MAX_RULES);
	err = fault_bpf__load(skel);
	if (err == -EPERM || err == -ENOSYS) {
		printf("SKIP: loading BPF programs failed: %s\n", strerror(-err));
		fault_bpf__destroy(skel);
		return 77;
	}
	if (err) {
		fprintf(stderr, "loading the fault_bpf skeleton failed: %s\n", strerror(-err));
		fault_bpf__destroy(skel);
		return 1;
	}
	failed = cmocka_run_group_tests_name("bpf_tc", tests, NULL, NULL);
	fault_bpf__destroy(skel);
	return failed ? 1 : 0;
}
