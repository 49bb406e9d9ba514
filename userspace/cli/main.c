// SPDX-License-Identifier: GPL-2.0-only
/* faultline: kernel-level fault injection per pod, cgroup, netns or interface. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/log.h"
#include "common/out.h"
#include "plan/plan.h"
#include "state/store.h"
#include "plan/values.h"

enum {
	OPT_DRY_RUN = 1 << 0,
	OPT_ALL = 1 << 1,
	OPT_MAX_DURATION = 1 << 2,
};

static const struct command {
	const char *name;
	int (*run)(const struct cmd_opts *opts);
	unsigned int options; /* OPT_* it accepts besides the global ones */
	const char *usage;
} commands[] = {
	{ "apply", cmd_apply, OPT_DRY_RUN | OPT_MAX_DURATION,
	  "apply PLAN [--dry-run] [--max-duration DURATION]" },
	{ "status", cmd_status, 0, "status [NAME]" },
	{ "revert", cmd_revert, OPT_ALL, "revert NAME | revert --all" },
	{ "probe", cmd_probe, 0, "probe" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: faultline [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  faultline %s\n", commands[i].usage);
	fprintf(f, "\nOptions:\n"
		   "  -j, --json             print JSON\n"
		   "  -p, --pretty           print indented JSON (implies --json)\n"
		   "  -d, --debug            show debug messages and libbpf's output\n"
		   "      --dry-run          apply: resolve and print what would be attached, change nothing\n"
		   "      --max-duration D   apply: allow plans longer than 1h, up to D\n"
		   "      --all              revert: every active plan\n"
		   "  -h, --help             this help\n"
		   "  -V, --version          the version\n"
		   "\nExit status: 0 done, 1 failure (nothing left behind), 2 invalid input.\n"
		   "See faultline(8) and docs/plan.md for the plan format.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ "max-duration", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_opts opts = { .max_duration_ms = PLAN_DEFAULT_MAX_DURATION_MS };
	bool json = false, pretty = false, debug = false;
	unsigned int given = 0;
	const struct command *cmd = NULL;
	const char *why;
	size_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "jpdhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			json = pretty = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("faultline %s\n", FAULTLINE_VERSION);
			return 0;
		case 'n':
			given |= OPT_DRY_RUN;
			opts.dry_run = true;
			break;
		case 'a':
			given |= OPT_ALL;
			opts.all = true;
			break;
		case 'm':
			given |= OPT_MAX_DURATION;
			if (parse_duration_ms(optarg, &opts.max_duration_ms, &why)) {
				fprintf(stderr, "--max-duration: %s\n", why);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "faultline: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	log_setup(debug);
	out_setup(json, pretty);
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "faultline: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (given & ~cmd->options) {
		fprintf(stderr, "faultline: %s does not take that option\n", cmd->name);
		usage(stderr);
		return 2;
	}
	opts.argc = argc - optind - 1;
	opts.argv = argv + optind + 1;
	return cmd->run(&opts);
}
