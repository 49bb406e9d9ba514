// SPDX-License-Identifier: GPL-2.0-only
/*
 * The experiment runner's pure parts: abort conditions (values over pods merged, counts and
 * latencies, for-windows in intervals, streaks broken by an interval that does not hold or has
 * no samples), phases added up from intervals, and report.json against a golden file
 * (tests/data/report-golden.json; FAULTLINE_GOLDEN_UPDATE=1 rewrites it after a deliberate change).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/run_report.h"
#include "common/error.h"
#include "common/hist.h"
#include "experiment/conditions.h"
#include "experiment/run.h"
#include "plan/plan.h"

#define MS 1000000ULL
#define GOLDEN "tests/data/report-golden.json"

static void record(struct hist *h, uint64_t v_ns, bool failed)
{
	h->count++;
	if (failed) {
		h->errors++;
		return;
	}
	h->total_ns += v_ns;
	if (v_ns > h->max_ns)
		h->max_ns = v_ns;
	h->buckets[hist_bucket(v_ns)]++;
}

static struct plan_condition condition(enum plan_metric metric, uint64_t above, uint64_t for_ms)
{
	return (struct plan_condition){
		.metric = metric,
		.latency = metric == PLAN_METRIC_CONNECT_P99 || metric == PLAN_METRIC_RTT_P99 ||
			   metric == PLAN_METRIC_SYSCALL_P99,
		.above = above,
		.for_ms = for_ms,
		.syscall_nr = -1,
	};
}

/* ---- conditions ----------------------------------------------------------------------------- */

static void test_intervals_needed(void **state)
{
	struct plan_condition c = condition(PLAN_METRIC_CONNECT_FAILED, 3, 0);

	(void)state;
	assert_int_equal(cond_intervals_needed(&c, 1000), 1); /* no for: the first interval */
	c.for_ms = 1000;
	assert_int_equal(cond_intervals_needed(&c, 1000), 1);
	c.for_ms = 3000;
	assert_int_equal(cond_intervals_needed(&c, 1000), 3);
	c.for_ms = 2500; /* rounded up: held for at least its for */
	assert_int_equal(cond_intervals_needed(&c, 1000), 3);
	c.for_ms = 500; /* shorter than an interval: one */
	assert_int_equal(cond_intervals_needed(&c, 1000), 1);
	c.for_ms = 5000;
	assert_int_equal(cond_intervals_needed(&c, 250), 20);
}

static void test_count_streak(void **state)
{
	struct plan_condition c = condition(PLAN_METRIC_CONNECT_FAILED, 20, 3000);
	struct cond_state st = { 0 };

	(void)state;
	assert_false(cond_step(&c, &st, 1000, true, 21, 1000));
	assert_false(cond_step(&c, &st, 1000, true, 25, 2000));
	assert_false(cond_step(&c, &st, 1000, true, 20, 3000)); /* 20 is not above 20 */
	assert_int_equal(st.streak, 0);
	assert_false(cond_step(&c, &st, 1000, true, 30, 4000));
	assert_false(cond_step(&c, &st, 1000, true, 30, 5000));
	assert_true(cond_step(&c, &st, 1000, true, 30, 6000));
	assert_int_equal(st.first_held_ms, 4000);
}

static void test_latency_without_samples_breaks(void **state)
{
	struct plan_condition c = condition(PLAN_METRIC_RTT_P99, 250 * MS, 2000);
	struct cond_state st = { 0 };

	(void)state;
	assert_false(cond_step(&c, &st, 1000, true, 300 * MS, 1000));
	assert_false(cond_step(&c, &st, 1000, false, 0, 2000)); /* no samples: does not hold */
	assert_false(cond_step(&c, &st, 1000, true, 300 * MS, 3000));
	assert_true(cond_step(&c, &st, 1000, true, 251 * MS, 4000));
	assert_int_equal(st.first_held_ms, 3000);
}

static void test_value_counts_sum_pods(void **state)
{
	struct trace_target a = { 0 }, b = { 0 };
	const struct trace_target *pods[] = { &a, &b };
	struct plan_condition failed = condition(PLAN_METRIC_CONNECT_FAILED, 0, 0);
	struct plan_condition retrans = condition(PLAN_METRIC_RETRANSMITS, 0, 0);
	struct plan_condition dropped = condition(PLAN_METRIC_FAULT_DROPPED, 0, 0);
	uint64_t v;

	(void)state;
	record(&a.connect, 0, true);
	record(&a.connect, 0, true);
	record(&a.connect, 100 * 1000, false);
	record(&b.connect, 0, true);
	a.retransmits = 4;
	b.retransmits = 5;
	assert_true(cond_value(&failed, pods, 2, 0, &v));
	assert_int_equal(v, 3);
	assert_true(cond_value(&retrans, pods, 2, 0, &v));
	assert_int_equal(v, 9);
	assert_true(cond_value(&dropped, pods, 2, 42, &v));
	assert_int_equal(v, 42);
	/* a count always has a value: none is 0, which does not hold */
	assert_true(cond_value(&failed, pods, 0, 0, &v));
	assert_int_equal(v, 0);
}

static void test_value_latency_merged(void **state)
{
	struct trace_target a = { 0 }, b = { 0 };
	const struct trace_target *pods[] = { &a, &b };
	struct plan_condition rtt = condition(PLAN_METRIC_RTT_P99, 0, 0);
	struct plan_condition connect = condition(PLAN_METRIC_CONNECT_P99, 0, 0);
	struct plan_condition sc = condition(PLAN_METRIC_SYSCALL_P99, 0, 0);
	struct trace_syscall calls[1] = { { .nr = 35 } };
	uint64_t v;
	int i;

	(void)state;
	/* 98 fast samples on a, 2 slow on b: the merged p99 is b's */
	for (i = 0; i < 98; i++)
		record(&a.rtt, 1 * MS, false);
	record(&b.rtt, 200 * MS, false);
	record(&b.rtt, 200 * MS, false);
	assert_true(cond_value(&rtt, pods, 2, 0, &v));
	assert_in_range(v, 200 * MS - 200 * MS / 16, 200 * MS);
	/* a alone: fast */
	assert_true(cond_value(&rtt, pods, 1, 0, &v));
	assert_in_range(v, 1 * MS - MS / 16, 1 * MS + MS / 16);
	/* only failed connects: no latency sample */
	record(&a.connect, 0, true);
	assert_false(cond_value(&connect, pods, 2, 0, &v));
	/* a syscall's p99 by its number, other syscalls not counted */
	record(&calls[0].h, 5 * MS, false);
	b.syscalls = calls;
	b.nsyscalls = 1;
	sc.syscall_nr = 35;
	assert_true(cond_value(&sc, pods, 2, 0, &v));
	assert_in_range(v, 5 * MS - 5 * MS / 16, 5 * MS);
	sc.syscall_nr = 0;
	assert_false(cond_value(&sc, pods, 2, 0, &v));
}

/* ---- phases added up ------------------------------------------------------------------------ */

static void test_target_add(void **state)
{
	struct trace_target acc = { 0 }, d1 = { 0 }, d2 = { 0 };
	struct trace_syscall s1[2] = { { .nr = 0, .name = "read" }, { .nr = 1, .name = "write" } };
	struct trace_syscall s2[1] = { { .nr = 1, .name = "write" } };
	struct trace_drop dr1[1] = { { .reason = 7, .name = "TC_EGRESS", .count = 3 } };
	struct trace_drop dr2[2] = { { .reason = 7, .name = "TC_EGRESS", .count = 2 },
				     { .reason = 2, .name = "NOT_SPECIFIED", .count = 9 } };

	(void)state;
	record(&s1[0].h, 10, false);
	record(&s1[1].h, 100, false);
	record(&s2[0].h, 1000, false);
	record(&d1.connect, 50, false);
	record(&d2.connect, 0, true);
	d1.syscalls = s1;
	d1.nsyscalls = 2;
	d1.drops = dr1;
	d1.ndrops = 1;
	d1.retransmits = 1;
	d2.syscalls = s2;
	d2.nsyscalls = 1;
	d2.drops = dr2;
	d2.ndrops = 2;
	d2.retransmits = 2;
	assert_int_equal(engine_trace_target_add(&acc, &d1), 0);
	assert_int_equal(engine_trace_target_add(&acc, &d2), 0);
	assert_int_equal(acc.nsyscalls, 2);
	assert_string_equal(acc.syscalls[0].name, "write"); /* the most time first */
	assert_int_equal(acc.syscalls[0].h.count, 2);
	assert_int_equal(acc.syscalls[0].h.total_ns, 1100);
	assert_int_equal(acc.syscalls[1].h.count, 1);
	assert_int_equal(acc.connect.count, 2);
	assert_int_equal(acc.connect.errors, 1);
	assert_int_equal(acc.retransmits, 3);
	assert_int_equal(acc.ndrops, 2);
	assert_string_equal(acc.drops[0].name, "NOT_SPECIFIED"); /* the most first */
	assert_int_equal(acc.drops[1].count, 5);
	free(acc.syscalls);
	free(acc.drops);
}

/* ---- report.json ---------------------------------------------------------------------------- */

static const char golden_plan[] =
	"apiVersion: faultline/v1\n"
	"kind: FaultPlan\n"
	"metadata: {name: golden}\n"
	"spec:\n"
	"  duration: 4s\n"
	"  targets:\n"
	"    a: {pods: [11111111-2222-3333-4444-555555555555]}\n"
	"    lan: {interfaces: [veth-golden]}\n"
	"  faults:\n"
	"    - {name: db-down, target: a, match: {cidrs: [10.0.0.2]}, blackhole: {}}\n"
	"    - {name: slow, target: lan, delay: {time: 20ms}}\n"
	"  observe: {pods: [66666666-7777-8888-9999-000000000000]}\n"
	"  abortWhen:\n"
	"    - {target: a, metric: tcp.connect.failed, above: 3, for: 1s}\n"
	"    - {target: observed, metric: syscall.read.p99, above: 250ms}\n";

/* A run made up by hand: 2 intervals of baseline, 2 of fault (aborted), 1 of recovery. */
static void golden_result(struct experiment_result *r, const struct plan *plan)
{
	static const enum experiment_phase phases[] = { EXPERIMENT_BASELINE, EXPERIMENT_BASELINE,
							EXPERIMENT_FAULT, EXPERIMENT_FAULT,
							EXPERIMENT_RECOVERY };
	const size_t n = sizeof(phases) / sizeof(phases[0]);
	size_t i, p;

	memset(r, 0, sizeof(*r));
	r->plan = plan;
	snprintf(r->version, sizeof(r->version), "9.9.9");
	snprintf(r->hostname, sizeof(r->hostname), "node-1");
	snprintf(r->kernel, sizeof(r->kernel), "6.18.0 #1 SMP");
	r->start_unix_ms = 1764650100000;
	r->end_unix_ms = 1764650105100;
	r->interval_ms = 1000;
	r->phases[EXPERIMENT_BASELINE] = (struct experiment_span){ true, 0, 2000 };
	r->phases[EXPERIMENT_FAULT] = (struct experiment_span){ true, 2000, 4020 };
	r->phases[EXPERIMENT_RECOVERY] = (struct experiment_span){ true, 4020, 5020 };
	r->abort = (struct experiment_abort){ .fired = true, .condition = 0, .first_held_ms = 3000,
					      .fired_ms = 4000, .value = 7, .reverted_ms = 4020 };
	r->status = EXPERIMENT_ABORTED;
	snprintf(r->message, sizeof(r->message), "abortWhen[0] fired");
	r->nintervals = n;
	r->t_ms = calloc(n, sizeof(*r->t_ms));
	r->interval_phase = calloc(n, sizeof(*r->interval_phase));
	assert_non_null(r->t_ms);
	assert_non_null(r->interval_phase);
	for (i = 0; i < n; i++) {
		r->t_ms[i] = (i + 1) * 1000 + (i >= 4 ? 20 : 0);
		r->interval_phase[i] = phases[i];
	}
	r->npods = 3;
	r->pods = calloc(3, sizeof(*r->pods));
	assert_non_null(r->pods);
	snprintf(r->pods[0].id, sizeof(r->pods[0].id), "%s", plan->targets[0].ids[0].id);
	r->pods[0].kind = TARGET_POD;
	r->pods[0].traced = true;
	snprintf(r->pods[1].id, sizeof(r->pods[1].id), "veth-golden");
	r->pods[1].kind = TARGET_INTERFACE;
	r->pods[1].target = 1;
	snprintf(r->pods[2].id, sizeof(r->pods[2].id), "%s", plan->observed[0].id);
	r->pods[2].kind = TARGET_POD;
	r->pods[2].traced = true;
	r->pods[2].observed = true;
	r->pods[2].target = PLAN_OBSERVED;
	for (p = 0; p < 3; p++) {
		r->pods[p].series = calloc(n, sizeof(*r->pods[p].series));
		assert_non_null(r->pods[p].series);
	}
	r->pods[0].faults = calloc(1, sizeof(*r->pods[0].faults));
	assert_non_null(r->pods[0].faults);
	r->pods[0].nfaults = 1;
	snprintf(r->pods[0].faults[0].name, sizeof(r->pods[0].faults[0].name), "db-down");
	r->pods[0].faults[0].counters = (struct engine_counters){ 12, 720, 12, 0, 0 };
	r->pods[1].faults = calloc(1, sizeof(*r->pods[1].faults));
	assert_non_null(r->pods[1].faults);
	r->pods[1].nfaults = 1;
	snprintf(r->pods[1].faults[0].name, sizeof(r->pods[1].faults[0].name), "slow");
	r->pods[1].faults[0].counters = (struct engine_counters){ 30, 3000, 0, 0, 0 };

	/* a: 10 connects per interval of 1 ms; in the fault phase 5 and 7 of them fail */
	for (i = 0; i < n; i++) {
		struct experiment_point *pt = &r->pods[0].series[i];
		struct trace_target *ph = &r->pods[0].phases[phases[i]];
		uint64_t failed = i == 2 ? 5 : i == 3 ? 7 : 0, k;

		for (k = 0; k < 10; k++)
			record(&ph->connect, 1 * MS, k < failed);
		pt->connects = 10;
		pt->connect_failed = failed;
		pt->has_connect_p99 = failed < 10;
		pt->connect_p99_ns = hist_percentile(&ph->connect, 99);
		pt->fault_dropped = failed ? failed + 1 : 0;
		r->pods[1].series[i].fault_dropped = phases[i] == EXPERIMENT_FAULT ? 15 : 0;
		/* the observed pod: RTT samples only */
		record(&r->pods[2].phases[phases[i]].rtt, 2 * MS, false);
		r->pods[2].series[i].has_rtt_p99 = true;
		r->pods[2].series[i].rtt_p99_ns = 2 * MS;
	}
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t size = 0;

	if (!f)
		return NULL;
	text = malloc(1 << 20);
	if (text)
		size = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	if (text)
		text[size] = '\0';
	*len = size;
	return text;
}

static void test_report_golden(void **state)
{
	const char *root = getenv("FAULTLINE_SRCDIR");
	struct experiment_result r;
	struct flt_error err;
	struct plan plan;
	char path[4096], *got = NULL, *want;
	size_t got_len = 0, want_len = 0;
	FILE *mem;

	(void)state;
	assert_int_equal(plan_parse_string("golden.yaml", golden_plan, strlen(golden_plan),
					   PLAN_DEFAULT_MAX_DURATION_MS, &plan, &err),
			 0);
	golden_result(&r, &plan);
	mem = open_memstream(&got, &got_len);
	assert_non_null(mem);
	assert_int_equal(run_report_print(mem, &r), 0);
	fclose(mem);
	snprintf(path, sizeof(path), "%s/%s", root && *root ? root : ".", GOLDEN);
	if (getenv("FAULTLINE_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fwrite(got, 1, got_len, f);
		fclose(f);
	}
	want = read_all(path, &want_len);
	if (!want)
		fail_msg("%s: cannot read (run from the repository root)", path);
	if (strcmp(got, want)) {
		fprintf(stderr, "report.json differs from %s; it is now:\n%s\n", path, got);
		fail_msg("report.json differs from the golden file");
	}
	free(want);
	free(got);
	experiment_result_free(&r);
	plan_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intervals_needed),
		cmocka_unit_test(test_count_streak),
		cmocka_unit_test(test_latency_without_samples_breaks),
		cmocka_unit_test(test_value_counts_sum_pods),
		cmocka_unit_test(test_value_latency_merged),
		cmocka_unit_test(test_target_add),
		cmocka_unit_test(test_report_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
