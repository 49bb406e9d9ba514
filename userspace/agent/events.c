// SPDX-License-Identifier: GPL-2.0-only
/* The agent's event log (agent/events.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent/events.h"

#define EVENT_LINE_MAX 4096

static const char *const event_names[] = {
	[AGENT_EV_STARTED] = "started",	  [AGENT_EV_STOPPED] = "stopped",
	[AGENT_EV_APPLIED] = "applied",	  [AGENT_EV_ADOPTED] = "adopted",
	[AGENT_EV_REVERTED] = "reverted", [AGENT_EV_EXPIRED] = "expired",
	[AGENT_EV_REFUSED] = "refused",	  [AGENT_EV_INVALID] = "invalid",
	[AGENT_EV_NOT_FOR_NODE] = "not-for-node", [AGENT_EV_FAILED] = "failed",
	[AGENT_EV_ERROR] = "error",
};

const char *agent_event_name(enum agent_event ev)
{
	if ((size_t)ev >= sizeof(event_names) / sizeof(event_names[0]) || !event_names[ev])
		return "error";
	return event_names[ev];
}

/* ISO 8601 in UTC with milliseconds: 2026-12-02T10:04:05.123Z */
static void iso_time(uint64_t unix_ms, char *buf, size_t size)
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, size, "%llu", (unsigned long long)unix_ms);
		return;
	}
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03uZ", (unsigned int)(unix_ms % 1000));
}

static void add_string(struct json_object *obj, const char *key, const char *value)
{
	if (value)
		json_object_object_add(obj, key, json_object_new_string(value));
}

static int format_json(char *buf, size_t size, uint64_t unix_ms, enum agent_event ev,
		       const struct agent_event_info *info)
{
	struct json_object *obj = json_object_new_object();
	char when[40];
	int n;

	if (!obj) {
		snprintf(buf, size, "{\"event\": \"%s\"}", agent_event_name(ev));
		return -ENOMEM;
	}
	iso_time(unix_ms, when, sizeof(when));
	add_string(obj, "time", when);
	add_string(obj, "event", agent_event_name(ev));
	add_string(obj, "file", info->file);
	add_string(obj, "plan", info->plan);
	add_string(obj, "reason", info->reason);
	add_string(obj, "by", info->by);
	add_string(obj, "dir", info->dir);
	add_string(obj, "listen", info->listen);
	n = snprintf(buf, size, "%s",
		     json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "?";
}

static int format_text(char *buf, size_t size, enum agent_event ev,
		       const struct agent_event_info *in)
{
	const char *plan = or_unknown(in->plan), *file = or_unknown(in->file);
	const char *reason = or_unknown(in->reason);
	int n;

	switch (ev) {
	case AGENT_EV_STARTED:
		n = snprintf(buf, size, "agent: started on %s%s%s", or_unknown(in->dir),
			     in->listen ? ", serving HTTP on " : " (no HTTP server)",
			     in->listen ? in->listen : "");
		break;
	case AGENT_EV_STOPPED:
		n = snprintf(buf, size, "agent: stopped%s%s", in->reason ? ": " : "",
			     in->reason ? in->reason : "");
		break;
	case AGENT_EV_APPLIED:
		n = snprintf(buf, size, "agent: plan %s applied from %s", plan, file);
		break;
	case AGENT_EV_ADOPTED:
		n = snprintf(buf, size, "agent: plan %s adopted from %s (applied before a restart)",
			     plan, file);
		break;
	case AGENT_EV_REVERTED:
		n = snprintf(buf, size, "agent: plan %s reverted%s%s (%s%s%s)", plan,
			     in->by ? " by " : "", in->by ? in->by : "", file,
			     in->reason ? ": " : "", in->reason ? in->reason : "");
		break;
	case AGENT_EV_EXPIRED:
		n = snprintf(buf, size, "agent: plan %s expired (%s)", plan, file);
		break;
	case AGENT_EV_ERROR:
		n = snprintf(buf, size, "agent: %s%s%s", in->file ? in->file : "",
			     in->file ? ": " : "", reason);
		break;
	default:
		n = snprintf(buf, size, "agent: %s: not applied (%s): %s", file,
			     agent_event_name(ev), reason);
		break;
	}
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int agent_event_format(char *buf, size_t size, bool json, uint64_t unix_ms, enum agent_event ev,
		       const struct agent_event_info *info)
{
	return json ? format_json(buf, size, unix_ms, ev, info) : format_text(buf, size, ev, info);
}

void agent_event_log(bool json, enum agent_event ev, const struct agent_event_info *info)
{
	char line[EVENT_LINE_MAX + 1];
	struct timeval now;
	size_t n;

	gettimeofday(&now, NULL);
	agent_event_format(line, sizeof(line) - 1, json,
			   (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_usec / 1000, ev, info);
	/* one write per line: lines of the HTTP threads' and the engine's never interleave */
	n = strlen(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return; /* nowhere else to say it */
}
