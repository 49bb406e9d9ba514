// SPDX-License-Identifier: GPL-2.0-only
/* Checking the capabilities a command needs before it touches anything. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <linux/capability.h>

#include "kernel/privileges.h"

#ifndef CAP_BPF
#define CAP_BPF 39 /* since 5.8; older headers lack it */
#endif

static int effective_caps(uint64_t *caps)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %" SCNx64, caps) == 1) {
			found = 1;
			break;
		}
	fclose(f);
	return found ? 0 : -1;
}

int privileges_missing(char *missing, size_t len)
{
	static const struct {
		int cap;
		const char *name;
		const char *why;
	} needed[] = {
		{ CAP_BPF, "CAP_BPF", "load programs and maps" },
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN", "attach to interfaces and cgroups" },
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN", "enter network namespaces and mount bpffs" },
		{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE", "read pods' processes' namespaces" },
	};
	uint64_t caps = 0;
	size_t i;

	if (len)
		missing[0] = '\0';
	if (effective_caps(&caps))
		caps = 0;
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (caps & (1ULL << needed[i].cap))
			continue;
		snprintf(missing + strlen(missing), len - strlen(missing), "%s%s (to %s)",
			 missing[0] ? ", " : "", needed[i].name, needed[i].why);
	}
	return missing[0] != '\0';
}
