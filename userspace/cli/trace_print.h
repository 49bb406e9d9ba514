/* SPDX-License-Identifier: GPL-2.0-only */
/* Printing a trace target's figures (text and JSON from the same calls): trace and run. */
#ifndef FAULTLINE_TRACE_PRINT_H
#define FAULTLINE_TRACE_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/out.h"
#include "engine/trace.h"

/* How a snapshot is shown. */
struct trace_view {
	size_t top; /* syscalls per target in text, and in JSON when top_given */
	bool top_given;
	bool interval; /* a block per interval: a timestamp line first */
};

/* A time with a unit chosen for it, about 3 significant digits: "870ns", "12.3us", "1.20ms". */
struct ns_text {
	char s[24];
};

struct ns_text ns_text(uint64_t ns);

/* The figures: "syscalls" and "tcp" in the object being built (JSON), their tables (text). */
void print_trace_figures(struct out *o, const struct trace_target *t,
			 const struct trace_view *view);

/* A target as an array element: its id and kind, then its figures. */
void print_trace_target(struct out *o, const struct trace_target *t,
			const struct trace_view *view);

#endif /* FAULTLINE_TRACE_PRINT_H */
