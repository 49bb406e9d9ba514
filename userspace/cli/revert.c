// SPDX-License-Identifier: GPL-2.0-only
/* faultline revert: remove every kernel object of one plan, or of all. */
#include <errno.h>
#include <string.h>

#include "cli/commands.h"
#include "common/log.h"
#include "common/out.h"
#include "state/store.h"

int cmd_revert(const struct cmd_opts *opts)
{
	char **names = NULL;
	size_t n = 0, i;
	int err, status = 0;

	if (opts->all ? opts->argc != 0 : opts->argc != 1) {
		out_error("revert: expected one plan name, or --all");
		return 2;
	}
	if (require_privileges("revert") || state_begin())
		return 1;
	if (opts->all) {
		err = state_plan_names(&names, &n);
		if (err) {
			out_error("cannot list plans in %s: %s", state_root(), strerror(-err));
			return 1;
		}
	}
	out_object_begin(NULL);
	out_array_begin("reverted");
	for (i = 0; i < (opts->all ? n : 1); i++) {
		const char *name = opts->all ? names[i] : opts->argv[0];

		err = state_revert(name);
		if (err == -ENOENT) {
			out_array_end();
			out_object_end();
			out_end();
			out_error("plan %s: no such active plan", name);
			status = 1;
			break;
		}
		if (err) {
			pr_warn("plan %s: reverting left something behind: %s\n", name, strerror(-err));
			status = 1;
		}
		out_string(NULL, "plan %s reverted\n", name);
	}
	if (status == 0 || opts->all) {
		out_array_end();
		out_object_end();
		if (opts->all && n == 0)
			out_text("no active plan\n");
		out_end();
	}
	state_names_free(names, n);
	return status;
}
