// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>

#include <json-c/json.h>

#include "common/out.h"

#define OUT_DEPTH_MAX 16

static bool out_json, out_pretty;
static struct json_object *out_root;
static struct json_object *out_stack[OUT_DEPTH_MAX];
static int out_depth;

void out_setup(bool json, bool pretty)
{
	out_json = json;
	out_pretty = pretty;
}

bool out_is_json(void)
{
	return out_json;
}

/* Adds value under key to the innermost object, or appends it to the innermost array. */
static void out_add(const char *key, struct json_object *value)
{
	struct json_object *top;

	if (out_depth == 0) {
		if (!out_root)
			out_root = value;
		else
			json_object_put(value);
		return;
	}
	top = out_stack[out_depth - 1];
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, value);
	else
		json_object_object_add(top, key ? key : "", value);
}

static void out_push(const char *key, struct json_object *container)
{
	if (out_depth >= OUT_DEPTH_MAX) {
		json_object_put(container);
		return;
	}
	out_add(key, container);
	out_stack[out_depth++] = container;
}

void out_object_begin(const char *key)
{
	if (out_json)
		out_push(key, json_object_new_object());
}

void out_array_begin(const char *key)
{
	if (out_json)
		out_push(key, json_object_new_array());
}

void out_object_end(void)
{
	if (out_json && out_depth > 0)
		out_depth--;
}

void out_array_end(void)
{
	out_object_end();
}

void out_string(const char *key, const char *fmt, const char *value)
{
	if (out_json)
		out_add(key, value ? json_object_new_string(value) : json_object_new_null());
	else if (fmt)
		printf(fmt, value ? value : "-");
}

void out_u64(const char *key, const char *fmt, uint64_t value)
{
	if (out_json)
		out_add(key, json_object_new_uint64(value));
	else if (fmt)
		printf(fmt, value);
}

void out_s64(const char *key, const char *fmt, int64_t value)
{
	if (out_json)
		out_add(key, json_object_new_int64(value));
	else if (fmt)
		printf(fmt, value);
}

void out_bool(const char *key, const char *fmt, bool value)
{
	if (out_json)
		out_add(key, json_object_new_boolean(value));
	else if (fmt)
		printf(fmt, value ? "yes" : "no");
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (out_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void out_end(void)
{
	int flags = out_pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			       : JSON_C_TO_STRING_PLAIN;

	if (out_json && out_root) {
		puts(json_object_to_json_string_ext(out_root, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out_root);
		out_root = NULL;
	}
	out_depth = 0;
	fflush(stdout);
}

void out_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!out_json) {
		fprintf(stderr, "%s\n", msg);
		return;
	}
	if (out_root) {
		json_object_put(out_root);
		out_root = NULL;
		out_depth = 0;
	}
	out_object_begin(NULL);
	out_string("error", NULL, msg);
	out_object_end();
	out_end();
}
