// SPDX-License-Identifier: GPL-2.0-only
/*
 * netem/: the netem, fq and prio requests against bytes computed by hand from the UAPI structs
 * (no root needed), the distribution table reader, then, as root in a network namespace of its
 * own, root qdisc save/restore, IFB devices and the qdisc kinds this kernel has, each checked
 * with iproute2's `tc -j` / `ip -j` as an independent reader.
 *
 * Netlink is host-endian: the expected bytes below are little-endian (x86_64, arm64...).
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "netem/ifb.h"
#include "netem/mirred.h"
#include "netem/nlreq.h"
#include "netem/qdisc.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the expected netlink bytes in this test are little-endian"
#endif

/* Little-endian bytes of a value, lowest first. */
#define U8(v) (uint8_t)(v)
#define U16(v) (uint8_t)((v) & 0xff), (uint8_t)(((v) >> 8) & 0xff)
#define U32(v) U16((v) & 0xffff), U16(((v) >> 16) & 0xffff)
#define U64(v) U32((uint64_t)(v) & 0xffffffffULL), U32(((uint64_t)(v) >> 32) & 0xffffffffULL)

/* struct nlmsghdr (16 bytes): length, type, flags, seq 0, port id 0. */
#define NLMSGHDR(len, type, flags) U32(len), U16(type), U16(flags), U32(0), U32(0)
/* struct tcmsg (20 bytes): family AF_UNSPEC, 3 pad bytes, ifindex, handle, parent, info 0. */
#define TCMSG(ifindex, handle, parent) 0, 0, 0, 0, U32(ifindex), U32(handle), U32(parent), U32(0)
/* struct nlattr (4 bytes): length (header included, padding not), type. */
#define NLA(len, type) U16(len), U16(type)

#define RTM_NEWQDISC_TYPE 36 /* RTM_NEWQDISC */
#define FLAGS_REQ_CREATE_REPLACE 0x0501 /* NLM_F_REQUEST 0x1 | NLM_F_REPLACE 0x100 | CREATE 0x400 */
#define TEST_IFINDEX 7
#define TEST_HANDLE 0x00020000 /* 2: */
#define TEST_PARENT 0xf1f10004 /* f1f1:4, faultline's prio band 4 */

/* The start every netem message below shares once its total length is known. */
#define NETEM_HEAD(total_len)                                                                      \
	NLMSGHDR(total_len, RTM_NEWQDISC_TYPE, FLAGS_REQ_CREATE_REPLACE),                          \
		TCMSG(TEST_IFINDEX, TEST_HANDLE, TEST_PARENT),                                     \
		NLA(10, 1), /* TCA_KIND: 4 + "netem\0" */                                          \
		'n', 'e', 't', 'e', 'm', 0, 0, 0 /* 2 bytes of padding */

static uint8_t msg[NLREQ_BUF_SIZE];

/* netem_msg_build() takes (ifindex, parent, handle); struct tcmsg holds handle before parent. */
static int build_msg(const struct netem_opts *o)
{
	memset(msg, 0xa5, sizeof(msg));
	return netem_msg_build(msg, sizeof(msg), NLM_F_CREATE | NLM_F_REPLACE, TEST_IFINDEX,
			       TEST_PARENT, TEST_HANDLE, o);
}

static void assert_msg(int len, const uint8_t *expected, size_t expected_len)
{
	assert_int_equal(len, expected_len);
	assert_memory_equal(msg, expected, expected_len);
}

static void test_netem_delay_jitter_fills_ns_attrs_and_qopt_ticks(void **state)
{
	struct netem_opts o = {.latency_ns = 100000000, .jitter_ns = 10000000};
	static const uint8_t expected[] = {
		NETEM_HEAD(100), /* 16 + 20 + 12 + 52 */
		NLA(52, 2), /* TCA_OPTIONS: 4 + qopt 24 + 12 + 12 */
		U32(1562500), /* qopt.latency: 100 ms / 64 ns ticks */
		U32(1000), /* qopt.limit: 0 asked, tc's default */
		U32(0), /* qopt.loss */
		U32(0), /* qopt.gap */
		U32(0), /* qopt.duplicate */
		U32(156250), /* qopt.jitter: 10 ms / 64 ns */
		NLA(12, 10), U64(100000000), /* TCA_NETEM_LATENCY64, ns */
		NLA(12, 11), U64(10000000), /* TCA_NETEM_JITTER64, ns */
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
}

static void test_netem_delay_correlation_in_corr_attr(void **state)
{
	struct netem_opts o = {
		.latency_ns = 50000000,
		.jitter_ns = 5000000,
		.latency_corr = 1073741824, /* 25% of UINT32_MAX, rounded */
	};
	static const uint8_t expected[] = {
		NETEM_HEAD(116), /* 48 + 68 */
		NLA(68, 2), /* TCA_OPTIONS: 4 + 24 + 12 + 12 + 16 */
		U32(781250), /* latency: 50 ms / 64 ns */
		U32(1000), U32(0), U32(0), U32(0), /* limit, loss, gap, duplicate */
		U32(78125), /* jitter: 5 ms / 64 ns */
		NLA(12, 10), U64(50000000), /* LATENCY64 */
		NLA(12, 11), U64(5000000), /* JITTER64 */
		NLA(16, 1), /* TCA_NETEM_CORR: struct tc_netem_corr */
		U32(1073741824), /* delay_corr */
		U32(0), /* loss_corr */
		U32(0), /* dup_corr */
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
}

static void test_netem_plain_loss_in_qopt_with_correlation(void **state)
{
	struct netem_opts o = {.loss = 42949673 /* 1% */, .loss_corr = 1073741824 /* 25% */};
	static const uint8_t expected[] = {
		NETEM_HEAD(92), /* 48 + 44 */
		NLA(44, 2), /* TCA_OPTIONS: 4 + 24 + 16 */
		U32(0), U32(1000), /* latency, limit */
		U32(42949673), /* qopt.loss */
		U32(0), U32(0), U32(0), /* gap, duplicate, jitter */
		NLA(16, 1), U32(0), U32(1073741824), U32(0), /* CORR: loss_corr */
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
}

static void test_netem_duplicate_in_qopt_with_limit(void **state)
{
	struct netem_opts o = {
		.limit = 200,
		.duplicate = 214748365, /* 5% */
		.duplicate_corr = 429496730, /* 10% */
	};
	static const uint8_t expected[] = {
		NETEM_HEAD(92),
		NLA(44, 2),
		U32(0), /* latency */
		U32(200), /* limit as asked */
		U32(0), U32(0), /* loss, gap */
		U32(214748365), /* qopt.duplicate */
		U32(0), /* jitter */
		NLA(16, 1), U32(0), U32(0), U32(429496730), /* CORR: dup_corr */
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
}

static void test_netem_corrupt_attr(void **state)
{
	struct netem_opts o = {.corrupt = 4294967 /* 0.1% */};
	static const uint8_t expected[] = {
		NETEM_HEAD(88), /* 48 + 40 */
		NLA(40, 2), /* 4 + 24 + 12 */
		U32(0), U32(1000), U32(0), U32(0), U32(0), U32(0),
		NLA(12, 4), /* TCA_NETEM_CORRUPT: struct tc_netem_corrupt */
		U32(4294967), /* probability */
		U32(0), /* correlation */
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
}

static void test_netem_reorder_sets_gap_1_and_reorder_attr(void **state)
{
	struct netem_opts o = {
		.latency_ns = 10000000,
		.reorder = 1073741824, /* 25% */
		.reorder_corr = 2147483648U, /* 50% */
	};
	static const uint8_t expected[] = {
		NETEM_HEAD(100), /* 48 + 52 */
		NLA(52, 2), /* 4 + 24 + 12 + 12 */
		U32(156250), /* latency: 10 ms / 64 ns */
		U32(1000), U32(0), /* limit, loss */
		U32(1), /* gap: netem reorders only with one (tc sets 1 too) */
		U32(0), U32(0), /* duplicate, jitter */
		NLA(12, 10), U64(10000000), /* LATENCY64 */
		NLA(12, 3), /* TCA_NETEM_REORDER: struct tc_netem_reorder */
		U32(1073741824), /* probability */
		U32(2147483648U), /* correlation */
	};
	/* qopt.gap sits after nlmsghdr, tcmsg, TCA_KIND, the TCA_OPTIONS header and 3 u32. */
	const size_t gap_offset = 16 + 20 + 12 + 4 + 12;
	uint32_t gap;

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));

	o.gap = 5;
	assert_int_equal(build_msg(&o), sizeof(expected));
	memcpy(&gap, msg + gap_offset, sizeof(gap));
	assert_int_equal(gap, 5);
}

static void test_netem_rate_below_2_32_in_rate_attr_only(void **state)
{
	struct netem_opts o = {.rate_bytes_per_sec = 1250000 /* 10 mbit/s */};
	static const uint8_t expected[] = {
		NETEM_HEAD(96), /* 48 + 48 */
		NLA(48, 2), /* 4 + 24 + 20 */
		U32(0), U32(1000), U32(0), U32(0), U32(0), U32(0),
		NLA(20, 6), /* TCA_NETEM_RATE: struct tc_netem_rate */
		U32(1250000), /* rate, bytes/s */
		U32(0), /* packet_overhead */
		U32(0), /* cell_size */
		U32(0), /* cell_overhead */
	};
	static const uint8_t expected_max[] = {
		NETEM_HEAD(96),
		NLA(48, 2),
		U32(0), U32(1000), U32(0), U32(0), U32(0), U32(0),
		NLA(20, 6), U32(4294967295U), U32(0), U32(0), U32(0), /* 2^32 - 1 still fits */
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
	o.rate_bytes_per_sec = 4294967295ULL;
	assert_msg(build_msg(&o), expected_max, sizeof(expected_max));
}

static void test_netem_rate_from_2_32_adds_rate64(void **state)
{
	struct netem_opts o = {.rate_bytes_per_sec = 5000000000ULL /* 40 gbit/s */};
	static const uint8_t expected[] = {
		NETEM_HEAD(108), /* 48 + 60 */
		NLA(60, 2), /* 4 + 24 + 12 + 20 */
		U32(0), U32(1000), U32(0), U32(0), U32(0), U32(0),
		NLA(12, 8), U64(5000000000ULL), /* TCA_NETEM_RATE64 */
		NLA(20, 6), /* TCA_NETEM_RATE */
		U32(4294967295U), /* ~0U: "see RATE64" (the kernel keeps the larger) */
		U32(0), U32(0), U32(0),
	};
	static const uint8_t expected_boundary[] = {
		NETEM_HEAD(108),
		NLA(60, 2),
		U32(0), U32(1000), U32(0), U32(0), U32(0), U32(0),
		NLA(12, 8), U64(4294967296ULL), /* exactly 2^32 */
		NLA(20, 6), U32(4294967295U), U32(0), U32(0), U32(0),
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
	o.rate_bytes_per_sec = 4294967296ULL;
	assert_msg(build_msg(&o), expected_boundary, sizeof(expected_boundary));
}

static void test_netem_gilbert_elliott_loss_is_a_flagged_nest(void **state)
{
	struct netem_opts o = {
		.loss_ge = true,
		.ge_p = 42949673, /* 1% */
		.ge_r = 429496730, /* 10% */
		.ge_h = 858993459, /* 20% */
		.ge_k1 = 4294967, /* 0.1% */
	};
	static const uint8_t expected[] = {
		NETEM_HEAD(100), /* 48 + 52 */
		NLA(52, 2), /* 4 + 24 + 24 */
		U32(0), U32(1000), U32(0), U32(0), U32(0), U32(0), /* no plain loss */
		NLA(24, 0x8005), /* TCA_NETEM_LOSS (5) | NLA_F_NESTED (0x8000) */
		NLA(20, 2), /* NETEM_LOSS_GE: struct tc_netem_gemodel */
		U32(42949673), /* p */
		U32(429496730), /* r */
		U32(858993459), /* h */
		U32(4294967), /* k1 */
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
}

static void test_netem_distribution_table_s16_padded(void **state)
{
	static const int16_t table[] = {-32768, -1, 0, 1, 32767};
	struct netem_opts o = {
		.latency_ns = 100000000,
		.jitter_ns = 10000000,
		.dist = table,
		.dist_len = 5,
	};
	static const uint8_t expected[] = {
		NETEM_HEAD(116), /* 48 + 68 */
		NLA(68, 2), /* 4 + 24 + 12 + 12 + 16: the options cover the last padding */
		U32(1562500), U32(1000), U32(0), U32(0), U32(0), U32(156250),
		NLA(12, 10), U64(100000000),
		NLA(12, 11), U64(10000000),
		NLA(14, 2), /* TCA_NETEM_DELAY_DIST: 4 + 5 * 2 bytes */
		0x00, 0x80, /* -32768 */
		0xff, 0xff, /* -1 */
		0x00, 0x00, /* 0 */
		0x01, 0x00, /* 1 */
		0xff, 0x7f, /* 32767 */
		0, 0, /* padding to 4 */
	};

	(void)state;
	assert_msg(build_msg(&o), expected, sizeof(expected));
}

static void test_netem_all_attrs_ordered_and_aligned(void **state)
{
	static const int16_t table[] = {5, -5, 7};
	struct netem_opts o = {
		.latency_ns = 20000000,
		.jitter_ns = 2000000,
		.latency_corr = 1,
		.limit = 5000,
		.duplicate = 7,
		.duplicate_corr = 8,
		.reorder = 9,
		.reorder_corr = 10,
		.corrupt = 11,
		.corrupt_corr = 12,
		.loss_ge = true,
		.ge_p = 13,
		.ge_r = 14,
		.ge_h = 15,
		.ge_k1 = 16,
		.rate_bytes_per_sec = 4294967296ULL,
		.dist = table,
		.dist_len = 3,
	};
	static const uint8_t expected[] = {
		NETEM_HEAD(208), /* 48 + 160 */
		NLA(160, 2), /* 4 + 24 + 12 + 12 + 16 + 12 + 12 + 24 + 12 + 20 + 12 */
		U32(312500), /* latency: 20 ms / 64 ns */
		U32(5000), /* limit */
		U32(0), /* loss: the GE model instead */
		U32(1), /* gap */
		U32(7), /* duplicate */
		U32(31250), /* jitter: 2 ms / 64 ns */
		NLA(12, 10), U64(20000000), /* LATENCY64 */
		NLA(12, 11), U64(2000000), /* JITTER64 */
		NLA(16, 1), U32(1), U32(0), U32(8), /* CORR: delay, loss, dup */
		NLA(12, 3), U32(9), U32(10), /* REORDER */
		NLA(12, 4), U32(11), U32(12), /* CORRUPT */
		NLA(24, 0x8005), NLA(20, 2), U32(13), U32(14), U32(15), U32(16), /* LOSS { GE } */
		NLA(12, 8), U64(4294967296ULL), /* RATE64 */
		NLA(20, 6), U32(4294967295U), U32(0), U32(0), U32(0), /* RATE */
		NLA(10, 2), U16(5), U16(-5), U16(7), 0, 0, /* DELAY_DIST, padded */
	};
	static const uint16_t order[] = {10, 11, 1, 3, 4, 0x8005, 8, 6, 2};
	const struct nlattr *options, *attr;
	size_t i = 0, offset;
	int len;

	(void)state;
	len = build_msg(&o);
	assert_msg(len, expected, sizeof(expected));

	/* The same, read back as the kernel's parse_attr() does: after the aligned qopt. */
	options = (const struct nlattr *)(msg + 16 + 20 + 12);
	assert_int_equal(options->nla_type, TCA_OPTIONS);
	offset = 4 + MNL_ALIGN(sizeof(struct tc_netem_qopt));
	while (offset < options->nla_len) {
		attr = (const struct nlattr *)((const uint8_t *)options + offset);
		assert_int_equal((uintptr_t)attr % 4, 0);
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_int_equal(attr->nla_type, order[i]);
		offset += MNL_ALIGN(attr->nla_len);
		i++;
	}
	assert_int_equal(offset, options->nla_len);
	assert_int_equal(i, sizeof(order) / sizeof(order[0]));
}

static void test_netem_refuses_what_netem_would_ignore(void **state)
{
	static const int16_t table[] = {1};
	struct netem_opts o;

	(void)state;
	o = (struct netem_opts){.reorder = 1}; /* reorder without delay */
	assert_int_equal(build_msg(&o), -EINVAL);
	o = (struct netem_opts){.latency_ns = 1000, .gap = 3}; /* gap without reorder */
	assert_int_equal(build_msg(&o), -EINVAL);
	o = (struct netem_opts){.loss = 1, .loss_ge = true}; /* two loss models */
	assert_int_equal(build_msg(&o), -EINVAL);
	o = (struct netem_opts){.latency_ns = 1000, .dist = table, .dist_len = 1}; /* no jitter */
	assert_int_equal(build_msg(&o), -EINVAL);
	o = (struct netem_opts){.latency_ns = 1, .jitter_ns = 1, .dist = table, .dist_len = 0};
	assert_int_equal(build_msg(&o), -EINVAL);
	o = (struct netem_opts){.latency_ns = 1, .jitter_ns = 1, .dist = table,
				.dist_len = NETEM_DIST_MAX + 1};
	assert_int_equal(build_msg(&o), -EINVAL);
	o = (struct netem_opts){.jitter_ns = 2147483648ULL}; /* beyond the kernel's INT_MAX cap */
	assert_int_equal(build_msg(&o), -ERANGE);
	o = (struct netem_opts){.latency_ns = 1ULL << 63}; /* negative as the kernel's s64 */
	assert_int_equal(build_msg(&o), -ERANGE);
	o = (struct netem_opts){.jitter_ns = 2147483647ULL}; /* the cap itself is fine */
	assert_true(build_msg(&o) > 0);
}

static void test_netem_buffer_too_small(void **state)
{
	static int16_t table[4096];
	struct netem_opts o = {.latency_ns = 1, .jitter_ns = 1, .dist = table, .dist_len = 4096};
	uint8_t small[8192]; /* a 4096-value table alone is 8 KiB + 4 */

	(void)state;
	assert_int_equal(netem_msg_build(small, 16, 0, 1, TC_H_ROOT, 0, &o), -EMSGSIZE);
	assert_int_equal(netem_msg_build(small, sizeof(small), 0, 1, TC_H_ROOT, 0, &o),
			 -EMSGSIZE);
	assert_true(build_msg(&o) > 8192);
}

static void test_fq_message_bytes(void **state)
{
	struct fq_opts o = {
		.limit = 20000,
		.flow_limit = 500,
		.horizon_ns = 10000000000ULL, /* 10 s */
		.horizon_drop = true,
	};
	static const uint8_t expected[] = {
		NLMSGHDR(80, RTM_NEWQDISC_TYPE, FLAGS_REQ_CREATE_REPLACE), /* 16 + 20 + 8 + 36 */
		TCMSG(3, 0x00010000, 0xffffffff), /* ifindex 3, handle 1:, parent TC_H_ROOT */
		NLA(7, 1), 'f', 'q', 0, 0, /* TCA_KIND, 1 byte of padding */
		NLA(36, 0x8002), /* TCA_OPTIONS | NLA_F_NESTED: a real nest for fq */
		NLA(8, 1), U32(20000), /* TCA_FQ_PLIMIT */
		NLA(8, 2), U32(500), /* TCA_FQ_FLOW_PLIMIT */
		NLA(8, 14), U32(10000000), /* TCA_FQ_HORIZON: microseconds */
		NLA(5, 15), 1, 0, 0, 0, /* TCA_FQ_HORIZON_DROP: u8, padded */
	};
	static const uint8_t expected_defaults[] = {
		NLMSGHDR(64, RTM_NEWQDISC_TYPE, FLAGS_REQ_CREATE_REPLACE), /* 16 + 20 + 8 + 20 */
		TCMSG(3, 0x00010000, 0xffffffff),
		NLA(7, 1), 'f', 'q', 0, 0,
		NLA(20, 0x8002),
		NLA(8, 14), U32(2), /* 1500 ns rounds up to 2 us, never to 0 (drop all) */
		NLA(5, 15), 0, 0, 0, 0, /* cap, said explicitly */
	};
	int len;

	(void)state;
	memset(msg, 0xa5, sizeof(msg));
	len = fq_msg_build(msg, sizeof(msg), NLM_F_CREATE | NLM_F_REPLACE, 3, TC_H_ROOT,
			   0x00010000, &o);
	assert_msg(len, expected, sizeof(expected));

	o = (struct fq_opts){.horizon_ns = 1500};
	memset(msg, 0xa5, sizeof(msg));
	len = fq_msg_build(msg, sizeof(msg), NLM_F_CREATE | NLM_F_REPLACE, 3, TC_H_ROOT,
			   0x00010000, &o);
	assert_msg(len, expected_defaults, sizeof(expected_defaults));
}

static void test_prio_message_bytes_with_tc_priomap(void **state)
{
	static const uint8_t expected[] = {
		NLMSGHDR(72, RTM_NEWQDISC_TYPE, FLAGS_REQ_CREATE_REPLACE), /* 16 + 20 + 12 + 24 */
		TCMSG(3, 0xf1f10000, 0xffffffff), /* handle f1f1:, root */
		NLA(9, 1), 'p', 'r', 'i', 'o', 0, 0, 0, 0, /* TCA_KIND, 3 bytes of padding */
		NLA(24, 2), /* TCA_OPTIONS: struct tc_prio_qopt, not a nest */
		U32(4), /* bands */
		1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, /* priomap: tc's default */
	};
	int len;

	(void)state;
	memset(msg, 0xa5, sizeof(msg));
	len = prio_msg_build(msg, sizeof(msg), NLM_F_CREATE | NLM_F_REPLACE, 3, TC_H_ROOT,
			     0xf1f10000, 4);
	assert_msg(len, expected, sizeof(expected));
	assert_int_equal(prio_msg_build(msg, sizeof(msg), 0, 3, TC_H_ROOT, 0, 2), -EINVAL);
	assert_int_equal(prio_msg_build(msg, sizeof(msg), 0, 3, TC_H_ROOT, 0, 17), -EINVAL);
}

/* --- distribution tables --- */

static char dist_dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dist_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int dist_setup(void **state)
{
	(void)state;
	snprintf(dist_dir, sizeof(dist_dir), "/tmp/flt-test-netem-XXXXXX");
	if (!mkdtemp(dist_dir))
		return -1;
	setenv("TC_LIB_DIR", dist_dir, 1);
	return 0;
}

static int dist_teardown(void **state)
{
	static const char *const names[] = {"fake", "big", "word", "many", "empty"};
	char path[128];
	size_t i;

	(void)state;
	unsetenv("TC_LIB_DIR");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.dist", dist_dir, names[i]);
		unlink(path);
	}
	return rmdir(dist_dir);
}

static void test_dist_load_parses_integers_and_comments(void **state)
{
	static const int16_t want[] = {1, -2, 3, -32768, 32767, 0};
	int16_t *table = NULL;
	size_t len = 0;

	(void)state;
	write_file("fake.dist", "# a fake table\n 1 -2\t3 # trailing comment 99\n\n"
				"-32768 32767\n0");
	assert_int_equal(netem_dist_load("fake", &table, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(table, want, sizeof(want));
	free(table);
}

static void test_dist_load_errors(void **state)
{
	int16_t *table = NULL;
	size_t len = 0;
	char *many;
	size_t i;

	(void)state;
	write_file("big.dist", "1 32768\n");
	assert_int_equal(netem_dist_load("big", &table, &len), -ERANGE);
	write_file("word.dist", "1 2x 3\n");
	assert_int_equal(netem_dist_load("word", &table, &len), -EINVAL);
	write_file("empty.dist", "# nothing\n\n");
	assert_int_equal(netem_dist_load("empty", &table, &len), -ENODATA);
	many = malloc((NETEM_DIST_MAX + 1) * 2 + 1);
	assert_non_null(many);
	for (i = 0; i <= NETEM_DIST_MAX; i++)
		memcpy(many + 2 * i, "1 ", 2);
	many[2 * (NETEM_DIST_MAX + 1)] = '\0';
	write_file("many.dist", many);
	free(many);
	assert_int_equal(netem_dist_load("many", &table, &len), -E2BIG);
	assert_int_equal(netem_dist_load("absent", &table, &len), -ENOENT);
	assert_int_equal(netem_dist_load("../etc/passwd", &table, &len), -EINVAL);
	assert_int_equal(netem_dist_load("", &table, &len), -EINVAL);
}

static void test_dist_load_iproute2_normal_table(void **state)
{
	int16_t *table = NULL;
	size_t len = 0;
	int err;

	(void)state;
	unsetenv("TC_LIB_DIR");
	err = netem_dist_load("normal", &table, &len);
	setenv("TC_LIB_DIR", dist_dir, 1);
	if (err == -ENOENT) {
		printf("skipped: iproute2's normal.dist is not installed\n");
		skip();
	}
	assert_int_equal(err, 0);
	/* iproute2's normal.dist: 4096 values, the first -32768, the table symmetric around 0. */
	assert_int_equal(len, 4096);
	assert_int_equal(table[0], -32768);
	assert_true(table[2048] >= -16 && table[2048] <= 16);
	free(table);
}

/* --- as root, in a network namespace of its own --- */

#define DEV "fltq0"
#define PEER "fltq1"

static int dev_ifindex;

static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	if (status)
		fprintf(stderr, "command failed (status %d): %s\n", status, cmd);
	return status ? -1 : 0;
}

/* The output of a command parsed as JSON (NULL if it fails). */
static json_object *run_json(const char *fmt, ...)
{
	char cmd[512], *out = NULL;
	size_t size = 0, used = 0, n;
	json_object *obj;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	do {
		if (used + 4096 > size) {
			size = size ? size * 2 : 8192;
			out = realloc(out, size);
			if (!out)
				break;
		}
		n = fread(out + used, 1, size - used - 1, p);
		used += n;
	} while (n > 0);
	pclose(p);
	if (!out)
		return NULL;
	out[used] = '\0';
	obj = json_tokener_parse(out);
	if (!obj)
		fprintf(stderr, "not JSON from %s: %s\n", cmd, out);
	free(out);
	return obj;
}

static const char *json_str(json_object *obj, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : NULL;
}

static double json_num(json_object *obj, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_double(v) : -1;
}

static json_object *json_get(json_object *obj, const char *key)
{
	json_object *v;

	return obj && json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* `tc -j qdisc show dev DEV`: the qdisc whose parent is parent ("root" for the root). */
static json_object *tc_qdisc(json_object *all, const char *parent)
{
	json_object *q, *v;
	size_t i;

	for (i = 0; all && i < json_object_array_length(all); i++) {
		q = json_object_array_get_idx(all, i);
		if (!strcmp(parent, "root")) {
			if (json_object_object_get_ex(q, "root", &v) && json_object_get_boolean(v))
				return q;
		} else if (json_str(q, "parent") && !strcmp(json_str(q, "parent"), parent)) {
			return q;
		}
	}
	return NULL;
}

static bool near(double got, double want, double tolerance)
{
	return got >= want - tolerance && got <= want + tolerance;
}

static int kernel_setup(void **state)
{
	(void)state;
	if (run("ip link add " DEV " type veth peer name " PEER) ||
	    run("ip link set " DEV " up && ip link set " PEER " up"))
		return -1;
	dev_ifindex = (int)if_nametoindex(DEV);
	return dev_ifindex > 0 ? 0 : -1;
}

static int kernel_teardown(void **state)
{
	(void)state;
	return run("ip link del " DEV " 2>/dev/null; ! ip link show " DEV " >/dev/null 2>&1");
}

/* Each test leaves the device with its default root. */
static int back_to_default(void **state)
{
	(void)state;
	system("tc qdisc del dev " DEV " root 2>/dev/null");
	return 0;
}

static void test_root_save_sees_default_noqueue(void **state)
{
	struct qdisc_saved saved;

	(void)state;
	assert_int_equal(qdisc_root_save(dev_ifindex, &saved), 0);
	assert_true(saved.is_default);
	assert_int_equal(saved.handle, 0);
	assert_string_equal(saved.kind, "noqueue");
	assert_int_equal(qdisc_root_save(99999, &saved), -ENODEV);
}

static void test_root_save_replace_restore_tbf(void **state)
{
	struct qdisc_saved def, tbf;
	json_object *before, *after, *q0, *q1;

	(void)state;
	assert_int_equal(qdisc_root_save(dev_ifindex, &def), 0);
	assert_true(def.is_default);

	assert_int_equal(run("tc qdisc add dev " DEV " root handle 1: tbf rate 1mbit burst 32k "
			     "latency 50ms"), 0);
	before = run_json("tc -j qdisc show dev " DEV);
	assert_int_equal(qdisc_root_save(dev_ifindex, &tbf), 0);
	assert_false(tbf.is_default);
	assert_string_equal(tbf.kind, "tbf");
	assert_int_equal(tbf.handle, 0x00010000);
	assert_true(tbf.has_options);
	assert_true(tbf.options_len >= sizeof(struct tc_tbf_qopt));

	/* Something else takes the root, as faultline's qdisc would. */
	assert_int_equal(run("tc qdisc replace dev " DEV " root handle 2: htb"), 0);
	q1 = tc_qdisc(after = run_json("tc -j qdisc show dev " DEV), "root");
	assert_string_equal(json_str(q1, "kind"), "htb");
	json_object_put(after);

	assert_int_equal(qdisc_root_restore(dev_ifindex, &tbf), 0);
	after = run_json("tc -j qdisc show dev " DEV);
	q0 = tc_qdisc(before, "root");
	q1 = tc_qdisc(after, "root");
	assert_non_null(q0);
	assert_non_null(q1);
	assert_string_equal(json_str(q1, "kind"), "tbf");
	assert_string_equal(json_str(q1, "handle"), "1:");
	/* The same rate, burst and latency as tc set them. */
	assert_string_equal(json_object_to_json_string(json_get(q1, "options")),
			    json_object_to_json_string(json_get(q0, "options")));
	json_object_put(before);
	json_object_put(after);

	/* And the default back. */
	assert_int_equal(qdisc_root_restore(dev_ifindex, &def), 0);
	after = run_json("tc -j qdisc show dev " DEV);
	q1 = tc_qdisc(after, "root");
	assert_string_equal(json_str(q1, "kind"), "noqueue");
	assert_string_equal(json_str(q1, "handle"), "0:");
	json_object_put(after);
	/* Restoring a default over a default is nothing to do. */
	assert_int_equal(qdisc_root_restore(dev_ifindex, &def), 0);
}

static void test_root_restore_over_same_handle_other_kind(void **state)
{
	struct qdisc_saved tbf;
	json_object *all;

	(void)state;
	assert_int_equal(run("tc qdisc add dev " DEV " root handle 1: tbf rate 2mbit burst 16k "
			     "limit 30000"), 0);
	assert_int_equal(qdisc_root_save(dev_ifindex, &tbf), 0);
	assert_int_equal(run("tc qdisc del dev " DEV " root && "
			     "tc qdisc add dev " DEV " root handle 1: htb"), 0);
	assert_int_equal(qdisc_root_restore(dev_ifindex, &tbf), 0);
	all = run_json("tc -j qdisc show dev " DEV);
	assert_string_equal(json_str(tc_qdisc(all, "root"), "kind"), "tbf");
	assert_string_equal(json_str(tc_qdisc(all, "root"), "handle"), "1:");
	json_object_put(all);
}

static void test_root_restore_unknown_kind_gives_kernel_errno(void **state)
{
	struct qdisc_saved bogus = {.handle = 0x00070000};

	(void)state;
	snprintf(bogus.kind, sizeof(bogus.kind), "fltnosuchkind");
	assert_int_equal(qdisc_root_restore(dev_ifindex, &bogus), -ENOENT);
	/* The kernel's own words came with the NLMSG_ERROR. */
	assert_true(strlen(nlreq_ext_ack()) > 0);
}

static void test_root_class_count(void **state)
{
	(void)state;
	assert_int_equal(qdisc_root_class_count(dev_ifindex), 0);
	assert_int_equal(run("tc qdisc add dev " DEV " root handle 1: htb && "
			     "tc class add dev " DEV " parent 1: classid 1:1 htb rate 10mbit && "
			     "tc class add dev " DEV " parent 1:1 classid 1:10 htb rate 5mbit && "
			     "tc qdisc add dev " DEV " parent 1:10 handle 10: htb && "
			     "tc class add dev " DEV " parent 10: classid 10:1 htb rate 1mbit"), 0);
	/* 1:1 and 1:10; the child qdisc 10:'s class is not the root's. */
	assert_int_equal(qdisc_root_class_count(dev_ifindex), 2);
}

static void test_ifb_create_up_and_delete(void **state)
{
	json_object *links, *link;
	const char *kind = NULL;
	char name[IF_NAMESIZE];
	int ifindex = 0, again = 0;
	json_object *flags;
	bool up = false;
	size_t i;

	(void)state;
	assert_int_equal(ifb_create("fltifb0", &ifindex), 0);
	assert_true(ifindex > 0);
	assert_int_equal(if_nametoindex("fltifb0"), ifindex);
	links = run_json("ip -d -j link show dev fltifb0");
	link = links ? json_object_array_get_idx(links, 0) : NULL;
	kind = json_str(json_get(link, "linkinfo"), "info_kind");
	assert_non_null(kind);
	assert_string_equal(kind, "ifb");
	flags = json_get(link, "flags");
	for (i = 0; flags && i < json_object_array_length(flags); i++)
		up |= !strcmp(json_object_get_string(json_object_array_get_idx(flags, i)), "UP");
	assert_true(up);
	json_object_put(links);

	assert_int_equal(ifb_create("fltifb0", &again), -EEXIST);
	assert_int_equal(ifb_create("a-name-much-too-long", &again), -EINVAL);
	/* Not an IFB: refused, and still there. */
	assert_int_equal(ifb_delete(dev_ifindex), -EINVAL);
	assert_non_null(if_indextoname(dev_ifindex, name));

	assert_int_equal(ifb_delete(ifindex), 0);
	assert_null(if_indextoname(ifindex, name));
	assert_int_equal(ifb_delete(ifindex), -ENODEV);
}

/* A qdisc kind this kernel lacks: reported, not failed (kernel-facts.md: 6.18 here has none). */
static void skip_if_missing(int err, const char *kind)
{
	if (err == -ENOENT || err == -EOPNOTSUPP) {
		printf("skipped: no %s qdisc in this kernel (%s%s%s)\n", kind, strerror(-err),
		       *nlreq_ext_ack() ? ": " : "", nlreq_ext_ack());
		skip();
	}
}

static void test_netem_add_read_back_by_tc(void **state)
{
	struct netem_opts o = {
		.latency_ns = 100000000,
		.jitter_ns = 10000000,
		.latency_corr = 1073741824, /* 25% */
		.limit = 4000,
		.loss = 42949673, /* 1% */
		.duplicate = 214748365, /* 5% */
		.corrupt = 4294967, /* 0.1% */
		.reorder = 1073741824, /* 25% */
		.reorder_corr = 2147483648U, /* 50% */
		.rate_bytes_per_sec = 1250000, /* 10 mbit */
	};
	int16_t *table = NULL;
	size_t table_len = 0;
	json_object *all, *q, *opt;
	int err;

	(void)state;
	unsetenv("TC_LIB_DIR");
	if (netem_dist_load("normal", &table, &table_len) == 0) {
		o.dist = table;
		o.dist_len = table_len;
	}
	err = qdisc_netem_add(dev_ifindex, TC_H_ROOT, 0x00030000, &o);
	free(table);
	skip_if_missing(err, "netem");
	assert_int_equal(err, 0);

	all = run_json("tc -j qdisc show dev " DEV);
	q = tc_qdisc(all, "root");
	assert_string_equal(json_str(q, "kind"), "netem");
	assert_string_equal(json_str(q, "handle"), "3:");
	opt = json_get(q, "options");
	assert_true(json_num(opt, "limit") == 4000);
	/* tc prints seconds and fractions (1% as 0.01). */
	assert_true(near(json_num(json_get(opt, "delay"), "delay"), 0.1, 1e-6));
	assert_true(near(json_num(json_get(opt, "delay"), "jitter"), 0.01, 1e-6));
	assert_true(near(json_num(json_get(opt, "delay"), "correlation"), 0.25, 1e-6));
	assert_true(near(json_num(json_get(opt, "loss-random"), "loss"), 0.01, 1e-6));
	assert_true(near(json_num(json_get(opt, "duplicate"), "duplicate"), 0.05, 1e-6));
	assert_true(near(json_num(json_get(opt, "corrupt"), "corrupt"), 0.001, 1e-6));
	assert_true(near(json_num(json_get(opt, "reorder"), "reorder"), 0.25, 1e-6));
	assert_true(near(json_num(json_get(opt, "reorder"), "correlation"), 0.5, 1e-6));
	assert_true(json_num(json_get(opt, "rate"), "rate") == 1250000);
	assert_true(json_num(opt, "gap") == 1);
	json_object_put(all);
}

static void test_netem_gilbert_elliott_read_back_by_tc(void **state)
{
	struct netem_opts o = {
		.latency_ns = 1000000,
		.loss_ge = true,
		.ge_p = 42949673, /* 1% */
		.ge_r = 429496730, /* 10% */
		.ge_h = 4294967295U, /* kernel's h: never lost in the bad state... */
		.ge_k1 = 0, /* ...nor in the good one: tc shows 1-h 0% */
		.rate_bytes_per_sec = 5000000000ULL, /* RATE64 */
	};
	json_object *all, *ge, *opt;
	int err;

	(void)state;
	err = qdisc_netem_add(dev_ifindex, TC_H_ROOT, 0x00040000, &o);
	skip_if_missing(err, "netem");
	assert_int_equal(err, 0);
	all = run_json("tc -j qdisc show dev " DEV);
	opt = json_get(tc_qdisc(all, "root"), "options");
	ge = json_get(opt, "loss-gemodel");
	assert_non_null(ge);
	assert_true(near(json_num(ge, "p"), 0.01, 1e-6));
	assert_true(near(json_num(ge, "r"), 0.1, 1e-6));
	assert_true(near(json_num(ge, "1-h"), 0, 1e-6));
	assert_true(near(json_num(ge, "1-k"), 0, 1e-6));
	assert_true(json_num(json_get(opt, "rate"), "rate") == 5000000000.0);
	json_object_put(all);
}

static void test_prio_with_netem_leaf_read_back_by_tc(void **state)
{
	struct netem_opts o = {.latency_ns = 50000000};
	json_object *all, *q, *priomap;
	int err, i;
	static const int want[] = {1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};

	(void)state;
	err = qdisc_prio_add(dev_ifindex, TC_H_ROOT, 0xf1f10000, 4);
	skip_if_missing(err, "prio");
	assert_int_equal(err, 0);
	all = run_json("tc -j qdisc show dev " DEV);
	q = tc_qdisc(all, "root");
	assert_string_equal(json_str(q, "kind"), "prio");
	assert_string_equal(json_str(q, "handle"), "f1f1:");
	assert_true(json_num(json_get(q, "options"), "bands") == 4);
	priomap = json_get(json_get(q, "options"), "priomap");
	assert_non_null(priomap);
	assert_int_equal(json_object_array_length(priomap), 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(json_object_get_int(json_object_array_get_idx(priomap, i)),
				 want[i]);
	json_object_put(all);
	assert_int_equal(qdisc_root_class_count(dev_ifindex), 4);

	/* faultline's layout: netem on the extra band. */
	err = qdisc_netem_add(dev_ifindex, 0xf1f10004, 0xf1f20000, &o);
	skip_if_missing(err, "netem");
	assert_int_equal(err, 0);
	all = run_json("tc -j qdisc show dev " DEV);
	q = tc_qdisc(all, "f1f1:4");
	assert_non_null(q);
	assert_string_equal(json_str(q, "kind"), "netem");
	assert_true(near(json_num(json_get(json_get(q, "options"), "delay"), "delay"), 0.05,
			 1e-6));
	json_object_put(all);
	assert_int_equal(qdisc_delete(dev_ifindex, 0xf1f10004, 0xf1f20000), 0);
	all = run_json("tc -j qdisc show dev " DEV);
	q = tc_qdisc(all, "f1f1:4");
	assert_true(!q || strcmp(json_str(q, "kind"), "netem"));
	json_object_put(all);
}

static void test_fq_add_read_back_by_tc(void **state)
{
	struct fq_opts o = {
		.limit = 20000,
		.flow_limit = 500,
		.horizon_ns = 10000000000ULL,
		.horizon_drop = true,
	};
	json_object *all, *q, *opt;
	int err;

	(void)state;
	err = qdisc_fq_add(dev_ifindex, TC_H_ROOT, 0x00080000, &o);
	skip_if_missing(err, "fq");
	assert_int_equal(err, 0);
	all = run_json("tc -j qdisc show dev " DEV);
	q = tc_qdisc(all, "root");
	assert_string_equal(json_str(q, "kind"), "fq");
	opt = json_get(q, "options");
	assert_true(json_num(opt, "limit") == 20000);
	assert_true(json_num(opt, "flow_limit") == 500);
	assert_true(json_num(opt, "horizon") == 10000000); /* tc shows microseconds */
	assert_true(json_object_object_get_ex(opt, "horizon_drop", NULL));
	json_object_put(all);
}

/*
 * The mirred filter as tc reads it back: a cls_bpf filter at its priority and handle, without
 * direct-action (so that its action runs on a match), whose one action redirects to the IFB.
 */
static void test_mirred_filter_read_back_by_tc(void **state)
{
	const struct bpf_insn match[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	json_object *all, *f = NULL, *opt, *acts, *act;
	int ifb = 0, prog;
	size_t i;

	(void)state;
	assert_int_equal(ifb_create("fltifb1", &ifb), 0);
	assert_int_equal(run("tc qdisc add dev " DEV " clsact"), 0);
	prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "flt_tc_mirred", "GPL", match, 2, NULL);
	assert_true(prog >= 0);
	assert_int_equal(mirred_filter_add(dev_ifindex, 2, 0xf1000005, prog, "flt_tc_mirred", ifb),
			 0);
	assert_int_equal(mirred_filter_add(dev_ifindex, 2, 0xf1000005, prog, "flt_tc_mirred", ifb),
			 -EEXIST);
	assert_int_equal(mirred_filter_add(dev_ifindex, 0, 0xf1000006, prog, "flt_tc_mirred", ifb),
			 -EINVAL);
	all = run_json("tc -j filter show dev " DEV " ingress");
	for (i = 0; all && i < json_object_array_length(all); i++)
		if (json_get(json_object_array_get_idx(all, i), "options"))
			f = json_object_array_get_idx(all, i);
	if (!f)
		printf("tc -j filter show: %s\n", all ? json_object_to_json_string(all) : "nothing");
	assert_non_null(f);
	assert_string_equal(json_str(f, "kind"), "bpf");
	assert_true(json_num(f, "pref") == 2);
	assert_string_equal(json_str(f, "protocol"), "all");
	opt = json_get(f, "options");
	assert_true(json_object_object_get_ex(opt, "bpf_name", NULL));
	assert_false(json_object_object_get_ex(opt, "direct-action", NULL));
	acts = json_get(opt, "actions");
	assert_non_null(acts);
	assert_int_equal(json_object_array_length(acts), 1);
	act = json_object_array_get_idx(acts, 0);
	assert_string_equal(json_str(act, "kind"), "mirred");
	assert_string_equal(json_str(act, "mirred_action"), "redirect");
	assert_string_equal(json_str(act, "direction"), "egress");
	assert_string_equal(json_str(act, "to_dev"), "fltifb1");
	json_object_put(all);
	close(prog);
	assert_int_equal(run("tc qdisc del dev " DEV " clsact"), 0);
	assert_int_equal(ifb_delete(ifb), 0);
}

int main(void)
{
	const struct CMUnitTest encoding[] = {
		cmocka_unit_test(test_netem_delay_jitter_fills_ns_attrs_and_qopt_ticks),
		cmocka_unit_test(test_netem_delay_correlation_in_corr_attr),
		cmocka_unit_test(test_netem_plain_loss_in_qopt_with_correlation),
		cmocka_unit_test(test_netem_duplicate_in_qopt_with_limit),
		cmocka_unit_test(test_netem_corrupt_attr),
		cmocka_unit_test(test_netem_reorder_sets_gap_1_and_reorder_attr),
		cmocka_unit_test(test_netem_rate_below_2_32_in_rate_attr_only),
		cmocka_unit_test(test_netem_rate_from_2_32_adds_rate64),
		cmocka_unit_test(test_netem_gilbert_elliott_loss_is_a_flagged_nest),
		cmocka_unit_test(test_netem_distribution_table_s16_padded),
		cmocka_unit_test(test_netem_all_attrs_ordered_and_aligned),
		cmocka_unit_test(test_netem_refuses_what_netem_would_ignore),
		cmocka_unit_test(test_netem_buffer_too_small),
		cmocka_unit_test(test_fq_message_bytes),
		cmocka_unit_test(test_prio_message_bytes_with_tc_priomap),
	};
	const struct CMUnitTest dist[] = {
		cmocka_unit_test(test_dist_load_parses_integers_and_comments),
		cmocka_unit_test(test_dist_load_errors),
		cmocka_unit_test(test_dist_load_iproute2_normal_table),
	};
	const struct CMUnitTest kernel[] = {
		cmocka_unit_test_teardown(test_root_save_sees_default_noqueue, back_to_default),
		cmocka_unit_test_teardown(test_root_save_replace_restore_tbf, back_to_default),
		cmocka_unit_test_teardown(test_root_restore_over_same_handle_other_kind,
					  back_to_default),
		cmocka_unit_test_teardown(test_root_restore_unknown_kind_gives_kernel_errno,
					  back_to_default),
		cmocka_unit_test_teardown(test_root_class_count, back_to_default),
		cmocka_unit_test(test_ifb_create_up_and_delete),
		cmocka_unit_test(test_mirred_filter_read_back_by_tc),
		cmocka_unit_test_teardown(test_netem_add_read_back_by_tc, back_to_default),
		cmocka_unit_test_teardown(test_netem_gilbert_elliott_read_back_by_tc,
					  back_to_default),
		cmocka_unit_test_teardown(test_prio_with_netem_leaf_read_back_by_tc,
					  back_to_default),
		cmocka_unit_test_teardown(test_fq_add_read_back_by_tc, back_to_default),
	};
	int failed;

	failed = cmocka_run_group_tests_name("netem encoding", encoding, NULL, NULL);
	failed += cmocka_run_group_tests_name("distribution tables", dist, dist_setup,
					      dist_teardown);
	if (failed)
		return 1;
	if (geteuid() != 0) {
		printf("SKIP: qdisc and ifb tests need root (encoding and table tests passed)\n");
		return 77;
	}
	/* A namespace of its own: nothing here touches the host's devices, all of it goes away. */
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: no network namespace of our own: %s\n", strerror(errno));
		return 77;
	}
	failed = cmocka_run_group_tests_name("qdiscs and ifb (root, own netns)", kernel,
					     kernel_setup, kernel_teardown);
	return failed ? 1 : 0;
}
