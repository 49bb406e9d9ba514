/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The node agent (docs/agent.md): applies the plan files of a directory (a ConfigMap volume),
 * reverts a plan whose file goes, applies each content once (remembered in the state store
 * across restarts), adopts the plans it applied before a restart, and publishes what is active
 * and what the tracer measured for their pods over HTTP (agent/http.h, agent/metrics.h). One
 * line per event on stderr (JSON with json_logs). It is a front end of the engine, as the CLI is.
 */
#ifndef FAULTLINE_AGENT_H
#define FAULTLINE_AGENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/out.h"
#include "engine/engine.h"

#define AGENT_INTERVAL_DEFAULT_MS 1000

struct agent_opts {
	const char *plans_dir;
	const char *listen; /* ADDR:PORT for HTTP; NULL: no HTTP server */
	uint64_t interval_ms; /* rescan, counters and tracer reads; > 0 */
	uint64_t max_duration_ms; /* plans longer than this are refused (as apply's --max-duration) */
	bool keep_on_exit; /* --on-exit keep: leave applied plans to their deadlines at SIGTERM */
	bool json_logs; /* -j: each log line a JSON object */
	/* The plan printer of `status -j` (cli/cmd_plans.c), for GET /status. */
	void (*print_plan)(struct out *o, const struct engine_plan_status *p, bool final);
	/* Set by the front end's signal handler: the agent stops at its next wake-up. */
	volatile sig_atomic_t *stop;
	/* The signals to let through while the agent sleeps (cli/signals.h's wait_mask). */
	const sigset_t *wait_mask;
};

/*
 * Run until *stop is set; then revert what this agent applied (unless keep_on_exit) and return
 * 0, or -errno with err set when the agent could not start (plans_dir unreadable: FLT_ERR_INPUT;
 * the HTTP address taken, bpffs unreachable: FLT_ERR_SYSTEM) or a revert at exit failed.
 */
int agent_run(const struct agent_opts *opts, struct flt_error *err);

#endif /* FAULTLINE_AGENT_H */
