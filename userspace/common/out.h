/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Command output, text or JSON from the same calls (as iproute2 does), so the two cannot drift.
 * JSON is built with json-c and printed by out_end(); text is printed as the calls come, each
 * field with its printf format. A NULL format prints nothing in text mode.
 */
#ifndef FAULTLINE_OUT_H
#define FAULTLINE_OUT_H

#include <stdbool.h>
#include <stdint.h>

void out_setup(bool json, bool pretty);
bool out_is_json(void);

void out_object_begin(const char *key); /* key NULL inside an array and at the top */
void out_object_end(void);
void out_array_begin(const char *key);
void out_array_end(void);

void out_string(const char *key, const char *fmt, const char *value);
void out_u64(const char *key, const char *fmt, uint64_t value);
void out_s64(const char *key, const char *fmt, int64_t value);
void out_bool(const char *key, const char *fmt, bool value);
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* text mode only */

/* Prints the JSON document (JSON mode); closes the text output. */
void out_end(void);

/* An error: text on stderr; in JSON mode {"error": ...} on stdout instead, as bpftool does. */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* FAULTLINE_OUT_H */
