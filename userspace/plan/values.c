// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scalar values of a plan. Every parser is strict: a value the kernel side would read
 * differently from what its author meant (30m1h, 0443, 10.0.0.1/8) is an error with a reason,
 * never a silent guess.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
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

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

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

/* ---- numbers with a unit: durations, times, bandwidths ------------------------------------ */

struct unit {
	const char *name;
	uint64_t scale; /* base units (ms, ns, bit/s) in one of this unit */
};

/* A kind of quantity: its units and how its messages name it. */
struct quantity_kind {
	/* "duration": "... is not a duration: " */
	const char *what;
	/* how to write one, after "is not a duration: " */
	const char *example;
	/* after "empty duration: use a number and a unit, e.g. " */
	const char *empty;
	/* after "... is negative: " */
	const char *negative;
	/* after "... has no unit: use " */
	const char *no_unit;
	/* after "unknown unit ... in ...: use " */
	const char *units_in_words;
	/* after "... has a fraction: ": what to do instead; NULL where fractions are fine */
	const char *no_fraction;
	/* at most this many digits after the '.'; 0: as many as the value resolves */
	size_t max_decimals;
	const struct unit *units;
	size_t nunits;
};

/* One number and its unit as written: digits, an optional '.' and fraction, letters. */
struct quantity {
	uint64_t whole; /* the digits before the '.' */
	bool whole_overflows;
	size_t whole_digits;
	const char *fraction; /* the digits after the '.', fraction_len of them; NULL: no '.' */
	size_t fraction_len;
	const char *unit;
	size_t unit_len;
	const struct unit *known; /* the kind's unit of that name; NULL: none */
	const char *end;	  /* what follows the unit */
};

static bool is_unit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

/* Checks that apply to the whole of s, before any scanning. */
static int check_quantity_text(const char *s, const struct quantity_kind *kind, const char **why)
{
	if (!*s)
		return fail(why, -EINVAL, "empty %s: use a number and a unit, e.g. %s", kind->what,
			    kind->empty);
	if (*s == '-')
		return fail(why, -EINVAL, "%s is negative: %s", q(s), kind->negative);
	return 0;
}

/*
 * The quantity of kind at p, which is in s (quoted by messages): 0, or -EINVAL with *why when
 * there is no number, a refused fraction, or no unit. The unit need not be one of kind's:
 * qty->known says.
 */
static int scan_quantity(const char *s, const char *p, const struct quantity_kind *kind,
			 struct quantity *qty, const char **why)
{
	size_t i;

	memset(qty, 0, sizeof(*qty));
	for (; is_digit(*p); p++, qty->whole_digits++) {
		if (qty->whole > (UINT64_MAX - (*p - '0')) / 10)
			qty->whole_overflows = true;
		else
			qty->whole = qty->whole * 10 + (*p - '0');
	}
	if (kind->no_fraction && !qty->whole_digits)
		return fail(why, -EINVAL, "%s is not a %s: %s", q(s), kind->what, kind->example);
	if (*p == '.') {
		if (kind->no_fraction)
			return fail(why, -EINVAL, "%s has a fraction: %s", q(s), kind->no_fraction);
		qty->fraction = ++p;
		for (; is_digit(*p); p++)
			qty->fraction_len++;
	}
	if (!qty->whole_digits && !qty->fraction_len)
		return fail(why, -EINVAL, "%s is not a %s: %s", q(s), kind->what, kind->example);
	if (kind->max_decimals && qty->fraction_len > kind->max_decimals)
		return fail(why, -EINVAL, "%s has more than %zu decimals", q(s),
			    kind->max_decimals);
	qty->unit = p;
	while (is_unit_char(*p))
		p++;
	qty->unit_len = p - qty->unit;
	qty->end = p;
	if (!qty->unit_len) {
		if (*p)
			return fail(why, -EINVAL, "%s is not a %s: %s", q(s), kind->what,
				    kind->example);
		return fail(why, -EINVAL, "%s has no unit: use %s", q(s), kind->no_unit);
	}
	for (i = 0; i < kind->nunits; i++) {
		if (strlen(kind->units[i].name) == qty->unit_len &&
		    !memcmp(kind->units[i].name, qty->unit, qty->unit_len))
			qty->known = &kind->units[i];
	}
	return 0;
}

/* The unit as written, cut to 15 bytes, quoted for a message. */
static const char *quoted_unit(const struct quantity *qty)
{
	char name[16];

	snprintf(name, sizeof(name), "%.*s", (int)(qty->unit_len < 15 ? qty->unit_len : 15),
		 qty->unit);
	return q(name);
}

static int unknown_unit(const char *s, const struct quantity *qty, const struct quantity_kind *kind,
			const char **why)
{
	const char *unit = quoted_unit(qty);

	return fail(why, -EINVAL, "unknown unit %s in %s: use %s", unit, q(s),
		    kind->units_in_words);
}

/*
 * The fraction of qty in base units of its unit (scale of them in one unit), rounded down
 * into *part; false when that dropped something. Trailing zeros do not count.
 */
static bool fraction_part(const struct quantity *qty, uint64_t scale, uint64_t *part)
{
	unsigned __int128 digits = 0, one = 1;
	size_t len = qty->fraction_len, i;

	while (len && qty->fraction[len - 1] == '0')
		len--;
	if (len > 19) { /* more than a 64-bit scale can resolve */
		*part = 0;
		return false;
	}
	for (i = 0; i < len; i++) {
		digits = digits * 10 + (qty->fraction[i] - '0');
		one *= 10;
	}
	digits *= scale;
	*part = (uint64_t)(digits / one);
	return digits % one == 0;
}

/* *sum = the whole number of qty in base units, plus base; false above max. */
static bool scaled_sum(const struct quantity *qty, uint64_t base, uint64_t max, uint64_t *sum)
{
	uint64_t whole;

	if (qty->whole_overflows || __builtin_mul_overflow(qty->whole, qty->known->scale, &whole) ||
	    __builtin_add_overflow(whole, base, sum))
		return false;
	return *sum <= max;
}

/* ---- durations ---------------------------------------------------------------------------- */

static const struct unit duration_units[] = {
	/* Largest first: a compound duration must use them in this order, each once. */
	{"h", 3600ULL * 1000},
	{"m", 60ULL * 1000},
	{"s", 1000},
	{"ms", 1},
};

static const struct quantity_kind durations = {
	.what = "duration",
	.example = "use a number and a unit (ms, s, m, h), e.g. 10m or 1h30m",
	.empty = "10m",
	.negative = "a duration must be positive",
	.no_unit = "ms, s, m or h, e.g. 10m",
	.units_in_words = "ms, s, m or h",
	.no_fraction = "use whole numbers of a smaller unit, e.g. 1h30m or 1500ms",
	.units = duration_units,
	.nunits = ARRAY_SIZE(duration_units),
};

int parse_duration_ms(const char *s, uint64_t *ms, const char **why)
{
	const struct unit *last_unit = NULL;
	struct quantity qty;
	uint64_t total_ms = 0;
	const char *p;
	int err;

	err = check_quantity_text(s, &durations, why);
	if (err)
		return err;
	for (p = s; *p; p = qty.end) {
		err = scan_quantity(s, p, &durations, &qty, why);
		if (err)
			return err;
		if (!qty.known)
			return unknown_unit(s, &qty, &durations, why);
		/* duration_units is largest first */
		if (last_unit && qty.known <= last_unit)
			return fail(
				why, -EINVAL,
				"%s: units must go from largest to smallest, each once (h, m, s, ms)",
				q(s));
		last_unit = qty.known;
		if (!scaled_sum(&qty, total_ms, UINT64_MAX, &total_ms))
			return fail(why, -ERANGE, "%s is too large", q(s));
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
	for (i = 0; i < ARRAY_SIZE(duration_units) && out < len; i++) {
		uint64_t n = ms / duration_units[i].scale;

		if (!n)
			continue;
		ms -= n * duration_units[i].scale;
		out += snprintf(buf + out, len - out, "%llu%s", (unsigned long long)n,
				duration_units[i].name);
	}
}

/* ---- delays ------------------------------------------------------------------------------- */

static const struct unit latency_units[] = {
	{"s", 1000000000ULL},
	{"ms", 1000000ULL},
	{"us", 1000ULL},
};

static const struct quantity_kind latencies = {
	.what = "time",
	.example = "use one number and a unit (us, ms or s), e.g. 100ms or 1.5ms",
	.empty = "100ms",
	.negative = "a time cannot be below 0",
	.no_unit = "us, ms or s, e.g. 100ms",
	.units_in_words = "us, ms or s",
	.units = latency_units,
	.nunits = ARRAY_SIZE(latency_units),
};

int parse_latency_ns(const char *s, uint64_t *ns, const char **why)
{
	uint64_t fraction_ns, total_ns;
	struct quantity qty;
	int err;

	err = check_quantity_text(s, &latencies, why);
	err = err ?: scan_quantity(s, s, &latencies, &qty, why);
	if (err)
		return err;
	if (!qty.known)
		return unknown_unit(s, &qty, &latencies, why);
	/* one unit only: 1s500ms is 1.5s here */
	if (*qty.end)
		return fail(why, -EINVAL, "%s is not a time: %s", q(s), latencies.example);
	if (!fraction_part(&qty, qty.known->scale, &fraction_ns))
		return fail(why, -EINVAL, "%s is finer than a nanosecond", q(s));
	if (!scaled_sum(&qty, fraction_ns, UINT64_MAX, &total_ns))
		return fail(why, -ERANGE, "%s is too large", q(s));
	*ns = total_ns;
	return 0;
}

/* ---- bandwidths --------------------------------------------------------------------------- */

static const struct unit bandwidth_units[] = {
	/* bits per second of one unit: SI prefixes, as tc(8) */
	{"gbit", 1000000000ULL}, {"mbit", 1000000ULL}, {"kbit", 1000ULL}, {"bit", 1ULL},
	{"GBps", 8000000000ULL}, {"MBps", 8000000ULL}, {"kBps", 8000ULL}, {"Bps", 8ULL},
};

#define BANDWIDTH_MAX_BITS (UINT64_MAX & ~7ULL) /* 2^64-8: (2^61-1) bytes/s */
#define BANDWIDTH_UNIT_LIST "bit, kbit, mbit, gbit (bits/s) or Bps, kBps, MBps, GBps (bytes/s)"

static const struct quantity_kind bandwidths = {
	.what = "bandwidth",
	.example = "use a number and a unit, e.g. 10mbit or 500kBps",
	.empty = "10mbit",
	.negative = "a bandwidth must be positive",
	.no_unit = BANDWIDTH_UNIT_LIST,
	.units_in_words = BANDWIDTH_UNIT_LIST,
	.max_decimals = 9,
	.units = bandwidth_units,
	.nunits = ARRAY_SIZE(bandwidth_units),
};

/* A unit that only differs from a known one in case: that one, else NULL. */
static const char *bandwidth_unit_case(const char *unit, size_t unit_len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bandwidth_units); i++) {
		if (strlen(bandwidth_units[i].name) == unit_len &&
		    !strncasecmp(bandwidth_units[i].name, unit, unit_len))
			return bandwidth_units[i].name;
	}
	return NULL;
}

/* Why a unit is not a bandwidth unit, with the one meant when it differs only in case. */
static int unknown_bandwidth_unit(const char *s, const struct quantity *qty, const char **why)
{
	const char *unit = qty->unit, *hint = bandwidth_unit_case(unit, qty->unit_len);
	size_t unit_len = qty->unit_len;
	int number_len = (int)(unit - s);

	/*
	 * "mbps" says megabits to most people and megabytes to tc(8), which reads its units
	 * without regard to case: refuse to pick one.
	 */
	if (hint && hint[unit_len - 3] == 'B' && unit[unit_len - 3] == 'b') {
		char bit_unit[8];
		size_t k;

		for (k = 0; k + 3 < unit_len; k++)
			bit_unit[k] = (char)(hint[k] | 0x20); /* k, M, G -> k, m, g */
		memcpy(bit_unit + k, "bit", 4);
		return fail(why, -EINVAL,
			    "%s is ambiguous: write %.*s%s for bits or %.*s%s for bytes per second",
			    q(s), number_len, s, bit_unit, number_len, s, hint);
	}
	if (hint) {
		const char *quoted = quoted_unit(qty);

		return fail(why, -EINVAL,
			    "unknown unit %s in %s: units are case-sensitive, did you mean \"%s\"?",
			    quoted, q(s), hint);
	}
	return unknown_unit(s, qty, &bandwidths, why);
}

int parse_bandwidth(const char *s, uint64_t *bytes_per_sec, const char **why)
{
	uint64_t fraction_bits, bits;
	struct quantity qty;
	int err;

	err = check_quantity_text(s, &bandwidths, why);
	err = err ?: scan_quantity(s, s, &bandwidths, &qty, why);
	if (err)
		return err;
	if (*qty.end)
		return fail(why, -EINVAL, "%s is not a bandwidth: %s", q(s), bandwidths.example);
	if (!qty.known)
		return unknown_bandwidth_unit(s, &qty, why);
	/*
	 * bits/s, the fraction rounded up: a positive value never becomes 0. The bytes/s must
	 * also be whole bits/s in 64 bits, so that they read back as bits.
	 */
	if (!fraction_part(&qty, qty.known->scale, &fraction_bits))
		fraction_bits++;
	if (!scaled_sum(&qty, fraction_bits, BANDWIDTH_MAX_BITS, &bits))
		return fail(why, -ERANGE, "%s is too large: at most %llubit", q(s),
			    (unsigned long long)BANDWIDTH_MAX_BITS);
	if (!bits)
		return fail(why, -ERANGE, "%s is zero: a bandwidth must be greater than 0", q(s));
	*bytes_per_sec = bits / 8 + (bits % 8 != 0);
	return 0;
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

/* "10.0.0.0/8", "2001:db8::/32" into buf (at least INET6_ADDRSTRLEN + 4 bytes). */
static void format_cidr(const struct plan_cidr *cidr, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(cidr->family, cidr->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, len, "%s/%u", addr, cidr->prefix_len);
}

/* Within ::ffff:0.0.0.0/96, where ipv6 sockets keep the ipv4 peers of a dual-stack socket. */
static bool is_ipv4_mapped(const struct plan_cidr *cidr)
{
	static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};

	return cidr->family == AF_INET6 && cidr->prefix_len >= 96 &&
	       !memcmp(cidr->addr, prefix, sizeof(prefix));
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
	if (is_ipv4_mapped(&parsed)) {
		struct plan_cidr ipv4 = {.family = AF_INET, .prefix_len = parsed.prefix_len - 96};
		char suggestion[INET6_ADDRSTRLEN + 8];

		/*
		 * No packet carries ::ffff:a.b.c.d (RFC 4291 2.5.5.2): the wire has the ipv4
		 * address, and the connect hooks turn a dual-stack socket's mapped peer into
		 * ipv4 too (flt_parse_sock_addr6() in bpf/flow.bpf.h). Such a cidr matches nothing.
		 */
		memcpy(ipv4.addr, parsed.addr + 12, 4);
		format_cidr(&ipv4, suggestion, sizeof(suggestion));
		return fail(why, -EINVAL,
			    "%s is an ipv4-mapped ipv6 address, which no packet carries: write %s",
			    q(s), suggestion);
	}
	*cidr = parsed;
	return 0;
}

bool cidr_is_loopback(const struct plan_cidr *cidr)
{
	static const uint8_t ipv6_loopback[16] = {[15] = 1};

	if (cidr->family == AF_INET)
		return cidr->prefix_len >= 8 && cidr->addr[0] == 127;
	return cidr->prefix_len == 128 && !memcmp(cidr->addr, ipv6_loopback, 16);
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

/* ---- names -------------------------------------------------------------------------------- */

/* A name of a plan and its value; a table of them ends with {NULL}. */
struct name_value {
	const char *name;
	int value;
};

static const struct name_value errno_names[] = {
	{"ECONNREFUSED", ECONNREFUSED},
	{"ETIMEDOUT", ETIMEDOUT},
	{"EHOSTUNREACH", EHOSTUNREACH},
	{"ENETUNREACH", ENETUNREACH},
	{"EPERM", EPERM},
	{NULL, 0},
};

static const struct name_value direction_names[] = {
	{"egress", FLT_DIR_EGRESS},
	{"ingress", FLT_DIR_INGRESS},
	{"both", FLT_DIR_BOTH},
	{NULL, 0},
};

static const struct name_value protocol_names[] = {
	{"tcp", FLT_PROTO_TCP},
	{"udp", FLT_PROTO_UDP},
	{"icmp", FLT_PROTO_ICMP},
	{"any", FLT_PROTO_ANY},
	{NULL, 0},
};

static const struct name_value distribution_names[] = {
	{"uniform", FLT_DIST_UNIFORM},
	{"normal", FLT_DIST_NORMAL},
	{"pareto", FLT_DIST_PARETO},
	{"paretonormal", FLT_DIST_PARETONORMAL},
	{NULL, 0},
};

static const struct name_value backend_names[] = {
	{"auto", PLAN_BACKEND_AUTO},
	{"edt", PLAN_BACKEND_EDT},
	{"netem", PLAN_BACKEND_NETEM},
	{NULL, 0},
};

/*
 * The value of name s in names: 0, or -EINVAL with a reason that lists them all, in table
 * order: "unknown direction \"out\": use egress, ingress or both".
 */
static int lookup_name(const struct name_value *names, const char *what, const char *s, int *value,
		       const char **why)
{
	char choices[160];
	size_t i, len = 0;

	for (i = 0; names[i].name; i++) {
		if (!strcmp(s, names[i].name)) {
			*value = names[i].value;
			return 0;
		}
	}
	choices[0] = '\0';
	for (i = 0; names[i].name && len < sizeof(choices); i++) {
		const char *separator = !i ? "" : names[i + 1].name ? ", " : " or ";

		len += snprintf(choices + len, sizeof(choices) - len, "%s%s", separator,
				names[i].name);
	}
	return fail(why, -EINVAL, "unknown %s %s: use %s", what, q(s), choices);
}

/* int fn(const char *s, type *value, const char **why): a name of names to its value. */
#define NAME_PARSER(fn, names, what, type)                                                         \
	int fn(const char *s, type *value, const char **why)                                       \
	{                                                                                          \
		int v, err = lookup_name(names, what, s, &v, why);                                 \
                                                                                                   \
		if (!err)                                                                          \
			*value = (type)v;                                                          \
		return err;                                                                        \
	}

NAME_PARSER(parse_errno_name, errno_names, "errno", int)
NAME_PARSER(parse_direction, direction_names, "direction", unsigned int)
NAME_PARSER(parse_protocol, protocol_names, "protocol", uint8_t)
NAME_PARSER(parse_distribution, distribution_names, "distribution", uint8_t)
NAME_PARSER(parse_backend, backend_names, "backend", enum plan_backend)

const char *distribution_name(uint8_t distribution)
{
	size_t i;

	for (i = 0; distribution_names[i].name; i++) {
		if (distribution_names[i].value == distribution)
			return distribution_names[i].name;
	}
	return NULL;
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

uint32_t percent_to_u32(double percent)
{
	if (percent <= 0)
		return 0;
	if (percent >= 100)
		return UINT32_MAX;
	return (uint32_t)llround(percent / 100.0 * 4294967295.0);
}
