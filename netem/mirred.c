// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mirred filter of mirred.h. The request is `tc filter add dev DEV ingress prio PRIO handle
 * HANDLE bpf fd FD action mirred egress redirect dev IFB` as iproute2 sends it: TCA_BPF_FLAGS
 * without TCA_BPF_FLAG_ACT_DIRECT, so that cls_bpf runs the filter's actions on a match, and
 * the actions as a nest of numbered nests, each with its kind and options.
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <string.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include "mirred.h"
#include "nlreq.h"

/* Room for the request: headers, a kind, a name, one action. */
#define MIRRED_MSG_SIZE 1024

int mirred_filter_msg_build(void *buf, size_t len, int ifindex, uint32_t prio, uint32_t handle,
			    int prog_fd, const char *name, int to_ifindex)
{
	struct tc_mirred parms = {.action = TC_ACT_STOLEN,
				  .eaction = TCA_EGRESS_REDIR,
				  .ifindex = (uint32_t)to_ifindex};
	struct nlattr *opts, *acts, *act, *aopts;
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;

	if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*tcm)) || !prio || prio > 0xffff)
		return len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*tcm)) ? -EMSGSIZE : -EINVAL;
	memset(buf, 0, len);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	tcm->tcm_handle = handle;
	tcm->tcm_info = TC_H_MAKE(prio << 16, htons(ETH_P_ALL));
	if (!mnl_attr_put_strz_check(nlh, len, TCA_KIND, "bpf"))
		return -EMSGSIZE;
	opts = mnl_attr_nest_start_check(nlh, len, TCA_OPTIONS);
	if (!opts || !mnl_attr_put_u32_check(nlh, len, TCA_BPF_FD, (uint32_t)prog_fd) ||
	    !mnl_attr_put_strz_check(nlh, len, TCA_BPF_NAME, name) ||
	    !mnl_attr_put_u32_check(nlh, len, TCA_BPF_FLAGS, 0))
		return -EMSGSIZE;
	acts = mnl_attr_nest_start_check(nlh, len, TCA_BPF_ACT);
	act = acts ? mnl_attr_nest_start_check(nlh, len, 1) : NULL;
	if (!act || !mnl_attr_put_strz_check(nlh, len, TCA_ACT_KIND, "mirred"))
		return -EMSGSIZE;
	aopts = mnl_attr_nest_start_check(nlh, len, TCA_ACT_OPTIONS);
	if (!aopts || !mnl_attr_put_check(nlh, len, TCA_MIRRED_PARMS, sizeof(parms), &parms))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, aopts);
	mnl_attr_nest_end(nlh, act);
	mnl_attr_nest_end(nlh, acts);
	mnl_attr_nest_end(nlh, opts);
	return (int)nlh->nlmsg_len;
}

int mirred_filter_add(int ifindex, uint32_t prio, uint32_t handle, int prog_fd, const char *name,
		      int to_ifindex)
{
	char buf[MIRRED_MSG_SIZE];
	int ret;

	ret = mirred_filter_msg_build(buf, sizeof(buf), ifindex, prio, handle, prog_fd, name,
				      to_ifindex);
	return ret < 0 ? ret : nlreq_run((struct nlmsghdr *)buf, NULL, NULL);
}
