/* SPDX-License-Identifier: GPL-2.0-only */
/* Encoding a plan's faults into the kernel's rule structs (bpf/fault.h). */
#ifndef FAULTLINE_RULES_H
#define FAULTLINE_RULES_H

#include <stdint.h>

#include "fault.h"
#include "plan/plan.h"

/* A CIDR as the programs compare it (also the node policy's protected CIDRs). */
void rule_cidr_encode(const struct plan_cidr *in, struct flt_cidr *out);

/* loss percent (0 < p <= 100) -> threshold for bpf_get_prandom_u32(): 100% is 2^32 (always). */
uint64_t rule_loss_threshold(double percent);

/*
 * Encode one fault as a kernel rule that stops having effect at deadline_ns (CLOCK_MONOTONIC).
 * netem_classid non-zero: the fault's delay, rate and loss are the netem leaf's of that class,
 * so the rule only steers packets there (FLT_ACT_NETEM); blackhole and reject stay the kernel's.
 */
void rule_encode(const struct plan_fault *fault, uint64_t deadline_ns, uint32_t netem_classid,
		 struct flt_rule *rule);

/*
 * Fill tr->summary from tr->rules[0 .. nrules - 1]: what the programs check before scanning the
 * rules (struct flt_rule_summary in bpf/fault.h). Call it after every change to the rules and
 * before writing tr to flt_rules: a stale summary would let packets skip rules that match them.
 */
void rule_summarize(struct flt_target_rules *tr);

#endif /* FAULTLINE_RULES_H */
