// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tracer's histogram math (userspace/common/hist.c): bucket edges against bpf/trace.h's
 * flt_tr_bucket(), the 1/8 error bound, percentiles, merging CPUs, differences between readings;
 * and the syscall table generated from <asm/unistd_64.h> (userspace/common/syscalls.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/hist.h"
#include "common/syscalls.h"

#define LAST_BUCKET (FLT_TR_BUCKETS - 1)
#define CPUS 4

/* One event of v ns, as the kernel side counts it. */
static void record(struct hist *h, uint64_t v_ns)
{
	h->count++;
	h->total_ns += v_ns;
	if (v_ns > h->max_ns)
		h->max_ns = v_ns;
	h->buckets[hist_bucket(v_ns)]++;
}

/* A value spread over many buckets, deterministic (an LCG): 0 ns .. about 2^41 ns. */
static uint64_t spread_value(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (*seed >> 20) >> ((*seed >> 8) % 44);
}

/* The first value of bucket b. */
static uint64_t lower_ns(unsigned int b)
{
	return b ? hist_le_ns(b - 1) + 1 : 0;
}

/* ---- buckets ------------------------------------------------------------------------------ */

static void test_bucket_count_matches_trace_h(void **state)
{
	(void)state;
	/* 16 linear, 2^4 .. 2^39 in 8 each, one for 2^40 and above */
	assert_int_equal(FLT_TR_BUCKETS, 16 + 36 * 8 + 1);
	assert_int_equal(FLT_TR_BUCKETS, 305);
}

static void test_bucket_named_edges(void **state)
{
	static const struct {
		uint64_t v_ns;
		unsigned int bucket;
	} edges[] = {
		{0, 0},
		{1, 1},
		{15, 15},
		{16, 16}, /* 2^4: sub-buckets 2 ns wide */
		{17, 16},
		{18, 17},
		{31, 23},
		{32, 24}, /* 2^5: 4 ns wide */
		{35, 24},
		{36, 25},
		{1ULL << 39, 16 + 35 * 8},
		{(1ULL << 40) - 1, LAST_BUCKET - 1},
		{1ULL << 40, LAST_BUCKET},
		{UINT64_MAX, LAST_BUCKET},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		if (hist_bucket(edges[i].v_ns) != edges[i].bucket)
			fail_msg("bucket of %llu: %u, want %u", (unsigned long long)edges[i].v_ns,
				 hist_bucket(edges[i].v_ns), edges[i].bucket);
	}
	assert_true(hist_le_ns(0) == 0);
	assert_true(hist_le_ns(15) == 15);
	assert_true(hist_le_ns(16) == 17);
	assert_true(hist_le_ns(17) == 19);
	assert_true(hist_le_ns(23) == 31);
	assert_true(hist_le_ns(24) == 35);
	assert_true(hist_le_ns(LAST_BUCKET - 1) == (1ULL << 40) - 1);
	assert_true(hist_le_ns(LAST_BUCKET) == UINT64_MAX);
}

/* Every bound maps back to its own bucket, the value after it to the next one. */
static void test_bucket_every_le_is_its_own_edge(void **state)
{
	unsigned int b;
	uint64_t le;

	(void)state;
	for (b = 0; b < LAST_BUCKET; b++) {
		le = hist_le_ns(b);
		if (hist_bucket(le) != b || hist_bucket(le + 1) != b + 1)
			fail_msg("bucket %u, le %llu: le in %u, le + 1 in %u", b,
				 (unsigned long long)le, hist_bucket(le), hist_bucket(le + 1));
	}
	assert_int_equal(hist_bucket(hist_le_ns(LAST_BUCKET)), LAST_BUCKET);
}

static void test_bucket_le_strictly_grows(void **state)
{
	unsigned int b;

	(void)state;
	for (b = 1; b < FLT_TR_BUCKETS; b++)
		if (hist_le_ns(b) <= hist_le_ns(b - 1))
			fail_msg("le of bucket %u is not above bucket %u's", b, b - 1);
}

/* le over-states any value of its bucket by less than 1/8; the lowest value is the worst. */
static void test_bucket_relative_error_below_one_eighth(void **state)
{
	uint64_t lo, le;
	unsigned int b;

	(void)state;
	for (b = 0; b < LAST_BUCKET; b++) {
		lo = lower_ns(b);
		le = hist_le_ns(b);
		assert_int_equal(hist_bucket(lo), b);
		assert_int_equal(hist_bucket(le), b);
		if (b < FLT_TR_LINEAR)
			assert_true(lo == le); /* exact */
		else if ((le - lo) * 8 >= lo)
			fail_msg("bucket %u [%llu, %llu]: error %.4f >= 1/8", b,
				 (unsigned long long)lo, (unsigned long long)le,
				 (double)(le - lo) / (double)lo);
	}
}

/* hist_bucket() is the kernel's flt_tr_bucket(), on values spread over every bucket. */
static void test_bucket_is_flt_tr_bucket(void **state)
{
	uint64_t seed = 1, v;
	int i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		v = spread_value(&seed);
		assert_int_equal(hist_bucket(v), flt_tr_bucket(v));
		assert_true(hist_le_ns(hist_bucket(v)) >= v);
		assert_true(lower_ns(hist_bucket(v)) <= v);
	}
}

/* ---- percentiles -------------------------------------------------------------------------- */

static void test_percentile_empty_is_zero(void **state)
{
	struct hist h = {};

	(void)state;
	assert_true(hist_percentile(&h, 50) == 0);
	assert_true(hist_percentile(&h, 100) == 0);
	h.count = 3; /* counted, but no bucket: no sample to rank */
	h.max_ns = 10;
	assert_true(hist_percentile(&h, 99) == 0);
}

static void test_percentile_single_value(void **state)
{
	struct hist h = {};

	(void)state;
	record(&h, 1000); /* bucket [960, 1023] */
	assert_true(hist_percentile(&h, 0.1) == 1000); /* the only sample: the max */
	assert_true(hist_percentile(&h, 50) == 1000);
	assert_true(hist_percentile(&h, 100) == 1000);
	record(&h, 1000);
	assert_true(hist_percentile(&h, 50) == 991); /* the middle of [960, 1023] */
	h.max_ns = 0; /* no max known: the middle all the same */
	assert_true(hist_percentile(&h, 100) == 991);
}

/* 1..1000 ns once each: the middle of the bucket of the rank's own value; the max at the top. */
static void test_percentile_uniform(void **state)
{
	static const double ps[] = {1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100};
	struct hist h = {};
	uint64_t v, want;
	size_t i;

	(void)state;
	for (v = 1; v <= 1000; v++)
		record(&h, v);
	assert_true(hist_samples(&h) == 1000);
	assert_true(hist_percentile(&h, 50) == 495); /* rank 500 in [480, 511] */
	assert_true(hist_percentile(&h, 90) == 927); /* rank 900 in [896, 959] */
	assert_true(hist_percentile(&h, 99) == 991); /* rank 990 in [960, 1023] */
	assert_true(hist_percentile(&h, 100) == 1000); /* the last: the max */
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t rank = (uint64_t)(ps[i] * 10 + 0.5); /* whole here: 10 samples a percent */

		unsigned int b = hist_bucket(rank);
		uint64_t lo = b ? hist_le_ns(b - 1) + 1 : 0;

		want = rank == 1000 ? 1000 : lo + (hist_le_ns(b) - lo) / 2;
		if (hist_percentile(&h, ps[i]) != want)
			fail_msg("p%g: %llu, want %llu", ps[i],
				 (unsigned long long)hist_percentile(&h, ps[i]),
				 (unsigned long long)want);
		/* and within 1/16 of the exact percentile, either way */
		assert_true((want > rank ? want - rank : rank - want) * 16 <= rank);
	}
}

/* rank = ceil(p/100 * samples), computed without binary fractions creeping in. */
static void test_percentile_rank_rounding(void **state)
{
	struct hist h = {};
	int i;

	(void)state;
	for (i = 0; i < 9; i++)
		record(&h, 1);
	record(&h, 100);
	assert_true(hist_percentile(&h, 90) == 1);	/* rank 9 */
	assert_true(hist_percentile(&h, 90.01) == 100); /* rank 10 */
	assert_true(hist_percentile(&h, 0.0001) == 1);	/* rank at least 1 */

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 7; i++)
		record(&h, 1);
	for (i = 0; i < 93; i++)
		record(&h, 2);
	assert_true(hist_percentile(&h, 7) == 1); /* 0.07 * 100 is 7.000000000000001 */
	assert_true(hist_percentile(&h, 8) == 2);

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 999; i++)
		record(&h, 3);
	record(&h, 4);
	assert_true(hist_percentile(&h, 99.9) == 3); /* rank 999, not 1000 */
	assert_true(hist_percentile(&h, 99.95) == 4);
}

/* The last bucket's bound is UINT64_MAX: its lower bound stands for it, the max caps it. */
static void test_percentile_clamped_to_max(void **state)
{
	struct hist h = {};

	(void)state;
	record(&h, 5);
	record(&h, (1ULL << 41) + 5);
	assert_true(hist_percentile(&h, 50) == 5);
	assert_true(hist_percentile(&h, 99) == (1ULL << 41) + 5);
	h.max_ns = 0;
	assert_true(hist_percentile(&h, 99) == 1ULL << 40);
	/* a max below the bucket's middle, as when the max is exact and the bucket is not */
	memset(&h, 0, sizeof(h));
	record(&h, 32); /* bucket [32, 35], middle 33 */
	record(&h, 32);
	assert_true(hist_percentile(&h, 50) == 32);
}

/* ---- merging and differences -------------------------------------------------------------- */

/* The CPUs' copies of a map value, summed, equal what one CPU would have counted alone. */
static void test_merge_per_cpu_values(void **state)
{
	struct hist cpu[CPUS] = {}, all = {}, sum = {}, empty = {};
	uint64_t seed = 42, v;
	int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		v = spread_value(&seed);
		record(&cpu[i % CPUS], v);
		record(&all, v);
		if (i % 7 == 0) {
			cpu[i % CPUS].errors++;
			all.errors++;
		}
	}
	for (i = 0; i < CPUS; i++)
		hist_merge(&sum, &cpu[i]);
	assert_true(sum.count == 5000);
	assert_true(sum.count == all.count);
	assert_true(sum.errors == all.errors);
	assert_true(sum.total_ns == all.total_ns);
	assert_true(sum.max_ns == all.max_ns);
	assert_memory_equal(sum.buckets, all.buckets, sizeof(sum.buckets));
	assert_true(hist_samples(&sum) == 5000);
	assert_true(hist_percentile(&sum, 50) == hist_percentile(&all, 50));
	assert_true(hist_percentile(&sum, 99) == hist_percentile(&all, 99));

	/* an idle CPU changes nothing; the larger max wins whichever side holds it */
	hist_merge(&sum, &empty);
	assert_memory_equal(&sum, &all, sizeof(sum));
	empty.max_ns = all.max_ns + 1;
	hist_merge(&sum, &empty);
	assert_true(sum.max_ns == all.max_ns + 1);
}

static void test_diff_counts_what_happened_between(void **state)
{
	struct hist before = {}, now, delta = {}, out;
	uint64_t seed = 7, v;
	unsigned int b;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		record(&before, spread_value(&seed) % 100000);
	now = before;
	for (i = 0; i < 300; i++) {
		v = spread_value(&seed) % 100000;
		record(&now, v);
		record(&delta, v);
	}
	now.errors += 5;
	hist_diff(&out, &now, &before);
	assert_true(out.count == 300);
	assert_true(out.errors == 5);
	assert_true(out.total_ns == delta.total_ns);
	for (b = 0; b < FLT_TR_BUCKETS; b++)
		assert_true(out.buckets[b] == delta.buckets[b]);

	/* nothing happened: all zero, the max too */
	hist_diff(&out, &now, &now);
	assert_true(out.count == 0 && out.total_ns == 0 && out.max_ns == 0);
	assert_true(hist_samples(&out) == 0);
}

static void test_diff_max_rule(void **state)
{
	struct hist before = {}, now, out;

	(void)state;
	record(&before, 10);
	record(&before, 5000); /* bucket [4608, 5119] */

	/* the top bucket grew: now's max stands for the interval */
	now = before;
	record(&now, 6000);
	hist_diff(&out, &now, &before);
	assert_true(out.max_ns == 6000);

	/* the top bucket grew, its old max unchanged: now's max is the best known */
	now = before;
	record(&now, 4700);
	hist_diff(&out, &now, &before);
	assert_true(out.max_ns == 5000);

	/* only lower buckets grew: the bound of the highest of them, not the old max */
	now = before;
	record(&now, 12);
	record(&now, 100); /* bucket [96, 103] */
	hist_diff(&out, &now, &before);
	assert_true(out.max_ns == 103);
	assert_true(out.count == 2);

	/* out may be now itself */
	hist_diff(&now, &now, &before);
	assert_true(now.max_ns == 103 && now.count == 2 && hist_samples(&now) == 2);
}

/* A counter that went down (its map entry made again) counts 0, never 2^64 - n. */
static void test_diff_saturates_at_zero(void **state)
{
	struct hist before = {}, now = {}, out;

	(void)state;
	record(&before, 50);
	record(&before, 50);
	record(&now, 50);
	record(&now, 7);
	now.errors = 1;
	before.errors = 4;
	hist_diff(&out, &now, &before);
	assert_true(out.count == 0);
	assert_true(out.errors == 0);
	assert_true(out.total_ns == 0);
	assert_true(out.buckets[hist_bucket(50)] == 0);
	assert_true(out.buckets[7] == 1);
	assert_true(out.max_ns == 7); /* bucket 7, below now's top */
}

/* ---- syscalls ----------------------------------------------------------------------------- */

static void test_syscall_names_x86_64(void **state)
{
	(void)state;
	assert_string_equal(syscall_name(0), "read");
	assert_string_equal(syscall_name(1), "write");
	assert_string_equal(syscall_name(110), "getppid");
	assert_string_equal(syscall_name(230), "clock_nanosleep");
	assert_int_equal(syscall_nr("read"), 0);
	assert_int_equal(syscall_nr("write"), 1);
	assert_int_equal(syscall_nr("getppid"), 110);
	assert_int_equal(syscall_nr("clock_nanosleep"), 230);
}

static void test_syscall_unknown(void **state)
{
	(void)state;
	assert_int_equal(syscall_nr("no_such_syscall"), -1);
	assert_int_equal(syscall_nr(""), -1);
	assert_int_equal(syscall_nr("READ"), -1);
	assert_int_equal(syscall_nr(NULL), -1);
	assert_null(syscall_name(-1));
	assert_null(syscall_name(400)); /* x86_64 gives no number in 335..423 */
	assert_null(syscall_name(FLT_TR_SYSCALL_NR_MAX));
	assert_null(syscall_name(1 << 30));
}

/* Every name goes back to its number: the generated table has no duplicate or stray line. */
static void test_syscall_round_trip(void **state)
{
	const char *name;
	int nr, named = 0;

	(void)state;
	for (nr = 0; nr < FLT_TR_SYSCALL_NR_MAX; nr++) {
		name = syscall_name(nr);
		if (!name)
			continue;
		named++;
		if (syscall_nr(name) != nr)
			fail_msg("syscall %d \"%s\" maps back to %d", nr, name, syscall_nr(name));
	}
	assert_true(named > 300); /* 2.6's x86_64 already had more than 300 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_count_matches_trace_h),
		cmocka_unit_test(test_bucket_named_edges),
		cmocka_unit_test(test_bucket_every_le_is_its_own_edge),
		cmocka_unit_test(test_bucket_le_strictly_grows),
		cmocka_unit_test(test_bucket_relative_error_below_one_eighth),
		cmocka_unit_test(test_bucket_is_flt_tr_bucket),
		cmocka_unit_test(test_percentile_empty_is_zero),
		cmocka_unit_test(test_percentile_single_value),
		cmocka_unit_test(test_percentile_uniform),
		cmocka_unit_test(test_percentile_rank_rounding),
		cmocka_unit_test(test_percentile_clamped_to_max),
		cmocka_unit_test(test_merge_per_cpu_values),
		cmocka_unit_test(test_diff_counts_what_happened_between),
		cmocka_unit_test(test_diff_max_rule),
		cmocka_unit_test(test_diff_saturates_at_zero),
		cmocka_unit_test(test_syscall_names_x86_64),
		cmocka_unit_test(test_syscall_unknown),
		cmocka_unit_test(test_syscall_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
