// SPDX-License-Identifier: GPL-2.0-only
/* faultline apply: validate, resolve every target, then apply all faults or none. */
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

#include "kernel/attach.h"
#include "kernel/cgroup.h"
#include "cli/commands.h"
#include "fault.h"
#include "fault.skel.h"
#include "kernel/netdev.h"
#include "common/log.h"
#include "common/out.h"
#include "plan/plan.h"
#include "kernel/pods.h"
#include "kernel/features.h"
#include "netem/qdisc.h"
#include "engine/rules.h"
#include "kernel/shaping.h"
#include "state/store.h"
#include "plan/values.h"

#define NETNS_SLOTS_MAX 64 /* network namespaces one plan attaches tc programs in */
#define PACKET_ACTIONS (FLT_ACT_BLACKHOLE | FLT_ACT_LOSS)

/* One resolved target id (a pod, a cgroup, a netns or an interface): one slot in the rule store. */
struct slot {
	const struct plan_target *target;
	const struct plan_target_id *id;
	struct pod pod;
	char cgroup_dir[PATH_MAX]; /* "" when the slot has no cgroup */
	uint64_t cgroup_id;
	const char *netns_path; /* netns targets: the path to enter; NULL: faultline's own */
	uint64_t netns_ino;
	uint32_t netns_slot;
	struct netdev_entry *ifaces;
	size_t nifaces;
	uint32_t iface_flags;
	size_t faults[FLT_MAX_RULES]; /* plan fault indices, in rule order */
	size_t nrules;
	unsigned int actions; /* union over its rules */
	/* where packets wait (delay, rate, netem), per rule and for its devices */
	bool waits;
	unsigned int wait_directions; /* FLT_DIR_* of its waiting faults */
	enum shaping_kind kinds[FLT_MAX_RULES];
	enum shaping_kind device_kind;
	int *ifb_ifindex; /* per interface, 0 when none */
};

struct apply {
	const struct cmd_opts *opts;
	struct plan plan;
	struct slot *slots;
	size_t nslots;
	uint64_t own_netns_ino;
	const char *netns_paths[NETNS_SLOTS_MAX]; /* index: netns slot; [0] is faultline's own */
	uint64_t netns_inos[NETNS_SLOTS_MAX];
	uint32_t nnetns;
	enum tc_mode tc_mode;
	struct fault_bpf *skels[NETNS_SLOTS_MAX];
	struct json_object *meta;
	struct json_object *attachments;
	char errbuf[1024];
	bool created; /* the plan's pin folder exists: a failure must revert */
	bool caps_known;
	struct shaping_caps caps;
	bool ifb_known;
	int ifb_ok; /* ifb_redirect_supported() */
};

static int netns_ino_of(const char *path, uint64_t *ino)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

static uint32_t netns_slot_for(struct apply *ap, const char *path, uint64_t ino)
{
	uint32_t i;

	for (i = 0; i < ap->nnetns; i++)
		if (ap->netns_inos[i] == ino)
			return i;
	if (ap->nnetns == NETNS_SLOTS_MAX)
		return UINT32_MAX;
	ap->netns_paths[ap->nnetns] = path;
	ap->netns_inos[ap->nnetns] = ino;
	return ap->nnetns++;
}

static int resolve_pod(struct apply *ap, struct slot *s)
{
	int err = pod_resolve(s->id->id, &s->pod, ap->errbuf, sizeof(ap->errbuf));

	if (err)
		return err;
	snprintf(s->cgroup_dir, sizeof(s->cgroup_dir), "%s", s->pod.cgroup_dir);
	s->cgroup_id = s->pod.cgroup_id;
	s->netns_ino = ap->own_netns_ino;
	s->netns_slot = 0;
	s->ifaces = calloc(1, sizeof(*s->ifaces));
	if (!s->ifaces)
		return -ENOMEM;
	s->ifaces[0].ifindex = s->pod.host_ifindex;
	snprintf(s->ifaces[0].name, sizeof(s->ifaces[0].name), "%s", s->pod.host_ifname);
	s->nifaces = 1;
	s->iface_flags = FLT_IFACE_SWAP; /* the host end's ingress carries the pod's egress */
	if ((s->actions & FLT_ACT_REJECT) && !s->cgroup_dir[0]) {
		snprintf(ap->errbuf, sizeof(ap->errbuf),
			 "pod %s: its cgroup is only in cgroup v1, and reject needs a cgroup v2 "
			 "directory to attach to",
			 s->id->id);
		return -EINVAL;
	}
	return 0;
}

static int resolve_netns(struct apply *ap, struct slot *s)
{
	int fd, err;

	s->netns_path = s->id->id;
	err = netns_ino_of(s->id->id, &s->netns_ino);
	if (err) {
		snprintf(ap->errbuf, sizeof(ap->errbuf), "netns %s: %s", s->id->id, strerror(-err));
		return err == -ENOENT ? -ENOENT : err;
	}
	fd = open(s->id->id, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = netdev_list(fd, &s->ifaces, &s->nifaces);
	close(fd);
	if (err) {
		snprintf(ap->errbuf, sizeof(ap->errbuf),
			 "netns %s: cannot list its interfaces (is it a network namespace?): %s",
			 s->id->id, strerror(-err));
		return -EINVAL;
	}
	if (s->nifaces == 0) {
		snprintf(ap->errbuf, sizeof(ap->errbuf),
			 "netns %s: it has no interface but loopback", s->id->id);
		return -EINVAL;
	}
	s->netns_slot = netns_slot_for(ap, s->netns_ino == ap->own_netns_ino ? NULL : s->id->id,
				       s->netns_ino);
	if (s->netns_slot == UINT32_MAX) {
		snprintf(ap->errbuf, sizeof(ap->errbuf), "netns %s: a plan reaches at most %d "
			 "network namespaces", s->id->id, NETNS_SLOTS_MAX);
		return -EINVAL;
	}
	if (s->netns_slot == 0)
		s->netns_path = NULL;
	return 0;
}

static int resolve_interface(struct apply *ap, struct slot *s)
{
	int ifindex, err;

	err = netdev_ifindex(-1, s->id->id, &ifindex);
	if (err) {
		snprintf(ap->errbuf, sizeof(ap->errbuf), "interface %s: %s", s->id->id,
			 err == -ENODEV ? "no such interface in faultline's network namespace"
					: strerror(-err));
		return err == -ENODEV ? -ENOENT : err;
	}
	s->ifaces = calloc(1, sizeof(*s->ifaces));
	if (!s->ifaces)
		return -ENOMEM;
	s->ifaces[0].ifindex = ifindex;
	snprintf(s->ifaces[0].name, sizeof(s->ifaces[0].name), "%s", s->id->id);
	s->nifaces = 1;
	s->netns_ino = ap->own_netns_ino;
	return 0;
}

/* Which backend each waiting fault gets, from what this kernel has (asked once, if needed). */
static int plan_shaping(struct apply *ap, struct slot *s)
{
	bool egress_queue, ifb;
	int err;

	if (!s->waits)
		return 0;
	if (!ap->caps_known) {
		ap->caps.fq = qdisc_supported("fq");
		ap->caps.netem = qdisc_supported("netem");
		ap->caps.prio = qdisc_supported("prio");
		ap->caps_known = true;
	}
	s->ifb_ifindex = calloc(s->nifaces ? s->nifaces : 1, sizeof(*s->ifb_ifindex));
	if (!s->ifb_ifindex)
		return -ENOMEM;
	err = shaping_plan(&ap->plan, s->faults, s->nrules, &ap->caps, s->kinds, &s->device_kind,
			   ap->errbuf, sizeof(ap->errbuf));
	if (err)
		return err;
	shaping_sides(s->wait_directions, s->iface_flags & FLT_IFACE_SWAP, &egress_queue, &ifb);
	if (!ifb)
		return 0;
	if (!ap->ifb_known) {
		ap->ifb_ok = ifb_redirect_supported();
		ap->ifb_known = true;
	}
	if (ap->ifb_ok > 0)
		return 0;
	snprintf(ap->errbuf, sizeof(ap->errbuf),
		 "%s %s: delaying or shaping traffic %s it needs an IFB device that passes on "
		 "redirected packets, and this kernel's IFB drops them (faultline probe: "
		 "ifb_redirect); only traffic %s it can wait here",
		 target_kind_name(s->id->kind), s->id->id,
		 s->iface_flags & FLT_IFACE_SWAP ? "leaving" : "arriving at",
		 s->iface_flags & FLT_IFACE_SWAP ? "reaching" : "leaving");
	return -EINVAL;
}

/* The same interface under two targets would need two rule sets in one flt_ifaces entry. */
static int check_overlap(struct apply *ap)
{
	size_t a, b, i, j;

	for (a = 0; a < ap->nslots; a++)
		for (b = a + 1; b < ap->nslots; b++)
			for (i = 0; i < ap->slots[a].nifaces; i++)
				for (j = 0; j < ap->slots[b].nifaces; j++) {
					if (ap->slots[a].netns_slot != ap->slots[b].netns_slot ||
					    ap->slots[a].ifaces[i].ifindex !=
						    ap->slots[b].ifaces[j].ifindex)
						continue;
					snprintf(ap->errbuf, sizeof(ap->errbuf),
						 "interface %s is reached by %s %s and by %s %s: "
						 "fault it through one target",
						 ap->slots[a].ifaces[i].name,
						 target_kind_name(ap->slots[a].id->kind),
						 ap->slots[a].id->id,
						 target_kind_name(ap->slots[b].id->kind),
						 ap->slots[b].id->id);
					return -EINVAL;
				}
	return 0;
}

/* One slot per target id, with the faults on its target; then every slot resolved. */
static int resolve_targets(struct apply *ap)
{
	const struct plan *plan = &ap->plan;
	size_t t, k, f, n = 0;
	int err;

	for (t = 0; t < plan->ntargets; t++)
		n += plan->targets[t].nids;
	ap->slots = calloc(n ? n : 1, sizeof(*ap->slots));
	if (!ap->slots)
		return -ENOMEM;
	for (t = 0; t < plan->ntargets; t++) {
		for (k = 0; k < plan->targets[t].nids; k++) {
			struct slot *s = &ap->slots[ap->nslots++];

			s->target = &plan->targets[t];
			s->id = &plan->targets[t].ids[k];
			s->pod.netns_fd = -1;
			for (f = 0; f < plan->nfaults; f++) {
				if (plan->faults[f].target != t || s->nrules == FLT_MAX_RULES)
					continue;
				s->faults[s->nrules++] = f;
				s->actions |= plan->faults[f].actions;
				if (shaping_fault_waits(&plan->faults[f])) {
					s->waits = true;
					s->wait_directions |= plan->faults[f].direction;
				}
			}
		}
	}
	for (k = 0; k < ap->nslots; k++) {
		struct slot *s = &ap->slots[k];

		switch (s->id->kind) {
		case TARGET_POD:
			err = resolve_pod(ap, s);
			break;
		case TARGET_CGROUP:
			err = cgroup_resolve(s->id->id, s->cgroup_dir, sizeof(s->cgroup_dir),
					     &s->cgroup_id, ap->errbuf, sizeof(ap->errbuf));
			break;
		case TARGET_NETNS:
			err = resolve_netns(ap, s);
			break;
		case TARGET_INTERFACE:
			err = resolve_interface(ap, s);
			break;
		default:
			err = -EINVAL;
		}
		if (err)
			return err;
		err = plan_shaping(ap, s);
		if (err)
			return err;
	}
	return check_overlap(ap);
}

/* The hooks a slot needs, as they are listed by --dry-run and attached by apply. */
enum hook {
	HOOK_TC_INGRESS,
	HOOK_TC_EGRESS,
	HOOK_CG_INGRESS,
	HOOK_CG_EGRESS,
	HOOK_CONNECT4,
	HOOK_CONNECT6,
	HOOK_SENDMSG4,
	HOOK_SENDMSG6,
	HOOK_COUNT,
};

static const struct {
	const char *name;
	enum bpf_attach_type attach_type;
} hooks[HOOK_COUNT] = {
	[HOOK_TC_INGRESS] = { "tc ingress", BPF_TCX_INGRESS },
	[HOOK_TC_EGRESS] = { "tc egress", BPF_TCX_EGRESS },
	[HOOK_CG_INGRESS] = { "cgroup_skb ingress", BPF_CGROUP_INET_INGRESS },
	[HOOK_CG_EGRESS] = { "cgroup_skb egress", BPF_CGROUP_INET_EGRESS },
	[HOOK_CONNECT4] = { "cgroup connect4", BPF_CGROUP_INET4_CONNECT },
	[HOOK_CONNECT6] = { "cgroup connect6", BPF_CGROUP_INET6_CONNECT },
	[HOOK_SENDMSG4] = { "cgroup sendmsg4", BPF_CGROUP_UDP4_SENDMSG },
	[HOOK_SENDMSG6] = { "cgroup sendmsg6", BPF_CGROUP_UDP6_SENDMSG },
};

static bool slot_needs(const struct slot *s, enum hook h)
{
	switch (h) {
	case HOOK_TC_INGRESS:
	case HOOK_TC_EGRESS:
		return s->nifaces > 0 && ((s->actions & PACKET_ACTIONS) || s->waits);
	case HOOK_CG_INGRESS:
	case HOOK_CG_EGRESS:
		/* pods' packets are handled on their veth; a cgroup target has no interface */
		return s->id->kind == TARGET_CGROUP && (s->actions & PACKET_ACTIONS);
	default:
		return s->cgroup_dir[0] && (s->actions & FLT_ACT_REJECT);
	}
}

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

/* Open and load the tc and cgroup programs for netns slot k; slot 0 creates the maps. */
static int load_instance(struct apply *ap, uint32_t k)
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
	if (err) {
		snprintf(ap->errbuf, sizeof(ap->errbuf),
			 "loading faultline's BPF programs failed: %s (run with -d for the "
			 "verifier's log)",
			 strerror(-err));
		return err;
	}
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
		err = state_path(path, sizeof(path), ap->plan.name, bpf_map__name(maps[i]));
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
			rule_encode(&ap->plan.faults[s->faults[i]], deadline_ns,
				    s->kinds[i] == SHAPING_NETEM ? shaping_netem_classid(netem_index++)
								 : 0,
				    &tr->rules[i]);
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

static struct json_object *meta_new(struct apply *ap, uint64_t deadline_ns)
{
	struct json_object *meta = json_object_new_object(), *faults, *slots, *arr;
	struct timespec now;
	size_t i, j;

	clock_gettime(CLOCK_REALTIME, &now);
	json_object_object_add(meta, "version", json_object_new_int(1));
	json_object_object_add(meta, "name", json_object_new_string(ap->plan.name));
	json_object_object_add(meta, "file", json_object_new_string(ap->plan.file));
	json_object_object_add(meta, "duration_ms", json_object_new_uint64(ap->plan.duration_ms));
	json_object_object_add(meta, "deadline_mono_ns", json_object_new_uint64(deadline_ns));
	json_object_object_add(meta, "applied_unix_ms",
			       json_object_new_uint64((uint64_t)now.tv_sec * 1000 +
						      (uint64_t)now.tv_nsec / 1000000));
	faults = json_object_new_array();
	for (i = 0; i < ap->plan.nfaults; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "name", json_object_new_string(ap->plan.faults[i].name));
		json_object_object_add(
			f, "target",
			json_object_new_string(ap->plan.targets[ap->plan.faults[i].target].name));
		json_object_array_add(faults, f);
	}
	json_object_object_add(meta, "faults", faults);
	slots = json_object_new_array();
	for (i = 0; i < ap->nslots; i++) {
		struct slot *s = &ap->slots[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(s->id->id));
		json_object_object_add(o, "kind",
				       json_object_new_string(target_kind_name(s->id->kind)));
		json_object_object_add(o, "target", json_object_new_string(s->target->name));
		arr = json_object_new_array();
		for (j = 0; j < s->nrules; j++)
			json_object_array_add(arr, json_object_new_uint64(s->faults[j]));
		json_object_object_add(o, "rules", arr);
		json_object_array_add(slots, o);
	}
	json_object_object_add(meta, "slots", slots);
	ap->attachments = json_object_new_array();
	json_object_object_add(meta, "attachments", ap->attachments);
	return meta;
}

static int record_attachment(struct apply *ap, struct json_object *rec)
{
	json_object_array_add(ap->attachments, rec);
	return state_meta_write(ap->plan.name, ap->meta);
}

static int attach_slot_tc(struct apply *ap, uint32_t k, enum hook h, int *nlinks)
{
	struct slot *s = &ap->slots[k];
	char pin[PATH_MAX], registry[PATH_MAX];
	struct json_object *rec;
	size_t i;
	int err;

	snprintf(registry, sizeof(registry), "%s/clsact", state_root());
	for (i = 0; i < s->nifaces; i++) {
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
			.handle = 0xf1000000u | ((uint32_t)(*nlinks) & 0xffffffu),
		};

		err = state_path(pin, sizeof(pin), ap->plan.name, "");
		snprintf(pin + strlen(pin), sizeof(pin) - strlen(pin), "link-%d", (*nlinks)++);
		err = err ?: attach_tc(&req, &rec);
		if (err) {
			snprintf(ap->errbuf, sizeof(ap->errbuf), "%s %s: attaching to %s %s failed: %s",
				 target_kind_name(s->id->kind), s->id->id, s->ifaces[i].name,
				 hooks[h].name, strerror(-err));
			return err;
		}
		err = record_attachment(ap, rec);
		if (err)
			return err;
	}
	return 0;
}

static int attach_slot_cgroup(struct apply *ap, uint32_t k, enum hook h, int *nlinks)
{
	struct slot *s = &ap->slots[k];
	struct bpf_cgroup_storage_key key = { .cgroup_inode_id = s->cgroup_id,
					      .attach_type = hooks[h].attach_type };
	struct flt_cg_target val = { .target_slot_plus1 = k + 1 };
	char pin[PATH_MAX];
	struct json_object *rec;
	int err;

	err = state_path(pin, sizeof(pin), ap->plan.name, "");
	snprintf(pin + strlen(pin), sizeof(pin) - strlen(pin), "link-%d", (*nlinks)++);
	err = err ?: attach_cgroup(bpf_program__fd(hook_prog(ap->skels[0], h)), s->cgroup_dir,
				   hooks[h].attach_type, pin, &rec);
	if (err) {
		snprintf(ap->errbuf, sizeof(ap->errbuf), "%s %s: attaching %s to %s failed: %s",
			 target_kind_name(s->id->kind), s->id->id, hooks[h].name, s->cgroup_dir,
			 strerror(-err));
		return err;
	}
	err = record_attachment(ap, rec);
	/* the attachment's storage exists from now on; until it names the slot, it does nothing */
	err = err ?: bpf_map_update_elem(bpf_map__fd(ap->skels[0]->maps.flt_cg), &key, &val,
					 BPF_EXIST);
	return err;
}

static int attach_all(struct apply *ap)
{
	int nlinks = 0, err = 0;
	uint32_t k;
	enum hook h;

	for (k = 0; k < ap->nslots && !err; k++)
		for (h = 0; h < HOOK_COUNT && !err; h++) {
			if (!slot_needs(&ap->slots[k], h))
				continue;
			if (h == HOOK_TC_INGRESS || h == HOOK_TC_EGRESS)
				err = attach_slot_tc(ap, k, h, &nlinks);
			else
				err = attach_slot_cgroup(ap, k, h, &nlinks);
		}
	return err;
}

static int record_cb(void *ctx, struct json_object *rec)
{
	return record_attachment(ctx, rec);
}

/* The queues of every device where packets of a waiting fault must wait. */
static int setup_queues(struct apply *ap)
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
				.plan = &ap->plan,
				.faults = s->faults,
				.kinds = s->kinds,
				.nfaults = s->nrules,
			};

			shaping_sides(s->wait_directions, s->iface_flags & FLT_IFACE_SWAP,
				      &dev.egress_queue, &dev.ifb);
			err = shaping_setup(&dev, record_cb, ap, &s->ifb_ifindex[i], ap->errbuf,
					    sizeof(ap->errbuf));
			if (err)
				return err;
		}
	}
	return 0;
}

/* netem's distribution tables, for the edt delays drawn from them (loaded once per plan). */
static int fill_dist_tables(struct apply *ap)
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
				wanted[ap->plan.faults[ap->slots[k].faults[i]].distribution] = true;
	table = calloc(1, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (d = 0; d < FLT_DIST_COUNT && !err; d++) {
		if (!wanted[d] || !names[d])
			continue;
		err = netem_dist_load(names[d], &values, &len);
		if (err) {
			snprintf(ap->errbuf, sizeof(ap->errbuf),
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

static int resolve_tc_mode(struct apply *ap)
{
	int err = tc_mode_from_env(&ap->tc_mode), tcx;

	if (err) {
		snprintf(ap->errbuf, sizeof(ap->errbuf),
			 "FAULTLINE_TC_ATTACH: must be auto, tcx or clsact");
		return -EINVAL;
	}
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

static int apply_kernel(struct apply *ap)
{
	uint64_t deadline_ns;
	uint32_t k;
	int err;

	err = state_plan_create(ap->plan.name);
	if (err) {
		if (err == -EEXIST)
			snprintf(ap->errbuf, sizeof(ap->errbuf), "plan %s: a plan of that name is "
				 "active: revert it first (faultline revert %s)",
				 ap->plan.name, ap->plan.name);
		return err;
	}
	ap->created = true;
	for (k = 0; k < ap->nnetns; k++) {
		err = load_instance(ap, k);
		if (err)
			return err;
	}
	if (plan_needs_tc(ap)) {
		err = resolve_tc_mode(ap);
		if (err)
			return err;
	}
	err = pin_maps(ap);
	err = err ?: fill_dist_tables(ap);
	if (err)
		return err;
	/* the deadline counts from the moment faults can first take effect */
	deadline_ns = mono_now_ns() + ap->plan.duration_ms * 1000000ULL;
	ap->meta = meta_new(ap, deadline_ns);
	err = state_meta_write(ap->plan.name, ap->meta);
	err = err ?: setup_queues(ap);
	err = err ?: fill_maps(ap, deadline_ns);
	return err ?: attach_all(ap);
}

static void print_slot(const struct apply *ap, const struct slot *s)
{
	enum hook h;
	size_t i;

	out_object_begin(NULL);
	out_string("target", "  %s", s->target->name);
	out_string("kind", " %s", target_kind_name(s->id->kind));
	out_string("id", " %s:\n", s->id->id);
	out_array_begin("hooks");
	for (h = 0; h < HOOK_COUNT; h++) {
		bool tc = h == HOOK_TC_INGRESS || h == HOOK_TC_EGRESS;

		if (!slot_needs(s, h))
			continue;
		for (i = 0; i < (tc ? s->nifaces : 1); i++) {
			out_object_begin(NULL);
			out_string("hook", "    %s", hooks[h].name);
			if (tc) {
				out_string("interface", " on %s", s->ifaces[i].name);
				out_u64("ifindex", " (ifindex %" PRIu64, (uint64_t)s->ifaces[i].ifindex);
				out_string("netns", ", netns %s)", s->netns_path ? s->netns_path
										 : "faultline's");
				if (!ap->opts->dry_run)
					out_string("mode", " as %s",
						   ap->tc_mode == TC_MODE_TCX ? "tcx link"
									       : "clsact filter");
			} else {
				out_string("cgroup", " on %s", s->cgroup_dir);
			}
			out_text("\n");
			out_object_end();
		}
	}
	out_array_end();
	out_array_begin("queues");
	for (i = 0; s->waits && i < s->nifaces; i++) {
		bool egress_queue, ifb;

		shaping_sides(s->wait_directions, s->iface_flags & FLT_IFACE_SWAP, &egress_queue,
			      &ifb);
		out_object_begin(NULL);
		out_string("interface", "    queue on %s:", s->ifaces[i].name);
		out_string("qdisc", " %s root",
			   s->device_kind == SHAPING_EDT ? "fq (edt)" : "prio with netem leaves");
		out_bool("egress", NULL, egress_queue);
		out_bool("ifb", NULL, ifb);
		out_text("%s%s", egress_queue ? " on its egress" : "",
			 ifb ? (egress_queue ? ", and on an IFB for its ingress"
					     : " on an IFB for its ingress")
			     : "");
		out_text("\n");
		out_object_end();
	}
	out_array_end();
	out_array_begin("faults");
	for (i = 0; i < s->nrules; i++)
		out_string(NULL, NULL, ap->plan.faults[s->faults[i]].name);
	out_array_end();
	out_object_end();
}

static void print_result(const struct apply *ap)
{
	char duration[32];
	size_t i;

	out_object_begin(NULL);
	out_string("plan", ap->opts->dry_run ? "plan %s (dry run: nothing changed)"
					     : "plan %s applied",
		   ap->plan.name);
	format_duration_ms(ap->plan.duration_ms, duration, sizeof(duration));
	out_u64("duration_ms", NULL, ap->plan.duration_ms);
	out_text(" for %s", duration);
	out_bool("dry_run", NULL, ap->opts->dry_run);
	out_u64("faults", ": %" PRIu64 " fault(s)", ap->plan.nfaults);
	out_u64("targets", " on %" PRIu64 " target(s)\n", ap->nslots);
	out_array_begin("attachments");
	for (i = 0; i < ap->nslots; i++)
		print_slot(ap, &ap->slots[i]);
	out_array_end();
	out_object_end();
	out_end();
}

static void apply_free(struct apply *ap)
{
	size_t i;

	for (i = 0; i < NETNS_SLOTS_MAX; i++)
		fault_bpf__destroy(ap->skels[i]);
	for (i = 0; i < ap->nslots; i++) {
		pod_release(&ap->slots[i].pod);
		free(ap->slots[i].ifaces);
		free(ap->slots[i].ifb_ifindex);
	}
	free(ap->slots);
	json_object_put(ap->meta);
	plan_free(&ap->plan);
}

/* Input errors (exit 2): a bad plan or a target that is not on this node. */
static bool is_input_error(int err)
{
	return err == -EINVAL || err == -ENOENT || err == -ESRCH || err == -ENODEV;
}

int cmd_apply(const struct cmd_opts *opts)
{
	struct apply ap = { .opts = opts };
	int err, status = 0;

	if (opts->argc != 1) {
		out_error("apply: expected one plan file (faultline apply PLAN)");
		return 2;
	}
	err = plan_parse_file(opts->argv[0], opts->max_duration_ms, &ap.plan, ap.errbuf,
			      sizeof(ap.errbuf));
	if (err) {
		out_error("%s", ap.errbuf);
		return err == -EINVAL ? 2 : 1;
	}
	if (require_privileges("apply"))
		goto fail1;
	err = state_begin();
	if (err)
		goto fail1;
	err = netns_ino_of("/proc/thread-self/ns/net", &ap.own_netns_ino);
	if (err)
		goto fail1;
	ap.netns_inos[0] = ap.own_netns_ino;
	ap.nnetns = 1;
	ap.errbuf[0] = '\0';
	err = resolve_targets(&ap);
	if (err) {
		out_error("%s", ap.errbuf[0] ? ap.errbuf : strerror(-err));
		status = is_input_error(err) ? 2 : 1;
		goto out;
	}
	if (opts->dry_run) {
		print_result(&ap);
		goto out;
	}
	ap.errbuf[0] = '\0';
	err = apply_kernel(&ap);
	if (err) {
		if (err == -EEXIST && ap.errbuf[0]) {
			out_error("%s", ap.errbuf);
			status = 2;
			goto out;
		}
		out_error("plan %s: %s; nothing was changed", ap.plan.name,
			  ap.errbuf[0] ? ap.errbuf : strerror(-err));
		if (ap.created)
			state_revert(ap.plan.name);
		status = 1;
		goto out;
	}
	print_result(&ap);
out:
	apply_free(&ap);
	return status;
fail1:
	apply_free(&ap);
	return 1;
}
