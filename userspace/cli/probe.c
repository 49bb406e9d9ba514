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

#include "kernel/attach.h"
#include "kernel/cgroup.h"
#include "cli/commands.h"
#include "common/out.h"
#include "netem/ifb.h"
#include "kernel/netdev.h"
#include "kernel/features.h"
#include "netem/qdisc.h"

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
