/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's event log: one line per event on stderr, text for people or (-j) one JSON object
 * per line for a log collector: {"time", "event", "file", "plan", "reason", ...}.
 */
#ifndef FAULTLINE_AGENT_EVENTS_H
#define FAULTLINE_AGENT_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum agent_event {
	AGENT_EV_STARTED,
	AGENT_EV_STOPPED,
	AGENT_EV_APPLIED,
	AGENT_EV_ADOPTED,
	AGENT_EV_REVERTED,
	AGENT_EV_EXPIRED,
	AGENT_EV_REFUSED,
	AGENT_EV_INVALID,
	AGENT_EV_NOT_FOR_NODE,
	AGENT_EV_FAILED,
	AGENT_EV_ERROR,
};

/* What an event is about; NULL fields are left out. */
struct agent_event_info {
	const char *file;
	const char *plan;
	const char *reason;
	const char *by; /* reverted: "another process" when not this agent */
	const char *dir; /* started */
	const char *listen; /* started */
};

const char *agent_event_name(enum agent_event ev); /* "applied", ... */

/*
 * The line for an event at unix_ms (no newline) into buf: 0, or -ENOSPC when it was cut short
 * (buf still holds a line).
 */
int agent_event_format(char *buf, size_t size, bool json, uint64_t unix_ms, enum agent_event ev,
		       const struct agent_event_info *info);

/* Format the event at the current time and write it to stderr as one write. */
void agent_event_log(bool json, enum agent_event ev, const struct agent_event_info *info);

#endif /* FAULTLINE_AGENT_EVENTS_H */
