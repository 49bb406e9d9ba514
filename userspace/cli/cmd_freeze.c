// SPDX-License-Identifier: GPL-2.0-only
/* faultline freeze and unfreeze: the node's kill switch. */
#include <stdio.h>

#include "cli/commands.h"
#include "common/log.h"

int cmd_freeze(const struct cmd_opts *opts)
{
	struct engine_plans reverted = { 0 };
	struct flt_error err;
	size_t i;
	int status, ret;

	if (opts->argc) {
		out_error_msg(opts->out, "freeze: takes no arguments");
		return 2;
	}
	status = cmd_begin(opts, "freeze");
	if (status)
		return status;
	ret = engine_freeze(&reverted, &err);
	/* frozen but a revert left something: print what was reverted, exit 1 (as revert --all) */
	if (ret && (err.kind != FLT_ERR_SYSTEM || !reverted.n)) {
		engine_plans_free(&reverted);
		return cmd_fail(opts, &err);
	}
	if (ret)
		pr_warn("%s\n", err.message);
	out_object_begin(opts->out, NULL);
	out_bool(opts->out, "frozen", NULL, true);
	out_text(opts->out, "node frozen: new plans are refused (faultline unfreeze)\n");
	out_array_begin(opts->out, "reverted");
	for (i = 0; i < reverted.n; i++)
		print_plan(opts->out, &reverted.plans[i], true);
	out_array_end(opts->out);
	out_object_end(opts->out);
	if (!reverted.n)
		out_text(opts->out, "no active plan\n");
	out_end(opts->out);
	engine_plans_free(&reverted);
	return ret ? 1 : 0;
}

int cmd_unfreeze(const struct cmd_opts *opts)
{
	struct flt_error err;
	int status;

	if (opts->argc) {
		out_error_msg(opts->out, "unfreeze: takes no arguments");
		return 2;
	}
	status = cmd_begin(opts, "unfreeze");
	if (status)
		return status;
	if (engine_unfreeze(&err))
		return cmd_fail(opts, &err);
	out_object_begin(opts->out, NULL);
	out_bool(opts->out, "frozen", NULL, false);
	out_text(opts->out, "node unfrozen: plans apply again\n");
	out_object_end(opts->out);
	out_end(opts->out);
	return 0;
}
