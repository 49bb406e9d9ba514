// SPDX-License-Identifier: GPL-2.0-only
/* faultline probe: what this kernel supports, each with yes/no and why. Changes nothing. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/pkt_sched.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <sys/socket.h>

#include "attach.h"
#include "cgroup.h"
#include "commands.h"
#include "out.h"
#include "ifb.h"
#include "links.h"
#include "probe.h"
#include "qdisc.h"

struct finding {
	bool yes;
	char why[200];
};

static void say(struct finding *f, bool yes, const char *fmt, const char *arg)
{
	f->yes = yes;
	snprintf(f->why, sizeof(f->why), fmt, arg);
}

static void probe_bpffs(struct finding *f)
{
	struct statfs sfs;

	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		say(f, true, "mounted at %s", "/sys/fs/bpf");
	else
		say(f, true, "not mounted at %s; faultline mounts it when it needs it",
		    "/sys/fs/bpf");
}

static void probe_btf(struct finding *f)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		say(f, true, "%s", "/sys/kernel/btf/vmlinux is there");
	else
		say(f, false, "%s is missing: the kernel was built without CONFIG_DEBUG_INFO_BTF",
		    "/sys/kernel/btf/vmlinux");
}

static void probe_cgroup2(struct finding *f)
{
	char path[256], why[300];

	if (cgroup2_mount(path, sizeof(path))) {
		say(f, false, "%s", "no cgroup2 mount: cgroup targets and reject cannot work");
		return;
	}
	snprintf(why, sizeof(why), "mounted at %s (%s)", path,
		 cgroup2_is_unified_only() > 0 ? "unified: cgroup v2 only"
					       : "hybrid: v1 controllers beside it");
	say(f, true, "%s", why);
}

static void probe_prog(struct finding *f, enum bpf_prog_type type, const char *what)
{
	int ret = libbpf_probe_bpf_prog_type(type, NULL);

	if (ret == 1)
		say(f, true, "%s programs load", what);
	else if (ret == 0)
		say(f, false, "this kernel does not load %s programs", what);
	else
		say(f, false, "cannot tell: %s", strerror(-ret));
}

static void probe_set_retval(struct finding *f)
{
	int ret = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_FUNC_set_retval, NULL);

	if (ret == 1)
		say(f, true, "%s", "bpf_set_retval: reject can fail connects with any errno");
	else
		say(f, false, "%s", "no bpf_set_retval (kernel < 5.18): reject fails with EPERM only");
}

/* A program of nothing but "return TC_ACT_UNSPEC", to ask the kernel about attach types. */
static int load_noop_tc(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "flt_probe", "GPL", insns, 2, NULL);
}

static void probe_tcx(struct finding *f)
{
	int fd = load_noop_tc();

	if (fd < 0) {
		say(f, false, "cannot load a tc program: %s", strerror(-fd));
		return;
	}
	if (tcx_supported(fd) > 0)
		say(f, true, "%s", "tcx links (kernel >= 6.6): faultline attaches tc programs as links");
	else
		say(f, false, "%s", "no tcx (kernel < 6.6): faultline uses clsact filters");
	close(fd);
}

static void probe_tp_btf(struct finding *f)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *btf = btf__load_vmlinux_btf();
	int id, fd;

	if (!btf) {
		say(f, false, "%s", "no kernel BTF");
		return;
	}
	id = btf__find_by_name_kind(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	btf__free(btf);
	if (id < 0) {
		say(f, false, "%s", "no btf_trace_sched_switch in the kernel's BTF");
		return;
	}
	opts.attach_btf_id = (uint32_t)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "flt_probe", "GPL", insns, 2, &opts);
	if (fd >= 0) {
		close(fd);
		say(f, true, "%s", "tp_btf programs load");
	} else {
		say(f, false, "tp_btf programs do not load: %s", strerror(-fd));
	}
}

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
 * The child's side of ifb_redirect_supported(): in its own network namespace, a veth pair whose
 * p1 redirects everything it receives to an IFB; a datagram sent on p0 (its ARP request is
 * enough) either comes out of the IFB (its TX counter) or is dropped by it. Exit 0 or errno.
 */
static int ifb_redirect_child(void)
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
	if (ifb_create("pifb", &ifb) || link_ifindex(-1, "p0", &p0) || link_ifindex(-1, "p1", &p1))
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
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = p1, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts);

		prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "flt_probe", "GPL", insns, 4, NULL);
		if (prog < 0 || bpf_tc_hook_create(&hook) || (opts.prog_fd = prog, bpf_tc_attach(&hook, &opts)))
			return EIO;
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
int ifb_redirect_supported(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(EPERM);
		_exit(ifb_redirect_child());
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -EIO;
	return WEXITSTATUS(status) == 0 ? 1 : WEXITSTATUS(status) == ENOTSUP ? 0 : -WEXITSTATUS(status);
}

static void probe_ifb_redirect(struct finding *f)
{
	int ret = ifb_redirect_supported();

	if (ret > 0)
		say(f, true, "%s", "IFB devices pass on bpf_redirect()ed packets: delay and rate work "
		    "on a device's ingress side (a pod's egress, an interface's ingress)");
	else if (ret == 0)
		say(f, false, "%s", "IFB devices drop bpf_redirect()ed packets on this kernel: delay and "
		    "rate work only on a device's egress side (a pod's ingress, an interface's egress)");
	else
		say(f, false, "cannot tell: %s", strerror(-ret));
}

static void probe_qdisc(struct finding *f, const char *kind, const char *use)
{
	int err = qdisc_supported(kind);
	char why[200];

	if (!err)
		snprintf(why, sizeof(why), "the %s qdisc is available (%s)", kind, use);
	else if (err == -EPERM)
		snprintf(why, sizeof(why), "cannot tell: creating a network namespace was refused");
	else
		snprintf(why, sizeof(why), "no %s qdisc in this kernel (not built, or its module "
			 "not loadable): %s unavailable", kind, use);
	say(f, !err, "%s", why);
}

int cmd_probe(const struct cmd_opts *opts)
{
	struct finding f[16];
	const char *names[16];
	struct utsname uts;
	size_t n = 0, i;

	if (opts->argc) {
		out_error("probe: takes no arguments");
		return 2;
	}
	uname(&uts);
	names[n] = "bpffs";
	probe_bpffs(&f[n++]);
	names[n] = "btf";
	probe_btf(&f[n++]);
	names[n] = "cgroup2";
	probe_cgroup2(&f[n++]);
	names[n] = "clsact";
	probe_qdisc(&f[n++], "clsact", "tc programs on kernels without tcx");
	names[n] = "tcx";
	probe_tcx(&f[n++]);
	names[n] = "cgroup_skb";
	probe_prog(&f[n++], BPF_PROG_TYPE_CGROUP_SKB, "cgroup_skb");
	names[n] = "cgroup_sock_addr";
	probe_prog(&f[n++], BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "cgroup connect/sendmsg");
	names[n] = "set_retval";
	probe_set_retval(&f[n++]);
	names[n] = "sock_ops";
	probe_prog(&f[n++], BPF_PROG_TYPE_SOCK_OPS, "sock_ops");
	names[n] = "tp_btf";
	probe_tp_btf(&f[n++]);
	names[n] = "fq";
	probe_qdisc(&f[n++], "fq", "delay and rate with the edt backend");
	names[n] = "netem";
	probe_qdisc(&f[n++], "netem", "the netem backend");
	names[n] = "prio";
	probe_qdisc(&f[n++], "prio", "steering to netem leaves, for the netem backend");
	names[n] = "ifb_redirect";
	probe_ifb_redirect(&f[n++]);

	out_object_begin(NULL);
	out_string("kernel", "kernel %s\n", uts.release);
	out_object_begin("features");
	for (i = 0; i < n; i++) {
		out_object_begin(names[i]);
		out_text("%-17s", names[i]);
		out_bool("supported", "%-4s", f[i].yes);
		out_string("why", "%s\n", f[i].why);
		out_object_end();
	}
	out_object_end();
	out_object_end();
	out_end();
	return 0;
}
