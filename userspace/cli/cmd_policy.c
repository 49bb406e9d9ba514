// SPDX-License-Identifier: GPL-2.0-only
/*
 * The node policy of apply, run and agent (docs/policy.md): --policy FILE, else
 * /etc/faultline/policy.yaml when it exists. A policy named on the command line must exist; a
 * policy that exists must be valid: a node whose guardrails cannot be read runs no plan.
 */
#include <errno.h>
#include <string.h>

#include "cli/commands.h"
#include "engine/engine.h"
#include "plan/policy.h"

int cmd_policy(const struct cmd_opts *opts, struct policy *p)
{
	const char *path = opts->policy_file ? opts->policy_file : POLICY_DEFAULT_FILE;
	struct flt_error err;
	int ret;

	ret = policy_parse_file(path, p, &err);
	if (ret == -ENOENT && !opts->policy_file) {
		memset(p, 0, sizeof(*p));
		engine_set_policy(NULL);
		return 0;
	}
	if (ret) {
		engine_set_policy(NULL);
		return cmd_fail(opts, &err);
	}
	engine_set_policy(p);
	return 0;
}
