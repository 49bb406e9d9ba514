/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IFB devices over rtnetlink (libmnl): ingress traffic redirected to one leaves through its
 * egress, where a qdisc (fq, faultline's prio) can hold it. Calls work in the calling thread's
 * network namespace and return 0 or -errno.
 */
#ifndef FAULTLINE_IFB_H
#define FAULTLINE_IFB_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Create IFB device name, up, and give its ifindex. -EEXIST if name is taken, -EOPNOTSUPP if
 * the kernel has no ifb, -EINVAL for a name that is empty or longer than IFNAMSIZ - 1.
 */
int ifb_create(const char *name, int *ifindex);
/* Delete the IFB device ifindex; -EINVAL (and nothing deleted) if it is not an IFB device. */
int ifb_delete(int ifindex);
/*
 * The parser of ifb_delete's RTM_GETLINK answer, on one buffer of answers: the link's kind
 * (IFLA_INFO_KIND, "" if none) and whether a link came back. nlreq_parse's MNL_CB_* result.
 */
int ifb_kind_parse(const void *buf, size_t len, char kind[IFNAMSIZ], bool *found);

#endif /* FAULTLINE_IFB_H */
