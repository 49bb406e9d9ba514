// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the fields of a fault mean together, and what links a fault to its target. Every
 * refusal here is a combination the kernel side would accept without effect: which hook sees
 * what is in bpf/fault.bpf.c (and its headers), which hooks a target kind gets in
 * userspace/cli/apply.c (slot_needs()); docs/plan.md ("What combines") has the whole table.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fault.h"
#include "plan/plan.h"
#include "plan/validate.h"
#include "plan/values.h"
#include "plan/walk.h"

/* How messages name the effect of a fault field. */
static const char *effect_name(const struct fault_refs *refs, int field)
{
	return field == FAULT_LOSS ? "loss model gilbert-elliott"
				   : scalar_text(refs->fields[field].key);
}

int check_match(struct parser *p, const struct plan_fault *fault, const struct seen_field *match)
{
	static const int port_fields[] = {MATCH_PORTS, MATCH_LOCAL_PORTS};
	size_t i;

	if (fault->protocol != FLT_PROTO_ICMP)
		return 0;
	for (i = 0; i < ARRAY_SIZE(port_fields); i++) {
		const struct seen_field *ports = &match[port_fields[i]];

		if (ports->value)
			return fail_field(p, ports->value, scalar_text(ports->key),
					  "protocol icmp has no ports: remove %s or use protocol "
					  "tcp, udp or any",
					  scalar_text(ports->key));
	}
	return 0;
}

/*
 * reject works in cgroup/connect4|6 and sendmsg4|6 (flt_sock_addr()): there the flow has the
 * peer's address and port but no local port (flt_parse_sock_addr_port() in bpf/flow.bpf.h), and
 * a rule with local ports never matches such a flow (flt_rule_matches() in bpf/rules.bpf.h).
 */
static int check_reject(struct parser *p, const struct plan_fault *fault,
			const struct fault_refs *refs)
{
	const struct seen_field *local_ports = &refs->match[MATCH_LOCAL_PORTS];
	size_t saved;
	int err;

	if (!(fault->actions & FLT_ACT_REJECT))
		return 0;
	/* cgroup/connect4|6 and sendmsg4|6 see only the target's own outgoing connects. */
	if (fault->direction != FLT_DIR_EGRESS)
		return fail_field(p, refs->fields[FAULT_DIRECTION].value, "direction",
				  "reject needs direction egress: it fails the target's own "
				  "outgoing connects");
	if (!local_ports->key)
		return 0;
	saved = path_push_key(p, "match");
	err = fail_field(p, local_ports->key, "localPorts",
			 "reject works at connect() time, before the kernel picks the local port: "
			 "match on ports (the peer's) or use blackhole");
	path_pop(p, saved);
	return err;
}

/*
 * A blackhole drops every packet its rule matches, and the packet hooks then stop
 * (flt_packet_drops() in bpf/rules.bpf.h): no loss is drawn for it, and the tc programs shape
 * only what was not dropped (flt_tc() in bpf/fault.bpf.c). Beside a blackhole, loss, delay,
 * rate and netem's effects do nothing; a reject still fails new connects.
 */
static int check_blackhole(struct parser *p, const struct plan_fault *fault,
			   const struct fault_refs *refs)
{
	static const int shadowed[] = {FAULT_LOSS,	FAULT_DELAY,   FAULT_RATE,
				       FAULT_DUPLICATE, FAULT_CORRUPT, FAULT_REORDER};
	const struct seen_field *field;
	size_t i;

	if (!(fault->actions & FLT_ACT_BLACKHOLE))
		return 0;
	i = first_seen(refs->fields, shadowed, ARRAY_SIZE(shadowed));
	if (i == ARRAY_SIZE(shadowed))
		return 0;
	field = &refs->fields[shadowed[i]];
	return fail_field(p, field->key, scalar_text(field->key),
			  "%s has no effect beside blackhole: blackhole drops every packet this "
			  "fault matches, so remove one of the two",
			  scalar_text(field->key));
}

/*
 * What only some backends and targets can do: netem's effects need backend netem, a backend
 * needs something to do, and what waits in a queue needs a device (checked once the target is
 * known, from refs->waiting_field).
 */
static int check_waiting(struct parser *p, struct plan_fault *fault, struct fault_refs *refs)
{
	/* what edt cannot do, and what makes packets wait; effects[] has a loss only if GE */
	static const int netem_only[] = {FAULT_DUPLICATE, FAULT_CORRUPT, FAULT_REORDER, FAULT_LOSS};
	static const int waiting[] = {FAULT_DELAY,   FAULT_RATE,    FAULT_DUPLICATE,
				      FAULT_CORRUPT, FAULT_REORDER, FAULT_LOSS};
	const struct seen_field *seen = refs->fields;
	yaml_node_t *backend = seen[FAULT_BACKEND].value;
	struct seen_field effects[MAX_FIELDS];
	size_t i;

	memcpy(effects, seen, sizeof(effects));
	if (!(fault->netem_effects & PLAN_NETEM_LOSS_GE))
		effects[FAULT_LOSS].key = effects[FAULT_LOSS].value = NULL;

	if ((fault->netem_effects & PLAN_NETEM_REORDER) && !(fault->actions & FLT_ACT_DELAY))
		return fail_field(p, seen[FAULT_REORDER].value, "reorder",
				  "reorder needs a delay on the same fault: netem reorders by "
				  "sending some packets at once, ahead of the delayed ones");

	if (fault->backend == PLAN_BACKEND_EDT) {
		i = first_seen(effects, netem_only, ARRAY_SIZE(netem_only));
		if (i < ARRAY_SIZE(netem_only))
			return fail_field(p, backend, "backend",
					  "%s needs backend netem: edt can only delay and pace "
					  "packets",
					  effect_name(refs, netem_only[i]));
		if (!(fault->actions & (FLT_ACT_DELAY | FLT_ACT_RATE)))
			return fail_field(p, backend, "backend",
					  "backend edt has nothing to do here: it serves delay "
					  "and rate");
	}
	if (fault->backend == PLAN_BACKEND_NETEM &&
	    !(fault->actions & (FLT_ACT_DELAY | FLT_ACT_RATE | FLT_ACT_LOSS)) &&
	    !fault->netem_effects)
		return fail_field(p, backend, "backend",
				  "backend netem has nothing to do here: it serves delay, rate, "
				  "loss, duplicate, corrupt and reorder");

	i = first_seen(effects, waiting, ARRAY_SIZE(waiting));
	refs->waiting_field = -1;
	if (i < ARRAY_SIZE(waiting)) {
		refs->waiting_field = waiting[i];
		refs->waiting_what = effect_name(refs, waiting[i]);
	} else if (fault->backend == PLAN_BACKEND_NETEM) {
		/* a plain loss that netem draws instead of eBPF */
		refs->waiting_field = FAULT_BACKEND;
		refs->waiting_what = "backend netem";
	}
	return 0;
}

int check_fault(struct parser *p, struct plan_fault *fault, yaml_node_t *node,
		struct fault_refs *refs)
{
	int err;

	if (!fault->actions && !fault->netem_effects)
		return fail(p, node,
			    "no action: give at least one of blackhole, reject, loss, delay, rate, "
			    "duplicate, corrupt or reorder");
	err = check_reject(p, fault, refs);
	err = err ?: check_blackhole(p, fault, refs);
	return err ?: check_waiting(p, fault, refs);
}

/* ---- a fault and its target --------------------------------------------------------------- */

/* The index of the target named name, or an error about node with a hint. */
static int find_target(struct parser *p, const char *name, yaml_node_t *node, size_t *index)
{
	const struct plan *plan = p->plan;
	const char *names[64], *hint;
	char quoted[QUOTE_VALUE_LEN];
	size_t t, n = plan->ntargets < 64 ? plan->ntargets : 64;

	for (t = 0; t < plan->ntargets; t++) {
		if (!strcmp(plan->targets[t].name, name)) {
			*index = t;
			return 0;
		}
	}
	for (t = 0; t < n; t++)
		names[t] = plan->targets[t].name;
	hint = closest_key(name, names, n);
	quote_value(name, quoted, sizeof(quoted));
	if (hint)
		return fail(p, node, "unknown target %s: did you mean \"%s\"?", quoted, hint);
	return fail(p, node, "unknown target %s: spec.targets does not define it", quoted);
}

/*
 * Loopback traffic never leaves the lo device. A pods target's programs are on the host end of
 * its veth, a netns target's on every interface of the namespace but lo (netdev_list()): they
 * never see it. Only the cgroup hooks do (cgroup_skb, and the connect hooks of a reject).
 */
static int check_loopback(struct parser *p, const struct plan_fault *fault,
			  const struct fault_refs *refs, enum target_kind kind)
{
	yaml_node_t *cidrs = refs->match[MATCH_CIDRS].value;
	size_t i, saved;
	int err = 0;

	if ((kind != TARGET_POD && kind != TARGET_NETNS) || (fault->actions & FLT_ACT_REJECT))
		return 0;
	for (i = 0; i < fault->ncidrs && !err; i++) {
		yaml_node_t *item = list_item(p, cidrs, i);
		char quoted[QUOTE_VALUE_LEN];

		if (!cidr_is_loopback(&fault->cidrs[i]))
			continue;
		quote_value(scalar_text(item), quoted, sizeof(quoted));
		saved = path_push_key(p, "match");
		path_push_key(p, "cidrs");
		path_push_index(p, i);
		if (kind == TARGET_POD)
			err = fail(p, item,
				   "%s is a loopback address: that traffic stays on the pod's lo "
				   "device, and faultline works on its veth; a cgroups target with "
				   "the pod's cgroup sees it",
				   quoted);
		else
			err = fail(p, item,
				   "%s is a loopback address: that traffic stays on the lo device, "
				   "which a netns target leaves out; a cgroups target sees it",
				   quoted);
		path_pop(p, saved);
	}
	return err;
}

/* The target, once known: what the fault needs of its kind. */
static int check_target_kind(struct parser *p, const struct plan_fault *fault,
			     const struct fault_refs *refs, const struct plan_target *target)
{
	enum target_kind kind = target->ids[0].kind;
	char quoted[QUOTE_VALUE_LEN];

	quote_value(target->name, quoted, sizeof(quoted));
	if ((fault->actions & FLT_ACT_REJECT) && kind != TARGET_POD && kind != TARGET_CGROUP)
		return fail_field(p, refs->fields[FAULT_REJECT].value, "reject",
				  "reject works through cgroup hooks: target %s is %s target, use "
				  "a pods or cgroups target",
				  quoted, kind == TARGET_NETNS ? "a netns" : "an interfaces");
	/* Packets wait in a qdisc on a device: a cgroup has none of its own. */
	if (refs->waiting_field >= 0 && kind == TARGET_CGROUP) {
		const struct seen_field *waiting = &refs->fields[refs->waiting_field];

		return fail_field(p, waiting->value, scalar_text(waiting->key),
				  "%s needs a target with network interfaces: target %s is a "
				  "cgroups target, use a pods, netns or interfaces target",
				  refs->waiting_what, quoted);
	}
	return check_loopback(p, fault, refs, kind);
}

int link_fault_target(struct parser *p, size_t i)
{
	struct plan *plan = p->plan;
	struct plan_fault *fault = &plan->faults[i];
	const struct fault_refs *refs = &p->refs[i];
	yaml_node_t *target_node = refs->fields[FAULT_TARGET].value;
	size_t t = 0, k, same_target = 0, saved, key_saved;
	int err;

	saved = path_push_index(p, i);
	key_saved = path_push_key(p, "target");
	err = find_target(p, scalar_text(target_node), target_node, &t);
	if (!err) {
		fault->target = t;
		for (k = 0; k <= i; k++)
			same_target += plan->faults[k].target == t;
		if (same_target > FLT_MAX_RULES) {
			char quoted[QUOTE_VALUE_LEN];

			err = fail(p, target_node,
				   "target %s has more than %d faults: at most %d per target",
				   quote_value(plan->targets[t].name, quoted, sizeof(quoted)),
				   FLT_MAX_RULES, FLT_MAX_RULES);
		}
	}
	path_pop(p, key_saved);
	if (!err)
		err = check_target_kind(p, fault, refs, &plan->targets[t]);
	path_pop(p, saved);
	return err;
}
