// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's /metrics text (userspace/agent/metrics.c): one view with a plan on a pod (with
 * namespace and name) and a cgroup, and a traced pod with syscalls, connects, RTT and drops;
 * the lines it must hold, cumulative histograms, label escaping, the bounds on series. With
 * $METRICS_OUT set, the rendered text is also written there, for `promtool check metrics`
 * (tests/integration/test_metrics_format.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/metrics.h"
#include "common/hist.h"

#define POD_UID "9ac4e1f2-0b1d-4c55-8d2e-6f7a8b9c0d1e"

static struct engine_target_status targets[2];
static struct engine_fault_status faults[1];
static struct engine_plan_status plan_status[1];
static struct engine_plans plans = { .n = 1, .plans = plan_status };
static struct trace_syscall syscalls[7];
static struct trace_drop drops[7];
static struct trace_target traced;
static struct metrics_pod pods[1];

static void record(struct hist *h, uint64_t v_ns)
{
	h->count++;
	h->total_ns += v_ns;
	if (v_ns > h->max_ns)
		h->max_ns = v_ns;
	h->buckets[hist_bucket(v_ns)]++;
}

static void build_view(struct metrics_view *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	memset(plan_status, 0, sizeof(plan_status));
	memset(faults, 0, sizeof(faults));
	memset(targets, 0, sizeof(targets));
	memset(&traced, 0, sizeof(traced));
	memset(syscalls, 0, sizeof(syscalls));
	memset(drops, 0, sizeof(drops));

	snprintf(targets[0].kind, sizeof(targets[0].kind), "pod");
	snprintf(targets[0].id, sizeof(targets[0].id), POD_UID);
	snprintf(targets[0].pod_namespace, sizeof(targets[0].pod_namespace), "shop");
	snprintf(targets[0].pod_name, sizeof(targets[0].pod_name), "checkout-1");
	targets[0].counters.matched_packets = 120;
	targets[0].counters.dropped_packets = 100;
	targets[0].counters.rejected_connects = 3;
	snprintf(targets[1].kind, sizeof(targets[1].kind), "cgroup");
	snprintf(targets[1].id, sizeof(targets[1].id), "/sys/fs/cgroup/batch.slice");
	targets[1].counters.matched_packets = 7;
	targets[1].counters.dropped_packets = 5;

	snprintf(faults[0].name, sizeof(faults[0].name), "drop-db");
	snprintf(faults[0].target, sizeof(faults[0].target), "web");
	faults[0].ntargets = 2;
	faults[0].targets = targets;

	snprintf(plan_status[0].name, sizeof(plan_status[0].name), "db-outage");
	plan_status[0].remaining_ms = 61500;
	plan_status[0].nfaults = 1;
	plan_status[0].faults = faults;

	/* 7 syscalls by total time, largest first: only the first 5 are shown */
	for (i = 0; i < 7; i++) {
		syscalls[i].nr = (int)i;
		snprintf(syscalls[i].name, sizeof(syscalls[i].name), "sys%zu", i);
		record(&syscalls[i].h, 500);		  /* below 1.024 us */
		record(&syscalls[i].h, 2000);		  /* below 4.096 us */
		record(&syscalls[i].h, 10000000000ULL); /* 10 s: only in +Inf */
	}
	snprintf(syscalls[0].name, sizeof(syscalls[0].name), "read");
	traced.nsyscalls = 7;
	traced.syscalls = syscalls;
	record(&traced.connect, 1500000); /* 1.5 ms */
	traced.connect.count++;		  /* a failed connect: counted, in no bucket */
	traced.connect.errors++;
	record(&traced.rtt, 200000);
	record(&traced.rtt, 300000);
	traced.retransmits = 4;
	for (i = 0; i < 7; i++) {
		drops[i].reason = (uint32_t)i + 2;
		snprintf(drops[i].name, sizeof(drops[i].name), "REASON_%zu", i);
		drops[i].count = 100 - i;
	}
	snprintf(drops[0].name, sizeof(drops[0].name), "NETFILTER_DROP");
	traced.ndrops = 7;
	traced.drops = drops;
	snprintf(traced.id, sizeof(traced.id), POD_UID);
	traced.kind = "pod";

	pods[0].uid = POD_UID;
	pods[0].ns = "shop";
	pods[0].name = "checkout-1";
	pods[0].totals = &traced;

	v->plans = &plans;
	v->errors[AGENT_ERR_INVALID] = 2;
	v->errors[AGENT_ERR_POLICY] = 1;
	v->npods = 1;
	v->pods = pods;
	v->tracer = true;
	v->frozen = false;
	v->files = 3;
}

/* Is line a whole line of text? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
		p++;
	}
	return false;
}

#define assert_line(text, line)                                                                   \
	do {                                                                                      \
		if (!has_line(text, line))                                                        \
			fail_msg("no line '%s' in:\n%s", line, text);                             \
	} while (0)

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *p = text;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, len))
			n++;
	return n;
}

static char *render(const struct metrics_view *v)
{
	char *text = metrics_render(v);

	assert_non_null(text);
	return text;
}

static void test_plans_and_faults(void **state)
{
	struct metrics_view v;
	char *text;

	(void)state;
	build_view(&v);
	text = render(&v);
	assert_line(text, "# HELP faultline_plan_active 1 for each plan active on this node.");
	assert_line(text, "# TYPE faultline_plan_active gauge");
	assert_line(text, "faultline_plan_active{plan=\"db-outage\"} 1");
	assert_line(text, "faultline_plan_remaining_seconds{plan=\"db-outage\"} 61.5");
	assert_line(text, "# TYPE faultline_fault_dropped_packets_total counter");
	assert_line(text, "faultline_fault_dropped_packets_total{plan=\"db-outage\","
			  "fault=\"drop-db\","
			  "target=\"" POD_UID "\",pod_uid=\"" POD_UID "\",namespace=\"shop\","
			  "pod=\"checkout-1\"} 100");
	assert_line(text, "faultline_fault_matched_packets_total{plan=\"db-outage\","
			  "fault=\"drop-db\","
			  "target=\"" POD_UID "\",pod_uid=\"" POD_UID "\",namespace=\"shop\","
			  "pod=\"checkout-1\"} 120");
	assert_line(text, "faultline_fault_rejected_connects_total{plan=\"db-outage\","
			  "fault=\"drop-db\",target=\"" POD_UID "\",pod_uid=\"" POD_UID "\","
			  "namespace=\"shop\",pod=\"checkout-1\"} 3");
	/* a cgroup target: its own target label, no pod labels */
	assert_line(text, "faultline_fault_dropped_packets_total{plan=\"db-outage\","
			  "fault=\"drop-db\","
			  "target=\"/sys/fs/cgroup/batch.slice\",pod_uid=\"\",namespace=\"\","
			  "pod=\"\"} 5");
	free(text);
}

static void test_errors_and_agent_state(void **state)
{
	struct metrics_view v;
	char *text;

	(void)state;
	build_view(&v);
	v.frozen = true;
	text = render(&v);
	assert_line(text, "faultline_plan_errors_total{reason=\"invalid\"} 2");
	assert_line(text, "faultline_plan_errors_total{reason=\"policy\"} 1");
	assert_line(text, "faultline_plan_errors_total{reason=\"frozen\"} 0");
	assert_line(text, "faultline_plan_errors_total{reason=\"conflict\"} 0");
	assert_line(text, "faultline_plan_errors_total{reason=\"apply\"} 0");
	assert_line(text, "faultline_plan_errors_total{reason=\"revert\"} 0");
	assert_int_equal(count_prefix(text, "faultline_plan_errors_total{"), AGENT_ERR_REASONS);
	assert_line(text, "faultline_frozen 1");
	assert_line(text, "faultline_plan_files 3");
	assert_line(text, "faultline_tracer_up 1");
	assert_string_equal(agent_error_reason_name(AGENT_ERR_REASONS), "unknown");
	free(text);
}

#define POD_LABELS "pod_uid=\"" POD_UID "\",namespace=\"shop\",pod=\"checkout-1\""

static void test_tracer_figures(void **state)
{
	struct metrics_view v;
	char *text;

	(void)state;
	build_view(&v);
	text = render(&v);
	assert_line(text, "# TYPE faultline_syscall_latency_seconds histogram");
	assert_line(text, "faultline_syscall_latency_seconds_bucket{" POD_LABELS
			  ",syscall=\"read\",le=\"1.024e-06\"} 1");
	assert_line(text, "faultline_syscall_latency_seconds_bucket{" POD_LABELS
			  ",syscall=\"read\",le=\"4.096e-06\"} 2");
	assert_line(text, "faultline_syscall_latency_seconds_bucket{" POD_LABELS
			  ",syscall=\"read\",le=\"4.294967296\"} 2");
	assert_line(text, "faultline_syscall_latency_seconds_bucket{" POD_LABELS
			  ",syscall=\"read\",le=\"+Inf\"} 3");
	assert_line(text, "faultline_syscall_latency_seconds_count{" POD_LABELS
			  ",syscall=\"read\"} 3");
	assert_line(text, "faultline_syscall_latency_seconds_sum{" POD_LABELS
			  ",syscall=\"read\"} 10.000002500");
	/* top 5 syscalls only: 13 buckets each */
	assert_int_equal(count_prefix(text, "faultline_syscall_latency_seconds_bucket{"),
			 METRICS_TOP_SYSCALLS * 13);
	assert_int_equal(count_prefix(text, "faultline_syscall_latency_seconds_count{"),
			 METRICS_TOP_SYSCALLS);
	assert_null(strstr(text, "syscall=\"sys5\""));
	/* connects: the failure is counted apart, not in the histogram */
	assert_line(text, "faultline_tcp_connect_latency_seconds_bucket{" POD_LABELS
			  ",le=\"0.001048576\"} 0");
	assert_line(text, "faultline_tcp_connect_latency_seconds_bucket{" POD_LABELS
			  ",le=\"0.004194304\"} 1");
	assert_line(text, "faultline_tcp_connect_latency_seconds_count{" POD_LABELS "} 1");
	assert_line(text, "faultline_tcp_connect_latency_seconds_sum{" POD_LABELS "} 0.001500000");
	assert_line(text, "faultline_tcp_connect_failures_total{" POD_LABELS "} 1");
	assert_line(text, "faultline_tcp_rtt_seconds_bucket{" POD_LABELS ",le=\"0.000262144\"} 1");
	assert_line(text, "faultline_tcp_rtt_seconds_bucket{" POD_LABELS ",le=\"0.001048576\"} 2");
	assert_line(text, "faultline_tcp_rtt_seconds_count{" POD_LABELS "} 2");
	assert_line(text, "faultline_tcp_retransmits_total{" POD_LABELS "} 4");
	assert_line(text, "faultline_drops_total{" POD_LABELS ",reason=\"NETFILTER_DROP\"} 100");
	assert_int_equal(count_prefix(text, "faultline_drops_total{"), METRICS_TOP_DROPS);
	free(text);
}

static void test_no_tracer_no_figures(void **state)
{
	struct metrics_view v;
	char *text;

	(void)state;
	build_view(&v);
	v.tracer = false;
	text = render(&v);
	assert_line(text, "faultline_tracer_up 0");
	assert_line(text, "# TYPE faultline_tcp_rtt_seconds histogram");
	assert_null(strstr(text, "faultline_tcp_rtt_seconds_bucket"));
	assert_null(strstr(text, "faultline_drops_total{"));
	free(text);
}

/* Families in their fixed order, each with HELP then TYPE, even with nothing active. */
static void test_empty_view_fixed_order(void **state)
{
	static const char *const order[] = {
		"faultline_plan_active",
		"faultline_plan_remaining_seconds",
		"faultline_fault_matched_packets_total",
		"faultline_fault_dropped_packets_total",
		"faultline_fault_rejected_connects_total",
		"faultline_plan_errors_total",
		"faultline_frozen",
		"faultline_plan_files",
		"faultline_tracer_up",
		"faultline_syscall_latency_seconds",
		"faultline_tcp_connect_latency_seconds",
		"faultline_tcp_connect_failures_total",
		"faultline_tcp_rtt_seconds",
		"faultline_tcp_retransmits_total",
		"faultline_drops_total",
	};
	struct metrics_view v = { 0 };
	const char *prev = NULL;
	char *text, want[128];
	size_t i;

	(void)state;
	text = render(&v);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *p;

		snprintf(want, sizeof(want), "# HELP %s ", order[i]);
		p = strstr(text, want);
		assert_non_null(p);
		assert_true(!prev || p > prev);
		snprintf(want, sizeof(want), "\n# TYPE %s ", order[i]);
		assert_non_null(strstr(p, want));
		prev = p;
	}
	assert_int_equal(count_prefix(text, "# HELP "), sizeof(order) / sizeof(order[0]));
	free(text);
}

static void test_label_escaping(void **state)
{
	struct metrics_view v;
	char *text;

	(void)state;
	build_view(&v);
	snprintf(targets[0].pod_name, sizeof(targets[0].pod_name), "a\"b\\c\nd");
	pods[0].name = "x\\\"\n";
	text = render(&v);
	assert_non_null(strstr(text, ",pod=\"a\\\"b\\\\c\\nd\"} 100\n"));
	assert_non_null(strstr(text, "faultline_tcp_retransmits_total{pod_uid=\"" POD_UID
				     "\",namespace=\"shop\",pod=\"x\\\\\\\"\\n\"} 4\n"));
	free(text);
	pods[0].name = "checkout-1";
}

/* More pods than METRICS_MAX_PODS: only the first are shown. */
static void test_pod_bound(void **state)
{
	struct metrics_pod many[METRICS_MAX_PODS + 10];
	char uids[METRICS_MAX_PODS + 10][40];
	struct metrics_view v;
	char *text;
	size_t i;

	(void)state;
	build_view(&v);
	for (i = 0; i < METRICS_MAX_PODS + 10; i++) {
		snprintf(uids[i], sizeof(uids[i]), "uid-%zu", i);
		many[i] = pods[0];
		many[i].uid = uids[i];
	}
	v.pods = many;
	v.npods = METRICS_MAX_PODS + 10;
	text = render(&v);
	assert_int_equal(count_prefix(text, "faultline_tcp_retransmits_total{"), METRICS_MAX_PODS);
	free(text);
}

/* The full view's text into $METRICS_OUT, for promtool. */
static void test_write_out(void **state)
{
	const char *path = getenv("METRICS_OUT");
	struct metrics_view v;
	char *text;
	FILE *f;

	(void)state;
	if (!path || !*path)
		skip();
	build_view(&v);
	text = render(&v);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plans_and_faults),
		cmocka_unit_test(test_errors_and_agent_state),
		cmocka_unit_test(test_tracer_figures),
		cmocka_unit_test(test_no_tracer_no_figures),
		cmocka_unit_test(test_empty_view_fixed_order),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_pod_bound),
		cmocka_unit_test(test_write_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
