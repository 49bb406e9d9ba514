// SPDX-License-Identifier: GPL-2.0-only
/*
 * Micro-benchmark of flt_tc_egress with BPF_PROG_TEST_RUN: mean ns per packet while N other
 * targets (one interface and one rule each) fill flt_ifaces and flt_rules, to show that the
 * per-packet cost depends on the target's own rules only. Needs root; exits 77 without it.
 *
 * Usage: bench_tc [--rounds R] [--repeat REPEAT] [N...]
 *        (defaults: --rounds 5 --repeat 200000 1 1000 10000 100000)
 * Each case runs REPEAT packets per round and prints the median of R rounds' means.
 *
 * Per N it measures, on ifindex 1 (test_run's loopback), the cases:
 *   not-a-target     the interface is not in flt_ifaces (every other interface on the node)
 *   1-rule-miss      one rule with 8 CIDRs, none matching (as 16-rules-miss)
 *   16-rules-miss    16 rules whose ports and local ports match on the last range each and
 *                    whose 8 CIDRs all miss (IPv4 and IPv6): the rules' summary (their CIDRs)
 *                    rules the packet out before the scan
 *   16-rules-no-skip the same but the last rule's CIDR covers the peer and its port does not:
 *                    the summary cannot tell, the longest scan runs
 *   16-rules-match   16 matching loss rules that never drop: 16 counter updates
 *   blackhole        one matching blackhole rule: the packet is dropped
 *   delay            one matching delay rule (edt): a departure time and the flow's last one
 *   delay-jitter     the same with uniform jitter and 25% correlation: a random draw more
 *   rate+delay       one rule with a rate (a spin lock) and a normal-table delay
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "engine/rules.h"
#include "fault.h"
#include "fault.skel.h"

#define LO_IFINDEX 1
#define BENCH_SLOT 0 /* the measured target; the others use slots 1..N */
#define SEC_NS 1000000000ULL

struct bench_case {
	const char *name;
	int family;
	void (*fill)(struct flt_target_rules *tr, __u64 deadline_ns);
	int in_ifaces;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * SEC_NS + (__u64)ts.tv_nsec;
}

static void put_cidr(struct flt_cidr *c, int family, const char *addr, int prefix_len)
{
	int words = family == AF_INET ? 1 : 4, i, bits;

	memset(c, 0, sizeof(*c));
	inet_pton(family, addr, c->addr);
	c->family = family == AF_INET ? FLT_AF_INET : FLT_AF_INET6;
	for (i = 0; i < words; i++) {
		bits = prefix_len - 32 * i;
		bits = bits < 0 ? 0 : bits > 32 ? 32 : bits;
		c->mask[i] = bits ? htonl(~0U << (32 - bits)) : 0;
		c->addr[i] &= c->mask[i];
	}
}

/* A rule that reaches its CIDRs (ports match on the last range) and misses all 8 of them. */
static void put_scanning_rule(struct flt_rule *r, __u64 deadline_ns)
{
	char addr[64];
	int i;

	memset(r, 0, sizeof(*r));
	r->deadline_ns = deadline_ns;
	r->actions = FLT_ACT_BLACKHOLE;
	r->direction = FLT_DIR_BOTH;
	r->protocol = FLT_PROTO_TCP;
	r->ncidrs = FLT_MAX_CIDRS;
	r->nports = FLT_MAX_PORTS;
	r->nlocal_ports = FLT_MAX_PORTS;
	for (i = 0; i < FLT_MAX_CIDRS; i++) {
		/* alternate families so that IPv4 and IPv6 packets both compare 4 CIDRs fully */
		if (i % 2) {
			snprintf(addr, sizeof(addr), "2001:db8:ffff:%x::", i);
			put_cidr(&r->cidrs[i], AF_INET6, addr, 64);
		} else {
			snprintf(addr, sizeof(addr), "203.0.113.%d", i * 16);
			put_cidr(&r->cidrs[i], AF_INET, addr, 28);
		}
	}
	for (i = 0; i < FLT_MAX_PORTS; i++) {
		r->ports[i] = (struct flt_port_range){.first = (__u16)(1000 + i * 10),
						      .last = (__u16)(1000 + i * 10 + 5)};
		r->local_ports[i] = r->ports[i];
	}
	r->ports[FLT_MAX_PORTS - 1] = (struct flt_port_range){.first = 80, .last = 80};
	r->local_ports[FLT_MAX_PORTS - 1] = (struct flt_port_range){.first = 40000, .last = 40000};
}

static void fill_one_rule_miss(struct flt_target_rules *tr, __u64 deadline_ns)
{
	tr->nrules = 1;
	put_scanning_rule(&tr->rules[0], deadline_ns);
}

static void fill_16_rules_miss(struct flt_target_rules *tr, __u64 deadline_ns)
{
	int i;

	tr->nrules = FLT_MAX_RULES;
	for (i = 0; i < FLT_MAX_RULES; i++)
		put_scanning_rule(&tr->rules[i], deadline_ns);
}

/*
 * The summary's worst case: the last rule covers the packet's peer but not its port, so the
 * summary cannot rule the packet out and the scan runs through all 16 rules.
 */
static void fill_16_rules_no_skip(struct flt_target_rules *tr, __u64 deadline_ns)
{
	struct flt_rule *last = &tr->rules[FLT_MAX_RULES - 1];

	fill_16_rules_miss(tr, deadline_ns);
	put_cidr(&last->cidrs[0], AF_INET, "198.51.100.7", 32);
	last->ports[FLT_MAX_PORTS - 1] = (struct flt_port_range){.first = 81, .last = 81};
}

static void fill_16_rules_match(struct flt_target_rules *tr, __u64 deadline_ns)
{
	int i;

	tr->nrules = FLT_MAX_RULES;
	for (i = 0; i < FLT_MAX_RULES; i++) {
		memset(&tr->rules[i], 0, sizeof(tr->rules[i]));
		tr->rules[i].deadline_ns = deadline_ns;
		tr->rules[i].actions = FLT_ACT_LOSS;
		tr->rules[i].loss_threshold = 0;
		tr->rules[i].direction = FLT_DIR_BOTH;
	}
}

static void fill_blackhole(struct flt_target_rules *tr, __u64 deadline_ns)
{
	tr->nrules = 1;
	memset(&tr->rules[0], 0, sizeof(tr->rules[0]));
	tr->rules[0].deadline_ns = deadline_ns;
	tr->rules[0].actions = FLT_ACT_BLACKHOLE;
	tr->rules[0].direction = FLT_DIR_BOTH;
}

static void fill_delay_rule(struct flt_target_rules *tr, __u64 deadline_ns, __u8 actions)
{
	tr->nrules = 1;
	memset(&tr->rules[0], 0, sizeof(tr->rules[0]));
	tr->rules[0].deadline_ns = deadline_ns;
	tr->rules[0].actions = actions;
	tr->rules[0].direction = FLT_DIR_BOTH;
	tr->rules[0].delay_ns = 10 * 1000000ULL;
}

static void fill_delay(struct flt_target_rules *tr, __u64 deadline_ns)
{
	fill_delay_rule(tr, deadline_ns, FLT_ACT_DELAY);
}

static void fill_delay_jitter(struct flt_target_rules *tr, __u64 deadline_ns)
{
	fill_delay_rule(tr, deadline_ns, FLT_ACT_DELAY);
	tr->rules[0].jitter_ns = 1000000;
	tr->rules[0].distribution = FLT_DIST_UNIFORM;
	tr->rules[0].delay_correlation = 1U << 30; /* 25% */
}

/* The normal table is left zero: its cost is the lookup, whatever its values. */
static void fill_rate_delay(struct flt_target_rules *tr, __u64 deadline_ns)
{
	fill_delay_rule(tr, deadline_ns, FLT_ACT_DELAY | FLT_ACT_RATE);
	tr->rules[0].jitter_ns = 1000000;
	tr->rules[0].distribution = FLT_DIST_NORMAL;
	tr->rules[0].rate_bytes_per_sec = 1250000000; /* 10 Gbit/s */
}

static const struct bench_case cases[] = {
	{"not-a-target", AF_INET, fill_blackhole, 0},
	{"1-rule-miss", AF_INET, fill_one_rule_miss, 1},
	{"16-rules-miss", AF_INET, fill_16_rules_miss, 1},
	{"16-rules-miss-v6", AF_INET6, fill_16_rules_miss, 1},
	{"16-rules-no-skip", AF_INET, fill_16_rules_no_skip, 1},
	{"16-rules-match", AF_INET, fill_16_rules_match, 1},
	{"blackhole", AF_INET, fill_blackhole, 1},
	{"delay", AF_INET, fill_delay, 1},
	{"delay-jitter", AF_INET, fill_delay_jitter, 1},
	{"rate+delay", AF_INET, fill_rate_delay, 1},
};

/* An Ethernet + IP + TCP frame from port 40000 to port 80 of a peer no CIDR covers. */
static __u32 build_frame(int family, __u8 *buf, size_t size)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	struct tcphdr *tcp;
	__u32 len;

	memset(buf, 0, size);
	if (family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		inet_pton(AF_INET, "192.0.2.10", &ip->saddr);
		inet_pton(AF_INET, "198.51.100.7", &ip->daddr);
		tcp = (struct tcphdr *)(ip + 1);
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->hop_limit = 64;
		ip6->nexthdr = IPPROTO_TCP;
		inet_pton(AF_INET6, "2001:db8:aaaa::10", &ip6->saddr);
		inet_pton(AF_INET6, "2001:db8:bbbb::7", &ip6->daddr);
		tcp = (struct tcphdr *)(ip6 + 1);
	}
	tcp->source = htons(40000);
	tcp->dest = htons(80);
	tcp->doff = sizeof(*tcp) / 4;
	len = (__u32)((__u8 *)(tcp + 1) - buf) + 64;
	if (family == AF_INET)
		((struct iphdr *)(eth + 1))->tot_len = htons((__u16)(len - sizeof(*eth)));
	else
		((struct ipv6hdr *)(eth + 1))->payload_len =
			htons((__u16)(len - sizeof(*eth) - sizeof(struct ipv6hdr)));
	return len;
}

static int set_iface(int fd, __u32 ifindex, __u32 target_slot)
{
	struct flt_iface_key key = {.ifindex = ifindex, .netns_slot = 0};
	struct flt_iface val = {.target_slot = target_slot};

	return bpf_map_update_elem(fd, &key, &val, 0) ? -errno : 0;
}

/* Fills slots 1..n and interfaces 2..n+1 with other targets, one scanning rule each. */
static int fill_other_targets(struct fault_bpf *skel, __u32 n, __u64 deadline_ns)
{
	int rules_fd = bpf_map__fd(skel->maps.flt_rules);
	int ifaces_fd = bpf_map__fd(skel->maps.flt_ifaces);
	struct flt_target_rules *tr = calloc(1, sizeof(*tr));
	__u32 slot;
	int err = 0;

	if (!tr)
		return -ENOMEM;
	fill_one_rule_miss(tr, deadline_ns);
	rule_summarize(tr);
	for (slot = 1; slot <= n && !err; slot++) {
		if (bpf_map_update_elem(rules_fd, &slot, tr, 0))
			err = -errno;
		err = err ?: set_iface(ifaces_fd, LO_IFINDEX + slot, slot);
	}
	free(tr);
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int run_case(struct fault_bpf *skel, const struct bench_case *c, __u32 rounds, __u32 repeat,
		    __u64 deadline_ns, __u32 *ns_per_packet)
{
	struct flt_iface_key lo_key = {.ifindex = LO_IFINDEX, .netns_slot = 0};
	struct flt_target_rules *tr = calloc(1, sizeof(*tr));
	struct __sk_buff ctx = {.ifindex = LO_IFINDEX};
	int ifaces_fd = bpf_map__fd(skel->maps.flt_ifaces);
	__u32 slot = BENCH_SLOT;
	__u32 means_ns[rounds], round;
	__u8 frame[256];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);
	int err = 0;

	if (!tr)
		return -ENOMEM;
	c->fill(tr, deadline_ns);
	rule_summarize(tr);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.flt_rules), &slot, tr, 0))
		err = -errno;
	free(tr);
	if (!err && c->in_ifaces)
		err = set_iface(ifaces_fd, LO_IFINDEX, BENCH_SLOT);
	else if (!err && bpf_map_delete_elem(ifaces_fd, &lo_key) && errno != ENOENT)
		err = -errno;
	if (err)
		return err;
	opts.data_size_in = build_frame(c->family, frame, sizeof(frame));
	for (round = 0; round < rounds; round++) {
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.flt_tc_egress), &opts);
		if (err)
			return err;
		/* test_run reports the mean time of one run */
		means_ns[round] = opts.duration;
	}
	qsort(means_ns, rounds, sizeof(means_ns[0]), cmp_u32);
	*ns_per_packet = means_ns[rounds / 2];
	return 0;
}

static int bench_targets(__u32 n, __u32 rounds, __u32 repeat)
{
	__u64 deadline_ns = now_ns() + 3600 * SEC_NS;
	struct fault_bpf *skel = fault_bpf__open();
	struct bpf_program *prog;
	__u32 ns_per_packet;
	size_t i;
	int err;

	if (!skel)
		return -errno;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.flt_tc_egress);
	bpf_map__set_max_entries(skel->maps.flt_rules, n + 1);
	bpf_map__set_max_entries(skel->maps.flt_ifaces, n + 1);
	bpf_map__set_max_entries(skel->maps.flt_counters, (n + 1) * FLT_MAX_RULES);
	bpf_map__set_max_entries(skel->maps.flt_rate, (n + 1) * FLT_MAX_RULES * 2);
	bpf_map__set_max_entries(skel->maps.flt_delay_rnd, (n + 1) * FLT_MAX_RULES);
	err = fault_bpf__load(skel);
	err = err ?: fill_other_targets(skel, n, deadline_ns);
	for (i = 0; !err && i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = run_case(skel, &cases[i], rounds, repeat, deadline_ns, &ns_per_packet);
		if (!err)
			printf("%-8u %-18s %6u\n", n, cases[i].name, ns_per_packet);
	}
	fault_bpf__destroy(skel);
	return err;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

int main(int argc, char **argv)
{
	__u32 default_targets[] = {1, 1000, 10000, 100000};
	static const struct option long_options[] = {
		{"rounds", required_argument, NULL, 'n'},
		{"repeat", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	__u32 rounds = 5, repeat = 200000, n;
	int opt, i, ntargets, err = 0;

	while ((opt = getopt_long(argc, argv, "n:r:", long_options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			rounds = (__u32)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			repeat = (__u32)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: %s [--rounds R] [--repeat REPEAT] [N...]\n",
				argv[0]);
			return 2;
		}
	}
	if (!rounds || !repeat) {
		fprintf(stderr, "bench_tc: --rounds and --repeat must be positive\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("SKIP: the benchmark needs root\n");
		return 77;
	}
	libbpf_set_print(quiet_libbpf);
	printf("# flt_tc_egress: ns per packet, median of %u rounds of %u packets; N other "
	       "targets loaded\n",
	       rounds, repeat);
	printf("%-8s %-18s %6s\n", "targets", "case", "ns");
	ntargets = optind < argc ? argc - optind : 4;
	for (i = 0; i < ntargets; i++) {
		n = optind < argc ? (__u32)strtoul(argv[optind + i], NULL, 10) : default_targets[i];
		err = bench_targets(n, rounds, repeat);
		if (err) {
			fprintf(stderr, "benchmark with %u targets failed: %s\n", n,
				strerror(-err));
			break;
		}
	}
	return err ? 1 : 0;
}
