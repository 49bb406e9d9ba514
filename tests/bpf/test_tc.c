// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests of bpf/fault.bpf.c: crafted Ethernet frames through flt_tc_ingress and
 * flt_tc_egress, with flt_rules and flt_ifaces filled directly. Needs root and BPF; the maps
 * vanish with the skeleton. The sock_addr programs have no BPF_PROG_TEST_RUN (ENOTSUPP), so their
 * tests attach them to a cgroup of their own, made under the cgroup2 mount and removed after,
 * and make the calls from a child moved into it; nothing else is attached anywhere.
 *
 * test_run gives the skb the device named by __sk_buff.ifindex in ctx_in (the loopback when 0 or
 * 1), so every test configures ifindex 1 in netns slot 0 as the target's interface.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <mntent.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

#include "engine/rules.h"
#include "fault.h"
#include "frame.h"
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
	struct test_frame frame;
	__u8 *buf = frame.data;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);
	int err;

	opts.data_size_in = (__u32)build_pkt(spec, buf, sizeof(frame.data));
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
	struct test_frame frame;
	__u8 *buf = frame.data;

	return build_pkt(spec, buf, sizeof(frame.data));
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
	rule_summarize(&tr); /* as userspace's apply does */
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.flt_rules), &slot, &tr, 0), 0);
}

static void set_rule(__u32 slot, struct flt_rule rule)
{
	set_rules(slot, &rule, 1);
}

static void set_iface_ifb(__u32 ifindex, __u32 netns_slot, __u32 target_slot, __u32 flags,
			  __u32 ifb_ifindex)
{
	struct flt_iface_key key = {.ifindex = ifindex, .netns_slot = netns_slot};
	struct flt_iface val = {
		.target_slot = target_slot, .flags = flags, .ifb_ifindex = ifb_ifindex};

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.flt_ifaces), &key, &val, 0), 0);
}

static void set_iface(__u32 ifindex, __u32 netns_slot, __u32 target_slot, __u32 flags)
{
	set_iface_ifb(ifindex, netns_slot, target_slot, flags, 0);
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
		sum.rejected_sends += percpu[i].rejected_sends;
	}
	return sum;
}

/*
 * Empties every map but flt_dist: each test starts from no rules, no interfaces, zero counters,
 * no rate or flow state.
 */
static int reset_maps(void **state)
{
	struct flt_target_rules *empty = calloc(1, sizeof(*empty));
	struct flt_counters *zeros = calloc((size_t)ncpus, sizeof(*zeros));
	int ifaces_fd = bpf_map__fd(skel->maps.flt_ifaces);
	int flows_fd = bpf_map__fd(skel->maps.flt_flows);
	struct flt_rate_state rate_zero = {0};
	__u32 rnd_zero = 0;
	struct flt_flow_key flow, next_flow;
	struct flt_iface_key key, next;
	__u32 i;

	(void)state;
	if (!empty || !zeros)
		goto fail;
	for (i = 0; i < NSLOTS; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.flt_rules), &i, empty, 0))
			goto fail;
	for (i = 0; i < NSLOTS * FLT_MAX_RULES; i++) {
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.flt_counters), &i, zeros, 0) ||
		    bpf_map_update_elem(bpf_map__fd(skel->maps.flt_delay_rnd), &i, &rnd_zero, 0))
			goto fail;
	}
	for (i = 0; i < NSLOTS * FLT_MAX_RULES * 2; i++)
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.flt_rate), &i, &rate_zero, 0))
			goto fail;
	while (!bpf_map_get_next_key(ifaces_fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(ifaces_fd, &key))
			goto fail;
	}
	while (!bpf_map_get_next_key(flows_fd, NULL, &next_flow)) {
		flow = next_flow;
		if (bpf_map_delete_elem(flows_fd, &flow))
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
	assert_int_equal(c.rejected_sends, 0);
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
	rule_summarize(&tr);
	assert_int_equal(bpf_map_update_elem(fd, &slot, &tr, 0), 0);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	/* the matching rule is still in the array, past the count */
	tr.nrules = 1;
	rule_summarize(&tr);
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
	assert_int_equal(c.rejected_sends, 0);
}

/*
 * The sock_addr programs, attached to a cgroup of the test's own. The reject's errno is one that
 * neither a closed port (ECONNREFUSED) nor a missing route (ENETUNREACH) gives, so only the
 * programs can have made a call fail with it.
 */
#define REJECT_ERRNO EHOSTUNREACH
#define REJECT_PORT 9 /* the rule's peer port; REJECT_PORT + 1 is not rejected */
#define CHILD_NO_FAMILY 77

static struct {
	char dir[PATH_MAX]; /* empty: no cgroup made */
	struct bpf_link *links[4];
} sock_cg;

static bool cgroup2_root(char *path, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	bool found = false;

	if (!f)
		return false;
	while (!found && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(path, len, "%s", m->mnt_dir);
			found = true;
		}
	endmntent(f);
	return found;
}

/*
 * Makes the cgroup, attaches connect4/6 and sendmsg4/6 to it and points each attachment's
 * storage at target slot 0, as faultline apply does. Skips without a cgroup2 mount.
 */
static void sock_cg_attach(void)
{
	struct bpf_program *progs[] = {skel->progs.flt_cg_connect4, skel->progs.flt_cg_connect6,
				       skel->progs.flt_cg_sendmsg4, skel->progs.flt_cg_sendmsg6};
	const enum bpf_attach_type types[] = {BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_INET6_CONNECT,
					      BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_SENDMSG};
	struct flt_cg_target target = {.target_slot_plus1 = 1};
	struct bpf_cgroup_storage_key key;
	char root[PATH_MAX];
	struct stat st;
	size_t i;
	int fd;

	if (!cgroup2_root(root, sizeof(root))) {
		print_message("skipped: no cgroup2 mount for the sock_addr programs\n");
		skip();
	}
	snprintf(sock_cg.dir, sizeof(sock_cg.dir), "%s/faultline-test-tc.%d", root, (int)getpid());
	assert_int_equal(mkdir(sock_cg.dir, 0755), 0);
	fd = open(sock_cg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	for (i = 0; i < 4; i++) {
		sock_cg.links[i] = bpf_program__attach_cgroup(progs[i], fd);
		assert_non_null(sock_cg.links[i]);
		/* the kernel's cgroup id is the cgroup2 directory's inode number */
		key = (struct bpf_cgroup_storage_key){.cgroup_inode_id = st.st_ino,
						      .attach_type = types[i]};
		assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.flt_cg), &key, &target,
						     BPF_EXIST),
				 0);
	}
	close(fd);
}

static int sock_cg_remove(void **state)
{
	size_t i;
	int err = 0;

	(void)state;
	for (i = 0; i < 4; i++) {
		bpf_link__destroy(sock_cg.links[i]);
		sock_cg.links[i] = NULL;
	}
	if (sock_cg.dir[0] && rmdir(sock_cg.dir))
		err = -1;
	sock_cg.dir[0] = 0;
	return err;
}

/* 0 when the call failed with REJECT_ERRNO, else 1; CHILD_NO_FAMILY without the family. */
static int child_call(int family, int type, const char *addr, __u16 port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, rc;

	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno == EAFNOSUPPORT ? CHILD_NO_FAMILY : 1;
	if (type == SOCK_STREAM)
		rc = connect(fd, (struct sockaddr *)&ss, len);
	else
		rc = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len);
	rc = rc < 0 && errno == REJECT_ERRNO ? 0 : 1;
	close(fd);
	return rc;
}

/*
 * From a child in the cgroup: one connect() and two unconnected UDP sends to addr at
 * REJECT_PORT, which must be rejected, then a send to REJECT_PORT + 1, which must not be. Returns
 * the child's exit status: 0, CHILD_NO_FAMILY, or the number of the step that went wrong.
 */
static int sock_calls_in_cgroup(int family, const char *addr)
{
	char procs[PATH_MAX + 16], pid[16];
	int status, fd, n, rc;
	pid_t child;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", sock_cg.dir);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pid, (size_t)n) != n)
			_exit(2);
		close(fd);
		rc = child_call(family, SOCK_STREAM, addr, REJECT_PORT);
		if (rc)
			_exit(rc == CHILD_NO_FAMILY ? rc : 3);
		if (child_call(family, SOCK_DGRAM, addr, REJECT_PORT) ||
		    child_call(family, SOCK_DGRAM, addr, REJECT_PORT))
			_exit(4);
		if (!child_call(family, SOCK_DGRAM, addr, REJECT_PORT + 1))
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void check_sock_rejects(int family, const char *addr, const char *cidr, int prefix_len)
{
	struct flt_rule r = rule_new(FLT_ACT_REJECT, FLT_DIR_BOTH, FLT_PROTO_ANY);
	struct flt_counters c;
	int status;

	r.reject_errno = REJECT_ERRNO;
	rule_add_cidr(&r, cidr, prefix_len);
	rule_add_ports(&r, REJECT_PORT, REJECT_PORT);
	set_rule(0, r);
	sock_cg_attach();
	status = sock_calls_in_cgroup(family, addr);
	if (status == CHILD_NO_FAMILY) {
		print_message("skipped: no IPv%d sockets\n", family == AF_INET ? 4 : 6);
		skip();
	}
	assert_int_equal(status, 0);
	c = counters_of(0, 0);
	/* connect4/6 count connects, sendmsg4/6 sends; the unmatched send counts nowhere */
	assert_int_equal(c.rejected_connects, 1);
	assert_int_equal(c.rejected_sends, 2);
	assert_int_equal(c.matched_packets, 0);
	assert_int_equal(c.dropped_packets, 0);
}

static void test_ipv4_rejects_count_connects_and_sends_apart(void **state)
{
	(void)state;
	check_sock_rejects(AF_INET, "127.0.0.2", "127.0.0.2", 32);
}

static void test_ipv6_rejects_count_connects_and_sends_apart(void **state)
{
	(void)state;
	check_sock_rejects(AF_INET6, "::1", "::1", 128);
}

/*
 * A dual-stack socket's ::ffff:a.b.c.d peer matches IPv4 CIDRs: connect6 sees the mapped address,
 * while the kernel hands a mapped send to udp_sendmsg() and so to sendmsg4 (udpv6_sendmsg()).
 */
static void test_ipv4_mapped_peer_rejects_as_ipv4(void **state)
{
	(void)state;
	check_sock_rejects(AF_INET6, "::ffff:127.0.0.2", "127.0.0.2", 32);
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

/* Userspace loads one tc instance per network namespace, all sharing every map. */
static struct fault_bpf *load_instance_for_netns_slot(__u32 netns_slot)
{
	struct fault_bpf *inst = fault_bpf__open();
	struct bpf_map *map, *first;
	struct bpf_program *prog;

	assert_non_null(inst);
	second_instance = inst;
	inst->rodata->flt_netns_slot = netns_slot;
	bpf_object__for_each_map(map, inst->obj) {
		if (bpf_map__is_internal(map)) /* .rodata: the instance's own netns slot */
			continue;
		first = bpf_object__find_map_by_name(skel->obj, bpf_map__name(map));
		assert_non_null(first);
		assert_int_equal(bpf_map__reuse_fd(map, bpf_map__fd(first)), 0);
	}
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

/*
 * Shaping (tc programs only): departure times in skb->tstamp, netem bands in skb->priority.
 * test_run hands back both in ctx_out. Its skb carries no timestamp type, which the egress hook
 * reads as a departure time like fq does, so a test that sets tstamp far ahead of now knows the
 * base of the departure exactly and sees each delay sample itself: departure - tstamp.
 */

#define MS_NS 1000000ULL
#define SAMPLES 2000

/* What goes into the skb and comes back. */
struct skb_io {
	__u64 tstamp;	/* in and out */
	__u32 priority; /* in and out */
	__u32 wire_len; /* in; 0: the frame's length */
	int verdict;	/* out */
};

static void run_skb(struct bpf_program *prog, const struct pkt_spec *spec, struct skb_io *io)
{
	struct __sk_buff ctx_in = {.ifindex = LO_IFINDEX,
				   .tstamp = io->tstamp,
				   .priority = io->priority,
				   .wire_len = io->wire_len};
	struct __sk_buff ctx_out;
	struct test_frame frame;
	__u8 *buf = frame.data;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf, .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out));

	memset(&ctx_out, 0, sizeof(ctx_out));
	opts.data_size_in = (__u32)build_pkt(spec, buf, sizeof(frame.data));
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
	io->tstamp = ctx_out.tstamp;
	io->priority = ctx_out.priority;
	io->verdict = (int)opts.retval;
}

/* The departure an egress packet gets when its own departure time is base (> now). */
static __u64 departure_from(const struct pkt_spec *spec, __u64 base)
{
	struct skb_io io = {.tstamp = base};

	run_skb(TC_OUT, spec, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	return io.tstamp;
}

/* Forgets every flow's last departure. */
static void clear_flows(void)
{
	int fd = bpf_map__fd(skel->maps.flt_flows);
	struct flt_flow_key key;

	while (!bpf_map_get_next_key(fd, NULL, &key))
		assert_int_equal(bpf_map_delete_elem(fd, &key), 0);
}

/*
 * n delays of one flow: packet i leaves at base i * 1 s from a start 10 s ahead, so that no
 * delay below a second is held back by the previous packet of the flow; and the flow starts
 * afresh, not held back by an earlier sampling's departures 2000 s ahead.
 */
static void sample_delays(const struct pkt_spec *spec, __u64 *delays, size_t n)
{
	__u64 start = now_ns() + 10 * SEC_NS, base;
	size_t i;

	clear_flows();
	for (i = 0; i < n; i++) {
		base = start + i * SEC_NS;
		delays[i] = departure_from(spec, base) - base;
	}
}

static struct flt_rule delay_rule(__u64 delay_ns, __u64 jitter_ns, __u8 distribution)
{
	struct flt_rule r = rule_new(FLT_ACT_DELAY, FLT_DIR_BOTH, FLT_PROTO_ANY);

	r.delay_ns = delay_ns;
	r.jitter_ns = jitter_ns;
	r.distribution = distribution;
	return r;
}

static struct flt_rule rate_rule(__u64 bytes_per_sec)
{
	struct flt_rule r = rule_new(FLT_ACT_RATE, FLT_DIR_BOTH, FLT_PROTO_ANY);

	r.rate_bytes_per_sec = bytes_per_sec;
	return r;
}

static double mean_of(const __u64 *v, size_t n)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += (double)v[i];
	return sum / (double)n;
}

static double stddev_of(const __u64 *v, size_t n)
{
	double mean = mean_of(v, n), sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += ((double)v[i] - mean) * ((double)v[i] - mean);
	return sqrt(sum / (double)n);
}

static double lag1_autocorrelation(const __u64 *v, size_t n)
{
	double mean = mean_of(v, n), var = 0, cov = 0;
	size_t i;

	for (i = 0; i < n; i++)
		var += ((double)v[i] - mean) * ((double)v[i] - mean);
	for (i = 0; i + 1 < n; i++)
		cov += ((double)v[i] - mean) * ((double)v[i + 1] - mean);
	return cov / var;
}

/* Asserts |got - want| <= tolerance, printing the numbers when not. */
static void assert_near(double got, double want, double tolerance, const char *what)
{
	if (fabs(got - want) > tolerance)
		fail_msg("%s: got %.4g, want %.4g +- %.4g", what, got, want, tolerance);
}

/* iproute2's distribution table NAME into flt_dist[index]; false if iproute2 has none here. */
static bool load_dist(const char *name, __u32 index, struct flt_dist_table *table)
{
	static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu/tc", "/usr/lib/tc",
					   "/usr/lib64/tc"};
	char path[256], line[512], *p, *end;
	FILE *f = NULL;
	size_t i, n = 0;
	long v;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !f; i++) {
		snprintf(path, sizeof(path), "%s/%s.dist", dirs[i], name);
		f = fopen(path, "r");
	}
	if (!f)
		return false;
	memset(table, 0, sizeof(*table));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (p = line;; p = end) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			assert_true(n < FLT_DIST_TABLE_SIZE);
			table->values[n++] = (__s16)v;
		}
	}
	fclose(f);
	assert_int_equal(n, FLT_DIST_TABLE_SIZE);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.flt_dist), &index, table, 0),
			 0);
	return true;
}

/* netem's tabledist() for a table value t, in signed arithmetic as sch_netem.c has it. */
static __s64 netem_table_delay(__s64 mu, __s32 sigma, __s16 t)
{
	__s64 x = (__s64)(sigma % FLT_DIST_SCALE) * t;

	x += x >= 0 ? FLT_DIST_SCALE / 2 : -(FLT_DIST_SCALE / 2);
	return x / FLT_DIST_SCALE + (__s64)(sigma / FLT_DIST_SCALE) * t + mu;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Draws SAMPLES delays from the table and checks each is one the table gives by netem's formula
 * (clamped at 0), and that their mean and standard deviation are the table's own.
 */
static void check_table_delays(const struct flt_dist_table *table, __u8 distribution, __u64 mu,
			       __u64 sigma)
{
	__u64 *delays = calloc(SAMPLES, sizeof(*delays));
	__u64 *possible = calloc(FLT_DIST_TABLE_SIZE, sizeof(*possible));
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	double want_mean, want_sd;
	__s64 d;
	size_t i;

	assert_non_null(delays);
	assert_non_null(possible);
	for (i = 0; i < FLT_DIST_TABLE_SIZE; i++) {
		d = netem_table_delay((__s64)mu, (__s32)sigma, table->values[i]);
		possible[i] = d < 0 ? 0 : (__u64)d;
	}
	want_mean = mean_of(possible, FLT_DIST_TABLE_SIZE);
	want_sd = stddev_of(possible, FLT_DIST_TABLE_SIZE);
	qsort(possible, FLT_DIST_TABLE_SIZE, sizeof(*possible), cmp_u64);

	set_rule(0, delay_rule(mu, sigma, distribution));
	sample_delays(&p, delays, SAMPLES);
	for (i = 0; i < SAMPLES; i++) {
		if (!bsearch(&delays[i], possible, FLT_DIST_TABLE_SIZE, sizeof(*possible), cmp_u64))
			fail_msg("delay %llu ns is none of the table's",
				 (unsigned long long)delays[i]);
	}
	/* 6 standard errors of the mean; the deviation within 15% */
	assert_near(mean_of(delays, SAMPLES), want_mean, 6 * want_sd / sqrt(SAMPLES), "mean");
	assert_near(stddev_of(delays, SAMPLES), want_sd, 0.15 * want_sd, "standard deviation");
	free(delays);
	free(possible);
}

static void test_constant_delay_stamps_now_plus_delay_on_egress(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	struct skb_io io = {0};
	__u64 before, after;

	(void)state;
	set_rule(0, delay_rule(100 * MS_NS, 0, FLT_DIST_UNIFORM));
	before = now_ns();
	run_skb(TC_OUT, &p, &io);
	after = now_ns();
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_in_range(io.tstamp, before + 100 * MS_NS, after + 100 * MS_NS);
	assert_int_equal(io.priority, 0);

	/* a departure the stack set in the past is now */
	io = (struct skb_io){.tstamp = before - SEC_NS};
	before = now_ns();
	run_skb(TC_OUT, &p, &io);
	after = now_ns();
	assert_in_range(io.tstamp, before + 100 * MS_NS, after + 100 * MS_NS);
}

static void test_delay_adds_to_a_departure_the_stack_set_ahead(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	__u64 paced = now_ns() + SEC_NS; /* as TCP's pacing stamps it */

	(void)state;
	set_rule(0, delay_rule(100 * MS_NS, 0, FLT_DIST_UNIFORM));
	assert_int_equal(departure_from(&p, paced), paced + 100 * MS_NS);
}

static void test_uniform_jitter_spreads_evenly_around_the_delay(void **state)
{
	const __u64 mu = 100 * MS_NS, sigma = 10 * MS_NS;
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	__u64 *delays = calloc(SAMPLES, sizeof(*delays));
	double want_sd = (double)sigma / sqrt(3);
	size_t i;

	(void)state;
	assert_non_null(delays);
	set_rule(0, delay_rule(mu, sigma, FLT_DIST_UNIFORM));
	sample_delays(&p, delays, SAMPLES);
	for (i = 0; i < SAMPLES; i++)
		assert_in_range(delays[i], mu - sigma, mu + sigma - 1);
	assert_near(mean_of(delays, SAMPLES), (double)mu, 6 * want_sd / sqrt(SAMPLES), "mean");
	assert_near(stddev_of(delays, SAMPLES), want_sd, 0.05 * want_sd, "standard deviation");
	/* uncorrelated: the lag-1 autocorrelation's standard error is 1 / sqrt(2000) = 0.022 */
	assert_near(lag1_autocorrelation(delays, SAMPLES), 0, 0.15, "autocorrelation");
	free(delays);
}

static void test_normal_jitter_draws_the_normal_table_with_netem_rounding(void **state)
{
	struct flt_dist_table table;

	(void)state;
	if (!load_dist("normal", FLT_DIST_NORMAL, &table))
		skip();
	/* 10.000123 ms: sigma % 8192 is not 0, so netem's rounding of the remainder shows */
	check_table_delays(&table, FLT_DIST_NORMAL, 100 * MS_NS, 10 * MS_NS + 123);
}

static void test_normal_jitter_mean_and_deviation_match_the_request(void **state)
{
	const __u64 mu = 100 * MS_NS, sigma = 10 * MS_NS;
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	__u64 *delays = calloc(SAMPLES, sizeof(*delays));
	struct flt_dist_table table;

	(void)state;
	assert_non_null(delays);
	if (!load_dist("normal", FLT_DIST_NORMAL, &table)) {
		free(delays);
		skip();
	}
	set_rule(0, delay_rule(mu, sigma, FLT_DIST_NORMAL));
	sample_delays(&p, delays, SAMPLES);
	/* within 5% and 15% of what the plan asked */
	assert_near(mean_of(delays, SAMPLES), (double)mu, 0.05 * (double)mu, "mean");
	assert_near(stddev_of(delays, SAMPLES), (double)sigma, 0.15 * (double)sigma,
		    "standard deviation");
	free(delays);
}

static void test_pareto_jitters_draw_their_tables(void **state)
{
	struct flt_dist_table table;

	(void)state;
	if (!load_dist("pareto", FLT_DIST_PARETO, &table))
		skip();
	check_table_delays(&table, FLT_DIST_PARETO, 50 * MS_NS, 20 * MS_NS);
	assert_true(load_dist("paretonormal", FLT_DIST_PARETONORMAL, &table));
	check_table_delays(&table, FLT_DIST_PARETONORMAL, 50 * MS_NS, 20 * MS_NS);
}

static void test_jitter_below_zero_leaves_at_the_base(void **state)
{
	const __u64 mu = 2 * MS_NS, sigma = 10 * MS_NS;
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	__u64 *delays = calloc(SAMPLES, sizeof(*delays));
	size_t i, at_base = 0;

	(void)state;
	assert_non_null(delays);
	/* uniform over [-8 ms, 12 ms): 40% of the draws are below zero */
	set_rule(0, delay_rule(mu, sigma, FLT_DIST_UNIFORM));
	sample_delays(&p, delays, SAMPLES);
	for (i = 0; i < SAMPLES; i++) {
		assert_true(delays[i] < mu + sigma); /* a negative one would wrap around */
		at_base += delays[i] == 0;
	}
	/* binomial: mean 800, standard deviation 22 */
	assert_in_range(at_base, 650, 950);
	free(delays);
}

static cpu_set_t saved_cpus;

/* Per-CPU random state: every run of the test on one CPU. */
static int pin_to_this_cpu(void **state)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	assert_true(cpu >= 0);
	assert_int_equal(sched_getaffinity(0, sizeof(saved_cpus), &saved_cpus), 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	return reset_maps(state);
}

static int unpin(void **state)
{
	(void)state;
	return sched_setaffinity(0, sizeof(saved_cpus), &saved_cpus) ? -1 : 0;
}

static void test_correlation_makes_successive_delays_alike(void **state)
{
	const __u64 mu = 100 * MS_NS, sigma = 10 * MS_NS;
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	__u64 *delays = calloc(SAMPLES, sizeof(*delays));
	struct flt_rule r = delay_rule(mu, sigma, FLT_DIST_UNIFORM);
	double uncorrelated, correlated;
	size_t i;

	(void)state;
	assert_non_null(delays);
	set_rule(0, r);
	sample_delays(&p, delays, SAMPLES);
	uncorrelated = lag1_autocorrelation(delays, SAMPLES);

	r.delay_correlation = (__u32)(0.75 * 4294967296.0); /* 75% */
	set_rule(0, r);
	sample_delays(&p, delays, SAMPLES);
	correlated = lag1_autocorrelation(delays, SAMPLES);
	/* netem's recurrence is an AR(1) with coefficient 0.75 */
	assert_near(uncorrelated, 0, 0.15, "autocorrelation without correlation");
	assert_near(correlated, 0.75, 0.15, "autocorrelation at 75%");
	for (i = 0; i < SAMPLES; i++)
		assert_in_range(delays[i], mu - sigma, mu + sigma - 1);
	free(delays);
}

static void test_rate_spaces_departures_by_transmission_time(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	const __u64 rate = 1000000, tx_ns = frame_len(&p) * SEC_NS / rate;
	__u64 base = now_ns() + 10 * SEC_NS, k;
	struct skb_io io;

	(void)state;
	set_rule(0, rate_rule(rate));
	for (k = 0; k < 5; k++)
		assert_int_equal(departure_from(&p, base), base + k * tx_ns);

	/* a GSO packet takes its wire length, every segment's headers included */
	io = (struct skb_io){.tstamp = base, .wire_len = 3000};
	run_skb(TC_OUT, &p, &io);
	assert_int_equal(io.tstamp, base + 5 * tx_ns);
	assert_int_equal(departure_from(&p, base), base + 5 * tx_ns + 3000 * SEC_NS / rate);
}

static void test_rate_is_shared_by_flows_and_kept_per_direction(void **state)
{
	struct pkt_spec out = out4(IPPROTO_TCP, 40000, 5432), in = in4(IPPROTO_TCP, 5432, 40000);
	const __u64 rate = 1000, tx_ns = frame_len(&out) * SEC_NS / rate; /* 86 ms */
	__u64 base = now_ns() + 10 * SEC_NS, before, after, first_in;
	struct flt_rate_state st;
	struct skb_io io = {0};
	__u32 key;

	(void)state;
	set_iface_ifb(LO_IFINDEX, 0, 0, 0, LO_IFINDEX);
	set_rule(0, rate_rule(rate));
	assert_int_equal(departure_from(&out, base), base);
	out.sport = 40001; /* another flow of the same rule waits its turn */
	assert_int_equal(departure_from(&out, base), base + tx_ns);

	/* what enters the target has its own pace */
	before = now_ns();
	run_skb(TC_IN, &in, &io);
	after = now_ns();
	assert_int_equal(io.verdict, TC_ACT_REDIRECT);
	assert_in_range(io.tstamp, before, after);
	first_in = io.tstamp;
	io = (struct skb_io){0};
	run_skb(TC_IN, &in, &io);
	assert_int_equal(io.tstamp, first_in + tx_ns);
	assert_int_equal(departure_from(&out, base), base + 2 * tx_ns);

	/* the map contract: (slot * FLT_MAX_RULES + rule) * 2 + (direction == ingress) */
	key = 0;
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flt_rate), &key, &st), 0);
	assert_int_equal(st.next_ns, base + 3 * tx_ns);
	key = 1;
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.flt_rate), &key, &st), 0);
	assert_int_equal(st.next_ns, first_in + 2 * tx_ns);
}

static void test_jitter_never_reorders_a_flow(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	int flows_fd = bpf_map__fd(skel->maps.flt_flows);
	__u64 base = now_ns() + 10 * SEC_NS, prev = 0, departure, last;
	struct flt_flow_key key, next;
	int held = 0, earlier = 0, k, entries = 0;
	struct flt_rule rules[2];

	(void)state;
	/* slot 2: the target names its flows, whichever rule delays them */
	rules[0] = rule_new(FLT_ACT_LOSS, FLT_DIR_BOTH, FLT_PROTO_ANY); /* never drops */
	rules[1] = delay_rule(100 * MS_NS, 50 * MS_NS, FLT_DIST_UNIFORM);
	set_rules(2, rules, 2);
	set_iface(LO_IFINDEX, 0, 2, 0);
	/* every packet of one flow, the same base: each leaves no earlier than the one before */
	for (k = 0; k < 200; k++) {
		departure = departure_from(&p, base);
		assert_true(departure >= prev);
		held += departure == prev;
		prev = departure;
	}
	assert_true(held > 0);
	while (!bpf_map_get_next_key(flows_fd, entries ? &key : NULL, &next)) {
		key = next;
		entries++;
	}
	assert_int_equal(entries, 1);
	assert_int_equal(key.target_slot, 2);
	assert_int_equal(key.flow_hash & 1, 0); /* leaving the target */
	assert_int_equal(bpf_map_lookup_elem(flows_fd, &key, &last), 0);
	assert_int_equal(last, prev);

	/* distinct flows are not held back by each other */
	prev = 0;
	for (k = 0; k < 200; k++) {
		p.sport = (__u16)(20000 + k);
		departure = departure_from(&p, base);
		earlier += departure < prev;
		prev = departure;
	}
	assert_true(earlier > 0);
}

static void test_rate_and_delays_compose_in_rule_order(void **state)
{
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 5432);
	const __u64 rate = 1000000, tx_ns = frame_len(&p) * SEC_NS / rate;
	__u64 base = now_ns() + 10 * SEC_NS, k;
	struct flt_rule rules[3];

	(void)state;
	/* one fault with a rate and a delay, a second with a delay, a third for other traffic */
	rules[0] = rate_rule(rate);
	rules[0].actions |= FLT_ACT_DELAY;
	rules[0].delay_ns = 5 * MS_NS;
	rules[1] = delay_rule(7 * MS_NS, 0, FLT_DIST_UNIFORM);
	rules[2] = delay_rule(1000 * MS_NS, 0, FLT_DIST_UNIFORM);
	rules[2].protocol = FLT_PROTO_UDP;
	set_rules(0, rules, 3);
	for (k = 0; k < 4; k++)
		assert_int_equal(departure_from(&p, base), base + k * tx_ns + 12 * MS_NS);
}

static void test_dropped_packets_spend_no_rate(void **state)
{
	struct pkt_spec tcp = out4(IPPROTO_TCP, 40000, 5432), udp = out4(IPPROTO_UDP, 40000, 53);
	const __u64 rate = 1000, tx_ns = frame_len(&tcp) * SEC_NS / rate;
	__u64 base = now_ns() + 10 * SEC_NS;
	struct flt_rule rules[2];
	struct skb_io io;

	(void)state;
	rules[0] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_UDP);
	rules[1] = rate_rule(rate);
	set_rules(0, rules, 2);
	io = (struct skb_io){.tstamp = base};
	run_skb(TC_OUT, &udp, &io);
	assert_int_equal(io.verdict, TC_ACT_SHOT);
	assert_int_equal(departure_from(&tcp, base), base);
	assert_int_equal(departure_from(&tcp, base), base + tx_ns);
}

static void test_ingress_stamps_a_delivery_time_and_redirects_to_the_ifb(void **state)
{
	struct flt_rule r = delay_rule(100 * MS_NS, 0, FLT_DIST_UNIFORM);
	struct pkt_spec in = in4(IPPROTO_TCP, 5432, 40000);
	struct timespec realtime;
	struct skb_io io;
	__u64 before, after;

	(void)state;
	/*
	 * test_run does not carry out the redirect (the helper only records its target), so
	 * any ifindex works: the loopback's.
	 */
	set_iface_ifb(LO_IFINDEX, 0, 0, 0, LO_IFINDEX);
	set_rule(0, r);
	/* a receive timestamp (CLOCK_REALTIME) is no departure time: the base is now */
	clock_gettime(CLOCK_REALTIME, &realtime);
	io = (struct skb_io){.tstamp = (__u64)realtime.tv_sec * SEC_NS + (__u64)realtime.tv_nsec};
	before = now_ns();
	run_skb(TC_IN, &in, &io);
	after = now_ns();
	assert_int_equal(io.verdict, TC_ACT_REDIRECT);
	assert_in_range(io.tstamp, before + 100 * MS_NS, after + 100 * MS_NS);

	/* the host end of a veth: its ingress is the target's egress, still redirected */
	set_iface_ifb(LO_IFINDEX, 0, 0, FLT_IFACE_SWAP, LO_IFINDEX);
	r.delay_ns = 30 * MS_NS;
	r.direction = FLT_DIR_EGRESS;
	set_rule(0, r);
	io = (struct skb_io){0};
	before = now_ns();
	run_skb(TC_IN, &in, &io);
	after = now_ns();
	assert_int_equal(io.verdict, TC_ACT_REDIRECT);
	assert_in_range(io.tstamp, before + 30 * MS_NS, after + 30 * MS_NS);
	/* and its egress, the target's ingress, matches no egress rule */
	io = (struct skb_io){0};
	run_skb(TC_OUT, &in, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_int_equal(io.tstamp, 0);
}

/*
 * FLT_IFACE_MIRRED (kernels whose IFB drops bpf_redirect()ed packets): the shaped packet is
 * stamped as on the redirect path but passed on (TC_ACT_UNSPEC) to flt_tc_mirred, the next
 * filter, which matches it (-1: its mirred action takes it to the IFB) once, and no other
 * packet. The word between the two is per CPU, as tc runs a packet's filters on one CPU: the
 * test stays on one.
 */
static void test_mirred_flag_hands_the_shaped_packet_to_the_mirred_filter(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_DELAY, FLT_DIR_INGRESS, FLT_PROTO_TCP);
	struct pkt_spec in = in4(IPPROTO_TCP, 5432, 40000);
	struct pkt_spec other = in4(IPPROTO_UDP, 5432, 40000);
	struct skb_io io = {0};
	cpu_set_t one, all;
	__u64 before, after;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	r.delay_ns = 100 * MS_NS;
	set_iface_ifb(LO_IFINDEX, 0, 0, FLT_IFACE_MIRRED, LO_IFINDEX);
	set_rule(0, r);
	before = now_ns();
	run_skb(TC_IN, &in, &io);
	after = now_ns();
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_in_range(io.tstamp, before + 100 * MS_NS, after + 100 * MS_NS);
	assert_int_equal(run_prog(skel->progs.flt_tc_mirred, &in), -1);
	/* once: a second look (another packet) finds nothing left for it */
	assert_int_equal(run_prog(skel->progs.flt_tc_mirred, &in), 0);
	/* a packet no rule shapes is not handed over, nor one the tc program never saw */
	io = (struct skb_io){0};
	run_skb(TC_IN, &other, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_int_equal(run_prog(skel->progs.flt_tc_mirred, &other), 0);
	/* nor a shaped one that the tc program ran on after: it clears the word for every packet */
	io = (struct skb_io){0};
	run_skb(TC_IN, &in, &io);
	run_skb(TC_IN, &other, &io);
	assert_int_equal(run_prog(skel->progs.flt_tc_mirred, &in), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
}

static void test_ingress_without_ifb_is_left_alone(void **state)
{
	struct pkt_spec in = in4(IPPROTO_TCP, 5432, 40000);
	struct flt_rule r = delay_rule(100 * MS_NS, 0, FLT_DIST_UNIFORM);
	struct skb_io io = {.tstamp = 12345, .priority = 6};

	(void)state;
	r.actions |= FLT_ACT_NETEM;
	r.netem_classid = (FLT_PRIO_HANDLE << 16) | FLT_PRIO_FIRST_NETEM_BAND;
	set_rule(0, r);
	run_skb(TC_IN, &in, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_int_equal(io.tstamp, 12345);
	assert_int_equal(io.priority, 6);
	assert_int_equal(counters_of(0, 0).matched_packets, 1);
}

static void test_netem_rule_steers_to_its_band_first_match_wins(void **state)
{
	const __u32 band4 = (FLT_PRIO_HANDLE << 16) | FLT_PRIO_FIRST_NETEM_BAND;
	const __u32 band5 = band4 + 1;
	struct pkt_spec tcp = out4(IPPROTO_TCP, 40000, 5432), udp = out4(IPPROTO_UDP, 40000, 53);
	struct pkt_spec in = in4(IPPROTO_TCP, 5432, 40000);
	struct flt_rule rules[2];
	struct skb_io io;

	(void)state;
	rules[0] = rule_new(FLT_ACT_NETEM, FLT_DIR_BOTH, FLT_PROTO_TCP);
	rules[0].netem_classid = band4;
	rules[1] = rule_new(FLT_ACT_NETEM, FLT_DIR_BOTH, FLT_PROTO_ANY);
	rules[1].netem_classid = band5;
	set_rules(0, rules, 2);
	io = (struct skb_io){.priority = 3};
	run_skb(TC_OUT, &tcp, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_int_equal(io.priority, band4);
	assert_int_equal(io.tstamp, 0); /* netem delays, not fq */
	io = (struct skb_io){.priority = 3};
	run_skb(TC_OUT, &udp, &io);
	assert_int_equal(io.priority, band5);

	/* on ingress the IFB's prio does the steering */
	set_iface_ifb(LO_IFINDEX, 0, 0, 0, LO_IFINDEX);
	io = (struct skb_io){0};
	run_skb(TC_IN, &in, &io);
	assert_int_equal(io.verdict, TC_ACT_REDIRECT);
	assert_int_equal(io.priority, band4);
	assert_int_equal(io.tstamp, 0);
}

static void test_expired_shaping_rule_stamps_nothing(void **state)
{
	struct pkt_spec out = out4(IPPROTO_TCP, 40000, 5432), in = in4(IPPROTO_TCP, 5432, 40000);
	struct flt_rule r = delay_rule(100 * MS_NS, 0, FLT_DIST_UNIFORM);
	struct skb_io io = {.tstamp = 777, .priority = 5};

	(void)state;
	r.actions |= FLT_ACT_RATE | FLT_ACT_NETEM;
	r.rate_bytes_per_sec = 1000;
	r.netem_classid = (FLT_PRIO_HANDLE << 16) | FLT_PRIO_FIRST_NETEM_BAND;
	r.deadline_ns = now_ns() - 1;
	set_iface_ifb(LO_IFINDEX, 0, 0, 0, LO_IFINDEX);
	set_rule(0, r);
	run_skb(TC_OUT, &out, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_int_equal(io.tstamp, 777);
	assert_int_equal(io.priority, 5);
	run_skb(TC_IN, &in, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_int_equal(io.tstamp, 777);
	assert_int_equal(io.priority, 5);
}

static void test_unmatched_traffic_is_not_shaped(void **state)
{
	struct pkt_spec other = out4(IPPROTO_TCP, 40000, 80), in = in4(IPPROTO_TCP, 80, 40000);
	struct flt_rule r = delay_rule(100 * MS_NS, 10 * MS_NS, FLT_DIST_UNIFORM);
	struct flt_flow_key key;
	struct skb_io io = {.tstamp = 777, .priority = 5};

	(void)state;
	r.actions |= FLT_ACT_RATE | FLT_ACT_NETEM;
	r.rate_bytes_per_sec = 1000;
	r.netem_classid = (FLT_PRIO_HANDLE << 16) | FLT_PRIO_FIRST_NETEM_BAND;
	rule_add_ports(&r, 5432, 5432);
	set_iface_ifb(LO_IFINDEX, 0, 0, 0, LO_IFINDEX);
	set_rule(0, r);
	run_skb(TC_OUT, &other, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_int_equal(io.tstamp, 777);
	assert_int_equal(io.priority, 5);
	run_skb(TC_IN, &in, &io);
	assert_int_equal(io.verdict, TC_ACT_UNSPEC);
	assert_int_equal(io.tstamp, 777);
	assert_int_equal(io.priority, 5);
	assert_int_not_equal(bpf_map_get_next_key(bpf_map__fd(skel->maps.flt_flows), NULL, &key),
			     0);
}

/*
 * The rule summary (fault.h, struct flt_rule_summary), which lets a packet skip the scan: it
 * must never skip a packet some rule matches.
 */

/* Sum of matched_packets over the 16 rules of slot 0. */
static __u64 matched_in_slot0(void)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < FLT_MAX_RULES; i++)
		sum += counters_of(0, i).matched_packets;
	return sum;
}

/* A rule for each kind of condition, blackholes all; a packet for each that only it matches. */
static void test_summary_lets_through_what_any_one_of_16_rules_matches(void **state)
{
	struct flt_rule rules[FLT_MAX_RULES];
	struct pkt_spec p[9], miss[7];
	char addr[32];
	__u64 before;
	int i;

	(void)state;
	rules[0] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_EGRESS, FLT_PROTO_TCP);
	rule_add_ports(&rules[0], 80, 80);
	rule_add_cidr(&rules[0], "198.51.100.0", 24);
	p[0] = out4(IPPROTO_TCP, 40000, 80);
	rules[1] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_INGRESS, FLT_PROTO_UDP);
	rule_add_ports(&rules[1], 5000, 5010);
	p[1] = in4(IPPROTO_UDP, 5005, 40000);
	rules[2] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
	rule_add_local_ports(&rules[2], 8080, 8080);
	p[2] = in4(IPPROTO_TCP, 50000, 8080);
	rules[3] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	rule_add_ports(&rules[3], 53, 53);
	rule_add_cidr(&rules[3], "203.0.113.53", 32);
	p[3] = out4(IPPROTO_UDP, 40000, 53);
	p[3].daddr = "203.0.113.53";
	rules[4] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ICMP);
	rule_add_cidr(&rules[4], "203.0.113.0", 24);
	p[4] = out4(IPPROTO_ICMP, 7, 0);
	p[4].daddr = "203.0.113.1";
	rules[5] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_EGRESS, FLT_PROTO_TCP);
	rule_add_ports(&rules[5], 443, 443);
	rule_add_cidr(&rules[5], "2001:db8:cccc::", 48);
	p[5] = out6(IPPROTO_TCP, 40000, 443);
	p[5].daddr = "2001:db8:cccc::1";
	/* 5000 ports: more than the bitmap's 4096 bits, so all of them */
	rules[6] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_UDP);
	rule_add_ports(&rules[6], 10000, 14999);
	rule_add_cidr(&rules[6], "192.0.2.200", 32);
	p[6] = out4(IPPROTO_UDP, 40000, 14999);
	p[6].daddr = "192.0.2.200";
	rules[7] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_INGRESS, FLT_PROTO_ANY);
	rule_add_cidr(&rules[7], "2001:db8:dddd::", 64);
	p[7] = (struct pkt_spec){.family = AF_INET6,
				 .protocol = IPPROTO_ICMPV6,
				 .saddr = "2001:db8:dddd::1",
				 .daddr = TARGET6,
				 .sport = 7};
	/* no ports: the only kind of rule a non-first fragment can match */
	rules[8] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_UDP);
	rule_add_cidr(&rules[8], "192.0.2.77", 32);
	p[8] = out4(IPPROTO_UDP, 40000, 9);
	p[8].daddr = "192.0.2.77";
	p[8].frag_offset = 185;
	for (i = 9; i < FLT_MAX_RULES; i++) {
		rules[i] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
		rule_add_ports(&rules[i], (__u16)(1000 + i), (__u16)(1000 + i));
		snprintf(addr, sizeof(addr), "192.0.2.%d", i);
		rule_add_cidr(&rules[i], addr, 32);
	}
	set_rules(0, rules, FLT_MAX_RULES);

	for (i = 0; i < 9; i++) {
		before = counters_of(0, (__u32)i).matched_packets;
		assert_int_equal(run_prog(i == 1 || i == 2 || i == 7 ? TC_IN : TC_OUT, &p[i]),
				 TC_ACT_SHOT);
		assert_int_equal(counters_of(0, (__u32)i).matched_packets, before + 1);
	}
	assert_int_equal(matched_in_slot0(), 9);

	/* near misses of each: passed and counted nowhere */
	miss[0] = p[0];
	miss[0].dport = 81;
	miss[1] = p[1];
	miss[1].sport = 5011;
	miss[2] = out4(IPPROTO_ICMP, 7, 0); /* to 198.51.100.7 */
	miss[3] = p[5];
	miss[3].daddr = "2001:db8:ccce::1";
	miss[4] = p[8];
	miss[4].daddr = "192.0.2.78";
	miss[5] = p[0]; /* a fragment never has the ports rule 0 needs */
	miss[5].frag_offset = 185;
	miss[6] = p[7]; /* rule 7 is ingress only */
	miss[6].saddr = TARGET6;
	miss[6].daddr = "2001:db8:dddd::1";
	for (i = 0; i < 7; i++)
		assert_int_equal(run_prog(i == 1 ? TC_IN : TC_OUT, &miss[i]), TC_ACT_UNSPEC);
	assert_int_equal(matched_in_slot0(), 9);
}

/* Ports taken modulo the bitmap's size and a shorter prefix beside a /32 share bits: the scan decides. */
static void test_summary_collisions_are_decided_by_the_scan(void **state)
{
	struct flt_rule rules[2];
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);

	(void)state;
	rules[0] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
	rule_add_ports(&rules[0], 80 + FLT_SUMMARY_BITS, 80 + FLT_SUMMARY_BITS);
	rule_add_cidr(&rules[0], "10.0.0.0", 8);
	rules[1] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
	rule_add_ports(&rules[1], 80, 80);
	rule_add_cidr(&rules[1], "198.51.100.8", 32);
	set_rules(0, rules, 2);
	/* port 80's bit is set by both; the summary's prefix is /8 */
	p.dport = 80 + FLT_SUMMARY_BITS;
	p.daddr = "10.200.1.1";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.dport = 80;
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	p.daddr = "198.51.100.8";
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
	p.daddr = "198.51.100.9"; /* 198.51.100.9 & /8 is 198.51.100.8 & /8 */
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	assert_int_equal(counters_of(0, 0).matched_packets, 1);
	assert_int_equal(counters_of(0, 1).matched_packets, 1);
}

/* Each write of the rules brings its own summary: a second plan's rules, then none (revert). */
static void test_summary_follows_the_rules_it_is_written_with(void **state)
{
	struct flt_rule r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_TCP);
	struct pkt_spec p80 = out4(IPPROTO_TCP, 40000, 80), p81 = out4(IPPROTO_TCP, 40000, 81);
	struct pkt_spec icmp = out4(IPPROTO_ICMP, 7, 0);

	(void)state;
	rule_add_ports(&r, 80, 80);
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &p80), TC_ACT_SHOT);
	assert_int_equal(run_prog(TC_OUT, &p81), TC_ACT_UNSPEC);
	r.ports[0] = (struct flt_port_range){.first = 81, .last = 81};
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &p80), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_OUT, &p81), TC_ACT_SHOT);
	r = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ICMP);
	set_rule(0, r);
	assert_int_equal(run_prog(TC_OUT, &p81), TC_ACT_UNSPEC);
	assert_int_equal(run_prog(TC_OUT, &icmp), TC_ACT_SHOT);
	set_rules(0, &r, 0); /* none: what a revert leaves */
	assert_int_equal(run_prog(TC_OUT, &icmp), TC_ACT_UNSPEC);
	assert_int_equal(counters_of(0, 0).matched_packets, 3);
}

/* Writes target slot 0's rules and summary as they are. */
static void put_target0(const struct flt_target_rules *tr)
{
	__u32 slot = 0;

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.flt_rules), &slot, tr, 0), 0);
}

/* The programs consult the summary: with none built, matching rules are skipped. */
static void test_summary_is_what_lets_packets_skip_the_scan(void **state)
{
	static struct flt_target_rules tr;
	struct pkt_spec p = out4(IPPROTO_TCP, 40000, 80);

	(void)state;
	tr.nrules = 1;
	tr.rules[0] = rule_new(FLT_ACT_BLACKHOLE, FLT_DIR_BOTH, FLT_PROTO_ANY);
	put_target0(&tr);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_UNSPEC);
	assert_int_equal(counters_of(0, 0).matched_packets, 0);
	rule_summarize(&tr);
	put_target0(&tr);
	assert_int_equal(run_prog(TC_OUT, &p), TC_ACT_SHOT);
}

/* xorshift32: a fixed sequence, so that a failure repeats. */
static __u32 rnd_next(__u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define RND_PICK(s, array) ((array)[rnd_next(s) % (sizeof(array) / sizeof((array)[0]))])

static void random_rule(__u32 *s, struct flt_rule *r)
{
	static const __u8 protocols[] = {FLT_PROTO_ANY, FLT_PROTO_TCP, FLT_PROTO_UDP,
					 FLT_PROTO_ICMP};
	static const __u16 ports[][2] = {{53, 53},	{80, 80},     {443, 443},
					 {1000, 1010},	{4176, 4176}, {2000, 9000}};
	static const __u16 local_ports[][2] = {{8080, 8080}, {40000, 40010}, {50000, 50000}};
	static const struct {
		const char *addr;
		int prefix_len;
	} cidrs[] = {{"198.51.100.7", 32},  {"198.51.100.0", 24},	 {"10.0.0.0", 8},
		     {"203.0.113.0", 28},   {"2001:db8:bbbb::7", 128}, {"2001:db8:bbbb::", 48},
		     {"2001:db8::", 32},    {"0.0.0.0", 0}};
	int i, n;

	/* loss 0: every match counts, none drops, so the counters show which rules matched */
	*r = rule_new(FLT_ACT_LOSS, (__u8)(1 + rnd_next(s) % 3), RND_PICK(s, protocols));
	if (r->protocol != FLT_PROTO_ICMP && rnd_next(s) % 2) {
		n = 1 + (int)(rnd_next(s) % 2);
		for (i = 0; i < n; i++) {
			const __u16 *range = RND_PICK(s, ports);

			rule_add_ports(r, range[0], range[1]);
		}
	}
	if (r->protocol != FLT_PROTO_ICMP && rnd_next(s) % 3 == 0) {
		const __u16 *range = RND_PICK(s, local_ports);

		rule_add_local_ports(r, range[0], range[1]);
	}
	n = rnd_next(s) % 2 ? 0 : 1 + (int)(rnd_next(s) % 2);
	for (i = 0; i < n; i++) {
		int k = (int)(rnd_next(s) % (sizeof(cidrs) / sizeof(cidrs[0])));

		rule_add_cidr(r, cidrs[k].addr, cidrs[k].prefix_len);
	}
}

static struct pkt_spec random_packet(__u32 *s, bool egress)
{
	static const char *const peers4[] = {"198.51.100.7", "198.51.100.200", "10.1.2.3",
					     "203.0.113.5", "192.0.2.1"};
	static const char *const peers6[] = {"2001:db8:bbbb::7", "2001:db8:bbbb::8",
					     "2001:db8:bbbb:1::1", "2001:db8:cccc::1"};
	static const __u8 protocols[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};
	static const __u16 peer_ports[] = {53, 80, 443, 1005, 4176, 5201, 9999, 8080};
	static const __u16 local_ports[] = {8080, 40005, 50000, 33333};
	struct pkt_spec p = {.family = rnd_next(s) % 2 ? AF_INET : AF_INET6};
	const char *peer, *local;
	__u16 peer_port = RND_PICK(s, peer_ports), local_port = RND_PICK(s, local_ports);

	p.protocol = RND_PICK(s, protocols);
	if (p.family == AF_INET6 && p.protocol == IPPROTO_ICMP)
		p.protocol = IPPROTO_ICMPV6;
	peer = p.family == AF_INET ? RND_PICK(s, peers4) : RND_PICK(s, peers6);
	local = p.family == AF_INET ? TARGET4 : TARGET6;
	p.saddr = egress ? local : peer;
	p.daddr = egress ? peer : local;
	p.sport = egress ? local_port : peer_port;
	p.dport = egress ? peer_port : local_port;
	if (rnd_next(s) % 8 == 0) {
		p.frag_offset = 185; /* a non-first fragment: no ports */
		p.ip6_frag_hdr = p.family == AF_INET6;
	}
	return p;
}

/* How many packets each rule of slot 0 matched since *seen, which is brought up to date. */
static void matched_since(__u64 *seen, __u64 *delta)
{
	__u64 now;
	__u32 i;

	for (i = 0; i < FLT_MAX_RULES; i++) {
		now = counters_of(0, i).matched_packets;
		delta[i] = now - seen[i];
		seen[i] = now;
	}
}

/*
 * Random rule sets and packets from small pools, so that rules match often, each packet run with
 * the built summary and with one that rules out nothing (the scan alone, as before there was a
 * summary): the same rules must match it.
 */
static void test_summary_never_skips_a_packet_a_rule_matches(void **state)
{
	struct flt_target_rules tr, scan_only;
	__u64 seen[FLT_MAX_RULES] = {0}, with[FLT_MAX_RULES], without[FLT_MAX_RULES];
	__u32 seed = 0x5eed1234, set, k, i, matched = 0, unmatched = 0;
	struct pkt_spec p;
	bool egress, any;

	(void)state;
	for (set = 0; set < 150; set++) {
		memset(&tr, 0, sizeof(tr));
		tr.nrules = 1 + rnd_next(&seed) % FLT_MAX_RULES;
		for (i = 0; i < tr.nrules; i++)
			random_rule(&seed, &tr.rules[i]);
		rule_summarize(&tr);
		scan_only = tr;
		memset(&scan_only.summary, 0xff, sizeof(scan_only.summary));
		for (k = 0; k < 24; k++) {
			egress = rnd_next(&seed) % 2;
			p = random_packet(&seed, egress);
			put_target0(&tr);
			assert_int_equal(run_prog(egress ? TC_OUT : TC_IN, &p), TC_ACT_UNSPEC);
			matched_since(seen, with);
			put_target0(&scan_only);
			assert_int_equal(run_prog(egress ? TC_OUT : TC_IN, &p), TC_ACT_UNSPEC);
			matched_since(seen, without);
			if (memcmp(with, without, sizeof(with)))
				fail_msg("rule set %u, packet %u: the summary changed which rules "
					 "matched",
					 set, k);
			for (any = false, i = 0; i < FLT_MAX_RULES; i++)
				any = any || without[i];
			matched += any;
			unmatched += !any;
		}
	}
	/* both kinds are common, so the comparison proves something either way */
	assert_true(matched > 500);
	assert_true(unmatched > 500);
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
		cmocka_unit_test_setup_teardown(test_ipv4_rejects_count_connects_and_sends_apart,
						reset_maps, sock_cg_remove),
		cmocka_unit_test_setup_teardown(test_ipv6_rejects_count_connects_and_sends_apart,
						reset_maps, sock_cg_remove),
		cmocka_unit_test_setup_teardown(test_ipv4_mapped_peer_rejects_as_ipv4, reset_maps,
						sock_cg_remove),
		cmocka_unit_test_setup(test_non_first_fragment_does_not_match_port_rule,
				       reset_maps),
		cmocka_unit_test_setup(test_ipv6_extension_headers_are_skipped_to_the_ports,
				       reset_maps),
		cmocka_unit_test_setup(test_ipv4_options_are_skipped_to_the_ports, reset_maps),
		cmocka_unit_test_setup(test_truncated_or_non_ip_frames_pass_safely, reset_maps),
		cmocka_unit_test_setup(test_cgroup_skb_without_configured_target_passes,
				       reset_maps),
		cmocka_unit_test_setup(test_constant_delay_stamps_now_plus_delay_on_egress,
				       reset_maps),
		cmocka_unit_test_setup(test_delay_adds_to_a_departure_the_stack_set_ahead,
				       reset_maps),
		cmocka_unit_test_setup(test_uniform_jitter_spreads_evenly_around_the_delay,
				       reset_maps),
		cmocka_unit_test_setup(
			test_normal_jitter_draws_the_normal_table_with_netem_rounding, reset_maps),
		cmocka_unit_test_setup(test_normal_jitter_mean_and_deviation_match_the_request,
				       reset_maps),
		cmocka_unit_test_setup(test_pareto_jitters_draw_their_tables, reset_maps),
		cmocka_unit_test_setup(test_jitter_below_zero_leaves_at_the_base, reset_maps),
		cmocka_unit_test_setup_teardown(test_correlation_makes_successive_delays_alike,
						pin_to_this_cpu, unpin),
		cmocka_unit_test_setup(test_rate_spaces_departures_by_transmission_time,
				       reset_maps),
		cmocka_unit_test_setup(test_rate_is_shared_by_flows_and_kept_per_direction,
				       reset_maps),
		cmocka_unit_test_setup(test_jitter_never_reorders_a_flow, reset_maps),
		cmocka_unit_test_setup(test_rate_and_delays_compose_in_rule_order, reset_maps),
		cmocka_unit_test_setup(test_dropped_packets_spend_no_rate, reset_maps),
		cmocka_unit_test_setup(test_ingress_stamps_a_delivery_time_and_redirects_to_the_ifb,
				       reset_maps),
		cmocka_unit_test_setup(test_ingress_without_ifb_is_left_alone, reset_maps),
		cmocka_unit_test_setup(test_mirred_flag_hands_the_shaped_packet_to_the_mirred_filter,
				       reset_maps),
		cmocka_unit_test_setup(test_netem_rule_steers_to_its_band_first_match_wins,
				       reset_maps),
		cmocka_unit_test_setup(test_expired_shaping_rule_stamps_nothing, reset_maps),
		cmocka_unit_test_setup(test_unmatched_traffic_is_not_shaped, reset_maps),
		cmocka_unit_test_setup(test_summary_lets_through_what_any_one_of_16_rules_matches,
				       reset_maps),
		cmocka_unit_test_setup(test_summary_collisions_are_decided_by_the_scan, reset_maps),
		cmocka_unit_test_setup(test_summary_follows_the_rules_it_is_written_with,
				       reset_maps),
		cmocka_unit_test_setup(test_summary_is_what_lets_packets_skip_the_scan, reset_maps),
		cmocka_unit_test_setup(test_summary_never_skips_a_packet_a_rule_matches,
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
	bpf_map__set_max_entries(skel->maps.flt_rate, NSLOTS * FLT_MAX_RULES * 2);
	bpf_map__set_max_entries(skel->maps.flt_delay_rnd, NSLOTS * FLT_MAX_RULES);
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
