/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Walking libyaml's node tree against tables of fields (internal to userspace/plan/). A table
 * row says a field's key, whether it is required, and how its value is read: a scalar of some
 * kind converted by values.c into a member of the object being filled, a list of such scalars,
 * or a handler of its own (a nested mapping). The first problem found is the one error, with
 * the node's position and the field's path: FILE:LINE:COL: FIELD: what is wrong.
 */
#ifndef FAULTLINE_PLAN_WALK_H
#define FAULTLINE_PLAN_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct flt_error;
struct plan;
struct fault_refs;

#define PATH_BUF_LEN 512

struct parser {
	const char *file;
	yaml_document_t *doc;
	struct flt_error *err;
	int error;		 /* the first error; nothing more is reported after it */
	char path[PATH_BUF_LEN]; /* the field being parsed, "" at the top */
	size_t path_len;
	/* what the plan's fields fill in (schema.c) and check (validate.c) */
	struct plan *plan;
	uint64_t max_duration_ms;
	struct fault_refs *refs; /* one per plan->faults element */
};

/* ---- loading (load.c): shared by plans and the node policy --------------------------------- */

/*
 * The whole file at path ("-": standard input), at most 1 MiB, into *text (malloc'ed, *len
 * bytes); what ("plan", "policy") names it in messages. 0, or -errno with err set.
 */
int read_whole_file(const char *path, const char *what, char **text, size_t *len,
		    struct flt_error *err);

/* The one yaml document of text into doc (yaml_document_delete() it), or a positioned error. */
int load_yaml_document(struct parser *p, const char *text, size_t len, const char *what,
		       yaml_document_t *doc);

/* ---- errors ------------------------------------------------------------------------------- */

/* An error at mark about field ("(root)", "yaml" or a path), once: later ones are dropped. */
int report_at(struct parser *p, yaml_mark_t mark, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* An error about node, named by the current path. */
#define fail(p, node, ...)                                                                         \
	report_at(p, (node)->start_mark, (p)->path_len ? (p)->path : "(root)", __VA_ARGS__)

/* An error about node, the value (or key) of field key of the mapping being walked. */
int fail_field(struct parser *p, yaml_node_t *node, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int fail_out_of_memory(struct parser *p);

/* The path grows by ".key" or "[index]"; each returns what path_pop takes back to. */
size_t path_push_key(struct parser *p, const char *key);
size_t path_push_index(struct parser *p, size_t index);
void path_pop(struct parser *p, size_t saved);

/* The candidate closest to word if close enough to be a typo, else NULL. */
const char *closest_key(const char *word, const char *const *candidates, size_t n);

/* ---- nodes -------------------------------------------------------------------------------- */

yaml_node_t *node_at(struct parser *p, int index);
const char *scalar_text(const yaml_node_t *node);
/* YAML's null: an empty, ~ or null plain scalar (the JSON null too). */
bool is_null_node(const yaml_node_t *node);
/* "a string", "a list"...: what a node is, for "expected X, got Y" */
const char *node_kind(const yaml_node_t *node);
/* The text of a scalar node that must hold a value; what names the expected value. */
int get_scalar(struct parser *p, yaml_node_t *node, const char *what, const char **out);
/* A non-empty list of what; if_empty says what to do instead of an empty list. */
int expect_list(struct parser *p, yaml_node_t *node, const char *what, const char *if_empty,
		size_t *len);
yaml_node_t *list_item(struct parser *p, yaml_node_t *list, size_t i);
/* Pair i's key of map, a string unlike every earlier key of map. */
int pair_key(struct parser *p, yaml_node_t *map, size_t i, yaml_node_t **key_node,
	     const char **key);
size_t map_len(const yaml_node_t *map);

/* ---- tables of fields --------------------------------------------------------------------- */

/* What a scalar field holds: how values.c converts its text, and into what type. */
enum scalar_kind {
	SCALAR_TEXT,		/* kept as it is in the document: nothing stored */
	SCALAR_NAME,		/* char *, strdup'ed: a-z, 0-9 and '-' */
	SCALAR_DURATION_MS,	/* uint64_t */
	SCALAR_LATENCY_NS,	/* uint64_t */
	SCALAR_BANDWIDTH,	/* uint64_t, bytes/s */
	SCALAR_PERCENT,		/* double, more than 0 */
	SCALAR_PERCENT_OR_ZERO, /* double */
	SCALAR_DIRECTION,	/* unsigned int, FLT_DIR_* */
	SCALAR_PROTOCOL,	/* uint8_t, FLT_PROTO_* */
	SCALAR_ERRNO,		/* int */
	SCALAR_DISTRIBUTION,	/* uint8_t, FLT_DIST_* */
	SCALAR_BACKEND,		/* enum plan_backend */
	SCALAR_CIDR,		/* struct plan_cidr */
	SCALAR_PORT_RANGE,	/* struct plan_port_range */
};

struct field;
struct schema;

/* A field's own handler; value is the field's node, obj what the table fills. */
typedef int (*field_parser)(struct parser *p, const struct field *field, yaml_node_t *value,
			    void *obj);

/*
 * What a scalar field must also satisfy once converted (limits, uniqueness...), or what it
 * records; s is the text, out the converted value in obj.
 */
typedef int (*scalar_check)(struct parser *p, const struct field *field, yaml_node_t *value,
			    const char *s, void *out);

/* A list of scalars: a pointer to an array and its count, both members of obj. */
struct scalar_list {
	enum scalar_kind kind;
	size_t elem_size;
	size_t count_offset;   /* of the size_t count in obj */
	size_t max;	       /* at most this many */
	const char *what;      /* "cidrs": "expected a list of cidrs" and "9 cidrs: at most 8" */
	const char *max_what;  /* "port ranges" in "9 port ranges: at most 8 per fault" */
	const char *item_what; /* an item: "a cidr such as 10.0.0.0/8 or an address" */
	const char *if_empty;
};

struct field {
	const char *key;
	field_parser parse; /* parse_scalar, parse_scalar_list or a handler of its own */
	bool required;
	enum scalar_kind kind;		/* of a scalar field */
	size_t offset;			/* of the value in obj (of the array pointer, for a list) */
	const char *what;		/* what the value must be: "expected X, got a list" */
	scalar_check check;		/* of a scalar field, after conversion; NULL: none */
	const struct scalar_list *list; /* of a list field */
	const struct schema *schema;	/* of a mapping field */
	int arg;			/* for handlers shared by several fields */
};

/* A scalar field of type's member: convert, then check (may be NULL). */
#define SCALAR_FIELD(name, scalar_kind, type, member, expected, ...)                               \
	{                                                                                          \
		.key = (name), .parse = parse_scalar, .kind = (scalar_kind),                       \
		.offset = offsetof(type, member), .what = (expected), __VA_ARGS__                  \
	}

/* A field whose text only a check looks at (apiVersion, the target a fault names...). */
#define TEXT_FIELD(name, expected, check_fn, ...)                                                  \
	{                                                                                          \
		.key = (name), .parse = parse_scalar, .kind = SCALAR_TEXT, .what = (expected),     \
		.check = (check_fn), __VA_ARGS__                                                   \
	}

/* A list of scalars described by spec, into type's member. */
#define LIST_FIELD(name, type, member, spec)                                                       \
	{                                                                                          \
		.key = (name), .parse = parse_scalar_list, .offset = offsetof(type, member),       \
		.list = &(spec)                                                                    \
	}

/* A mapping field: handler (parse_mapping, or one of its own) walks fields_schema. */
#define MAPPING_FIELD(name, handler, fields_schema, ...)                                           \
	{                                                                                          \
		.key = (name), .parse = (handler), .schema = &(fields_schema), __VA_ARGS__         \
	}

/* What walk_fields records of each field of a table: its key and value, NULL if absent. */
struct seen_field {
	yaml_node_t *key;
	yaml_node_t *value;
};

#define MAX_FIELDS 16

/* A mapping's fields; the count comes from the table, never typed beside it. */
struct schema {
	const struct field *fields;
	size_t nfields;
	const char *what;   /* "expected a fault mapping, got a list" */
	bool null_is_empty; /* "blackhole:" means "blackhole: {}" */
};

/* 0, with a compile error if the table does not fit seen[MAX_FIELDS] */
#define FIELDS_FIT(table)                                                                          \
	(sizeof(struct { int fit : ARRAY_SIZE(table) <= MAX_FIELDS ? 1 : -1; }) * 0)

#define SCHEMA(table, what_text, null_empty)                                                       \
	{                                                                                          \
		.fields = (table), .nfields = ARRAY_SIZE(table) + FIELDS_FIT(table),               \
		.what = (what_text), .null_is_empty = (null_empty)                                 \
	}

/*
 * Walk map's pairs in order: each key must be one of schema's fields, once; its value goes
 * to that field's parser with the path extended by the key. seen (MAX_FIELDS) gets each
 * field's nodes; a required field that is absent is an error about map.
 */
int walk_fields(struct parser *p, yaml_node_t *map, const struct schema *schema, void *obj,
		struct seen_field *seen);

/* One field's value, as its table row says: field_parsers for the rows of any table. */
int parse_scalar(struct parser *p, const struct field *field, yaml_node_t *value, void *obj);
int parse_scalar_list(struct parser *p, const struct field *field, yaml_node_t *value, void *obj);
/* A mapping of field->schema's fields, filling the same obj. */
int parse_mapping(struct parser *p, const struct field *field, yaml_node_t *value, void *obj);

/* The index into fields (of a table's seen[]) of the one the document has first; n if none. */
size_t first_seen(const struct seen_field *seen, const int *fields, size_t n);

#endif /* FAULTLINE_PLAN_WALK_H */
