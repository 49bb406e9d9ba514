// SPDX-License-Identifier: GPL-2.0-only
/*
 * A trace target's figures through the output writer: BCC-style text (a syscall table, a
 * histogram per syscall, TCP figures) and the JSON of `faultline trace -j`, from the same calls.
 * trace prints them per target, run per phase in its report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/trace_print.h"

#define HIST_ROWS 64 /* one per power of two of a u64 */
#define HIST_BAR_WIDTH 40

struct ns_text ns_text(uint64_t ns)
{
	struct ns_text t;
	const char *unit;
	double x;

	if (ns < 1000) {
		snprintf(t.s, sizeof(t.s), "%" PRIu64 "ns", ns);
		return t;
	}
	/* the unit switches where rounding would print 1000 of the smaller one */
	if (ns < 999500) {
		x = (double)ns / 1e3;
		unit = "us";
	} else if (ns < 999500000) {
		x = (double)ns / 1e6;
		unit = "ms";
	} else {
		x = (double)ns / 1e9;
		unit = "s";
	}
	snprintf(t.s, sizeof(t.s), x < 9.995 ? "%.2f%s" : x < 99.95 ? "%.1f%s" : "%.0f%s", x, unit);
	return t;
}

/* A time: the nanoseconds in JSON, in a column in text. */
static void print_ns(struct out *o, const char *key, const char *text_fmt, uint64_t ns)
{
	out_u64(o, key, NULL, ns);
	if (text_fmt)
		out_text(o, text_fmt, ns_text(ns).s);
}

/* The non-empty buckets with their inclusive upper bounds: JSON only. */
static void print_buckets(struct out *o, const struct hist *h)
{
	unsigned int b;

	out_array_begin(o, "buckets");
	for (b = 0; b < FLT_TR_BUCKETS; b++) {
		if (!h->buckets[b])
			continue;
		out_object_begin(o, NULL);
		out_u64(o, "le_ns", NULL, hist_le_ns(b));
		out_u64(o, "count", NULL, h->buckets[b]);
		out_object_end(o);
	}
	out_array_end(o);
}

/* The power of two a bucket's values are in, by its lowest value: rows 0 -> 1, 2 -> 3, 4 -> 7... */
static unsigned int hist_row(unsigned int b)
{
	uint64_t lo = b ? hist_le_ns(b - 1) + 1 : 0;

	return lo < 2 ? 0 : 63 - (unsigned int)__builtin_clzll(lo);
}

/*
 * A histogram in text as BCC's tools draw one: the log-linear buckets summed per power of two,
 * from the first to the last non-empty row, with a bar scaled to the largest row. Finer rows
 * would not fit a terminal; JSON has the buckets themselves.
 */
static void print_hist_text(struct out *o, const struct hist *h, const char *indent)
{
	/* the last bucket has no upper bound: its row is open-ended */
	const unsigned int open_row = hist_row(FLT_TR_BUCKETS - 1);
	uint64_t rows[HIST_ROWS] = { 0 }, most = 0;
	unsigned int b, r, first = HIST_ROWS, last = 0;
	char bar[HIST_BAR_WIDTH + 1];

	if (out_is_json(o) || !hist_samples(h))
		return;
	for (b = 0; b < FLT_TR_BUCKETS; b++) {
		if (!h->buckets[b])
			continue;
		r = hist_row(b);
		rows[r] += h->buckets[b];
		if (first == HIST_ROWS)
			first = r;
		last = r;
	}
	for (r = first; r <= last; r++)
		if (rows[r] > most)
			most = rows[r];
	out_text(o, "%s%22s : %-8s %s\n", indent, "latency", "count", "distribution");
	for (r = first; r <= last; r++) {
		size_t stars = (size_t)((double)rows[r] / (double)most * HIST_BAR_WIDTH);
		uint64_t hi = (2ULL << r) - 1;

		memset(bar, '*', stars);
		memset(bar + stars, ' ', HIST_BAR_WIDTH - stars);
		bar[HIST_BAR_WIDTH] = '\0';
		/* rounded, 2^k - 1 and 2^k look alike: a row then ends where the next one starts */
		out_text(o, "%s%8s -> %-8s : %-8" PRIu64 " |%s|\n", indent,
			 ns_text(r ? 1ULL << r : 0).s,
			 r == open_row ? "inf" : ns_text(hi < 1000 ? hi : hi + 1).s, rows[r], bar);
	}
}

static void print_syscall(struct out *o, const struct trace_syscall *sc, int name_width)
{
	const struct hist *h = &sc->h;

	out_object_begin(o, NULL);
	out_string(o, "name", NULL, sc->name);
	out_text(o, "  %-*s", name_width, sc->name);
	out_u64(o, "count", " %10" PRIu64, h->count);
	out_u64(o, "errors", " %8" PRIu64, h->errors);
	print_ns(o, "total_ns", " %8s", h->total_ns);
	print_ns(o, "p50_ns", " %8s", hist_percentile(h, 50));
	print_ns(o, "p90_ns", " %8s", hist_percentile(h, 90));
	print_ns(o, "p99_ns", " %8s", hist_percentile(h, 99));
	print_ns(o, "max_ns", " %8s\n", h->max_ns);
	print_buckets(o, h);
	out_object_end(o);
}

static void print_syscalls(struct out *o, const struct trace_target *t,
			   const struct trace_view *view)
{
	/* text is for reading: the top N; JSON has every syscall unless --top was asked for */
	size_t n = out_is_json(o) && !view->top_given ? t->nsyscalls
		   : t->nsyscalls < view->top	    ? t->nsyscalls
						    : view->top;
	int width = (int)strlen("SYSCALL");
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)strlen(t->syscalls[i].name) > width)
			width = (int)strlen(t->syscalls[i].name);
	out_array_begin(o, "syscalls");
	if (n)
		out_text(o, "  %-*s %10s %8s %8s %8s %8s %8s %8s\n", width, "SYSCALL", "COUNT",
			 "ERRORS", "TOTAL", "P50", "P90", "P99", "MAX");
	else
		out_text(o, "  no syscalls\n");
	for (i = 0; i < n; i++)
		print_syscall(o, &t->syscalls[i], width);
	out_array_end(o);
	if (n < t->nsyscalls)
		out_text(o, "  (%zu more, with less time: --top shows more)\n", t->nsyscalls - n);
	for (i = 0; i < n && !out_is_json(o); i++) {
		out_text(o, "\n  %s:\n", t->syscalls[i].name);
		print_hist_text(o, &t->syscalls[i].h, "  ");
	}
}

/* p50, p90, p99 and max, what connect and rtt show alike; in text only when there are samples. */
static void print_percentiles(struct out *o, const struct hist *h)
{
	bool any = hist_samples(h) > 0;

	print_ns(o, "p50_ns", any ? ", p50 %s" : NULL, hist_percentile(h, 50));
	print_ns(o, "p90_ns", any ? ", p90 %s" : NULL, hist_percentile(h, 90));
	print_ns(o, "p99_ns", any ? ", p99 %s" : NULL, hist_percentile(h, 99));
	print_ns(o, "max_ns", any ? ", max %s" : NULL, h->max_ns);
	out_text(o, "\n");
}

static void print_tcp(struct out *o, const struct trace_target *t)
{
	size_t i;

	/* a blank line after the syscalls' histograms */
	out_text(o, t->nsyscalls ? "\n" : "");
	if (!out_is_json(o) && !t->connect.count && !t->rtt.count && !t->retransmits && !t->ndrops) {
		out_text(o, "  no TCP events\n");
		return;
	}
	out_object_begin(o, "tcp");

	out_object_begin(o, "connect");
	out_u64(o, "count", "  TCP connects: %" PRIu64, t->connect.count);
	out_u64(o, "failed", ", %" PRIu64 " failed", t->connect.errors);
	/* the latencies are those of the connects that succeeded */
	print_percentiles(o, &t->connect);
	print_hist_text(o, &t->connect, "  ");
	print_buckets(o, &t->connect);
	out_object_end(o);

	out_object_begin(o, "rtt");
	out_u64(o, "count", "  TCP RTT: %" PRIu64 " samples", t->rtt.count);
	print_percentiles(o, &t->rtt);
	print_hist_text(o, &t->rtt, "  ");
	print_buckets(o, &t->rtt);
	out_object_end(o);

	out_u64(o, "retransmits", "  TCP retransmits: %" PRIu64 "\n", t->retransmits);
	out_array_begin(o, "drops");
	for (i = 0; i < t->ndrops; i++) {
		out_object_begin(o, NULL);
		out_string(o, "reason", "  drops %s:", t->drops[i].name);
		out_u64(o, "count", " %" PRIu64 "\n", t->drops[i].count);
		out_object_end(o);
	}
	out_array_end(o);
	out_object_end(o);
}

void print_trace_figures(struct out *o, const struct trace_target *t,
			 const struct trace_view *view)
{
	print_syscalls(o, t, view);
	print_tcp(o, t);
}

void print_trace_target(struct out *o, const struct trace_target *t,
			const struct trace_view *view)
{
	bool pod = t->kind && !strcmp(t->kind, "pod");

	out_object_begin(o, NULL);
	if (pod && t->pod_namespace[0]) {
		/* "shop/cart-1 (UID, pod)": the name first, as an SRE knows the pod */
		out_string(o, "namespace", "\n%s/", t->pod_namespace);
		out_string(o, "pod", "%s", t->pod_name);
		out_string(o, "id", " (%s", t->id);
		out_string(o, "kind", ", %s)\n", t->kind);
	} else {
		out_string(o, "id", "\n%s", t->id);
		out_string(o, "kind", " (%s)\n", t->kind);
		if (pod) {
			out_string(o, "namespace", NULL, NULL);
			out_string(o, "pod", NULL, NULL);
		}
	}
	print_trace_figures(o, t, view);
	out_object_end(o);
}
