/* SPDX-License-Identifier: GPL-2.0-only */
/* faultline's commands; each returns the process exit status (0, 1, or 2 for bad input). */
#ifndef FAULTLINE_COMMANDS_H
#define FAULTLINE_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

struct cmd_opts {
	bool dry_run;
	bool all;
	uint64_t max_duration_ms;
	int argc; /* positional arguments after the command */
	char **argv;
};

int cmd_apply(const struct cmd_opts *opts);
int cmd_status(const struct cmd_opts *opts);
int cmd_revert(const struct cmd_opts *opts);
int cmd_probe(const struct cmd_opts *opts);

/* What apply/status/revert need: missing capabilities named in the message; 1 if lacking. */
int require_privileges(const char *command);

/* Mount bpffs, take the lock and sweep expired plans: every command but probe starts here. */
int state_begin(void);

#endif /* FAULTLINE_COMMANDS_H */
