// SPDX-License-Identifier: GPL-2.0-only
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/rules.h"
#include "plan/values.h"

uint64_t rule_loss_threshold(double percent)
{
	if (percent <= 0)
		return 0;
	if (percent >= 100)
		return 1ULL << 32;
	return (uint64_t)llround(percent / 100.0 * 4294967296.0);
}

void rule_cidr_encode(const struct plan_cidr *in, struct flt_cidr *out)
{
	uint8_t mask[16] = { 0 };
	unsigned int bits = in->prefix_len, i;

	for (i = 0; i < 16 && bits > 0; i++) {
		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		bits -= bits >= 8 ? 8 : bits;
	}
	out->family = in->family == AF_INET6 ? FLT_AF_INET6 : FLT_AF_INET;
	/* Both arrays keep network byte order: the program compares them word by word. */
	memcpy(out->addr, in->addr, in->family == AF_INET6 ? 16 : 4);
	memcpy(out->mask, mask, in->family == AF_INET6 ? 16 : 4);
	for (i = 0; i < 4; i++)
		out->addr[i] &= out->mask[i];
}

static uint8_t ranges_encode(const struct plan_port_range *in, size_t n, struct flt_port_range *out)
{
	size_t i;

	for (i = 0; i < n && i < FLT_MAX_PORTS; i++) {
		out[i].first = in[i].first;
		out[i].last = in[i].last;
	}
	return (uint8_t)i;
}

void rule_encode(const struct plan_fault *fault, uint64_t deadline_ns, uint32_t netem_classid,
		 struct flt_rule *rule)
{
	size_t i;

	memset(rule, 0, sizeof(*rule));
	rule->deadline_ns = deadline_ns;
	rule->actions = (uint8_t)fault->actions;
	if (netem_classid) {
		rule->actions &= ~(FLT_ACT_LOSS | FLT_ACT_DELAY | FLT_ACT_RATE);
		rule->actions |= FLT_ACT_NETEM;
		rule->netem_classid = netem_classid;
	} else {
		rule->delay_ns = fault->actions & FLT_ACT_DELAY ? fault->delay_ns : 0;
		rule->jitter_ns = fault->actions & FLT_ACT_DELAY ? fault->jitter_ns : 0;
		rule->distribution = fault->distribution;
		rule->delay_correlation = percent_to_u32(fault->delay_correlation);
		rule->rate_bytes_per_sec = fault->actions & FLT_ACT_RATE ? fault->rate_bytes_per_sec : 0;
	}
	rule->direction = (uint8_t)fault->direction;
	rule->protocol = fault->protocol;
	if (rule->actions & FLT_ACT_LOSS)
		rule->loss_threshold = rule_loss_threshold(fault->loss_percent);
	if (fault->actions & FLT_ACT_REJECT)
		rule->reject_errno = (uint16_t)fault->reject_errno;
	for (i = 0; i < fault->ncidrs && i < FLT_MAX_CIDRS; i++)
		rule_cidr_encode(&fault->cidrs[i], &rule->cidrs[i]);
	rule->ncidrs = (uint8_t)i;
	rule->nports = ranges_encode(fault->ports, fault->nports, rule->ports);
	rule->nlocal_ports = ranges_encode(fault->local_ports, fault->nlocal_ports, rule->local_ports);
}

static void bit_set(__u64 *bitmap, uint32_t bit)
{
	bit %= FLT_SUMMARY_BITS;
	bitmap[bit / 64] |= 1ULL << (bit % 64);
}

/* Ranges as flt_port_in() reads them: the first nranges, at most FLT_MAX_PORTS. */
static void ports_summarize(const struct flt_port_range *ranges, uint8_t nranges, __u64 *bitmap)
{
	uint32_t i, port;

	for (i = 0; i < nranges && i < FLT_MAX_PORTS; i++) {
		if (ranges[i].last >= ranges[i].first &&
		    ranges[i].last - ranges[i].first + 1U >= FLT_SUMMARY_BITS) {
			memset(bitmap, 0xff, FLT_SUMMARY_WORDS * sizeof(*bitmap));
			return;
		}
		for (port = ranges[i].first; port <= ranges[i].last; port++)
			bit_set(bitmap, port);
	}
}

static void protocol_summarize(uint8_t protocol, __u64 *protocols)
{
	switch (protocol) {
	case FLT_PROTO_ANY:
		memset(protocols, 0xff, 256 / 8);
		break;
	case FLT_PROTO_ICMP: /* as flt_proto_matches() */
		protocols[IPPROTO_ICMP / 64] |= 1ULL << (IPPROTO_ICMP % 64);
		protocols[IPPROTO_ICMPV6 / 64] |= 1ULL << (IPPROTO_ICMPV6 % 64);
		break;
	default:
		protocols[protocol / 64] |= 1ULL << (protocol % 64);
	}
}

void rule_summarize(struct flt_target_rules *tr)
{
	struct flt_rule_summary *sum = &tr->summary;
	uint32_t nrules = tr->nrules < FLT_MAX_RULES ? tr->nrules : FLT_MAX_RULES, r, i, w;
	const struct flt_cidr *c;
	const struct flt_rule *rule;

	memset(sum, 0, sizeof(*sum));
	/* The masks are the AND of every CIDR's of the family: the shortest prefix. */
	sum->addr_mask4 = UINT32_MAX;
	memset(sum->addr_mask6, 0xff, sizeof(sum->addr_mask6));
	for (r = 0; r < nrules; r++) {
		rule = &tr->rules[r];
		sum->directions |= rule->direction;
		protocol_summarize(rule->protocol, sum->protocols);
		if (rule->nports)
			ports_summarize(rule->ports, rule->nports, sum->peer_ports);
		else if (rule->nlocal_ports)
			ports_summarize(rule->local_ports, rule->nlocal_ports, sum->local_ports);
		else
			sum->flags |= FLT_SUMMARY_ANY_PORT;
		if (!rule->ncidrs)
			sum->flags |= FLT_SUMMARY_ANY_ADDR;
		for (i = 0; i < rule->ncidrs && i < FLT_MAX_CIDRS; i++) {
			c = &rule->cidrs[i];
			if (c->family == FLT_AF_INET)
				sum->addr_mask4 &= c->mask[0];
			for (w = 0; c->family == FLT_AF_INET6 && w < 4; w++)
				sum->addr_mask6[w] &= c->mask[w];
		}
	}
	/* A CIDR of another family matches no packet (flt_cidr_has()): it sets no bit. */
	for (r = 0; r < nrules; r++) {
		rule = &tr->rules[r];
		for (i = 0; i < rule->ncidrs && i < FLT_MAX_CIDRS; i++) {
			c = &rule->cidrs[i];
			if (c->family == FLT_AF_INET)
				bit_set(sum->addrs, flt_summary_addr_bit(FLT_AF_INET,
									 c->addr[0] & sum->addr_mask4,
									 0, 0, 0));
			else if (c->family == FLT_AF_INET6)
				bit_set(sum->addrs,
					flt_summary_addr_bit(FLT_AF_INET6,
							     c->addr[0] & sum->addr_mask6[0],
							     c->addr[1] & sum->addr_mask6[1],
							     c->addr[2] & sum->addr_mask6[2],
							     c->addr[3] & sum->addr_mask6[3]));
		}
	}
}
