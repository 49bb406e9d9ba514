/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scalar values of a plan: durations, delays, bandwidths, CIDRs, port ranges, percentages,
 * errno, direction, protocol, distribution and backend names.
 */
#ifndef FAULTLINE_VALUES_H
#define FAULTLINE_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLAN_NAME_MAX 63 /* plan and object names: [a-z0-9-], 1..63 */

/* Scalar types of a plan that the parsers below produce. */
enum plan_backend {
	PLAN_BACKEND_AUTO,
	PLAN_BACKEND_EDT,
	PLAN_BACKEND_NETEM,
};

struct plan_cidr {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order, host bits cleared */
	uint8_t prefix_len;
};

struct plan_port_range {
	uint16_t first;
	uint16_t last;
};

/*
 * Each returns 0, or -EINVAL / -ERANGE with *why set to a short lower-case reason
 * ("unknown unit \"d\": use ms, s, m or h") that the caller puts after the field name.
 * A reason that quotes the input lives in a per-thread buffer, valid until the next call.
 */
/* 250ms 10s 5m 1h 1h30m: whole numbers, units largest first, each once */
int parse_duration_ms(const char *s, uint64_t *ms, const char **why);
/*
 * 10.0.0.0/8, 2001:db8::/32; a bare address is one host. Host bits set and ipv4-mapped
 * addresses (::ffff:10.0.0.1, which no packet carries) are errors.
 */
int parse_cidr(const char *s, struct plan_cidr *cidr, const char **why);
/* Inside 127.0.0.0/8 or ::1/128: traffic to and from it never leaves the lo device. */
bool cidr_is_loopback(const struct plan_cidr *cidr);
/* 443, 8000-8100: 1..65535, first <= last */
int parse_port_range(const char *s, struct plan_port_range *range, const char **why);
/* 5, 5%, 0.1: 0 < percent <= 100 */
int parse_percent(const char *s, double *percent, const char **why);
/* 0, 25, 25%, 0.5: 0 <= percent <= 100 (correlations, and probabilities that may be 0) */
int parse_percent_or_zero(const char *s, double *percent, const char **why);
/*
 * A delay or a jitter: 100ms 1.5ms 500us 2s 0.25s, one number with an optional fraction and
 * one unit (us, ms, s), exact to the nanosecond (a finer fraction is an error). 0ms is valid.
 */
int parse_latency_ns(const char *s, uint64_t *ns, const char **why);
/*
 * 10mbit 1.5gbit 800kbit (bits/s: bit kbit mbit gbit) or 500kBps 2MBps (bytes/s: Bps kBps
 * MBps GBps); SI prefixes as tc(8): 1 kbit = 1000 bit/s, 1 kBps = 1000 bytes/s. Units are
 * case-sensitive; "mbps" and the like are refused as ambiguous. At most 9 decimals. Stored in
 * bytes/s, rounded up: > 0 gives at least 1. -ERANGE for 0 or over 2^64-8 bits/s (2^61-1
 * bytes/s, whose bits/s still fit in 64 bits).
 */
int parse_bandwidth(const char *s, uint64_t *bytes_per_sec, const char **why);
/* ECONNREFUSED ETIMEDOUT EHOSTUNREACH ENETUNREACH EPERM */
int parse_errno_name(const char *s, int *err, const char **why);

/* egress ingress both -> FLT_DIR_* */
int parse_direction(const char *s, unsigned int *direction, const char **why);
/* tcp udp icmp any -> FLT_PROTO_* */
int parse_protocol(const char *s, uint8_t *protocol, const char **why);

/* uniform normal pareto paretonormal -> FLT_DIST_* */
int parse_distribution(const char *s, uint8_t *distribution, const char **why);
/* FLT_DIST_* -> "normal"...; NULL if none */
const char *distribution_name(uint8_t distribution);
/* auto edt netem -> PLAN_BACKEND_* */
int parse_backend(const char *s, enum plan_backend *backend, const char **why);

/* Checks of names and target ids; 0 or -EINVAL with *why. */
/* [a-z0-9-], 1..PLAN_NAME_MAX characters */
int check_object_name(const char *s, const char **why);
/* 8-4-4-4-12 lower-case hex */
int check_pod_uid(const char *s, const char **why);
/* relative to the cgroup2 mount, no "..", not the root */
int check_cgroup_path(const char *s, const char **why);
/* absolute, no ".." */
int check_netns_path(const char *s, const char **why);
/* the kernel's dev_valid_name() */
int check_ifname(const char *s, const char **why);

/* "1h30m", "250ms", "0s": the shortest form parse_duration_ms reads back to ms. */
void format_duration_ms(uint64_t ms, char *buf, size_t len);

/*
 * s in double quotes for a message: control bytes as \xNN, '"' and '\\' escaped, cut after
 * 48 bytes (never inside a UTF-8 sequence) with "...". A plan's value can be anything.
 */
const char *quote_value(const char *s, char *buf, size_t len);
#define QUOTE_VALUE_LEN 200

/* A probability or correlation in percent as the kernel's fraction of 2^32 (UINT32_MAX at 100%). */
uint32_t percent_to_u32(double percent);

#endif /* FAULTLINE_VALUES_H */
