// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline run's sections of a plan: spec.observe, the pods and cgroups watched but not
 * faulted (the controls), and spec.abortWhen, the conditions that revert the plan at once. Their
 * fields are read as spec is walked; what a condition names (a target, which may come later in
 * spec) is resolved once spec is read, and checked against what the tracer can measure of it
 * and what its faults do. docs/plan.md says what each metric is; userspace/experiment/ evaluates
 * them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/syscalls.h"
#include "fault.h"
#include "plan/plan.h"
#include "plan/schema.h"
#include "plan/values.h"
#include "plan/walk.h"

/* A condition's target that stands for spec.observe's pods and cgroups. */
#define OBSERVED_TARGET "observed"

static struct plan_pos pos_of(const yaml_node_t *node)
{
	return (struct plan_pos){node->start_mark.line + 1, node->start_mark.column + 1};
}

/* The value of key in map, a mapping that walk_fields has accepted; NULL if absent. */
static yaml_node_t *value_of(struct parser *p, yaml_node_t *map, const char *key)
{
	size_t i;

	for (i = 0; i < map_len(map); i++) {
		yaml_node_pair_t *pair = &map->data.mapping.pairs.start[i];

		if (!strcmp(scalar_text(node_at(p, pair->key)), key))
			return node_at(p, pair->value);
	}
	return NULL;
}

/* ---- spec.observe ------------------------------------------------------------------------- */

static int check_observed_unique(struct parser *p, yaml_node_t *item, const char *s,
				 enum target_kind kind)
{
	return check_id_not_listed(p, item, s, kind, p->plan->observed, p->plan->nobserved);
}

/* spec.observe.{pods,cgroups}: field->arg is the target_kind. */
static int parse_observed_ids(struct parser *p, const struct field *field, yaml_node_t *value,
			      void *obj)
{
	struct plan *plan = obj;

	return parse_id_list(p, value, field->arg, &plan->observed, &plan->nobserved,
			     check_observed_unique);
}

enum { OBSERVE_PODS, OBSERVE_CGROUPS };

static const struct field observe_fields[] = {
	[OBSERVE_PODS] = {.key = "pods", .parse = parse_observed_ids, .arg = TARGET_POD},
	[OBSERVE_CGROUPS] = {.key = "cgroups", .parse = parse_observed_ids, .arg = TARGET_CGROUP},
};

static const struct schema observe_schema =
	SCHEMA(observe_fields, "a mapping with pods, cgroups or both", false);

int parse_spec_observe(struct parser *p, const struct field *field, yaml_node_t *value, void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	int err;

	(void)field;
	err = walk_fields(p, value, &observe_schema, obj, seen);
	if (!err && !seen[OBSERVE_PODS].value && !seen[OBSERVE_CGROUPS].value)
		err = fail(p, value, "missing pods and cgroups: list the pods or cgroups to watch");
	return err;
}

/*
 * An observed pod is the control that the targets are compared with: one that a target lists
 * too would be faulted like them. The targets may come after observe: checked once spec is read.
 */
static int check_observed_not_targeted(struct parser *p)
{
	const struct plan *plan = p->plan;
	size_t in_list[2] = {0, 0}; /* the index of an id in its list: pods, cgroups */
	size_t i, t;

	for (i = 0; i < plan->nobserved; i++) {
		const struct plan_target_id *id = &plan->observed[i];
		bool is_cgroup = id->kind == TARGET_CGROUP;
		size_t index = in_list[is_cgroup]++;

		for (t = 0; t < plan->ntargets; t++) {
			const struct plan_target_id *targeted = find_target_id(
				plan->targets[t].ids, plan->targets[t].nids, id->id, id->kind);
			yaml_mark_t mark = {.line = id->pos.line - 1, .column = id->pos.col - 1};
			char quoted[QUOTE_VALUE_LEN];
			size_t saved;
			int err;

			if (!targeted)
				continue;
			saved = path_push_key(p, "observe");
			path_push_key(p, is_cgroup ? "cgroups" : "pods");
			path_push_index(p, index);
			err = report_at(
				p, mark, p->path,
				"%s %s is a target of the plan at line %u: an observed %s is "
				"not faulted",
				target_kind_name(id->kind),
				quote_value(id->id, quoted, sizeof(quoted)), targeted->pos.line,
				target_kind_name(id->kind));
			path_pop(p, saved);
			return err;
		}
	}
	return 0;
}

/* ---- metrics ------------------------------------------------------------------------------ */

/* What a condition can compare, by enum plan_metric: its name and whether it is a latency. */
static const struct {
	const char *name;
	bool latency;
} metrics[] = {
	[PLAN_METRIC_CONNECT_FAILED] = {"tcp.connect.failed", false},
	[PLAN_METRIC_CONNECT_P99] = {"tcp.connect.p99", true},
	[PLAN_METRIC_RTT_P99] = {"tcp.rtt.p99", true},
	[PLAN_METRIC_RETRANSMITS] = {"tcp.retransmits", false},
	[PLAN_METRIC_SYSCALL_P99] = {"syscall.NAME.p99", true},
	[PLAN_METRIC_FAULT_DROPPED] = {"fault.dropped", false},
};

#define SYSCALL_METRIC_PREFIX "syscall."
#define SYSCALL_METRIC_SUFFIX ".p99"
#define METRIC_WHAT "a metric such as tcp.connect.failed"

const char *plan_metric_name(enum plan_metric metric)
{
	if ((size_t)metric < ARRAY_SIZE(metrics))
		return metrics[metric].name;
	return "unknown";
}

static void set_metric(struct plan_condition *c, enum plan_metric metric)
{
	c->metric = metric;
	c->latency = metrics[metric].latency;
}

/* syscall.NAME.p99: NAME one of this architecture's syscalls, with a hint for a typo. */
static int parse_syscall_metric(struct parser *p, yaml_node_t *value, struct plan_condition *c)
{
	const char *s = c->metric_name, *name = s + strlen(SYSCALL_METRIC_PREFIX), *hint = NULL;
	size_t suffix = strlen(SYSCALL_METRIC_SUFFIX), len = strlen(name), n = 0;
	char quoted[QUOTE_VALUE_LEN], syscall[64];
	const char **names;
	int nr;

	if (len <= suffix || strcmp(name + len - suffix, SYSCALL_METRIC_SUFFIX))
		return fail(p, value,
			    "%s is not a syscall metric: use syscall.NAME.p99, e.g. "
			    "syscall.read.p99",
			    quote_value(s, quoted, sizeof(quoted)));
	snprintf(syscall, sizeof(syscall), "%.*s", (int)(len - suffix), name);
	c->syscall_nr = syscall_nr(syscall);
	if (c->syscall_nr >= 0 && len - suffix < sizeof(syscall)) {
		set_metric(c, PLAN_METRIC_SYSCALL_P99);
		return 0;
	}
	c->syscall_nr = -1;
	names = calloc(syscall_nr_end() + 1, sizeof(*names));
	if (!names)
		return fail_out_of_memory(p);
	for (nr = 0; nr < syscall_nr_end(); nr++) {
		if (syscall_name(nr))
			names[n++] = syscall_name(nr);
	}
	hint = closest_key(syscall, names, n);
	quote_value(syscall, quoted, sizeof(quoted));
	if (hint)
		fail(p, value, "unknown syscall %s: did you mean \"%s\"?", quoted, hint);
	else
		fail(p, value, "unknown syscall %s: not a syscall of this architecture", quoted);
	free(names);
	return p->error;
}

/* "tcp.connect.failed, ..., syscall.NAME.p99 or fault.dropped" */
static const char *metric_list(char *buf, size_t size)
{
	size_t m, len = 0;

	buf[0] = '\0';
	for (m = 0; m < ARRAY_SIZE(metrics) && len < size; m++) {
		const char *separator = !m ? "" : m + 1 < ARRAY_SIZE(metrics) ? ", " : " or ";

		len += snprintf(buf + len, size - len, "%s%s", separator, metrics[m].name);
	}
	return buf;
}

static int parse_condition_metric(struct parser *p, const struct field *field, yaml_node_t *value,
				  void *obj)
{
	const char *names[ARRAY_SIZE(metrics)], *hint, *s;
	char quoted[QUOTE_VALUE_LEN], list[256];
	struct plan_condition *c = obj;
	size_t m, n = 0;
	int err;

	(void)field;
	err = get_scalar(p, value, METRIC_WHAT, &s);
	if (err)
		return err;
	c->metric_name = strdup(s);
	if (!c->metric_name)
		return fail_out_of_memory(p);
	if (!strncmp(s, SYSCALL_METRIC_PREFIX, strlen(SYSCALL_METRIC_PREFIX)))
		return parse_syscall_metric(p, value, c);
	for (m = 0; m < ARRAY_SIZE(metrics); m++) {
		if (m == PLAN_METRIC_SYSCALL_P99)
			continue;
		if (!strcmp(s, metrics[m].name)) {
			set_metric(c, m);
			return 0;
		}
		names[n++] = metrics[m].name;
	}
	hint = closest_key(s, names, n);
	quote_value(s, quoted, sizeof(quoted));
	metric_list(list, sizeof(list));
	if (hint)
		return fail(p, value, "unknown metric %s: did you mean \"%s\"? use %s", quoted,
			    hint, list);
	return fail(p, value, "unknown metric %s: use %s", quoted, list);
}

/* ---- a condition's threshold -------------------------------------------------------------- */

static bool is_whole_number(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/*
 * above, once the metric is known (it may come after above in the mapping): a time with a unit
 * for a latency, plain digits for a count.
 */
static int parse_threshold(struct parser *p, struct plan_condition *c, yaml_node_t *value)
{
	const char *s = scalar_text(value), *why;
	char quoted[QUOTE_VALUE_LEN];
	uint64_t count = 0;

	quote_value(s, quoted, sizeof(quoted));
	if (c->latency) {
		if (is_whole_number(s))
			return fail_field(p, value, "above",
					  "%s is a latency: give a time such as 250ms",
					  c->metric_name);
		if (parse_latency_ns(s, &c->above, &why))
			return fail_field(p, value, "above", "%s", why);
		return 0;
	}
	if (!is_whole_number(s))
		return fail_field(p, value, "above", "%s is a count: give a number such as 20",
				  c->metric_name);
	/* YAML 1.1 reads 020 as octal, 1.2 as decimal: refuse to guess, as for ports. */
	if (s[0] == '0' && s[1])
		return fail_field(p, value, "above",
				  "%s has a leading zero: write numbers without one", quoted);
	for (; *s; s++) {
		if (__builtin_mul_overflow(count, 10, &count) ||
		    __builtin_add_overflow(count, (uint64_t)(*s - '0'), &count))
			return fail_field(p, value, "above", "%s is too large", quoted);
	}
	c->above = count;
	return 0;
}

/* ---- spec.abortWhen ----------------------------------------------------------------------- */

enum { COND_TARGET, COND_METRIC, COND_ABOVE, COND_FOR };

static const struct field condition_fields[] = {
	/* resolved once all targets are known: link_condition() */
	[COND_TARGET] = TEXT_FIELD("target", "a target name or observed", NULL, .required = true),
	[COND_METRIC] = {.key = "metric", .parse = parse_condition_metric, .required = true},
	/* converted once the metric is known: parse_threshold() */
	[COND_ABOVE] =
		TEXT_FIELD("above", "a threshold such as 20 or 250ms", NULL, .required = true),
	[COND_FOR] = SCALAR_FIELD("for", SCALAR_DURATION_MS, struct plan_condition, for_ms,
				  "a duration such as 3s"),
};

static const struct schema condition_schema =
	SCHEMA(condition_fields, "a condition mapping with target, metric and above", false);

int parse_spec_abort_when(struct parser *p, const struct field *field, yaml_node_t *value,
			  void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	struct plan *plan = obj;
	size_t n, i;
	int err;

	(void)field;
	err = expect_list(p, value, "conditions",
			  "give at least one condition, or leave abortWhen out", &n);
	if (err)
		return err;
	plan->conditions = calloc(n, sizeof(*plan->conditions));
	if (!plan->conditions)
		return fail_out_of_memory(p);
	for (i = 0; i < n && !err; i++) {
		struct plan_condition *c = &plan->conditions[i];
		yaml_node_t *item = list_item(p, value, i);
		size_t saved = path_push_index(p, i);

		plan->nconditions = i + 1; /* plan_free frees what it has so far */
		c->pos = pos_of(item);
		c->syscall_nr = -1;
		err = walk_fields(p, item, &condition_schema, c, seen);
		err = err ?: parse_threshold(p, c, seen[COND_ABOVE].value);
		path_pop(p, saved);
	}
	return err;
}

/* ---- a condition and its target ----------------------------------------------------------- */

/* The target a condition names: one of spec.targets, or observed with spec.observe. */
static int find_condition_target(struct parser *p, struct plan_condition *c, yaml_node_t *value)
{
	const struct plan *plan = p->plan;
	const char *name = scalar_text(value), *names[65], *hint;
	size_t t, n = 0;
	char quoted[QUOTE_VALUE_LEN];

	for (t = 0; t < plan->ntargets; t++) {
		if (strcmp(plan->targets[t].name, name))
			continue;
		if (!strcmp(name, OBSERVED_TARGET))
			return fail_field(p, value, "target",
					  "target name \"observed\" is ambiguous: it stands for "
					  "spec.observe's pods, and spec.targets has a target of "
					  "that name at line %u: rename that target",
					  plan->targets[t].pos.line);
		c->target = t;
		return 0;
	}
	if (!strcmp(name, OBSERVED_TARGET)) {
		if (!plan->nobserved)
			return fail_field(
				p, value, "target",
				"target \"observed\" needs a spec.observe section: list "
				"the pods to watch there, or name a target of spec.targets");
		c->target = PLAN_OBSERVED;
		return 0;
	}
	for (t = 0; t < plan->ntargets && n < ARRAY_SIZE(names) - 1; t++)
		names[n++] = plan->targets[t].name;
	names[n++] = OBSERVED_TARGET;
	hint = closest_key(name, names, n);
	quote_value(name, quoted, sizeof(quoted));
	if (hint)
		return fail_field(p, value, "target", "unknown target %s: did you mean \"%s\"?",
				  quoted, hint);
	return fail_field(p, value, "target",
			  "unknown target %s: name a target of spec.targets, or observed", quoted);
}

/*
 * Whether a fault of target t drops packets in eBPF, which fault.dropped counts (the
 * dropped_packets counters). A loss that netem draws is not counted there: backend netem, netem's
 * own effects (a Gilbert-Elliott loss among them), and a delay or rate beside the loss, which
 * backend auto may give to netem on a kernel without fq (rule_encode() then hands netem the loss).
 */
static bool target_drops(const struct plan *plan, size_t t)
{
	size_t f;

	for (f = 0; f < plan->nfaults; f++) {
		const struct plan_fault *fault = &plan->faults[f];
		bool ebpf_loss = (fault->actions & FLT_ACT_LOSS) && fault->backend != PLAN_BACKEND_NETEM &&
				 !fault->netem_effects &&
				 !(fault->actions & (FLT_ACT_DELAY | FLT_ACT_RATE));

		if (fault->target == t && ((fault->actions & FLT_ACT_BLACKHOLE) || ebpf_loss))
			return true;
	}
	return false;
}

/*
 * What the condition's metric needs of its target: the tracer attributes what it measures by
 * cgroup, so it measures pods and cgroups only (docs/trace.md); fault.dropped is what the
 * target's own faults drop.
 */
static int check_metric_target(struct parser *p, const struct plan_condition *c,
			       yaml_node_t *metric)
{
	const struct plan *plan = p->plan;
	char quoted[QUOTE_VALUE_LEN];
	enum target_kind kind;

	if (c->target == PLAN_OBSERVED) {
		if (c->metric == PLAN_METRIC_FAULT_DROPPED)
			return fail_field(p, metric, "metric",
					  "fault.dropped counts what the plan's faults drop, and "
					  "observed pods have no faults: use it on a target");
		return 0;
	}
	quote_value(plan->targets[c->target].name, quoted, sizeof(quoted));
	if (c->metric == PLAN_METRIC_FAULT_DROPPED) {
		if (!target_drops(plan, c->target))
			return fail_field(
				p, metric, "metric",
				"no fault of target %s drops packets in eBPF (a blackhole, or a loss "
				"without a delay, rate or netem): fault.dropped stays 0 and the "
				"condition could never hold",
				quoted);
		return 0;
	}
	kind = plan->targets[c->target].ids[0].kind;
	if (kind == TARGET_NETNS || kind == TARGET_INTERFACE)
		return fail_field(p, metric, "metric",
				  "target %s is %s target: the tracer measures pods and cgroups; "
				  "only fault.dropped applies to it",
				  quoted, kind == TARGET_NETNS ? "a netns" : "an interfaces");
	return 0;
}

/* A condition that must hold longer than the faults last could never fire. */
static int check_condition_for(struct parser *p, const struct plan_condition *c, yaml_node_t *value)
{
	char quoted[QUOTE_VALUE_LEN], duration[32];

	if (!value || c->for_ms <= p->plan->duration_ms)
		return 0;
	format_duration_ms(p->plan->duration_ms, duration, sizeof(duration));
	return fail_field(p, value, "for",
			  "%s is longer than spec.duration (%s): the condition could never hold "
			  "that long",
			  quote_value(scalar_text(value), quoted, sizeof(quoted)), duration);
}

static int link_condition(struct parser *p, struct plan_condition *c, yaml_node_t *node)
{
	int err;

	err = find_condition_target(p, c, value_of(p, node, "target"));
	err = err ?: check_metric_target(p, c, value_of(p, node, "metric"));
	return err ?: check_condition_for(p, c, value_of(p, node, "for"));
}

int link_experiment(struct parser *p, const struct seen_field *observe,
		    const struct seen_field *abort_when)
{
	struct plan *plan = p->plan;
	size_t i, saved;
	int err;

	if (observe->key)
		plan->observe_pos = pos_of(observe->key);
	if (abort_when->key)
		plan->abort_pos = pos_of(abort_when->key);
	err = check_observed_not_targeted(p);
	if (err || !abort_when->value)
		return err;
	saved = path_push_key(p, "abortWhen");
	for (i = 0; i < plan->nconditions && !err; i++) {
		size_t index_saved = path_push_index(p, i);

		err = link_condition(p, &plan->conditions[i], list_item(p, abort_when->value, i));
		path_pop(p, index_saved);
	}
	path_pop(p, saved);
	return err;
}
