// SPDX-License-Identifier: GPL-2.0-only
/* Encoding plan faults into the kernel's rules (userspace/rules.c), checked byte by byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "fault.h"
#include "plan/plan.h"
#include "engine/rules.h"

#define DEADLINE_NS 123456789012345ULL

static struct flt_rule encode(const char *yaml_fault)
{
	struct flt_error err;
	char text[2048];
	struct plan plan;
	struct flt_rule rule;

	snprintf(text, sizeof(text),
		 "apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: t}\n"
		 "spec:\n  duration: 1m\n  targets:\n    a: {cgroups: [/x]}\n  faults:\n"
		 "    - %s\n",
		 yaml_fault);
	if (plan_parse_string("t.yaml", text, strlen(text), 3600000, &plan, &err)) {
		print_error("%s\n", err.message);
		fail();
	}
	rule_encode(&plan.faults[0], DEADLINE_NS, 0, &rule);
	plan_free(&plan);
	return rule;
}

static void test_loss_thresholds(void **state)
{
	(void)state;
	assert_true(rule_loss_threshold(100) == 1ULL << 32); /* every draw is below: always */
	assert_true(rule_loss_threshold(50) == 1ULL << 31);
	assert_true(rule_loss_threshold(25) == 1ULL << 30);
	assert_true(rule_loss_threshold(0) == 0);
	/* 0.1% of 2^32 = 4294967.296, rounded */
	assert_true(rule_loss_threshold(0.1) == 4294967);
}

static void test_defaults(void **state)
{
	struct flt_rule r = encode("{name: f, target: a, blackhole: {}}");

	(void)state;
	assert_true(r.deadline_ns == DEADLINE_NS);
	assert_int_equal(r.actions, FLT_ACT_BLACKHOLE);
	assert_int_equal(r.direction, FLT_DIR_EGRESS);
	assert_int_equal(r.protocol, FLT_PROTO_ANY);
	assert_int_equal(r.ncidrs, 0);
	assert_int_equal(r.nports, 0);
	assert_int_equal(r.nlocal_ports, 0);
	assert_true(r.loss_threshold == 0);
}

static void test_ipv4_cidr(void **state)
{
	struct flt_rule r = encode("{name: f, target: a, match: {cidrs: [10.96.0.0/12]}, blackhole: {}}");

	(void)state;
	assert_int_equal(r.ncidrs, 1);
	assert_int_equal(r.cidrs[0].family, FLT_AF_INET);
	/* network byte order in memory: 10.96.0.0 and 255.240.0.0 */
	assert_memory_equal(&r.cidrs[0].addr[0], "\x0a\x60\x00\x00", 4);
	assert_memory_equal(&r.cidrs[0].mask[0], "\xff\xf0\x00\x00", 4);
	assert_int_equal(r.cidrs[0].addr[1] | r.cidrs[0].mask[1], 0);
}

static void test_ipv6_cidr(void **state)
{
	struct flt_rule r = encode("{name: f, target: a, match: {cidrs: ['2001:db8::/33', '::1']}, "
				   "blackhole: {}}");
	const uint8_t want_addr[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	const uint8_t want_mask[16] = { 0xff, 0xff, 0xff, 0xff, 0x80 };
	uint8_t host_mask[16];

	(void)state;
	memset(host_mask, 0xff, sizeof(host_mask));
	assert_int_equal(r.ncidrs, 2);
	assert_int_equal(r.cidrs[0].family, FLT_AF_INET6);
	assert_memory_equal(r.cidrs[0].addr, want_addr, 16);
	assert_memory_equal(r.cidrs[0].mask, want_mask, 16);
	assert_memory_equal(r.cidrs[1].mask, host_mask, 16); /* a bare address is a /128 */
	assert_int_equal(((uint8_t *)r.cidrs[1].addr)[15], 1);
}

static void test_ports_protocol_direction(void **state)
{
	struct flt_rule r = encode("{name: f, target: a, direction: both, match: {protocol: udp, "
				   "ports: [53, 8000-8100], localPorts: [8080]}, loss: {percent: 30}}");

	(void)state;
	assert_int_equal(r.direction, FLT_DIR_BOTH);
	assert_int_equal(r.protocol, FLT_PROTO_UDP);
	assert_int_equal(r.nports, 2);
	assert_int_equal(r.ports[0].first, 53);
	assert_int_equal(r.ports[0].last, 53);
	assert_int_equal(r.ports[1].first, 8000); /* host byte order */
	assert_int_equal(r.ports[1].last, 8100);
	assert_int_equal(r.nlocal_ports, 1);
	assert_int_equal(r.local_ports[0].first, 8080);
	assert_int_equal(r.actions, FLT_ACT_LOSS);
	assert_true(r.loss_threshold == rule_loss_threshold(30));
}

static void test_reject_errno(void **state)
{
	struct flt_rule r = encode("{name: f, target: a, match: {protocol: tcp}, "
				   "reject: {errno: ETIMEDOUT}}");
	struct flt_rule d = encode("{name: f, target: a, reject: {}}");

	(void)state;
	assert_int_equal(r.actions, FLT_ACT_REJECT);
	assert_int_equal(r.reject_errno, ETIMEDOUT);
	assert_int_equal(r.protocol, FLT_PROTO_TCP);
	assert_int_equal(d.reject_errno, ECONNREFUSED);
}

static void test_combined_actions(void **state)
{
	struct flt_rule r = encode("{name: f, target: a, reject: {}, loss: {percent: 100}}");

	(void)state;
	assert_int_equal(r.actions, FLT_ACT_REJECT | FLT_ACT_LOSS);
	assert_true(r.loss_threshold == 1ULL << 32);
}

static bool bit(const __u64 *bitmap, unsigned int b)
{
	return (bitmap[b / 64] >> (b % 64)) & 1;
}

static unsigned int bits_set(const __u64 *bitmap, size_t words)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < words; i++)
		n += (unsigned int)__builtin_popcountll(bitmap[i]);
	return n;
}

/* Two faults of a plan encoded into one target's rules and summarized, as apply does. */
static void summarize(const char *fault1, const char *fault2, struct flt_target_rules *tr)
{
	memset(tr, 0, sizeof(*tr));
	tr->rules[0] = encode(fault1);
	tr->rules[1] = encode(fault2);
	tr->nrules = 2;
	rule_summarize(tr);
}

static void test_summary_of_ports_and_protocols(void **state)
{
	static struct flt_target_rules tr;
	const struct flt_rule_summary *sum = &tr.summary;

	(void)state;
	summarize("{name: f, target: a, direction: ingress, match: {protocol: udp, ports: [53, "
		  "8000-8002], localPorts: [9]}, blackhole: {}}",
		  "{name: g, target: a, match: {protocol: icmp}, blackhole: {}}", &tr);
	assert_int_equal(sum->directions, FLT_DIR_BOTH);
	/* the icmp rule has no ports: ports cannot rule a packet out */
	assert_int_equal(sum->flags, FLT_SUMMARY_ANY_PORT | FLT_SUMMARY_ANY_ADDR);
	assert_int_equal(bits_set(sum->protocols, 4), 3);
	assert_true(bit(sum->protocols, IPPROTO_UDP) && bit(sum->protocols, IPPROTO_ICMP) &&
		    bit(sum->protocols, IPPROTO_ICMPV6));
	assert_int_equal(bits_set(sum->peer_ports, FLT_SUMMARY_WORDS), 4);
	assert_true(bit(sum->peer_ports, 53) && bit(sum->peer_ports, 8000 % FLT_SUMMARY_BITS) &&
		    bit(sum->peer_ports, 8002 % FLT_SUMMARY_BITS));
	/* local ports of a rule with ports are not needed: its peer ports already decide */
	assert_int_equal(bits_set(sum->local_ports, FLT_SUMMARY_WORDS), 0);

	summarize("{name: f, target: a, match: {protocol: tcp, localPorts: [65535, 1-2]}, "
		  "blackhole: {}}",
		  "{name: g, target: a, match: {ports: [1000-5095]}, blackhole: {}}", &tr);
	assert_int_equal(sum->directions, FLT_DIR_EGRESS);
	assert_int_equal(sum->flags, FLT_SUMMARY_ANY_ADDR);
	assert_int_equal(bits_set(sum->protocols, 4), 256); /* protocol any */
	assert_int_equal(bits_set(sum->local_ports, FLT_SUMMARY_WORDS), 3);
	assert_true(bit(sum->local_ports, 65535 % FLT_SUMMARY_BITS) && bit(sum->local_ports, 1));
	/* 4096 ports: every bit */
	assert_int_equal(bits_set(sum->peer_ports, FLT_SUMMARY_WORDS), FLT_SUMMARY_BITS);
}

static void test_summary_of_cidrs(void **state)
{
	static struct flt_target_rules tr;
	const struct flt_rule_summary *sum = &tr.summary;
	uint32_t mask6[4] = { htonl(0xffffffff), htonl(0x80000000), 0, 0 };
	uint32_t a = htonl(0x0a000000); /* 10.0.0.0 */

	(void)state;
	summarize("{name: f, target: a, match: {cidrs: [10.1.2.3/32, '2001:db8:8000::/33']}, "
		  "blackhole: {}}",
		  "{name: g, target: a, match: {cidrs: [10.0.0.0/8, '2001:db8::1/128']}, "
		  "blackhole: {}}",
		  &tr);
	assert_int_equal(sum->flags, FLT_SUMMARY_ANY_PORT);
	/* the shortest prefix of each family */
	assert_true(sum->addr_mask4 == htonl(0xff000000));
	assert_memory_equal(sum->addr_mask6, mask6, sizeof(mask6));
	/* 10.1.2.3 and 10.0.0.0 share a bit at /8; the IPv6 CIDRs differ in bit 33 */
	assert_true(bit(sum->addrs, flt_summary_addr_bit(FLT_AF_INET, a, 0, 0, 0)));
	assert_true(bit(sum->addrs, flt_summary_addr_bit(FLT_AF_INET6, htonl(0x20010db8), 0, 0,
							 0)));
	assert_true(bit(sum->addrs, flt_summary_addr_bit(FLT_AF_INET6, htonl(0x20010db8),
							 htonl(0x80000000), 0, 0)));
	assert_int_equal(bits_set(sum->addrs, FLT_SUMMARY_WORDS), 3);

	/* a rule without CIDRs sets the flag; rules past nrules count for nothing */
	summarize("{name: f, target: a, match: {cidrs: [10.1.2.3/32]}, blackhole: {}}",
		  "{name: g, target: a, direction: ingress, blackhole: {}}", &tr);
	assert_int_equal(sum->flags, FLT_SUMMARY_ANY_PORT | FLT_SUMMARY_ANY_ADDR);
	tr.nrules = 1;
	rule_summarize(&tr);
	assert_int_equal(sum->flags, FLT_SUMMARY_ANY_PORT);
	assert_int_equal(sum->directions, FLT_DIR_EGRESS);
	assert_true(sum->addr_mask4 == UINT32_MAX);
	assert_true(bit(sum->addrs, flt_summary_addr_bit(FLT_AF_INET, htonl(0x0a010203), 0, 0, 0)));
	assert_int_equal(bits_set(sum->addrs, FLT_SUMMARY_WORDS), 1);
	/* no rules: nothing can match */
	tr.nrules = 0;
	rule_summarize(&tr);
	assert_int_equal(sum->directions | sum->flags, 0);
	assert_int_equal(bits_set(sum->protocols, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_thresholds),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ipv4_cidr),
		cmocka_unit_test(test_ipv6_cidr),
		cmocka_unit_test(test_ports_protocol_direction),
		cmocka_unit_test(test_reject_errno),
		cmocka_unit_test(test_combined_actions),
		cmocka_unit_test(test_summary_of_ports_and_protocols),
		cmocka_unit_test(test_summary_of_cidrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
