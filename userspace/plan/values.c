// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scalar values of a plan. Every parser is strict: a value the kernel side would read
 * differently from what its author meant (30m1h, 0443, 10.0.0.1/8) is an error with a reason,
 * never a silent guess.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "fault.h"
#include "plan/values.h"

/* Reasons that quote the input are formatted here; one buffer per thread, per the header. */
static __thread char why_buf[2 * QUOTE_VALUE_LEN + 160];

/* Report a failure: *why gets the reason, the caller gets err. */
static int fail(const char **why, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const char **why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	*why = why_buf;
	return err;
}

#define QUOTE_MAX_BYTES 48

const char *quote_value(const char *s, char *buf, size_t len)
{
	size_t out = 0, in;

	if (len < 3) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	buf[out++] = '"';
	for (in = 0; s[in]; in++) {
		unsigned char c = s[in];
		char piece[5];
		size_t n;

		/* Stop at a character boundary: never before a UTF-8 continuation byte. */
		if (in >= QUOTE_MAX_BYTES && (c & 0xc0) != 0x80) {
			if (out + 5 > len)
				break;
			memcpy(buf + out, "\"...", 4);
			out += 4;
			buf[out] = '\0';
			return buf;
		}
		if (c < 0x20 || c == 0x7f)
			n = snprintf(piece, sizeof(piece), "\\x%02x", c);
		else if (c == '"' || c == '\\')
			n = snprintf(piece, sizeof(piece), "\\%c", c);
		else
			n = snprintf(piece, sizeof(piece), "%c", c);
		if (out + n + 2 > len)
			break;
		memcpy(buf + out, piece, n);
		out += n;
	}
	buf[out++] = '"';
	buf[out] = '\0';
	return buf;
}

/* Quoted values for a reason: two buffers, as a reason quotes at most two values. */
static __thread char quote_bufs[2][QUOTE_VALUE_LEN];
static __thread unsigned int quote_next;

static const char *q(const char *s)
{
	char *buf = quote_bufs[quote_next++ % 2];

	return quote_value(s, buf, QUOTE_VALUE_LEN);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- durations ---------------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint64_t ms;
} duration_units[] = {
	/* Largest first: a compound duration must use them in this order, each once. */
	{"h", 3600ULL * 1000},
	{"m", 60ULL * 1000},
	{"s", 1000},
	{"ms", 1},
};

#define NUM_DURATION_UNITS (sizeof(duration_units) / sizeof(duration_units[0]))

int parse_duration_ms(const char *s, uint64_t *ms, const char **why)
{
	static const char *const example =
		"use a number and a unit (ms, s, m, h), e.g. 10m or 1h30m";
	size_t next_unit = 0; /* the smallest index into duration_units still allowed */
	uint64_t total_ms = 0;
	const char *p = s;

	if (!*s)
		return fail(why, -EINVAL, "empty duration: use a number and a unit, e.g. 10m");
	if (*s == '-')
		return fail(why, -EINVAL, "%s is negative: a duration must be positive", q(s));

	while (*p) {
		uint64_t number = 0, part_ms;
		const char *unit;
		size_t unit_len, i;
		bool overflow = false;

		if (!is_digit(*p))
			return fail(why, -EINVAL, "%s is not a duration: %s", q(s), example);
		for (; is_digit(*p); p++) {
			if (number > (UINT64_MAX - (*p - '0')) / 10)
				overflow = true;
			else
				number = number * 10 + (*p - '0');
		}
		if (*p == '.')
			return fail(
				why, -EINVAL,
				"%s has a fraction: use whole numbers of a smaller unit, e.g. 1h30m or 1500ms",
				q(s));
		unit = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (unsigned char)*p >= 0x80)
			p++;
		unit_len = p - unit;
		if (!unit_len) {
			if (*p)
				return fail(why, -EINVAL, "%s is not a duration: %s", q(s),
					    example);
			return fail(why, -EINVAL, "%s has no unit: use ms, s, m or h, e.g. 10m",
				    q(s));
		}
		for (i = 0; i < NUM_DURATION_UNITS; i++) {
			if (strlen(duration_units[i].name) == unit_len &&
			    !memcmp(duration_units[i].name, unit, unit_len))
				break;
		}
		if (i == NUM_DURATION_UNITS) {
			char name[16];

			snprintf(name, sizeof(name), "%.*s", (int)(unit_len < 15 ? unit_len : 15),
				 unit);
			return fail(why, -EINVAL, "unknown unit %s in %s: use ms, s, m or h",
				    q(name), q(s));
		}
		if (i < next_unit)
			return fail(
				why, -EINVAL,
				"%s: units must go from largest to smallest, each once (h, m, s, ms)",
				q(s));
		next_unit = i + 1;
		part_ms = number * duration_units[i].ms;
		if (overflow || (number && part_ms / number != duration_units[i].ms) ||
		    total_ms > UINT64_MAX - part_ms)
			return fail(why, -ERANGE, "%s is too large", q(s));
		total_ms += part_ms;
	}
	*ms = total_ms;
	return 0;
}

void format_duration_ms(uint64_t ms, char *buf, size_t len)
{
	size_t out = 0, i;

	if (!len)
		return;
	buf[0] = '\0';
	if (!ms) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; i < NUM_DURATION_UNITS && out < len; i++) {
		uint64_t n = ms / duration_units[i].ms;

		if (!n)
			continue;
		ms -= n * duration_units[i].ms;
		out += snprintf(buf + out, len - out, "%llu%s", (unsigned long long)n,
				duration_units[i].name);
	}
}

/* ---- addresses ---------------------------------------------------------------------------- */

static void cidr_mask(struct plan_cidr *cidr)
{
	size_t nbytes = cidr->family == AF_INET ? 4 : 16, i;

	for (i = 0; i < nbytes; i++) {
		unsigned int bits = cidr->prefix_len > i * 8 ? cidr->prefix_len - i * 8 : 0;

		if (bits < 8)
			cidr->addr[i] &= (uint8_t)(0xff00 >> bits);
	}
}

void format_cidr(const struct plan_cidr *cidr, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(cidr->family, cidr->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "%s/%u", addr, cidr->prefix_len);
}

int parse_cidr(const char *s, struct plan_cidr *cidr, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t addr_len = slash ? (size_t)(slash - s) : strlen(s);
	struct plan_cidr parsed = {};
	unsigned int max_prefix;

	if (!*s)
		return fail(why, -EINVAL, "empty cidr");
	if (addr_len >= sizeof(addr))
		return fail(why, -EINVAL, "%s is not an ip address or cidr", q(s));
	memcpy(addr, s, addr_len);
	addr[addr_len] = '\0';

	if (inet_pton(AF_INET, addr, parsed.addr) == 1) {
		parsed.family = AF_INET;
		max_prefix = 32;
	} else if (inet_pton(AF_INET6, addr, parsed.addr) == 1) {
		parsed.family = AF_INET6;
		max_prefix = 128;
	} else {
		return fail(why, -EINVAL, "%s is not an ip address or cidr", q(s));
	}

	if (!slash) {
		/* A bare address is that one host. */
		parsed.prefix_len = max_prefix;
	} else {
		const char *p = slash + 1;
		unsigned int prefix = 0;

		if (!*p)
			return fail(why, -EINVAL, "%s has no prefix length after '/'", q(s));
		for (; *p; p++) {
			if (!is_digit(*p) || p - slash > 3)
				return fail(why, -EINVAL,
					    "%s has an invalid prefix length: use 0 to %u", q(s),
					    max_prefix);
			prefix = prefix * 10 + (*p - '0');
		}
		if (slash[1] == '0' && slash[2])
			return fail(why, -EINVAL, "%s: the prefix length has a leading zero", q(s));
		if (prefix > max_prefix)
			return fail(why, -ERANGE,
				    "%s: prefix length %u is over %u for an ipv%d address", q(s),
				    prefix, max_prefix, parsed.family == AF_INET ? 4 : 6);
		parsed.prefix_len = prefix;
	}

	{
		struct plan_cidr masked = parsed;
		char suggestion[INET6_ADDRSTRLEN + 8];

		cidr_mask(&masked);
		if (memcmp(masked.addr, parsed.addr, sizeof(parsed.addr))) {
			format_cidr(&masked, suggestion, sizeof(suggestion));
			return fail(why, -EINVAL, "%s has host bits set: did you mean %s?", s,
				    suggestion);
		}
	}
	*cidr = parsed;
	return 0;
}

/* ---- ports -------------------------------------------------------------------------------- */

/* One port number at *p, advancing *p past its digits; -EINVAL when there are none. */
static int parse_port(const char **p, uint32_t *value)
{
	const char *start = *p;
	uint32_t n = 0;

	for (; is_digit(**p); (*p)++) {
		if (n <= 65535) /* stays out of range once out of range, never wraps */
			n = n * 10 + (**p - '0');
	}
	if (*p == start)
		return -EINVAL;
	*value = n;
	return 0;
}

int parse_port_range(const char *s, struct plan_port_range *range, const char **why)
{
	const char *p = s, *last_start;
	uint32_t first, last;
	size_t first_len;

	if (!*s)
		return fail(why, -EINVAL, "empty port");
	if (parse_port(&p, &first))
		goto malformed;
	first_len = p - s;
	last = first;
	last_start = s;
	if (*p == '-') {
		last_start = ++p;
		if (parse_port(&p, &last))
			goto malformed;
	}
	if (*p)
		goto malformed;
	/* YAML 1.1 reads 0443 as octal, 1.2 as decimal: refuse to guess. */
	if ((s[0] == '0' && first_len > 1) || (last_start[0] == '0' && is_digit(last_start[1])))
		return fail(why, -EINVAL, "%s has a leading zero: write ports without one", q(s));
	if (first < 1 || first > 65535)
		return fail(why, -ERANGE, "port %.*s is out of range 1..65535", (int)first_len, s);
	if (last < 1 || last > 65535)
		return fail(why, -ERANGE, "port %s is out of range 1..65535", last_start);
	if (first > last)
		return fail(why, -EINVAL,
			    "range %s is reversed: the first port must not exceed the last", s);
	range->first = first;
	range->last = last;
	return 0;

malformed:
	return fail(why, -EINVAL, "%s is not a port or a port range such as 8000-8100", q(s));
}

/* ---- percentages -------------------------------------------------------------------------- */

/* The number of a percentage: digits, an optional fraction, an optional '%'. */
static int percent_number(const char *s, double *value, const char **why)
{
	size_t digits = 0, i = 0;
	char number[64];

	if (!*s)
		return fail(why, -EINVAL, "empty percentage");
	/* digits, an optional fraction, an optional '%': no signs, exponents, hex, inf or nan */
	for (; is_digit(s[i]); i++)
		digits++;
	if (s[i] == '.')
		for (i++; is_digit(s[i]); i++)
			digits++;
	if (!digits || i >= sizeof(number) || (s[i] && strcmp(s + i, "%")))
		return fail(why, -EINVAL,
			    "%s is not a percentage: use a number such as 5, 0.5 or \"5%%\"", q(s));
	memcpy(number, s, i);
	number[i] = '\0';
	*value = strtod(number, NULL);
	return 0;
}

int parse_percent(const char *s, double *percent, const char **why)
{
	double value;
	int err;

	err = percent_number(s, &value, why);
	if (err)
		return err;
	if (value <= 0)
		return fail(why, -ERANGE, "%s is out of range: use more than 0 and at most 100",
			    q(s));
	if (value > 100)
		return fail(why, -ERANGE, "%s is over 100", q(s));
	*percent = value;
	return 0;
}

int parse_percent_or_zero(const char *s, double *percent, const char **why)
{
	double value;
	int err;

	err = percent_number(s, &value, why);
	if (err)
		return err;
	if (value > 100)
		return fail(why, -ERANGE, "%s is over 100", q(s));
	*percent = value;
	return 0;
}

/* ---- delays ------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint64_t ns;
	unsigned int decimals; /* digits of a fraction that still count whole nanoseconds */
} latency_units[] = {
	/* Largest first: format_latency_ns picks the first that fits. */
	{"s", 1000000000ULL, 9},
	{"ms", 1000000ULL, 6},
	{"us", 1000ULL, 3},
};

#define NUM_LATENCY_UNITS (sizeof(latency_units) / sizeof(latency_units[0]))

int parse_latency_ns(const char *s, uint64_t *ns, const char **why)
{
	static const char *const example =
		"use one number and a unit (us, ms or s), e.g. 100ms or 1.5ms";
	uint64_t number = 0, fraction_ns = 0, scale, whole_ns;
	const char *p = s, *fraction = NULL, *unit;
	size_t digits = 0, fraction_len = 0, unit_len, i, d;
	bool overflow = false;

	if (!*s)
		return fail(why, -EINVAL, "empty time: use a number and a unit, e.g. 100ms");
	if (*s == '-')
		return fail(why, -EINVAL, "%s is negative: a time cannot be below 0", q(s));
	for (; is_digit(*p); p++, digits++) {
		if (number > (UINT64_MAX - (*p - '0')) / 10)
			overflow = true;
		else
			number = number * 10 + (*p - '0');
	}
	if (*p == '.') {
		fraction = ++p;
		for (; is_digit(*p); p++)
			fraction_len++;
		digits += fraction_len;
	}
	if (!digits)
		return fail(why, -EINVAL, "%s is not a time: %s", q(s), example);
	unit = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (unsigned char)*p >= 0x80)
		p++;
	unit_len = p - unit;
	if (!unit_len) {
		if (*p)
			return fail(why, -EINVAL, "%s is not a time: %s", q(s), example);
		return fail(why, -EINVAL, "%s has no unit: use us, ms or s, e.g. 100ms", q(s));
	}
	for (i = 0; i < NUM_LATENCY_UNITS; i++) {
		if (strlen(latency_units[i].name) == unit_len &&
		    !memcmp(latency_units[i].name, unit, unit_len))
			break;
	}
	if (i == NUM_LATENCY_UNITS) {
		char name[16];

		snprintf(name, sizeof(name), "%.*s", (int)(unit_len < 15 ? unit_len : 15), unit);
		return fail(why, -EINVAL, "unknown unit %s in %s: use us, ms or s", q(name), q(s));
	}
	/* one unit only: 1s500ms is 1.5s here */
	if (*p)
		return fail(why, -EINVAL, "%s is not a time: %s", q(s), example);

	/* The fraction in whole nanoseconds; digits past a nanosecond must be zeros. */
	scale = latency_units[i].ns;
	for (d = 0; d < fraction_len; d++) {
		if (d < latency_units[i].decimals) {
			scale /= 10;
			fraction_ns += (uint64_t)(fraction[d] - '0') * scale;
		} else if (fraction[d] != '0') {
			return fail(why, -EINVAL, "%s is finer than a nanosecond", q(s));
		}
	}
	whole_ns = number * latency_units[i].ns;
	if (overflow || (number && whole_ns / number != latency_units[i].ns) ||
	    whole_ns > UINT64_MAX - fraction_ns)
		return fail(why, -ERANGE, "%s is too large", q(s));
	*ns = whole_ns + fraction_ns;
	return 0;
}

void format_latency_ns(uint64_t ns, char *buf, size_t len)
{
	char fraction[16];
	size_t i, n;

	if (!len)
		return;
	if (!ns) {
		snprintf(buf, len, "0ms");
		return;
	}
	for (i = 0; i + 1 < NUM_LATENCY_UNITS && ns < latency_units[i].ns; i++)
		;
	/* the remainder as decimals, trailing zeros dropped: 1500000ns is 1.5ms */
	n = snprintf(fraction, sizeof(fraction), "%0*llu", (int)latency_units[i].decimals,
		     (unsigned long long)(ns % latency_units[i].ns));
	while (n && fraction[n - 1] == '0')
		fraction[--n] = '\0';
	snprintf(buf, len, "%llu%s%s%s", (unsigned long long)(ns / latency_units[i].ns),
		 n ? "." : "", fraction, latency_units[i].name);
}

/* ---- bandwidths --------------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint64_t bits; /* bits per second of one unit: SI prefixes, as tc(8) */
} bandwidth_units[] = {
	/* Bit units first, largest first: format_bandwidth picks the first that divides. */
	{"gbit", 1000000000ULL}, {"mbit", 1000000ULL}, {"kbit", 1000ULL}, {"bit", 1ULL},
	{"GBps", 8000000000ULL}, {"MBps", 8000000ULL}, {"kBps", 8000ULL}, {"Bps", 8ULL},
};

#define NUM_BANDWIDTH_UNITS (sizeof(bandwidth_units) / sizeof(bandwidth_units[0]))
#define NUM_BIT_UNITS 4
#define BANDWIDTH_MAX_DECIMALS 9
#define BANDWIDTH_MAX_BITS (UINT64_MAX & ~7ULL) /* 2^64-8: (2^61-1) bytes/s */

#define BANDWIDTH_UNIT_LIST "bit, kbit, mbit, gbit (bits/s) or Bps, kBps, MBps, GBps (bytes/s)"

/* A unit that only differs from a known one in case: that one, else NULL. */
static const char *bandwidth_unit_case(const char *unit, size_t unit_len)
{
	size_t i;

	for (i = 0; i < NUM_BANDWIDTH_UNITS; i++) {
		if (strlen(bandwidth_units[i].name) == unit_len &&
		    !strncasecmp(bandwidth_units[i].name, unit, unit_len))
			return bandwidth_units[i].name;
	}
	return NULL;
}

int parse_bandwidth(const char *s, uint64_t *bytes_per_sec, const char **why)
{
	static const char *const example = "use a number and a unit, e.g. 10mbit or 500kBps";
	uint64_t number = 0, fraction = 0, scale = 1, whole_bits, fraction_bits, bits;
	const char *p = s, *unit, *hint;
	size_t digits = 0, fraction_len = 0, unit_len, i;
	bool overflow = false;

	if (!*s)
		return fail(why, -EINVAL, "empty bandwidth: use a number and a unit, e.g. 10mbit");
	if (*s == '-')
		return fail(why, -EINVAL, "%s is negative: a bandwidth must be positive", q(s));
	for (; is_digit(*p); p++, digits++) {
		if (number > (UINT64_MAX - (*p - '0')) / 10)
			overflow = true;
		else
			number = number * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; is_digit(*p); p++, fraction_len++) {
			if (fraction_len < BANDWIDTH_MAX_DECIMALS) {
				fraction = fraction * 10 + (*p - '0');
				scale *= 10;
			}
		}
		digits += fraction_len;
	}
	if (!digits)
		return fail(why, -EINVAL, "%s is not a bandwidth: %s", q(s), example);
	if (fraction_len > BANDWIDTH_MAX_DECIMALS)
		return fail(why, -EINVAL, "%s has more than %d decimals", q(s),
			    BANDWIDTH_MAX_DECIMALS);
	unit = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (unsigned char)*p >= 0x80)
		p++;
	unit_len = p - unit;
	if (!unit_len) {
		if (*p)
			return fail(why, -EINVAL, "%s is not a bandwidth: %s", q(s), example);
		return fail(why, -EINVAL, "%s has no unit: use " BANDWIDTH_UNIT_LIST, q(s));
	}
	if (*p)
		return fail(why, -EINVAL, "%s is not a bandwidth: %s", q(s), example);
	for (i = 0; i < NUM_BANDWIDTH_UNITS; i++) {
		if (strlen(bandwidth_units[i].name) == unit_len &&
		    !memcmp(bandwidth_units[i].name, unit, unit_len))
			break;
	}
	if (i == NUM_BANDWIDTH_UNITS) {
		char name[16];

		snprintf(name, sizeof(name), "%.*s", (int)(unit_len < 15 ? unit_len : 15), unit);
		hint = bandwidth_unit_case(unit, unit_len);
		/*
		 * "mbps" says megabits to most people and megabytes to tc(8), which reads its
		 * units without regard to case: refuse to pick one.
		 */
		if (hint && hint[unit_len - 3] == 'B' && unit[unit_len - 3] == 'b') {
			char bit_unit[8];
			size_t k;

			for (k = 0; k + 3 < unit_len; k++)
				bit_unit[k] = (char)(hint[k] | 0x20); /* k, M, G -> k, m, g */
			memcpy(bit_unit + k, "bit", 4);
			return fail(why, -EINVAL,
				    "%s is ambiguous: write %.*s%s for bits or %.*s%s for bytes "
				    "per second",
				    q(s), (int)(unit - s), s, bit_unit, (int)(unit - s), s, hint);
		}
		if (hint)
			return fail(why, -EINVAL,
				    "unknown unit %s in %s: units are case-sensitive, did you mean "
				    "\"%s\"?",
				    q(name), q(s), hint);
		return fail(why, -EINVAL, "unknown unit %s in %s: use " BANDWIDTH_UNIT_LIST,
			    q(name), q(s));
	}

	/*
	 * bits/s, the fraction rounded up: a positive value never becomes 0. The bytes/s must
	 * also be whole bits/s in 64 bits, so that they print back as bits (format_bandwidth).
	 */
	whole_bits = number * bandwidth_units[i].bits;
	fraction_bits = (fraction * bandwidth_units[i].bits + scale - 1) / scale;
	if (overflow || (number && whole_bits / number != bandwidth_units[i].bits) ||
	    whole_bits > BANDWIDTH_MAX_BITS || fraction_bits > BANDWIDTH_MAX_BITS - whole_bits)
		return fail(why, -ERANGE, "%s is too large: at most %llubit", q(s),
			    (unsigned long long)BANDWIDTH_MAX_BITS);
	bits = whole_bits + fraction_bits;
	if (!bits)
		return fail(why, -ERANGE, "%s is zero: a bandwidth must be greater than 0", q(s));
	*bytes_per_sec = bits / 8 + (bits % 8 != 0);
	return 0;
}

void format_bandwidth(uint64_t bytes_per_sec, char *buf, size_t len)
{
	uint64_t bits;
	size_t i;

	if (!len)
		return;
	if (bytes_per_sec > BANDWIDTH_MAX_BITS / 8) {
		snprintf(buf, len, "%lluBps", (unsigned long long)bytes_per_sec);
		return;
	}
	/* bits/s, as tc prints rates, in the largest unit that divides them */
	bits = bytes_per_sec * 8;
	for (i = 0; i + 1 < NUM_BIT_UNITS; i++) {
		if (bits && !(bits % bandwidth_units[i].bits))
			break;
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)(bits / bandwidth_units[i].bits),
		 bandwidth_units[i].name);
}

/* ---- names -------------------------------------------------------------------------------- */

struct name_value {
	const char *name;
	int value;
};

#define NAMES(table) (table), sizeof(table) / sizeof((table)[0])

/* The value of name s in a table: 0, or -EINVAL when it is not one of them. */
static int name_to_value(const struct name_value *table, size_t n, const char *s, int *value)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(s, table[i].name)) {
			*value = table[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *value_to_name(const struct name_value *table, size_t n, int value)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].value == value)
			return table[i].name;
	return NULL;
}

static const struct name_value errno_names[] = {
	{"ECONNREFUSED", ECONNREFUSED},
	{"ETIMEDOUT", ETIMEDOUT},
	{"EHOSTUNREACH", EHOSTUNREACH},
	{"ENETUNREACH", ENETUNREACH},
	{"EPERM", EPERM},
};

static const struct name_value direction_names[] = {
	{"egress", FLT_DIR_EGRESS},
	{"ingress", FLT_DIR_INGRESS},
	{"both", FLT_DIR_BOTH},
};

static const struct name_value protocol_names[] = {
	{"tcp", FLT_PROTO_TCP},
	{"udp", FLT_PROTO_UDP},
	{"icmp", FLT_PROTO_ICMP},
	{"any", FLT_PROTO_ANY},
};

static const struct name_value distribution_names[] = {
	{"uniform", FLT_DIST_UNIFORM},
	{"normal", FLT_DIST_NORMAL},
	{"pareto", FLT_DIST_PARETO},
	{"paretonormal", FLT_DIST_PARETONORMAL},
};

static const struct name_value backend_names[] = {
	{"auto", PLAN_BACKEND_AUTO},
	{"edt", PLAN_BACKEND_EDT},
	{"netem", PLAN_BACKEND_NETEM},
};

int parse_errno_name(const char *s, int *err, const char **why)
{
	if (!name_to_value(NAMES(errno_names), s, err))
		return 0;
	return fail(
		why, -EINVAL,
		"unknown errno %s: use ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH or EPERM",
		q(s));
}

const char *errno_name(int err)
{
	return value_to_name(NAMES(errno_names), err);
}

int parse_direction(const char *s, unsigned int *direction, const char **why)
{
	int v;

	if (!name_to_value(NAMES(direction_names), s, &v)) {
		*direction = (unsigned int)v;
		return 0;
	}
	return fail(why, -EINVAL, "unknown direction %s: use egress, ingress or both", q(s));
}

const char *direction_name(unsigned int direction)
{
	return value_to_name(NAMES(direction_names), (int)direction);
}

int parse_protocol(const char *s, uint8_t *protocol, const char **why)
{
	int v;

	if (!name_to_value(NAMES(protocol_names), s, &v)) {
		*protocol = (uint8_t)v;
		return 0;
	}
	return fail(why, -EINVAL, "unknown protocol %s: use tcp, udp, icmp or any", q(s));
}

const char *protocol_name(uint8_t protocol)
{
	return value_to_name(NAMES(protocol_names), protocol);
}

int parse_distribution(const char *s, uint8_t *distribution, const char **why)
{
	int v;

	if (!name_to_value(NAMES(distribution_names), s, &v)) {
		*distribution = (uint8_t)v;
		return 0;
	}
	return fail(why, -EINVAL,
		    "unknown distribution %s: use uniform, normal, pareto or paretonormal", q(s));
}

const char *distribution_name(uint8_t distribution)
{
	return value_to_name(NAMES(distribution_names), distribution);
}

int parse_backend(const char *s, enum plan_backend *backend, const char **why)
{
	int v;

	if (!name_to_value(NAMES(backend_names), s, &v)) {
		*backend = (enum plan_backend)v;
		return 0;
	}
	return fail(why, -EINVAL, "unknown backend %s: use auto, edt or netem", q(s));
}

const char *backend_name(enum plan_backend backend)
{
	return value_to_name(NAMES(backend_names), (int)backend);
}

int check_object_name(const char *s, const char **why)
{
	size_t len = strlen(s), i;

	if (!len)
		return fail(why, -EINVAL, "empty name");
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '-'))
			return fail(why, -EINVAL, "%s is not a valid name: use a-z, 0-9 and '-'",
				    q(s));
	}
	if (len > PLAN_NAME_MAX)
		return fail(why, -EINVAL, "%s is longer than %d characters", q(s), PLAN_NAME_MAX);
	return 0;
}

static bool is_hex(char c, bool upper)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (upper && c >= 'A' && c <= 'F');
}

/* 8-4-4-4-12 hex digits; upper says whether A-F count. */
static bool uid_shaped(const char *s, bool upper)
{
	static const char layout[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (strlen(s) != sizeof(layout) - 1)
		return false;
	for (i = 0; layout[i]; i++) {
		if (layout[i] == '-' ? s[i] != '-' : !is_hex(s[i], upper))
			return false;
	}
	return true;
}

int check_pod_uid(const char *s, const char **why)
{
	if (uid_shaped(s, false))
		return 0;
	/* kubelet names the pod's cgroup with the UID as the API server wrote it: lower-case. */
	if (uid_shaped(s, true))
		return fail(why, -EINVAL, "%s is not a pod uid: kubernetes pod uids are lower-case",
			    q(s));
	return fail(why, -EINVAL, "%s is not a pod uid: expected 8-4-4-4-12 lower-case hex digits",
		    q(s));
}

/* True when path has a ".." component. */
static bool has_dotdot(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, ".."))) {
		if ((p == path || p[-1] == '/') && (p[2] == '/' || !p[2]))
			return true;
		p += 2;
	}
	return false;
}

int check_cgroup_path(const char *s, const char **why)
{
	if (!*s)
		return fail(why, -EINVAL, "empty cgroup path");
	if (strlen(s) >= PATH_MAX)
		return fail(why, -EINVAL, "cgroup path is too long");
	if (has_dotdot(s))
		return fail(why, -EINVAL,
			    "%s has a \"..\" component: cgroup paths stay inside the cgroup2 mount",
			    q(s));
	if (s[strspn(s, "/")] == '\0')
		return fail(why, -EINVAL,
			    "\"/\" is the root cgroup, the whole host: name a cgroup below it");
	/* A common slip: the path is relative to the mount, which the agent finds itself. */
	if (!strncmp(s, "/sys/fs/cgroup/", strlen("/sys/fs/cgroup/")))
		return fail(
			why, -EINVAL,
			"%s includes the mount point: write the path relative to the cgroup2 mount, e.g. /system.slice/foo.service",
			q(s));
	return 0;
}

int check_netns_path(const char *s, const char **why)
{
	if (!*s)
		return fail(why, -EINVAL, "empty netns path");
	if (strlen(s) >= PATH_MAX)
		return fail(why, -EINVAL, "netns path is too long");
	if (s[0] != '/')
		return fail(
			why, -EINVAL,
			"%s is not an absolute path: use e.g. /run/netns/NAME or /proc/PID/ns/net",
			q(s));
	if (has_dotdot(s))
		return fail(why, -EINVAL, "%s has a \"..\" component", q(s));
	return 0;
}

/* The rules of the kernel's dev_valid_name() (net/core/dev.c). */
int check_ifname(const char *s, const char **why)
{
	size_t i;

	if (!*s)
		return fail(why, -EINVAL, "empty interface name");
	if (strlen(s) >= IFNAMSIZ)
		return fail(why, -EINVAL, "interface name %s is longer than %d characters", q(s),
			    IFNAMSIZ - 1);
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return fail(why, -EINVAL, "%s is not a valid interface name", q(s));
	for (i = 0; s[i]; i++) {
		if (s[i] == '/' || s[i] == ':' || s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))
			return fail(why, -EINVAL, "interface name %s has a '/', ':' or a space",
				    q(s));
	}
	return 0;
}
