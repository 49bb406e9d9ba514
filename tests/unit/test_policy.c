// SPDX-License-Identifier: GPL-2.0-only
/*
 * The node policy (plan/policy.c): tests/data/policy.yaml and every field parsed to its value,
 * each kind of bad input refused with its position and message; and the engine's check of
 * plans against it (engine/policy.c), with pods named by folders made under a temporary
 * $FAULTLINE_POD_LOG_DIR. No kernel access.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/error.h"
#include "engine/engine.h"
#include "plan/plan.h"
#include "plan/policy.h"

#define POD_SYS "11111111-2222-4333-8444-555555555555" /* kube-system/coredns-1 */
#define POD_WEB "66666666-7777-4888-9999-aaaaaaaaaaaa" /* shop/web-1 */
#define POD_DB "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"  /* shop/db-1 */

static int parse(const char *text, struct policy *p, struct flt_error *err)
{
	return policy_parse_string("p.yaml", text, strlen(text), p, err);
}

/* text must fail with exactly message, at line and column; the policy is left empty. */
static void parse_fails(const char *text, const char *message)
{
	struct policy p;
	struct flt_error err;
	int ret = parse(text, &p, &err);

	assert_int_not_equal(ret, 0);
	assert_int_equal(err.kind, FLT_ERR_INPUT);
	if (strcmp(err.message, message))
		print_error("got:  %s\nwant: %s\n", err.message, message);
	assert_string_equal(err.message, message);
	assert_null(p.file);
	assert_int_equal(p.nnamespaces + p.npods + p.ncgroups + p.ncidrs, 0);
}

/* A file of the repository: under $FAULTLINE_SRCDIR, else in the nearest folder above this binary. */
static void repo_file(const char *rel, char *path, size_t len)
{
	const char *srcdir = getenv("FAULTLINE_SRCDIR");
	char exe[PATH_MAX];
	ssize_t n;
	int up;

	if (srcdir && *srcdir) {
		snprintf(path, len, "%s/%s", srcdir, rel);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	/* up from build/tests/unit/test_policy (or build/san/...) to the folder that holds rel */
	for (up = 0; up < 6 && strrchr(exe, '/'); up++) {
		*strrchr(exe, '/') = '\0';
		snprintf(path, len, "%s/%s", exe, rel);
		if (access(path, R_OK) == 0)
			return;
	}
	fail_msg("%s: not found above this test's binary; set FAULTLINE_SRCDIR", rel);
}

static void test_issue_example_parses_to_its_values(void **state)
{
	struct policy p;
	struct flt_error err;
	char addr[INET6_ADDRSTRLEN];
	char path[PATH_MAX];
	int ret;

	(void)state;
	repo_file("tests/data/policy.yaml", path, sizeof(path));
	ret = policy_parse_file(path, &p, &err);
	if (ret)
		print_error("%s\n", err.message);
	assert_int_equal(ret, 0);
	assert_string_equal(p.file, path);
	assert_int_equal(p.nnamespaces, 1);
	assert_string_equal(p.namespaces[0], "kube-system");
	assert_int_equal(p.npods, 0);
	assert_int_equal(p.ncgroups, 0);
	assert_int_equal(p.ncidrs, 1);
	assert_int_equal(p.cidrs[0].family, AF_INET);
	assert_int_equal(p.cidrs[0].prefix_len, 32);
	inet_ntop(AF_INET, p.cidrs[0].addr, addr, sizeof(addr));
	assert_string_equal(addr, "169.254.169.254");
	assert_int_equal(p.max_duration_ms, 30 * 60 * 1000);
	assert_int_equal(p.max_targets, 20);
	assert_true(p.has_max_loss);
	assert_true(p.max_loss_percent == 100);
	assert_int_equal(p.max_delay_ns, 5000000000ULL);
	policy_free(&p);
	policy_free(&p); /* safe twice */
}

static void test_every_field_is_optional(void **state)
{
	const char *texts[] = {"", "{}", "protect: {}\n", "limits:\n", "protect:\n  pods: []\n"};
	struct flt_error err;
	struct policy p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(parse(texts[i], &p, &err), 0);
		assert_int_equal(p.max_duration_ms + p.max_targets + p.max_delay_ns, 0);
		assert_false(p.has_max_loss);
		policy_free(&p);
	}
}

static void test_lists_and_json(void **state)
{
	const char *json = "{\"protect\": {\"namespaces\": [\"kube-system\", \"monitoring\"],"
			   " \"pods\": [\"" POD_WEB "\", \"shop/db-1\"],"
			   " \"cgroups\": [\"/system.slice/kubelet.service/\"],"
			   " \"cidrs\": [\"10.96.0.10\", \"fd00::/8\"]},"
			   " \"limits\": {\"maxLossPercent\": 0, \"maxDelay\": \"250ms\"}}";
	struct flt_error err;
	struct policy p;

	(void)state;
	assert_int_equal(parse(json, &p, &err), 0);
	assert_int_equal(p.nnamespaces, 2);
	assert_string_equal(p.namespaces[1], "monitoring");
	assert_int_equal(p.npods, 2);
	assert_string_equal(p.pods[0], POD_WEB);
	assert_string_equal(p.pods[1], "shop/db-1");
	assert_int_equal(p.ncgroups, 1);
	assert_string_equal(p.cgroups[0], "system.slice/kubelet.service"); /* slashes dropped */
	assert_int_equal(p.ncidrs, 2);
	assert_int_equal(p.cidrs[0].prefix_len, 32);
	assert_int_equal(p.cidrs[1].family, AF_INET6);
	assert_int_equal(p.cidrs[1].prefix_len, 8);
	assert_true(p.has_max_loss);
	assert_true(p.max_loss_percent == 0);
	assert_int_equal(p.max_delay_ns, 250000000ULL);
	policy_free(&p);
}

static void test_bad_policies_give_position_and_message(void **state)
{
	(void)state;
	parse_fails(
		"protect:\n  namespace: [a]\n",
		"p.yaml:2:3: protect: unknown field \"namespace\": did you mean \"namespaces\"?");
	parse_fails("limits:\n  maxduration: 1m\n",
		    "p.yaml:2:3: limits: unknown field \"maxduration\": keys are case-sensitive, "
		    "did you mean \"maxDuration\"?");
	parse_fails("rules: {}\n", "p.yaml:1:1: (root): unknown field \"rules\"");
	parse_fails("- a\n",
		    "p.yaml:1:1: (root): expected a policy mapping with protect and limits, "
		    "got a list");
	parse_fails("protect:\n  namespaces: kube-system\n",
		    "p.yaml:2:15: protect.namespaces: expected a list of namespaces, got a string");
	parse_fails(
		"protect:\n  namespaces: [Kube_System]\n",
		"p.yaml:2:16: protect.namespaces[0]: not a namespace: a-z, 0-9 and '-', at most "
		"63 characters, alphanumeric at both ends");
	parse_fails(
		"protect:\n  pods: [shop/web-*]\n",
		"p.yaml:2:10: protect.pods[0]: a protected pod is a uid or NAMESPACE/NAME, not a "
		"glob: protect a whole namespace with protect.namespaces");
	parse_fails(
		"protect:\n  cgroups: [/sys/fs/cgroup/x]\n",
		"p.yaml:2:13: protect.cgroups[0]: \"/sys/fs/cgroup/x\" includes the mount point: "
		"write the path relative to the cgroup2 mount, e.g. "
		"/system.slice/foo.service");
	parse_fails("protect:\n  cidrs: [10.0.0.1/8]\n",
		    "p.yaml:2:11: protect.cidrs[0]: 10.0.0.1/8 has host bits set: did you mean "
		    "10.0.0.0/8?");
	parse_fails("protect:\n  cidrs: [1.0.0.1, 1.0.0.2, 1.0.0.3, 1.0.0.4, 1.0.0.5, 1.0.0.6,"
		    " 1.0.0.7, 1.0.0.8, 1.0.0.9, 1.0.0.10, 1.0.0.11, 1.0.0.12, 1.0.0.13, 1.0.0.14,"
		    " 1.0.0.15, 1.0.0.16, 1.0.0.17]\n",
		    "p.yaml:2:10: protect.cidrs: 17 cidrs: a policy protects at most 16");
	parse_fails("limits:\n  maxDuration: 30d\n",
		    "p.yaml:2:16: limits.maxDuration: unknown unit \"d\" in \"30d\": use ms, s, m "
		    "or h");
	parse_fails(
		"limits:\n  maxDuration: 0s\n",
		"p.yaml:2:16: limits.maxDuration: \"0s\" is zero: a limit must be greater than 0 "
		"(leave it out for none)");
	parse_fails(
		"limits:\n  maxTargets: 2.5\n",
		"p.yaml:2:15: limits.maxTargets: \"2.5\" is not a whole number: expected a number "
		"of pods such as 20");
	parse_fails("limits:\n  maxTargets: 0\n",
		    "p.yaml:2:15: limits.maxTargets: \"0\" is zero: a limit must be greater than 0 "
		    "(leave it out for none)");
	parse_fails("limits:\n  maxLossPercent: 120\n",
		    "p.yaml:2:19: limits.maxLossPercent: \"120\" is over 100");
	parse_fails(
		"limits:\n  maxDelay: 5 s\n",
		"p.yaml:2:13: limits.maxDelay: \"5 s\" is not a time: use one number and a unit "
		"(us, ms or s), e.g. 100ms or 1.5ms");
	parse_fails("limits: {maxDelay: 1s}\nlimits: {}\n",
		    "p.yaml:2:1: (root): duplicate key \"limits\": first at line 1");
	parse_fails("protect: [\n", "p.yaml:2:1: yaml: did not find expected node content");
}

static void test_missing_file_is_enoent_input(void **state)
{
	struct flt_error err;
	struct policy p;

	(void)state;
	assert_int_equal(policy_parse_file("/nonexistent/policy.yaml", &p, &err), -ENOENT);
	assert_int_equal(err.kind, FLT_ERR_INPUT);
	assert_string_equal(err.message,
			    "/nonexistent/policy.yaml: cannot open the policy: No such "
			    "file or directory");
}

/* ---- the engine's check ------------------------------------------------------------------ */

static char pod_dir[PATH_MAX];

static void make_pod(const char *ns, const char *name, const char *uid)
{
	char path[PATH_MAX + 400];

	snprintf(path, sizeof(path), "%s/%s_%s_%s", pod_dir, ns, name, uid);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int pods_setup(void **state)
{
	(void)state;
	snprintf(pod_dir, sizeof(pod_dir), "/tmp/faultline-test-policy.XXXXXX");
	if (!mkdtemp(pod_dir))
		return -1;
	setenv("FAULTLINE_POD_LOG_DIR", pod_dir, 1);
	make_pod("kube-system", "coredns-1", POD_SYS);
	make_pod("shop", "web-1", POD_WEB);
	make_pod("shop", "db-1", POD_DB);
	return 0;
}

static int pods_teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	engine_set_policy(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pod_dir);
	return system(cmd) ? -1 : 0;
}

/* plan's check against policy: 0, or the message it fails with is message. */
static void check(const char *policy_text, const char *plan_text, const char *message)
{
	struct policy p;
	struct plan plan;
	struct flt_error err;
	int ret;

	ret = policy_parse_string("/etc/faultline/policy.yaml", policy_text, strlen(policy_text),
				  &p, &err);
	if (ret)
		print_error("%s\n", err.message);
	assert_int_equal(ret, 0);
	ret = plan_parse_string("plan.yaml", plan_text, strlen(plan_text),
				PLAN_DEFAULT_MAX_DURATION_MS, &plan, &err);
	if (ret)
		print_error("%s\n", err.message);
	assert_int_equal(ret, 0);
	ret = engine_expand_pods(&plan, &err);
	if (ret)
		print_error("%s\n", err.message);
	assert_int_equal(ret, 0);
	engine_set_policy(&p);
	ret = engine_policy_check(&plan, &err);
	engine_set_policy(NULL);
	if (!message) {
		if (ret)
			print_error("unexpected refusal: %s\n", err.message);
		assert_int_equal(ret, 0);
	} else {
		assert_int_not_equal(ret, 0);
		assert_int_equal(err.kind, FLT_ERR_INPUT);
		if (strcmp(err.message, message))
			print_error("got:  %s\nwant: %s\n", err.message, message);
		assert_string_equal(err.message, message);
	}
	plan_free(&plan);
	policy_free(&p);
}

#define PLAN_HEAD "apiVersion: faultline/v1\nkind: FaultPlan\nmetadata:\n  name: t\nspec:\n"
#define PLAN_POD(pod, duration, fault)                                                             \
	PLAN_HEAD "  duration: " duration "\n  targets:\n    web:\n      pods: [" pod "]\n"        \
		  "  faults:\n    - name: f\n      target: web\n" fault

static void test_no_policy_refuses_nothing(void **state)
{
	struct plan plan;
	struct flt_error err;
	const char *text = PLAN_POD(POD_SYS, "1h", "      blackhole: {}\n");

	(void)state;
	assert_int_equal(plan_parse_string("plan.yaml", text, strlen(text),
					   PLAN_DEFAULT_MAX_DURATION_MS, &plan, &err),
			 0);
	engine_set_policy(NULL);
	assert_int_equal(engine_policy_check(&plan, &err), 0);
	plan_free(&plan);
}

static void test_protected_namespace_and_pods(void **state)
{
	const char *policy =
		"protect:\n  namespaces: [kube-system]\n  pods: [shop/db-1, " POD_WEB "]\n";

	(void)state;
	check(policy, PLAN_POD(POD_SYS, "1m", "      blackhole: {}\n"),
	      "plan.yaml:9:14: spec.targets.web.pods[0]: refused by policy "
	      "/etc/faultline/policy.yaml: protect.namespaces: pod kube-system/coredns-1 (" POD_SYS
	      ") is in a protected namespace");
	check(policy, PLAN_POD(POD_WEB, "1m", "      blackhole: {}\n"),
	      "plan.yaml:9:14: spec.targets.web.pods[0]: refused by policy "
	      "/etc/faultline/policy.yaml: protect.pods: pod shop/web-1 (" POD_WEB
	      ") is protected");
	/* protected by its name, named by its UID in the plan */
	check(policy, PLAN_POD(POD_DB, "1m", "      blackhole: {}\n"),
	      "plan.yaml:9:14: spec.targets.web.pods[0]: refused by policy "
	      "/etc/faultline/policy.yaml: protect.pods: pod shop/db-1 (" POD_DB ") is protected");
	check("protect:\n  namespaces: [kube-system]\n",
	      PLAN_POD(POD_WEB, "1m", "      blackhole: {}\n"), NULL);
}

static void test_protected_cgroups_cover_their_subtree(void **state)
{
	const char *policy = "protect:\n  cgroups: [/system.slice]\n";
	const char *under = PLAN_HEAD "  duration: 1m\n  targets:\n    svc:\n      cgroups: "
				      "[system.slice/kubelet.service]\n  faults:\n    - name: f\n"
				      "      target: svc\n      blackhole: {}\n";
	const char *beside =
		PLAN_HEAD "  duration: 1m\n  targets:\n    svc:\n      cgroups: "
			  "[/system.slicex/a]\n  faults:\n    - name: f\n      target: svc\n"
			  "      blackhole: {}\n";

	(void)state;
	check(policy, under,
	      "plan.yaml:9:17: spec.targets.svc.cgroups[0]: refused by policy "
	      "/etc/faultline/policy.yaml: protect.cgroups: cgroup system.slice/kubelet.service is "
	      "protected (/system.slice)");
	check(policy, beside, NULL);
}

static void test_limits_name_their_rule(void **state)
{
	(void)state;
	check("limits:\n  maxDuration: 30m\n", PLAN_POD(POD_WEB, "45m", "      blackhole: {}\n"),
	      "plan.yaml:6:13: spec.duration: refused by policy /etc/faultline/policy.yaml: "
	      "limits.maxDuration is 30m, the plan's duration is 45m");
	check("limits:\n  maxDuration: 30m\n", PLAN_POD(POD_WEB, "30m", "      blackhole: {}\n"),
	      NULL);
	check("limits:\n  maxDelay: 5s\n", PLAN_POD(POD_WEB, "1m", "      delay: {time: 10s}\n"),
	      "plan.yaml:11:7: spec.faults[0].delay: refused by policy /etc/faultline/policy.yaml: "
	      "limits.maxDelay is 5s, the fault's delay is 10s");
	check("limits:\n  maxDelay: 5s\n",
	      PLAN_POD(POD_WEB, "1m", "      delay: {time: 4s, jitter: 1500ms}\n"),
	      "plan.yaml:11:7: spec.faults[0].delay: refused by policy /etc/faultline/policy.yaml: "
	      "limits.maxDelay is 5s, the fault's delay is 5.5s (time + jitter)");
	check("limits:\n  maxDelay: 5s\n",
	      PLAN_POD(POD_WEB, "1m", "      delay: {time: 4s, jitter: 1s}\n"), NULL);
	check("limits:\n  maxLossPercent: 30\n",
	      PLAN_POD(POD_WEB, "1m", "      loss: {percent: 40}\n"),
	      "plan.yaml:11:7: spec.faults[0].loss: refused by policy /etc/faultline/policy.yaml: "
	      "limits.maxLossPercent is 30%, the fault's loss is 40%");
	check("limits:\n  maxLossPercent: 30\n", PLAN_POD(POD_WEB, "1m", "      blackhole: {}\n"),
	      "plan.yaml:11:7: spec.faults[0].blackhole: refused by policy "
	      "/etc/faultline/policy.yaml: limits.maxLossPercent is 30%, a blackhole loses 100%");
	/* gilbert-elliott: p 10, r 40: a fifth of the time in the bad state, which loses all */
	check("limits:\n  maxLossPercent: 19\n",
	      PLAN_POD(
		      POD_WEB, "1m",
		      "      backend: netem\n      loss: {model: gilbert-elliott, p: 10, r: 40}\n"),
	      "plan.yaml:11:7: spec.faults[0].loss: refused by policy /etc/faultline/policy.yaml: "
	      "limits.maxLossPercent is 19%, the fault's gilbert-elliott loss averages 20%");
	check("limits:\n  maxLossPercent: 20\n",
	      PLAN_POD(
		      POD_WEB, "1m",
		      "      backend: netem\n      loss: {model: gilbert-elliott, p: 10, r: 40}\n"),
	      NULL);
}

/* Names rather than a glob: a glob keeps only pods with a cgroup here, which a test has none of. */
static void test_max_targets_counts_pods_after_expansion(void **state)
{
	const char *names = PLAN_HEAD "  duration: 1m\n  targets:\n    shop:\n"
				      "      pods: [shop/web-1, shop/db-1]\n  faults:\n"
				      "    - name: f\n      target: shop\n      blackhole: {}\n";

	(void)state;
	check("limits:\n  maxTargets: 2\n", names, NULL);
	check("limits:\n  maxTargets: 1\n", names,
	      "plan.yaml:9:26: spec.targets.shop.pods[1]: refused by policy "
	      "/etc/faultline/policy.yaml: limits.maxTargets is 1 pods, the plan targets more "
	      "(" POD_DB " is past the limit)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_example_parses_to_its_values),
		cmocka_unit_test(test_every_field_is_optional),
		cmocka_unit_test(test_lists_and_json),
		cmocka_unit_test(test_bad_policies_give_position_and_message),
		cmocka_unit_test(test_missing_file_is_enoent_input),
		cmocka_unit_test(test_no_policy_refuses_nothing),
		cmocka_unit_test_setup_teardown(test_protected_namespace_and_pods, pods_setup,
						pods_teardown),
		cmocka_unit_test_setup_teardown(test_protected_cgroups_cover_their_subtree,
						pods_setup, pods_teardown),
		cmocka_unit_test_setup_teardown(test_limits_name_their_rule, pods_setup,
						pods_teardown),
		cmocka_unit_test_setup_teardown(test_max_targets_counts_pods_after_expansion,
						pods_setup, pods_teardown),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
