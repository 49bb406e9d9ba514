// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parsing and validating a fault plan. libyaml's document API builds the node tree (JSON
 * reads as YAML flow style); this file walks it once in document order against the schema in
 * docs/plan.md, then checks what links faults to targets. The first problem found stops the
 * walk and becomes the one message: FILE:LINE:COL: FIELD: what is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "fault.h"
#include "plan/plan.h"
#include "plan/values.h"

#define PLAN_API_VERSION "faultline/v1"
#define PLAN_KIND "FaultPlan"
#define PLAN_FILE_MAX_BYTES (1 << 20) /* far above any real plan; bounds what we read */
#define PATH_BUF_LEN 512

/* What a fault names or needs checked against its target: kept until spec is read. */
struct fault_refs {
	const char *target_name; /* in the yaml document */
	yaml_node_t *target_node;
	yaml_node_t *direction_node; /* NULL: the default */
	yaml_node_t *reject_node;
	/* the first effect that needs network interfaces (delay, rate, netem), for messages */
	yaml_node_t *shaping_node;
	const char *shaping_key;  /* its field: "delay", "loss"... */
	const char *shaping_what; /* as messages name it: "loss model gilbert-elliott" */
};

struct parser {
	const char *file;
	yaml_document_t *doc;
	struct plan *plan;
	uint64_t max_duration_ms;
	char *err;
	size_t errlen;
	int error;		 /* the first error; nothing more is reported after it */
	char path[PATH_BUF_LEN]; /* the field being parsed, "" at the top */
	size_t path_len;
	struct fault_refs *refs; /* one per plan->faults element */
};

/* ---- messages ----------------------------------------------------------------------------- */

static int report(struct parser *p, yaml_mark_t mark, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int report(struct parser *p, yaml_mark_t mark, const char *field, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (p->error)
		return p->error;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* libyaml's marks are 0-based; editors and compilers count from 1. */
	snprintf(p->err, p->errlen, "%s:%zu:%zu: %s: %s", p->file, mark.line + 1, mark.column + 1,
		 field, msg);
	p->error = -EINVAL;
	return p->error;
}

/* An error about node, named by the current path. */
#define fail(p, node, ...)                                                                         \
	report(p, (node)->start_mark, (p)->path_len ? (p)->path : "(root)", __VA_ARGS__)

static int out_of_memory(struct parser *p)
{
	if (!p->error) {
		snprintf(p->err, p->errlen, "%s: out of memory parsing the plan", p->file);
		p->error = -ENOMEM;
	}
	return p->error;
}

static size_t path_push_key(struct parser *p, const char *key)
{
	size_t saved = p->path_len;
	int n;

	n = snprintf(p->path + saved, sizeof(p->path) - saved, "%s%s", saved ? "." : "", key);
	p->path_len = n < 0 ? saved : saved + (size_t)n;
	if (p->path_len >= sizeof(p->path))
		p->path_len = sizeof(p->path) - 1;
	return saved;
}

static size_t path_push_index(struct parser *p, size_t index)
{
	size_t saved = p->path_len;
	int n;

	n = snprintf(p->path + saved, sizeof(p->path) - saved, "[%zu]", index);
	p->path_len = n < 0 ? saved : saved + (size_t)n;
	if (p->path_len >= sizeof(p->path))
		p->path_len = sizeof(p->path) - 1;
	return saved;
}

static void path_pop(struct parser *p, size_t saved)
{
	p->path_len = saved;
	p->path[saved] = '\0';
}

/* Levenshtein distance, for "did you mean"; keys are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], i, j;

	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The candidate closest to word if close enough to be a typo, else NULL. */
static const char *closest(const char *word, const char *const *candidates, size_t n)
{
	size_t best_distance = 3, i; /* at most 2 edits */
	const char *best = NULL;

	for (i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);

		if (d < best_distance && d < strlen(candidates[i])) {
			best_distance = d;
			best = candidates[i];
		}
	}
	return best;
}

/* ---- nodes -------------------------------------------------------------------------------- */

static yaml_node_t *node_at(struct parser *p, int index)
{
	return yaml_document_get_node(p->doc, index);
}

static const char *scalar_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* YAML's null: an empty, ~ or null plain scalar (the JSON null too). */
static bool is_null(const yaml_node_t *node)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = scalar_text(node);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return is_null(node) ? "null" : "a string";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* The text of a scalar node that must hold a value; what names the expected value. */
static int get_scalar(struct parser *p, yaml_node_t *node, const char *what, const char **out)
{
	if (node->type != YAML_SCALAR_NODE)
		return fail(p, node, "expected %s, got %s", what, node_kind(node));
	if (is_null(node))
		return fail(p, node, "missing value: expected %s", what);
	/* "\0" is a valid escape in a double-quoted scalar; C strings would cut it short. */
	if (strlen(scalar_text(node)) != node->data.scalar.length)
		return fail(p, node, "contains a nul character");
	*out = scalar_text(node);
	return 0;
}

/* A non-empty list of what; if_empty says what to do instead of an empty list. */
static int expect_list(struct parser *p, yaml_node_t *node, const char *what, const char *if_empty,
		       size_t *len)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return fail(p, node, "expected a list of %s, got %s", what, node_kind(node));
	*len = node->data.sequence.items.top - node->data.sequence.items.start;
	if (!*len)
		return fail(p, node, "empty list: %s", if_empty);
	return 0;
}

static yaml_node_t *list_item(struct parser *p, yaml_node_t *list, size_t i)
{
	return node_at(p, list->data.sequence.items.start[i]);
}

/*
 * The key of pair i of map, a string unlike every earlier key of map. The same check for
 * fixed schemas and for spec.targets, whose keys are names.
 */
static int pair_key(struct parser *p, yaml_node_t *map, size_t i, yaml_node_t **key_node,
		    const char **key)
{
	yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
	yaml_node_t *node = node_at(p, pairs[i].key);
	size_t j;

	if (node->type != YAML_SCALAR_NODE || is_null(node))
		return fail(p, node, "expected a field name, got %s", node_kind(node));
	if (strlen(scalar_text(node)) != node->data.scalar.length)
		return fail(p, node, "a field name contains a nul character");
	for (j = 0; j < i; j++) {
		yaml_node_t *earlier = node_at(p, pairs[j].key);

		if (earlier->type == YAML_SCALAR_NODE &&
		    !strcmp(scalar_text(earlier), scalar_text(node))) {
			char quoted[QUOTE_VALUE_LEN];

			return fail(p, node, "duplicate key %s: first at line %zu",
				    quote_value(scalar_text(node), quoted, sizeof(quoted)),
				    earlier->start_mark.line + 1);
		}
	}
	*key_node = node;
	*key = scalar_text(node);
	return 0;
}

static size_t map_len(const yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return 0; /* a null standing for an empty mapping */
	return map->data.mapping.pairs.top - map->data.mapping.pairs.start;
}

/* ---- a fixed schema: fields of a mapping -------------------------------------------------- */

struct field;
typedef int (*field_parser)(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj);

struct field {
	const char *key;
	field_parser parse;
	bool required;
	int arg; /* for parsers shared by several fields */
};

struct seen_field {
	yaml_node_t *key;
	yaml_node_t *value;
};

#define MAX_FIELDS 16

/*
 * Walk map's pairs in order: each key must be one of fields, once; its value goes to that
 * field's parser with the path extended by the key. A null map (null_is_empty) is an empty
 * mapping: "blackhole:" means "blackhole: {}". seen (MAX_FIELDS) gets each field's nodes.
 */
static int walk_fields(struct parser *p, yaml_node_t *map, const struct field *fields,
		       size_t nfields, bool null_is_empty, const char *what, void *obj,
		       struct seen_field *seen)
{
	size_t i, f, n;
	int err;

	memset(seen, 0, sizeof(*seen) * MAX_FIELDS);
	if (map->type != YAML_MAPPING_NODE && !(null_is_empty && is_null(map)))
		return fail(p, map, "expected %s, got %s", what, node_kind(map));

	n = map_len(map);
	for (i = 0; i < n; i++) {
		yaml_node_t *key_node, *value;
		const char *key;
		size_t saved;

		err = pair_key(p, map, i, &key_node, &key);
		if (err)
			return err;
		for (f = 0; f < nfields; f++) {
			if (!strcmp(fields[f].key, key))
				break;
		}
		if (f == nfields) {
			const char *names[MAX_FIELDS], *hint;
			char quoted[QUOTE_VALUE_LEN];

			for (f = 0; f < nfields; f++)
				names[f] = fields[f].key;
			hint = closest(key, names, nfields);
			quote_value(key, quoted, sizeof(quoted));
			if (hint && !strcasecmp(hint, key))
				return fail(
					p, key_node,
					"unknown field %s: keys are case-sensitive, did you mean \"%s\"?",
					quoted, hint);
			if (hint)
				return fail(p, key_node, "unknown field %s: did you mean \"%s\"?",
					    quoted, hint);
			return fail(p, key_node, "unknown field %s", quoted);
		}
		value = node_at(p, map->data.mapping.pairs.start[i].value);
		seen[f].key = key_node;
		seen[f].value = value;
		saved = path_push_key(p, key);
		err = fields[f].parse(p, &fields[f], value, obj);
		path_pop(p, saved);
		if (err)
			return err;
	}
	for (f = 0; f < nfields; f++) {
		if (fields[f].required && !seen[f].value)
			return fail(p, map, "missing required field \"%s\"", fields[f].key);
	}
	return 0;
}

/* ---- metadata ----------------------------------------------------------------------------- */

static int parse_name(struct parser *p, yaml_node_t *value, char **name)
{
	const char *s, *why;
	int err;

	err = get_scalar(p, value, "a name of a-z, 0-9 and '-'", &s);
	if (err)
		return err;
	if (check_object_name(s, &why))
		return fail(p, value, "%s", why);
	*name = strdup(s);
	return *name ? 0 : out_of_memory(p);
}

static int parse_metadata_name(struct parser *p, const struct field *field, yaml_node_t *value,
			       void *obj)
{
	struct plan *plan = obj;

	(void)field;
	return parse_name(p, value, &plan->name);
}

static const struct field metadata_fields[] = {
	{"name", parse_metadata_name, true, 0},
};

static int parse_metadata(struct parser *p, const struct field *field, yaml_node_t *value,
			  void *obj)
{
	struct seen_field seen[MAX_FIELDS];

	(void)field;
	return walk_fields(p, value, metadata_fields, 1, false, "a mapping with a name", obj, seen);
}

/* ---- spec.duration ------------------------------------------------------------------------ */

static int parse_spec_duration(struct parser *p, const struct field *field, yaml_node_t *value,
			       void *obj)
{
	char quoted[QUOTE_VALUE_LEN], limit[32];
	struct plan *plan = obj;
	const char *s, *why;
	uint64_t ms;
	int err;

	(void)field;
	err = get_scalar(p, value, "a duration such as 10m", &s);
	if (err)
		return err;
	if (parse_duration_ms(s, &ms, &why))
		return fail(p, value, "%s", why);
	if (!ms)
		return fail(p, value, "%s is zero: the duration must be greater than 0",
			    quote_value(s, quoted, sizeof(quoted)));
	if (ms > p->max_duration_ms) {
		format_duration_ms(p->max_duration_ms, limit, sizeof(limit));
		return fail(p, value, "%s is over the limit of %s: --max-duration raises it",
			    quote_value(s, quoted, sizeof(quoted)), limit);
	}
	plan->duration_ms = ms;
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

static int check_target_id(enum target_kind kind, const char *s, const char **why)
{
	switch (kind) {
	case TARGET_POD:
		return check_pod_uid(s, why);
	case TARGET_CGROUP:
		return check_cgroup_path(s, why);
	case TARGET_NETNS:
		return check_netns_path(s, why);
	case TARGET_INTERFACE:
		return check_ifname(s, why);
	}
	return -EINVAL;
}

static const char *const kind_what[] = {
	[TARGET_POD] = "pod uids",
	[TARGET_CGROUP] = "cgroup paths",
	[TARGET_NETNS] = "netns paths",
	[TARGET_INTERFACE] = "interface names",
};

static const char *const kind_if_empty[] = {
	[TARGET_POD] = "give at least one pod uid",
	[TARGET_CGROUP] = "give at least one cgroup path",
	[TARGET_NETNS] = "give at least one netns path",
	[TARGET_INTERFACE] = "give at least one interface name",
};

/* spec.targets.NAME.{pods,cgroups,netns,interfaces}: field->arg is the target_kind. */
static int parse_target_ids(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj)
{
	enum target_kind kind = field->arg;
	struct plan_target *target = obj;
	struct plan_target_id *ids;
	size_t n, i, t, j;
	int err;

	err = expect_list(p, value, kind_what[kind], kind_if_empty[kind], &n);
	if (err)
		return err;
	ids = realloc(target->ids, (target->nids + n) * sizeof(*ids));
	if (!ids)
		return out_of_memory(p);
	target->ids = ids;

	for (i = 0; i < n; i++) {
		yaml_node_t *item = list_item(p, value, i);
		size_t saved = path_push_index(p, i);
		char quoted[QUOTE_VALUE_LEN];
		struct plan_target_id *id;
		const char *s, *why;

		err = get_scalar(p, item, kind_what[kind], &s);
		if (!err && check_target_id(kind, s, &why))
			err = fail(p, item, "%s", why);
		/* One pod in two targets would get two rule sets and one attachment. */
		for (t = 0; !err && t < p->plan->ntargets + 1; t++) {
			const struct plan_target *other = &p->plan->targets[t];

			for (j = 0; !err && j < other->nids; j++) {
				if (same_id(&other->ids[j], s, kind))
					err = fail(p, item, "%s %s is already listed at line %u",
						   target_kind_name(kind),
						   quote_value(s, quoted, sizeof(quoted)),
						   other->ids[j].pos.line);
			}
		}
		path_pop(p, saved);
		if (err)
			return err;
		id = &target->ids[target->nids];
		id->id = strdup(s);
		if (!id->id)
			return out_of_memory(p);
		id->kind = kind;
		id->pos.line = item->start_mark.line + 1;
		id->pos.col = item->start_mark.column + 1;
		target->nids++;
	}
	return 0;
}

static const struct field target_fields[] = {
	{"pods", parse_target_ids, false, TARGET_POD},
	{"cgroups", parse_target_ids, false, TARGET_CGROUP},
	{"netns", parse_target_ids, false, TARGET_NETNS},
	{"interfaces", parse_target_ids, false, TARGET_INTERFACE},
};

#define NUM_TARGET_FIELDS (sizeof(target_fields) / sizeof(target_fields[0]))

static int parse_target(struct parser *p, yaml_node_t *value, struct plan_target *target)
{
	struct seen_field seen[MAX_FIELDS];
	yaml_node_t *first_kind_key = NULL;
	size_t f;
	int err;

	err = walk_fields(p, value, target_fields, NUM_TARGET_FIELDS, false,
			  "a mapping with one of pods, cgroups, netns or interfaces", target, seen);
	if (err)
		return err;
	for (f = 0; f < NUM_TARGET_FIELDS; f++) {
		yaml_node_t *key = seen[f].key;

		if (!key)
			continue;
		if (first_kind_key) {
			/* name them in document order */
			bool first_before =
				first_kind_key->start_mark.index < key->start_mark.index;
			const char *a = scalar_text(first_before ? first_kind_key : key);
			const char *b = scalar_text(first_before ? key : first_kind_key);

			return fail(
				p, first_before ? key : first_kind_key,
				"has both %s and %s: a target is exactly one of pods, cgroups, netns or interfaces",
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
		return out_of_memory(p);

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
			return out_of_memory(p);
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

/* ---- spec.faults -------------------------------------------------------------------------- */

/* The refs of the fault being parsed: the last element of plan->faults. */
static struct fault_refs *current_refs(struct parser *p)
{
	return &p->refs[p->plan->nfaults - 1];
}

static int parse_fault_name(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj)
{
	struct plan_fault *fault = obj;
	char quoted[QUOTE_VALUE_LEN];
	size_t i;
	int err;

	(void)field;
	err = parse_name(p, value, &fault->name);
	if (err)
		return err;
	for (i = 0; i + 1 < p->plan->nfaults; i++) {
		const struct plan_fault *other = &p->plan->faults[i];

		if (!strcmp(other->name, fault->name))
			return fail(p, value, "fault name %s is already used by spec.faults[%zu]",
				    quote_value(fault->name, quoted, sizeof(quoted)), i);
	}
	return 0;
}

static int parse_fault_target(struct parser *p, const struct field *field, yaml_node_t *value,
			      void *obj)
{
	struct fault_refs *refs = current_refs(p);
	const char *s;
	int err;

	(void)field;
	(void)obj;
	err = get_scalar(p, value, "a target name", &s);
	if (err)
		return err;
	refs->target_name = s; /* resolved once all targets are known */
	refs->target_node = value;
	return 0;
}

static int parse_fault_direction(struct parser *p, const struct field *field, yaml_node_t *value,
				 void *obj)
{
	struct plan_fault *fault = obj;
	const char *s, *why;
	int err;

	(void)field;
	err = get_scalar(p, value, "egress, ingress or both", &s);
	if (err)
		return err;
	if (parse_direction(s, &fault->direction, &why))
		return fail(p, value, "%s", why);
	current_refs(p)->direction_node = value;
	return 0;
}

static int parse_match_cidrs(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	struct plan_fault *fault = obj;
	size_t n, i;
	int err;

	(void)field;
	err = expect_list(p, value, "cidrs",
			  "give at least one cidr, or leave cidrs out to match every address", &n);
	if (err)
		return err;
	if (n > FLT_MAX_CIDRS)
		return fail(p, value, "%zu cidrs: at most %d per fault", n, FLT_MAX_CIDRS);
	fault->cidrs = calloc(n, sizeof(*fault->cidrs));
	if (!fault->cidrs)
		return out_of_memory(p);
	for (i = 0; i < n; i++) {
		yaml_node_t *item = list_item(p, value, i);
		size_t saved = path_push_index(p, i);
		const char *s, *why;

		err = get_scalar(p, item, "a cidr such as 10.0.0.0/8 or an address", &s);
		if (!err && parse_cidr(s, &fault->cidrs[i], &why))
			err = fail(p, item, "%s", why);
		path_pop(p, saved);
		if (err)
			return err;
		fault->ncidrs++;
	}
	return 0;
}

static int parse_match_protocol(struct parser *p, const struct field *field, yaml_node_t *value,
				void *obj)
{
	struct plan_fault *fault = obj;
	const char *s, *why;
	int err;

	(void)field;
	err = get_scalar(p, value, "tcp, udp, icmp or any", &s);
	if (err)
		return err;
	if (parse_protocol(s, &fault->protocol, &why))
		return fail(p, value, "%s", why);
	return 0;
}

/* match.ports and match.localPorts: field->arg is 1 for localPorts. */
static int parse_match_ports(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	struct plan_fault *fault = obj;
	struct plan_port_range **ranges = field->arg ? &fault->local_ports : &fault->ports;
	size_t *nranges = field->arg ? &fault->nlocal_ports : &fault->nports;
	size_t n, i;
	int err;

	err = expect_list(
		p, value, "ports",
		field->arg ? "give at least one port, or leave localPorts out to match every port"
			   : "give at least one port, or leave ports out to match every port",
		&n);
	if (err)
		return err;
	if (n > FLT_MAX_PORTS)
		return fail(p, value, "%zu port ranges: at most %d per fault", n, FLT_MAX_PORTS);
	*ranges = calloc(n, sizeof(**ranges));
	if (!*ranges)
		return out_of_memory(p);
	for (i = 0; i < n; i++) {
		yaml_node_t *item = list_item(p, value, i);
		size_t saved = path_push_index(p, i);
		const char *s, *why;

		err = get_scalar(p, item, "a port or a range such as 8000-8100", &s);
		if (!err && parse_port_range(s, &(*ranges)[i], &why))
			err = fail(p, item, "%s", why);
		path_pop(p, saved);
		if (err)
			return err;
		(*nranges)++;
	}
	return 0;
}

enum { MATCH_CIDRS, MATCH_PROTOCOL, MATCH_PORTS, MATCH_LOCAL_PORTS };

static const struct field match_fields[] = {
	[MATCH_CIDRS] = {"cidrs", parse_match_cidrs, false, 0},
	[MATCH_PROTOCOL] = {"protocol", parse_match_protocol, false, 0},
	[MATCH_PORTS] = {"ports", parse_match_ports, false, 0},
	[MATCH_LOCAL_PORTS] = {"localPorts", parse_match_ports, false, 1},
};

static int parse_fault_match(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	struct plan_fault *fault = obj;
	int ports_field, err;
	size_t saved;

	(void)field;
	err = walk_fields(p, value, match_fields, 4, true,
			  "a mapping of cidrs, protocol, ports and localPorts", obj, seen);
	if (err || fault->protocol != FLT_PROTO_ICMP)
		return err;
	for (ports_field = MATCH_PORTS; ports_field <= MATCH_LOCAL_PORTS; ports_field++) {
		if (!seen[ports_field].value)
			continue;
		saved = path_push_key(p, match_fields[ports_field].key);
		err = fail(p, seen[ports_field].value,
			   "protocol icmp has no ports: remove %s or use protocol tcp, udp or any",
			   match_fields[ports_field].key);
		path_pop(p, saved);
		return err;
	}
	return 0;
}

static int parse_fault_blackhole(struct parser *p, const struct field *field, yaml_node_t *value,
				 void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	struct plan_fault *fault = obj;
	int err;

	(void)field;
	err = walk_fields(p, value, NULL, 0, true, "an empty mapping {}", obj, seen);
	fault->actions |= FLT_ACT_BLACKHOLE;
	return err;
}

static int parse_reject_errno(struct parser *p, const struct field *field, yaml_node_t *value,
			      void *obj)
{
	struct plan_fault *fault = obj;
	const char *s, *why;
	int err;

	(void)field;
	err = get_scalar(p, value, "an errno name such as ECONNREFUSED", &s);
	if (err)
		return err;
	if (parse_errno_name(s, &fault->reject_errno, &why))
		return fail(p, value, "%s", why);
	return 0;
}

static const struct field reject_fields[] = {
	{"errno", parse_reject_errno, false, 0},
};

static int parse_fault_reject(struct parser *p, const struct field *field, yaml_node_t *value,
			      void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	struct plan_fault *fault = obj;

	(void)field;
	fault->reject_errno = ECONNREFUSED;
	fault->actions |= FLT_ACT_REJECT;
	current_refs(p)->reject_node = value;
	return walk_fields(p, value, reject_fields, 1, true, "a mapping with an optional errno",
			   obj, seen);
}

/* A percentage of the fault at field->arg's offset: more than 0, at most 100. */
static int parse_fault_percent(struct parser *p, const struct field *field, yaml_node_t *value,
			       void *obj)
{
	double *percent = (double *)((char *)obj + field->arg);
	const char *s, *why;
	int err;

	err = get_scalar(p, value, "a percentage such as 5 or 0.5", &s);
	if (err)
		return err;
	if (parse_percent(s, percent, &why))
		return fail(p, value, "%s", why);
	return 0;
}

/* A correlation or a probability that may be 0, at field->arg's offset: 0 to 100. */
static int parse_fault_percent_or_zero(struct parser *p, const struct field *field,
				       yaml_node_t *value, void *obj)
{
	double *percent = (double *)((char *)obj + field->arg);
	const char *s, *why;
	int err;

	err = get_scalar(p, value, "a percentage such as 25 or 25%", &s);
	if (err)
		return err;
	if (parse_percent_or_zero(s, percent, &why))
		return fail(p, value, "%s", why);
	return 0;
}

/* field->arg of a field parsed into a member of struct plan_fault */
#define FAULT_OFFSET(member) ((int)offsetof(struct plan_fault, member))

/* The index into fields of the one the document has first (by seen[]); n if it has none. */
static size_t first_seen(const struct seen_field *seen, const int *fields, size_t n)
{
	size_t i, first = n;

	for (i = 0; i < n; i++) {
		const yaml_node_t *key = seen[fields[i]].key;

		if (key && (first == n ||
			    key->start_mark.index < seen[fields[first]].key->start_mark.index))
			first = i;
	}
	return first;
}

/* An error about node, the value (or key) of field key of the mapping being walked. */
static int fail_field(struct parser *p, yaml_node_t *node, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_field(struct parser *p, yaml_node_t *node, const char *key, const char *fmt, ...)
{
	char msg[1024];
	size_t saved;
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	saved = path_push_key(p, key);
	err = fail(p, node, "%s", msg);
	path_pop(p, saved);
	return err;
}

static int parse_loss_model(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj)
{
	char quoted[QUOTE_VALUE_LEN];
	const char *s;
	int err;

	(void)field;
	(void)obj;
	err = get_scalar(p, value, "random or gilbert-elliott", &s);
	if (err)
		return err;
	if (strcmp(s, "random") && strcmp(s, "gilbert-elliott"))
		return fail(p, value, "unknown loss model %s: use random or gilbert-elliott",
			    quote_value(s, quoted, sizeof(quoted)));
	return 0;
}

enum { LOSS_PERCENT, LOSS_MODEL, LOSS_P, LOSS_R, LOSS_H, LOSS_K };

static const struct field loss_fields[] = {
	[LOSS_PERCENT] = {"percent", parse_fault_percent, false, FAULT_OFFSET(loss_percent)},
	[LOSS_MODEL] = {"model", parse_loss_model, false, 0},
	/* Gilbert-Elliott: p and r move between the states, never 0; h and k may be 0 */
	[LOSS_P] = {"p", parse_fault_percent, false, FAULT_OFFSET(ge_p)},
	[LOSS_R] = {"r", parse_fault_percent, false, FAULT_OFFSET(ge_r)},
	[LOSS_H] = {"h", parse_fault_percent_or_zero, false, FAULT_OFFSET(ge_h)},
	[LOSS_K] = {"k", parse_fault_percent_or_zero, false, FAULT_OFFSET(ge_k)},
};

#define NUM_LOSS_FIELDS (sizeof(loss_fields) / sizeof(loss_fields[0]))

static int parse_fault_loss(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj)
{
	static const int ge_fields[] = {LOSS_P, LOSS_R, LOSS_H, LOSS_K};
	struct seen_field seen[MAX_FIELDS];
	struct plan_fault *fault = obj;
	size_t i;
	int err;

	(void)field;
	err = walk_fields(p, value, loss_fields, NUM_LOSS_FIELDS, true,
			  "a mapping with a percent, or a model and its parameters", obj, seen);
	if (err)
		return err;
	if (!seen[LOSS_MODEL].value || !strcmp(scalar_text(seen[LOSS_MODEL].value), "random")) {
		i = first_seen(seen, ge_fields, 4);
		if (i < 4)
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
static int parse_delay_time(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj)
{
	bool is_jitter = field->arg;
	uint64_t limit_ns = is_jitter ? JITTER_MAX_NS : DELAY_MAX_NS, ns;
	struct plan_fault *fault = obj;
	char quoted[QUOTE_VALUE_LEN];
	const char *s, *why;
	int err;

	err = get_scalar(p, value, is_jitter ? "a time such as 10ms" : "a time such as 100ms", &s);
	if (err)
		return err;
	if (parse_latency_ns(s, &ns, &why))
		return fail(p, value, "%s", why);
	quote_value(s, quoted, sizeof(quoted));
	if (!ns && !is_jitter)
		return fail(p, value, "%s is zero: a delay must be greater than 0", quoted);
	if (ns > limit_ns && is_jitter)
		return fail(p, value,
			    "%s is over the limit of 2s: netem cannot jitter by more than 2.147s",
			    quoted);
	if (ns > limit_ns)
		return fail(p, value, "%s is over the limit of 60s", quoted);
	if (is_jitter)
		fault->jitter_ns = ns;
	else
		fault->delay_ns = ns;
	return 0;
}

static int parse_delay_distribution(struct parser *p, const struct field *field, yaml_node_t *value,
				    void *obj)
{
	struct plan_fault *fault = obj;
	const char *s, *why;
	int err;

	(void)field;
	err = get_scalar(p, value, "uniform, normal, pareto or paretonormal", &s);
	if (err)
		return err;
	if (parse_distribution(s, &fault->distribution, &why))
		return fail(p, value, "%s", why);
	return 0;
}

enum { DELAY_TIME, DELAY_JITTER, DELAY_DISTRIBUTION, DELAY_CORRELATION };

static const struct field delay_fields[] = {
	[DELAY_TIME] = {"time", parse_delay_time, true, 0},
	[DELAY_JITTER] = {"jitter", parse_delay_time, false, 1},
	[DELAY_DISTRIBUTION] = {"distribution", parse_delay_distribution, false, 0},
	[DELAY_CORRELATION] = {"correlation", parse_fault_percent_or_zero, false,
			       FAULT_OFFSET(delay_correlation)},
};

static int parse_fault_delay(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	static const int jitter_only[] = {DELAY_DISTRIBUTION, DELAY_CORRELATION};
	struct seen_field seen[MAX_FIELDS], idle[MAX_FIELDS];
	struct plan_fault *fault = obj;
	int err;

	(void)field;
	err = walk_fields(p, value, delay_fields, 4, true,
			  "a mapping such as {time: 100ms, jitter: 10ms}", obj, seen);
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
	switch (first_seen(idle, jitter_only, 2)) {
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

static int parse_rate_bandwidth(struct parser *p, const struct field *field, yaml_node_t *value,
				void *obj)
{
	struct plan_fault *fault = obj;
	const char *s, *why;
	int err;

	(void)field;
	err = get_scalar(p, value, "a bandwidth such as 10mbit", &s);
	if (err)
		return err;
	if (parse_bandwidth(s, &fault->rate_bytes_per_sec, &why))
		return fail(p, value, "%s", why);
	return 0;
}

static const struct field rate_fields[] = {
	{"bandwidth", parse_rate_bandwidth, true, 0},
};

static int parse_fault_rate(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	struct plan_fault *fault = obj;

	(void)field;
	fault->actions |= FLT_ACT_RATE;
	return walk_fields(p, value, rate_fields, 1, true, "a mapping such as {bandwidth: 10mbit}",
			   obj, seen);
}

static const struct field duplicate_fields[] = {
	{"percent", parse_fault_percent, true, FAULT_OFFSET(duplicate_percent)},
};

static const struct field corrupt_fields[] = {
	{"percent", parse_fault_percent, true, FAULT_OFFSET(corrupt_percent)},
};

static const struct field reorder_fields[] = {
	{"percent", parse_fault_percent, true, FAULT_OFFSET(reorder_percent)},
	{"correlation", parse_fault_percent_or_zero, false, FAULT_OFFSET(reorder_correlation)},
};

/* duplicate, corrupt and reorder: field->arg is the PLAN_NETEM_* bit. */
static int parse_fault_netem_effect(struct parser *p, const struct field *field, yaml_node_t *value,
				    void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	struct plan_fault *fault = obj;

	fault->netem_effects |= field->arg;
	switch (field->arg) {
	case PLAN_NETEM_DUPLICATE:
		return walk_fields(p, value, duplicate_fields, 1, true, "a mapping with a percent",
				   obj, seen);
	case PLAN_NETEM_CORRUPT:
		return walk_fields(p, value, corrupt_fields, 1, true, "a mapping with a percent",
				   obj, seen);
	default:
		return walk_fields(p, value, reorder_fields, 2, true,
				   "a mapping with a percent and an optional correlation", obj,
				   seen);
	}
}

static int parse_fault_backend(struct parser *p, const struct field *field, yaml_node_t *value,
			       void *obj)
{
	struct plan_fault *fault = obj;
	const char *s, *why;
	int err;

	(void)field;
	err = get_scalar(p, value, "auto, edt or netem", &s);
	if (err)
		return err;
	if (parse_backend(s, &fault->backend, &why))
		return fail(p, value, "%s", why);
	return 0;
}

/* ---- a fault ------------------------------------------------------------------------------ */

enum {
	FAULT_NAME,
	FAULT_TARGET,
	FAULT_DIRECTION,
	FAULT_MATCH,
	FAULT_BLACKHOLE,
	FAULT_REJECT,
	FAULT_LOSS,
	FAULT_BACKEND,
	FAULT_DELAY,
	FAULT_RATE,
	FAULT_DUPLICATE,
	FAULT_CORRUPT,
	FAULT_REORDER,
};

static const struct field fault_fields[] = {
	[FAULT_NAME] = {"name", parse_fault_name, true, 0},
	[FAULT_TARGET] = {"target", parse_fault_target, true, 0},
	[FAULT_DIRECTION] = {"direction", parse_fault_direction, false, 0},
	[FAULT_MATCH] = {"match", parse_fault_match, false, 0},
	[FAULT_BLACKHOLE] = {"blackhole", parse_fault_blackhole, false, 0},
	[FAULT_REJECT] = {"reject", parse_fault_reject, false, 0},
	[FAULT_LOSS] = {"loss", parse_fault_loss, false, 0},
	[FAULT_BACKEND] = {"backend", parse_fault_backend, false, 0},
	[FAULT_DELAY] = {"delay", parse_fault_delay, false, 0},
	[FAULT_RATE] = {"rate", parse_fault_rate, false, 0},
	[FAULT_DUPLICATE] = {"duplicate", parse_fault_netem_effect, false, PLAN_NETEM_DUPLICATE},
	[FAULT_CORRUPT] = {"corrupt", parse_fault_netem_effect, false, PLAN_NETEM_CORRUPT},
	[FAULT_REORDER] = {"reorder", parse_fault_netem_effect, false, PLAN_NETEM_REORDER},
};

#define NUM_FAULT_FIELDS (sizeof(fault_fields) / sizeof(fault_fields[0]))

/* How messages name the effect of a fault field. */
static const char *effect_name(int field)
{
	return field == FAULT_LOSS ? "loss model gilbert-elliott" : fault_fields[field].key;
}

/*
 * What only some backends and targets can do: netem's effects need backend netem, a backend
 * needs something to do, and what waits in a queue needs a device (checked once the target is
 * known, from refs).
 */
static int check_fault_shaping(struct parser *p, struct plan_fault *fault,
			       const struct seen_field *seen)
{
	/* what edt cannot do, and what makes packets wait; effects[] has a loss only if GE */
	static const int netem_only[] = {FAULT_DUPLICATE, FAULT_CORRUPT, FAULT_REORDER, FAULT_LOSS};
	static const int waiting[] = {FAULT_DELAY,   FAULT_RATE,    FAULT_DUPLICATE,
				      FAULT_CORRUPT, FAULT_REORDER, FAULT_LOSS};
	struct fault_refs *refs = current_refs(p);
	struct seen_field effects[MAX_FIELDS];
	size_t i, n = sizeof(waiting) / sizeof(waiting[0]);

	memcpy(effects, seen, sizeof(effects));
	if (!(fault->netem_effects & PLAN_NETEM_LOSS_GE))
		effects[FAULT_LOSS].key = effects[FAULT_LOSS].value = NULL;

	if ((fault->netem_effects & PLAN_NETEM_REORDER) && !(fault->actions & FLT_ACT_DELAY))
		return fail_field(p, seen[FAULT_REORDER].value, "reorder",
				  "reorder needs a delay on the same fault: netem reorders by "
				  "sending some packets at once, ahead of the delayed ones");

	if (fault->backend == PLAN_BACKEND_EDT) {
		i = first_seen(effects, netem_only, 4);
		if (i < 4)
			return fail_field(p, seen[FAULT_BACKEND].value, "backend",
					  "%s needs backend netem: edt can only delay and pace "
					  "packets",
					  effect_name(netem_only[i]));
		if (!(fault->actions & (FLT_ACT_DELAY | FLT_ACT_RATE)))
			return fail_field(p, seen[FAULT_BACKEND].value, "backend",
					  "backend edt has nothing to do here: it serves delay "
					  "and rate");
	}
	if (fault->backend == PLAN_BACKEND_NETEM &&
	    !(fault->actions & (FLT_ACT_DELAY | FLT_ACT_RATE | FLT_ACT_LOSS)) &&
	    !fault->netem_effects)
		return fail_field(p, seen[FAULT_BACKEND].value, "backend",
				  "backend netem has nothing to do here: it serves delay, rate, "
				  "loss, duplicate, corrupt and reorder");

	i = first_seen(effects, waiting, n);
	if (i < n) {
		refs->shaping_node = seen[waiting[i]].value;
		refs->shaping_key = fault_fields[waiting[i]].key;
		refs->shaping_what = effect_name(waiting[i]);
	} else if (fault->backend == PLAN_BACKEND_NETEM) {
		/* a plain loss that netem draws instead of eBPF */
		refs->shaping_node = seen[FAULT_BACKEND].value;
		refs->shaping_key = "backend";
		refs->shaping_what = "backend netem";
	}
	return 0;
}

static int parse_fault(struct parser *p, yaml_node_t *value, struct plan_fault *fault)
{
	struct seen_field seen[MAX_FIELDS];
	size_t saved;
	int err;

	fault->pos.line = value->start_mark.line + 1;
	fault->pos.col = value->start_mark.column + 1;
	fault->direction = FLT_DIR_EGRESS;
	fault->protocol = FLT_PROTO_ANY;
	fault->backend = PLAN_BACKEND_AUTO;
	fault->distribution = FLT_DIST_UNIFORM;
	err = walk_fields(p, value, fault_fields, NUM_FAULT_FIELDS, false, "a fault mapping", fault,
			  seen);
	if (err)
		return err;
	if (!fault->actions && !fault->netem_effects)
		return fail(p, value,
			    "no action: give at least one of blackhole, reject, loss, delay, rate, "
			    "duplicate, corrupt or reorder");
	/* cgroup/connect4|6 and sendmsg4|6 see only the target's own outgoing connects. */
	if ((fault->actions & FLT_ACT_REJECT) && fault->direction != FLT_DIR_EGRESS) {
		saved = path_push_key(p, "direction");
		err = fail(
			p, seen[FAULT_DIRECTION].value,
			"reject needs direction egress: it fails the target's own outgoing connects");
		path_pop(p, saved);
		return err;
	}
	return check_fault_shaping(p, fault, seen);
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
		return out_of_memory(p);
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

/* ---- spec: what links faults to targets --------------------------------------------------- */

static int resolve_fault_target(struct parser *p, size_t i)
{
	struct plan *plan = p->plan;
	struct plan_fault *fault = &plan->faults[i];
	const struct fault_refs *refs = &p->refs[i];
	char quoted[QUOTE_VALUE_LEN];
	const struct plan_target *target;
	size_t t, same_target = 0, saved;
	int err = 0;

	saved = path_push_index(p, i);
	path_push_key(p, "target");
	for (t = 0; t < plan->ntargets; t++) {
		if (!strcmp(plan->targets[t].name, refs->target_name))
			break;
	}
	quote_value(refs->target_name, quoted, sizeof(quoted));
	if (t == plan->ntargets) {
		const char *names[64], *hint;
		size_t n = plan->ntargets < 64 ? plan->ntargets : 64, k;

		for (k = 0; k < n; k++)
			names[k] = plan->targets[k].name;
		hint = closest(refs->target_name, names, n);
		if (hint)
			err = fail(p, refs->target_node, "unknown target %s: did you mean \"%s\"?",
				   quoted, hint);
		else
			err = fail(p, refs->target_node,
				   "unknown target %s: spec.targets does not define it", quoted);
		goto out;
	}
	fault->target = t;
	target = &plan->targets[t];

	for (size_t k = 0; k <= i; k++)
		same_target += plan->faults[k].target == t;
	if (same_target > FLT_MAX_RULES) {
		err = fail(p, refs->target_node,
			   "target %s has more than %d faults: at most %d per target", quoted,
			   FLT_MAX_RULES, FLT_MAX_RULES);
		goto out;
	}
	if ((fault->actions & FLT_ACT_REJECT) && target->ids[0].kind != TARGET_POD &&
	    target->ids[0].kind != TARGET_CGROUP) {
		path_pop(p, saved);
		path_push_index(p, i);
		path_push_key(p, "reject");
		err = fail(
			p, refs->reject_node,
			"reject works through cgroup hooks: target %s is %s target, use a pods or cgroups target",
			quoted, target->ids[0].kind == TARGET_NETNS ? "a netns" : "an interfaces");
		goto out;
	}
	/* Packets wait in a qdisc on a device: a cgroup has none of its own. */
	if (refs->shaping_node && target->ids[0].kind == TARGET_CGROUP) {
		path_pop(p, saved);
		path_push_index(p, i);
		path_push_key(p, refs->shaping_key);
		err = fail(p, refs->shaping_node,
			   "%s needs a target with network interfaces: target %s is a cgroups "
			   "target, use a pods, netns or interfaces target",
			   refs->shaping_what, quoted);
	}
out:
	path_pop(p, saved);
	return err;
}

enum { SPEC_DURATION, SPEC_TARGETS, SPEC_FAULTS };

static const struct field spec_fields[] = {
	[SPEC_DURATION] = {"duration", parse_spec_duration, true, 0},
	[SPEC_TARGETS] = {"targets", parse_spec_targets, true, 0},
	[SPEC_FAULTS] = {"faults", parse_spec_faults, true, 0},
};

static int parse_spec(struct parser *p, const struct field *field, yaml_node_t *value, void *obj)
{
	struct seen_field seen[MAX_FIELDS];
	struct plan *plan = obj;
	size_t i;
	int err;

	(void)field;
	err = walk_fields(p, value, spec_fields, 3, false,
			  "a mapping with duration, targets and faults", obj, seen);
	if (err)
		return err;
	path_push_key(p, "faults"); /* the caller pops back to "spec" */
	for (i = 0; i < plan->nfaults; i++) {
		plan->faults[i].target = (size_t)-1;
	}
	for (i = 0; i < plan->nfaults; i++) {
		err = resolve_fault_target(p, i);
		if (err)
			return err;
	}
	return 0;
}

/* ---- the document ------------------------------------------------------------------------- */

static int parse_api_version(struct parser *p, const struct field *field, yaml_node_t *value,
			     void *obj)
{
	char quoted[QUOTE_VALUE_LEN];
	const char *s;
	int err;

	(void)field;
	(void)obj;
	err = get_scalar(p, value, PLAN_API_VERSION, &s);
	if (err)
		return err;
	if (strcmp(s, PLAN_API_VERSION))
		return fail(p, value, "%s is not supported: use " PLAN_API_VERSION,
			    quote_value(s, quoted, sizeof(quoted)));
	return 0;
}

static int parse_kind(struct parser *p, const struct field *field, yaml_node_t *value, void *obj)
{
	char quoted[QUOTE_VALUE_LEN];
	const char *s;
	int err;

	(void)field;
	(void)obj;
	err = get_scalar(p, value, PLAN_KIND, &s);
	if (err)
		return err;
	if (strcmp(s, PLAN_KIND))
		return fail(p, value, "%s is not a fault plan: use " PLAN_KIND,
			    quote_value(s, quoted, sizeof(quoted)));
	return 0;
}

enum { ROOT_API_VERSION, ROOT_KIND, ROOT_METADATA, ROOT_SPEC };

static const struct field root_fields[] = {
	[ROOT_API_VERSION] = {"apiVersion", parse_api_version, true, 0},
	[ROOT_KIND] = {"kind", parse_kind, true, 0},
	[ROOT_METADATA] = {"metadata", parse_metadata, true, 0},
	[ROOT_SPEC] = {"spec", parse_spec, true, 0},
};

static int parse_root(struct parser *p, yaml_node_t *root)
{
	struct seen_field seen[MAX_FIELDS];
	size_t i, f;
	int err;

	if (!root || is_null(root))
		return report(p, root ? root->start_mark : (yaml_mark_t){}, "(root)",
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

		for (i = 0; i < map_len(root); i++) {
			yaml_node_pair_t *pair = &root->data.mapping.pairs.start[i];
			yaml_node_t *key = node_at(p, pair->key);

			if (key->type == YAML_SCALAR_NODE &&
			    !strcmp(scalar_text(key), root_fields[f].key)) {
				value = node_at(p, pair->value);
				break;
			}
		}
		if (!value)
			return fail(p, root, "missing required field \"%s\"", root_fields[f].key);
		path_push_key(p, root_fields[f].key);
		err = root_fields[f].parse(p, &root_fields[f], value, p->plan);
		path_pop(p, 0);
		if (err)
			return err;
	}
	return walk_fields(p, root, root_fields, 4, false, "a mapping", p->plan, seen);
}

/* Line and column of a byte offset, for libyaml's reader errors, which carry only the offset. */
static yaml_mark_t mark_of_offset(const char *text, size_t len, size_t offset)
{
	yaml_mark_t mark = {};
	size_t i;

	for (i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			mark.line++;
			mark.column = 0;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			mark.column++;
		}
	}
	return mark;
}

/* The byte at a mark (whose column counts characters, not bytes); -1 past the end. */
static int char_at_mark(const char *text, size_t len, yaml_mark_t mark)
{
	size_t i = 0, line = 0, column = 0;

	for (; i < len && line < mark.line; i++)
		line += text[i] == '\n';
	for (; i < len && text[i] != '\n'; i++) {
		if (((unsigned char)text[i] & 0xc0) == 0x80)
			continue;
		if (column++ == mark.column)
			return (unsigned char)text[i];
	}
	return -1;
}

static int report_yaml_error(struct parser *p, const yaml_parser_t *yp, const char *text,
			     size_t len)
{
	const char *problem = yp->problem ? yp->problem : "cannot parse";
	yaml_mark_t mark = yp->problem_mark;
	char context[128] = "", detail[64] = "";

	if (yp->error == YAML_MEMORY_ERROR)
		return out_of_memory(p);
	if (yp->error == YAML_READER_ERROR) {
		mark = mark_of_offset(text, len, yp->problem_offset);
		if (yp->problem_value != -1)
			snprintf(detail, sizeof(detail), " (byte 0x%02x)",
				 yp->problem_value & 0xff);
	} else if (char_at_mark(text, len, mark) == '\t') {
		snprintf(detail, sizeof(detail), ": tabs cannot indent yaml, use spaces");
	}
	if (yp->context &&
	    (yp->context_mark.line != mark.line || yp->context_mark.column != mark.column))
		snprintf(context, sizeof(context), " %s that started at line %zu", yp->context,
			 yp->context_mark.line + 1);
	return report(p, mark, "yaml", "%s%s%s", problem, context, detail);
}

void plan_free(struct plan *plan)
{
	size_t i, j;

	if (!plan)
		return;
	for (i = 0; i < plan->ntargets; i++) {
		for (j = 0; j < plan->targets[i].nids; j++)
			free(plan->targets[i].ids[j].id);
		free(plan->targets[i].ids);
		free(plan->targets[i].name);
	}
	/* targets beyond ntargets are zeroed by calloc, except the one that failed mid-way */
	free(plan->targets);
	for (i = 0; i < plan->nfaults; i++) {
		free(plan->faults[i].name);
		free(plan->faults[i].cidrs);
		free(plan->faults[i].ports);
		free(plan->faults[i].local_ports);
	}
	free(plan->faults);
	free(plan->name);
	free(plan->file);
	memset(plan, 0, sizeof(*plan));
}

int plan_parse_string(const char *file, const char *text, size_t len, uint64_t max_duration_ms,
		      struct plan *plan, char *err, size_t errlen)
{
	struct parser p = {
		.file = file,
		.plan = plan,
		.max_duration_ms = max_duration_ms,
		.err = err,
		.errlen = errlen,
	};
	yaml_document_t doc, extra;
	bool have_doc = false;
	yaml_parser_t yp;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if (errlen)
		err[0] = '\0';
	if (!yaml_parser_initialize(&yp))
		return out_of_memory(&p);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);

	if (!yaml_parser_load(&yp, &doc)) {
		ret = report_yaml_error(&p, &yp, text, len);
		goto out;
	}
	have_doc = true;
	/* A second document would be ignored silently: refuse it. */
	if (yaml_document_get_root_node(&doc)) {
		if (!yaml_parser_load(&yp, &extra)) {
			ret = report_yaml_error(&p, &yp, text, len);
			goto out;
		}
		if (yaml_document_get_root_node(&extra)) {
			ret = report(&p, extra.start_mark, "yaml",
				     "a plan is one yaml document: this file has more");
			yaml_document_delete(&extra);
			goto out;
		}
		yaml_document_delete(&extra);
	}

	p.doc = &doc;
	plan->file = strdup(file);
	if (!plan->file) {
		ret = out_of_memory(&p);
		goto out;
	}
	ret = parse_root(&p, yaml_document_get_root_node(&doc));
out:
	free(p.refs);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	if (ret)
		plan_free(plan);
	return ret;
}

int plan_parse_file(const char *path, uint64_t max_duration_ms, struct plan *plan, char *err,
		    size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	size_t len = 0, cap = 4096;
	char *text = NULL, *grown;
	int fd, ret;

	memset(plan, 0, sizeof(*plan));
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open the plan: %s", name, strerror(-ret));
		return ret;
	}
	for (;;) {
		ssize_t n;

		if (!text || len == cap) {
			if (text)
				cap *= 2;
			grown = realloc(text, cap);
			if (!grown) {
				ret = -ENOMEM;
				snprintf(err, errlen, "%s: out of memory reading the plan", name);
				goto out;
			}
			text = grown;
		}
		n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: cannot read the plan: %s", name, strerror(-ret));
			goto out;
		}
		if (!n)
			break;
		len += n;
		if (len > PLAN_FILE_MAX_BYTES) {
			ret = -EFBIG;
			snprintf(err, errlen, "%s: the plan is larger than %d bytes", name,
				 PLAN_FILE_MAX_BYTES);
			goto out;
		}
	}
	ret = plan_parse_string(name, text, len, max_duration_ms, plan, err, errlen);
out:
	free(text);
	if (!is_stdin)
		close(fd);
	return ret;
}

const char *target_kind_name(enum target_kind kind)
{
	switch (kind) {
	case TARGET_POD:
		return "pod";
	case TARGET_CGROUP:
		return "cgroup";
	case TARGET_NETNS:
		return "netns";
	case TARGET_INTERFACE:
		return "interface";
	}
	return "unknown";
}
