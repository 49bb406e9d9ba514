// SPDX-License-Identifier: GPL-2.0-only
#include <math.h>
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
