/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One rtnetlink request and its answer, over libmnl: the shared plumbing of qdisc.c and ifb.c.
 * The socket is opened per request, so it lives in the calling thread's network namespace.
 */
#ifndef FAULTLINE_NLREQ_H
#define FAULTLINE_NLREQ_H

#include <libmnl/libmnl.h>

/*
 * Room for one request with a netem distribution table: NETEM_DIST_MAX (16384) s16 values are
 * 32 KiB; iproute2's tables have 4096 (8 KiB). Headers and other attributes fit in the rest.
 */
#define NLREQ_BUF_SIZE (32768 + 4096)

/*
 * Sends nlh (its nlmsg_seq is set here) and reads the answer. A request gets NLM_F_ACK and ends
 * with the kernel's ack, cb (if not NULL) seeing any reply before it; a dump (an RTM_GET* with
 * NLM_F_DUMP) calls cb on each message until NLMSG_DONE. cb returns MNL_CB_OK to go on,
 * MNL_CB_STOP to stop early, MNL_CB_ERROR (errno set) to fail. Returns 0 or -errno, the kernel's
 * own errno from NLMSG_ERROR; -EINTR when a dump was interrupted by a change (NLM_F_DUMP_INTR):
 * the caller starts it again afresh; -ETIMEDOUT if no answer came in 30 s.
 */
int nlreq_run(struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/*
 * One buffer of answers as nlreq_run reads it: cb on each message of another type than the
 * control ones, NLMSG_ERROR and NLMSG_DONE as above (seq and portid 0: any). Returns
 * mnl_cb_run2's MNL_CB_* (MNL_CB_ERROR with errno set). For the dumps' parsers and their fuzzing.
 * buf must be readable up to MNL_ALIGN(len): libmnl ends a message's attributes at its aligned
 * tail, up to 3 bytes past a last message whose length is not a multiple of 4 (fuzzing found it).
 */
int nlreq_parse(const void *buf, size_t len, unsigned int seq, unsigned int portid, mnl_cb_t cb,
		void *data);

/* The kernel's extended ack message of this thread's last failed request, or "" if none. */
const char *nlreq_ext_ack(void);

#endif /* FAULTLINE_NLREQ_H */
