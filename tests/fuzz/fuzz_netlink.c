// SPDX-License-Identifier: GPL-2.0-only
/*
 * The parsers of the kernel's netlink answers (netem/): a root qdisc's dump (its kind, handle and
 * options, kept to restore it), the class and child counts, and a link's kind. The first byte
 * picks the parser; the rest is one buffer of messages, as recvfrom() gives it. Whatever the
 * bytes, a parser reads only inside them and keeps its bounds.
 */
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "fuzz.h"
#include "netem/ifb.h"
#include "netem/qdisc.h"

#define IFINDEX 2
#define MAJOR 0x10000 /* 1: */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qdisc_saved *saved;
	char kind[IFNAMSIZ];
	bool found = false;
	void *buf;
	int ret, count = -1;

	if (size < 1)
		return 0;
	/* as recvfrom()'s buffer: aligned, room up to MNL_ALIGN(len) as nlreq_parse needs, no more
	 */
	buf = calloc(1, MNL_ALIGN(size - 1) ? MNL_ALIGN(size - 1) : 1);
	saved = malloc(sizeof(*saved));
	if (!buf || !saved)
		abort();
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		ret = qdisc_root_parse(buf, size - 1, IFINDEX, saved, &found);
		if (found && ret >= 0) {
			fuzz_assert(saved->options_len <= sizeof(saved->options));
			fuzz_assert(memchr(saved->kind, '\0', sizeof(saved->kind)) != NULL);
		}
		break;
	case 1:
	case 2:
		ret = qdisc_count_parse(buf, size - 1, IFINDEX, MAJOR, data[0] % 4 == 1, &count);
		fuzz_assert(count >= 0);
		break;
	default:
		ret = ifb_kind_parse(buf, size - 1, kind, &found);
		fuzz_assert(memchr(kind, '\0', sizeof(kind)) != NULL);
		break;
	}
	fuzz_assert(ret >= MNL_CB_ERROR);
	free(saved);
	free(buf);
	return 0;
}
