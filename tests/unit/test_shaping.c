// SPDX-License-Identifier: GPL-2.0-only
/*
 * Whose problem shaping.c reports: what this kernel cannot run and a device that another plan
 * or the user already queues on are the plan's (FLT_ERR_INPUT, exit 2); what the system fails
 * at is the system's. shaping_plan() needs no kernel; shaping_setup() runs against a veth pair
 * in a network namespace of the test's own, and must refuse before it records or makes anything.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "common/error.h"
#include "fault.h"
#include "kernel/shaping.h"

#define VETH "flshape"

static void expect_error(const struct flt_error *err, int ret, int want, enum flt_err_kind kind,
			 const char *what)
{
	assert_int_equal(ret, want);
	assert_int_equal(err->kind, kind);
	assert_int_equal(err->errnum, -want);
	if (!strstr(err->message, what))
		fail_msg("message lacks \"%s\": %s", what, err->message);
}

/* What this kernel cannot run is refused as the plan's error, at the fault to blame. */
static void test_plan_refusals_are_input(void **state)
{
	static struct {
		struct plan_fault faults[2];
		size_t nfaults;
		struct shaping_caps caps; /* 0: the kernel has it */
		size_t culprit;
		const char *what;
	} cases[] = {
		{
			.faults = {{.name = "fast", .actions = FLT_ACT_LOSS},
				   {.name = "slow",
				    .actions = FLT_ACT_DELAY,
				    .backend = PLAN_BACKEND_EDT}},
			.nfaults = 2,
			.caps = {.fq = -ENOENT},
			.culprit = 1,
			.what = "fault slow: backend edt needs the fq qdisc",
		},
		{
			.faults = {{.name = "slow", .actions = FLT_ACT_RATE}},
			.nfaults = 1,
			.caps = {.fq = -ENOENT, .netem = -ENOENT},
			.culprit = 0,
			.what = "this kernel has neither",
		},
		{
			.faults = {{.name = "paced",
				    .actions = FLT_ACT_RATE,
				    .backend = PLAN_BACKEND_EDT},
				   {.name = "dup", .netem_effects = PLAN_NETEM_DUPLICATE}},
			.nfaults = 2,
			.culprit = 1,
			.what = "faults paced and dup: backend edt and netem on the same target",
		},
	};
	struct plan_target target = {.name = "web"};
	struct plan plan = {.name = "p", .targets = &target, .ntargets = 1};
	const size_t order[] = {0, 1};
	enum shaping_kind kinds[2], device_kind;
	struct flt_error err;
	size_t i, culprit;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		plan.faults = cases[i].faults;
		plan.nfaults = cases[i].nfaults;
		flt_error_clear(&err);
		culprit = SIZE_MAX;
		ret = shaping_plan(&plan, order, cases[i].nfaults, &cases[i].caps, kinds,
				   &device_kind, &culprit, &err);
		expect_error(&err, ret, -EINVAL, FLT_ERR_INPUT, cases[i].what);
		assert_int_equal(culprit, cases[i].culprit);
	}
}

static int records;

static int count_record(void *ctx, const struct state_record *rec)
{
	(void)ctx;
	(void)rec;
	records++;
	return 0;
}

/* shaping_setup() of VETH with an fq (never made: every case here is refused before). */
static int setup_veth(bool egress_queue, bool ifb, const char *netns_path, struct flt_error *err)
{
	struct shaping_device dev = {
		.ifindex = (int)if_nametoindex(VETH),
		.ifname = VETH,
		.netns_path = netns_path,
		.kind = SHAPING_EDT,
		.egress_queue = egress_queue,
		.ifb = ifb,
	};
	struct stat st;
	int ifb_ifindex = -1, ret;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	dev.netns_ino = st.st_ino;
	records = 0;
	ret = shaping_setup(&dev, count_record, NULL, &ifb_ifindex, err);
	assert_int_equal(records, 0);
	return ret;
}

static void test_setup_beside_another_plans_ifb_is_input(void **state)
{
	struct flt_error err = {};
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "ip link add flt-ifb-%u type ifb", if_nametoindex(VETH));
	if (system(cmd)) {
		print_message("cannot create an IFB device here\n");
		skip();
	}
	expect_error(&err, setup_veth(false, true, NULL, &err), -EBUSY, FLT_ERR_INPUT,
		     "exists: another faultline plan delays or shapes its traffic");
	snprintf(cmd, sizeof(cmd), "ip link del flt-ifb-%u", if_nametoindex(VETH));
	assert_int_equal(system(cmd), 0);
}

static void test_setup_over_a_root_with_classes_is_input(void **state)
{
	struct flt_error err = {};

	(void)state;
	if (system("tc qdisc add dev " VETH " root handle 78: htb default 1 && "
		   "tc class add dev " VETH
		   " parent 78: classid 78:1 htb rate 1gbit quantum 1514")) {
		print_message("cannot build an htb tree here\n");
		skip();
	}
	expect_error(&err, setup_veth(true, false, NULL, &err), -ENOTSUP, FLT_ERR_INPUT,
		     "its root qdisc htb 78: has classes under it");
	assert_int_equal(system("tc qdisc del dev " VETH " root"), 0);
}

static void test_setup_in_a_netns_out_of_reach_is_system(void **state)
{
	struct flt_error err = {};

	(void)state;
	expect_error(&err, setup_veth(true, true, "/nonexistent/netns", &err), -ENOENT,
		     FLT_ERR_SYSTEM, "interface " VETH ": cannot enter its network namespace");
}

int main(void)
{
	const struct CMUnitTest plan_tests[] = {
		cmocka_unit_test(test_plan_refusals_are_input),
	};
	const struct CMUnitTest setup_tests[] = {
		cmocka_unit_test(test_setup_beside_another_plans_ifb_is_input),
		cmocka_unit_test(test_setup_over_a_root_with_classes_is_input),
		cmocka_unit_test(test_setup_in_a_netns_out_of_reach_is_system),
	};
	int failed = cmocka_run_group_tests(plan_tests, NULL, NULL);

	if (geteuid() != 0) {
		printf("SKIP: shaping_setup needs root to create network namespaces and veths\n");
		return failed ? failed : 77;
	}
	/* Everything made here hangs off a network namespace of its own, never the host's. */
	if (unshare(CLONE_NEWNET) || system("ip link add " VETH " type veth peer name " VETH "p")) {
		printf("SKIP: cannot create a network namespace with a veth pair\n");
		return failed ? failed : 77;
	}
	return failed + cmocka_run_group_tests(setup_tests, NULL, NULL);
}
