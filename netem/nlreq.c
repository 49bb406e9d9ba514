// SPDX-License-Identifier: GPL-2.0-only
/*
 * One rtnetlink request and its answer over libmnl. Every request asks for an ack and waits for
 * it, so a failure is the kernel's own errno (NLMSG_ERROR), never a guess. The kernel's extended
 * ack text ("Specified qdisc kind is unknown", ...) is kept for the caller's error message.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>

#include "nlreq.h"

/* Above the 32 KiB a kernel dump puts in one read (net/netlink/af_netlink.c, netlink_dump()). */
#define NLREQ_RECV_SIZE 65536
#define NLREQ_TIMEOUT_S 30

static __thread char ext_ack_msg[256];

const char *nlreq_ext_ack(void)
{
	return ext_ack_msg;
}

static int ext_ack_attr_cb(const struct nlattr *attr, void *data)
{
	(void)data;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(ext_ack_msg, sizeof(ext_ack_msg), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* The errno of a kernel's -errno (-4095..-1); anything else is a protocol error. */
static int errno_of(int kernel_error)
{
	return kernel_error < 0 && kernel_error > -4096 ? -kernel_error : EPROTO;
}

/* NLMSG_ERROR: an ack (error 0) ends the exchange; anything else is the kernel's -errno. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t tlv_offset;

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	/* The TLVs follow the request's echoed header (and its payload unless capped). */
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    err->msg.nlmsg_len >= sizeof(struct nlmsghdr)) {
		tlv_offset = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			tlv_offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (tlv_offset <= nlh->nlmsg_len - mnl_nlmsg_size(0))
			mnl_attr_parse(nlh, tlv_offset, ext_ack_attr_cb, NULL);
	}
	errno = errno_of(err->error);
	return MNL_CB_ERROR;
}

/* NLMSG_DONE of a dump carries the dump's own result (an int) since Linux 4.x. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int result;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(result)) {
		memcpy(&result, mnl_nlmsg_get_payload(nlh), sizeof(result));
		if (result < 0) {
			errno = errno_of(result);
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

/*
 * libmnl's mnl_nlmsg_ok() compares nlmsg_len as an int: a length of 2^31 or more passes it, and
 * the walk then leaves the buffer (found by fuzzing, tests/fuzz/corpus/netlink). The kernel sends
 * none; such a buffer is refused before libmnl walks it, and so is one over INT_MAX bytes.
 */
static bool lengths_ok(const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;

	if (len > INT_MAX)
		return false;
	while (left >= sizeof(struct nlmsghdr)) {
		uint32_t n;

		memcpy(&n, p + offsetof(struct nlmsghdr, nlmsg_len), sizeof(n));
		if (n > INT_MAX)
			return false;
		if (n < sizeof(struct nlmsghdr) || n > left)
			break; /* where libmnl stops too */
		n = MNL_ALIGN(n);
		if (n >= left)
			break;
		p += n;
		left -= n;
	}
	return true;
}

int nlreq_parse(const void *buf, size_t len, unsigned int seq, unsigned int portid, mnl_cb_t cb,
		void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};

	if (!lengths_ok(buf, len)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	errno = 0;
	return mnl_cb_run2(buf, len, seq, portid, cb, data, ctl, NLMSG_MIN_TYPE);
}

static int exchange(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
		    char *buf)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, NLREQ_RECV_SIZE);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = nlreq_parse(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * NLM_F_DUMP is NLM_F_ROOT | NLM_F_MATCH, the same bits as NLM_F_REPLACE | NLM_F_EXCL on a NEW
 * request: only a GET (rtnetlink's RTM_GET* are all 2 modulo 4) with both bits is a dump.
 */
static bool is_dump(const struct nlmsghdr *nlh)
{
	return (nlh->nlmsg_type & 3) == 2 && (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

static int exchange_once(struct nlmsghdr *nlh, mnl_cb_t cb, void *data, char *buf)
{
	struct timeval timeout = {.tv_sec = NLREQ_TIMEOUT_S};
	struct mnl_socket *nl;
	int one = 1, err;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	/* Best effort: kernels without them answer with the plain errno. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	/* Errors then echo the request's header only, not its 8 KiB distribution table. */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* The kernel always answers; a wait this long means a bug, not a slow kernel. */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout))) {
		err = -errno;
		goto out;
	}
	err = exchange(nl, nlh, cb, data, buf);
out:
	mnl_socket_close(nl);
	return err;
}

int nlreq_run(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char *buf;
	int err;

	ext_ack_msg[0] = '\0';
	if (!is_dump(nlh))
		nlh->nlmsg_flags |= NLM_F_ACK;
	buf = calloc(1, NLREQ_RECV_SIZE + MNL_ALIGNTO); /* the slack nlreq_parse's walk may read */
	if (!buf)
		return -ENOMEM;
	err = exchange_once(nlh, cb, data, buf);
	free(buf);
	return err;
}
