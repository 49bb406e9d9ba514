/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Latency histograms as the tracer keeps them (bpf/trace.h: log-linear buckets, relative error at
 * most 1/8): bucket bounds, merging, differences between two readings, percentiles. Pure math,
 * no kernel access.
 */
#ifndef FAULTLINE_HIST_H
#define FAULTLINE_HIST_H

#include <stdint.h>

#include "trace.h"

struct hist {
	uint64_t count; /* events (for connects: attempts that ended, failed ones too) */
	uint64_t errors; /* syscalls that returned an error, connects that failed */
	uint64_t total_ns;
	uint64_t max_ns;
	uint64_t buckets[FLT_TR_BUCKETS]; /* non-cumulative */
};

/* The inclusive upper bound of bucket b; UINT64_MAX for the last one. */
uint64_t hist_le_ns(unsigned int b);

/* The bucket of a value: the first whose upper bound is >= it (flt_tr_bucket()). */
unsigned int hist_bucket(uint64_t v_ns);

/* The number of values in the buckets. */
uint64_t hist_samples(const struct hist *h);

/*
 * The p-th percentile (0 < p <= 100) from the buckets: the middle of the bucket that holds the
 * value of rank ceil(p/100 * samples), so within 1/16 of the true value either way (the bucket
 * bounds alone guarantee 1/8), never above max_ns; the last rank is max_ns itself. 0 when there
 * are no samples.
 */
uint64_t hist_percentile(const struct hist *h, double p);

/* into += from: counts and buckets added, the larger max kept (merging CPUs or targets). */
void hist_merge(struct hist *into, const struct hist *from);

/*
 * now - before, for a reading taken after before (counters only grow; one that went down counts
 * 0). The max of the difference is not known exactly: it is now's max when the highest bucket
 * that grew is now's highest, else that bucket's upper bound; with no bucket grown, now's max if
 * it grew, else 0. out may be now or before.
 */
void hist_diff(struct hist *out, const struct hist *now, const struct hist *before);

#endif /* FAULTLINE_HIST_H */
