// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline run's sections of a plan (userspace/plan/experiment.c): spec.observe into
 * plan.observed (ids, kinds, positions, document order) and spec.abortWhen into
 * plan.conditions (target index or PLAN_OBSERVED, metric, syscall number, latency flag,
 * threshold in ns or as a count, for in ms), in any order of spec's sections; and the errors
 * that link a condition to its target. The corpus of tests/plans/bad/{observe,abort}-* is
 * test_plan's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/error.h"
#include "common/syscalls.h"
#include "plan/plan.h"
#include "plan_test.h"

#define POD_C "0f1e2d3c-4b5a-4968-8776-655443322110"
#define MS_NS 1000000ULL

#define HEAD "apiVersion: faultline/v1\nkind: FaultPlan\nmetadata: {name: e}\nspec:\n"
/* targets web (a pod), batch (a cgroup), edge (an interface); web and edge drop packets */
#define TARGETS                                                                                    \
	"  targets:\n"                                                                             \
	"    web: {pods: [" POD_A "]}\n"                                                           \
	"    batch: {cgroups: [shop/batch]}\n"                                                     \
	"    edge: {interfaces: [eth9]}\n"                                                         \
	"  faults:\n"                                                                              \
	"    - {name: drop, target: web, blackhole: {}}\n"                                         \
	"    - {name: refuse, target: batch, reject: {}}\n"                                        \
	"    - {name: flaky, target: edge, loss: {percent: 5}}\n"

static void assert_condition(const struct plan_condition *c, size_t target,
			     enum plan_metric metric, const char *name, bool latency,
			     uint64_t above, uint64_t for_ms)
{
	assert_int_equal(c->target, target);
	assert_int_equal(c->metric, metric);
	assert_string_equal(c->metric_name, name);
	assert_int_equal(c->latency, latency);
	assert_int_equal(c->above, above);
	assert_int_equal(c->for_ms, for_ms);
}

/* Every metric, abortWhen before the targets it names and observe after it. */
static void test_every_metric_in_any_order(void **state)
{
	static const char text[] =
		HEAD "  duration: 10m\n"
		     "  abortWhen:\n"
		     "    - target: web\n"
		     "      metric: tcp.connect.failed\n"
		     "      above: 20\n"
		     "      for: 3s\n"
		     "    - {target: web, metric: tcp.connect.p99, above: 1.5s}\n"
		     "    - {target: observed, metric: tcp.rtt.p99, above: 250ms, for: 5s}\n"
		     "    - {target: batch, metric: tcp.retransmits, above: 0}\n"
		     "    - {target: observed, metric: syscall.read.p99, above: 500us, for: 1m}\n"
		     "    - {target: batch, above: 2ms, metric: syscall.connect.p99}\n"
		     "    - {above: 100, metric: fault.dropped, target: edge, for: 0s}\n"
		     "  observe:\n"
		     "    cgroups: [shop/ctl]\n"
		     "    pods: [" POD_C "]\n" TARGETS;
	const struct plan_condition *c;
	struct plan plan;

	(void)state;
	parse_ok(text, &plan);
	assert_int_equal(plan.abort_pos.line, 6);
	assert_int_equal(plan.abort_pos.col, 3);
	assert_int_equal(plan.observe_pos.line, 17);
	assert_int_equal(plan.observe_pos.col, 3);

	assert_int_equal(plan.nobserved, 2);
	assert_string_equal(plan.observed[0].id, "shop/ctl");
	assert_int_equal(plan.observed[0].kind, TARGET_CGROUP);
	assert_int_equal(plan.observed[0].pos.line, 18);
	assert_int_equal(plan.observed[0].pos.col, 15);
	assert_string_equal(plan.observed[1].id, POD_C);
	assert_int_equal(plan.observed[1].kind, TARGET_POD);
	assert_int_equal(plan.observed[1].pos.line, 19);
	assert_int_equal(plan.observed[1].pos.col, 12);

	assert_int_equal(plan.nconditions, 7);
	c = plan.conditions;
	assert_condition(&c[0], 0, PLAN_METRIC_CONNECT_FAILED, "tcp.connect.failed", false, 20,
			 3000);
	assert_int_equal(c[0].pos.line, 7);
	assert_int_equal(c[0].pos.col, 7);
	assert_condition(&c[1], 0, PLAN_METRIC_CONNECT_P99, "tcp.connect.p99", true,
			 1500 * MS_NS, 0);
	assert_int_equal(c[1].pos.line, 11);
	assert_condition(&c[2], PLAN_OBSERVED, PLAN_METRIC_RTT_P99, "tcp.rtt.p99", true,
			 250 * MS_NS, 5000);
	assert_condition(&c[3], 1, PLAN_METRIC_RETRANSMITS, "tcp.retransmits", false, 0, 0);
	assert_condition(&c[4], PLAN_OBSERVED, PLAN_METRIC_SYSCALL_P99, "syscall.read.p99", true,
			 500000, 60000);
	assert_condition(&c[5], 1, PLAN_METRIC_SYSCALL_P99, "syscall.connect.p99", true,
			 2 * MS_NS, 0);
	assert_condition(&c[6], 2, PLAN_METRIC_FAULT_DROPPED, "fault.dropped", false, 100, 0);

	/* x86_64's numbers, from the same table the tracer reads */
	assert_int_equal(c[4].syscall_nr, 0);
	assert_int_equal(c[5].syscall_nr, 42);
	assert_int_equal(c[5].syscall_nr, syscall_nr("connect"));
	assert_int_equal(c[0].syscall_nr, -1);
	assert_int_equal(c[6].syscall_nr, -1);
	plan_free(&plan);
}

static void test_sections_are_optional(void **state)
{
	struct plan plan;

	(void)state;
	parse_ok(HEAD "  duration: 1m\n" TARGETS, &plan);
	assert_null(plan.observed);
	assert_int_equal(plan.nobserved, 0);
	assert_int_equal(plan.observe_pos.line, 0);
	assert_null(plan.conditions);
	assert_int_equal(plan.nconditions, 0);
	assert_int_equal(plan.abort_pos.line, 0);
	plan_free(&plan);

	/* either section alone */
	parse_ok(HEAD "  duration: 1m\n  observe: {pods: [" POD_C "]}\n" TARGETS, &plan);
	assert_int_equal(plan.nobserved, 1);
	assert_int_equal(plan.nconditions, 0);
	plan_free(&plan);
	parse_ok(HEAD "  duration: 1m\n  abortWhen: [{target: web, metric: tcp.retransmits, "
		      "above: 5}]\n" TARGETS,
		 &plan);
	assert_int_equal(plan.nobserved, 0);
	assert_int_equal(plan.nconditions, 1);
	plan_free(&plan);
}

static void test_json_sections(void **state)
{
	static const char text[] =
		"{\"apiVersion\": \"faultline/v1\", \"kind\": \"FaultPlan\", \"metadata\": {\"name\": "
		"\"j\"}, \"spec\": {\"duration\": \"1m\", \"targets\": {\"web\": {\"pods\": [\"" POD_A
		"\"]}}, \"faults\": [{\"name\": \"d\", \"target\": \"web\", \"blackhole\": {}}], "
		"\"observe\": {\"pods\": [\"" POD_C "\"]}, \"abortWhen\": [{\"target\": \"web\", "
		"\"metric\": \"fault.dropped\", \"above\": 0}, {\"target\": \"observed\", \"metric\": "
		"\"tcp.rtt.p99\", \"above\": \"1ms\", \"for\": \"2s\"}]}}";
	struct plan plan;

	(void)state;
	parse_ok(text, &plan);
	assert_int_equal(plan.nobserved, 1);
	assert_int_equal(plan.nconditions, 2);
	assert_condition(&plan.conditions[0], 0, PLAN_METRIC_FAULT_DROPPED, "fault.dropped", false,
			 0, 0);
	assert_condition(&plan.conditions[1], PLAN_OBSERVED, PLAN_METRIC_RTT_P99, "tcp.rtt.p99",
			 true, MS_NS, 2000);
	plan_free(&plan);
}

/* The bounds of a threshold and of for. */
static void test_thresholds(void **state)
{
	struct plan plan;

	(void)state;
	parse_ok(HEAD "  duration: 10m\n  abortWhen:\n"
		      "    - {target: web, metric: tcp.connect.failed, above: 18446744073709551615}\n"
		      "    - {target: web, metric: tcp.rtt.p99, above: 0ms}\n"
		      "    - {target: web, metric: tcp.rtt.p99, above: 0.5us, for: 10m}\n" TARGETS,
		 &plan);
	assert_int_equal(plan.conditions[0].above, UINT64_MAX);
	assert_int_equal(plan.conditions[1].above, 0);
	assert_int_equal(plan.conditions[2].above, 500);
	assert_int_equal(plan.conditions[2].for_ms, 10 * 60 * 1000);
	plan_free(&plan);

	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: tcp.connect.failed, "
				"above: 18446744073709551616}\n" TARGETS,
			   "t.yaml:7:56: spec.abortWhen[0].above: \"18446744073709551616\" is too "
			   "large");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: tcp.connect.failed, above: -1}\n" TARGETS,
			   "t.yaml:7:56: spec.abortWhen[0].above: tcp.connect.failed is a count: "
			   "give a number such as 20");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: syscall.write.p99, above: 3}\n" TARGETS,
			   "t.yaml:7:55: spec.abortWhen[0].above: syscall.write.p99 is a latency: "
			   "give a time such as 250ms");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: tcp.rtt.p99, above: 1ms, for: 10m1ms}\n"
				TARGETS,
			   "t.yaml:7:59: spec.abortWhen[0].for: \"10m1ms\" is longer than "
			   "spec.duration (10m): the condition could never hold that long");
}

/* What each metric needs of its target. */
static void test_metric_and_target(void **state)
{
	struct plan plan;

	(void)state;
	/* a count and a latency on the cgroups target; fault.dropped on every kind that drops */
	parse_ok(HEAD "  duration: 10m\n  abortWhen:\n"
		      "    - {target: batch, metric: tcp.connect.failed, above: 1}\n"
		      "    - {target: batch, metric: syscall.read.p99, above: 1ms}\n"
		      "    - {target: web, metric: fault.dropped, above: 1}\n"
		      "    - {target: edge, metric: fault.dropped, above: 1}\n" TARGETS,
		 &plan);
	plan_free(&plan);

	/* a Gilbert-Elliott loss is netem's: its drops are not in the counters */
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen: [{target: lab, metric: fault.dropped, "
				"above: 1}]\n"
				"  targets: {lab: {netns: [/run/netns/lab]}}\n"
				"  faults: [{name: ge, target: lab, loss: {model: gilbert-elliott, p: 1, "
				"r: 10}}]\n",
			   "t.yaml:6:37: spec.abortWhen[0].metric: no fault of target \"lab\" drops "
			   "packets in eBPF (a blackhole, or a loss without a delay, rate or netem): "
			   "fault.dropped stays 0 and the condition could never hold");
	/* nor a loss beside a delay, which backend auto may give to netem */
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen: [{target: lab, metric: fault.dropped, "
				"above: 1}]\n"
				"  targets: {lab: {netns: [/run/netns/lab]}}\n"
				"  faults: [{name: ld, target: lab, loss: {percent: 5}, "
				"delay: {time: 10ms}}]\n",
			   "t.yaml:6:37: spec.abortWhen[0].metric: no fault of target \"lab\" drops "
			   "packets in eBPF (a blackhole, or a loss without a delay, rate or netem): "
			   "fault.dropped stays 0 and the condition could never hold");
	/* a loss alone is eBPF's */
	parse_ok(HEAD "  duration: 10m\n  abortWhen: [{target: lab, metric: fault.dropped, "
		      "above: 1}]\n"
		      "  targets: {lab: {netns: [/run/netns/lab]}}\n"
		      "  faults: [{name: l, target: lab, loss: {percent: 5}}]\n",
		 &plan);
	plan_free(&plan);

	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: batch, metric: fault.dropped, above: 1}\n" TARGETS,
			   "t.yaml:7:31: spec.abortWhen[0].metric: no fault of target \"batch\" "
			   "drops packets in eBPF (a blackhole, or a loss without a delay, rate or "
			   "netem): fault.dropped stays 0 and the condition could never hold");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: edge, metric: tcp.connect.p99, above: 1ms}\n" TARGETS,
			   "t.yaml:7:30: spec.abortWhen[0].metric: target \"edge\" is an interfaces "
			   "target: the tracer measures pods and cgroups; only fault.dropped applies "
			   "to it");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: observed, metric: tcp.rtt.p99, above: 1ms}\n" TARGETS,
			   "t.yaml:7:16: spec.abortWhen[0].target: target \"observed\" needs a "
			   "spec.observe section: list the pods to watch there, or name a target of "
			   "spec.targets");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: wbe, metric: tcp.rtt.p99, above: 1ms}\n" TARGETS,
			   "t.yaml:7:16: spec.abortWhen[0].target: unknown target \"wbe\": did you "
			   "mean \"web\"?");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: observd, metric: tcp.rtt.p99, above: 1ms}\n"
				"  observe: {pods: [" POD_C "]}\n" TARGETS,
			   "t.yaml:7:16: spec.abortWhen[0].target: unknown target \"observd\": did "
			   "you mean \"observed\"?");
}

static void test_metric_names(void **state)
{
	static const struct {
		enum plan_metric metric;
		const char *name;
	} names[] = {
		{PLAN_METRIC_CONNECT_FAILED, "tcp.connect.failed"},
		{PLAN_METRIC_CONNECT_P99, "tcp.connect.p99"},
		{PLAN_METRIC_RTT_P99, "tcp.rtt.p99"},
		{PLAN_METRIC_RETRANSMITS, "tcp.retransmits"},
		{PLAN_METRIC_SYSCALL_P99, "syscall.NAME.p99"},
		{PLAN_METRIC_FAULT_DROPPED, "fault.dropped"},
		{(enum plan_metric)99, "unknown"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(plan_metric_name(names[i].metric), names[i].name);
}

/* Unknown metrics and syscalls, with the closest as a hint. */
static void test_metric_errors(void **state)
{
	(void)state;
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: tcp.rtt.p95, above: 1ms}\n" TARGETS,
			   "t.yaml:7:29: spec.abortWhen[0].metric: unknown metric \"tcp.rtt.p95\": "
			   "did you mean \"tcp.rtt.p99\"? use tcp.connect.failed, tcp.connect.p99, "
			   "tcp.rtt.p99, tcp.retransmits, syscall.NAME.p99 or fault.dropped");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: syscall.no_such_call.p99, above: 1ms}\n"
				TARGETS,
			   "t.yaml:7:29: spec.abortWhen[0].metric: unknown syscall "
			   "\"no_such_call\": not a syscall of this architecture");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: syscall..p99, above: 1ms}\n" TARGETS,
			   "t.yaml:7:29: spec.abortWhen[0].metric: \"syscall..p99\" is not a syscall "
			   "metric: use syscall.NAME.p99, e.g. syscall.read.p99");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: syscall.read, above: 1ms}\n" TARGETS,
			   "t.yaml:7:29: spec.abortWhen[0].metric: \"syscall.read\" is not a syscall "
			   "metric: use syscall.NAME.p99, e.g. syscall.read.p99");
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen:\n"
				"    - {target: web, metric: [tcp.rtt.p99], above: 1ms}\n" TARGETS,
			   "t.yaml:7:29: spec.abortWhen[0].metric: expected a metric such as "
			   "tcp.connect.failed, got a list");
}

/* Observed ids: checked as targets' are, never a target's too, wherever the targets are. */
static void test_observe_errors(void **state)
{
	(void)state;
	assert_parse_error(HEAD "  duration: 10m\n" TARGETS "  observe:\n"
				"    cgroups: [shop/ctl]\n"
				"    pods: [" POD_C ", " POD_A "]\n",
			   "t.yaml:16:50: spec.observe.pods[1]: pod \"" POD_A "\" is a target of the "
			   "plan at line 7: an observed pod is not faulted");
	assert_parse_error(HEAD "  duration: 10m\n  observe: {cgroups: [shop/ctl, shop//ctl/]}\n"
				TARGETS,
			   "t.yaml:6:33: spec.observe.cgroups[1]: cgroup \"shop//ctl/\" is already "
			   "listed at line 6");
	assert_parse_error(HEAD "  duration: 10m\n  observe: {pods: []}\n" TARGETS,
			   "t.yaml:6:19: spec.observe.pods: empty list: give at least one pod");
	assert_parse_error(HEAD "  duration: 10m\n  observe:\n" TARGETS,
			   "t.yaml:6:11: spec.observe: expected a mapping with pods, cgroups or both, "
			   "got null");
	assert_parse_error(HEAD "  duration: 10m\n  observe: {interfaces: [eth0]}\n" TARGETS,
			   "t.yaml:6:13: spec.observe: unknown field \"interfaces\"");
}

/* The first error in document order: one in abortWhen before one in the faults after it. */
static void test_first_error_first(void **state)
{
	(void)state;
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen: [{target: web, metric: x.y, "
				"above: 1}]\n"
				"  targets: {web: {pods: [" POD_A "]}}\n"
				"  faults: [{name: d, target: nowhere, blackhole: {}}]\n",
			   "t.yaml:6:37: spec.abortWhen[0].metric: unknown metric \"x.y\": use "
			   "tcp.connect.failed, tcp.connect.p99, tcp.rtt.p99, tcp.retransmits, "
			   "syscall.NAME.p99 or fault.dropped");
	/* the faults' targets are linked before the conditions' */
	assert_parse_error(HEAD "  duration: 10m\n  abortWhen: [{target: nobody, metric: "
				"tcp.retransmits, above: 1}]\n"
				"  targets: {web: {pods: [" POD_A "]}}\n"
				"  faults: [{name: d, target: nowhere, blackhole: {}}]\n",
			   "t.yaml:8:30: spec.faults[0].target: unknown target \"nowhere\": spec.targets "
			   "does not define it");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_metric_in_any_order),
		cmocka_unit_test(test_sections_are_optional),
		cmocka_unit_test(test_json_sections),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_metric_and_target),
		cmocka_unit_test(test_metric_names),
		cmocka_unit_test(test_metric_errors),
		cmocka_unit_test(test_observe_errors),
		cmocka_unit_test(test_first_error_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
