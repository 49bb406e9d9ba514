// SPDX-License-Identifier: GPL-2.0-only
/*
 * The node policy file (docs/policy.md): protect.{namespaces,pods,cgroups,cidrs} and
 * limits.{maxDuration,maxTargets,maxLossPercent,maxDelay}, read with the plan's machinery: the
 * same file reader and libyaml document (load.c), the same walk of tables of fields with
 * positioned errors (walk.c) and the same value parsers (values.c). Every field is optional;
 * an unknown one is an error, with a hint when it is a typo of a known one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/error.h"
#include "plan/pod_id.h"
#include "plan/policy.h"
#include "plan/values.h"
#include "plan/walk.h"

/* ---- lists, which may be empty (pods: [] as the example policy has) ---------------------- */

/* Which string list a field fills: field->arg. */
enum policy_list {
	LIST_NAMESPACES,
	LIST_PODS,
	LIST_CGROUPS,
};

/* A pod as protect.pods names it: a UID, or NAMESPACE/NAME (no glob: an entry is one pod). */
static int check_pod_ref(const char *s, const char **why)
{
	if (check_pod_id(s, why))
		return -EINVAL;
	if (pod_glob(s)) {
		*why = "a protected pod is a uid or NAMESPACE/NAME, not a glob: protect a whole "
		       "namespace with protect.namespaces";
		return -EINVAL;
	}
	return 0;
}

/* A namespace: a DNS-1123 label, as kubernetes names them. */
static int check_namespace(const char *s, const char **why)
{
	if (dns1123_label(s, strlen(s)))
		return 0;
	*why = "not a namespace: a-z, 0-9 and '-', at most 63 characters, alphanumeric at both "
	       "ends";
	return -EINVAL;
}

/* An item's text checked as the list's items are; a cgroup path loses its outer slashes. */
static int check_list_item(enum policy_list list, const char *s, const char **why)
{
	switch (list) {
	case LIST_NAMESPACES:
		return check_namespace(s, why);
	case LIST_PODS:
		return check_pod_ref(s, why);
	case LIST_CGROUPS:
		return check_cgroup_path(s, why);
	}
	return 0;
}

/* protect.cgroups as the engine compares them: relative, no leading or trailing '/'. */
static char *cgroup_dup(const char *s)
{
	size_t len;

	s += strspn(s, "/");
	len = strlen(s);
	while (len && s[len - 1] == '/')
		len--;
	return strndup(s, len);
}

/* The number of items of a list field that may be empty or null; -1 (reported) if no list. */
static int list_len(struct parser *p, yaml_node_t *value, const char *what, size_t *n)
{
	*n = 0;
	if (is_null_node(value))
		return 0;
	if (value->type != YAML_SEQUENCE_NODE)
		return fail(p, value, "expected a list of %s, got %s", what, node_kind(value));
	*n = value->data.sequence.items.top - value->data.sequence.items.start;
	return 0;
}

/* protect.namespaces, .pods, .cgroups: strings into a char ** and its count (field->offset). */
static int parse_string_list(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	char ***array = (char ***)((char *)obj + field->offset);
	size_t *count = (size_t *)((char *)obj + field->list->count_offset);
	size_t n, i;
	int err;

	err = list_len(p, value, field->list->what, &n);
	if (err || !n)
		return err;
	*array = calloc(n, sizeof(**array));
	if (!*array)
		return fail_out_of_memory(p);
	for (i = 0; i < n; i++) {
		yaml_node_t *item = list_item(p, value, i);
		size_t saved = path_push_index(p, i);
		const char *s, *why;

		err = get_scalar(p, item, field->list->item_what, &s);
		if (!err && check_list_item(field->arg, s, &why))
			err = fail(p, item, "%s", why);
		if (!err) {
			(*array)[i] = field->arg == LIST_CGROUPS ? cgroup_dup(s) : strdup(s);
			err = (*array)[i] ? 0 : fail_out_of_memory(p);
		}
		path_pop(p, saved);
		if (err)
			return err;
		(*count)++;
	}
	return 0;
}

/* protect.cidrs: at most POLICY_MAX_CIDRS, what the kernel's check per packet is sized for. */
static int parse_cidr_list(struct parser *p, const struct field *field, yaml_node_t *value,
			   void *obj)
{
	size_t n;
	int err;

	err = list_len(p, value, field->list->what, &n);
	if (err || !n)
		return err;
	if (n > POLICY_MAX_CIDRS)
		return fail(p, value, "%zu cidrs: a policy protects at most %d", n,
			    POLICY_MAX_CIDRS);
	return parse_scalar_list(p, field, value, obj);
}

static const struct scalar_list namespaces_list = {
	.kind = SCALAR_TEXT,
	.what = "namespaces",
	.item_what = "a namespace such as kube-system",
	.count_offset = offsetof(struct policy, nnamespaces),
};

static const struct scalar_list pods_list = {
	.kind = SCALAR_TEXT,
	.what = "pods",
	.item_what = "a pod uid or NAMESPACE/NAME",
	.count_offset = offsetof(struct policy, npods),
};

static const struct scalar_list cgroups_list = {
	.kind = SCALAR_TEXT,
	.what = "cgroups",
	.item_what = "a cgroup path such as /system.slice/kubelet.service",
	.count_offset = offsetof(struct policy, ncgroups),
};

static const struct scalar_list cidrs_list = {
	.kind = SCALAR_CIDR,
	.elem_size = sizeof(struct plan_cidr),
	.count_offset = offsetof(struct policy, ncidrs),
	.max = POLICY_MAX_CIDRS,
	.what = "cidrs",
	.max_what = "cidrs",
	.item_what = "a cidr such as 169.254.169.254/32 or an address",
	.if_empty = "leave cidrs out to protect none",
};

#define STRING_LIST(name, member, spec, which)                                                     \
	{                                                                                          \
		.key = (name), .parse = parse_string_list,                                         \
		.offset = offsetof(struct policy, member), .list = &(spec), .arg = (which)         \
	}

static const struct field protect_fields[] = {
	STRING_LIST("namespaces", namespaces, namespaces_list, LIST_NAMESPACES),
	STRING_LIST("pods", pods, pods_list, LIST_PODS),
	STRING_LIST("cgroups", cgroups, cgroups_list, LIST_CGROUPS),
	{.key = "cidrs",
	 .parse = parse_cidr_list,
	 .offset = offsetof(struct policy, cidrs),
	 .list = &cidrs_list},
};

static const struct schema protect_schema =
	SCHEMA(protect_fields, "a mapping with namespaces, pods, cgroups and cidrs", true);

/* ---- limits ------------------------------------------------------------------------------- */

/* A limit of 0 would read as "no limit" (struct policy's 0): leaving the field out says that. */
static int check_not_zero(struct parser *p, const struct field *field, yaml_node_t *value,
			  const char *s, void *out)
{
	char quoted[QUOTE_VALUE_LEN];

	(void)field;
	if (*(uint64_t *)out)
		return 0;
	return fail(p, value, "%s is zero: a limit must be greater than 0 (leave it out for none)",
		    quote_value(s, quoted, sizeof(quoted)));
}

/* maxLossPercent may be 0 (no loss at all); has_max_loss tells it from an absent one. */
static int check_loss_limit(struct parser *p, const struct field *field, yaml_node_t *value,
			    const char *s, void *out)
{
	struct policy *policy =
		(struct policy *)((char *)out - offsetof(struct policy, max_loss_percent));

	(void)p;
	(void)field;
	(void)value;
	(void)s;
	policy->has_max_loss = true;
	return 0;
}

/* maxTargets: a whole number of pods, 1 or more; values.c has no count, being a plan's. */
static int parse_count(struct parser *p, const struct field *field, yaml_node_t *value, void *obj)
{
	uint64_t *out = (uint64_t *)((char *)obj + field->offset);
	char quoted[QUOTE_VALUE_LEN];
	const char *s;
	char *end;
	int err;

	err = get_scalar(p, value, field->what, &s);
	if (err)
		return err;
	quote_value(s, quoted, sizeof(quoted));
	if (s[0] < '0' || s[0] > '9')
		return fail(p, value, "%s is not a whole number: expected %s", quoted, field->what);
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*end || errno)
		return fail(p, value, "%s is not a whole number: expected %s", quoted, field->what);
	if (!*out)
		return fail(p, value,
			    "%s is zero: a limit must be greater than 0 (leave it out for none)",
			    quoted);
	return 0;
}

static const struct field limits_fields[] = {
	SCALAR_FIELD("maxDuration", SCALAR_DURATION_MS, struct policy, max_duration_ms,
		     "a duration such as 30m", .check = check_not_zero),
	{.key = "maxTargets",
	 .parse = parse_count,
	 .offset = offsetof(struct policy, max_targets),
	 .what = "a number of pods such as 20"},
	SCALAR_FIELD("maxLossPercent", SCALAR_PERCENT_OR_ZERO, struct policy, max_loss_percent,
		     "a percentage such as 100", .check = check_loss_limit),
	SCALAR_FIELD("maxDelay", SCALAR_LATENCY_NS, struct policy, max_delay_ns,
		     "a delay such as 5s", .check = check_not_zero),
};

static const struct schema limits_schema = SCHEMA(
	limits_fields, "a mapping with maxDuration, maxTargets, maxLossPercent and maxDelay", true);

static const struct field policy_fields[] = {
	MAPPING_FIELD("protect", parse_mapping, protect_schema),
	MAPPING_FIELD("limits", parse_mapping, limits_schema),
};

static const struct schema policy_schema =
	SCHEMA(policy_fields, "a policy mapping with protect and limits", true);

/* ---- the file ----------------------------------------------------------------------------- */

int policy_parse_string(const char *file, const char *text, size_t len, struct policy *policy,
			struct flt_error *err)
{
	struct parser p = {.file = file, .err = err};
	struct seen_field seen[MAX_FIELDS];
	yaml_document_t doc;
	yaml_node_t *root;
	int ret;

	memset(policy, 0, sizeof(*policy));
	flt_error_clear(err);
	ret = load_yaml_document(&p, text, len, "policy", &doc);
	if (ret)
		return ret;
	p.doc = &doc;
	policy->file = strdup(file);
	root = yaml_document_get_root_node(&doc);
	if (!policy->file)
		ret = fail_out_of_memory(&p);
	else if (root) /* an empty file is a policy of no rules */
		ret = walk_fields(&p, root, &policy_schema, policy, seen);
	yaml_document_delete(&doc);
	if (ret)
		policy_free(policy);
	return ret;
}

int policy_parse_file(const char *path, struct policy *policy, struct flt_error *err)
{
	char *text;
	size_t len;
	int ret;

	memset(policy, 0, sizeof(*policy));
	flt_error_clear(err);
	ret = read_whole_file(path, "policy", &text, &len, err);
	if (ret)
		return ret;
	ret = policy_parse_string(strcmp(path, "-") ? path : "<stdin>", text, len, policy, err);
	free(text);
	return ret;
}

static void free_strings(char **strings, size_t n)
{
	size_t i;

	for (i = 0; strings && i < n; i++)
		free(strings[i]);
	free(strings);
}

void policy_free(struct policy *policy)
{
	if (!policy)
		return;
	free(policy->file);
	free_strings(policy->namespaces, policy->nnamespaces);
	free_strings(policy->pods, policy->npods);
	free_strings(policy->cgroups, policy->ncgroups);
	free(policy->cidrs);
	memset(policy, 0, sizeof(*policy));
}
