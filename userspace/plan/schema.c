// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fields of a fault plan, as tables that walk.c walks: one row per field, from the
 * document's root down to a fault's actions (the schema of docs/plan.md). Scalars are one row
 * each; the handlers here are for what a row cannot say (the targets' ids, the loss models,
 * a delay's jitter rules). Checks across a fault's fields and against its target are
 * validate.c's; spec's observe and abortWhen, faultline run's, are experiment.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "plan/plan.h"
#include "plan/pod_id.h"
#include "plan/schema.h"
#include "plan/validate.h"
#include "plan/values.h"
#include "plan/walk.h"

#define PLAN_API_VERSION "faultline/v1"
#define PLAN_KIND "FaultPlan"

/* ---- the document ------------------------------------------------------------------------- */

/* What the document must say it is: apiVersion and kind, by field->arg. */
static const struct {
	const char *value;
	const char *otherwise; /* "\"v2\" is not supported: use faultline/v1" */
} document_constants[] = {
	{PLAN_API_VERSION, "is not supported"},
	{PLAN_KIND, "is not a fault plan"},
};

static int check_constant(struct parser *p, const struct field *field, yaml_node_t *value,
			  const char *s, void *out)
{
	const char *want = document_constants[field->arg].value;
	char quoted[QUOTE_VALUE_LEN];

	(void)out;
	if (strcmp(s, want))
		return fail(p, value, "%s %s: use %s", quote_value(s, quoted, sizeof(quoted)),
			    document_constants[field->arg].otherwise, want);
	return 0;
}

#define NAME_WHAT "a name of a-z, 0-9 and '-'"

static const struct field metadata_fields[] = {
	SCALAR_FIELD("name", SCALAR_NAME, struct plan, name, NAME_WHAT, .required = true),
};

static const struct schema metadata_schema =
	SCHEMA(metadata_fields, "a mapping with a name", false);

/* ---- spec.duration ------------------------------------------------------------------------ */

static int check_duration(struct parser *p, const struct field *field, yaml_node_t *value,
			  const char *s, void *out)
{
	char quoted[QUOTE_VALUE_LEN], limit[32];
	uint64_t ms = *(uint64_t *)out;

	(void)field;
	quote_value(s, quoted, sizeof(quoted));
	p->plan->duration_pos.line = value->start_mark.line + 1;
	p->plan->duration_pos.col = value->start_mark.column + 1;
	if (!ms)
		return fail(p, value, "%s is zero: the duration must be greater than 0", quoted);
	if (ms > p->max_duration_ms) {
		format_duration_ms(p->max_duration_ms, limit, sizeof(limit));
		return fail(p, value, "%s is over the limit of %s: --max-duration raises it",
			    quoted, limit);
	}
	return 0;
}

/* ---- spec.targets ------------------------------------------------------------------------- */

/* Compare paths as the kernel resolves them: repeated and trailing slashes don't count. */
static bool same_path(const char *a, const char *b, bool ignore_leading)
{
	if (ignore_leading) {
		a += strspn(a, "/");
		b += strspn(b, "/");
	}
	for (;;) {
		if (*a == '/' && *b == '/') {
			a += strspn(a, "/");
			b += strspn(b, "/");
			if (!*a && !*b)
				return true;
			a--;
			b--;
		}
		if (*a == '/' && !a[strspn(a, "/")] && !*b)
			return true;
		if (*b == '/' && !b[strspn(b, "/")] && !*a)
			return true;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

static bool same_id(const struct plan_target_id *id, const char *s, enum target_kind kind)
{
	if (id->kind != kind)
		return false;
	switch (kind) {
	case TARGET_CGROUP:
		return same_path(id->id, s, true);
	case TARGET_NETNS:
		return same_path(id->id, s, false);
	default:
		return !strcmp(id->id, s);
	}
}

const struct plan_target_id *find_target_id(const struct plan_target_id *ids, size_t n,
					    const char *s, enum target_kind kind)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (same_id(&ids[i], s, kind))
			return &ids[i];
	}
	return NULL;
}

/* What a target kind's ids are, how they are checked, and how messages name them. */
static const struct {
	int (*check)(const char *s, const char **why);
	const char *what;     /* "cgroup paths": "expected a list of cgroup paths" */
	const char *if_empty; /* for an empty list */
	const char *name;     /* one id: "pod \"...\" is already listed"; target_kind_name() */
} target_kinds[] = {
	[TARGET_POD] = {check_pod_id, "pods (uids, NAMESPACE/NAME or NAMESPACE/GLOB)",
			"give at least one pod", "pod"},
	[TARGET_CGROUP] = {check_cgroup_path, "cgroup paths", "give at least one cgroup path",
			   "cgroup"},
	[TARGET_NETNS] = {check_netns_path, "netns paths", "give at least one netns path", "netns"},
	[TARGET_INTERFACE] = {check_ifname, "interface names", "give at least one interface name",
			      "interface"},
};

const char *target_kind_name(enum target_kind kind)
{
	if ((size_t)kind < ARRAY_SIZE(target_kinds))
		return target_kinds[kind].name;
	return "unknown";
}

int check_id_not_listed(struct parser *p, yaml_node_t *item, const char *s, enum target_kind kind,
			const struct plan_target_id *ids, size_t n)
{
	const struct plan_target_id *earlier = find_target_id(ids, n, s, kind);
	char quoted[QUOTE_VALUE_LEN];

	if (!earlier)
		return 0;
	return fail(p, item, "%s %s is already listed at line %u", target_kind_name(kind),
		    quote_value(s, quoted, sizeof(quoted)), earlier->pos.line);
}

/* An id of kind that a target listed before (in this one or in an earlier one): an error. */
static int check_id_unique(struct parser *p, yaml_node_t *item, const char *s,
			   enum target_kind kind)
{
	size_t t;
	int err = 0;

	/* One pod in two targets would get two rule sets and one attachment. */
	for (t = 0; t < p->plan->ntargets + 1 && !err; t++)
		err = check_id_not_listed(p, item, s, kind, p->plan->targets[t].ids,
					  p->plan->targets[t].nids);
	return err;
}

int parse_id_list(struct parser *p, yaml_node_t *value, enum target_kind kind,
		  struct plan_target_id **ids, size_t *nids, id_check unique)
{
	struct plan_target_id *grown;
	size_t n, i;
	int err;

	err = expect_list(p, value, target_kinds[kind].what, target_kinds[kind].if_empty, &n);
	if (err)
		return err;
	grown = realloc(*ids, (*nids + n) * sizeof(*grown));
	if (!grown)
		return fail_out_of_memory(p);
	*ids = grown;

	for (i = 0; i < n; i++) {
		yaml_node_t *item = list_item(p, value, i);
		size_t saved = path_push_index(p, i);
		struct plan_target_id *id;
		const char *s, *why;

		err = get_scalar(p, item, target_kinds[kind].what, &s);
		if (!err && target_kinds[kind].check(s, &why))
			err = fail(p, item, "%s", why);
		err = err ?: unique(p, item, s, kind);
		path_pop(p, saved);
		if (err)
			return err;
		id = &(*ids)[*nids];
		id->id = strdup(s);
		id->pattern = NULL; /* engine_expand_pods() sets it */
		if (!id->id)
			return fail_out_of_memory(p);
		id->kind = kind;
		id->pos.line = item->start_mark.line + 1;
		id->pos.col = item->start_mark.column + 1;
		(*nids)++;
	}
	return 0;
}

/* spec.targets.NAME.{pods,cgroups,netns,interfaces}: field->arg is the target_kind. */
static int parse_target_ids(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj)
{
	struct plan_target *target = obj;

	return parse_id_list(p, value, field->arg, &target->ids, &target->nids, check_id_unique);
}

static const struct field target_fields[] = {
	{.key = "pods", .parse = parse_target_ids, .arg = TARGET_POD},
	{.key = "cgroups", .parse = parse_target_ids, .arg = TARGET_CGROUP},
	{.key = "netns", .parse = parse_target_ids, .arg = TARGET_NETNS},
	{.key = "interfaces", .parse = parse_target_ids, .arg = TARGET_INTERFACE},
};

static const struct schema target_schema =
	SCHEMA(target_fields, "a mapping with one of pods, cgroups, netns or interfaces", false);

static int parse_target(struct parser *p, yaml_node_t *value, struct plan_target *target)
{
	struct seen_field seen[MAX_FIELDS];
	yaml_node_t *first_kind_key = NULL;
	size_t f;
	int err;

	err = walk_fields(p, value, &target_schema, target, seen);
	if (err)
		return err;
	for (f = 0; f < target_schema.nfields; f++) {
		yaml_node_t *key = seen[f].key;

		if (!key)
			continue;
		if (first_kind_key) {
			/* name them in document order */
			bool first_before =
				first_kind_key->start_mark.index < key->start_mark.index;
			const char *a = scalar_text(first_before ? first_kind_key : key);
			const char *b = scalar_text(first_before ? key : first_kind_key);

			return fail(p, first_before ? key : first_kind_key,
				    "has both %s and %s: a target is exactly one of pods, cgroups, "
				    "netns or interfaces",
				    a, b);
		}
		first_kind_key = key;
	}
	if (!first_kind_key)
		return fail(p, value, "missing one of pods, cgroups, netns or interfaces");
	return 0;
}

static int parse_spec_targets(struct parser *p, const struct field *field, yaml_node_t *value,
			      void *obj)
{
	struct plan *plan = obj;
	size_t n, i;
	int err;

	(void)field;
	if (value->type != YAML_MAPPING_NODE)
		return fail(p, value, "expected a mapping of target names to targets, got %s",
			    node_kind(value));
	n = map_len(value);
	if (!n)
		return fail(p, value, "no targets: define at least one");
	plan->targets = calloc(n, sizeof(*plan->targets));
	if (!plan->targets)
		return fail_out_of_memory(p);

	for (i = 0; i < n; i++) {
		struct plan_target *target = &plan->targets[i];
		yaml_node_t *key_node, *target_node;
		const char *name, *why;
		size_t saved;

		err = pair_key(p, value, i, &key_node, &name);
		if (err)
			return err;
		if (check_object_name(name, &why))
			return fail(p, key_node, "%s", why);
		target->name = strdup(name);
		if (!target->name)
			return fail_out_of_memory(p);
		target->pos.line = key_node->start_mark.line + 1;
		target->pos.col = key_node->start_mark.column + 1;
		plan->ntargets = i; /* the targets before this one are complete */

		target_node = node_at(p, value->data.mapping.pairs.start[i].value);
		saved = path_push_key(p, name);
		err = parse_target(p, target_node, target);
		path_pop(p, saved);
		plan->ntargets = i + 1;
		if (err)
			return err;
	}
	return 0;
}

/* ---- a fault's name and match ------------------------------------------------------------- */

/* The refs of the fault being parsed: the last element of plan->faults. */
static struct fault_refs *current_refs(struct parser *p)
{
	return &p->refs[p->plan->nfaults - 1];
}

static int check_fault_name(struct parser *p, const struct field *field, yaml_node_t *value,
			    const char *s, void *out)
{
	char quoted[QUOTE_VALUE_LEN];
	size_t i;

	(void)field;
	(void)out;
	for (i = 0; i + 1 < p->plan->nfaults; i++) {
		if (!strcmp(p->plan->faults[i].name, s))
			return fail(p, value, "fault name %s is already used by spec.faults[%zu]",
				    quote_value(s, quoted, sizeof(quoted)), i);
	}
	return 0;
}

static const struct scalar_list cidr_list = {
	.kind = SCALAR_CIDR,
	.elem_size = sizeof(struct plan_cidr),
	.count_offset = offsetof(struct plan_fault, ncidrs),
	.max = FLT_MAX_CIDRS,
	.what = "cidrs",
	.max_what = "cidrs",
	.item_what = "a cidr such as 10.0.0.0/8 or an address",
	.if_empty = "give at least one cidr, or leave cidrs out to match every address",
};

#define PORT_LIST(count_member, key)                                                               \
	{                                                                                          \
		.kind = SCALAR_PORT_RANGE, .elem_size = sizeof(struct plan_port_range),            \
		.count_offset = offsetof(struct plan_fault, count_member), .max = FLT_MAX_PORTS,   \
		.what = "ports", .max_what = "port ranges",                                        \
		.item_what = "a port or a range such as 8000-8100",                                \
		.if_empty = "give at least one port, or leave " key " out to match every port",    \
	}

static const struct scalar_list port_list = PORT_LIST(nports, "ports");
static const struct scalar_list local_port_list = PORT_LIST(nlocal_ports, "localPorts");

static const struct field match_fields[] = {
	[MATCH_CIDRS] = LIST_FIELD("cidrs", struct plan_fault, cidrs, cidr_list),
	[MATCH_PROTOCOL] = SCALAR_FIELD("protocol", SCALAR_PROTOCOL, struct plan_fault, protocol,
					"tcp, udp, icmp or any"),
	[MATCH_PORTS] = LIST_FIELD("ports", struct plan_fault, ports, port_list),
	[MATCH_LOCAL_PORTS] =
		LIST_FIELD("localPorts", struct plan_fault, local_ports, local_port_list),
};

static const struct schema match_schema =
	SCHEMA(match_fields, "a mapping of cidrs, protocol, ports and localPorts", true);

static int parse_fault_match(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	struct seen_field *seen = current_refs(p)->match;
	int err;

	(void)field;
	err = walk_fields(p, value, &match_schema, obj, seen);
	return err ?: check_match(p, obj, seen);
}

/* ---- blackhole, reject, loss -------------------------------------------------------------- */

static const struct schema blackhole_schema = {.what = "an empty mapping {}",
					       .null_is_empty = true};

/*
 * An effect that its fields only describe (blackhole, rate, duplicate, corrupt, reorder):
 * field->arg has its FLT_ACT_* bit, or its PLAN_NETEM_* bit as NETEM_EFFECT() puts it.
 */
#define NETEM_EFFECT(bit) ((bit) << 16)

static int parse_fault_effect(struct parser *p, const struct field *field, yaml_node_t *value,
			      void *obj)
{
	struct plan_fault *fault = obj;

	fault->actions |= field->arg & 0xffff;
	fault->netem_effects |= (unsigned int)field->arg >> 16;
	return parse_mapping(p, field, value, obj);
}

static const struct field reject_fields[] = {
	SCALAR_FIELD("errno", SCALAR_ERRNO, struct plan_fault, reject_errno,
		     "an errno name such as ECONNREFUSED"),
};

static const struct schema reject_schema =
	SCHEMA(reject_fields, "a mapping with an optional errno", true);

static int parse_fault_reject(struct parser *p, const struct field *field, yaml_node_t *value,
			      void *obj)
{
	struct plan_fault *fault = obj;

	fault->reject_errno = ECONNREFUSED;
	fault->actions |= FLT_ACT_REJECT;
	return parse_mapping(p, field, value, obj);
}

static int check_loss_model(struct parser *p, const struct field *field, yaml_node_t *value,
			    const char *s, void *out)
{
	char quoted[QUOTE_VALUE_LEN];

	(void)field;
	(void)out;
	if (strcmp(s, "random") && strcmp(s, "gilbert-elliott"))
		return fail(p, value, "unknown loss model %s: use random or gilbert-elliott",
			    quote_value(s, quoted, sizeof(quoted)));
	return 0;
}

#define PERCENT_WHAT "a percentage such as 5 or 0.5"
#define PERCENT_OR_ZERO_WHAT "a percentage such as 25 or 25%"

/* A percentage of struct plan_fault's member: more than 0 (or 0 too), at most 100. */
#define PERCENT_FIELD(name, member, ...)                                                           \
	SCALAR_FIELD(name, SCALAR_PERCENT, struct plan_fault, member, PERCENT_WHAT, __VA_ARGS__)
#define PERCENT_OR_ZERO_FIELD(name, member)                                                        \
	SCALAR_FIELD(name, SCALAR_PERCENT_OR_ZERO, struct plan_fault, member, PERCENT_OR_ZERO_WHAT)

enum { LOSS_PERCENT, LOSS_MODEL, LOSS_P, LOSS_R, LOSS_H, LOSS_K };

static const struct field loss_fields[] = {
	[LOSS_PERCENT] = PERCENT_FIELD("percent", loss_percent),
	[LOSS_MODEL] = TEXT_FIELD("model", "random or gilbert-elliott", check_loss_model),
	/* Gilbert-Elliott: p and r move between the states, never 0; h and k may be 0 */
	[LOSS_P] = PERCENT_FIELD("p", ge_p),
	[LOSS_R] = PERCENT_FIELD("r", ge_r),
	[LOSS_H] = PERCENT_OR_ZERO_FIELD("h", ge_h),
	[LOSS_K] = PERCENT_OR_ZERO_FIELD("k", ge_k),
};

static const struct schema loss_schema =
	SCHEMA(loss_fields, "a mapping with a percent, or a model and its parameters", true);

static int parse_fault_loss(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj)
{
	static const int ge_fields[] = {LOSS_P, LOSS_R, LOSS_H, LOSS_K};
	struct seen_field seen[MAX_FIELDS];
	struct plan_fault *fault = obj;
	size_t i;
	int err;

	(void)field;
	err = walk_fields(p, value, &loss_schema, obj, seen);
	if (err)
		return err;
	if (!seen[LOSS_MODEL].value || !strcmp(scalar_text(seen[LOSS_MODEL].value), "random")) {
		i = first_seen(seen, ge_fields, ARRAY_SIZE(ge_fields));
		if (i < ARRAY_SIZE(ge_fields))
			return fail_field(p, seen[ge_fields[i]].key, loss_fields[ge_fields[i]].key,
					  "%s is a parameter of model gilbert-elliott: add model: "
					  "gilbert-elliott, or use percent alone",
					  loss_fields[ge_fields[i]].key);
		if (!seen[LOSS_PERCENT].value)
			return fail(p, value, "missing required field \"percent\"");
		fault->actions |= FLT_ACT_LOSS;
		return 0;
	}

	/* gilbert-elliott: netem's loss model, with h and k as the model defines them */
	if (seen[LOSS_PERCENT].value)
		return fail_field(p, seen[LOSS_PERCENT].key, "percent",
				  "percent is for model random: a gilbert-elliott loss comes from "
				  "p, r, h and k");
	if (!seen[LOSS_P].value)
		return fail(p, value,
			    "missing required field \"p\": model gilbert-elliott needs p and r");
	if (!seen[LOSS_R].value)
		return fail(p, value,
			    "missing required field \"r\": model gilbert-elliott needs p and r");
	if (!seen[LOSS_H].value)
		fault->ge_h = 0; /* the bad state loses every packet: Gilbert's model */
	if (!seen[LOSS_K].value)
		fault->ge_k = 100; /* the good state loses none */
	if (fault->ge_h == 100 && fault->ge_k == 100)
		return fail_field(p, seen[LOSS_H].value, "h",
				  "h and k are both 100%%: this model never loses a packet");
	fault->netem_effects |= PLAN_NETEM_LOSS_GE;
	return 0;
}

/* ---- delay, rate and netem's effects ------------------------------------------------------ */

#define DELAY_MAX_NS (60ULL * 1000000000)
/*
 * netem keeps a jitter in 32 bits of signed nanoseconds (sch_netem.c: netem_change() clamps
 * it to INT_MAX, 2.147 s); the edt backend takes the same bound so that both behave alike.
 */
#define JITTER_MAX_NS (2ULL * 1000000000)

/* delay.time and delay.jitter: field->arg is 1 for the jitter. */
static int check_delay_time(struct parser *p, const struct field *field, yaml_node_t *value,
			    const char *s, void *out)
{
	bool is_jitter = field->arg;
	uint64_t ns = *(uint64_t *)out;
	char quoted[QUOTE_VALUE_LEN];

	quote_value(s, quoted, sizeof(quoted));
	if (!ns && !is_jitter)
		return fail(p, value, "%s is zero: a delay must be greater than 0", quoted);
	if (ns > JITTER_MAX_NS && is_jitter)
		return fail(p, value,
			    "%s is over the limit of 2s: netem cannot jitter by more than 2.147s",
			    quoted);
	if (ns > DELAY_MAX_NS)
		return fail(p, value, "%s is over the limit of 60s", quoted);
	return 0;
}

enum { DELAY_TIME, DELAY_JITTER, DELAY_DISTRIBUTION, DELAY_CORRELATION };

static const struct field delay_fields[] = {
	[DELAY_TIME] =
		SCALAR_FIELD("time", SCALAR_LATENCY_NS, struct plan_fault, delay_ns,
			     "a time such as 100ms", .required = true, .check = check_delay_time),
	[DELAY_JITTER] = SCALAR_FIELD("jitter", SCALAR_LATENCY_NS, struct plan_fault, jitter_ns,
				      "a time such as 10ms", .check = check_delay_time, .arg = 1),
	[DELAY_DISTRIBUTION] =
		SCALAR_FIELD("distribution", SCALAR_DISTRIBUTION, struct plan_fault, distribution,
			     "uniform, normal, pareto or paretonormal"),
	[DELAY_CORRELATION] = PERCENT_OR_ZERO_FIELD("correlation", delay_correlation),
};

static const struct schema delay_schema =
	SCHEMA(delay_fields, "a mapping such as {time: 100ms, jitter: 10ms}", true);

static int parse_fault_delay(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	static const int jitter_only[] = {DELAY_DISTRIBUTION, DELAY_CORRELATION};
	struct seen_field seen[MAX_FIELDS], idle[MAX_FIELDS];
	struct plan_fault *fault = obj;
	int err;

	(void)field;
	err = walk_fields(p, value, &delay_schema, obj, seen);
	if (err)
		return err;
	/*
	 * Both shape the random part of the delay: without a jitter they would do nothing, which
	 * is not what whoever wrote them meant. Their defaults (uniform, 0%) are fine.
	 */
	memset(idle, 0, sizeof(idle));
	if (!fault->jitter_ns && fault->distribution != FLT_DIST_UNIFORM)
		idle[DELAY_DISTRIBUTION] = seen[DELAY_DISTRIBUTION];
	if (!fault->jitter_ns && fault->delay_correlation > 0)
		idle[DELAY_CORRELATION] = seen[DELAY_CORRELATION];
	switch (first_seen(idle, jitter_only, ARRAY_SIZE(jitter_only))) {
	case 0:
		return fail_field(p, seen[DELAY_DISTRIBUTION].value, "distribution",
				  "distribution %s needs a jitter greater than 0: without one "
				  "every packet gets exactly the delay",
				  distribution_name(fault->distribution));
	case 1:
		return fail_field(p, seen[DELAY_CORRELATION].value, "correlation",
				  "correlation needs a jitter greater than 0: it correlates the "
				  "random part of successive delays");
	}
	fault->actions |= FLT_ACT_DELAY;
	return 0;
}

static const struct field rate_fields[] = {
	SCALAR_FIELD("bandwidth", SCALAR_BANDWIDTH, struct plan_fault, rate_bytes_per_sec,
		     "a bandwidth such as 10mbit", .required = true),
};

static const struct schema rate_schema =
	SCHEMA(rate_fields, "a mapping such as {bandwidth: 10mbit}", true);

static const struct field duplicate_fields[] = {
	PERCENT_FIELD("percent", duplicate_percent, .required = true),
};

static const struct field corrupt_fields[] = {
	PERCENT_FIELD("percent", corrupt_percent, .required = true),
};

static const struct field reorder_fields[] = {
	PERCENT_FIELD("percent", reorder_percent, .required = true),
	PERCENT_OR_ZERO_FIELD("correlation", reorder_correlation),
};

static const struct schema duplicate_schema =
	SCHEMA(duplicate_fields, "a mapping with a percent", true);
static const struct schema corrupt_schema =
	SCHEMA(corrupt_fields, "a mapping with a percent", true);
static const struct schema reorder_schema =
	SCHEMA(reorder_fields, "a mapping with a percent and an optional correlation", true);

/* ---- a fault ------------------------------------------------------------------------------ */

static const struct field fault_fields[] = {
	[FAULT_NAME] = SCALAR_FIELD("name", SCALAR_NAME, struct plan_fault, name, NAME_WHAT,
				    .required = true, .check = check_fault_name),
	/* resolved once all targets are known: link_fault_target() */
	[FAULT_TARGET] = TEXT_FIELD("target", "a target name", NULL, .required = true),
	[FAULT_DIRECTION] = SCALAR_FIELD("direction", SCALAR_DIRECTION, struct plan_fault,
					 direction, "egress, ingress or both"),
	[FAULT_MATCH] = MAPPING_FIELD("match", parse_fault_match, match_schema),
	[FAULT_BLACKHOLE] = MAPPING_FIELD("blackhole", parse_fault_effect, blackhole_schema,
					  .arg = FLT_ACT_BLACKHOLE),
	[FAULT_REJECT] = MAPPING_FIELD("reject", parse_fault_reject, reject_schema),
	[FAULT_LOSS] = MAPPING_FIELD("loss", parse_fault_loss, loss_schema),
	[FAULT_BACKEND] = SCALAR_FIELD("backend", SCALAR_BACKEND, struct plan_fault, backend,
				       "auto, edt or netem"),
	[FAULT_DELAY] = MAPPING_FIELD("delay", parse_fault_delay, delay_schema),
	[FAULT_RATE] = MAPPING_FIELD("rate", parse_fault_effect, rate_schema, .arg = FLT_ACT_RATE),
	[FAULT_DUPLICATE] = MAPPING_FIELD("duplicate", parse_fault_effect, duplicate_schema,
					  .arg = NETEM_EFFECT(PLAN_NETEM_DUPLICATE)),
	[FAULT_CORRUPT] = MAPPING_FIELD("corrupt", parse_fault_effect, corrupt_schema,
					.arg = NETEM_EFFECT(PLAN_NETEM_CORRUPT)),
	[FAULT_REORDER] = MAPPING_FIELD("reorder", parse_fault_effect, reorder_schema,
					.arg = NETEM_EFFECT(PLAN_NETEM_REORDER)),
};

_Static_assert(ARRAY_SIZE(fault_fields) == FAULT_FIELD_COUNT,
	       "fault_fields has a row for each enum fault_field");
_Static_assert(ARRAY_SIZE(match_fields) == MATCH_FIELD_COUNT,
	       "match_fields has a row for each enum match_field");

static const struct schema fault_schema = SCHEMA(fault_fields, "a fault mapping", false);

static int parse_fault(struct parser *p, yaml_node_t *value, struct plan_fault *fault)
{
	struct fault_refs *refs = current_refs(p);
	int err;

	fault->pos.line = value->start_mark.line + 1;
	fault->pos.col = value->start_mark.column + 1;
	fault->direction = FLT_DIR_EGRESS;
	fault->protocol = FLT_PROTO_ANY;
	fault->backend = PLAN_BACKEND_AUTO;
	fault->distribution = FLT_DIST_UNIFORM;
	err = walk_fields(p, value, &fault_schema, fault, refs->fields);
	return err ?: check_fault(p, fault, value, refs);
}

static int parse_spec_faults(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	struct plan *plan = obj;
	size_t n, i;
	int err;

	(void)field;
	err = expect_list(p, value, "faults", "give at least one fault", &n);
	if (err)
		return err;
	plan->faults = calloc(n, sizeof(*plan->faults));
	p->refs = calloc(n, sizeof(*p->refs));
	if (!plan->faults || !p->refs)
		return fail_out_of_memory(p);
	for (i = 0; i < n; i++) {
		size_t saved = path_push_index(p, i);

		plan->nfaults = i + 1;
		err = parse_fault(p, list_item(p, value, i), &plan->faults[i]);
		path_pop(p, saved);
		if (err)
			return err;
	}
	return 0;
}

/* ---- spec and the root -------------------------------------------------------------------- */

enum { SPEC_DURATION, SPEC_TARGETS, SPEC_FAULTS, SPEC_OBSERVE, SPEC_ABORT_WHEN };

static const struct field spec_fields[] = {
	[SPEC_DURATION] =
		SCALAR_FIELD("duration", SCALAR_DURATION_MS, struct plan, duration_ms,
			     "a duration such as 10m", .required = true, .check = check_duration),
	[SPEC_TARGETS] = {.key = "targets", .parse = parse_spec_targets, .required = true},
	[SPEC_FAULTS] = {.key = "faults", .parse = parse_spec_faults, .required = true},
	/* faultline run's: experiment.c */
	[SPEC_OBSERVE] = {.key = "observe", .parse = parse_spec_observe},
	[SPEC_ABORT_WHEN] = {.key = "abortWhen", .parse = parse_spec_abort_when},
};

static const struct schema spec_schema = SCHEMA(
	spec_fields, "a mapping with duration, targets and faults (and observe, abortWhen)", false);

/*
 * spec's fields, then what links its faults and its abort conditions to its targets, which
 * may come in any order.
 */
static int parse_spec(struct parser *p, const struct field *field, yaml_node_t *value, void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	struct plan *plan = obj;
	size_t i, saved;
	int err;

	(void)field;
	err = walk_fields(p, value, &spec_schema, obj, seen);
	if (err)
		return err;
	saved = path_push_key(p, "faults");
	for (i = 0; i < plan->nfaults; i++)
		plan->faults[i].target = (size_t)-1;
	for (i = 0; i < plan->nfaults && !err; i++)
		err = link_fault_target(p, i);
	path_pop(p, saved);
	return err ?: link_experiment(p, &seen[SPEC_OBSERVE], &seen[SPEC_ABORT_WHEN]);
}

enum { ROOT_API_VERSION, ROOT_KIND, ROOT_METADATA, ROOT_SPEC };

static const struct field root_fields[] = {
	[ROOT_API_VERSION] = TEXT_FIELD("apiVersion", PLAN_API_VERSION, check_constant,
					.required = true, .arg = 0),
	[ROOT_KIND] = TEXT_FIELD("kind", PLAN_KIND, check_constant, .required = true, .arg = 1),
	[ROOT_METADATA] =
		MAPPING_FIELD("metadata", parse_mapping, metadata_schema, .required = true),
	[ROOT_SPEC] = {.key = "spec", .parse = parse_spec, .required = true},
};

static const struct schema root_schema = SCHEMA(root_fields, "a mapping", false);

int parse_document(struct parser *p, yaml_node_t *root)
{
	struct seen_field seen[MAX_FIELDS];
	size_t i, f;
	int err;

	if (!root || is_null_node(root))
		return report_at(p, root ? root->start_mark : (yaml_mark_t){}, "(root)",
				 "the plan is empty");
	if (root->type != YAML_MAPPING_NODE)
		return fail(p, root,
			    "expected a mapping with apiVersion, kind, metadata and spec, got %s",
			    node_kind(root));

	/*
	 * "Is this a fault plan at all?" comes first: a Deployment given by mistake gets
	 * "kind is Deployment", not an unknown field somewhere in its spec.
	 */
	for (f = ROOT_API_VERSION; f <= ROOT_KIND; f++) {
		yaml_node_t *value = NULL;

		for (i = 0; i < map_len(root) && !value; i++) {
			yaml_node_pair_t *pair = &root->data.mapping.pairs.start[i];
			yaml_node_t *key = node_at(p, pair->key);

			if (key->type == YAML_SCALAR_NODE &&
			    !strcmp(scalar_text(key), root_fields[f].key))
				value = node_at(p, pair->value);
		}
		if (!value)
			return fail(p, root, "missing required field \"%s\"", root_fields[f].key);
		path_push_key(p, root_fields[f].key);
		err = root_fields[f].parse(p, &root_fields[f], value, p->plan);
		path_pop(p, 0);
		if (err)
			return err;
	}
	return walk_fields(p, root, &root_schema, p->plan, seen);
}
