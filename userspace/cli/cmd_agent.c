// SPDX-License-Identifier: GPL-2.0-only
/* faultline agent: the node agent (agent/agent.h) started from the command line. */
#include <string.h>

#include "agent/agent.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "plan/policy.h"

int cmd_agent(const struct cmd_opts *opts)
{
	struct policy policy = { 0 };
	struct caught_signals caught;
	struct agent_opts aopts = {
		.plans_dir = opts->plans_dir,
		.listen = opts->listen,
		.interval_ms = opts->interval_ms ? opts->interval_ms : AGENT_INTERVAL_DEFAULT_MS,
		.max_duration_ms = opts->max_duration_ms,
		.keep_on_exit = opts->keep_on_exit,
		.json_logs = out_is_json(opts->out),
		.print_plan = print_plan,
		.stop = &stop_signal,
	};
	struct flt_error err;
	int status, ret;

	if (opts->argc) {
		out_error_msg(opts->out, "agent: unexpected argument '%s' (faultline agent --plans "
			      "DIR [--listen ADDR:PORT] [--policy FILE])", opts->argv[0]);
		return 2;
	}
	if (!opts->plans_dir) {
		out_error_msg(opts->out, "agent: --plans DIR is required: the directory of plan "
			      "files to apply (a ConfigMap volume)");
		return 2;
	}
	if (engine_check_privileges("agent", &err))
		return cmd_fail(opts, &err);
	status = cmd_policy(opts, &policy);
	if (status)
		return status;
	ret = signals_catch(&caught);
	if (ret) {
		flt_fail(&err, FLT_ERR_SYSTEM, -ret, "agent: cannot catch signals: %s",
			 strerror(-ret));
		status = cmd_fail(opts, &err);
		goto out;
	}
	aopts.wait_mask = &caught.wait_mask;
	/* the agent logs its events itself (stderr); an error that stops it is printed here */
	status = agent_run(&aopts, &err) ? cmd_fail(opts, &err) : 0;
	signals_restore(&caught);
out:
	engine_set_policy(NULL);
	policy_free(&policy);
	return status;
}
