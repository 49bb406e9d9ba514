// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's /metrics in Prometheus' text exposition format 0.0.4, rendered from a
 * struct metrics_view (what the agent read from the engine and the tracer this interval).
 * Every family gets HELP and TYPE, in a fixed order, whether or not it has samples, so that a
 * scrape's shape does not depend on what is active. docs/agent-metrics.md lists each family,
 * its labels and the bound on its series; the comments on the family table below give the same
 * bounds, derived from the engine's own limits.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/metrics.h"
#include "common/hist.h"

static const char *const reason_names[AGENT_ERR_REASONS] = {
	[AGENT_ERR_INVALID] = "invalid", [AGENT_ERR_POLICY] = "policy",
	[AGENT_ERR_FROZEN] = "frozen",	 [AGENT_ERR_CONFLICT] = "conflict",
	[AGENT_ERR_APPLY] = "apply",	 [AGENT_ERR_REVERT] = "revert",
};

const char *agent_error_reason_name(enum agent_error_reason r)
{
	if ((unsigned int)r >= AGENT_ERR_REASONS || !reason_names[r])
		return "unknown";
	return reason_names[r];
}

/*
 * Histogram bounds: powers of 4 from 2^10 ns (1.024 us) to 2^32 ns (4.29 s), then +Inf. Each is
 * an edge of the tracer's buckets (common/hist.h: a bucket ends at 2^k - 1 ns for every k >= 4),
 * so a cumulative count is exact: le="1.024e-06" counts the values below 1024 ns. A fixed set,
 * the same for every histogram, keeps each histogram at 12 + 1 buckets whatever the tracer saw.
 */
#define LE_FIRST_LOG2 10
#define LE_LAST_LOG2 32
#define LE_STEP_LOG2 2

/* A label value, escaped as the text format wants: backslash, double quote and newline. */
static void put_label_value(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* Labels as name/value pairs, NULL-terminated: {a="x",b="y"}; nothing for none. */
static void put_labels(FILE *f, const char *const *kv)
{
	size_t i;

	if (!kv || !kv[0])
		return;
	fputc('{', f);
	for (i = 0; kv[i]; i += 2) {
		fprintf(f, "%s%s=\"", i ? "," : "", kv[i]);
		put_label_value(f, kv[i + 1]);
		fputc('"', f);
	}
	fputc('}', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	/* HELP texts are ours: no backslash or newline to escape */
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(FILE *f, const char *name, const char *const *kv, uint64_t v)
{
	fputs(name, f);
	put_labels(f, kv);
	fprintf(f, " %" PRIu64 "\n", v);
}

static void sample_double(FILE *f, const char *name, const char *const *kv, double v)
{
	fputs(name, f);
	put_labels(f, kv);
	fprintf(f, " %.9g\n", v);
}

/*
 * One histogram's series: cumulative buckets at the fixed bounds, +Inf, _sum and _count.
 * kv holds the series' labels with two free slots at its end (before the NULL) for le.
 */
static void histogram(FILE *f, const char *name, const char **kv, size_t nkv,
		      const struct hist *h)
{
	char bucket[128], sum[128], count[128], le[32];
	uint64_t cum = 0;
	unsigned int b = 0, k;

	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	snprintf(sum, sizeof(sum), "%s_sum", name);
	snprintf(count, sizeof(count), "%s_count", name);
	kv[nkv] = "le";
	kv[nkv + 1] = le;
	kv[nkv + 2] = NULL;
	for (k = LE_FIRST_LOG2; k <= LE_LAST_LOG2; k += LE_STEP_LOG2) {
		uint64_t bound_ns = 1ULL << k;

		for (; b < FLT_TR_BUCKETS && hist_le_ns(b) < bound_ns; b++)
			cum += h->buckets[b];
		snprintf(le, sizeof(le), "%.10g", (double)bound_ns / 1e9);
		sample_u64(f, bucket, kv, cum);
	}
	for (; b < FLT_TR_BUCKETS; b++)
		cum += h->buckets[b];
	snprintf(le, sizeof(le), "+Inf");
	sample_u64(f, bucket, kv, cum);
	kv[nkv] = NULL;
	/*
	 * _count is the buckets' total, not h->count: for connects, count includes the failed ones,
	 * which are in no bucket (and add nothing to total_ns); they have their own counter.
	 */
	/* seconds written from the nanoseconds exactly: a double would round a long sum */
	fputs(sum, f);
	put_labels(f, kv);
	fprintf(f, " %" PRIu64 ".%09" PRIu64 "\n", h->total_ns / 1000000000,
		h->total_ns % 1000000000);
	sample_u64(f, count, kv, cum);
}

/* --- the families, in their fixed order ------------------------------------------------------ */

/* faultline_plan_active, faultline_plan_remaining_seconds: one series per active plan. */
static void plans_families(FILE *f, const struct engine_plans *plans)
{
	size_t n = plans ? plans->n : 0, i;

	family(f, "faultline_plan_active", "gauge", "1 for each plan active on this node.");
	for (i = 0; i < n; i++) {
		const char *kv[] = { "plan", plans->plans[i].name, NULL };

		sample_u64(f, "faultline_plan_active", kv, 1);
	}
	family(f, "faultline_plan_remaining_seconds", "gauge",
	       "Seconds until an active plan expires and is reverted.");
	for (i = 0; i < n; i++) {
		const char *kv[] = { "plan", plans->plans[i].name, NULL };
		int64_t ms = plans->plans[i].remaining_ms;

		sample_double(f, "faultline_plan_remaining_seconds", kv,
			      ms > 0 ? (double)ms / 1000 : 0);
	}
}

enum fault_counter { FC_MATCHED, FC_DROPPED, FC_REJECTED };

static uint64_t fault_counter(const struct engine_counters *c, enum fault_counter which)
{
	switch (which) {
	case FC_MATCHED:
		return c->matched_packets;
	case FC_DROPPED:
		return c->dropped_packets;
	case FC_REJECTED:
		return c->rejected_connects;
	}
	return 0;
}

/*
 * A fault's counters per target id. At most FLT_MAX_RULES (16) series per target id and
 * family, and a target id is in one active plan at a time, so each family has at most
 * 16 x the node's faulted pods, cgroups, netns and interfaces (each plan at most the policy's
 * maxTargets pods).
 */
static void fault_family(FILE *f, const struct engine_plans *plans, const char *name,
			 const char *help, enum fault_counter which)
{
	size_t n = plans ? plans->n : 0, i, j, t;

	family(f, name, "counter", help);
	for (i = 0; i < n; i++) {
		const struct engine_plan_status *p = &plans->plans[i];

		for (j = 0; j < p->nfaults; j++) {
			const struct engine_fault_status *fs = &p->faults[j];

			for (t = 0; t < fs->ntargets; t++) {
				const struct engine_target_status *ts = &fs->targets[t];
				bool pod = !strcmp(ts->kind, "pod");
				const char *kv[] = {
					"plan",	     p->name,
					"fault",     fs->name,
					"target",    ts->id,
					"pod_uid",   pod ? ts->id : "",
					"namespace", pod ? ts->pod_namespace : "",
					"pod",	     pod ? ts->pod_name : "",
					NULL,
				};

				sample_u64(f, name, kv, fault_counter(&ts->counters, which));
			}
		}
	}
}

/* faultline_plan_errors_total: one series per reason (6), zeros too, so rate() sees them start. */
static void errors_family(FILE *f, const struct metrics_view *v)
{
	unsigned int r;

	family(f, "faultline_plan_errors_total", "counter",
	       "Plan files not applied or plans not reverted, by reason, since the agent started.");
	for (r = 0; r < AGENT_ERR_REASONS; r++) {
		const char *kv[] = { "reason", agent_error_reason_name(r), NULL };

		sample_u64(f, "faultline_plan_errors_total", kv, v->errors[r]);
	}
}

/* The agent's own state: one series each. */
static void agent_families(FILE *f, const struct metrics_view *v)
{
	family(f, "faultline_frozen", "gauge",
	       "1 while the node is frozen (faultline freeze): every plan refused.");
	sample_u64(f, "faultline_frozen", NULL, v->frozen);
	family(f, "faultline_plan_files", "gauge", "Plan files in the agent's plans directory.");
	sample_u64(f, "faultline_plan_files", NULL, v->files);
	family(f, "faultline_tracer_up", "gauge",
	       "1 when the tracer runs and the per-pod tracer figures are current.");
	sample_u64(f, "faultline_tracer_up", NULL, v->tracer);
}

static size_t traced_pods(const struct metrics_view *v)
{
	if (!v->tracer || !v->pods)
		return 0;
	return v->npods < METRICS_MAX_PODS ? v->npods : METRICS_MAX_PODS;
}

/* A pod's labels, with room for two more pairs and the NULL. */
#define POD_KV(p) { "pod_uid", (p)->uid, "namespace", (p)->ns ? (p)->ns : "", \
		    "pod", (p)->name ? (p)->name : "", NULL, NULL, NULL, NULL, NULL }
#define POD_NKV 6

/*
 * The tracer's figures per pod, at most METRICS_MAX_PODS (256) pods: per pod, 5 syscalls x 15
 * series of syscall latency, 15 of connect latency, 15 of RTT, 1 of connect failures, 1 of
 * retransmits and up to 5 drop reasons: 112 series a pod at most.
 */
static void tracer_families(FILE *f, const struct metrics_view *v)
{
	size_t n = traced_pods(v), i, j;

	family(f, "faultline_syscall_latency_seconds", "histogram",
	       "Syscall latency of a traced pod, for its syscalls with the most total time.");
	for (i = 0; i < n; i++) {
		const struct metrics_pod *p = &v->pods[i];
		const struct trace_target *t = p->totals;

		for (j = 0; t && j < t->nsyscalls && j < METRICS_TOP_SYSCALLS; j++) {
			const char *kv[] = POD_KV(p);

			kv[POD_NKV] = "syscall";
			kv[POD_NKV + 1] = t->syscalls[j].name;
			histogram(f, "faultline_syscall_latency_seconds", kv, POD_NKV + 2,
				  &t->syscalls[j].h);
		}
	}
	family(f, "faultline_tcp_connect_latency_seconds", "histogram",
	       "Latency of a traced pod's successful TCP connects.");
	for (i = 0; i < n; i++) {
		const char *kv[] = POD_KV(&v->pods[i]);

		if (v->pods[i].totals)
			histogram(f, "faultline_tcp_connect_latency_seconds", kv, POD_NKV,
				  &v->pods[i].totals->connect);
	}
	family(f, "faultline_tcp_connect_failures_total", "counter",
	       "A traced pod's TCP connects that failed.");
	for (i = 0; i < n; i++) {
		const char *kv[] = POD_KV(&v->pods[i]);

		if (v->pods[i].totals)
			sample_u64(f, "faultline_tcp_connect_failures_total", kv,
				   v->pods[i].totals->connect.errors);
	}
	family(f, "faultline_tcp_rtt_seconds", "histogram",
	       "Smoothed RTT of a traced pod's TCP sockets, one sample per segment received.");
	for (i = 0; i < n; i++) {
		const char *kv[] = POD_KV(&v->pods[i]);

		if (v->pods[i].totals)
			histogram(f, "faultline_tcp_rtt_seconds", kv, POD_NKV,
				  &v->pods[i].totals->rtt);
	}
	family(f, "faultline_tcp_retransmits_total", "counter",
	       "TCP segments a traced pod retransmitted.");
	for (i = 0; i < n; i++) {
		const char *kv[] = POD_KV(&v->pods[i]);

		if (v->pods[i].totals)
			sample_u64(f, "faultline_tcp_retransmits_total", kv,
				   v->pods[i].totals->retransmits);
	}
	family(f, "faultline_drops_total", "counter",
	       "Packets of a traced pod the kernel dropped, by drop reason (its most frequent).");
	for (i = 0; i < n; i++) {
		const struct metrics_pod *p = &v->pods[i];
		const struct trace_target *t = p->totals;

		for (j = 0; t && j < t->ndrops && j < METRICS_TOP_DROPS; j++) {
			const char *kv[] = POD_KV(p);

			kv[POD_NKV] = "reason";
			kv[POD_NKV + 1] = t->drops[j].name;
			sample_u64(f, "faultline_drops_total", kv, t->drops[j].count);
		}
	}
}

char *metrics_render(const struct metrics_view *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	plans_families(f, v->plans);
	fault_family(f, v->plans, "faultline_fault_matched_packets_total",
		     "Packets a fault's match selected, per target.", FC_MATCHED);
	fault_family(f, v->plans, "faultline_fault_dropped_packets_total",
		     "Packets a fault dropped, per target.", FC_DROPPED);
	fault_family(f, v->plans, "faultline_fault_rejected_connects_total",
		     "Connects a fault refused, per target.", FC_REJECTED);
	errors_family(f, v);
	agent_families(f, v);
	tracer_families(f, v);
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
