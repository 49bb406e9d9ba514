// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every value parser of a plan (plan/values.c, plan/pod_id.c) and the pod-log folder names
 * (kernel/podnames.c): the first byte picks the parser, the rest is the value. Each either
 * refuses with a reason or gives a value within its documented range; a duration reads back
 * as what format_duration_ms() writes.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "kernel/podnames.h"
#include "plan/pod_id.h"
#include "plan/values.h"

typedef int (*check_fn)(const char *s, const char **why);

static const check_fn checks[] = {
	check_object_name, check_pod_uid, check_cgroup_path,
	check_netns_path,  check_ifname,  check_pod_id,
};

static void duration(const char *s)
{
	const char *why = NULL;
	uint64_t ms, again;
	char buf[64];

	if (parse_duration_ms(s, &ms, &why)) {
		fuzz_assert(why && *why);
		return;
	}
	format_duration_ms(ms, buf, sizeof(buf));
	fuzz_assert(parse_duration_ms(buf, &again, &why) == 0 && again == ms);
}

static void cidr(const char *s)
{
	struct plan_cidr c;
	const char *why = NULL;
	unsigned int bits, i;

	if (parse_cidr(s, &c, &why)) {
		fuzz_assert(why && *why);
		return;
	}
	fuzz_assert(c.family == AF_INET || c.family == AF_INET6);
	bits = c.family == AF_INET ? 32 : 128;
	fuzz_assert(c.prefix_len <= bits);
	for (i = c.prefix_len; i < bits; i++) /* host bits cleared */
		fuzz_assert(!(c.addr[i / 8] & (0x80 >> (i % 8))));
	(void)cidr_is_loopback(&c);
}

static void numbers(unsigned int which, const char *s)
{
	struct plan_port_range r;
	const char *why = NULL;
	uint64_t u;
	double d;
	int ret = 0;

	switch (which) {
	case 0:
		ret = parse_port_range(s, &r, &why);
		fuzz_assert(ret || (r.first >= 1 && r.first <= r.last));
		break;
	case 1:
		ret = parse_percent(s, &d, &why);
		fuzz_assert(ret || (d > 0 && d <= 100));
		break;
	case 2:
		ret = parse_percent_or_zero(s, &d, &why);
		fuzz_assert(ret || (d >= 0 && d <= 100));
		break;
	case 3:
		ret = parse_latency_ns(s, &u, &why);
		break;
	default:
		ret = parse_bandwidth(s, &u, &why);
		fuzz_assert(ret || u > 0);
		break;
	}
	fuzz_assert(ret == 0 || (why && *why));
}

static void names(unsigned int which, const char *s)
{
	enum plan_backend backend;
	unsigned int direction;
	uint8_t u8;
	const char *why = NULL;
	int ret, e;

	switch (which) {
	case 0:
		ret = parse_errno_name(s, &e, &why);
		break;
	case 1:
		ret = parse_direction(s, &direction, &why);
		break;
	case 2:
		ret = parse_protocol(s, &u8, &why);
		break;
	case 3:
		ret = parse_distribution(s, &u8, &why);
		if (!ret)
			fuzz_assert(distribution_name(u8) != NULL);
		break;
	default:
		ret = parse_backend(s, &backend, &why);
		break;
	}
	fuzz_assert(ret == 0 || (why && *why));
}

static void others(unsigned int which, const char *s)
{
	struct pod_name pn;
	const char *why = NULL;
	char buf[80];

	if (which < sizeof(checks) / sizeof(checks[0])) {
		fuzz_assert(checks[which](s, &why) == 0 || (why && *why));
		return;
	}
	if (which == 6) {
		if (pod_name_parse(s, &pn) == 0)
			/* a UID, or a static pod's 32 hex digits */
			fuzz_assert((check_pod_uid(pn.uid, &why) == 0 || strlen(pn.uid) == 32) &&
				    dns1123_label(pn.ns, strlen(pn.ns)) &&
				    dns1123_subdomain(pn.name, strlen(pn.name)));
		return;
	}
	quote_value(s, buf, sizeof(buf));
	fuzz_assert(memchr(buf, '\0', sizeof(buf)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int which;
	char *s;

	if (size < 1)
		return 0;
	which = data[0] % 20;
	s = fuzz_text(data + 1, size - 1);
	if (which == 0)
		duration(s);
	else if (which == 1)
		cidr(s);
	else if (which < 7)
		numbers(which - 2, s);
	else if (which < 12)
		names(which - 7, s);
	else
		others(which - 12, s);
	free(s);
	return 0;
}
