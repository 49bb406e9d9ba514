/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The node policy (docs/agent.md): what no plan may target, traffic no fault may match, and
 * limits every plan must keep. Parsed from YAML or JSON with positioned errors as plans are;
 * no kernel access here (the engine checks plans against it, engine_set_policy()).
 */
#ifndef FAULTLINE_POLICY_H
#define FAULTLINE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/values.h"

#define POLICY_DEFAULT_FILE "/etc/faultline/policy.yaml"
#define POLICY_MAX_CIDRS 16 /* FLT_MAX_PROTECT */

struct policy {
	char *file; /* as given, for messages; NULL for no policy */
	char **namespaces; /* protect.namespaces */
	size_t nnamespaces;
	char **pods; /* protect.pods: UIDs or NAMESPACE/NAME */
	size_t npods;
	char **cgroups; /* protect.cgroups: paths relative to the cgroup2 mount, without a leading / */
	size_t ncgroups;
	struct plan_cidr *cidrs; /* protect.cidrs */
	size_t ncidrs;
	uint64_t max_duration_ms; /* limits.maxDuration; 0: no limit */
	uint64_t max_targets; /* limits.maxTargets: pods per plan, after globs expand; 0: none */
	bool has_max_loss;
	double max_loss_percent; /* limits.maxLossPercent */
	uint64_t max_delay_ns; /* limits.maxDelay (delay.time + jitter); 0: no limit */
};

/*
 * Parse the policy at path. 0, or -errno with err set: FLT_ERR_INPUT with the position for an
 * invalid policy ("file:line:col: field: what is wrong"); -ENOENT, FLT_ERR_INPUT, for a file
 * that does not exist (the CLI then runs without a policy when the path is the default one).
 */
int policy_parse_file(const char *path, struct policy *p, struct flt_error *err);
int policy_parse_string(const char *file, const char *text, size_t len, struct policy *p,
			struct flt_error *err);
void policy_free(struct policy *p);

#endif /* FAULTLINE_POLICY_H */
