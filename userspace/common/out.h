/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Command output, text or JSON from the same calls (as iproute2 does), so the two cannot drift.
 * JSON is built with json-c and printed by out_end(); text is printed as the calls come, each
 * field with its printf format. A NULL format prints nothing in text mode. Each writer is its own
 * object: a long-running process can keep several, one per request.
 *
 * In JSON mode a writer prints exactly one document: out_end() prints what was built, and
 * out_error() replaces it with {"error": {...}}; whatever comes after the first is dropped.
 */
#ifndef FAULTLINE_OUT_H
#define FAULTLINE_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

struct out;

/* A writer to f (stdout for the CLI); NULL when out of memory. */
struct out *out_new(FILE *f, bool json, bool pretty);
void out_free(struct out *o);
bool out_is_json(const struct out *o);

void out_object_begin(struct out *o, const char *key); /* key NULL inside an array, at the top */
void out_object_end(struct out *o);
void out_array_begin(struct out *o, const char *key);
void out_array_end(struct out *o);

void out_string(struct out *o, const char *key, const char *fmt, const char *value);
void out_u64(struct out *o, const char *key, const char *fmt, uint64_t value);
void out_s64(struct out *o, const char *key, const char *fmt, int64_t value);
void out_bool(struct out *o, const char *key, const char *fmt, bool value);
/* JSON: 4 significant digits (a ratio), null if not finite. */
void out_double(struct out *o, const char *key, const char *fmt, double value);
/* JSON's null (a figure without samples); fmt is printed as it is in text mode. */
void out_null(struct out *o, const char *key, const char *fmt);
void out_text(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the JSON document (JSON mode); flushes the text output. */
void out_end(struct out *o);

/*
 * An error: its message on stderr in text mode; in JSON mode {"error": {"message", "kind",
 * and "file", "line", "column", "field" when it has a position}} on the writer's stream instead.
 */
void out_error(struct out *o, const struct flt_error *err);

/* The same for a message alone (usage errors): kind input. */
void out_error_msg(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* FAULTLINE_OUT_H */
