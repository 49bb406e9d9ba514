/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's read-only HTTP server (libmicrohttpd, its own threads): GET /metrics, /healthz,
 * /status. Requests are answered from the last published snapshot, under a mutex held only to
 * take a reference: no request waits for the agent's work, and the agent never waits for a
 * request.
 */
#ifndef FAULTLINE_AGENT_HTTP_H
#define FAULTLINE_AGENT_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct agent_http;

/* Listen on ADDR:PORT (IPv4, [IPv6]:PORT, or :PORT for every address). FLT_ERR_INPUT for a
 * malformed address, FLT_ERR_SYSTEM when it cannot be bound. */
int agent_http_start(const char *listen, struct agent_http **h, struct flt_error *err);

/* The port it listens on (what the kernel chose for a port of 0). */
uint16_t agent_http_port(const struct agent_http *h);

/*
 * The next snapshot: the Prometheus text for /metrics and the JSON for /status, malloc'ed and
 * taken over (freed once no request uses them); healthy says what /healthz answers (200 or 503).
 * /healthz also answers 503 when no snapshot came for stale_ms (the agent's loop is stuck).
 */
void agent_http_publish(struct agent_http *h, char *metrics, char *status_json, bool healthy,
			uint64_t stale_ms);

void agent_http_stop(struct agent_http *h);

#endif /* FAULTLINE_AGENT_HTTP_H */
