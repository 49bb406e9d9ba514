/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The edt backend's arithmetic: where a packet's departure starts, a rule's rate and delay on
 * it (netem's delay distributions and correlation, drawn as sch_netem.c draws them), and the
 * per-flow order that keeps jitter from reordering a flow. fq on the device then holds each
 * packet until the departure time written to skb->tstamp (earliest departure time, EDT).
 *
 * No map definitions: each helper takes the maps it reads or writes as arguments (flt_rate,
 * flt_dist, flt_delay_rnd and flt_flows in fault.bpf.c's map contract, which gives their keys
 * and values), as libbpf-tools' maps.bpf.h takes its map.
 */
#ifndef FAULTLINE_EDT_BPF_H
#define FAULTLINE_EDT_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fault.h"

#define FLT_NSEC_PER_SEC 1000000000ULL
#define FLT_JITTER_MAX_NS 0x7fffffffULL /* netem's cap: min(jitter, INT_MAX) in sch_netem.c */
#define FLT_EDT_ACTS (FLT_ACT_DELAY | FLT_ACT_RATE)

/*
 * __sk_buff.tstamp_type values (include/uapi/linux/bpf.h): BPF_SKB_TSTAMP_DELIVERY_MONO since
 * 5.18, renamed BPF_SKB_CLOCK_MONOTONIC in 6.11, which also added BPF_SKB_CLOCK_TAI.
 */
#define FLT_TSTAMP_MONO 1
#define FLT_TSTAMP_TAI 2

/*
 * Where a packet's departure starts: now, or later when it already carries a departure time
 * (TCP stamps its own pacing, kernel >= 4.20). Which stamps are departure times depends on the
 * hook. On a device's ingress a stamp is a receive time (CLOCK_REALTIME, far in the future for
 * fq) unless its type says delivery time. On egress fq takes any stamp for a CLOCK_MONOTONIC
 * departure (sch_fq.c), so we do too, except one typed TAI (SO_TXTIME for etf, typed since
 * 6.11). Because we read tstamp_type, the kernel hands us skb->tstamp as it is (filter.c,
 * bpf_convert_tstamp_read()) rather than 0 for a delivery time at ingress, and stores our
 * writes to it as they are.
 */
static __always_inline __u64 flt_departure_base(struct __sk_buff *skb, bool at_ingress,
						__u64 now_ns)
{
	__u64 tstamp = skb->tstamp;
	__u8 type = skb->tstamp_type;

	if (at_ingress ? type != FLT_TSTAMP_MONO : type == FLT_TSTAMP_TAI)
		return now_ns;
	return tstamp > now_ns ? tstamp : now_ns;
}

/*
 * netem's correlated random number (get_crandom() in sch_netem.c): with c the correlation
 * times 2^32, next = ((2^32 - (c + 1)) * random + (c + 1) * last) >> 32. Neither product nor
 * their sum overflows 64 bits: both factors of each are below 2^32 and the weights sum to 2^32.
 * rnd_map: ARRAY, rule_key -> __u32, the rule's last number.
 */
static __always_inline __u32 flt_delay_random(void *rnd_map, __u32 rule_key, __u32 correlation)
{
	__u32 rnd = bpf_get_prandom_u32();
	__u64 rho;
	__u32 *last;

	if (!correlation)
		return rnd;
	last = bpf_map_lookup_elem(rnd_map, &rule_key);
	if (!last)
		return rnd;
	rho = (__u64)correlation + 1;
	rnd = (__u32)(((__u64)rnd * ((1ULL << 32) - rho) + (__u64)*last * rho) >> 32);
	*last = rnd;
	return rnd;
}

/*
 * A delay drawn as netem's tabledist() (sch_netem.c) draws it: mu = delay_ns and sigma =
 * jitter_ns; uniform gives mu - sigma + [0, 2 sigma), a table mu + t * sigma / 8192 rounded as
 * netem rounds it (the remainder of sigma / 8192 times t, plus or minus 4096, truncated). In
 * unsigned 64-bit arithmetic on |t|, since signed division needs BPF cpu v4 (kernel 6.6). A
 * sample below zero is zero: a delay never moves a departure earlier.
 *
 * One deliberate difference: netem reduces the random number with a modulo (rnd % (2 sigma),
 * table[rnd % 4096]), which keeps only its low bits, and the low bits of get_crandom()'s
 * weighted sum are no more correlated than fresh ones: netem's correlation has no measurable
 * effect below c = 0.999. We scale the number into the range instead (multiply and shift;
 * the table index is its top 12 bits). Without correlation that draws the same values with the
 * same probabilities; with it, nearby numbers give nearby delays, as iproute2's tables are
 * sorted (they are inverse CDFs), so the correlation reaches the delays.
 *
 * dist_map: ARRAY, FLT_DIST_* -> flt_dist_table; rnd_map as flt_delay_random()'s.
 */
static __always_inline __u64 flt_delay_sample(void *dist_map, void *rnd_map,
					      const struct flt_rule *rule, __u32 rule_key)
{
	__u64 mu = rule->delay_ns, sigma = rule->jitter_ns, abs_t, offset;
	const struct flt_dist_table *dist;
	__u32 rnd, dist_key, index;
	__s16 t;

	if (!sigma)
		return mu;
	if (sigma > FLT_JITTER_MAX_NS)
		sigma = FLT_JITTER_MAX_NS;
	rnd = flt_delay_random(rnd_map, rule_key, rule->delay_correlation);
	if (rule->distribution == FLT_DIST_UNIFORM) {
		offset = ((__u64)rnd * (2 * sigma)) >> 32; /* in [0, 2 sigma) */
		if (offset >= sigma)
			return mu + (offset - sigma);
		return mu > sigma - offset ? mu - (sigma - offset) : 0;
	}
	dist_key = rule->distribution;
	dist = bpf_map_lookup_elem(dist_map, &dist_key);
	if (!dist)
		return mu;
	index = (__u32)(((__u64)rnd * FLT_DIST_TABLE_SIZE) >> 32);
	if (index >= FLT_DIST_TABLE_SIZE) /* it is not; the verifier may not know */
		return mu;
	t = dist->values[index];
	abs_t = t < 0 ? (__u64)(-(__s32)t) : (__u64)t;
	offset = ((sigma % FLT_DIST_SCALE) * abs_t + FLT_DIST_SCALE / 2) / FLT_DIST_SCALE +
		 (sigma / FLT_DIST_SCALE) * abs_t;
	if (t >= 0)
		return mu + offset;
	return mu > offset ? mu - offset : 0;
}

/*
 * The departure a rate allows: not before the rule's next free time in this direction, which
 * then moves on by the packet's transmission time at the rate. Shared by every flow and every
 * CPU, hence the lock. An idle rate keeps no credit: a burst after a pause leaves spaced like
 * any other, as netem's rate does.
 * rate_map: ARRAY, rate_key -> flt_rate_state.
 */
static __always_inline __u64 flt_rate_departure(void *rate_map, const struct flt_rule *rule,
						__u32 rate_key, __u32 bytes, __u64 departure)
{
	struct flt_rate_state *state;
	__u64 tx_ns;

	if (!rule->rate_bytes_per_sec)
		return departure;
	state = bpf_map_lookup_elem(rate_map, &rate_key);
	if (!state)
		return departure;
	tx_ns = (__u64)bytes * FLT_NSEC_PER_SEC / rule->rate_bytes_per_sec;
	bpf_spin_lock(&state->lock);
	if (state->next_ns > departure)
		departure = state->next_ns;
	state->next_ns = departure + tx_ns;
	bpf_spin_unlock(&state->lock);
	return departure;
}

/*
 * One edt rule's effect on a departure time: its rate first, then its delay (a thin pipe, then a
 * long wire). rule_key is slot * FLT_MAX_RULES + rule; ingress (0 or 1) the target-relative
 * direction, which has a rate state of its own.
 */
static __always_inline __u64 flt_edt_departure(void *rate_map, void *dist_map, void *rnd_map,
					       const struct flt_rule *rule, __u32 rule_key,
					       __u32 ingress, __u32 bytes, __u64 departure)
{
	if (rule->actions & FLT_ACT_RATE)
		departure = flt_rate_departure(rate_map, rule, rule_key * 2 + ingress, bytes,
					       departure);
	if (rule->actions & FLT_ACT_DELAY)
		departure += flt_delay_sample(dist_map, rnd_map, rule, rule_key);
	return departure;
}

/*
 * A departure kept monotonic per flow (skb hash and target-relative direction, per target,
 * whichever of its rules delay the flow), or fq, which sorts each flow's packets by departure
 * time, would let jitter reorder a flow. Without atomics: two CPUs shaping one flow at the same
 * instant may both pass the check, which only a flow spread over CPUs can do.
 * flows_map: LRU_HASH, flt_flow_key -> __u64, the flow's last departure (ns).
 */
static __always_inline __u64 flt_flow_departure(void *flows_map, struct __sk_buff *skb, __u32 slot,
						__u32 ingress, __u64 departure)
{
	struct flt_flow_key flow_key;
	__u64 *last;

	flow_key.target_slot = slot;
	flow_key.flow_hash = (bpf_get_hash_recalc(skb) & ~1U) | ingress;
	last = bpf_map_lookup_elem(flows_map, &flow_key);
	if (last) {
		if (*last > departure)
			departure = *last;
		*last = departure;
	} else {
		bpf_map_update_elem(flows_map, &flow_key, &departure, BPF_ANY);
	}
	return departure;
}

/*
 * Writes the departure: on a device's ingress typed as a delivery time (CLOCK_MONOTONIC), which
 * bpf_redirect() to an IFB keeps, on egress as it is (fq reads it as CLOCK_MONOTONIC).
 */
static __always_inline void flt_set_departure(struct __sk_buff *skb, bool at_ingress,
					      __u64 departure)
{
	if (at_ingress)
		bpf_skb_set_tstamp(skb, departure, FLT_TSTAMP_MONO);
	else
		skb->tstamp = departure;
}

#endif /* FAULTLINE_EDT_BPF_H */
