// SPDX-License-Identifier: GPL-2.0-only
/* The scalar parsers of a plan (userspace/plan/values.c): good values, bad values, boundaries. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "fault.h"
#include "plan/values.h"

/* ---- durations ---------------------------------------------------------------------------- */

static void assert_duration(const char *s, uint64_t want_ms)
{
	const char *why = NULL;
	uint64_t ms = 12345;
	int err = parse_duration_ms(s, &ms, &why);

	if (err)
		print_error("duration \"%s\": %s\n", s, why);
	assert_int_equal(err, 0);
	assert_true(ms == want_ms);
}

static void assert_bad_duration(const char *s, int want_err, const char *want_why)
{
	const char *why = NULL;
	uint64_t ms = 12345;

	assert_int_equal(parse_duration_ms(s, &ms, &why), want_err);
	assert_non_null(why);
	assert_true(ms == 12345); /* untouched on error */
	if (want_why)
		assert_string_equal(why, want_why);
}

static void test_duration_units(void **state)
{
	(void)state;
	assert_duration("250ms", 250);
	assert_duration("10s", 10000);
	assert_duration("5m", 300000);
	assert_duration("1h", 3600000);
	assert_duration("1ms", 1);
	assert_duration("0s", 0);      /* a valid duration; plans refuse it themselves */
	assert_duration("90s", 90000); /* no carrying into larger units required */
}

static void test_duration_compound(void **state)
{
	(void)state;
	assert_duration("1h30m", 5400000);
	assert_duration("1h0m0s0ms", 3600000);
	assert_duration("2m30s500ms", 150500);
	assert_duration("1h1ms", 3600001);
}

static void test_duration_bad_syntax(void **state)
{
	(void)state;
	assert_bad_duration("", -EINVAL, "empty duration: use a number and a unit, e.g. 10m");
	assert_bad_duration("10", -EINVAL, "\"10\" has no unit: use ms, s, m or h, e.g. 10m");
	assert_bad_duration("1h30", -EINVAL, NULL);
	assert_bad_duration("10d", -EINVAL, "unknown unit \"d\" in \"10d\": use ms, s, m or h");
	assert_bad_duration("10M", -EINVAL, "unknown unit \"M\" in \"10M\": use ms, s, m or h");
	assert_bad_duration("10min", -EINVAL, NULL);
	assert_bad_duration("10mss", -EINVAL, NULL);
	assert_bad_duration("10us", -EINVAL, NULL);
	assert_bad_duration(
		"1.5h", -EINVAL,
		"\"1.5h\" has a fraction: use whole numbers of a smaller unit, e.g. 1h30m or 1500ms");
	assert_bad_duration("-5m", -EINVAL, "\"-5m\" is negative: a duration must be positive");
	assert_bad_duration("+5m", -EINVAL, NULL);
	assert_bad_duration("m", -EINVAL, NULL);
	assert_bad_duration(" 10m", -EINVAL, NULL);
	assert_bad_duration("10 m", -EINVAL, NULL);
	assert_bad_duration("10m ", -EINVAL, NULL);
	assert_bad_duration("1e3ms", -EINVAL, NULL);
}

static void test_duration_unit_order(void **state)
{
	(void)state;
	assert_bad_duration(
		"30m1h", -EINVAL,
		"\"30m1h\": units must go from largest to smallest, each once (h, m, s, ms)");
	assert_bad_duration("1h1h", -EINVAL, NULL);
	assert_bad_duration("500ms1s", -EINVAL, NULL);
}

static void test_duration_overflow(void **state)
{
	(void)state;
	/* UINT64_MAX is 18446744073709551615 ms = 5124095576030h25m51s615ms */
	assert_duration("18446744073709551615ms", UINT64_MAX);
	assert_duration("5124095576030h25m51s615ms", UINT64_MAX);
	assert_duration("5124095576030h1551615ms", UINT64_MAX);
	assert_bad_duration("18446744073709551616ms", -ERANGE,
			    "\"18446744073709551616ms\" is too large");
	assert_bad_duration("5124095576031h", -ERANGE, NULL); /* the multiplication overflows */
	assert_bad_duration("5124095576030h1551616ms", -ERANGE, NULL); /* the sum overflows */
	assert_bad_duration("99999999999999999999999999h", -ERANGE, NULL);
}

static void test_duration_format_round_trip(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} cases[] = {
		{0, "0s"},
		{1, "1ms"},
		{1500, "1s500ms"},
		{60000, "1m"},
		{3600000, "1h"},
		{5400000, "1h30m"},
		{3723004, "1h2m3s4ms"},
		{UINT64_MAX, "5124095576030h25m51s615ms"},
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		format_duration_ms(cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
		assert_duration(buf, cases[i].ms);
	}
	format_duration_ms(5400000, buf, 4); /* truncated, still a string */
	assert_true(strlen(buf) < 4);
}

/* ---- cidrs -------------------------------------------------------------------------------- */

static void assert_cidr(const char *s, int family, const char *addr, unsigned int prefix_len)
{
	struct plan_cidr cidr, want = {.family = family, .prefix_len = prefix_len};
	const char *why = NULL;
	int err;

	memset(&cidr, 0xaa, sizeof(cidr));
	err = parse_cidr(s, &cidr, &why);
	if (err)
		print_error("cidr \"%s\": %s\n", s, why);
	assert_int_equal(err, 0);
	assert_int_equal(inet_pton(family, addr, want.addr), 1);
	assert_int_equal(cidr.family, family);
	assert_int_equal(cidr.prefix_len, prefix_len);
	/* IPv4 uses the first 4 bytes; the rest must be zero, not left over */
	assert_memory_equal(cidr.addr, want.addr, sizeof(want.addr));
}

static void assert_bad_cidr(const char *s, int want_err, const char *want_why)
{
	struct plan_cidr cidr = {.family = 99};
	const char *why = NULL;

	assert_int_equal(parse_cidr(s, &cidr, &why), want_err);
	assert_non_null(why);
	assert_int_equal(cidr.family, 99);
	if (want_why)
		assert_string_equal(why, want_why);
}

static void test_cidr_ipv4(void **state)
{
	(void)state;
	assert_cidr("10.0.0.0/8", AF_INET, "10.0.0.0", 8);
	assert_cidr("203.0.113.0/24", AF_INET, "203.0.113.0", 24);
	assert_cidr("10.1.2.3", AF_INET, "10.1.2.3", 32); /* bare address: one host */
	assert_cidr("10.1.2.3/32", AF_INET, "10.1.2.3", 32);
	assert_cidr("0.0.0.0/0", AF_INET, "0.0.0.0", 0);
	assert_cidr("255.255.255.255/32", AF_INET, "255.255.255.255", 32);
	assert_cidr("10.0.0.128/25", AF_INET, "10.0.0.128", 25);
}

static void test_cidr_ipv6(void **state)
{
	(void)state;
	assert_cidr("2001:db8::/32", AF_INET6, "2001:db8::", 32);
	assert_cidr("::1", AF_INET6, "::1", 128);
	assert_cidr("::/0", AF_INET6, "::", 0);
	assert_cidr("fe80::/10", AF_INET6, "fe80::", 10);
	assert_cidr("2001:db8::1/128", AF_INET6, "2001:db8::1", 128);
}

static void test_cidr_prefix_bounds(void **state)
{
	(void)state;
	assert_bad_cidr("10.0.0.0/33", -ERANGE,
			"\"10.0.0.0/33\": prefix length 33 is over 32 for an ipv4 address");
	assert_bad_cidr("2001:db8::/129", -ERANGE,
			"\"2001:db8::/129\": prefix length 129 is over 128 for an ipv6 address");
	assert_bad_cidr("10.0.0.0/1000", -EINVAL, NULL);
	assert_bad_cidr("10.0.0.0/", -EINVAL, "\"10.0.0.0/\" has no prefix length after '/'");
	assert_bad_cidr("10.0.0.0/-1", -EINVAL, NULL);
	assert_bad_cidr("10.0.0.0/08", -EINVAL, NULL);
	assert_bad_cidr("10.0.0.0/8/8", -EINVAL, NULL);
	assert_bad_cidr("10.0.0.0/ 8", -EINVAL, NULL);
	assert_bad_cidr("10.0.0.0/8 ", -EINVAL, NULL);
}

static void test_cidr_host_bits(void **state)
{
	(void)state;
	assert_bad_cidr("10.0.0.1/8", -EINVAL,
			"10.0.0.1/8 has host bits set: did you mean 10.0.0.0/8?");
	assert_bad_cidr("10.0.0.0/0", -EINVAL,
			"10.0.0.0/0 has host bits set: did you mean 0.0.0.0/0?");
	assert_bad_cidr("10.0.0.129/25", -EINVAL,
			"10.0.0.129/25 has host bits set: did you mean 10.0.0.128/25?");
	assert_bad_cidr("2001:db8::1/32", -EINVAL,
			"2001:db8::1/32 has host bits set: did you mean 2001:db8::/32?");
	assert_bad_cidr("fe80::1/127", -EINVAL,
			"fe80::1/127 has host bits set: did you mean fe80::/127?");
}

static void test_cidr_not_an_address(void **state)
{
	(void)state;
	assert_bad_cidr("", -EINVAL, "empty cidr");
	assert_bad_cidr("db.example.com", -EINVAL,
			"\"db.example.com\" is not an ip address or cidr");
	assert_bad_cidr("10.0.0.256", -EINVAL, NULL);
	assert_bad_cidr("10.0.0", -EINVAL, NULL);
	assert_bad_cidr("010.0.0.1", -EINVAL, NULL); /* inet_pton refuses octal-looking octets */
	assert_bad_cidr(" 10.0.0.0/8", -EINVAL, NULL);
	assert_bad_cidr("fe80::1%eth0", -EINVAL, NULL); /* no zone ids */
	assert_bad_cidr("2001:db8:::1", -EINVAL, NULL);
	assert_bad_cidr("/8", -EINVAL, NULL);
	assert_bad_cidr("1111:2222:3333:4444:5555:6666:7777:8888:9999/64", -EINVAL, NULL);
}

static void test_cidr_ipv4_mapped(void **state)
{
	(void)state;
	/* no packet carries ::ffff:a.b.c.d: the ipv4 address is meant */
	assert_bad_cidr("::ffff:10.0.0.1", -EINVAL,
			"\"::ffff:10.0.0.1\" is an ipv4-mapped ipv6 address, which no packet "
			"carries: write 10.0.0.1/32");
	assert_bad_cidr("::ffff:10.0.0.0/104", -EINVAL,
			"\"::ffff:10.0.0.0/104\" is an ipv4-mapped ipv6 address, which no packet "
			"carries: write 10.0.0.0/8");
	assert_bad_cidr("::ffff:0.0.0.0/96", -EINVAL, NULL);
	/* wider prefixes reach real ipv6 addresses too; NAT64's prefix is real ipv6 */
	assert_cidr("::fffe:0:0/95", AF_INET6, "::fffe:0:0", 95);
	assert_cidr("::/0", AF_INET6, "::", 0);
	assert_cidr("64:ff9b::10.0.0.1", AF_INET6, "64:ff9b::a00:1", 128);
}

static void test_cidr_loopback(void **state)
{
	static const struct {
		const char *cidr;
		bool loopback;
	} cases[] = {
		{"127.0.0.1", true},  {"127.0.0.0/8", true}, {"127.1.0.0/16", true},
		{"::1", true},	      {"0.0.0.0/0", false},  {"126.0.0.0/7", false},
		{"128.0.0.1", false}, {"::/127", false},     {"::2", false},
	};
	struct plan_cidr cidr;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_cidr(cases[i].cidr, &cidr, &why), 0);
		if (cidr_is_loopback(&cidr) != cases[i].loopback)
			print_error("%s: loopback %d\n", cases[i].cidr, !cases[i].loopback);
		assert_true(cidr_is_loopback(&cidr) == cases[i].loopback);
	}
}

/* ---- ports -------------------------------------------------------------------------------- */

static void assert_ports(const char *s, unsigned int first, unsigned int last)
{
	struct plan_port_range range = {};
	const char *why = NULL;
	int err = parse_port_range(s, &range, &why);

	if (err)
		print_error("port \"%s\": %s\n", s, why);
	assert_int_equal(err, 0);
	assert_int_equal(range.first, first);
	assert_int_equal(range.last, last);
}

static void assert_bad_ports(const char *s, int want_err, const char *want_why)
{
	struct plan_port_range range = {7, 7};
	const char *why = NULL;

	assert_int_equal(parse_port_range(s, &range, &why), want_err);
	assert_non_null(why);
	assert_int_equal(range.first, 7);
	if (want_why)
		assert_string_equal(why, want_why);
}

static void test_port_single_and_range(void **state)
{
	(void)state;
	assert_ports("443", 443, 443);
	assert_ports("1", 1, 1);
	assert_ports("65535", 65535, 65535);
	assert_ports("8000-8100", 8000, 8100);
	assert_ports("5-5", 5, 5);
	assert_ports("1-65535", 1, 65535);
}

static void test_port_bounds(void **state)
{
	(void)state;
	assert_bad_ports("0", -ERANGE, "port 0 is out of range 1..65535");
	assert_bad_ports("65536", -ERANGE, "port 65536 is out of range 1..65535");
	assert_bad_ports("0-5", -ERANGE, "port 0 is out of range 1..65535");
	assert_bad_ports("5-65536", -ERANGE, "port 65536 is out of range 1..65535");
	assert_bad_ports("99999999999999999999", -ERANGE, NULL); /* no wrap to a small port */
	assert_bad_ports("4294967739", -ERANGE, NULL);		 /* 2^32 + 443 */
}

static void test_port_reversed_and_malformed(void **state)
{
	(void)state;
	assert_bad_ports("8100-8000", -EINVAL,
			 "range 8100-8000 is reversed: the first port must not exceed the last");
	assert_bad_ports("", -EINVAL, "empty port");
	assert_bad_ports("http", -EINVAL,
			 "\"http\" is not a port or a port range such as 8000-8100");
	assert_bad_ports("-", -EINVAL, NULL);
	assert_bad_ports("80-", -EINVAL, NULL);
	assert_bad_ports("-80", -EINVAL, NULL);
	assert_bad_ports("+80", -EINVAL, NULL);
	assert_bad_ports("80 ", -EINVAL, NULL);
	assert_bad_ports("80-90-100", -EINVAL, NULL);
	assert_bad_ports("443.0", -EINVAL, NULL);
	assert_bad_ports("1e3", -EINVAL, NULL);
	assert_bad_ports("0x50", -EINVAL, NULL);
	assert_bad_ports("0443", -EINVAL, "\"0443\" has a leading zero: write ports without one");
	assert_bad_ports("80-090", -EINVAL, NULL);
}

/* ---- percentages -------------------------------------------------------------------------- */

static void assert_percent(const char *s, double want)
{
	const char *why = NULL;
	double percent = -1;
	int err = parse_percent(s, &percent, &why);

	if (err)
		print_error("percent \"%s\": %s\n", s, why);
	assert_int_equal(err, 0);
	assert_true(percent == want);
}

static void assert_bad_percent(const char *s, int want_err, const char *want_why)
{
	const char *why = NULL;
	double percent = -1;

	assert_int_equal(parse_percent(s, &percent, &why), want_err);
	assert_non_null(why);
	assert_true(percent == -1);
	if (want_why)
		assert_string_equal(why, want_why);
}

static void test_percent_forms(void **state)
{
	(void)state;
	assert_percent("5", 5);
	assert_percent("5%", 5);
	assert_percent("5.5", 5.5);
	assert_percent("5.5%", 5.5);
	assert_percent("0.001", 0.001);
	assert_percent(".5", 0.5);
	assert_percent("100", 100);
	assert_percent("100%", 100);
	assert_percent("100.000", 100);
}

static void test_percent_bounds(void **state)
{
	(void)state;
	assert_bad_percent("0", -ERANGE, "\"0\" is out of range: use more than 0 and at most 100");
	assert_bad_percent("0%", -ERANGE, NULL);
	assert_bad_percent("0.0", -ERANGE, NULL);
	assert_bad_percent("100.1", -ERANGE, "\"100.1\" is over 100");
	assert_bad_percent("100.0000001", -ERANGE, NULL);
	assert_bad_percent("1000", -ERANGE, NULL);
}

static void test_percent_malformed(void **state)
{
	(void)state;
	assert_bad_percent("", -EINVAL, "empty percentage");
	assert_bad_percent("five", -EINVAL,
			   "\"five\" is not a percentage: use a number such as 5, 0.5 or \"5%\"");
	assert_bad_percent("%", -EINVAL, NULL);
	assert_bad_percent(".", -EINVAL, NULL);
	assert_bad_percent("5%%", -EINVAL, NULL);
	assert_bad_percent("5 %", -EINVAL, NULL);
	assert_bad_percent(" 5", -EINVAL, NULL);
	assert_bad_percent("-5", -EINVAL, NULL);
	assert_bad_percent("+5", -EINVAL, NULL);
	assert_bad_percent("1e1", -EINVAL, NULL); /* strtod would take these */
	assert_bad_percent("nan", -EINVAL, NULL);
	assert_bad_percent("inf", -EINVAL, NULL);
	assert_bad_percent("0x10", -EINVAL, NULL);
	assert_bad_percent("5,5", -EINVAL, NULL);
}

static void test_percent_or_zero_for_correlations(void **state)
{
	const char *why = NULL;
	double percent = -1;

	(void)state;
	assert_int_equal(parse_percent_or_zero("0", &percent, &why), 0);
	assert_true(percent == 0);
	assert_int_equal(parse_percent_or_zero("0%", &percent, &why), 0);
	assert_true(percent == 0);
	assert_int_equal(parse_percent_or_zero("25%", &percent, &why), 0);
	assert_true(percent == 25);
	assert_int_equal(parse_percent_or_zero("0.5", &percent, &why), 0);
	assert_true(percent == 0.5);
	assert_int_equal(parse_percent_or_zero("100", &percent, &why), 0);
	assert_true(percent == 100);

	percent = -1;
	assert_int_equal(parse_percent_or_zero("100.5%", &percent, &why), -ERANGE);
	assert_string_equal(why, "\"100.5%\" is over 100");
	assert_int_equal(parse_percent_or_zero("-1", &percent, &why), -EINVAL);
	assert_string_equal(why,
			    "\"-1\" is not a percentage: use a number such as 5, 0.5 or \"5%\"");
	assert_int_equal(parse_percent_or_zero("", &percent, &why), -EINVAL);
	assert_string_equal(why, "empty percentage");
	assert_int_equal(parse_percent_or_zero("high", &percent, &why), -EINVAL);
	assert_int_equal(parse_percent_or_zero("1e1", &percent, &why), -EINVAL);
	assert_true(percent == -1); /* untouched on error */
}

/* ---- delays ------------------------------------------------------------------------------- */

static void assert_latency(const char *s, uint64_t want_ns)
{
	const char *why = NULL;
	uint64_t ns = 12345;
	int err = parse_latency_ns(s, &ns, &why);

	if (err)
		print_error("latency \"%s\": %s\n", s, why);
	assert_int_equal(err, 0);
	assert_true(ns == want_ns);
}

static void assert_bad_latency(const char *s, int want_err, const char *want_why)
{
	const char *why = NULL;
	uint64_t ns = 12345;

	assert_int_equal(parse_latency_ns(s, &ns, &why), want_err);
	assert_non_null(why);
	assert_true(ns == 12345); /* untouched on error */
	if (want_why)
		assert_string_equal(why, want_why);
}

static void test_latency_units_and_fractions(void **state)
{
	(void)state;
	assert_latency("100ms", 100000000ULL);
	assert_latency("500us", 500000ULL);
	assert_latency("2s", 2000000000ULL);
	assert_latency("60s", 60000000000ULL);
	assert_latency("0ms", 0);
	assert_latency("1.5ms", 1500000ULL);
	assert_latency("0.25s", 250000000ULL);
	assert_latency(".5ms", 500000ULL);
	assert_latency("5.ms", 5000000ULL);
	assert_latency("0.001us", 1);			  /* one nanosecond */
	assert_latency("1.000000001s", 1000000001ULL);	  /* to the nanosecond */
	assert_latency("1.500000000000s", 1500000000ULL); /* zeros past a nanosecond are fine */
	assert_latency("0010ms", 10000000ULL);
}

static void test_latency_bad_syntax(void **state)
{
	(void)state;
	assert_bad_latency("", -EINVAL, "empty time: use a number and a unit, e.g. 100ms");
	assert_bad_latency("100", -EINVAL, "\"100\" has no unit: use us, ms or s, e.g. 100ms");
	assert_bad_latency("0.1", -EINVAL, NULL);
	assert_bad_latency("500ns", -EINVAL, "unknown unit \"ns\" in \"500ns\": use us, ms or s");
	assert_bad_latency("10MS", -EINVAL, NULL);
	assert_bad_latency("10m", -EINVAL, NULL); /* minutes are no delay */
	assert_bad_latency("10\xc2\xb5s", -EINVAL, NULL);
	assert_bad_latency("1s500ms", -EINVAL,
			   "\"1s500ms\" is not a time: use one number and a unit (us, ms or s), "
			   "e.g. 100ms or 1.5ms");
	assert_bad_latency("-5ms", -EINVAL, "\"-5ms\" is negative: a time cannot be below 0");
	assert_bad_latency("+5ms", -EINVAL, NULL);
	assert_bad_latency("ms", -EINVAL, NULL);
	assert_bad_latency(".ms", -EINVAL, NULL);
	assert_bad_latency("1.5.5ms", -EINVAL, NULL);
	assert_bad_latency("1e3ms", -EINVAL, NULL);
	assert_bad_latency(" 10ms", -EINVAL, NULL);
	assert_bad_latency("10 ms", -EINVAL, NULL);
	assert_bad_latency("10ms ", -EINVAL, NULL);
	assert_bad_latency("1,5ms", -EINVAL, NULL);
	assert_bad_latency("0.0001us", -EINVAL, "\"0.0001us\" is finer than a nanosecond");
	assert_bad_latency("1.0000000001s", -EINVAL, NULL);
}

static void test_latency_overflow(void **state)
{
	(void)state;
	/* UINT64_MAX ns is 18446744073.709551615 s */
	assert_latency("18446744073.709551615s", UINT64_MAX);
	assert_latency("18446744073709551.615us", UINT64_MAX);
	assert_bad_latency("18446744073.709551616s", -ERANGE,
			   "\"18446744073.709551616s\" is too large");
	assert_bad_latency("18446744074s", -ERANGE, NULL); /* the multiplication overflows */
	assert_bad_latency("99999999999999999999us", -ERANGE, NULL); /* the number overflows */
}

static void test_latency_canonical_forms(void **state)
{
	static const struct {
		uint64_t ns;
		const char *text;
	} cases[] = {
		{0, "0ms"},
		{1, "0.001us"},
		{1000, "1us"},
		{500000, "500us"},
		{1500000, "1.5ms"},
		{100000000, "100ms"},
		{999999999, "999.999999ms"},
		{1000000000, "1s"},
		{1500000000, "1.5s"},
		{60000000000ULL, "60s"},
		{1000000001, "1.000000001s"},
		{UINT64_MAX, "18446744073.709551615s"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_latency(cases[i].text, cases[i].ns);
}

/* ---- bandwidths --------------------------------------------------------------------------- */

static void assert_bandwidth(const char *s, uint64_t want_bytes_per_sec)
{
	const char *why = NULL;
	uint64_t bytes = 12345;
	int err = parse_bandwidth(s, &bytes, &why);

	if (err)
		print_error("bandwidth \"%s\": %s\n", s, why);
	assert_int_equal(err, 0);
	if (bytes != want_bytes_per_sec)
		print_error("bandwidth \"%s\": %llu bytes/s, want %llu\n", s,
			    (unsigned long long)bytes, (unsigned long long)want_bytes_per_sec);
	assert_true(bytes == want_bytes_per_sec);
}

static void assert_bad_bandwidth(const char *s, int want_err, const char *want_why)
{
	const char *why = NULL;
	uint64_t bytes = 12345;

	assert_int_equal(parse_bandwidth(s, &bytes, &why), want_err);
	assert_non_null(why);
	assert_true(bytes == 12345); /* untouched on error */
	if (want_why)
		assert_string_equal(why, want_why);
}

static void test_bandwidth_bit_units(void **state)
{
	(void)state;
	/* SI, as tc: 1 kbit = 1000 bit/s; stored as bytes/s */
	assert_bandwidth("10mbit", 1250000);
	assert_bandwidth("1kbit", 125);
	assert_bandwidth("1gbit", 125000000);
	assert_bandwidth("8bit", 1);
	assert_bandwidth("800bit", 100);
	assert_bandwidth("1.5mbit", 187500);
	assert_bandwidth(".5mbit", 62500);
	assert_bandwidth("2.5gbit", 312500000);
}

static void test_bandwidth_byte_units(void **state)
{
	(void)state;
	/* as tc: 1 kBps = 1000 bytes/s */
	assert_bandwidth("1Bps", 1);
	assert_bandwidth("500kBps", 500000);
	assert_bandwidth("2MBps", 2000000);
	assert_bandwidth("1GBps", 1000000000);
	assert_bandwidth("0.5kBps", 500);
	assert_bandwidth("1.25MBps", 1250000);
}

static void test_bandwidth_rounds_up_to_whole_bytes(void **state)
{
	(void)state;
	assert_bandwidth("1bit", 1); /* at least 1 byte/s */
	assert_bandwidth("9bit", 2);
	assert_bandwidth("0.001kbit", 1);
	assert_bandwidth("0.000000001bit", 1); /* any rate above 0 is at least 1 byte/s */
	assert_bandwidth("0.0000001Bps", 1);
	assert_bandwidth("1.000000001kbit", 126); /* 1000.000001 bits: 1001 bits, 126 bytes */
}

static void test_bandwidth_bad_units(void **state)
{
	(void)state;
	assert_bad_bandwidth("10", -EINVAL,
			     "\"10\" has no unit: use bit, kbit, mbit, gbit (bits/s) or Bps, kBps, "
			     "MBps, GBps (bytes/s)");
	/* megabits to most people, megabytes to tc: refused either way */
	assert_bad_bandwidth("10mbps", -EINVAL,
			     "\"10mbps\" is ambiguous: write 10mbit for bits or 10MBps for bytes "
			     "per second");
	assert_bad_bandwidth("1.5kbps", -EINVAL,
			     "\"1.5kbps\" is ambiguous: write 1.5kbit for bits or 1.5kBps for "
			     "bytes per second");
	assert_bad_bandwidth("100bps", -EINVAL,
			     "\"100bps\" is ambiguous: write 100bit for bits or 100Bps for bytes "
			     "per second");
	assert_bad_bandwidth("1Gbps", -EINVAL,
			     "\"1Gbps\" is ambiguous: write 1gbit for bits or 1GBps for bytes per "
			     "second");
	assert_bad_bandwidth("10Mbit", -EINVAL,
			     "unknown unit \"Mbit\" in \"10Mbit\": units are case-sensitive, did "
			     "you mean \"mbit\"?");
	assert_bad_bandwidth("10MBPS", -EINVAL, NULL);
	assert_bad_bandwidth("10KBps", -EINVAL,
			     "unknown unit \"KBps\" in \"10KBps\": units are case-sensitive, did "
			     "you mean \"kBps\"?");
	assert_bad_bandwidth("1tbit", -EINVAL,
			     "unknown unit \"tbit\" in \"1tbit\": use bit, kbit, mbit, gbit "
			     "(bits/s) or Bps, kBps, MBps, GBps (bytes/s)");
	assert_bad_bandwidth("10mibit", -EINVAL, NULL); /* binary prefixes: not taken */
	assert_bad_bandwidth("10kib", -EINVAL, NULL);
	assert_bad_bandwidth("10m", -EINVAL, NULL);
}

static void test_bandwidth_bad_numbers(void **state)
{
	(void)state;
	assert_bad_bandwidth("", -EINVAL, "empty bandwidth: use a number and a unit, e.g. 10mbit");
	assert_bad_bandwidth("0mbit", -ERANGE,
			     "\"0mbit\" is zero: a bandwidth must be greater than 0");
	assert_bad_bandwidth("0.0Bps", -ERANGE, NULL);
	assert_bad_bandwidth("-1mbit", -EINVAL,
			     "\"-1mbit\" is negative: a bandwidth must be positive");
	assert_bad_bandwidth("+1mbit", -EINVAL, NULL);
	assert_bad_bandwidth("mbit", -EINVAL,
			     "\"mbit\" is not a bandwidth: use a number and a unit, e.g. 10mbit or "
			     "500kBps");
	assert_bad_bandwidth("1e6bit", -EINVAL, NULL);
	assert_bad_bandwidth("10 mbit", -EINVAL, NULL);
	assert_bad_bandwidth("10mbit ", -EINVAL, NULL);
	assert_bad_bandwidth("10mbit/s", -EINVAL, NULL);
	assert_bad_bandwidth("1.2.3mbit", -EINVAL, NULL);
	assert_bad_bandwidth("1.0000000001mbit", -EINVAL,
			     "\"1.0000000001mbit\" has more than 9 decimals");
}

static void test_bandwidth_overflow(void **state)
{
	(void)state;
	/* the largest: 2^64-8 bits/s, 2^61-1 bytes/s, whose bits still fit in 64 bits */
	assert_bandwidth("18446744073709551608bit", 2305843009213693951ULL);
	assert_bandwidth("2305843009213693951Bps", 2305843009213693951ULL);
	assert_bandwidth("18446744073.709551608gbit", 2305843009213693951ULL);
	assert_bandwidth("2305843009.213693951GBps", 2305843009213693951ULL);
	assert_bad_bandwidth("18446744073709551609bit", -ERANGE,
			     "\"18446744073709551609bit\" is too large: at most "
			     "18446744073709551608bit");
	assert_bad_bandwidth("18446744073709551616bit", -ERANGE, NULL);	  /* 2^64: the number */
	assert_bad_bandwidth("2305843009213693952Bps", -ERANGE, NULL);	  /* the multiplication */
	assert_bad_bandwidth("18446744073.709551609gbit", -ERANGE, NULL); /* the fraction's sum */
	assert_bad_bandwidth("18446744074gbit", -ERANGE, NULL);
	assert_bad_bandwidth("99999999999999999999999GBps", -ERANGE, NULL);
}

static void test_bandwidth_canonical_forms(void **state)
{
	static const struct {
		uint64_t bytes_per_sec;
		const char *text;
	} cases[] = {
		{1, "8bit"},
		{3, "24bit"},
		{125, "1kbit"},
		{1250000, "10mbit"},
		{187500, "1500kbit"},
		{125000000, "1gbit"},
		{312500000, "2500mbit"},
		{2305843009213693951ULL, "18446744073709551608bit"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_bandwidth(cases[i].text, cases[i].bytes_per_sec);
}

/* ---- names -------------------------------------------------------------------------------- */

static void test_errno_names(void **state)
{
	static const struct {
		const char *name;
		int value;
	} known[] = {
		{"ECONNREFUSED", ECONNREFUSED},
		{"ETIMEDOUT", ETIMEDOUT},
		{"EHOSTUNREACH", EHOSTUNREACH},
		{"ENETUNREACH", ENETUNREACH},
		{"EPERM", EPERM},
	};
	const char *why = NULL;
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		err = 0;
		assert_int_equal(parse_errno_name(known[i].name, &err, &why), 0);
		assert_int_equal(err, known[i].value);
	}
	err = 0;
	assert_int_equal(parse_errno_name("ENOENT", &err, &why), -EINVAL);
	assert_string_equal(why, "unknown errno \"ENOENT\": use ECONNREFUSED, ETIMEDOUT, "
				 "EHOSTUNREACH, ENETUNREACH or EPERM");
	assert_int_equal(err, 0);
	assert_int_equal(parse_errno_name("econnrefused", &err, &why), -EINVAL);
	assert_int_equal(parse_errno_name("111", &err, &why), -EINVAL);
	assert_int_equal(parse_errno_name("", &err, &why), -EINVAL);
}

static void test_direction_and_protocol_names(void **state)
{
	unsigned int direction = 0;
	uint8_t protocol = 99;
	const char *why = NULL;

	(void)state;
	assert_int_equal(parse_direction("egress", &direction, &why), 0);
	assert_int_equal(direction, FLT_DIR_EGRESS);
	assert_int_equal(parse_direction("ingress", &direction, &why), 0);
	assert_int_equal(direction, FLT_DIR_INGRESS);
	assert_int_equal(parse_direction("both", &direction, &why), 0);
	assert_int_equal(direction, FLT_DIR_BOTH);
	assert_int_equal(parse_direction("Egress", &direction, &why), -EINVAL);
	assert_string_equal(why, "unknown direction \"Egress\": use egress, ingress or both");

	assert_int_equal(parse_protocol("tcp", &protocol, &why), 0);
	assert_int_equal(protocol, FLT_PROTO_TCP);
	assert_int_equal(parse_protocol("udp", &protocol, &why), 0);
	assert_int_equal(protocol, FLT_PROTO_UDP);
	assert_int_equal(parse_protocol("icmp", &protocol, &why), 0);
	assert_int_equal(protocol, FLT_PROTO_ICMP);
	assert_int_equal(parse_protocol("any", &protocol, &why), 0);
	assert_int_equal(protocol, FLT_PROTO_ANY);
	assert_int_equal(parse_protocol("TCP", &protocol, &why), -EINVAL);
	assert_int_equal(parse_protocol("6", &protocol, &why), -EINVAL);
	assert_string_equal(why, "unknown protocol \"6\": use tcp, udp, icmp or any");
}

static void test_distribution_names(void **state)
{
	static const struct {
		const char *name;
		uint8_t value;
	} known[] = {
		{"uniform", FLT_DIST_UNIFORM},
		{"normal", FLT_DIST_NORMAL},
		{"pareto", FLT_DIST_PARETO},
		{"paretonormal", FLT_DIST_PARETONORMAL},
	};
	uint8_t distribution;
	const char *why = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		distribution = 99;
		assert_int_equal(parse_distribution(known[i].name, &distribution, &why), 0);
		assert_int_equal(distribution, known[i].value);
		assert_string_equal(distribution_name(known[i].value), known[i].name);
	}
	distribution = 99;
	assert_int_equal(parse_distribution("gaussian", &distribution, &why), -EINVAL);
	assert_string_equal(why, "unknown distribution \"gaussian\": use uniform, normal, pareto "
				 "or paretonormal");
	assert_int_equal(parse_distribution("Normal", &distribution, &why), -EINVAL);
	assert_int_equal(parse_distribution("", &distribution, &why), -EINVAL);
	assert_int_equal(parse_distribution("1", &distribution, &why), -EINVAL);
	assert_int_equal(distribution, 99);
	assert_null(distribution_name(FLT_DIST_COUNT));
}

static void test_backend_names(void **state)
{
	enum plan_backend backend = PLAN_BACKEND_AUTO;
	const char *why = NULL;

	(void)state;
	assert_int_equal(parse_backend("edt", &backend, &why), 0);
	assert_int_equal(backend, PLAN_BACKEND_EDT);
	assert_int_equal(parse_backend("netem", &backend, &why), 0);
	assert_int_equal(backend, PLAN_BACKEND_NETEM);
	assert_int_equal(parse_backend("auto", &backend, &why), 0);
	assert_int_equal(backend, PLAN_BACKEND_AUTO);
	assert_int_equal(parse_backend("tc", &backend, &why), -EINVAL);
	assert_string_equal(why, "unknown backend \"tc\": use auto, edt or netem");
	assert_int_equal(parse_backend("EDT", &backend, &why), -EINVAL);
	assert_int_equal(parse_backend("", &backend, &why), -EINVAL);
	assert_int_equal(backend, PLAN_BACKEND_AUTO);
}

static void test_object_names(void **state)
{
	char name[80];
	const char *why = NULL;

	(void)state;
	assert_int_equal(check_object_name("a", &why), 0);
	assert_int_equal(check_object_name("checkout-deps-2", &why), 0);
	memset(name, 'x', 63);
	name[63] = '\0';
	assert_int_equal(check_object_name(name, &why), 0);
	name[63] = 'x';
	name[64] = '\0';
	assert_int_equal(check_object_name(name, &why), -EINVAL);
	assert_non_null(strstr(why, "is longer than 63 characters"));
	assert_int_equal(check_object_name("", &why), -EINVAL);
	assert_string_equal(why, "empty name");
	assert_int_equal(check_object_name("Checkout", &why), -EINVAL);
	assert_string_equal(why, "\"Checkout\" is not a valid name: use a-z, 0-9 and '-'");
	assert_int_equal(check_object_name("a_b", &why), -EINVAL);
	assert_int_equal(check_object_name("a.b", &why), -EINVAL);
	assert_int_equal(check_object_name("a b", &why), -EINVAL);
}

static void test_pod_uids(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(check_pod_uid("9ac48755-3968-48e4-b9dc-6d4b69f3bb42", &why), 0);
	assert_int_equal(check_pod_uid("00000000-0000-0000-0000-000000000000", &why), 0);
	assert_int_equal(check_pod_uid("9AC48755-3968-48E4-B9DC-6D4B69F3BB42", &why), -EINVAL);
	assert_string_equal(why, "\"9AC48755-3968-48E4-B9DC-6D4B69F3BB42\" is not a pod uid: "
				 "kubernetes pod uids are lower-case");
	assert_int_equal(check_pod_uid("9ac48755-3968-48e4-b9dc-6d4b69f3bb4", &why), -EINVAL);
	assert_string_equal(why, "\"9ac48755-3968-48e4-b9dc-6d4b69f3bb4\" is not a pod uid: "
				 "expected 8-4-4-4-12 lower-case hex digits");
	assert_int_equal(check_pod_uid("9ac48755-3968-48e4-b9dc-6d4b69f3bb421", &why), -EINVAL);
	assert_int_equal(check_pod_uid("9ac48755_3968_48e4_b9dc_6d4b69f3bb42", &why), -EINVAL);
	assert_int_equal(check_pod_uid("9ac48755-3968-48e4-b9dc-6d4b69f3bbg2", &why), -EINVAL);
	assert_int_equal(check_pod_uid("9ac487553-968-48e4-b9dc-6d4b69f3bb42", &why), -EINVAL);
	assert_int_equal(check_pod_uid("", &why), -EINVAL);
}

static void test_cgroup_paths(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(check_cgroup_path("/system.slice/batch.service", &why), 0);
	assert_int_equal(check_cgroup_path("system.slice/batch.service", &why), 0);
	assert_int_equal(check_cgroup_path("/a/..b/c..", &why), 0); /* not ".." components */
	assert_int_equal(check_cgroup_path("/a/../b", &why), -EINVAL);
	assert_string_equal(why, "\"/a/../b\" has a \"..\" component: cgroup paths stay inside "
				 "the cgroup2 mount");
	assert_int_equal(check_cgroup_path("..", &why), -EINVAL);
	assert_int_equal(check_cgroup_path("/a/..", &why), -EINVAL);
	assert_int_equal(check_cgroup_path("../a", &why), -EINVAL);
	assert_int_equal(check_cgroup_path("/", &why), -EINVAL);
	assert_non_null(strstr(why, "root cgroup"));
	assert_int_equal(check_cgroup_path("//", &why), -EINVAL);
	assert_int_equal(check_cgroup_path("", &why), -EINVAL);
	assert_int_equal(check_cgroup_path("/sys/fs/cgroup/system.slice", &why), -EINVAL);
	assert_non_null(strstr(why, "relative to the cgroup2 mount"));
}

static void test_netns_paths(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(check_netns_path("/run/netns/lab", &why), 0);
	assert_int_equal(check_netns_path("/proc/1234/ns/net", &why), 0);
	assert_int_equal(check_netns_path("run/netns/lab", &why), -EINVAL);
	assert_string_equal(why, "\"run/netns/lab\" is not an absolute path: use e.g. "
				 "/run/netns/NAME or /proc/PID/ns/net");
	assert_int_equal(check_netns_path("/run/netns/../x", &why), -EINVAL);
	assert_int_equal(check_netns_path("", &why), -EINVAL);
}

static void test_interface_names(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(check_ifname("eth0", &why), 0);
	assert_int_equal(check_ifname("veth1a2b", &why), 0);
	assert_int_equal(check_ifname("abcdefghijklmno", &why), 0); /* 15: IFNAMSIZ - 1 */
	assert_int_equal(check_ifname("abcdefghijklmnop", &why), -EINVAL);
	assert_string_equal(why,
			    "interface name \"abcdefghijklmnop\" is longer than 15 characters");
	assert_int_equal(check_ifname("", &why), -EINVAL);
	assert_int_equal(check_ifname(".", &why), -EINVAL);
	assert_int_equal(check_ifname("..", &why), -EINVAL);
	assert_int_equal(check_ifname("a/b", &why), -EINVAL);
	assert_int_equal(check_ifname("eth0:1", &why), -EINVAL);
	assert_int_equal(check_ifname("a b", &why), -EINVAL);
	assert_int_equal(check_ifname("a\tb", &why), -EINVAL);
}

static void test_quote_value(void **state)
{
	char buf[QUOTE_VALUE_LEN], tiny[8];
	char long_value[100];

	(void)state;
	assert_string_equal(quote_value("abc", buf, sizeof(buf)), "\"abc\"");
	assert_string_equal(quote_value("a\"b\\c", buf, sizeof(buf)), "\"a\\\"b\\\\c\"");
	assert_string_equal(quote_value("a\nb\x7f", buf, sizeof(buf)), "\"a\\x0ab\\x7f\"");
	assert_string_equal(quote_value("caf\xc3\xa9", buf, sizeof(buf)), "\"caf\xc3\xa9\"");

	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	quote_value(long_value, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 1 + 48 + 4);
	assert_string_equal(buf + 49, "\"...");

	/* a UTF-8 character across the cut stays whole */
	memset(long_value, 'x', 47);
	strcpy(long_value + 47, "\xc3\xa9yyyy");
	quote_value(long_value, buf, sizeof(buf));
	assert_string_equal(buf + 48, "\xc3\xa9\"...");

	/* worst case: every byte escaped, still fits */
	memset(long_value, '\x01', sizeof(long_value) - 1);
	quote_value(long_value, buf, sizeof(buf));
	assert_string_equal(buf + 1 + 48 * 4, "\"...");

	quote_value("abcdefghij", tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_compound),
		cmocka_unit_test(test_duration_bad_syntax),
		cmocka_unit_test(test_duration_unit_order),
		cmocka_unit_test(test_duration_overflow),
		cmocka_unit_test(test_duration_format_round_trip),
		cmocka_unit_test(test_cidr_ipv4),
		cmocka_unit_test(test_cidr_ipv6),
		cmocka_unit_test(test_cidr_prefix_bounds),
		cmocka_unit_test(test_cidr_host_bits),
		cmocka_unit_test(test_cidr_not_an_address),
		cmocka_unit_test(test_cidr_ipv4_mapped),
		cmocka_unit_test(test_cidr_loopback),
		cmocka_unit_test(test_port_single_and_range),
		cmocka_unit_test(test_port_bounds),
		cmocka_unit_test(test_port_reversed_and_malformed),
		cmocka_unit_test(test_percent_forms),
		cmocka_unit_test(test_percent_bounds),
		cmocka_unit_test(test_percent_malformed),
		cmocka_unit_test(test_percent_or_zero_for_correlations),
		cmocka_unit_test(test_latency_units_and_fractions),
		cmocka_unit_test(test_latency_bad_syntax),
		cmocka_unit_test(test_latency_overflow),
		cmocka_unit_test(test_latency_canonical_forms),
		cmocka_unit_test(test_bandwidth_bit_units),
		cmocka_unit_test(test_bandwidth_byte_units),
		cmocka_unit_test(test_bandwidth_rounds_up_to_whole_bytes),
		cmocka_unit_test(test_bandwidth_bad_units),
		cmocka_unit_test(test_bandwidth_bad_numbers),
		cmocka_unit_test(test_bandwidth_overflow),
		cmocka_unit_test(test_bandwidth_canonical_forms),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_direction_and_protocol_names),
		cmocka_unit_test(test_distribution_names),
		cmocka_unit_test(test_backend_names),
		cmocka_unit_test(test_object_names),
		cmocka_unit_test(test_pod_uids),
		cmocka_unit_test(test_cgroup_paths),
		cmocka_unit_test(test_netns_paths),
		cmocka_unit_test(test_interface_names),
		cmocka_unit_test(test_quote_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
