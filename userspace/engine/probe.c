// SPDX-License-Identifier: GPL-2.0-only
/* What this kernel supports, each with yes/no and why, asked of the kernel. Changes nothing. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "engine/engine.h"
#include "kernel/attach.h"
#include "kernel/cgroup.h"
#include "kernel/features.h"
#include "kernel/privileges.h"
#include "kernel/tracer.h"

static void say(struct engine_feature *f, bool yes, const char *fmt, const char *arg)
{
	f->supported = yes;
	snprintf(f->why, sizeof(f->why), fmt, arg);
}

static void probe_bpffs(struct engine_feature *f)
{
	struct statfs sfs;

	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		say(f, true, "mounted at %s", "/sys/fs/bpf");
	else
		say(f, true, "not mounted at %s; faultline mounts it when it needs it",
		    "/sys/fs/bpf");
}

static void probe_btf(struct engine_feature *f)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		say(f, true, "%s", "/sys/kernel/btf/vmlinux is there");
	else
		say(f, false, "%s is missing: the kernel was built without CONFIG_DEBUG_INFO_BTF",
		    "/sys/kernel/btf/vmlinux");
}

static void probe_cgroup2(struct engine_feature *f)
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

static void probe_prog(struct engine_feature *f, enum bpf_prog_type type, const char *what)
{
	int ret = libbpf_probe_bpf_prog_type(type, NULL);

	if (ret == 1)
		say(f, true, "%s programs load", what);
	else if (ret == 0)
		say(f, false, "this kernel does not load %s programs", what);
	else
		say(f, false, "cannot tell: %s", strerror(-ret));
}

static void probe_set_retval(struct engine_feature *f)
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

static void probe_tcx(struct engine_feature *f)
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

static void probe_tp_btf(struct engine_feature *f)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	const struct btf *btf = tracer_kernel_btf();
	int id, fd;

	if (!btf) {
		say(f, false, "%s", "no kernel BTF");
		return;
	}
	id = btf__find_by_name_kind(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
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

/* The tracer as `faultline trace` loads it, attached and detached at once. */
static void probe_tracer(struct engine_feature *f, enum tracer_mode mode)
{
	char why[200];

	if (tracer_probe(mode, why, sizeof(why)))
		say(f, false, "%s", why);
	else
		say(f, true, "%s", mode == TRACER_TP_BTF ? "the tracer loads and attaches with tp_btf"
							 : "the tracer loads and attaches with raw_tp");
}

/* A tracepoint the tracer hooks: tp_btf and raw_tp find it by its btf_trace_NAME type. */
static void probe_tracepoint(struct engine_feature *f, const char *name, const char *use)
{
	const struct btf *btf = tracer_kernel_btf();
	char type[64], why[200];
	int id;

	if (!btf) {
		say(f, false, "no kernel BTF: %s", strerror(errno));
		return;
	}
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF);
	snprintf(why, sizeof(why), id > 0 ? "in the kernel's BTF (%s): %s" : "not in this kernel: no %s",
		 type, use);
	say(f, id > 0, "%s", why);
}

/* Drop reasons are named from the running kernel's enum skb_drop_reason, never a table of ours. */
static void probe_drop_reasons(struct engine_feature *f)
{
	const struct btf *btf = tracer_kernel_btf();
	char why[200];
	int id;

	if (!btf) {
		say(f, false, "no kernel BTF: %s", strerror(errno));
		return;
	}
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id > 0)
		snprintf(why, sizeof(why),
			 "%u reasons in the kernel's BTF (enum skb_drop_reason): drops are named",
			 btf_vlen(btf__type_by_id(btf, id)));
	else
		snprintf(why, sizeof(why), "%s",
			 "no enum skb_drop_reason in the kernel's BTF (5.17+): drops are not traced");
	say(f, id > 0, "%s", why);
}

static void probe_ifb_redirect(struct engine_feature *f)
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

static void probe_ifb_mirred(struct engine_feature *f)
{
	int ret = ifb_mirred_supported();

	if (ret > 0)
		say(f, true, "%s", "IFB devices pass on packets act_mirred redirects: where they drop "
		    "bpf_redirect()ed ones (ifb_redirect no), a second tc filter's mirred action takes "
		    "what waits on a device's ingress side to its IFB");
	else if (ret == 0)
		say(f, false, "%s", "no act_mirred redirect to an IFB here (act_mirred or cls_bpf not "
		    "built, or the IFB drops its packets)");
	else
		say(f, false, "cannot tell: %s", strerror(-ret));
}

static void probe_qdisc(struct engine_feature *f, const char *kind, const char *use)
{
	int err = qdisc_supported(kind);
	char why[sizeof(((struct engine_feature *)0)->why)];

	if (!err)
		snprintf(why, sizeof(why), "the %s qdisc is available (%s)", kind, use);
	else if (err == -EPERM)
		snprintf(why, sizeof(why), "cannot tell: creating a network namespace was refused");
	else
		snprintf(why, sizeof(why), "no %s qdisc in this kernel (not built, or its module "
			 "not loadable): %s unavailable", kind, use);
	say(f, !err, "%s", why);
}

int engine_check_privileges(const char *command, struct flt_error *err)
{
	char missing[512];

	if (!privileges_missing(missing, sizeof(missing)))
		return 0;
	return flt_fail(err, FLT_ERR_SYSTEM, EPERM, "%s: missing privileges: %s; run as root or "
			"grant them", command, missing);
}

/* A probe of the kernel that needs privileges this process lacks: say so, not "unsupported". */
static bool unprivileged(struct engine_feature *f, const char *missing)
{
	if (!missing[0])
		return false;
	f->supported = false;
	snprintf(f->why, sizeof(f->why), "cannot tell without privileges: missing %s; run as root",
		 missing);
	return true;
}

enum probe_kind { P_BPFFS, P_BTF, P_CGROUP2, P_QDISC, P_TCX, P_PROG, P_RETVAL, P_TP_BTF, P_IFB,
		  P_IFB_MIRRED, P_TRACER, P_TRACEPOINT, P_DROP_REASONS };

static const struct probe {
	const char *name;
	enum probe_kind kind;
	bool privileged; /* asks the kernel to load or create something */
	int prog_type; /* P_PROG: enum bpf_prog_type; P_TRACER: enum tracer_mode */
	const char *what; /* P_PROG: the program type; P_QDISC: the qdisc kind */
	const char *use; /* P_QDISC: what needs it */
} probes[] = {
	{ "bpffs", P_BPFFS, false, 0, NULL, NULL },
	{ "btf", P_BTF, false, 0, NULL, NULL },
	{ "cgroup2", P_CGROUP2, false, 0, NULL, NULL },
	{ "clsact", P_QDISC, true, 0, "clsact", "tc programs on kernels without tcx" },
	{ "tcx", P_TCX, true, 0, NULL, NULL },
	{ "cgroup_skb", P_PROG, true, BPF_PROG_TYPE_CGROUP_SKB, "cgroup_skb", NULL },
	{ "cgroup_sock_addr", P_PROG, true, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "cgroup connect/sendmsg",
	  NULL },
	{ "set_retval", P_RETVAL, true, 0, NULL, NULL },
	{ "sock_ops", P_PROG, true, BPF_PROG_TYPE_SOCK_OPS, "sock_ops", NULL },
	{ "tp_btf", P_TP_BTF, true, 0, NULL, NULL },
	{ "fq", P_QDISC, true, 0, "fq", "delay and rate with the edt backend" },
	{ "netem", P_QDISC, true, 0, "netem", "the netem backend" },
	{ "prio", P_QDISC, true, 0, "prio", "steering to netem leaves, for the netem backend" },
	{ "ifb_redirect", P_IFB, true, 0, NULL, NULL },
	{ "ifb_mirred", P_IFB_MIRRED, true, 0, NULL, NULL },
	{ "trace_tp_btf", P_TRACER, true, TRACER_TP_BTF, NULL, NULL },
	{ "trace_raw_tp", P_TRACER, true, TRACER_RAW_TP, NULL, NULL },
	{ "sys_enter", P_TRACEPOINT, false, 0, "sys_enter", "syscall latency" },
	{ "sys_exit", P_TRACEPOINT, false, 0, "sys_exit", "syscall latency" },
	{ "inet_sock_set_state", P_TRACEPOINT, false, 0, "inet_sock_set_state",
	  "TCP connect latency and failures" },
	{ "tcp_probe", P_TRACEPOINT, false, 0, "tcp_probe", "TCP RTT" },
	{ "tcp_retransmit_skb", P_TRACEPOINT, false, 0, "tcp_retransmit_skb", "TCP retransmits" },
	{ "kfree_skb", P_TRACEPOINT, false, 0, "kfree_skb", "drops" },
	{ "drop_reasons", P_DROP_REASONS, false, 0, NULL, NULL },
};

_Static_assert(sizeof(probes) / sizeof(probes[0]) <= ENGINE_FEATURES_MAX, "too many features");

static void run_probe(const struct probe *p, struct engine_feature *f)
{
	switch (p->kind) {
	case P_BPFFS:
		probe_bpffs(f);
		break;
	case P_BTF:
		probe_btf(f);
		break;
	case P_CGROUP2:
		probe_cgroup2(f);
		break;
	case P_QDISC:
		probe_qdisc(f, p->what, p->use);
		break;
	case P_TCX:
		probe_tcx(f);
		break;
	case P_PROG:
		probe_prog(f, (enum bpf_prog_type)p->prog_type, p->what);
		break;
	case P_RETVAL:
		probe_set_retval(f);
		break;
	case P_TP_BTF:
		probe_tp_btf(f);
		break;
	case P_IFB:
		probe_ifb_redirect(f);
		break;
	case P_IFB_MIRRED:
		probe_ifb_mirred(f);
		break;
	case P_TRACER:
		probe_tracer(f, (enum tracer_mode)p->prog_type);
		break;
	case P_TRACEPOINT:
		probe_tracepoint(f, p->what, p->use);
		break;
	case P_DROP_REASONS:
		probe_drop_reasons(f);
		break;
	}
}

void engine_probe(struct engine_probe_result *res)
{
	char missing[512] = "", *ptrace;
	struct utsname uts;
	size_t i;

	memset(res, 0, sizeof(*res));
	uname(&uts);
	snprintf(res->kernel, sizeof(res->kernel), "%s", uts.release);
	/* loading programs needs CAP_BPF (CAP_SYS_ADMIN before 5.8), qdiscs CAP_NET_ADMIN;
	 * CAP_SYS_PTRACE is for pods' namespaces only, which probing does not read */
	privileges_missing(missing, sizeof(missing));
	ptrace = strstr(missing, "CAP_SYS_PTRACE");
	if (ptrace)
		*(ptrace > missing ? ptrace - 2 : ptrace) = '\0';
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct engine_feature *f = &res->features[res->n++];

		f->name = probes[i].name;
		if (!probes[i].privileged || !unprivileged(f, missing))
			run_probe(&probes[i], f);
	}
}
