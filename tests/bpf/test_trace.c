// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN tests of bpf/trace.bpf.c's syscall programs, run as raw_tp programs (tp_btf
 * programs have no test run; both call the same handlers): each run is a sys_enter or sys_exit
 * in this very process, which the tests move into cgroups of their own under the cgroup2 mount
 * (removed after, the process moved back). They prove attribution by level, the error count,
 * the latency landing in its bucket, the syscall filter, cgroups that share a slot of the
 * direct-mapped filter, and that a full map is counted as
 * overflow with every figure still consistent. Needs root and BPF.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/hist.h"
#include "kernel/cgroup.h"
#include "trace.h"
#include "trace.skel.h"

#define NR_GETPID 39
#define NR_GETPPID 110

static char mnt[PATH_MAX], outer[PATH_MAX], inner[PATH_MAX], home[PATH_MAX];
static uint64_t outer_id, inner_id;
static uint32_t outer_level, inner_level;
static int ncpus;

/* What the maps hold for one key, summed over the CPUs. */
struct figures {
	struct flt_tr_stats st;
	uint64_t samples; /* in the histogram */
	uint64_t overflow;
};

static int silent_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("FAULTLINE_TEST_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Move this process into cgroup directory dir. */
static void enter_cgroup(const char *dir)
{
	char path[PATH_MAX + 32], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	write_file(path, pid);
}

struct load_opts {
	uint32_t levels[FLT_TR_LEVELS_MAX];
	uint32_t nlevels;
	int only_nr; /* -1: every syscall */
	uint32_t hist_max; /* 0: as built */
};

static struct trace_bpf *load(const struct load_opts *o)
{
	struct trace_bpf *skel = trace_bpf__open();
	struct bpf_program *prog;
	uint32_t i;

	assert_non_null(skel);
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	bpf_program__set_autoload(skel->progs.flt_tr_sys_enter_raw, true);
	bpf_program__set_autoload(skel->progs.flt_tr_sys_exit_raw, true);
	bpf_map__set_autocreate(skel->maps.flt_tr_task, false);
	skel->rodata->flt_tr_nlevels = o->nlevels;
	for (i = 0; i < o->nlevels; i++)
		skel->rodata->flt_tr_levels[i] = o->levels[i];
	if (o->only_nr >= 0) {
		skel->rodata->flt_tr_filter = true;
		((uint64_t *)skel->rodata->flt_tr_wanted)[o->only_nr / 64] |= 1ULL
									      << (o->only_nr % 64);
	}
	if (o->hist_max)
		assert_int_equal(bpf_map__set_max_entries(skel->maps.flt_tr_hist, o->hist_max), 0);
	assert_int_equal(trace_bpf__load(skel), 0);
	return skel;
}

/* As the tracer adds one: in the hash, and in its slot when the slot is free. */
static void add_target(struct trace_bpf *skel, uint64_t cgroup_id, uint32_t target)
{
	struct flt_tr_slot *slot = &skel->bss->flt_tr_slots[cgroup_id & (FLT_TR_SLOTS - 1)];

	assert_int_equal(bpf_map__update_elem(skel->maps.flt_tr_cgroups, &cgroup_id,
					      sizeof(cgroup_id), &target, sizeof(target), BPF_ANY),
			 0);
	if (!slot->cgroup_id) {
		slot->target = target;
		slot->cgroup_id = cgroup_id;
	} else if (slot->cgroup_id != cgroup_id) {
		slot->shared = 1;
	}
}

static void run(struct bpf_program *prog, uint64_t arg1)
{
	uint64_t args[2] = { 0, arg1 }; /* pt_regs (unused but for connect), id or return */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(prog), &opts), 0);
}

/* One syscall nr returning ret, sleep_ns after it entered. */
static void syscall_once(struct trace_bpf *skel, int nr, long ret, long sleep_ns)
{
	struct timespec ts = { .tv_sec = sleep_ns / 1000000000L, .tv_nsec = sleep_ns % 1000000000L };

	run(skel->progs.flt_tr_sys_enter_raw, (uint64_t)nr);
	if (sleep_ns)
		nanosleep(&ts, NULL);
	run(skel->progs.flt_tr_sys_exit_raw, (uint64_t)ret);
}

static struct figures figures_of(struct trace_bpf *skel, uint32_t target, int nr)
{
	struct flt_tr_key key = {}, next, *prev = NULL;
	struct flt_tr_stats st[ncpus];
	uint64_t counts[ncpus];
	struct figures f = {};
	uint32_t i;
	int cpu;

	while (!bpf_map__get_next_key(skel->maps.flt_tr_hist, prev, &next, sizeof(next))) {
		key = next;
		prev = &key;
		if (key.target != target || key.kind != FLT_TR_SYSCALL || key.value != (uint32_t)nr)
			continue;
		assert_int_equal(bpf_map__lookup_elem(skel->maps.flt_tr_hist, &key, sizeof(key),
						      counts, sizeof(counts), 0),
				 0);
		for (cpu = 0; cpu < ncpus; cpu++)
			f.samples += counts[cpu];
	}
	key = (struct flt_tr_key){ .target = target, .kind = FLT_TR_SYSCALL, .value = (uint32_t)nr };
	if (!bpf_map__lookup_elem(skel->maps.flt_tr_stats, &key, sizeof(key), st, sizeof(st), 0)) {
		for (cpu = 0; cpu < ncpus; cpu++) {
			f.st.count += st[cpu].count;
			f.st.errors += st[cpu].errors;
			f.st.total_ns += st[cpu].total_ns;
			if (st[cpu].max_ns > f.st.max_ns)
				f.st.max_ns = st[cpu].max_ns;
		}
	}
	for (i = 0; i < FLT_TR_OVF_COUNT; i++) {
		assert_int_equal(bpf_map__lookup_elem(skel->maps.flt_tr_overflow, &i, sizeof(i),
						      counts, sizeof(counts), 0),
				 0);
		for (cpu = 0; cpu < ncpus; cpu++)
			f.overflow += counts[cpu];
	}
	return f;
}

/* The bucket key of nr's one sample whose bucket is b, if the map has it. */
static bool has_bucket(struct trace_bpf *skel, uint32_t target, int nr, uint32_t b)
{
	struct flt_tr_key key = { .target = target, .kind = FLT_TR_SYSCALL, .value = (uint32_t)nr,
				  .bucket = b };
	uint64_t counts[ncpus];

	return !bpf_map__lookup_elem(skel->maps.flt_tr_hist, &key, sizeof(key), counts,
				     sizeof(counts), 0);
}

static int in_inner(void **state)
{
	(void)state;
	enter_cgroup(inner);
	return 0;
}

static int back_home(void **state)
{
	(void)state;
	enter_cgroup(home);
	return 0;
}

static void test_syscalls_are_counted_with_errors_and_latency(void **state)
{
	struct load_opts o = { .levels = { inner_level }, .nlevels = 1, .only_nr = -1 };
	struct trace_bpf *skel = load(&o);
	struct figures f;
	int i;

	(void)state;
	add_target(skel, inner_id, 3);
	for (i = 0; i < 5; i++)
		syscall_once(skel, NR_GETPID, 0, 0);
	syscall_once(skel, NR_GETPID, -ENOENT, 2000000); /* 2 ms, and an error */
	f = figures_of(skel, 3, NR_GETPID);
	assert_int_equal(f.st.count, 6);
	assert_int_equal(f.st.errors, 1);
	assert_int_equal(f.samples, 6);
	assert_true(f.st.max_ns >= 2000000);
	assert_true(f.st.total_ns >= f.st.max_ns);
	assert_true(has_bucket(skel, 3, NR_GETPID, hist_bucket(f.st.max_ns)));
	assert_int_equal(f.overflow, 0);
	/* nothing for another target, nothing for another syscall */
	assert_int_equal(figures_of(skel, 0, NR_GETPID).st.count, 0);
	assert_int_equal(figures_of(skel, 3, NR_GETPPID).st.count, 0);
	trace_bpf__destroy(skel);
}

static void test_a_process_outside_the_targets_counts_nowhere(void **state)
{
	struct load_opts o = { .levels = { inner_level }, .nlevels = 1, .only_nr = -1 };
	struct trace_bpf *skel = load(&o);

	(void)state;
	add_target(skel, inner_id, 0);
	enter_cgroup(outer); /* the target's parent: above the traced level */
	syscall_once(skel, NR_GETPID, 0, 0);
	enter_cgroup(home);
	syscall_once(skel, NR_GETPID, 0, 0);
	assert_int_equal(figures_of(skel, 0, NR_GETPID).st.count, 0);
	assert_int_equal(figures_of(skel, 0, NR_GETPID).samples, 0);
	trace_bpf__destroy(skel);
}

/* A pod's processes sit in containers below it; the deeper of two nested targets wins. */
static void test_descendants_count_for_the_deepest_target_above_them(void **state)
{
	struct load_opts o = { .levels = { inner_level, outer_level }, .nlevels = 2,
			       .only_nr = -1 };
	struct trace_bpf *skel = load(&o);

	(void)state;
	add_target(skel, outer_id, 0);
	syscall_once(skel, NR_GETPID, 0, 0); /* in inner, below outer: outer's at its level */
	assert_int_equal(figures_of(skel, 0, NR_GETPID).st.count, 1);
	add_target(skel, inner_id, 1);
	syscall_once(skel, NR_GETPID, 0, 0);
	assert_int_equal(figures_of(skel, 1, NR_GETPID).st.count, 1);
	assert_int_equal(figures_of(skel, 0, NR_GETPID).st.count, 1);
	trace_bpf__destroy(skel);
}

/* Two traced cgroups in one slot: the second is found in the hash. */
static void test_cgroups_sharing_a_slot_are_both_traced(void **state)
{
	struct load_opts o = { .levels = { inner_level, outer_level }, .nlevels = 2,
			       .only_nr = -1 };
	struct trace_bpf *skel = load(&o);
	uint64_t other = inner_id + FLT_TR_SLOTS; /* the same slot as inner's */

	(void)state;
	add_target(skel, other, 0);
	add_target(skel, inner_id, 1);
	assert_int_equal(skel->bss->flt_tr_slots[inner_id & (FLT_TR_SLOTS - 1)].cgroup_id, other);
	syscall_once(skel, NR_GETPID, 0, 0);
	assert_int_equal(figures_of(skel, 1, NR_GETPID).st.count, 1);
	assert_int_equal(figures_of(skel, 0, NR_GETPID).st.count, 0);
	/* and without the mark, the slot's holder alone: inner goes untraced */
	skel->bss->flt_tr_slots[inner_id & (FLT_TR_SLOTS - 1)].shared = 0;
	syscall_once(skel, NR_GETPID, 0, 0);
	assert_int_equal(figures_of(skel, 1, NR_GETPID).st.count, 1);
	trace_bpf__destroy(skel);
}

static void test_exit_without_enter_counts_nothing(void **state)
{
	struct load_opts o = { .levels = { inner_level }, .nlevels = 1, .only_nr = -1 };
	struct trace_bpf *skel = load(&o);

	(void)state;
	add_target(skel, inner_id, 0);
	run(skel->progs.flt_tr_sys_exit_raw, 0);
	syscall_once(skel, NR_GETPID, 0, 0);
	run(skel->progs.flt_tr_sys_exit_raw, 0); /* a second exit: its start was used up */
	assert_int_equal(figures_of(skel, 0, NR_GETPID).st.count, 1);
	trace_bpf__destroy(skel);
}

static void test_filter_counts_only_the_named_syscalls(void **state)
{
	struct load_opts o = { .levels = { inner_level }, .nlevels = 1, .only_nr = NR_GETPPID };
	struct trace_bpf *skel = load(&o);

	(void)state;
	add_target(skel, inner_id, 0);
	syscall_once(skel, NR_GETPID, 0, 0);
	syscall_once(skel, NR_GETPPID, 0, 0);
	syscall_once(skel, 5000, 0, 0); /* beyond the filter's numbers */
	assert_int_equal(figures_of(skel, 0, NR_GETPID).st.count, 0);
	assert_int_equal(figures_of(skel, 0, NR_GETPPID).st.count, 1);
	trace_bpf__destroy(skel);
}

/*
 * A histogram map with room for 2 buckets and samples in 3: the third is counted as overflow,
 * and in neither the histogram nor the totals, so count, buckets and total agree.
 */
static void test_a_full_map_counts_overflow_and_keeps_figures_whole(void **state)
{
	struct load_opts o = { .levels = { inner_level }, .nlevels = 1, .only_nr = -1,
			       .hist_max = 2 };
	struct trace_bpf *skel = load(&o);
	struct figures f;

	(void)state;
	add_target(skel, inner_id, 0);
	syscall_once(skel, NR_GETPID, 0, 0); /* well under 1 ms */
	syscall_once(skel, NR_GETPID, 0, 5000000); /* 5 ms: another bucket */
	syscall_once(skel, NR_GETPID, 0, 50000000); /* 50 ms: a third, no room */
	f = figures_of(skel, 0, NR_GETPID);
	assert_int_equal(f.overflow, 1);
	assert_int_equal(f.st.count, 2);
	assert_int_equal(f.samples, 2);
	assert_true(f.st.max_ns >= 5000000 && f.st.max_ns < 50000000);
	trace_bpf__destroy(skel);
}

/* The process's own cgroup2 directory, from /proc/self/cgroup's "0::/path" line. */
static int own_cgroup(char *dir, size_t len)
{
	char line[PATH_MAX];
	FILE *f = fopen("/proc/self/cgroup", "r");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(dir, len, "%s%s", mnt, line + 3);
		ret = 0;
	}
	fclose(f);
	return ret;
}

static uint64_t dir_ino(const char *dir)
{
	struct stat st;

	return stat(dir, &st) ? 0 : (uint64_t)st.st_ino;
}

static uint32_t level_of(const char *dir)
{
	const char *p = dir + strlen(mnt);
	uint32_t level = 0;

	for (; *p; p++)
		if (*p == '/' && p[1])
			level++;
	return level;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syscalls_are_counted_with_errors_and_latency,
						in_inner, back_home),
		cmocka_unit_test_setup_teardown(test_a_process_outside_the_targets_counts_nowhere,
						in_inner, back_home),
		cmocka_unit_test_setup_teardown(
			test_descendants_count_for_the_deepest_target_above_them, in_inner,
			back_home),
		cmocka_unit_test_setup_teardown(test_cgroups_sharing_a_slot_are_both_traced,
						in_inner, back_home),
		cmocka_unit_test_setup_teardown(test_exit_without_enter_counts_nothing, in_inner,
						back_home),
		cmocka_unit_test_setup_teardown(test_filter_counts_only_the_named_syscalls,
						in_inner, back_home),
		cmocka_unit_test_setup_teardown(
			test_a_full_map_counts_overflow_and_keeps_figures_whole, in_inner, back_home),
	};
	int failed;

	if (geteuid() != 0) {
		printf("SKIP: BPF_PROG_TEST_RUN tests need root\n");
		return 77;
	}
	libbpf_set_print(silent_libbpf);
	ncpus = libbpf_num_possible_cpus();
	if (cgroup2_mount(mnt, sizeof(mnt)) || own_cgroup(home, sizeof(home))) {
		printf("SKIP: no cgroup2 mount, or this process is in no cgroup2 cgroup\n");
		return 77;
	}
	snprintf(outer, sizeof(outer), "%s/faultline-test-trace-%d", mnt, getpid());
	snprintf(inner, sizeof(inner), "%s/inner", outer);
	if (mkdir(outer, 0755) || mkdir(inner, 0755)) {
		printf("SKIP: cannot make cgroups under %s: %s\n", mnt, strerror(errno));
		rmdir(outer);
		return 77;
	}
	outer_id = dir_ino(outer);
	inner_id = dir_ino(inner);
	outer_level = level_of(outer);
	inner_level = level_of(inner);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	enter_cgroup(home);
	rmdir(inner);
	rmdir(outer);
	return failed ? 1 : 0;
}
