// SPDX-License-Identifier: GPL-2.0-only
/*
 * Walking libyaml's node tree against tables of fields: positioned errors, field paths, node
 * helpers, and the one handler of scalar fields, which converts a value with values.c as its
 * table row says. What a fault plan's tables hold is schema.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "plan/values.h"
#include "plan/walk.h"

/* ---- errors ------------------------------------------------------------------------------- */

int report_at(struct parser *p, yaml_mark_t mark, const char *field, const char *fmt, ...)
{
	char msg[FLT_ERR_MSG_MAX];
	bool is_path = strcmp(field, "(root)") && strcmp(field, "yaml");
	va_list ap;

	if (p->error)
		return p->error;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/*
	 * libyaml's marks are 0-based; editors and compilers count from 1. The document itself
	 * and its syntax are named in the message but are no field of the plan.
	 */
	if (is_path)
		flt_fail_at(p->err, p->file, mark.line + 1, mark.column + 1, field, "%s", msg);
	else
		flt_fail_at(p->err, p->file, mark.line + 1, mark.column + 1, NULL, "%s: %s", field,
			    msg);
	p->error = -EINVAL;
	return p->error;
}

int fail_field(struct parser *p, yaml_node_t *node, const char *key, const char *fmt, ...)
{
	char msg[FLT_ERR_MSG_MAX];
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

int fail_out_of_memory(struct parser *p)
{
	if (!p->error)
		p->error = flt_fail(p->err, FLT_ERR_SYSTEM, ENOMEM,
				    "%s: out of memory parsing the plan", p->file);
	return p->error;
}

static size_t path_push(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static size_t path_push(struct parser *p, const char *fmt, ...)
{
	size_t saved = p->path_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->path + saved, sizeof(p->path) - saved, fmt, ap);
	va_end(ap);
	p->path_len = n < 0 ? saved : saved + (size_t)n;
	if (p->path_len >= sizeof(p->path))
		p->path_len = sizeof(p->path) - 1;
	return saved;
}

size_t path_push_key(struct parser *p, const char *key)
{
	return path_push(p, "%s%s", p->path_len ? "." : "", key);
}

size_t path_push_index(struct parser *p, size_t index)
{
	return path_push(p, "[%zu]", index);
}

void path_pop(struct parser *p, size_t saved)
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

const char *closest_key(const char *word, const char *const *candidates, size_t n)
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

yaml_node_t *node_at(struct parser *p, int index)
{
	return yaml_document_get_node(p->doc, index);
}

const char *scalar_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

bool is_null_node(const yaml_node_t *node)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = scalar_text(node);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return is_null_node(node) ? "null" : "a string";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

int get_scalar(struct parser *p, yaml_node_t *node, const char *what, const char **out)
{
	if (node->type != YAML_SCALAR_NODE)
		return fail(p, node, "expected %s, got %s", what, node_kind(node));
	if (is_null_node(node))
		return fail(p, node, "missing value: expected %s", what);
	/* "\0" is a valid escape in a double-quoted scalar; C strings would cut it short. */
	if (strlen(scalar_text(node)) != node->data.scalar.length)
		return fail(p, node, "contains a nul character");
	*out = scalar_text(node);
	return 0;
}

int expect_list(struct parser *p, yaml_node_t *node, const char *what, const char *if_empty,
		size_t *len)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return fail(p, node, "expected a list of %s, got %s", what, node_kind(node));
	*len = node->data.sequence.items.top - node->data.sequence.items.start;
	if (!*len)
		return fail(p, node, "empty list: %s", if_empty);
	return 0;
}

yaml_node_t *list_item(struct parser *p, yaml_node_t *list, size_t i)
{
	return node_at(p, list->data.sequence.items.start[i]);
}

/* The same check for fixed schemas and for spec.targets, whose keys are names. */
int pair_key(struct parser *p, yaml_node_t *map, size_t i, yaml_node_t **key_node, const char **key)
{
	yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
	yaml_node_t *node = node_at(p, pairs[i].key);
	size_t j;

	if (node->type != YAML_SCALAR_NODE || is_null_node(node))
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

size_t map_len(const yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return 0; /* a null standing for an empty mapping */
	return map->data.mapping.pairs.top - map->data.mapping.pairs.start;
}

/* ---- tables of fields --------------------------------------------------------------------- */

/* An unknown key of a table: with the known key it is a typo of, if any. */
static int unknown_field(struct parser *p, yaml_node_t *key_node, const struct schema *schema)
{
	const char *names[MAX_FIELDS], *key = scalar_text(key_node), *hint;
	char quoted[QUOTE_VALUE_LEN];
	size_t f;

	for (f = 0; f < schema->nfields; f++)
		names[f] = schema->fields[f].key;
	hint = closest_key(key, names, schema->nfields);
	quote_value(key, quoted, sizeof(quoted));
	if (hint && !strcasecmp(hint, key))
		return fail(p, key_node,
			    "unknown field %s: keys are case-sensitive, did you mean \"%s\"?",
			    quoted, hint);
	if (hint)
		return fail(p, key_node, "unknown field %s: did you mean \"%s\"?", quoted, hint);
	return fail(p, key_node, "unknown field %s", quoted);
}

int walk_fields(struct parser *p, yaml_node_t *map, const struct schema *schema, void *obj,
		struct seen_field *seen)
{
	size_t i, f, n;
	int err;

	memset(seen, 0, sizeof(*seen) * MAX_FIELDS);
	if (map->type != YAML_MAPPING_NODE && !(schema->null_is_empty && is_null_node(map)))
		return fail(p, map, "expected %s, got %s", schema->what, node_kind(map));

	n = map_len(map);
	for (i = 0; i < n; i++) {
		const struct field *field = NULL;
		yaml_node_t *key_node, *value;
		const char *key;
		size_t saved;

		err = pair_key(p, map, i, &key_node, &key);
		if (err)
			return err;
		for (f = 0; f < schema->nfields && !field; f++) {
			if (!strcmp(schema->fields[f].key, key))
				field = &schema->fields[f];
		}
		if (!field)
			return unknown_field(p, key_node, schema);
		value = node_at(p, map->data.mapping.pairs.start[i].value);
		seen[field - schema->fields].key = key_node;
		seen[field - schema->fields].value = value;
		saved = path_push_key(p, key);
		err = field->parse(p, field, value, obj);
		path_pop(p, saved);
		if (err)
			return err;
	}
	for (f = 0; f < schema->nfields; f++) {
		if (schema->fields[f].required && !seen[f].value)
			return fail(p, map, "missing required field \"%s\"", schema->fields[f].key);
	}
	return 0;
}

/* s converted as kind into out: 0, or -EINVAL / -ERANGE with *why (values.c's). */
static int convert_scalar(enum scalar_kind kind, const char *s, void *out, const char **why)
{
	switch (kind) {
	case SCALAR_TEXT:
		return 0;
	case SCALAR_NAME:
		return check_object_name(s, why);
	case SCALAR_DURATION_MS:
		return parse_duration_ms(s, out, why);
	case SCALAR_LATENCY_NS:
		return parse_latency_ns(s, out, why);
	case SCALAR_BANDWIDTH:
		return parse_bandwidth(s, out, why);
	case SCALAR_PERCENT:
		return parse_percent(s, out, why);
	case SCALAR_PERCENT_OR_ZERO:
		return parse_percent_or_zero(s, out, why);
	case SCALAR_DIRECTION:
		return parse_direction(s, out, why);
	case SCALAR_PROTOCOL:
		return parse_protocol(s, out, why);
	case SCALAR_ERRNO:
		return parse_errno_name(s, out, why);
	case SCALAR_DISTRIBUTION:
		return parse_distribution(s, out, why);
	case SCALAR_BACKEND:
		return parse_backend(s, out, why);
	case SCALAR_CIDR:
		return parse_cidr(s, out, why);
	case SCALAR_PORT_RANGE:
		return parse_port_range(s, out, why);
	}
	*why = "unknown kind of value";
	return -EINVAL;
}

/* The scalar at node, converted as kind into out; what names the expected value. */
static int read_scalar(struct parser *p, yaml_node_t *node, enum scalar_kind kind, const char *what,
		       void *out, const char **text)
{
	const char *s, *why;
	int err;

	err = get_scalar(p, node, what, &s);
	if (err)
		return err;
	if (convert_scalar(kind, s, out, &why))
		return fail(p, node, "%s", why);
	if (kind == SCALAR_NAME) {
		*(char **)out = strdup(s);
		if (!*(char **)out)
			return fail_out_of_memory(p);
	}
	*text = s;
	return 0;
}

int parse_scalar(struct parser *p, const struct field *field, yaml_node_t *value, void *obj)
{
	void *out = (char *)obj + field->offset;
	const char *s;
	int err;

	err = read_scalar(p, value, field->kind, field->what, out, &s);
	if (err || !field->check)
		return err;
	return field->check(p, field, value, s, out);
}

int parse_scalar_list(struct parser *p, const struct field *field, yaml_node_t *value, void *obj)
{
	const struct scalar_list *list = field->list;
	size_t *count = (size_t *)((char *)obj + list->count_offset);
	char *array;
	size_t n, i;
	int err;

	err = expect_list(p, value, list->what, list->if_empty, &n);
	if (err)
		return err;
	if (n > list->max)
		return fail(p, value, "%zu %s: at most %zu per fault", n, list->max_what,
			    list->max);
	array = calloc(n, list->elem_size);
	if (!array)
		return fail_out_of_memory(p);
	/* the member is a pointer to the element type: store it as such, not through char ** */
	memcpy((char *)obj + field->offset, &(void *){array}, sizeof(void *));
	for (i = 0; i < n; i++) {
		size_t saved = path_push_index(p, i);
		const char *s;

		err = read_scalar(p, list_item(p, value, i), list->kind, list->item_what,
				  array + i * list->elem_size, &s);
		path_pop(p, saved);
		if (err)
			return err;
		(*count)++;
	}
	return 0;
}

int parse_mapping(struct parser *p, const struct field *field, yaml_node_t *value, void *obj)
{
	struct seen_field seen[MAX_FIELDS];

	return walk_fields(p, value, field->schema, obj, seen);
}

size_t first_seen(const struct seen_field *seen, const int *fields, size_t n)
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
