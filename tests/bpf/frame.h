/* SPDX-License-Identifier: GPL-2.0-only */
/* A buffer for the frames the BPF_PROG_TEST_RUN tests build. */
#ifndef FAULTLINE_TESTS_BPF_FRAME_H
#define FAULTLINE_TESTS_BPF_FRAME_H

#include <linux/types.h>

/*
 * data is 2 bytes past an 8-byte boundary, as drivers place frames (NET_IP_ALIGN): the IP header
 * after the 14-byte Ethernet header is aligned for struct iphdr and struct ipv6hdr (UBSan checks).
 */
struct test_frame {
	__u8 pad[2];
	__u8 data[256];
} __attribute__((aligned(8)));

#endif /* FAULTLINE_TESTS_BPF_FRAME_H */
