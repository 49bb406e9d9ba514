// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tracer's BPF object: one set of programs (tp_btf, or raw_tp where the kernel lacks it),
 * loaded with the levels and filter as read-only data, attached through bpf links that live as
 * long as this process holds them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "kernel/tracer.h"
#include "trace.skel.h"

#define DROP_PREFIX "SKB_DROP_REASON_"
#define MODE_PROGS 5 /* the programs of each mode, kfree_skb's aside */

struct tracer {
	struct trace_bpf *skel;
	enum tracer_mode mode;
	bool drops;
	struct bpf_link *links[MODE_PROGS + 1];
	size_t nlinks;
	int ncpus;
	void *values; /* one map value per CPU, for reads */
};


/* The programs of each mode, in the same order: the hook is the program's section name. */
static void progs_of(struct trace_bpf *skel, enum tracer_mode mode,
		     struct bpf_program *set[MODE_PROGS])
{
	bool btf = mode == TRACER_TP_BTF;

	set[0] = btf ? skel->progs.flt_tr_sys_enter_btf : skel->progs.flt_tr_sys_enter_raw;
	set[1] = btf ? skel->progs.flt_tr_sys_exit_btf : skel->progs.flt_tr_sys_exit_raw;
	set[2] = btf ? skel->progs.flt_tr_set_state_btf : skel->progs.flt_tr_set_state_raw;
	set[3] = btf ? skel->progs.flt_tr_tcp_probe_btf : skel->progs.flt_tr_tcp_probe_raw;
	set[4] = btf ? skel->progs.flt_tr_retransmit_btf : skel->progs.flt_tr_retransmit_raw;
}

static struct bpf_program *drop_prog(struct trace_bpf *skel, enum tracer_mode mode)
{
	return mode == TRACER_TP_BTF ? skel->progs.flt_tr_kfree_skb_btf
				     : skel->progs.flt_tr_kfree_skb_raw;
}

const struct btf *tracer_kernel_btf(void)
{
	static struct btf *btf;

	/* a failure is not cached: the next caller tries again (and probe says why) */
	if (!btf) {
		btf = btf__load_vmlinux_btf();
		if (!btf)
			pr_debug("tracer: no kernel BTF: %s\n", strerror(errno));
	}
	return btf;
}

/* skb:kfree_skb has had a reason argument since 5.17, with enum skb_drop_reason beside it. */
static bool kernel_has_drop_reasons(void)
{
	struct btf *btf = (struct btf *)tracer_kernel_btf();

	return btf && btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM) > 0;
}

const char *tracer_drop_reason(uint32_t value)
{
	struct btf *btf = (struct btf *)tracer_kernel_btf();
	const struct btf_type *t;
	const struct btf_enum *e;
	const char *name;
	int id, i;

	if (!btf)
		return NULL;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id <= 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		if ((uint32_t)e->val != value)
			continue;
		name = btf__name_by_offset(btf, e->name_off);
		if (name && !strncmp(name, DROP_PREFIX, strlen(DROP_PREFIX)))
			name += strlen(DROP_PREFIX);
		return name;
	}
	return NULL;
}

/* The arguments of tracepoint name in the kernel's BTF (btf_trace_NAME: its first is the
 * probe's context, not the tracepoint's); -1 when unknown. */
static int tracepoint_nargs(const char *name)
{
	struct btf *btf = (struct btf *)tracer_kernel_btf();
	const struct btf_type *t;
	char type[64];
	int id;

	snprintf(type, sizeof(type), "btf_trace_%s", name);
	id = btf ? btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) : -1;
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, btf__resolve_type(btf, (uint32_t)id));
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

static void set_rodata(struct trace_bpf *skel, const struct tracer_config *cfg)
{
	size_t i;

	/* 6.11 gave tcp_retransmit_skb an err argument and fires it for failed attempts too */
	skel->rodata->flt_tr_retransmit_err = tracepoint_nargs("tcp_retransmit_skb") >= 3;
	skel->rodata->flt_tr_nlevels = (uint32_t)cfg->nlevels;
	for (i = 0; i < cfg->nlevels && i < FLT_TR_LEVELS_MAX; i++)
		skel->rodata->flt_tr_levels[i] = cfg->levels[i];
	skel->rodata->flt_tr_filter = cfg->filter;
	memcpy((void *)skel->rodata->flt_tr_wanted, cfg->wanted, sizeof(cfg->wanted));
}

/* Open and load the programs of mode (not TRACER_AUTO). */
static int load_mode(struct tracer *t, const struct tracer_config *cfg, enum tracer_mode mode)
{
	struct bpf_program *prog, *set[MODE_PROGS];
	size_t i;
	int err;

	t->skel = trace_bpf__open();
	if (!t->skel)
		return -errno;
	set_rodata(t->skel, cfg);
	bpf_object__for_each_program(prog, t->skel->obj)
		bpf_program__set_autoload(prog, false);
	progs_of(t->skel, mode, set);
	for (i = 0; i < MODE_PROGS; i++)
		bpf_program__set_autoload(set[i], true);
	t->drops = kernel_has_drop_reasons();
	if (t->drops)
		bpf_program__set_autoload(drop_prog(t->skel, mode), true);
	/* each mode keeps syscall start times its own way: make only its map */
	bpf_map__set_autocreate(t->skel->maps.flt_tr_task, mode == TRACER_TP_BTF);
	bpf_map__set_autocreate(t->skel->maps.flt_tr_thread, mode == TRACER_RAW_TP);
	err = trace_bpf__load(t->skel);
	if (err) {
		trace_bpf__destroy(t->skel);
		t->skel = NULL;
		return err;
	}
	t->mode = mode;
	return 0;
}

int tracer_open(const struct tracer_config *cfg, struct tracer **out, struct flt_error *err)
{
	struct tracer *t;
	int ret;

	t = calloc(1, sizeof(*t));
	if (!t)
		return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "tracer: out of memory");
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		ret = t->ncpus ? t->ncpus : -EINVAL;
		free(t);
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "tracer: cannot count the CPUs: %s",
				strerror(-ret));
	}
	t->values = calloc((size_t)t->ncpus, sizeof(struct flt_tr_stats));
	if (!t->values) {
		free(t);
		return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM, "tracer: out of memory");
	}
	if (cfg->mode == TRACER_RAW_TP) {
		ret = load_mode(t, cfg, TRACER_RAW_TP);
	} else {
		ret = load_mode(t, cfg, TRACER_TP_BTF);
		if (ret && cfg->mode == TRACER_AUTO) {
			pr_debug("tracer: tp_btf programs did not load (%s), trying raw_tp\n",
				 strerror(-ret));
			ret = load_mode(t, cfg, TRACER_RAW_TP);
		}
	}
	if (ret) {
		tracer_close(t);
		return flt_fail(err, FLT_ERR_SYSTEM, -ret,
				"loading the tracer's BPF programs failed: %s (run with -d for the "
				"verifier's log)",
				strerror(-ret));
	}
	*out = t;
	return 0;
}

int tracer_add_cgroup(struct tracer *t, uint64_t cgroup_id, uint32_t target,
		      struct flt_error *err)
{
	struct flt_tr_slot *slot = &t->skel->bss->flt_tr_slots[cgroup_id & (FLT_TR_SLOTS - 1)];
	int ret = bpf_map__update_elem(t->skel->maps.flt_tr_cgroups, &cgroup_id, sizeof(cgroup_id),
				       &target, sizeof(target), BPF_ANY);

	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "tracer: cannot add cgroup %llu: %s",
				(unsigned long long)cgroup_id, strerror(-ret));
	/* the programs read the slot as it is written: the id last, once its target is there */
	if (!slot->cgroup_id) {
		slot->target = target;
		__atomic_store_n(&slot->cgroup_id, cgroup_id, __ATOMIC_RELEASE);
	} else if (slot->cgroup_id != cgroup_id) {
		__atomic_store_n(&slot->shared, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

int tracer_add_device(struct tracer *t, uint32_t ifindex, uint32_t netns_ino, uint32_t target,
		      struct flt_error *err)
{
	struct flt_tr_ifkey key = { .ifindex = ifindex, .netns_ino = netns_ino };
	int ret = bpf_map__update_elem(t->skel->maps.flt_tr_ifaces, &key, sizeof(key), &target,
				       sizeof(target), BPF_ANY);

	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "tracer: cannot add device %u: %s",
				ifindex, strerror(-ret));
	return 0;
}

int tracer_attach(struct tracer *t, struct flt_error *err)
{
	struct bpf_program *set[MODE_PROGS];
	size_t i;
	int ret;

	progs_of(t->skel, t->mode, set);
	for (i = 0; i <= MODE_PROGS; i++) {
		struct bpf_program *prog = i < MODE_PROGS ? set[i] : drop_prog(t->skel, t->mode);
		struct bpf_link *link;

		if (i == MODE_PROGS && !t->drops)
			break;
		link = bpf_program__attach(prog);
		if (!link) {
			ret = -errno;
			return flt_fail(err, FLT_ERR_SYSTEM, -ret, "tracer: attaching %s failed: %s",
					bpf_program__section_name(prog), strerror(-ret));
		}
		t->links[t->nlinks++] = link;
	}
	return 0;
}

const char *tracer_mode_name(const struct tracer *t)
{
	return t->mode == TRACER_TP_BTF ? "tp_btf" : "raw_tp";
}

bool tracer_has_drops(const struct tracer *t)
{
	return t->drops;
}

/* Every key of a per-CPU map, each value summed over the CPUs by sum(). */
static int read_map(struct tracer *t, struct bpf_map *map, size_t value_size,
		    void (*sum)(struct tracer *t, const struct flt_tr_key *k, void *fn, void *arg),
		    void *fn, void *arg)
{
	struct flt_tr_key key, next;
	void *prev = NULL;
	int ret;

	for (;;) {
		ret = bpf_map__get_next_key(map, prev, &next, sizeof(next));
		if (ret == -ENOENT)
			return 0;
		if (ret)
			return ret;
		key = next;
		prev = &key;
		ret = bpf_map__lookup_elem(map, &key, sizeof(key), t->values,
					   value_size * (size_t)t->ncpus, 0);
		if (ret == -ENOENT)
			continue; /* removed since: cannot happen today, nothing deletes */
		if (ret)
			return ret;
		sum(t, &key, fn, arg);
	}
}

static void sum_stats(struct tracer *t, const struct flt_tr_key *k, void *fn, void *arg)
{
	const struct flt_tr_stats *v = t->values;
	struct flt_tr_stats st = {};
	int cpu;

	for (cpu = 0; cpu < t->ncpus; cpu++) {
		st.count += v[cpu].count;
		st.errors += v[cpu].errors;
		st.total_ns += v[cpu].total_ns;
		if (v[cpu].max_ns > st.max_ns)
			st.max_ns = v[cpu].max_ns;
	}
	((tracer_stats_fn)fn)(k, &st, arg);
}

static void sum_hist(struct tracer *t, const struct flt_tr_key *k, void *fn, void *arg)
{
	const uint64_t *v = t->values;
	uint64_t n = 0;
	int cpu;

	for (cpu = 0; cpu < t->ncpus; cpu++)
		n += v[cpu];
	((tracer_hist_fn)fn)(k, n, arg);
}

int tracer_read(struct tracer *t, tracer_stats_fn on_stats, tracer_hist_fn on_hist, void *arg,
		uint64_t *overflow, struct flt_error *err)
{
	uint32_t i;
	int ret, cpu;

	ret = read_map(t, t->skel->maps.flt_tr_stats, sizeof(struct flt_tr_stats), sum_stats,
		       (void *)on_stats, arg);
	if (!ret)
		ret = read_map(t, t->skel->maps.flt_tr_hist, sizeof(uint64_t), sum_hist,
			       (void *)on_hist, arg);
	*overflow = 0;
	for (i = 0; !ret && i < FLT_TR_OVF_COUNT; i++) {
		const uint64_t *v = t->values;

		ret = bpf_map__lookup_elem(t->skel->maps.flt_tr_overflow, &i, sizeof(i), t->values,
					   sizeof(uint64_t) * (size_t)t->ncpus, 0);
		for (cpu = 0; !ret && cpu < t->ncpus; cpu++)
			*overflow += v[cpu];
	}
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, -ret, "tracer: reading its maps failed: %s",
				strerror(-ret));
	return 0;
}

void tracer_close(struct tracer *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	trace_bpf__destroy(t->skel);
	free(t->values);
	free(t);
}

int tracer_probe(enum tracer_mode mode, char *why, size_t len)
{
	struct tracer_config cfg = { .mode = mode };
	struct flt_error err = {};
	struct tracer *t;
	int ret;

	ret = tracer_open(&cfg, &t, &err);
	if (!ret) {
		ret = tracer_attach(t, &err);
		tracer_close(t);
	}
	if (ret)
		snprintf(why, len, "%s", err.message);
	return ret;
}
