/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rule matching: whether a rule selects a flow (flt_rule_matches()), whether any of a target's
 * rules could (flt_summary_may_match()), the verdict of the packet hooks (flt_packet_drops())
 * and of the sock_addr hooks (flt_connect_errno()), and the per-rule counters they keep.
 *
 * No map definitions: the helpers take the rule store (ARRAY, target slot -> flt_target_rules)
 * and the counters (PERCPU_ARRAY, slot * FLT_MAX_RULES + rule -> flt_counters) as arguments, as
 * libbpf-tools' maps.bpf.h takes its map, so each object defines, sizes and shares its own.
 *
 * flt_rule_matches() is a global function on purpose (see there), so each object gets one
 * definition of it: include this header from one .bpf.c per object, as the Makefile builds an
 * object from exactly one.
 */
#ifndef FAULTLINE_RULES_BPF_H
#define FAULTLINE_RULES_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fault.h"
#include "flow.bpf.h"

#define FLT_EPERM 1 /* what the kernel reports for a reject without bpf_set_retval */
#define FLT_SHAPING_ACTS (FLT_ACT_DELAY | FLT_ACT_RATE | FLT_ACT_NETEM)

/*
 * The one match of every hook: 1 when the rule selects the flow, else 0. dir is the
 * target-relative direction of the traffic. A rule with ports or local ports matches TCP and
 * UDP with readable ports only: never ICMP, never a non-first fragment, and never a local port
 * at connect()/sendmsg() time, where it is unknown.
 *
 * A global function, not static inline: the verifier checks a global function once, on its own,
 * instead of once per rule on every path its callers reach it by. Inlined, flt_tc_ingress cost
 * 202k processed instructions on kernel 6.18; as a global function 16k (18k on 6.1). Pointer
 * arguments of global functions may be NULL as far as the verifier knows (kernel >= 5.12).
 */
__noinline int flt_rule_matches(const struct flt_rule *rule, __u32 dir, const struct flt_flow *flow)
{
	if (!rule || !flow)
		return 0;
	if (!(rule->direction & dir))
		return 0;
	if (!flt_proto_matches(rule->protocol, flow->protocol))
		return 0;
	if (rule->nports &&
	    (!flow->peer_port_known || !flt_port_in(rule->ports, rule->nports, flow->peer_port)))
		return 0;
	if (rule->nlocal_ports &&
	    (!flow->local_port_known ||
	     !flt_port_in(rule->local_ports, rule->nlocal_ports, flow->local_port)))
		return 0;
	if (rule->ncidrs && !flt_cidr_in(rule->cidrs, rule->ncidrs, flow))
		return 0;
	return 1;
}

static __always_inline bool flt_bit_set(const __u64 *bitmap, __u32 bit)
{
	return (bitmap[(bit / 64) % FLT_SUMMARY_WORDS] >> (bit % 64)) & 1;
}

/*
 * Whether any of the target's rules could match the flow, from their summary (fault.h,
 * struct flt_rule_summary): false only when none can, so that a packet it rules out needs no
 * scan, no clock read and no counter. Each test is one condition that flt_rule_matches()
 * imposes, relaxed to the union over the rules: the direction; the protocol; a port (a rule
 * with ports needs a readable peer port in them, one with local ports only a local port, so
 * ICMP and non-first fragments pass only when some rule has neither); the peer address (a rule
 * with CIDRs needs the address in one of them).
 */
static __always_inline bool flt_summary_may_match(const struct flt_rule_summary *sum, __u32 dir,
						  const struct flt_flow *flow)
{
	__u32 bit;

	if (!(sum->directions & dir))
		return false;
	if (!flt_bit_set(sum->protocols, flow->protocol))
		return false;
	if (!(sum->flags & FLT_SUMMARY_ANY_PORT) &&
	    !(flow->peer_port_known &&
	      flt_bit_set(sum->peer_ports, flow->peer_port % FLT_SUMMARY_BITS)) &&
	    !(flow->local_port_known &&
	      flt_bit_set(sum->local_ports, flow->local_port % FLT_SUMMARY_BITS)))
		return false;
	if (sum->flags & FLT_SUMMARY_ANY_ADDR)
		return true;
	if (flow->family == FLT_AF_INET)
		bit = flt_summary_addr_bit(FLT_AF_INET, flow->peer_addr[0] & sum->addr_mask4, 0, 0,
					   0);
	else
		bit = flt_summary_addr_bit(FLT_AF_INET6, flow->peer_addr[0] & sum->addr_mask6[0],
					   flow->peer_addr[1] & sum->addr_mask6[1],
					   flow->peer_addr[2] & sum->addr_mask6[2],
					   flow->peer_addr[3] & sum->addr_mask6[3]);
	return flt_bit_set(sum->addrs, bit);
}

/*
 * The node policy's protected CIDRs (docs/policy.md): traffic whose peer is in one of them is
 * never matched, counted, dropped, rejected or shaped by any rule. The list is the object's
 * rodata, set before load: with nprotect a rodata 0 the verifier knows the callers' test
 * "nprotect && ..." is false and removes the scan, so a node without a policy pays nothing;
 * with n CIDRs a packet costs at most n compares of one to four words, before any rule.
 */
struct flt_protect {
	const struct flt_cidr *cidrs; /* FLT_MAX_PROTECT of them */
	__u32 n;
};

static __always_inline bool flt_protected(const struct flt_protect *protect,
					  const struct flt_flow *flow)
{
	__u32 i;

	for (i = 0; i < FLT_MAX_PROTECT && i < protect->n; i++) {
		if (flt_cidr_has(&protect->cidrs[i], flow))
			return true;
	}
	return false;
}

static __always_inline struct flt_counters *flt_counters_of(void *counters_map, __u32 slot,
							    __u32 rule_index)
{
	__u32 key = slot * FLT_MAX_RULES + rule_index;

	return bpf_map_lookup_elem(counters_map, &key);
}

/*
 * The verdict of the packet hooks: true drops. Traffic of a protected peer (flt_protected())
 * is passed before any rule sees it, then what the target's summary rules out
 * (flt_summary_may_match()): with 16 rules such a packet costs what it costs with one, where a
 * scan of 16 rules costs three times one's (docs/benchmarks.md). Every matching, unexpired rule
 * counts the packet (a GSO skb counts once, and loss applies to it whole, as netem's does); the
 * first rule that drops it counts the drop and no later rule draws a random number.
 * *shaping_rules gets bit i for each matching, unexpired rule i that delays, limits or steers
 * (FLT_SHAPING_ACTS): the tc hooks shape a packet that is not dropped after this scan, so that a
 * dropped packet spends no rate and draws no delay.
 *
 * Reject rules are counted as matched here too, but packets are never dropped for them: a
 * reject fails new connects and sends in the sock_addr hooks, and traffic that still flows
 * under a reject (connections made before it) shows as matched but not dropped.
 *
 * shaping_rules must point into map memory, not to the stack: fault.bpf.c's flt_scratch says
 * why (a stack mask made the 6.1 verifier give up at 1M instructions).
 *
 * Counters are per-CPU and incremented without atomics: the only race is a process-context
 * cgroup hook interrupted on the same CPU by one for the same rule, costing one count at worst.
 */
static __always_inline bool flt_packet_drops(void *rules_map, void *counters_map,
					     const struct flt_protect *protect,
					     struct __sk_buff *skb, __u32 l3_off, __u32 slot,
					     __u8 dir, __u32 *shaping_rules)
{
	const struct flt_target_rules *target;
	const struct flt_rule *rule;
	struct flt_counters *counters;
	struct flt_flow flow;
	bool drop = false;
	__u32 nrules, i;
	__u64 now_ns;

	target = bpf_map_lookup_elem(rules_map, &slot);
	if (!target)
		return false;
	nrules = target->nrules;
	if (!nrules)
		return false;
	if (flt_parse(skb, l3_off, dir, &flow))
		return false;
	if (protect->n && flt_protected(protect, &flow))
		return false;
	/* Most traffic of a faulted target is not what its faults match: it stops here. */
	if (!flt_summary_may_match(&target->summary, dir, &flow))
		return false;

	now_ns = bpf_ktime_get_ns();
	for (i = 0; i < FLT_MAX_RULES && i < nrules; i++) {
		rule = &target->rules[i];
		/* Expiry is what ends a fault when no faultline process is left to remove it. */
		if (rule->deadline_ns < now_ns)
			continue;
		if (!flt_rule_matches(rule, dir, &flow))
			continue;
		counters = flt_counters_of(counters_map, slot, i);
		if (counters) {
			counters->matched_packets++;
			counters->matched_bytes += skb->len;
		}
		if (rule->actions & FLT_SHAPING_ACTS)
			*shaping_rules |= 1U << i;
		if (drop)
			continue;
		if ((rule->actions & FLT_ACT_BLACKHOLE) ||
		    ((rule->actions & FLT_ACT_LOSS) &&
		     (__u64)bpf_get_prandom_u32() < rule->loss_threshold)) {
			drop = true;
			if (counters)
				counters->dropped_packets++;
		}
	}
	return drop;
}

/*
 * The verdict of the sock_addr hooks: the positive errno of the first matching, unexpired reject
 * rule, or 0 to allow; the summary passes most calls without a scan, as in flt_packet_drops().
 * Only rejects are counted here, as rejected_sends for an unconnected UDP sendmsg() (send true)
 * and as rejected_connects for a connect(); the packets of an allowed connection are counted by
 * the packet hooks.
 */
static __always_inline int flt_connect_errno(void *rules_map, void *counters_map,
					     const struct flt_protect *protect, __u32 slot,
					     const struct flt_flow *flow, bool send)
{
	const struct flt_target_rules *target;
	const struct flt_rule *rule;
	struct flt_counters *counters;
	__u32 nrules, i;
	__u64 now_ns;

	target = bpf_map_lookup_elem(rules_map, &slot);
	if (!target)
		return 0;
	nrules = target->nrules;
	if (!nrules)
		return 0;
	if (protect->n && flt_protected(protect, flow))
		return 0;
	if (!flt_summary_may_match(&target->summary, FLT_DIR_EGRESS, flow))
		return 0;

	now_ns = bpf_ktime_get_ns();
	for (i = 0; i < FLT_MAX_RULES && i < nrules; i++) {
		rule = &target->rules[i];
		if (!(rule->actions & FLT_ACT_REJECT) || rule->deadline_ns < now_ns)
			continue;
		if (!flt_rule_matches(rule, FLT_DIR_EGRESS, flow))
			continue;
		counters = flt_counters_of(counters_map, slot, i);
		if (counters) {
			if (send)
				counters->rejected_sends++;
			else
				counters->rejected_connects++;
		}
		return rule->reject_errno ? rule->reject_errno : FLT_EPERM;
	}
	return 0;
}

#endif /* FAULTLINE_RULES_BPF_H */
