/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * faultline's commands: front ends over the engine. Each parses its arguments, calls the engine
 * and prints the result or the error through one output writer; it returns the exit status,
 * which comes from the error's kind (flt_exit_status).
 */
#ifndef FAULTLINE_COMMANDS_H
#define FAULTLINE_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/out.h"
#include "engine/engine.h"

struct cmd_opts {
	struct out *out;
	bool dry_run;
	bool all;
	uint64_t max_duration_ms;
	/* trace */
	bool all_pods;
	uint64_t for_ms; /* 0: until a signal */
	uint64_t interval_ms; /* 0: one summary at the end */
	uint64_t top; /* syscalls per target */
	bool top_given; /* --top was given: JSON lists only the top too */
	const char *syscalls; /* --syscalls NAME,...; NULL: every syscall */
	/* run (and --interval: 0 there means the default, 1s) */
	uint64_t baseline_ms;
	uint64_t recovery_ms;
	const char *report_dir; /* NULL: ./faultline-run-NAME-TIMESTAMP */
	/* report */
	const char *output; /* -o FILE.html; NULL: beside RUN.json */
	/* agent */
	const char *plans_dir;
	const char *listen; /* NULL: no HTTP server */
	bool keep_on_exit;
	/* apply, run, agent: --policy FILE; NULL: POLICY_DEFAULT_FILE when it exists */
	const char *policy_file;
	int argc; /* positional arguments after the command */
	char **argv;
};

int cmd_apply(const struct cmd_opts *opts);
int cmd_lint(const struct cmd_opts *opts);
int cmd_status(const struct cmd_opts *opts);
int cmd_revert(const struct cmd_opts *opts);
int cmd_probe(const struct cmd_opts *opts);
int cmd_trace(const struct cmd_opts *opts);
int cmd_run(const struct cmd_opts *opts);
int cmd_report(const struct cmd_opts *opts);
int cmd_agent(const struct cmd_opts *opts);
int cmd_freeze(const struct cmd_opts *opts);
int cmd_unfreeze(const struct cmd_opts *opts);

/*
 * Load the node policy (opts->policy_file, or POLICY_DEFAULT_FILE when that exists) into p and
 * hand it to the engine (engine_set_policy): 0, or the exit status with the error printed. p is
 * freed with policy_free() once the command is done.
 */
struct policy;
int cmd_policy(const struct cmd_opts *opts, struct policy *p);

/*
 * What apply, status and revert do first: check privileges (command names the command in the
 * message), then sweep expired plans, logging each one's final counters. 0, or the exit status.
 */
int cmd_begin(const struct cmd_opts *opts, const char *command);

/* Print a plan's state and counters (status), or its final counters (revert). */
void print_plan(struct out *o, const struct engine_plan_status *p, bool final);

/* Print err and return its exit status. */
int cmd_fail(const struct cmd_opts *opts, const struct flt_error *err);

#endif /* FAULTLINE_COMMANDS_H */
