// SPDX-License-Identifier: GPL-2.0-only
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "common/out.h"

#define OUT_DEPTH_MAX 16

struct out {
	FILE *f;
	bool json, pretty;
	bool done; /* the JSON document was printed */
	struct json_object *root;
	struct json_object *stack[OUT_DEPTH_MAX];
	int depth;
};

struct out *out_new(FILE *f, bool json, bool pretty)
{
	struct out *o = calloc(1, sizeof(*o));

	if (o) {
		o->f = f;
		o->json = json || pretty;
		o->pretty = pretty;
	}
	return o;
}

void out_free(struct out *o)
{
	if (!o)
		return;
	json_object_put(o->root);
	free(o);
}

bool out_is_json(const struct out *o)
{
	return o->json;
}

/* Adds value under key to the innermost object, or appends it to the innermost array. */
static void out_add(struct out *o, const char *key, struct json_object *value)
{
	struct json_object *top;

	if (o->depth == 0) {
		if (!o->root)
			o->root = value;
		else
			json_object_put(value);
		return;
	}
	top = o->stack[o->depth - 1];
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, value);
	else
		json_object_object_add(top, key ? key : "", value);
}

static void out_push(struct out *o, const char *key, struct json_object *container)
{
	if (o->depth >= OUT_DEPTH_MAX) {
		json_object_put(container);
		return;
	}
	out_add(o, key, container);
	o->stack[o->depth++] = container;
}

void out_object_begin(struct out *o, const char *key)
{
	if (o->json)
		out_push(o, key, json_object_new_object());
}

void out_array_begin(struct out *o, const char *key)
{
	if (o->json)
		out_push(o, key, json_object_new_array());
}

void out_object_end(struct out *o)
{
	if (o->json && o->depth > 0)
		o->depth--;
}

void out_array_end(struct out *o)
{
	out_object_end(o);
}

void out_string(struct out *o, const char *key, const char *fmt, const char *value)
{
	if (o->json)
		out_add(o, key, value ? json_object_new_string(value) : json_object_new_null());
	else if (fmt)
		fprintf(o->f, fmt, value ? value : "-");
}

void out_u64(struct out *o, const char *key, const char *fmt, uint64_t value)
{
	if (o->json)
		out_add(o, key, json_object_new_uint64(value));
	else if (fmt)
		fprintf(o->f, fmt, value);
}

void out_s64(struct out *o, const char *key, const char *fmt, int64_t value)
{
	if (o->json)
		out_add(o, key, json_object_new_int64(value));
	else if (fmt)
		fprintf(o->f, fmt, value);
}

void out_bool(struct out *o, const char *key, const char *fmt, bool value)
{
	if (o->json)
		out_add(o, key, json_object_new_boolean(value));
	else if (fmt)
		fprintf(o->f, fmt, value ? "yes" : "no");
}

void out_double(struct out *o, const char *key, const char *fmt, double value)
{
	char text[32];

	/* 4 significant digits, not json-c's 17 (25.8 would print as 25.800000000000001) */
	snprintf(text, sizeof(text), "%.4g", value);
	if (o->json)
		out_add(o, key, isfinite(value) ? json_object_new_double_s(value, text)
					       : json_object_new_null());
	else if (fmt)
		fprintf(o->f, fmt, value);
}

void out_null(struct out *o, const char *key, const char *fmt)
{
	if (o->json)
		out_add(o, key, json_object_new_null());
	else if (fmt)
		fputs(fmt, o->f);
}

void out_text(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
}

void out_end(struct out *o)
{
	int flags = o->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			      : JSON_C_TO_STRING_PLAIN;

	if (o->json && o->root && !o->done) {
		fprintf(o->f, "%s\n",
			json_object_to_json_string_ext(o->root,
						       flags | JSON_C_TO_STRING_NOSLASHESCAPE));
		o->done = true;
	}
	json_object_put(o->root);
	o->root = NULL;
	o->depth = 0;
	fflush(o->f);
}

static const char *const kind_names[] = {
	[FLT_ERR_NONE] = "none",	     [FLT_ERR_INPUT] = "input",
	[FLT_ERR_TARGET] = "target",	     [FLT_ERR_NOT_ACTIVE] = "not_active",
	[FLT_ERR_SYSTEM] = "system",
};

void out_error(struct out *o, const struct flt_error *err)
{
	if (!o->json) {
		fflush(o->f);
		fprintf(stderr, "%s\n", err->message);
		return;
	}
	/* the error is the document: anything built so far is dropped */
	json_object_put(o->root);
	o->root = NULL;
	o->depth = 0;
	out_object_begin(o, NULL);
	out_object_begin(o, "error");
	out_string(o, "message", NULL, err->message);
	out_string(o, "kind", NULL, kind_names[err->kind]);
	if (err->line) {
		out_string(o, "file", NULL, err->file);
		out_u64(o, "line", NULL, err->line);
		out_u64(o, "column", NULL, err->column);
		if (err->field[0])
			out_string(o, "field", NULL, err->field);
	}
	out_object_end(o);
	out_object_end(o);
	out_end(o);
}

void out_error_msg(struct out *o, const char *fmt, ...)
{
	struct flt_error err;
	va_list ap;

	va_start(ap, fmt);
	flt_vfail(&err, FLT_ERR_INPUT, 0, fmt, ap);
	va_end(ap);
	out_error(o, &err);
}
