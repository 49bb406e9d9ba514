// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tracer's latency histograms in userspace: bucket bounds, merging the CPUs' copies,
 * differences between readings and percentiles. The bucket of a value is bpf/trace.h's own
 * flt_tr_bucket(), so userspace and the kernel can never disagree on where a value went.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/hist.h"

/* The first bucket split by sub-buckets, and the power of two it starts at. */
#define HIST_FIRST_LOG2 4

uint64_t hist_le_ns(unsigned int b)
{
	unsigned int log2, sub;

	if (b < FLT_TR_LINEAR)
		return b;
	if (b >= FLT_TR_BUCKETS - 1)
		return UINT64_MAX;
	log2 = HIST_FIRST_LOG2 + (b - FLT_TR_LINEAR) / FLT_TR_SUB;
	sub = (b - FLT_TR_LINEAR) % FLT_TR_SUB;
	return (1ULL << log2) + (uint64_t)(sub + 1) * (1ULL << (log2 - FLT_TR_SUB_BITS)) - 1;
}

unsigned int hist_bucket(uint64_t v_ns)
{
	return flt_tr_bucket(v_ns);
}

uint64_t hist_samples(const struct hist *h)
{
	uint64_t n = 0;
	unsigned int b;

	for (b = 0; b < FLT_TR_BUCKETS; b++)
		n += h->buckets[b];
	return n;
}

/*
 * ceil(p/100 * samples), between 1 and samples. p * samples / 100 is exact for whole p (p / 100
 * first would turn p7 of 100 samples into 7.000000000000001, rank 8); a result within rounding
 * of a whole number is taken as that number, so that p99.9 of 1000 samples is rank 999.
 */
static uint64_t hist_rank(double p, uint64_t samples)
{
	double x, whole;

	if (!(p > 0))
		return 1;
	if (p >= 100)
		return samples;
	x = p * (double)samples / 100;
	whole = nearbyint(x);
	if (fabs(x - whole) <= 1e-9 * whole)
		x = whole;
	x = ceil(x);
	if (x < 1)
		return 1;
	if (x >= (double)samples)
		return samples;
	return (uint64_t)x;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t samples = hist_samples(h), rank, seen = 0, lo, est = 0;
	unsigned int b;

	if (!samples)
		return 0;
	rank = hist_rank(p, samples);
	/* the max is exact: the last sample's rank is it */
	if (rank >= samples && h->max_ns)
		return h->max_ns;
	for (b = 0; b < FLT_TR_BUCKETS; b++) {
		seen += h->buckets[b];
		if (seen < rank)
			continue;
		/* the middle of the bucket: within 1/16 of any value in it, either way */
		lo = b ? hist_le_ns(b - 1) + 1 : 0;
		est = b == FLT_TR_BUCKETS - 1 ? lo : lo + (hist_le_ns(b) - lo) / 2;
		break;
	}
	if (h->max_ns && est > h->max_ns)
		est = h->max_ns;
	return est;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	unsigned int b;

	into->count += from->count;
	into->errors += from->errors;
	into->total_ns += from->total_ns;
	if (from->max_ns > into->max_ns)
		into->max_ns = from->max_ns;
	for (b = 0; b < FLT_TR_BUCKETS; b++)
		into->buckets[b] += from->buckets[b];
}

/*
 * A counter that went down was reset (its map entry removed and made again): nothing is known
 * of the events between, so none are counted rather than wrapping to 2^64.
 */
static uint64_t grown(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

/* The highest non-empty bucket, or -1. */
static int hist_top(const struct hist *h)
{
	int b;

	for (b = FLT_TR_BUCKETS - 1; b >= 0; b--)
		if (h->buckets[b])
			return b;
	return -1;
}

void hist_diff(struct hist *out, const struct hist *now, const struct hist *before)
{
	struct hist d; /* out may be now or before */
	int now_top, d_top;
	unsigned int b;

	memset(&d, 0, sizeof(d));
	d.count = grown(now->count, before->count);
	d.errors = grown(now->errors, before->errors);
	d.total_ns = grown(now->total_ns, before->total_ns);
	for (b = 0; b < FLT_TR_BUCKETS; b++)
		d.buckets[b] = grown(now->buckets[b], before->buckets[b]);

	now_top = hist_top(now);
	d_top = hist_top(&d);
	if (d_top >= 0 && d_top == now_top)
		d.max_ns = now->max_ns;
	else if (d_top >= 0)
		d.max_ns = hist_le_ns((unsigned int)d_top);
	else if (now->max_ns > before->max_ns)
		d.max_ns = now->max_ns; /* no buckets (counts only): a new max is the interval's */
	if (now->max_ns && d.max_ns > now->max_ns)
		d.max_ns = now->max_ns;
	*out = d;
}
