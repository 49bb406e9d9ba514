// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <linux/pkt_sched.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "fault.h"
#include "netem/ifb.h"
#include "kernel/netdev.h"
#include "common/log.h"
#include "netem/nlreq.h"
#include "netem/qdisc.h"
#include "kernel/shaping.h"
#include "plan/values.h"

#define FQ_HANDLE 0xf1f0U /* major of faultline's fq root */
#define NETEM_LEAF_HANDLE 0xf200U /* major of the first netem leaf; + the fault's netem index */

/*
 * Queue sizes. A queue must hold what arrives while packets wait: packets/s x (delay + jitter).
 * faultline sizes for a fault's traffic of up to 100,000 packets/s (about 1.2 Gbit/s at 1500
 * bytes), and each fq flow for 20,000 packets/s: a busier flow loses packets to the queue's
 * limit, not to the fault. netem's default of 1000 packets holds 10 ms at that rate.
 */
#define QUEUE_PPS 100000ULL
#define FQ_FLOW_PPS 20000ULL
#define NETEM_LIMIT_MIN 1000U
#define NETEM_LIMIT_MAX 1000000U
#define FQ_FLOW_LIMIT_MIN 100U /* fq's default */
#define FQ_LIMIT_MIN 10000U /* fq's default */
#define FQ_HORIZON_MIN_NS 10000000000ULL /* fq's default, 10 s */

static const char *const dist_names[FLT_DIST_COUNT] = {
	[FLT_DIST_UNIFORM] = NULL,
	[FLT_DIST_NORMAL] = "normal",
	[FLT_DIST_PARETO] = "pareto",
	[FLT_DIST_PARETONORMAL] = "paretonormal",
};

bool shaping_fault_waits(const struct plan_fault *f)
{
	return (f->actions & (FLT_ACT_DELAY | FLT_ACT_RATE)) || f->netem_effects ||
	       (f->backend == PLAN_BACKEND_NETEM && (f->actions & FLT_ACT_LOSS));
}

/* The first effect of a fault that makes it wait, for messages. */
static const char *waiting_effect(const struct plan_fault *f)
{
	if (f->actions & FLT_ACT_DELAY)
		return "delay";
	if (f->actions & FLT_ACT_RATE)
		return "rate";
	if (f->netem_effects & PLAN_NETEM_DUPLICATE)
		return "duplicate";
	if (f->netem_effects & PLAN_NETEM_CORRUPT)
		return "corrupt";
	if (f->netem_effects & PLAN_NETEM_REORDER)
		return "reorder";
	return "loss";
}

static int need_netem(const struct plan_fault *f, const struct shaping_caps *caps,
		      struct flt_error *err)
{
	if (!caps->netem && !caps->prio)
		return 0;
	return flt_fail(err, FLT_ERR_INPUT, EINVAL,
			"fault %s: %s needs the %s qdisc%s (backend netem), which this kernel does "
			"not have",
			f->name, waiting_effect(f),
			caps->netem && caps->prio ? "netem and prio"
			: caps->netem		  ? "netem"
						  : "prio",
			caps->netem && caps->prio ? "s" : "");
}

int shaping_plan(const struct plan *plan, const size_t *faults, size_t nfaults,
		 const struct shaping_caps *caps, enum shaping_kind *kinds,
		 enum shaping_kind *device_kind, size_t *culprit, struct flt_error *err)
{
	const struct plan_fault *explicit_edt = NULL, *netem_one = NULL;
	size_t i, nnetem = 0;
	int ret;

	*device_kind = SHAPING_NONE;
	for (i = 0; i < nfaults; i++) {
		const struct plan_fault *f = &plan->faults[faults[i]];

		*culprit = faults[i];
		kinds[i] = SHAPING_NONE;
		if (!shaping_fault_waits(f))
			continue;
		if (f->netem_effects || f->backend == PLAN_BACKEND_NETEM) {
			kinds[i] = SHAPING_NETEM;
			netem_one = f;
		} else if (f->backend == PLAN_BACKEND_EDT) {
			if (caps->fq)
				return flt_fail(
					err, FLT_ERR_INPUT, EINVAL,
					"fault %s: backend edt needs the fq qdisc, which this "
					"kernel does not have",
					f->name);
			kinds[i] = SHAPING_EDT;
			explicit_edt = f;
		} else if (!caps->fq) {
			kinds[i] = SHAPING_EDT; /* auto: edt where fq exists */
		} else if (!caps->netem && !caps->prio) {
			kinds[i] = SHAPING_NETEM;
			netem_one = f;
		} else {
			return flt_fail(err, FLT_ERR_INPUT, EINVAL,
					"fault %s: %s needs the fq qdisc (backend edt) or netem "
					"(backend netem); this kernel has neither",
					f->name, waiting_effect(f));
		}
	}
	if (netem_one && explicit_edt) {
		*culprit = (size_t)(netem_one - plan->faults);
		return flt_fail(
			err, FLT_ERR_INPUT, EINVAL,
			"faults %s and %s: backend edt and netem on the same target need two "
			"root qdiscs on one device; give them the same backend",
			explicit_edt->name, netem_one->name);
	}
	/* One root qdisc per device: with any netem fault on the target, auto faults use netem. */
	for (i = 0; i < nfaults; i++) {
		if (kinds[i] == SHAPING_NONE)
			continue;
		if (netem_one)
			kinds[i] = SHAPING_NETEM;
		if (kinds[i] == SHAPING_NETEM) {
			*culprit = faults[i];
			ret = need_netem(&plan->faults[faults[i]], caps, err);
			if (ret)
				return ret;
			nnetem++;
		}
		*device_kind = kinds[i];
	}
	if (nnetem > SHAPING_MAX_NETEM_FAULTS) {
		*culprit = faults[nfaults - 1];
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"target %s: at most %d netem-backed faults on one target",
				plan->targets[plan->faults[faults[0]].target].name,
				SHAPING_MAX_NETEM_FAULTS);
	}
	return 0;
}

uint32_t shaping_netem_classid(size_t netem_index)
{
	return TC_H_MAKE(FLT_PRIO_HANDLE << 16, FLT_PRIO_FIRST_NETEM_BAND + (uint32_t)netem_index);
}

void shaping_sides(unsigned int directions, bool swap, bool *egress_queue, bool *ifb)
{
	/* A pod's egress arrives on its host end's ingress: directions swap there. */
	unsigned int device_egress = swap ? FLT_DIR_INGRESS : FLT_DIR_EGRESS;
	unsigned int device_ingress = swap ? FLT_DIR_EGRESS : FLT_DIR_INGRESS;

	*egress_queue = directions & device_egress;
	*ifb = directions & device_ingress;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint64_t max_wait_ns(const struct shaping_device *dev)
{
	uint64_t most = 0;
	size_t i;

	for (i = 0; i < dev->nfaults; i++) {
		const struct plan_fault *f = &dev->plan->faults[dev->faults[i]];
		uint64_t wait = f->actions & FLT_ACT_DELAY ? f->delay_ns + 4 * f->jitter_ns : 0;

		if (dev->kinds[i] != SHAPING_NONE && wait > most)
			most = wait;
	}
	return most;
}

static void fq_opts_for(const struct shaping_device *dev, struct fq_opts *o)
{
	uint64_t wait = max_wait_ns(dev);

	memset(o, 0, sizeof(*o));
	o->flow_limit = (uint32_t)clamp_u64(wait * FQ_FLOW_PPS / 1000000000ULL, FQ_FLOW_LIMIT_MIN,
					    1000000);
	o->limit = (uint32_t)clamp_u64((uint64_t)o->flow_limit * 10, FQ_LIMIT_MIN, 10000000);
	/* a departure time beyond the horizon is dropped: keep every delay of the plan within */
	o->horizon_ns = wait * 2 > FQ_HORIZON_MIN_NS ? wait * 2 : FQ_HORIZON_MIN_NS;
	o->horizon_drop = true;
}

static int netem_opts_for(const struct plan_fault *f, struct netem_opts *o, int16_t **table)
{
	uint64_t wait = (f->actions & FLT_ACT_DELAY) ? f->delay_ns + 4 * f->jitter_ns : 0;
	size_t len;
	int err;

	memset(o, 0, sizeof(*o));
	*table = NULL;
	if (f->actions & FLT_ACT_DELAY) {
		o->latency_ns = f->delay_ns;
		o->jitter_ns = f->jitter_ns;
		o->latency_corr = percent_to_u32(f->delay_correlation);
		if (f->jitter_ns && dist_names[f->distribution]) {
			err = netem_dist_load(dist_names[f->distribution], table, &len);
			if (err)
				return err;
			o->dist = *table;
			o->dist_len = len;
		}
	}
	if (f->actions & FLT_ACT_LOSS)
		o->loss = percent_to_u32(f->loss_percent);
	if (f->netem_effects & PLAN_NETEM_LOSS_GE) {
		/* the kernel's h is the model's; its k1 is the loss probability in the good state */
		o->loss_ge = true;
		o->ge_p = percent_to_u32(f->ge_p);
		o->ge_r = percent_to_u32(f->ge_r);
		o->ge_h = percent_to_u32(f->ge_h);
		o->ge_k1 = percent_to_u32(100.0 - f->ge_k);
	}
	if (f->netem_effects & PLAN_NETEM_DUPLICATE)
		o->duplicate = percent_to_u32(f->duplicate_percent);
	if (f->netem_effects & PLAN_NETEM_CORRUPT)
		o->corrupt = percent_to_u32(f->corrupt_percent);
	if (f->netem_effects & PLAN_NETEM_REORDER) {
		o->reorder = percent_to_u32(f->reorder_percent);
		o->reorder_corr = percent_to_u32(f->reorder_correlation);
	}
	if (f->actions & FLT_ACT_RATE)
		o->rate_bytes_per_sec = f->rate_bytes_per_sec;
	o->limit = (uint32_t)clamp_u64(wait * QUEUE_PPS / 1000000000ULL, NETEM_LIMIT_MIN,
				       NETEM_LIMIT_MAX);
	return 0;
}

/* The root of a device (a fresh IFB or a device whose root was saved): fq, or prio + netem. */
static int install_root(const struct shaping_device *dev, int ifindex, struct flt_error *err)
{
	struct netem_opts no;
	struct fq_opts fo;
	int16_t *table;
	size_t i, k = 0;
	int ret;

	if (dev->kind == SHAPING_EDT) {
		fq_opts_for(dev, &fo);
		ret = qdisc_fq_add(ifindex, TC_H_ROOT, FQ_HANDLE << 16, &fo);
		if (ret)
			return flt_fail(err, FLT_ERR_SYSTEM, ret,
					"interface %s: adding the fq root qdisc failed: %s",
					dev->ifname, strerror(-ret));
		return 0;
	}
	for (i = 0; i < dev->nfaults; i++)
		k += dev->kinds[i] == SHAPING_NETEM;
	ret = qdisc_prio_add(ifindex, TC_H_ROOT, FLT_PRIO_HANDLE << 16,
			     FLT_PRIO_FIRST_NETEM_BAND - 1 + (int)k);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"interface %s: adding the prio root qdisc failed: %s", dev->ifname,
				strerror(-ret));
	for (i = 0, k = 0; i < dev->nfaults; i++) {
		const struct plan_fault *f = &dev->plan->faults[dev->faults[i]];

		if (dev->kinds[i] != SHAPING_NETEM)
			continue;
		ret = netem_opts_for(f, &no, &table);
		ret = ret ?: qdisc_netem_add(ifindex, shaping_netem_classid(k),
					     (NETEM_LEAF_HANDLE + (uint32_t)k) << 16, &no);
		free(table);
		if (ret)
			return flt_fail(err, FLT_ERR_SYSTEM, ret,
					"fault %s: adding its netem qdisc on %s failed: %s%s%s%s",
					f->name, dev->ifname, strerror(-ret),
					nlreq_ext_ack()[0] ? " (the kernel says: " : "",
					nlreq_ext_ack(), nlreq_ext_ack()[0] ? ")" : "");
		k++;
	}
	return 0;
}

static uint32_t root_handle(const struct shaping_device *dev)
{
	return (dev->kind == SHAPING_EDT ? FQ_HANDLE : FLT_PRIO_HANDLE) << 16;
}

static void record_init(struct state_record *rec, enum state_rec_kind kind,
			const struct shaping_device *dev, int ifindex, const char *ifname)
{
	memset(rec, 0, sizeof(*rec));
	rec->kind = kind;
	rec->ifindex = ifindex;
	snprintf(rec->ifname, sizeof(rec->ifname), "%s", ifname);
	snprintf(rec->netns, sizeof(rec->netns), "%s", dev->netns_path ? dev->netns_path : "");
	rec->netns_ino = dev->netns_ino;
	shaping_what(kind == STATE_REC_IFB, dev->ifname, rec->what, sizeof(rec->what));
}

void shaping_what(bool ifb, const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, ifb ? "ifb for %s's ingress" : "queue on %s", ifname);
}

/* Qdiscs whose classes are made one by one with `tc class add`, not by the qdisc itself. */
static bool handmade_classes(const char *kind)
{
	static const char *const kinds[] = { "htb", "hfsc", "drr", "qfq", "cbq", "ets" };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

/* A failure that has nothing to say but its errno (an allocation, record()): the system's. */
static int system_failure(struct flt_error *err, int ret)
{
	return flt_fail(err, FLT_ERR_SYSTEM, ret, "%s", strerror(-ret));
}

static int setup_egress_queue(const struct shaping_device *dev, shaping_record_fn record, void *ctx,
			      struct flt_error *err)
{
	struct state_record *rec = calloc(1, sizeof(*rec));
	struct qdisc_saved *saved = rec ? &rec->saved : NULL;
	int ret, classes, children;

	if (!rec)
		return system_failure(err, -ENOMEM);
	ret = qdisc_root_save(dev->ifindex, saved);
	if (ret) {
		flt_fail(err, FLT_ERR_SYSTEM, ret,
			 "interface %s: reading its root qdisc failed: %s", dev->ifname,
			 strerror(-ret));
		goto out;
	}
	if (saved->handle >> 16 == FQ_HANDLE || saved->handle >> 16 == FLT_PRIO_HANDLE) {
		ret = flt_fail(err, FLT_ERR_INPUT, EBUSY,
			       "interface %s: another faultline plan already delays or shapes its "
			       "traffic; one plan at a time can (revert the other first)",
			       dev->ifname);
		goto out;
	}
	/*
	 * Only the root can be put back: refuse a tree someone built under it, qdiscs added under
	 * its classes, or classes of a qdisc whose classes are made by hand (htb's, hfsc's...).
	 * prio's bands and tbf's class are the qdisc's own and come back with it.
	 */
	children = saved->is_default ? 0 : qdisc_child_count(dev->ifindex);
	classes = saved->is_default || !handmade_classes(saved->kind)
			  ? 0
			  : qdisc_root_class_count(dev->ifindex);
	if (children != 0 || classes != 0) {
		/* a tree the user built is the user's to remove; an unreadable one, the system's */
		ret = flt_fail(
			err, children < 0 || classes < 0 ? FLT_ERR_SYSTEM : FLT_ERR_INPUT, ENOTSUP,
			"interface %s: its root qdisc %s %x: has %s under it; faultline would "
			"have to replace it and could not restore them; remove them first",
			dev->ifname, saved->kind, saved->handle >> 16,
			children < 0 || classes < 0 ? "unreadable qdiscs or classes"
			: children		    ? "qdiscs added"
						    : "classes");
		goto out;
	}
	{
		struct qdisc_saved keep = *saved;

		record_init(rec, STATE_REC_QDISC, dev, dev->ifindex, dev->ifname);
		rec->saved = keep;
	}
	rec->handle = root_handle(dev);
	ret = record(ctx, rec);
	ret = ret ? system_failure(err, ret) : install_root(dev, dev->ifindex, err);
out:
	free(rec);
	return ret;
}

static int setup_ifb(const struct shaping_device *dev, shaping_record_fn record, void *ctx,
		     int *ifb_ifindex, struct flt_error *err)
{
	char name[IF_NAMESIZE];
	struct state_record *rec;
	int ret;

	snprintf(name, sizeof(name), "flt-ifb-%d", dev->ifindex);
	ret = ifb_create(name, ifb_ifindex);
	if (ret == -EEXIST)
		return flt_fail(
			err, FLT_ERR_INPUT, EBUSY,
			"interface %s: IFB device %s exists: another faultline plan delays or "
			"shapes its traffic; one plan at a time can",
			dev->ifname, name);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"interface %s: creating IFB device %s for its ingress failed: %s",
				dev->ifname, name, strerror(-ret));
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return system_failure(err, -ENOMEM);
	record_init(rec, STATE_REC_IFB, dev, *ifb_ifindex, name);
	ret = record(ctx, rec);
	free(rec);
	return ret ? system_failure(err, ret) : install_root(dev, *ifb_ifindex, err);
}

static int enter_netns(const char *path, uint64_t ino, int *saved)
{
	struct stat st;
	int fd, ret;

	*saved = -1;
	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ret = netns_enter(fd, saved);
		close(fd);
		if (ret)
			return ret;
	}
	if (stat("/proc/thread-self/ns/net", &st) || st.st_ino != ino) {
		if (*saved >= 0)
			netns_leave(*saved);
		*saved = -1;
		return -ESRCH;
	}
	return 0;
}

int shaping_setup(const struct shaping_device *dev, shaping_record_fn record, void *ctx,
		  int *ifb_ifindex, struct flt_error *err)
{
	int saved, ret;

	*ifb_ifindex = 0;
	if (dev->kind == SHAPING_NONE || (!dev->egress_queue && !dev->ifb))
		return 0;
	ret = enter_netns(dev->netns_path, dev->netns_ino, &saved);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"interface %s: cannot enter its network namespace: %s", dev->ifname,
				strerror(-ret));
	if (dev->egress_queue)
		ret = setup_egress_queue(dev, record, ctx, err);
	if (!ret && dev->ifb)
		ret = setup_ifb(dev, record, ctx, ifb_ifindex, err);
	if (saved >= 0)
		netns_leave(saved);
	return ret;
}

static int remove_qdisc(const struct state_record *rec, int ifindex)
{
	struct qdisc_saved now;
	int ret;

	ret = qdisc_root_save(ifindex, &now);
	if (ret == -ENODEV)
		return 0; /* the device is gone, and its qdiscs with it */
	if (ret)
		return ret;
	if (now.handle != rec->handle) {
		/* not faultline's root (any more): never delete a qdisc we did not create */
		pr_debug("interface %d: its root qdisc is not faultline's; left as it is\n", ifindex);
		return 0;
	}
	return qdisc_root_restore(ifindex, &rec->saved);
}

static int remove_ifb(const struct state_record *rec, int ifindex)
{
	char name[IF_NAMESIZE];

	/* the ifindex may have been reused since: delete only the device of the name we gave */
	if (!if_indextoname((unsigned int)ifindex, name) || strcmp(name, rec->ifname))
		return 0;
	return ifb_delete(ifindex);
}

int shaping_remove(const struct state_record *rec)
{
	int ifindex = rec->ifindex, saved, ret;
	bool qdisc = rec->kind == STATE_REC_QDISC;

	if (!qdisc && rec->kind != STATE_REC_IFB)
		return 1;
	ret = enter_netns(rec->netns[0] ? rec->netns : NULL, rec->netns_ino, &saved);
	if (ret) {
		/* a namespace that is gone took its devices and qdiscs with it */
		pr_debug("interface %d: its network namespace is gone or out of reach\n", ifindex);
		return 0;
	}
	ret = qdisc ? remove_qdisc(rec, ifindex) : remove_ifb(rec, ifindex);
	if (saved >= 0)
		netns_leave(saved);
	return ret;
}
