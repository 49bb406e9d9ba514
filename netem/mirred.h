/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A cls_bpf filter without direct-action whose one action is act_mirred's egress redirect to a
 * device, over rtnetlink (libmnl): where the program matches (returns -1), the packet goes to
 * that device's egress. Kernels whose IFB drops bpf_redirect()ed packets (Debian's 6.1) take
 * mirred's, which act_mirred marks as redirected. Works in the calling thread's network
 * namespace; 0 or -errno. Removed as any cls_bpf filter is (libbpf's bpf_tc_detach()).
 */
#ifndef FAULTLINE_MIRRED_H
#define FAULTLINE_MIRRED_H

#include <stddef.h>
#include <stdint.h>

/*
 * Build the request: on ifindex's clsact ingress, filter priority prio (1..65535) and handle,
 * all protocols, program prog_fd named name, redirecting to to_ifindex. Its length or -EMSGSIZE.
 */
int mirred_filter_msg_build(void *buf, size_t len, int ifindex, uint32_t prio, uint32_t handle,
			    int prog_fd, const char *name, int to_ifindex);

/* Add it; -EEXIST if that priority and handle are taken, -EINVAL if another kind has prio. */
int mirred_filter_add(int ifindex, uint32_t prio, uint32_t handle, int prog_fd, const char *name,
		      int to_ifindex);

#endif /* FAULTLINE_MIRRED_H */
