// SPDX-License-Identifier: GPL-2.0-only
/* Encoding plan faults into the kernel's rules (userspace/rules.c), checked byte by byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
