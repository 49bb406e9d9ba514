// SPDX-License-Identifier: GPL-2.0-only
/*
 * A description as JSON, schema STATE_SCHEMA_VERSION. Each struct's scalar members are listed once
 * in a field table that both directions walk, so the writer and the reader cannot drift apart.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "state/desc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum field_type { F_STR, F_U64, F_U32, F_I32, F_BOOL };

struct field {
	const char *key;
	enum field_type type;
	size_t offset;
	size_t size; /* F_STR: the buffer's size */
};

#define FIELD(s, t, m) { #m, t, offsetof(struct s, m), sizeof(((struct s *)0)->m) }

static const struct field desc_fields[] = {
	FIELD(state_desc, F_U32, version),
	FIELD(state_desc, F_STR, name),
	FIELD(state_desc, F_STR, file),
	FIELD(state_desc, F_U64, duration_ms),
	FIELD(state_desc, F_U64, deadline_mono_ns),
	FIELD(state_desc, F_U64, applied_unix_ms),
	FIELD(state_desc, F_BOOL, complete),
};

static const struct field fault_fields[] = {
	FIELD(state_fault, F_STR, name),
	FIELD(state_fault, F_STR, target),
};

static const struct field slot_fields[] = {
	FIELD(state_slot, F_STR, id),
	FIELD(state_slot, F_STR, kind),
	FIELD(state_slot, F_STR, target),
	FIELD(state_slot, F_U64, cgroup_id),
	FIELD(state_slot, F_STR, cgroup_dir),
	FIELD(state_slot, F_U64, netns_ino),
};

static const struct field record_fields[] = {
	FIELD(state_record, F_U32, kind),
	FIELD(state_record, F_STR, what),
	FIELD(state_record, F_I32, ifindex),
	FIELD(state_record, F_STR, ifname),
	FIELD(state_record, F_STR, netns),
	FIELD(state_record, F_U64, netns_ino),
	FIELD(state_record, F_BOOL, ingress),
	FIELD(state_record, F_STR, link),
	FIELD(state_record, F_U32, handle),
	FIELD(state_record, F_U32, priority),
	FIELD(state_record, F_BOOL, registered),
	FIELD(state_record, F_BOOL, attached),
	FIELD(state_record, F_STR, cgroup),
	FIELD(state_record, F_U32, attach_type),
};

static const struct field saved_fields[] = {
	FIELD(qdisc_saved, F_BOOL, is_default),
	FIELD(qdisc_saved, F_STR, kind),
	FIELD(qdisc_saved, F_U32, handle),
	FIELD(qdisc_saved, F_BOOL, has_options),
	FIELD(qdisc_saved, F_BOOL, options_nested),
};

static struct json_object *fields_to_json(const struct field *fields, size_t n, const void *base)
{
	struct json_object *o = json_object_new_object();
	const char *p;
	size_t i;

	for (i = 0; o && i < n; i++) {
		struct json_object *v = NULL;

		p = (const char *)base + fields[i].offset;
		switch (fields[i].type) {
		case F_STR:
			v = json_object_new_string(p);
			break;
		case F_U64:
			v = json_object_new_uint64(*(const uint64_t *)p);
			break;
		case F_U32:
			v = json_object_new_uint64(*(const uint32_t *)p);
			break;
		case F_I32:
			v = json_object_new_int(*(const int32_t *)p);
			break;
		case F_BOOL:
			v = json_object_new_boolean(*(const bool *)p);
			break;
		}
		json_object_object_add(o, fields[i].key, v);
	}
	return o;
}

static int fields_from_json(const struct field *fields, size_t n, struct json_object *o,
			    void *base)
{
	struct json_object *v;
	char *p;
	size_t i;

	if (!json_object_is_type(o, json_type_object))
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		p = (char *)base + fields[i].offset;
		if (!json_object_object_get_ex(o, fields[i].key, &v))
			return -EBADMSG;
		switch (fields[i].type) {
		case F_STR:
			if (!json_object_is_type(v, json_type_string) ||
			    (size_t)json_object_get_string_len(v) >= fields[i].size)
				return -EBADMSG;
			memcpy(p, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
			break;
		case F_U64:
			*(uint64_t *)p = json_object_get_uint64(v);
			break;
		case F_U32:
			*(uint32_t *)p = (uint32_t)json_object_get_uint64(v);
			break;
		case F_I32:
			*(int32_t *)p = json_object_get_int(v);
			break;
		case F_BOOL:
			*(bool *)p = json_object_get_boolean(v);
			break;
		}
	}
	return 0;
}

#define TO_JSON(table, base) fields_to_json(table, ARRAY_SIZE(table), base)
#define FROM_JSON(table, o, base) fields_from_json(table, ARRAY_SIZE(table), o, base)

static struct json_object *saved_to_json(const struct qdisc_saved *s)
{
	struct json_object *o = TO_JSON(saved_fields, s);
	char *hex = malloc(s->options_len * 2 + 1);
	size_t i;

	if (!hex) {
		json_object_put(o);
		return NULL;
	}
	for (i = 0; i < s->options_len; i++)
		sprintf(hex + 2 * i, "%02x", s->options[i]);
	hex[2 * s->options_len] = '\0';
	json_object_object_add(o, "options", json_object_new_string(hex));
	free(hex);
	return o;
}

static int saved_from_json(struct json_object *o, struct qdisc_saved *s)
{
	struct json_object *v;
	const char *hex;
	size_t i, n;
	int err = FROM_JSON(saved_fields, o, s);

	if (err || !json_object_object_get_ex(o, "options", &v))
		return -EBADMSG;
	hex = json_object_get_string(v);
	n = strlen(hex) / 2;
	if (n > sizeof(s->options))
		return -EBADMSG;
	for (i = 0; i < n; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &s->options[i]) != 1)
			return -EBADMSG;
	s->options_len = n;
	return 0;
}

static struct json_object *slot_to_json(const struct state_slot *s)
{
	struct json_object *o = TO_JSON(slot_fields, s), *rules, *ifaces;
	size_t i;

	rules = json_object_new_array();
	for (i = 0; i < s->nrules; i++)
		json_object_array_add(rules, json_object_new_uint64(s->rules[i]));
	json_object_object_add(o, "rules", rules);
	ifaces = json_object_new_array();
	for (i = 0; i < s->nifaces; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "ifindex", json_object_new_int(s->ifindexes[i]));
		json_object_object_add(e, "ifname", json_object_new_string(s->ifnames[i]));
		json_object_array_add(ifaces, e);
	}
	json_object_object_add(o, "ifaces", ifaces);
	return o;
}

static int slot_from_json(struct json_object *o, struct state_slot *s)
{
	struct json_object *rules, *ifaces, *e, *v;
	size_t i, n;
	int err = FROM_JSON(slot_fields, o, s);

	if (err || !json_object_object_get_ex(o, "rules", &rules) ||
	    !json_object_object_get_ex(o, "ifaces", &ifaces) ||
	    json_object_array_length(rules) > STATE_MAX_RULES)
		return -EBADMSG;
	s->nrules = (uint32_t)json_object_array_length(rules);
	for (i = 0; i < s->nrules; i++)
		s->rules[i] = (uint32_t)json_object_get_uint64(json_object_array_get_idx(rules, i));
	n = json_object_array_length(ifaces);
	s->ifindexes = calloc(n ? n : 1, sizeof(*s->ifindexes));
	s->ifnames = calloc(n ? n : 1, sizeof(*s->ifnames));
	if (!s->ifindexes || !s->ifnames)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(ifaces, i);
		if (!json_object_object_get_ex(e, "ifindex", &v))
			return -EBADMSG;
		s->ifindexes[i] = json_object_get_int(v);
		if (json_object_object_get_ex(e, "ifname", &v))
			snprintf(s->ifnames[i], sizeof(s->ifnames[i]), "%s", json_object_get_string(v));
	}
	s->nifaces = (uint32_t)n;
	return 0;
}

char *desc_to_json(const struct state_desc *d)
{
	struct json_object *o = TO_JSON(desc_fields, d), *a;
	char *text;
	size_t i;

	json_object_object_add(o, "version", json_object_new_int(STATE_SCHEMA_VERSION));
	a = json_object_new_array();
	for (i = 0; i < d->nfaults; i++)
		json_object_array_add(a, TO_JSON(fault_fields, &d->faults[i]));
	json_object_object_add(o, "faults", a);
	a = json_object_new_array();
	for (i = 0; i < d->nslots; i++)
		json_object_array_add(a, slot_to_json(&d->slots[i]));
	json_object_object_add(o, "slots", a);
	a = json_object_new_array();
	for (i = 0; i < d->nplanned; i++)
		json_object_array_add(a, json_object_new_string(d->planned[i]));
	json_object_object_add(o, "planned", a);
	a = json_object_new_array();
	for (i = 0; i < d->nrecords; i++) {
		struct json_object *r = TO_JSON(record_fields, &d->records[i]);

		if (d->records[i].kind == STATE_REC_QDISC)
			json_object_object_add(r, "saved", saved_to_json(&d->records[i].saved));
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "records", a);
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

/* The array under key, with *n its length; calloc'ed room for n elements of size each. */
static struct json_object *array_of(struct json_object *o, const char *key, size_t size,
				    void **elems, size_t *n)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return NULL;
	*n = json_object_array_length(a);
	*elems = calloc(*n ? *n : 1, size);
	return *elems ? a : NULL;
}

static int desc_parse(struct json_object *o, struct state_desc *d)
{
	struct json_object *a, *v;
	size_t i;
	int err = FROM_JSON(desc_fields, o, d);

	if (err || d->version != STATE_SCHEMA_VERSION)
		return -EBADMSG;
	a = array_of(o, "faults", sizeof(*d->faults), (void **)&d->faults, &d->nfaults);
	for (i = 0; a && !err && i < d->nfaults; i++)
		err = FROM_JSON(fault_fields, json_object_array_get_idx(a, i), &d->faults[i]);
	if (!a || err)
		return -EBADMSG;
	a = array_of(o, "slots", sizeof(*d->slots), (void **)&d->slots, &d->nslots);
	for (i = 0; a && !err && i < d->nslots; i++)
		err = slot_from_json(json_object_array_get_idx(a, i), &d->slots[i]);
	if (!a || err)
		return err ?: -EBADMSG;
	a = array_of(o, "planned", sizeof(*d->planned), (void **)&d->planned, &d->nplanned);
	for (i = 0; a && i < d->nplanned; i++)
		snprintf(d->planned[i], sizeof(d->planned[i]), "%s",
			 json_object_get_string(json_object_array_get_idx(a, i)));
	if (!a)
		return -EBADMSG;
	a = array_of(o, "records", sizeof(*d->records), (void **)&d->records, &d->nrecords);
	for (i = 0; a && !err && i < d->nrecords; i++) {
		struct json_object *r = json_object_array_get_idx(a, i);

		err = FROM_JSON(record_fields, r, &d->records[i]);
		if (!err && d->records[i].kind == STATE_REC_QDISC)
			err = json_object_object_get_ex(r, "saved", &v)
				      ? saved_from_json(v, &d->records[i].saved)
				      : -EBADMSG;
	}
	return !a ? -EBADMSG : err;
}

int desc_from_json(const char *text, struct state_desc *d)
{
	struct json_object *o = json_tokener_parse(text);
	int err;

	memset(d, 0, sizeof(*d));
	if (!o)
		return -EBADMSG;
	err = desc_parse(o, d);
	json_object_put(o);
	return err;
}

int state_desc_add_planned(struct state_desc *d, const char *what)
{
	char(*grown)[STATE_WHAT_MAX] = realloc(d->planned, (d->nplanned + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	d->planned = grown;
	snprintf(d->planned[d->nplanned++], STATE_WHAT_MAX, "%s", what);
	return 0;
}

int state_desc_add_record(struct state_desc *d, const struct state_record *rec)
{
	struct state_record *grown = realloc(d->records, (d->nrecords + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	d->records = grown;
	d->records[d->nrecords++] = *rec;
	return 0;
}

void state_desc_free(struct state_desc *d)
{
	size_t i;

	for (i = 0; d->slots && i < d->nslots; i++) {
		free(d->slots[i].ifindexes);
		free(d->slots[i].ifnames);
	}
	free(d->slots);
	free(d->faults);
	free(d->planned);
	free(d->records);
	memset(d, 0, sizeof(*d));
}
