// SPDX-License-Identifier: GPL-2.0-only
/* What this kernel supports, asked of the kernel itself in throw-away network namespaces. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_sched.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <sys/socket.h>

#include "kernel/features.h"
#include "kernel/netdev.h"
#include "netem/ifb.h"
#include "netem/mirred.h"
#include "netem/qdisc.h"

/* Asked of the kernel itself: in a child, in a new and empty network namespace. */
int qdisc_supported(const char *kind)
{
	const struct netem_opts netem = { .limit = 1000 };
	const struct fq_opts fq = { .limit = 10000, .flow_limit = 100 };
	struct nl_sock *sk;
	struct rtnl_qdisc *q;
	int status, err;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(EPERM);
		/* the new namespace's loopback, ifindex 1, takes the qdisc */
		if (!strcmp(kind, "fq"))
			_exit(-qdisc_fq_add(1, TC_H_ROOT, TC_H_MAKE(1U << 16, 0), &fq));
		if (!strcmp(kind, "netem"))
			_exit(-qdisc_netem_add(1, TC_H_ROOT, TC_H_MAKE(1U << 16, 0), &netem));
		if (!strcmp(kind, "prio"))
			_exit(-qdisc_prio_add(1, TC_H_ROOT, TC_H_MAKE(1U << 16, 0), 3));
		sk = nl_socket_alloc();
		q = rtnl_qdisc_alloc();
		if (!sk || !q || nl_connect(sk, NETLINK_ROUTE))
			_exit(EIO);
		rtnl_tc_set_ifindex(TC_CAST(q), 1);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_CLSACT);
		rtnl_tc_set_handle(TC_CAST(q), TC_H_MAKE(TC_H_CLSACT, 0));
		rtnl_tc_set_kind(TC_CAST(q), kind);
		err = rtnl_qdisc_add(sk, q, NLM_F_CREATE);
		_exit(err == 0 ? 0 : err == -NLE_PERM ? EPERM : ENOENT);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}

/*
 * The child's side of ifb_redirect_supported() and ifb_mirred_supported(): in its own network
 * namespace, a veth pair whose p1 redirects everything it receives to an IFB, by bpf_redirect()
 * or by a cls_bpf filter's mirred action (mirred); a datagram sent on p0 (its ARP request is
 * enough) either comes out of the IFB (its TX counter) or is dropped by it. Exit 0 or errno.
 */
static int ifb_redirect_child(bool mirred)
{
	const struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
					.sin_addr.s_addr = htonl(0xc0000202) /* 192.0.2.2 */ };
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int ifb, p0, p1, prog, fd, i;
	uint64_t tx = 0;

	if (!sk || !change || !addr || nl_connect(sk, NETLINK_ROUTE) ||
	    rtnl_link_veth_add(sk, "p0", "p1", getpid()))
		return EIO;
	if (ifb_create("pifb", &ifb) || netdev_ifindex(-1, "p0", &p0) || netdev_ifindex(-1, "p1", &p1))
		return EIO;
	rtnl_link_set_flags(change, IFF_UP);
	for (i = 0; i < 2; i++) {
		if (rtnl_link_get_kernel(sk, i ? p1 : p0, NULL, &link) ||
		    rtnl_link_change(sk, link, change, 0))
			return EIO;
		rtnl_link_put(link);
	}
	if (nl_addr_parse("192.0.2.1/24", AF_INET, &local))
		return EIO;
	rtnl_addr_set_ifindex(addr, p0);
	rtnl_addr_set_local(addr, local);
	if (rtnl_addr_add(sk, addr, 0))
		return EIO;
	{
		const struct bpf_insn insns[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = ifb },
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
			{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		/* without direct-action, -1 is a match: the filter's mirred action runs */
		const struct bpf_insn match[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = p1, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts);

		prog = mirred ? bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "flt_probe", "GPL", match, 2,
					      NULL)
			      : bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "flt_probe", "GPL", insns, 4,
					      NULL);
		if (prog < 0 || bpf_tc_hook_create(&hook))
			return EIO;
		if (mirred) {
			/* the kernel lacks act_mirred (or cls_bpf): not a failure to pass packets */
			if (mirred_filter_add(p1, 1, 1, prog, "flt_probe", ifb))
				return ENOTSUP;
		} else if ((opts.prog_fd = prog, bpf_tc_attach(&hook, &opts))) {
			return EIO;
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, "x", 1, 0, (const struct sockaddr *)&to, sizeof(to)) < 0)
		return EIO;
	for (i = 0; i < 50 && !tx; i++) {
		usleep(10000);
		if (rtnl_link_get_kernel(sk, ifb, NULL, &link))
			return EIO;
		tx = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
		rtnl_link_put(link);
	}
	return tx ? 0 : ENOTSUP;
}

/*
 * Does an IFB device pass on what a tc program redirects to it? IFB takes only packets marked
 * as redirected, which act_mirred always did and bpf_redirect() does only on newer kernels (it
 * works on 6.12, not on 6.1): where it does not, waiting on a device's ingress side (a pod's
 * egress, an interface's ingress) would drop every packet it should delay. Tried in a child in a
 * new network namespace; nothing else changes.
 */
static int ifb_probe(bool mirred)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(EPERM);
		_exit(ifb_redirect_child(mirred));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -EIO;
	return WEXITSTATUS(status) == 0 ? 1 : WEXITSTATUS(status) == ENOTSUP ? 0 : -WEXITSTATUS(status);
}

int ifb_redirect_supported(void)
{
	return ifb_probe(false);
}

/*
 * The same with act_mirred, which marks what it redirects on every kernel (skb_set_redirected()):
 * the way to an IFB where bpf_redirect()'s is not (netem/mirred.h).
 */
int ifb_mirred_supported(void)
{
	return ifb_probe(true);
}

int ifb_path_from_env(enum ifb_path *path)
{
	const char *v = getenv("FAULTLINE_IFB_PATH");

	if (!v || !*v || !strcmp(v, "auto"))
		*path = IFB_PATH_AUTO;
	else if (!strcmp(v, "redirect"))
		*path = IFB_PATH_REDIRECT;
	else if (!strcmp(v, "mirred"))
		*path = IFB_PATH_MIRRED;
	else
		return -EINVAL;
	return 0;
}

