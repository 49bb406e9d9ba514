// SPDX-License-Identifier: GPL-2.0-only
/* faultline report RUN.json [-o FILE.html]: report.html drawn again from a report.json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "report/html.h"

/* Beside the report: RUN.json's path with .json replaced by .html, or .html appended. */
static char *default_html_path(const char *json_path)
{
	size_t len = strlen(json_path);
	char *path;

	if (len > strlen(".json") && !strcmp(json_path + len - strlen(".json"), ".json"))
		len -= strlen(".json");
	if (asprintf(&path, "%.*s.html", (int)len, json_path) < 0)
		return NULL;
	return path;
}

int cmd_report(const struct cmd_opts *opts)
{
	struct flt_error err;
	char *html_path;
	int status = 0;

	if (opts->argc != 1) {
		out_error_msg(opts->out, "report: expected one report file (faultline report "
			      "RUN.json [-o FILE.html])");
		return 2;
	}
	/* no privileges, no kernel: a file in, a file out */
	html_path = opts->output ? strdup(opts->output) : default_html_path(opts->argv[0]);
	if (!html_path) {
		flt_fail(&err, FLT_ERR_SYSTEM, ENOMEM, "report: out of memory");
		return cmd_fail(opts, &err);
	}
	if (report_html_file(opts->argv[0], html_path, &err)) {
		status = cmd_fail(opts, &err);
	} else {
		out_object_begin(opts->out, NULL);
		out_string(opts->out, "html", "wrote %s\n", html_path);
		out_object_end(opts->out);
		out_end(opts->out);
	}
	free(html_path);
	return status;
}
