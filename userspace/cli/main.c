// SPDX-License-Identifier: GPL-2.0-only
/* faultline: kernel-level fault injection per pod, cgroup, netns or interface. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/log.h"
#include "plan/plan.h"
#include "plan/values.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum {
	OPT_DRY_RUN = 1 << 0,
	OPT_ALL = 1 << 1,
	OPT_MAX_DURATION = 1 << 2,
	OPT_ALL_PODS = 1 << 3,
	OPT_FOR = 1 << 4,
	OPT_INTERVAL = 1 << 5,
	OPT_TOP = 1 << 6,
	OPT_SYSCALLS = 1 << 7,
	OPT_BASELINE = 1 << 8,
	OPT_RECOVERY = 1 << 9,
	OPT_REPORT = 1 << 10,
	OPT_OUTPUT = 1 << 11,
	OPT_PLANS = 1 << 12,
	OPT_LISTEN = 1 << 13,
	OPT_POLICY = 1 << 14,
	OPT_ON_EXIT = 1 << 15,
};

#define TRACE_TOP_DEFAULT 10
#define RUN_PHASE_DEFAULT_MS 30000 /* --baseline and --recovery */

static const struct command {
	const char *name;
	int (*run)(const struct cmd_opts *opts);
	unsigned int options; /* OPT_* it accepts besides the global ones */
	const char *usage;
} commands[] = {
	{ "apply", cmd_apply, OPT_DRY_RUN | OPT_MAX_DURATION | OPT_POLICY,
	  "apply PLAN [--dry-run] [--max-duration DURATION] [--policy FILE]" },
	{ "lint", cmd_lint, OPT_MAX_DURATION, "lint PLAN... [--max-duration DURATION]" },
	{ "status", cmd_status, 0, "status [NAME]" },
	{ "revert", cmd_revert, OPT_ALL, "revert NAME | revert --all" },
	{ "probe", cmd_probe, 0, "probe" },
	{ "trace", cmd_trace, OPT_ALL_PODS | OPT_FOR | OPT_INTERVAL | OPT_TOP | OPT_SYSCALLS,
	  "trace [TARGET...] [--all-pods] [--for DURATION] [--interval DURATION] [--top N]\n"
	  "                  [--syscalls NAME,...]" },
	{ "run", cmd_run,
	  OPT_BASELINE | OPT_RECOVERY | OPT_INTERVAL | OPT_REPORT | OPT_MAX_DURATION | OPT_POLICY,
	  "run PLAN [--baseline DURATION] [--recovery DURATION] [--interval DURATION]\n"
	  "                  [--report DIR] [--max-duration DURATION] [--policy FILE]" },
	{ "report", cmd_report, OPT_OUTPUT, "report RUN.json [-o FILE.html]" },
	{ "agent", cmd_agent,
	  OPT_PLANS | OPT_LISTEN | OPT_POLICY | OPT_INTERVAL | OPT_ON_EXIT | OPT_MAX_DURATION,
	  "agent --plans DIR [--listen ADDR:PORT] [--policy FILE] [--interval DURATION]\n"
	  "                  [--on-exit revert|keep] [--max-duration DURATION]" },
	{ "freeze", cmd_freeze, 0, "freeze" },
	{ "unfreeze", cmd_unfreeze, 0, "unfreeze" },
};

static const char options_help[] =
	"  -j, --json             print JSON: one document per invocation, errors included\n"
	"  -p, --pretty           print indented JSON (implies --json)\n"
	"  -d, --debug            show debug messages and libbpf's output\n"
	"      --dry-run          apply: resolve and print what would be attached, change nothing\n"
	"      --max-duration D   apply, lint, run, agent: allow plans longer than 1h, up to D\n"
	"      --all              revert: every active plan\n"
	"      --all-pods         trace: every pod of this node, besides any TARGET\n"
	"      --for D            trace: end after D (default: at SIGINT, SIGTERM or SIGHUP)\n"
	"      --interval D       trace: print what each interval of D measured\n"
	"      --top N            trace: the N syscalls with the most time per target (10)\n"
	"      --syscalls LIST    trace: only these syscalls (read,write,...)\n"
	"      --baseline D       run: trace for D before the fault (default 30s; 0s: none)\n"
	"      --recovery D       run: trace for D after the revert (default 30s; 0s: none)\n"
	"      --interval D       run: evaluate conditions and sample every D (default 1s)\n"
	"      --report DIR       run: write report.json and report.html into DIR\n"
	"                         (default ./faultline-run-NAME-TIMESTAMP)\n"
	"  -o, --output FILE      report: the HTML file to write (default: beside RUN.json)\n"
	"      --plans DIR        agent: apply the plan files of DIR (a ConfigMap volume)\n"
	"      --listen ADDR:PORT agent: serve /metrics, /healthz and /status over HTTP\n"
	"      --interval D       agent: rescan DIR and read counters every D (default 1s)\n"
	"      --on-exit WHAT     agent: at SIGTERM revert its plans (revert, the default) or\n"
	"                         leave them to their deadlines (keep)\n"
	"      --policy FILE      apply, run, agent: the node policy (default\n"
	"                         /etc/faultline/policy.yaml, if it exists)\n"
	"  -h, --help             this help\n"
	"  -V, --version          the version\n"
	"\nPLAN may be - for standard input. lint and probe need no privileges.\n"
	"A trace TARGET is a pod UID, NAMESPACE/NAME, or cgroup:PATH (relative to the\n"
	"cgroup2 mount).\n"
	"Exit status: 0 done; 2 input given wrongly (usage, plan, name, target), nothing\n"
	"changed; 1 a system failure, or no such active plan (status NAME, revert NAME);\n"
	"run: 3 an abort condition fired, 1 interrupted or failed.\n"
	"See faultline(8), and docs/plan.md for the plan format.\n";

static void usage(struct out *o, FILE *f)
{
	char text[8192];
	size_t i, n;

	n = (size_t)snprintf(text, sizeof(text), "Usage: faultline [OPTIONS] COMMAND [ARGS]\n\n"
						 "Commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands) && n < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "  faultline %s\n",
				      commands[i].usage);
	if (n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, "\nOptions:\n%s", options_help);
	if (out_is_json(o)) {
		out_object_begin(o, NULL);
		out_string(o, "usage", NULL, text);
		out_object_end(o);
		out_end(o);
	} else {
		fputs(text, f);
	}
}

/* A usage error: the message (as JSON in JSON mode), then the usage on stderr in text mode. */
static int usage_error(struct out *o, const char *what, const char *arg)
{
	out_error_msg(o, "faultline: %s%s%s%s", what, arg ? " '" : "", arg ? arg : "",
		      arg ? "'" : "");
	if (!out_is_json(o))
		usage(o, stderr);
	return 2;
}

/* A time that must pass (--for, --interval): a duration above 0. 0, or -EINVAL printed. */
static int parse_positive_duration(const char *option, const char *arg, uint64_t *ms,
				   struct out *o)
{
	const char *why;

	if (parse_duration_ms(arg, ms, &why)) {
		out_error_msg(o, "%s: %s", option, why);
		return -EINVAL;
	}
	if (!*ms) {
		out_error_msg(o, "%s: must be more than 0s", option);
		return -EINVAL;
	}
	return 0;
}

/* A whole number >= 1 (--top). 0, or -EINVAL printed. */
static int parse_count(const char *option, const char *arg, uint64_t *n, struct out *o)
{
	/* strtoull() would take "-1" as 2^64 - 1 and skip spaces: digits only */
	bool digits = *arg >= '0' && *arg <= '9';
	char quoted[QUOTE_VALUE_LEN], *end = NULL;

	errno = 0;
	*n = digits ? strtoull(arg, &end, 10) : 0;
	if (!digits || *end || errno || !*n) {
		out_error_msg(o, "%s: %s is not a whole number of 1 or more", option,
			      quote_value(arg, quoted, sizeof(quoted)));
		return -EINVAL;
	}
	return 0;
}

/* -j and -p anywhere before the command's arguments: JSON from the first error on. */
static void scan_json(int argc, char **argv, bool *json, bool *pretty)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--json"))
			*json = true;
		else if (!strcmp(argv[i], "--pretty"))
			*json = *pretty = true;
		else if (argv[i][0] == '-' && argv[i][1] != '-')
			*pretty |= strchr(argv[i], 'p') != NULL,
				*json |= strchr(argv[i], 'j') || strchr(argv[i], 'p');
	}
}

static int run(int argc, char **argv, struct out *o)
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
		{ "all-pods", no_argument, NULL, 'P' },
		{ "for", required_argument, NULL, 'f' },
		{ "interval", required_argument, NULL, 'i' },
		{ "top", required_argument, NULL, 't' },
		{ "syscalls", required_argument, NULL, 's' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "recovery", required_argument, NULL, 'R' },
		{ "report", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "plans", required_argument, NULL, 'D' },
		{ "listen", required_argument, NULL, 'L' },
		{ "policy", required_argument, NULL, 'Y' },
		{ "on-exit", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_opts opts = { .out = o, .max_duration_ms = PLAN_DEFAULT_MAX_DURATION_MS,
				 .top = TRACE_TOP_DEFAULT, .baseline_ms = RUN_PHASE_DEFAULT_MS,
				 .recovery_ms = RUN_PHASE_DEFAULT_MS };
	const struct command *cmd = NULL;
	unsigned int given = 0;
	const char *why;
	size_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "jpdhVo:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'p':
			break; /* scan_json() saw them */
		case 'd':
			log_setup(true);
			break;
		case 'h':
			usage(o, stdout);
			return 0;
		case 'V':
			out_object_begin(o, NULL);
			out_string(o, "version", "faultline %s\n", FAULTLINE_VERSION);
			out_object_end(o);
			out_end(o);
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
				out_error_msg(o, "--max-duration: %s", why);
				return 2;
			}
			break;
		case 'P':
			given |= OPT_ALL_PODS;
			opts.all_pods = true;
			break;
		case 'f':
			given |= OPT_FOR;
			if (parse_positive_duration("--for", optarg, &opts.for_ms, o))
				return 2;
			break;
		case 'i':
			given |= OPT_INTERVAL;
			if (parse_positive_duration("--interval", optarg, &opts.interval_ms, o))
				return 2;
			break;
		case 't':
			given |= OPT_TOP;
			opts.top_given = true;
			if (parse_count("--top", optarg, &opts.top, o))
				return 2;
			break;
		case 's':
			given |= OPT_SYSCALLS;
			opts.syscalls = optarg;
			break;
		case 'B':
		case 'R':
			given |= c == 'B' ? OPT_BASELINE : OPT_RECOVERY;
			if (parse_duration_ms(optarg, c == 'B' ? &opts.baseline_ms : &opts.recovery_ms,
					      &why)) {
				out_error_msg(o, "%s: %s", c == 'B' ? "--baseline" : "--recovery", why);
				return 2;
			}
			break;
		case 'r':
			given |= OPT_REPORT;
			opts.report_dir = optarg;
			break;
		case 'o':
			given |= OPT_OUTPUT;
			opts.output = optarg;
			break;
		case 'D':
			given |= OPT_PLANS;
			opts.plans_dir = optarg;
			break;
		case 'L':
			given |= OPT_LISTEN;
			opts.listen = optarg;
			break;
		case 'Y':
			given |= OPT_POLICY;
			opts.policy_file = optarg;
			break;
		case 'E':
			given |= OPT_ON_EXIT;
			if (strcmp(optarg, "keep") && strcmp(optarg, "revert")) {
				out_error_msg(o, "--on-exit: expected revert or keep, not '%s'", optarg);
				return 2;
			}
			opts.keep_on_exit = !strcmp(optarg, "keep");
			break;
		default:
			return usage_error(o, "unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error(o, "no command given", NULL);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[optind], commands[i].name))
			cmd = &commands[i];
	if (!cmd)
		return usage_error(o, "unknown command", argv[optind]);
	if (given & ~cmd->options)
		return usage_error(o, "an option given is not one of this command's:", cmd->name);
	opts.argc = argc - optind - 1;
	opts.argv = argv + optind + 1;
	return cmd->run(&opts);
}

int main(int argc, char **argv)
{
	bool json = false, pretty = false;
	struct out *o;
	int status;

	log_setup(false);
	scan_json(argc, argv, &json, &pretty);
	o = out_new(stdout, json, pretty);
	if (!o) {
		fprintf(stderr, "faultline: out of memory\n");
		return 1;
	}
	status = run(argc, argv, o);
	out_free(o);
	return status;
}
