// SPDX-License-Identifier: GPL-2.0-only
/* Resolving a plan's targets on this node, and checking them against the other active plans. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/targets.h"
#include "kernel/cgroup.h"
#include "plan/values.h"

int netns_ino_of(const char *path, uint64_t *ino)
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

int system_failure(struct flt_error *err, int ret)
{
	return flt_fail(err, FLT_ERR_SYSTEM, ret, "%s", strerror(-ret));
}

static int resolve_pod(struct apply *ap, struct slot *s, struct flt_error *err)
{
	int ret = pod_resolve(s->id->id, &s->pod, err);

	if (ret)
		return ret;
	snprintf(s->cgroup_dir, sizeof(s->cgroup_dir), "%s", s->pod.cgroup_dir);
	s->cgroup_id = s->pod.cgroup_id;
	s->netns_ino = ap->own_netns_ino;
	s->netns_slot = 0;
	s->ifaces = calloc(1, sizeof(*s->ifaces));
	if (!s->ifaces)
		return system_failure(err, -ENOMEM);
	s->ifaces[0].ifindex = s->pod.host_ifindex;
	snprintf(s->ifaces[0].name, sizeof(s->ifaces[0].name), "%s", s->pod.host_ifname);
	s->nifaces = 1;
	s->iface_flags = FLT_IFACE_SWAP; /* the host end's ingress carries the pod's egress */
	if ((s->actions & FLT_ACT_REJECT) && !s->cgroup_dir[0])
		return flt_fail(
			err, FLT_ERR_INPUT, EINVAL,
			"pod %s: its cgroup is only in cgroup v1, and reject needs a cgroup v2 "
			"directory to attach to",
			s->id->id);
	return 0;
}

static int resolve_netns(struct apply *ap, struct slot *s, struct flt_error *err)
{
	int fd, ret;

	s->netns_path = s->id->id;
	ret = netns_ino_of(s->id->id, &s->netns_ino);
	if (ret)
		return flt_fail(err, ret == -ENOENT ? FLT_ERR_TARGET : FLT_ERR_SYSTEM, ret,
				"netns %s: %s", s->id->id, strerror(-ret));
	fd = open(s->id->id, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return flt_fail(err, FLT_ERR_SYSTEM, ret, "netns %s: %s", s->id->id,
				strerror(-ret));
	}
	ret = netdev_list(fd, &s->ifaces, &s->nifaces);
	close(fd);
	if (ret)
		return flt_fail(
			err, FLT_ERR_INPUT, EINVAL,
			"netns %s: cannot list its interfaces (is it a network namespace?): %s",
			s->id->id, strerror(-ret));
	if (s->nifaces == 0)
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"netns %s: it has no interface but loopback", s->id->id);
	s->netns_slot = netns_slot_for(ap, s->netns_ino == ap->own_netns_ino ? NULL : s->id->id,
				       s->netns_ino);
	if (s->netns_slot == UINT32_MAX)
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"netns %s: a plan reaches at most %d network namespaces", s->id->id,
				NETNS_SLOTS_MAX);
	if (s->netns_slot == 0)
		s->netns_path = NULL;
	return 0;
}

static int resolve_interface(struct apply *ap, struct slot *s, struct flt_error *err)
{
	int ifindex, ret;

	ret = netdev_ifindex(-1, s->id->id, &ifindex);
	if (ret == -ENODEV)
		return flt_fail(err, FLT_ERR_TARGET, ENOENT,
				"interface %s: no such interface in faultline's network namespace",
				s->id->id);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, ret, "interface %s: %s", s->id->id,
				strerror(-ret));
	s->ifaces = calloc(1, sizeof(*s->ifaces));
	if (!s->ifaces)
		return system_failure(err, -ENOMEM);
	s->ifaces[0].ifindex = ifindex;
	snprintf(s->ifaces[0].name, sizeof(s->ifaces[0].name), "%s", s->id->id);
	s->nifaces = 1;
	s->netns_ino = ap->own_netns_ino;
	return 0;
}

/* Which backend each waiting fault gets, from what this kernel has (asked once, if needed). */
/*
 * netem's duplicate and corrupt on one fault, on packets that go through an IFB (a pod's egress,
 * an interface's ingress), crash Debian's 6.12 kernel (skb_under_panic in br_dev_queue_push_xmit
 * from ifb_ri_tasklet, seen with test_combo_wait): refused until a kernel is known not to.
 * Each alone, or in two faults, works.
 */
static int check_ifb_effects(struct apply *ap, const struct slot *s, struct flt_error *err)
{
	const unsigned int both = PLAN_NETEM_DUPLICATE | PLAN_NETEM_CORRUPT;
	bool egress_queue, ifb;
	size_t i;

	for (i = 0; i < s->nrules; i++) {
		const struct plan_fault *f = &ap->plan->faults[s->faults[i]];

		shaping_sides(f->direction, s->iface_flags & FLT_IFACE_SWAP, &egress_queue, &ifb);
		if (!ifb || (f->netem_effects & both) != both)
			continue;
		ap->bad_fault = s->faults[i];
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"fault %s: duplicate and corrupt on one fault, on traffic %s %s %s "
				"(it waits in an IFB device), crash some kernels (6.12: skb_under_panic "
				"in ifb's tasklet): put them in two faults",
				f->name, s->iface_flags & FLT_IFACE_SWAP ? "leaving" : "arriving at",
				target_kind_name(s->id->kind), s->id->id);
	}
	return 0;
}

/*
 * How this plan's waiting packets reach an IFB (ap->ifb_path; AUTO when neither way works here):
 * bpf_redirect() where this kernel's IFB takes its packets, else act_mirred where that works
 * (Debian's 6.1), asked of the kernel once; FAULTLINE_IFB_PATH forces one.
 */
static int choose_ifb_path(struct apply *ap, struct flt_error *err)
{
	if (ifb_path_from_env(&ap->ifb_path))
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"FAULTLINE_IFB_PATH: must be auto, redirect or mirred");
	if (ap->ifb_path != IFB_PATH_AUTO)
		return 0;
	if (ifb_redirect_supported() > 0)
		ap->ifb_path = IFB_PATH_REDIRECT;
	else if (ifb_mirred_supported() > 0)
		ap->ifb_path = IFB_PATH_MIRRED;
	return 0;
}

static int plan_shaping(struct apply *ap, struct slot *s, struct flt_error *err)
{
	bool egress_queue, ifb;
	size_t culprit;
	int ret;

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
		return system_failure(err, -ENOMEM);
	ret = shaping_plan(ap->plan, s->faults, s->nrules, &ap->caps, s->kinds, &s->device_kind,
			   &culprit, err);
	if (ret) {
		ap->bad_fault = culprit; /* only then: a later error is not this fault's */
		return ret;
	}
	shaping_sides(s->wait_directions, s->iface_flags & FLT_IFACE_SWAP, &egress_queue, &ifb);
	if (!ifb)
		return 0;
	ret = check_ifb_effects(ap, s, err);
	if (ret)
		return ret;
	if (!ap->ifb_known) {
		ret = choose_ifb_path(ap, err);
		if (ret)
			return ret;
		ap->ifb_known = true;
	}
	if (ap->ifb_path == IFB_PATH_MIRRED)
		s->iface_flags |= FLT_IFACE_MIRRED;
	if (ap->ifb_path != IFB_PATH_AUTO)
		return 0;
	return flt_fail(
		err, FLT_ERR_INPUT, EINVAL,
		"%s %s: delaying or shaping traffic %s it needs an IFB device that passes on "
		"redirected packets, and this kernel's IFB drops bpf_redirect()ed packets and "
		"takes no act_mirred ones either (faultline probe: ifb_redirect, ifb_mirred); only "
		"traffic %s it can wait here",
		target_kind_name(s->id->kind), s->id->id,
		s->iface_flags & FLT_IFACE_SWAP ? "leaving" : "arriving at",
		s->iface_flags & FLT_IFACE_SWAP ? "reaching" : "leaving");
}

/* The same interface under two targets would need two rule sets in one flt_ifaces entry. */
static int check_overlap(struct apply *ap, struct flt_error *err)
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
					return flt_fail(
						err, FLT_ERR_INPUT, EINVAL,
						"interface %s is reached by %s %s and by %s "
						"%s: fault it through one target",
						ap->slots[a].ifaces[i].name,
						target_kind_name(ap->slots[a].id->kind),
						ap->slots[a].id->id,
						target_kind_name(ap->slots[b].id->kind),
						ap->slots[b].id->id);
				}
	return 0;
}

/* One slot per target id, with the faults on its target; then every slot resolved. */
static int resolve_slots(struct apply *ap, struct flt_error *why)
{
	const struct plan *plan = ap->plan;
	size_t t, k, f, n = 0;
	int err;

	for (t = 0; t < plan->ntargets; t++)
		n += plan->targets[t].nids;
	ap->slots = calloc(n ? n : 1, sizeof(*ap->slots));
	if (!ap->slots)
		return system_failure(why, -ENOMEM);
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

		if (!s->nrules)
			continue; /* a target no fault uses is allowed, and needs not be here */
		switch (s->id->kind) {
		case TARGET_POD:
			err = resolve_pod(ap, s, why);
			break;
		case TARGET_CGROUP:
			err = cgroup_resolve(s->id->id, s->cgroup_dir, sizeof(s->cgroup_dir),
					     &s->cgroup_id, why);
			break;
		case TARGET_NETNS:
			err = resolve_netns(ap, s, why);
			break;
		case TARGET_INTERFACE:
			err = resolve_interface(ap, s, why);
			break;
		default:
			err = flt_fail(why, FLT_ERR_INPUT, EINVAL, "%s", strerror(EINVAL));
		}
		ap->bad_id = s->id;
		if (err)
			return err;
		err = plan_shaping(ap, s, why);
		if (err)
			return err;
	}
	ap->bad_id = NULL;
	return check_overlap(ap, why);
}

static const char *const id_list_key[] = {
	[TARGET_POD] = "pods",
	[TARGET_CGROUP] = "cgroups",
	[TARGET_NETNS] = "netns",
	[TARGET_INTERFACE] = "interfaces",
};

/* flt_fail_at() gives an input error: err gets why's kind and errno instead. */
static int kind_of(struct flt_error *err, const struct flt_error *why)
{
	if (err) {
		err->kind = why->kind;
		err->errnum = why->errnum;
	}
	return -why->errnum;
}

/*
 * The kernel layer and the resolvers above say what went wrong and whose it is (why); here it
 * gets its place in the plan: a fault this kernel cannot run at the fault, a target's error at
 * the target's id, a system failure at none.
 */
int resolve_targets(struct apply *ap)
{
	const struct plan *plan = ap->plan;
	const struct plan_target_id *id;
	const struct plan_fault *fault;
	struct flt_error why;
	char field[160];
	int err;

	ap->bad_id = NULL;
	ap->bad_fault = SIZE_MAX;
	flt_error_clear(&why);
	err = resolve_slots(ap, &why);
	if (!err)
		return 0;
	if (why.kind == FLT_ERR_NONE) /* an error must never exit 0 */
		system_failure(&why, err);
	if (ap->bad_fault != SIZE_MAX) {
		/* what this kernel cannot do for a fault: at the fault's position */
		fault = &plan->faults[ap->bad_fault];
		snprintf(field, sizeof(field), "spec.faults[%zu]", ap->bad_fault);
		flt_fail_at(ap->err, plan->file, fault->pos.line, fault->pos.col, field,
			    "plan %s: %s", plan->name, why.message);
		return kind_of(ap->err, &why);
	}
	id = ap->bad_id;
	for (size_t t = 0; id && why.kind != FLT_ERR_SYSTEM && t < plan->ntargets; t++) {
		const struct plan_target *pt = &plan->targets[t];

		if (id < pt->ids || id >= pt->ids + pt->nids)
			continue;
		snprintf(field, sizeof(field), "spec.targets.%s.%s[%zu]", pt->name,
			 id_list_key[id->kind], (size_t)(id - pt->ids));
		flt_fail_at(ap->err, plan->file, id->pos.line, id->pos.col, field, "%s",
			    why.message);
		return kind_of(ap->err, &why);
	}
	return flt_fail(ap->err, why.kind, why.errnum, "plan %s: %s", plan->name, why.message);
}

void slots_free(struct apply *ap)
{
	size_t i;

	for (i = 0; i < ap->nslots; i++) {
		pod_release(&ap->slots[i].pod);
		free(ap->slots[i].ifaces);
		free(ap->slots[i].ifb_ifindex);
	}
	free(ap->slots);
	ap->slots = NULL;
	ap->nslots = 0;
}

/* Do slot s of this plan and slot o of an active plan reach the same workload or device? */
static bool same_workload(const struct slot *s, const struct state_slot *o)
{
	uint32_t i, j;

	if (!strcmp(o->kind, target_kind_name(s->id->kind)) && !strcmp(o->id, s->id->id))
		return true;
	if (s->cgroup_id && s->cgroup_id == o->cgroup_id)
		return true;
	for (i = 0; i < s->nifaces; i++)
		for (j = 0; j < o->nifaces; j++)
			if (o->netns_ino == s->netns_ino && o->ifindexes[j] == s->ifaces[i].ifindex)
				return true;
	return false;
}

int check_other_plans(struct apply *ap)
{
	struct state_desc other;
	char **names;
	size_t n, i, k, j;
	int err;

	err = state_plan_names(&ap->store, &names, &n);
	if (err)
		return flt_fail(ap->err, FLT_ERR_SYSTEM, -err, "cannot list the active plans: %s",
				strerror(-err));
	for (i = 0; i < n && !err; i++) {
		if (!strcmp(names[i], ap->plan->name) ||
		    state_desc_read(&ap->store, names[i], &other))
			continue;
		for (k = 0; k < ap->nslots && !err; k++)
			for (j = 0; j < other.nslots && !err; j++) {
				const struct slot *s = &ap->slots[k];

				if (!same_workload(s, &other.slots[j]))
					continue;
				/* one plan per target: a packet that two plans match would be
				 * counted by one of them only, and two rule sets would race */
				err = flt_fail(ap->err, FLT_ERR_INPUT, EBUSY,
					       "plan %s: %s %s is already targeted by active plan %s "
					       "(as %s %s): one plan per target at a time; revert %s "
					       "first or add the faults to it",
					       ap->plan->name, target_kind_name(s->id->kind),
					       s->id->id, names[i], other.slots[j].kind,
					       other.slots[j].id, names[i]);
			}
		state_desc_free(&other);
	}
	state_names_free(names, n);
	return err;
}

const struct hook_info hooks[HOOK_COUNT] = {
	[HOOK_TC_INGRESS] = { "tc ingress", BPF_TCX_INGRESS },
	[HOOK_TC_EGRESS] = { "tc egress", BPF_TCX_EGRESS },
	[HOOK_CG_INGRESS] = { "cgroup_skb ingress", BPF_CGROUP_INET_INGRESS },
	[HOOK_CG_EGRESS] = { "cgroup_skb egress", BPF_CGROUP_INET_EGRESS },
	[HOOK_CONNECT4] = { "cgroup connect4", BPF_CGROUP_INET4_CONNECT },
	[HOOK_CONNECT6] = { "cgroup connect6", BPF_CGROUP_INET6_CONNECT },
	[HOOK_SENDMSG4] = { "cgroup sendmsg4", BPF_CGROUP_UDP4_SENDMSG },
	[HOOK_SENDMSG6] = { "cgroup sendmsg6", BPF_CGROUP_UDP6_SENDMSG },
};

bool slot_needs(const struct slot *s, enum hook h)
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

