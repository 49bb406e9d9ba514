// SPDX-License-Identifier: GPL-2.0-only
/*
 * Applying a plan: resolve every target, check it against the active plans, write the plan's
 * description (its deadline first of all), then load, fill, queue and attach, recording each
 * kernel object before the next is made, so that a process killed at any point leaves only what
 * its description names: the next command sweeps it once the deadline passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/clock.h"
#include "common/log.h"
#include "engine/engine.h"
#include "engine/rules.h"
#include "engine/targets.h"
#include "fault.h"
#include "fault.skel.h"
#include "kernel/attach.h"
#include "kernel/cgroup.h"
#include "kernel/features.h"
#include "kernel/netdev.h"
#include "kernel/pods.h"
#include "kernel/shaping.h"
#include "netem/nlreq.h"
#include "netem/qdisc.h"
#include "plan/values.h"
#include "state/store.h"

static int record(void *ctx, const struct state_record *rec);

static struct bpf_program *hook_prog(struct fault_bpf *skel, enum hook h)
{
	switch (h) {
	case HOOK_TC_INGRESS:
		return skel->progs.flt_tc_ingress;
	case HOOK_TC_EGRESS:
		return skel->progs.flt_tc_egress;
	case HOOK_CG_INGRESS:
		return skel->progs.flt_cg_ingress;
	case HOOK_CG_EGRESS:
		return skel->progs.flt_cg_egress;
	case HOOK_CONNECT4:
		return skel->progs.flt_cg_connect4;
	case HOOK_CONNECT6:
		return skel->progs.flt_cg_connect6;
	case HOOK_SENDMSG4:
		return skel->progs.flt_cg_sendmsg4;
	default:
		return skel->progs.flt_cg_sendmsg6;
	}
}

static size_t total_ifaces(const struct apply *ap)
{
	size_t i, n = 0;

	for (i = 0; i < ap->nslots; i++)
		n += ap->slots[i].nifaces;
	return n;
}

/*
 * The node policy's protected CIDRs into the programs' rodata (bpf/fault.bpf.c): their traffic
 * is passed before any rule. The policy parser keeps at most FLT_MAX_PROTECT of them.
 */
static void set_protected_cidrs(struct fault_bpf *skel)
{
	const struct policy *policy = engine_policy();
	struct flt_cidr cidr;
	size_t i;

	for (i = 0; policy && i < policy->ncidrs && i < FLT_MAX_PROTECT; i++) {
		rule_cidr_encode(&policy->cidrs[i], &cidr);
		skel->rodata->flt_protect_cidrs[i] = cidr;
	}
	skel->rodata->flt_nprotect = (uint32_t)i;
}

/*
 * "tc mirred on veth1": the second filter on an interface's ingress whose IFB takes act_mirred's
 * packets only (FLT_IFACE_MIRRED), made right after the interface's tc ingress program.
 */
static bool slot_mirred(const struct slot *s, enum hook h)
{
	return h == HOOK_TC_INGRESS && (s->iface_flags & FLT_IFACE_MIRRED);
}

/* Open and load the tc and cgroup programs for netns slot k; slot 0 creates the maps. */
static int load_instance(struct apply *ap, uint32_t k, struct flt_error *why)
{
	struct fault_bpf *skel = fault_bpf__open();
	struct bpf_program *prog;
	enum hook h;
	size_t i;
	int err;

	if (!skel)
		return -errno;
	ap->skels[k] = skel;
	skel->rodata->flt_netns_slot = k;
	set_protected_cidrs(skel);
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < ap->nslots; i++) {
		for (h = 0; h < HOOK_COUNT; h++) {
			bool tc = h == HOOK_TC_INGRESS || h == HOOK_TC_EGRESS;

			if (!slot_needs(&ap->slots[i], h))
				continue;
			if (tc ? ap->slots[i].netns_slot != k : k != 0)
				continue;
			bpf_program__set_autoload(hook_prog(skel, h), true);
			if (slot_mirred(&ap->slots[i], h))
				bpf_program__set_autoload(skel->progs.flt_tc_mirred, true);
		}
	}
	if (k == 0) {
		bpf_map__set_max_entries(skel->maps.flt_rules, (uint32_t)ap->nslots);
		bpf_map__set_max_entries(skel->maps.flt_ifaces,
					 (uint32_t)(total_ifaces(ap) ? total_ifaces(ap) : 1));
		bpf_map__set_max_entries(skel->maps.flt_counters,
					 (uint32_t)ap->nslots * FLT_MAX_RULES);
		bpf_map__set_max_entries(skel->maps.flt_rate,
					 (uint32_t)ap->nslots * FLT_MAX_RULES * 2);
		bpf_map__set_max_entries(skel->maps.flt_delay_rnd,
					 (uint32_t)ap->nslots * FLT_MAX_RULES);
	} else {
		/* every map is the first instance's: one rule store, one set of counters */
		struct bpf_map *map, *first;

		bpf_object__for_each_map(map, skel->obj) {
			if (bpf_map__is_internal(map))
				continue;
			first = bpf_object__find_map_by_name(ap->skels[0]->obj, bpf_map__name(map));
			err = first ? bpf_map__reuse_fd(map, bpf_map__fd(first)) : -ENOENT;
			if (err)
				return err;
		}
	}
	err = fault_bpf__load(skel);
	if (err)
		return flt_fail(why, FLT_ERR_SYSTEM, err,
				"loading faultline's BPF programs failed: %s (run with -d for the "
				"verifier's log)",
				strerror(-err));
	return 0;
}

static int pin_maps(struct apply *ap)
{
	struct fault_bpf *skel = ap->skels[0];
	struct bpf_map *maps[] = { skel->maps.flt_rules, skel->maps.flt_ifaces,
				   skel->maps.flt_counters, skel->maps.flt_cg };
	char path[PATH_MAX];
	size_t i;
	int err;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		err = state_pin_path(&ap->store, ap->plan->name, bpf_map__name(maps[i]), path,
				     sizeof(path));
		err = err ?: bpf_map__pin(maps[i], path);
		if (err)
			return err;
	}
	return 0;
}

static int fill_maps(struct apply *ap, uint64_t deadline_ns)
{
	struct fault_bpf *skel = ap->skels[0];
	struct flt_target_rules *tr = calloc(1, sizeof(*tr));
	int rules_fd = bpf_map__fd(skel->maps.flt_rules), ifaces_fd = bpf_map__fd(skel->maps.flt_ifaces);
	uint32_t k;
	size_t i;
	int err = 0;

	if (!tr)
		return -ENOMEM;
	for (k = 0; k < ap->nslots && !err; k++) {
		struct slot *s = &ap->slots[k];

		size_t netem_index = 0;

		memset(tr, 0, sizeof(*tr));
		tr->nrules = (uint32_t)s->nrules;
		for (i = 0; i < s->nrules; i++)
			rule_encode(&ap->plan->faults[s->faults[i]], deadline_ns,
				    s->kinds[i] == SHAPING_NETEM ? shaping_netem_classid(netem_index++)
								 : 0,
				    &tr->rules[i]);
		rule_summarize(tr);
		err = bpf_map_update_elem(rules_fd, &k, tr, BPF_ANY);
		for (i = 0; i < s->nifaces && !err; i++) {
			struct flt_iface_key key = { .ifindex = (uint32_t)s->ifaces[i].ifindex,
						     .netns_slot = s->netns_slot };
			struct flt_iface val = { .target_slot = k,
						 .flags = s->iface_flags,
						 .ifb_ifindex = s->ifb_ifindex
									? (uint32_t)s->ifb_ifindex[i]
									: 0 };

			err = bpf_map_update_elem(ifaces_fd, &key, &val, BPF_NOEXIST);
		}
	}
	free(tr);
	return err;
}

/* The queues of every device where packets of a waiting fault must wait. */
static int setup_queues(struct apply *ap, struct flt_error *why)
{
	size_t k, i;
	int err;

	for (k = 0; k < ap->nslots; k++) {
		struct slot *s = &ap->slots[k];

		for (i = 0; s->waits && i < s->nifaces; i++) {
			struct shaping_device dev = {
				.ifindex = s->ifaces[i].ifindex,
				.ifname = s->ifaces[i].name,
				.netns_path = s->netns_path,
				.netns_ino = s->netns_ino,
				.kind = s->device_kind,
				.plan = ap->plan,
				.faults = s->faults,
				.kinds = s->kinds,
				.nfaults = s->nrules,
			};

			shaping_sides(s->wait_directions, s->iface_flags & FLT_IFACE_SWAP,
				      &dev.egress_queue, &dev.ifb);
			err = shaping_setup(&dev, record, ap, &s->ifb_ifindex[i], why);
			if (err)
				return err;
		}
	}
	return 0;
}

/* netem's distribution tables, for the edt delays drawn from them (loaded once per plan). */
static int fill_dist_tables(struct apply *ap, struct flt_error *why)
{
	static const char *const names[FLT_DIST_COUNT] = {
		[FLT_DIST_NORMAL] = "normal",
		[FLT_DIST_PARETO] = "pareto",
		[FLT_DIST_PARETONORMAL] = "paretonormal",
	};
	bool wanted[FLT_DIST_COUNT] = { false };
	struct flt_dist_table *table;
	int16_t *values;
	size_t k, i, len;
	uint32_t d;
	int err = 0;

	for (k = 0; k < ap->nslots; k++)
		for (i = 0; i < ap->slots[k].nrules; i++)
			if (ap->slots[k].kinds[i] == SHAPING_EDT)
				wanted[ap->plan->faults[ap->slots[k].faults[i]].distribution] = true;
	table = calloc(1, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (d = 0; d < FLT_DIST_COUNT && !err; d++) {
		if (!wanted[d] || !names[d])
			continue;
		err = netem_dist_load(names[d], &values, &len);
		if (err) {
			flt_fail(why, FLT_ERR_SYSTEM, err,
				 "cannot read iproute2's %s distribution table: %s", names[d],
				 strerror(-err));
			break;
		}
		memset(table, 0, sizeof(*table));
		memcpy(table->values, values,
		       (len < FLT_DIST_TABLE_SIZE ? len : FLT_DIST_TABLE_SIZE) * sizeof(int16_t));
		free(values);
		err = bpf_map_update_elem(bpf_map__fd(ap->skels[0]->maps.flt_dist), &d, table,
					  BPF_ANY);
	}
	free(table);
	return err;
}

static int resolve_tc_mode(struct apply *ap, struct flt_error *why)
{
	int err = tc_mode_from_env(&ap->tc_mode), tcx;

	if (err)
		return flt_fail(why, FLT_ERR_INPUT, EINVAL,
				"FAULTLINE_TC_ATTACH: must be auto, tcx or clsact");
	if (ap->tc_mode != TC_MODE_AUTO)
		return 0;
	tcx = tcx_supported(bpf_program__fd(ap->skels[0]->progs.flt_tc_ingress));
	ap->tc_mode = tcx > 0 ? TC_MODE_TCX : TC_MODE_CLSACT;
	return 0;
}

static bool plan_needs_tc(const struct apply *ap)
{
	size_t i;

	for (i = 0; i < ap->nslots; i++)
		if (slot_needs(&ap->slots[i], HOOK_TC_INGRESS))
			return true;
	return false;
}

/* --- the description ------------------------------------------------------------------------ */

/* "tc ingress on veth1", "cgroup connect4 on /kubepods/...": how status names an attachment. */
static void hook_what(const struct slot *s, enum hook h, size_t iface, char *buf, size_t len)
{
	if (!hook_is_tc(h))
		snprintf(buf, len, "%s on %s", hooks[h].name, s->cgroup_dir);
	else if (s->netns_path)
		snprintf(buf, len, "%s on %s in %s", hooks[h].name, s->ifaces[iface].name,
			 s->netns_path);
	else
		snprintf(buf, len, "%s on %s", hooks[h].name, s->ifaces[iface].name);
}

static void mirred_what(const struct slot *s, size_t iface, char *buf, size_t len)
{
	if (s->netns_path)
		snprintf(buf, len, "tc mirred on %s in %s", s->ifaces[iface].name, s->netns_path);
	else
		snprintf(buf, len, "tc mirred on %s", s->ifaces[iface].name);
}

/* Every attachment apply will make, in the order it makes them: queues first, then hooks. */
static int desc_plan_attachments(struct apply *ap)
{
	char what[STATE_WHAT_MAX];
	size_t k, i;
	enum hook h;
	int err = 0;

	for (k = 0; k < ap->nslots && !err; k++) {
		struct slot *s = &ap->slots[k];

		for (i = 0; s->waits && i < s->nifaces && !err; i++) {
			bool egress_queue, ifb;

			shaping_sides(s->wait_directions, s->iface_flags & FLT_IFACE_SWAP,
				      &egress_queue, &ifb);
			if (egress_queue) {
				shaping_what(false, s->ifaces[i].name, what, sizeof(what));
				err = state_desc_add_planned(&ap->desc, what);
			}
			if (ifb && !err) {
				shaping_what(true, s->ifaces[i].name, what, sizeof(what));
				err = state_desc_add_planned(&ap->desc, what);
			}
		}
	}
	for (k = 0; k < ap->nslots && !err; k++)
		for (h = 0; h < HOOK_COUNT && !err; h++)
			for (i = 0; slot_needs(&ap->slots[k], h) &&
				    i < (hook_is_tc(h) ? ap->slots[k].nifaces : 1) && !err;
			     i++) {
				hook_what(&ap->slots[k], h, i, what, sizeof(what));
				err = state_desc_add_planned(&ap->desc, what);
				if (err || !slot_mirred(&ap->slots[k], h))
					continue;
				mirred_what(&ap->slots[k], i, what, sizeof(what));
				err = state_desc_add_planned(&ap->desc, what);
			}
	return err;
}

static int desc_new(struct apply *ap, uint64_t deadline_ns)
{
	const struct plan *plan = ap->plan;
	struct state_desc *d = &ap->desc;
	size_t i, j;

	d->version = STATE_SCHEMA_VERSION;
	snprintf(d->name, sizeof(d->name), "%s", plan->name);
	snprintf(d->file, sizeof(d->file), "%s", plan->file);
	d->duration_ms = plan->duration_ms;
	d->deadline_mono_ns = deadline_ns;
	d->applied_unix_ms = unix_now_ms();
	d->faults = calloc(plan->nfaults ? plan->nfaults : 1, sizeof(*d->faults));
	d->slots = calloc(ap->nslots ? ap->nslots : 1, sizeof(*d->slots));
	if (!d->faults || !d->slots)
		return -ENOMEM;
	d->nfaults = plan->nfaults;
	for (i = 0; i < plan->nfaults; i++) {
		snprintf(d->faults[i].name, sizeof(d->faults[i].name), "%s", plan->faults[i].name);
		snprintf(d->faults[i].target, sizeof(d->faults[i].target), "%s",
			 plan->targets[plan->faults[i].target].name);
	}
	d->nslots = ap->nslots;
	for (i = 0; i < ap->nslots; i++) {
		const struct slot *s = &ap->slots[i];
		struct state_slot *o = &d->slots[i];

		snprintf(o->id, sizeof(o->id), "%s", s->id->id);
		snprintf(o->kind, sizeof(o->kind), "%s", target_kind_name(s->id->kind));
		snprintf(o->target, sizeof(o->target), "%s", s->target->name);
		o->nrules = (uint32_t)s->nrules;
		for (j = 0; j < s->nrules; j++)
			o->rules[j] = (uint32_t)s->faults[j];
		o->cgroup_id = s->cgroup_id;
		snprintf(o->cgroup_dir, sizeof(o->cgroup_dir), "%s", s->cgroup_dir);
		o->netns_ino = s->netns_ino;
		o->ifindexes = calloc(s->nifaces ? s->nifaces : 1, sizeof(*o->ifindexes));
		o->ifnames = calloc(s->nifaces ? s->nifaces : 1, sizeof(*o->ifnames));
		if (!o->ifindexes || !o->ifnames)
			return -ENOMEM;
		o->nifaces = (uint32_t)s->nifaces;
		for (j = 0; j < s->nifaces; j++) {
			o->ifindexes[j] = s->ifaces[j].ifindex;
			snprintf(o->ifnames[j], sizeof(o->ifnames[j]), "%s", s->ifaces[j].name);
		}
	}
	return desc_plan_attachments(ap);
}

/*
 * Note a kernel object in the description before the next one is made. A second record of the
 * same object (its what) replaces the first: the clsact path records its intent, then the filter.
 */
static int record(void *ctx, const struct state_record *rec)
{
	struct apply *ap = ctx;
	struct state_desc *d = &ap->desc;

	if (d->nrecords && !strcmp(d->records[d->nrecords - 1].what, rec->what))
		d->records[d->nrecords - 1] = *rec;
	else if (state_desc_add_record(d, rec))
		return -ENOMEM;
	return state_desc_write(&ap->store, d);
}

/* --- attaching ------------------------------------------------------------------------------- */

/*
 * The mirred filter after interface i's tc ingress program (at priority after, 0 for a tcx
 * link), on clsact in either mode: tcx hands what its programs pass on to clsact's filters.
 * Recorded, as every clsact filter, before it is made.
 */
static int attach_mirred(struct apply *ap, const struct slot *s, size_t i,
			 const struct tc_attach_req *main, uint32_t after, struct flt_error *why)
{
	struct tc_attach_req req = *main;
	struct state_record rec;
	int err;

	req.prog_fd = bpf_program__fd(ap->skels[s->netns_slot]->progs.flt_tc_mirred);
	req.mode = TC_MODE_CLSACT;
	req.handle = 0xf1000000u | ((uint32_t)ap->desc.nrecords & 0xffffffu);
	req.mirred_ifindex = s->ifb_ifindex[i];
	req.after_priority = after;
	memset(&rec, 0, sizeof(rec));
	mirred_what(s, i, rec.what, sizeof(rec.what));
	err = attach_tc(&req, &rec);
	if (err)
		return flt_fail(why, FLT_ERR_SYSTEM, err,
				"%s %s: adding the mirred filter to its IFB on %s's ingress "
				"(priority %u) failed: %s%s%s%s",
				target_kind_name(s->id->kind), s->id->id, s->ifaces[i].name,
				after + 1, strerror(-err),
				nlreq_ext_ack()[0] ? " (the kernel says: " : "", nlreq_ext_ack(),
				nlreq_ext_ack()[0] ? ")" : "");
	return record(ap, &rec);
}

static int attach_slot_tc(struct apply *ap, uint32_t k, enum hook h, struct flt_error *why)
{
	struct slot *s = &ap->slots[k];
	char pin[PATH_MAX], registry[PATH_MAX];
	struct state_record rec;
	size_t i;
	int err;

	err = state_root_path(&ap->store, "clsact", registry, sizeof(registry));
	for (i = 0; i < s->nifaces && !err; i++) {
		uint32_t n = (uint32_t)ap->desc.nrecords;
		struct tc_attach_req req = {
			.prog_fd = bpf_program__fd(hook_prog(ap->skels[s->netns_slot], h)),
			.ifindex = s->ifaces[i].ifindex,
			.ingress = h == HOOK_TC_INGRESS,
			.netns_path = s->netns_path,
			.netns_ino = s->netns_ino,
			.mode = ap->tc_mode,
			.link_pin = pin,
			.registry_pin = registry,
			/* distinct per plan and attachment; 0xf1 marks faultline's filters */
			.handle = 0xf1000000u | (n & 0xffffffu),
			.record = record,
			.ctx = ap,
		};

		memset(&rec, 0, sizeof(rec));
		hook_what(s, h, i, rec.what, sizeof(rec.what));
		snprintf(rec.link, sizeof(rec.link), "link-%u", n);
		err = state_pin_path(&ap->store, ap->plan->name, rec.link, pin, sizeof(pin));
		err = err ?: attach_tc(&req, &rec);
		if (err)
			return flt_fail(why, FLT_ERR_SYSTEM, err,
					"%s %s: attaching to %s %s failed: %s",
					target_kind_name(s->id->kind), s->id->id, s->ifaces[i].name,
					hooks[h].name, strerror(-err));
		err = record(ap, &rec);
		if (!err && slot_mirred(s, h) && s->ifb_ifindex && s->ifb_ifindex[i])
			err = attach_mirred(ap, s, i, &req, rec.priority, why);
	}
	return err;
}

static int attach_slot_cgroup(struct apply *ap, uint32_t k, enum hook h, struct flt_error *why)
{
	struct slot *s = &ap->slots[k];
	struct bpf_cgroup_storage_key key = { .cgroup_inode_id = s->cgroup_id,
					      .attach_type = hooks[h].attach_type };
	struct flt_cg_target val = { .target_slot_plus1 = k + 1 };
	char pin[PATH_MAX];
	struct state_record rec;
	int err;

	memset(&rec, 0, sizeof(rec));
	hook_what(s, h, 0, rec.what, sizeof(rec.what));
	snprintf(rec.link, sizeof(rec.link), "link-%zu", ap->desc.nrecords);
	err = state_pin_path(&ap->store, ap->plan->name, rec.link, pin, sizeof(pin));
	err = err ?: attach_cgroup(bpf_program__fd(hook_prog(ap->skels[0], h)), s->cgroup_dir,
				   hooks[h].attach_type, pin, &rec);
	if (err)
		return flt_fail(why, FLT_ERR_SYSTEM, err, "%s %s: attaching %s to %s failed: %s",
				target_kind_name(s->id->kind), s->id->id, hooks[h].name,
				s->cgroup_dir, strerror(-err));
	err = record(ap, &rec);
	/* the attachment's storage exists from now on; until it names the slot, it does nothing */
	err = err ?: bpf_map_update_elem(bpf_map__fd(ap->skels[0]->maps.flt_cg), &key, &val,
					 BPF_EXIST);
	return err;
}

static int attach_all(struct apply *ap, struct flt_error *why)
{
	int err = 0;
	uint32_t k;
	enum hook h;

	for (k = 0; k < ap->nslots && !err; k++)
		for (h = 0; h < HOOK_COUNT && !err; h++) {
			if (!slot_needs(&ap->slots[k], h))
				continue;
			err = hook_is_tc(h) ? attach_slot_tc(ap, k, h, why)
					    : attach_slot_cgroup(ap, k, h, why);
		}
	return err;
}

/*
 * The kernel side of apply. The plan's folder and its description, deadline included, come
 * before any kernel object: whatever point the process dies at, what it made is in the folder
 * or named by the description, and the deadline says when the sweep may remove it.
 * On failure why says what went wrong and whose it is: shaping_setup tells the user's problems
 * (another plan's queue on a device, a qdisc tree it could not put back) from the system's;
 * every other failure here is the system's, with its step's message or its errno's.
 */
static int apply_kernel(struct apply *ap, struct flt_error *why)
{
	uint64_t deadline_ns;
	uint32_t k;
	int err;

	err = state_plan_create(&ap->store, ap->plan->name);
	if (err)
		return err;
	/* the deadline counts from the moment the plan exists: its faults end by then for sure */
	deadline_ns = mono_now_ns() + ap->plan->duration_ms * 1000000ULL;
	err = desc_new(ap, deadline_ns);
	err = err ?: state_desc_write(&ap->store, &ap->desc);
	for (k = 0; k < ap->nnetns && !err; k++)
		err = load_instance(ap, k, why);
	if (!err && plan_needs_tc(ap))
		err = resolve_tc_mode(ap, why);
	err = err ?: pin_maps(ap);
	err = err ?: fill_dist_tables(ap, why);
	err = err ?: setup_queues(ap, why);
	err = err ?: fill_maps(ap, deadline_ns);
	err = err ?: attach_all(ap, why);
	if (!err) {
		ap->desc.complete = true;
		err = state_desc_write(&ap->store, &ap->desc);
	}
	if (err && why->kind == FLT_ERR_NONE)
		system_failure(why, err);
	return err;
}

/* --- the result ------------------------------------------------------------------------------ */

static int result_slot(const struct apply *ap, const struct slot *s, struct engine_slot *o)
{
	size_t i, n = 0;
	enum hook h;

	o->target = s->target->name;
	o->kind = target_kind_name(s->id->kind);
	o->id = s->id->id;
	for (h = 0; h < HOOK_COUNT; h++)
		if (slot_needs(s, h))
			n += hook_is_tc(h) ? s->nifaces : 1;
	o->hooks = calloc(n ? n : 1, sizeof(*o->hooks));
	o->queues = calloc(s->nifaces ? s->nifaces : 1, sizeof(*o->queues));
	o->faults = calloc(s->nrules ? s->nrules : 1, sizeof(*o->faults));
	if (!o->hooks || !o->queues || !o->faults)
		return -ENOMEM;
	for (h = 0; h < HOOK_COUNT; h++)
		for (i = 0; slot_needs(s, h) && i < (hook_is_tc(h) ? s->nifaces : 1); i++) {
			struct engine_hook *e = &o->hooks[o->nhooks++];

			hook_what(s, h, i, e->what, sizeof(e->what));
			e->hook = hooks[h].name;
			e->tc = hook_is_tc(h);
			if (e->tc) {
				snprintf(e->ifname, sizeof(e->ifname), "%s", s->ifaces[i].name);
				e->ifindex = s->ifaces[i].ifindex;
				e->netns = s->netns_path;
			} else {
				snprintf(e->cgroup, sizeof(e->cgroup), "%s", s->cgroup_dir);
			}
		}
	for (i = 0; s->waits && i < s->nifaces; i++) {
		struct engine_queue *q = &o->queues[o->nqueues++];

		snprintf(q->ifname, sizeof(q->ifname), "%s", s->ifaces[i].name);
		q->qdisc = s->device_kind == SHAPING_EDT ? "fq (edt)" : "prio with netem leaves";
		shaping_sides(s->wait_directions, s->iface_flags & FLT_IFACE_SWAP, &q->egress,
			      &q->ifb);
	}
	for (i = 0; i < s->nrules; i++)
		o->faults[o->nfaults++] = ap->plan->faults[s->faults[i]].name;
	return 0;
}

static int result_fill(const struct apply *ap, struct engine_apply_result *res)
{
	const struct plan_target *counted = NULL;
	size_t i;
	int err = 0;

	res->dry_run = ap->dry_run;
	res->tc_mode = ap->dry_run || !plan_needs_tc(ap) ? NULL
		       : ap->tc_mode == TC_MODE_TCX	  ? "tcx link"
							  : "clsact filter";
	res->slots = calloc(ap->nslots ? ap->nslots : 1, sizeof(*res->slots));
	if (!res->slots)
		return -ENOMEM;
	for (i = 0; i < ap->nslots && !err; i++) {
		err = result_slot(ap, &ap->slots[i], &res->slots[res->nslots++]);
		if (!ap->slots[i].nrules)
			continue;
		res->nids++;
		/* slots come target by target (resolve_targets), so a new target is a change */
		if (ap->slots[i].target != counted) {
			counted = ap->slots[i].target;
			res->ntargets++;
		}
	}
	return err;
}

void engine_apply_result_free(struct engine_apply_result *res)
{
	size_t i;

	for (i = 0; res->slots && i < res->nslots; i++) {
		free(res->slots[i].hooks);
		free(res->slots[i].queues);
		free(res->slots[i].faults);
	}
	free(res->slots);
	memset(res, 0, sizeof(*res));
}

static void apply_free(struct apply *ap)
{
	size_t i;

	for (i = 0; i < NETNS_SLOTS_MAX; i++)
		fault_bpf__destroy(ap->skels[i]);
	slots_free(ap);
	state_desc_free(&ap->desc);
}

/* What a failed apply made, removed again; nothing of the plan is left. */
static void apply_undo(struct apply *ap)
{
	struct flt_error ignored;

	state_close(&ap->store);
	engine_revert(ap->plan->name, NULL, &ignored);
}

int engine_apply(const struct plan *plan, bool dry_run, struct engine_apply_result *res,
		 struct flt_error *err)
{
	struct apply ap = { .plan = plan, .dry_run = dry_run, .err = err };
	struct flt_error why;
	bool created = false;
	int ret;

	memset(res, 0, sizeof(*res));
	flt_error_clear(err);
	ap.store.root_fd = ap.store.plans_fd = ap.store.lock_fd = ap.store.plan_fd = -1;
	/* the node policy first: a plan it refuses changes nothing, whichever front end asks */
	ret = engine_policy_check(plan, err);
	if (ret)
		goto out;
	ret = netns_ino_of("/proc/thread-self/ns/net", &ap.own_netns_ino);
	if (ret) {
		ret = flt_fail(err, FLT_ERR_SYSTEM, -ret, "cannot read faultline's network namespace: "
			       "%s", strerror(-ret));
		goto out;
	}
	ap.netns_inos[0] = ap.own_netns_ino;
	ap.nnetns = 1;
	ret = resolve_targets(&ap);
	if (ret)
		goto out;
	ret = state_open(&ap.store, !dry_run, err);
	if (ret)
		goto out;
	if (state_frozen(&ap.store)) { /* checked under the lock that engine_freeze() takes */
		ret = flt_fail(err, FLT_ERR_INPUT, EPERM, "plan %s: node is frozen: faultline "
			       "unfreeze lets plans apply again", plan->name);
		goto out;
	}
	if (state_plan_exists(&ap.store, plan->name)) {
		ret = flt_fail(err, FLT_ERR_INPUT, EEXIST, "plan %s: a plan of that name is active: "
			       "revert it first (faultline revert %s)", plan->name, plan->name);
		goto out;
	}
	ret = check_other_plans(&ap);
	if (ret)
		goto out;
	if (!dry_run) {
		flt_error_clear(&why);
		ret = apply_kernel(&ap, &why);
		created = ret != -EEXIST;
		if (ret) {
			ret = flt_fail(err, why.kind, ret, "plan %s: %s; nothing was changed",
				       plan->name, why.message);
			goto out;
		}
	}
	ret = result_fill(&ap, res);
	if (ret)
		ret = flt_fail(err, FLT_ERR_SYSTEM, -ret, "plan %s: %s", plan->name, strerror(-ret));
out:
	if (ret && created)
		apply_undo(&ap);
	if (ret)
		engine_apply_result_free(res);
	state_close(&ap.store);
	apply_free(&ap);
	return ret;
}
