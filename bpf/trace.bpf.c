// SPDX-License-Identifier: GPL-2.0-only
/*
 * faultline's tracer: per-target syscall latency, TCP connect latency and failures, RTT,
 * retransmits and drops, aggregated here per CPU (bpf/trace.h); nothing is sent per event.
 *
 * Every hook comes twice: tp_btf (BTF-typed tracepoints, 5.5+) and raw_tp for kernels without
 * them; userspace loads one set. Both call the same handler with the tracepoint's arguments.
 *
 * Attribution: syscalls by the current task's cgroup at each traced level (a pod's processes
 * live in container cgroups below the pod's); everything that may run in softirq (RTT,
 * retransmits, drops, the end of a connect) by the socket's cgroup, never by the interrupted
 * task; a drop without a socket by the device it happened on, or its netns.
 */
#include <asm/unistd_64.h>
#include <linux/bpf.h>
#include <stdbool.h>

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "trace.h"

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_NEW_SYN_RECV 12
#define IPPROTO_TCP 6
#define EBADF 9
#define EINTR 4
#define EEXIST 17
#define ENOTSOCK 88
#define EISCONN 106
#define EALREADY 114
#define EINPROGRESS 115

/* Set by userspace before load. */
const volatile __u32 flt_tr_nlevels = 0;
const volatile __u32 flt_tr_levels[FLT_TR_LEVELS_MAX] = {}; /* deepest first: it wins */
const volatile bool flt_tr_filter = false; /* trace only the syscalls in flt_tr_wanted */
const volatile __u64 flt_tr_wanted[FLT_TR_SYSCALL_NR_MAX / 64] = {};
/* tcp:tcp_retransmit_skb has an err argument (6.11+), and fires for failed attempts too */
const volatile bool flt_tr_retransmit_err = false;

/* Traced cgroups, direct-mapped (bpf/trace.h); userspace writes them through the mmapped .bss. */
struct flt_tr_slot flt_tr_slots[FLT_TR_SLOTS];

/* Traced cgroups (the target's directory id) to their target index: every one of them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLT_TR_TARGETS_MAX);
	__type(key, __u64);
	__type(value, __u32);
} flt_tr_cgroups SEC(".maps");

/* Devices ({ifindex, netns}, or {0, netns} for a whole netns) to their target index. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLT_TR_IFACES_MAX);
	__type(key, struct flt_tr_ifkey);
	__type(value, __u32);
} flt_tr_ifaces SEC(".maps");

/* Sparse: an entry is made when first needed, so memory follows what is seen (docs/trace.md). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FLT_TR_STATS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct flt_tr_key);
	__type(value, struct flt_tr_stats);
} flt_tr_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FLT_TR_HIST_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct flt_tr_key);
	__type(value, __u64);
} flt_tr_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLT_TR_OVF_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} flt_tr_overflow SEC(".maps");

/* A syscall in flight: tp_btf keeps it in task storage, raw_tp in a hash by thread. */
struct syscall_start {
	__u64 start_ns; /* 0: none in flight */
	__u32 target;
	__u32 nr;
	__u64 connect_sk; /* connect(): the TCP socket it connects, 0 for another kind */
	__u32 syn_sent; /* connect(): the socket went to SYN_SENT during the call */
	__u32 counted; /* the filter wants the syscall's own figures */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscall_start);
} flt_tr_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLT_TR_STARTS_MAX);
	__type(key, __u64);
	__type(value, struct syscall_start);
} flt_tr_thread SEC(".maps");

/* Connects in SYN_SENT, by socket address. */
struct connect_start {
	__u64 start_ns;
	__u32 target;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLT_TR_STARTS_MAX);
	__type(key, __u64);
	__type(value, struct connect_start);
} flt_tr_connects SEC(".maps");

static __always_inline void overflow(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&flt_tr_overflow, &what);

	if (n)
		*n += 1;
}

/*
 * Count n events (one when hist); ns goes into the histogram when hist. A full map is counted as
 * overflow, never guessed: an event is in both its bucket and its totals, or in neither.
 */
static __always_inline void record_n(__u32 target, __u32 kind, __u32 value, __u64 ns, bool error,
				     bool hist, __u64 n_events)
{
	struct flt_tr_key key = { .target = target, .kind = kind, .value = value };
	struct flt_tr_stats *st, zero = {};
	__u64 *n, one = 1;
	long ret;

	if (hist) {
		key.bucket = flt_tr_bucket(ns);
		n = bpf_map_lookup_elem(&flt_tr_hist, &key);
		if (n) {
			*n += 1;
		} else {
			ret = bpf_map_update_elem(&flt_tr_hist, &key, &one, BPF_NOEXIST);
			if (ret == -EEXIST) { /* another CPU made it: this CPU's slot is still 0 */
				n = bpf_map_lookup_elem(&flt_tr_hist, &key);
				if (n)
					*n += 1;
			} else if (ret) {
				overflow(FLT_TR_OVF_HIST);
				return;
			}
		}
		key.bucket = 0;
	}
	st = bpf_map_lookup_elem(&flt_tr_stats, &key);
	if (!st) {
		ret = bpf_map_update_elem(&flt_tr_stats, &key, &zero, BPF_NOEXIST);
		if (ret && ret != -EEXIST) {
			overflow(FLT_TR_OVF_STATS);
			return;
		}
		st = bpf_map_lookup_elem(&flt_tr_stats, &key);
		if (!st)
			return;
	}
	st->count += n_events;
	if (error)
		st->errors += 1;
	st->total_ns += ns;
	if (ns > st->max_ns)
		st->max_ns = ns;
}

static __always_inline void record(__u32 target, __u32 kind, __u32 value, __u64 ns, bool error,
				   bool hist)
{
	record_n(target, kind, value, ns, error, hist, 1);
}

/* --- attribution ------------------------------------------------------------------------------ */

/* The target of cgroup id: its slot, or where two share one, the hash. */
static __always_inline bool target_of_id(__u64 id, __u32 *target)
{
	struct flt_tr_slot *slot = &flt_tr_slots[id & (FLT_TR_SLOTS - 1)];
	__u32 *t;

	if (!id)
		return false;
	if (slot->cgroup_id == id) {
		*target = slot->target;
		return true;
	}
	if (!slot->shared)
		return false;
	t = bpf_map_lookup_elem(&flt_tr_cgroups, &id);
	if (!t)
		return false;
	*target = *t;
	return true;
}

static __always_inline bool target_of_current(__u32 *target)
{
	__u32 i;
	__u64 id;

	for (i = 0; i < FLT_TR_LEVELS_MAX; i++) {
		if (i >= flt_tr_nlevels)
			break;
		id = bpf_get_current_ancestor_cgroup_id(flt_tr_levels[i]);
		if (target_of_id(id, target))
			return true;
	}
	return false;
}

/*
 * Before 6.0 a cgroup listed its ancestors' ids. Its own function, so that clang cannot hoist the
 * relocation of a field the running kernel lacks out of the branch that is dead there.
 */
static __noinline __u64 ancestor_id_old(struct cgroup___ancestor_ids *cg, __u32 level)
{
	__u64 id = 0;

	if (cg)
		bpf_core_read(&id, sizeof(id), &cg->ancestor_ids[level]);
	return id;
}

/* The id of cg's ancestor at level (cg itself at its own level), 0 when cg is above it. */
static __always_inline __u64 ancestor_id(struct cgroup *cg, int cg_level, __u32 level)
{
	struct cgroup *anc = NULL;

	if ((int)level > cg_level || level >= 256)
		return 0;
	if (bpf_core_field_exists(cg->ancestors)) {
		bpf_core_read(&anc, sizeof(anc), &cg->ancestors[level]);
		return anc ? BPF_CORE_READ(anc, kn, id) : 0;
	}
	return ancestor_id_old((void *)cg, level);
}

/*
 * The target of a socket, from the cgroup it was created in (accepted sockets: the listener's).
 * Request and time-wait sockets are no full sockets: they have no cgroup data.
 */
static __always_inline bool target_of_sock(struct sock *sk, __u32 *target)
{
	struct cgroup *cg;
	__u32 i;
	__u8 state;
	int level;
	__u64 id;

	if (!sk)
		return false;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return false;
	cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	if (!cg)
		return false;
	level = BPF_CORE_READ(cg, level);
	for (i = 0; i < FLT_TR_LEVELS_MAX; i++) {
		if (i >= flt_tr_nlevels)
			break;
		id = ancestor_id(cg, level, flt_tr_levels[i]);
		if (target_of_id(id, target))
			return true;
	}
	return false;
}

static __always_inline bool target_of_dev(struct net_device *dev, __u32 *target)
{
	struct flt_tr_ifkey key = {};
	__u32 *t;

	if (!dev)
		return false;
	key.ifindex = BPF_CORE_READ(dev, ifindex);
	if (bpf_core_field_exists(dev->nd_net.net))
		key.netns_ino = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	t = bpf_map_lookup_elem(&flt_tr_ifaces, &key);
	if (!t) {
		key.ifindex = 0;
		t = bpf_map_lookup_elem(&flt_tr_ifaces, &key);
	}
	if (!t)
		return false;
	*target = *t;
	return true;
}

/* --- syscalls --------------------------------------------------------------------------------- */

static __always_inline bool syscall_wanted(long nr)
{
	if (!flt_tr_filter)
		return true;
	if (nr >= FLT_TR_SYSCALL_NR_MAX)
		return false;
	return flt_tr_wanted[nr / 64] & (1ULL << (nr % 64));
}

/* The socket of descriptor fd of the current task, NULL when it is none or no TCP socket. */
static __always_inline __u64 tcp_sock_of_fd(__u64 fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	struct socket *sock;
	struct sock *sk;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_core_read(&file, sizeof(file), &fds[fd]);
	sock = file ? BPF_CORE_READ(file, private_data) : NULL;
	sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	return (__u64)(unsigned long)sk;
}

/*
 * Whether to keep a start for syscall nr: those the filter wants, and connect() whatever the
 * filter says, for its failures before any SYN (connect_refused()).
 */
static __always_inline bool syscall_kept(long nr)
{
	return nr >= 0 && (nr == __NR_connect || syscall_wanted(nr));
}

static __always_inline void syscall_begin(struct syscall_start *st, __u32 target, long nr,
					  struct pt_regs *regs)
{
	st->target = target;
	st->nr = (__u32)nr;
	st->counted = syscall_wanted(nr);
	st->connect_sk = 0;
	st->syn_sent = 0;
	if (nr == __NR_connect)
		st->connect_sk = tcp_sock_of_fd(BPF_CORE_READ(regs, di));
	st->start_ns = bpf_ktime_get_ns();
}

/*
 * A connect() that failed before its socket sent a SYN (refused by a cgroup hook such as a
 * faultline reject, no route, no address) never reaches SYN_SENT: it is a failed connect all the
 * same. Those that did reach it are counted by their state changes.
 */
static __always_inline void connect_refused(const struct syscall_start *st, long ret)
{
	__u32 target;

	if (ret >= 0 || !st->connect_sk || st->syn_sent)
		return;
	if (ret == -EINPROGRESS || ret == -EALREADY || ret == -EISCONN || ret == -EINTR ||
	    ret == -EBADF || ret == -ENOTSOCK)
		return;
	if (target_of_sock((struct sock *)(unsigned long)st->connect_sk, &target))
		record(target, FLT_TR_CONNECT, 0, 0, true, false);
}

static __always_inline void syscall_end(struct syscall_start *st, long ret)
{
	__u64 ns = bpf_ktime_get_ns() - st->start_ns;

	st->start_ns = 0;
	if (st->counted)
		record(st->target, FLT_TR_SYSCALL, st->nr, ns, ret < 0, true);
	if (st->nr == __NR_connect)
		connect_refused(st, ret);
}

/* tp_btf: the task's own storage, no hashing; an untraced task has none and pays one check. */
SEC("tp_btf/sys_enter")
int flt_tr_sys_enter_btf(__u64 *ctx)
{
	long nr = (long)ctx[1];
	struct syscall_start *st;
	__u32 target;

	if (!syscall_kept(nr) || !target_of_current(&target))
		return 0;
	st = bpf_task_storage_get(&flt_tr_task, bpf_get_current_task_btf(), NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st) {
		overflow(FLT_TR_OVF_STARTS);
		return 0;
	}
	syscall_begin(st, target, nr, (struct pt_regs *)ctx[0]);
	return 0;
}

SEC("tp_btf/sys_exit")
int flt_tr_sys_exit_btf(__u64 *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct syscall_start *st;

	/* a task that no program gave storage (every untraced one) stops at one load */
	if (bpf_core_field_exists(task->bpf_storage) && !task->bpf_storage)
		return 0;
	st = bpf_task_storage_get(&flt_tr_task, task, NULL, 0);
	if (st && st->start_ns)
		syscall_end(st, (long)ctx[1]);
	return 0;
}

SEC("raw_tp/sys_enter")
int flt_tr_sys_enter_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct syscall_start st = {};
	__u64 tid = bpf_get_current_pid_tgid();
	long nr = (long)ctx->args[1];
	__u32 target;

	if (!syscall_kept(nr) || !target_of_current(&target))
		return 0;
	syscall_begin(&st, target, nr, (struct pt_regs *)ctx->args[0]);
	if (bpf_map_update_elem(&flt_tr_thread, &tid, &st, BPF_ANY))
		overflow(FLT_TR_OVF_STARTS);
	return 0;
}

SEC("raw_tp/sys_exit")
int flt_tr_sys_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct syscall_start *st;

	st = bpf_map_lookup_elem(&flt_tr_thread, &tid);
	if (!st)
		return 0;
	if (st->start_ns)
		syscall_end(st, (long)ctx->args[1]);
	bpf_map_delete_elem(&flt_tr_thread, &tid);
	return 0;
}

/* --- TCP -------------------------------------------------------------------------------------- */

/*
 * sock:inet_sock_set_state. connect() moves a socket CLOSE -> SYN_SENT in the caller's context;
 * the handshake ends SYN_SENT -> ESTABLISHED (in softirq) or SYN_SENT -> CLOSE (refused, timed
 * out, given up).
 */
/* connect() sent a SYN: the syscall's end need not count it (see connect_refused()). */
static __always_inline void mark_syn_sent(__u64 sk, bool btf)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct syscall_start *st;

	if (btf)
		st = bpf_task_storage_get(&flt_tr_task, bpf_get_current_task_btf(), NULL, 0);
	else
		st = bpf_map_lookup_elem(&flt_tr_thread, &tid);
	if (st && st->connect_sk == sk)
		st->syn_sent = 1;
}

static __always_inline int on_set_state(struct sock *sk, int oldstate, int newstate, bool btf)
{
	__u64 key = (__u64)(unsigned long)sk;
	struct connect_start *cs, start = {};
	__u32 target;

	if (newstate != TCP_SYN_SENT && oldstate != TCP_SYN_SENT)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == TCP_SYN_SENT) {
		if (!target_of_sock(sk, &target))
			return 0;
		start.start_ns = bpf_ktime_get_ns();
		start.target = target;
		if (bpf_map_update_elem(&flt_tr_connects, &key, &start, BPF_ANY))
			overflow(FLT_TR_OVF_STARTS);
		mark_syn_sent(key, btf);
		return 0;
	}
	cs = bpf_map_lookup_elem(&flt_tr_connects, &key);
	if (!cs)
		return 0;
	if (newstate == TCP_ESTABLISHED)
		record(cs->target, FLT_TR_CONNECT, 0, bpf_ktime_get_ns() - cs->start_ns, false, true);
	else
		record(cs->target, FLT_TR_CONNECT, 0, 0, true, false);
	bpf_map_delete_elem(&flt_tr_connects, &key);
	return 0;
}

/* tcp:tcp_probe, at the top of tcp_rcv_established: srtt as it stands when a segment arrives. */
static __always_inline int on_tcp_probe(struct sock *sk)
{
	__u32 target, srtt_us;

	if (!target_of_sock(sk, &target))
		return 0;
	srtt_us = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
	if (srtt_us)
		record(target, FLT_TR_RTT, 0, (__u64)srtt_us * 1000, false, true);
	return 0;
}

/* Retransmitted segments, as netstat's "segments retransmitted": a GSO packet counts as many. */
static __always_inline int on_retransmit(struct sock *sk, struct sk_buff *skb, int err)
{
	struct tcp_skb_cb *cb = (void *)&skb->cb[0];
	__u32 target;
	__u16 segs;

	if (err || !target_of_sock(sk, &target))
		return 0;
	segs = BPF_CORE_READ(cb, tcp_gso_segs);
	record_n(target, FLT_TR_RETRANS, 0, 0, false, false, segs ? segs : 1);
	return 0;
}

/* skb:kfree_skb (a drop; consumed packets have their own tracepoint). */
static __always_inline int on_kfree_skb(struct sk_buff *skb, __u32 reason)
{
	__u32 target;

	if (!target_of_sock(BPF_CORE_READ(skb, sk), &target) &&
	    !target_of_dev(BPF_CORE_READ(skb, dev), &target))
		return 0;
	record(target, FLT_TR_DROP, reason, 0, false, false);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int flt_tr_set_state_btf(__u64 *ctx)
{
	return on_set_state((struct sock *)ctx[0], (int)ctx[1], (int)ctx[2], true);
}

SEC("raw_tp/inet_sock_set_state")
int flt_tr_set_state_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_set_state((struct sock *)ctx->args[0], (int)ctx->args[1], (int)ctx->args[2],
			    false);
}

SEC("tp_btf/tcp_probe")
int flt_tr_tcp_probe_btf(__u64 *ctx)
{
	return on_tcp_probe((struct sock *)ctx[0]);
}

SEC("raw_tp/tcp_probe")
int flt_tr_tcp_probe_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_tcp_probe((struct sock *)ctx->args[0]);
}

SEC("tp_btf/tcp_retransmit_skb")
int flt_tr_retransmit_btf(__u64 *ctx)
{
	return on_retransmit((struct sock *)ctx[0], (struct sk_buff *)ctx[1],
			     flt_tr_retransmit_err ? (int)ctx[2] : 0);
}

SEC("raw_tp/tcp_retransmit_skb")
int flt_tr_retransmit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_retransmit((struct sock *)ctx->args[0], (struct sk_buff *)ctx->args[1],
			     flt_tr_retransmit_err ? (int)ctx->args[2] : 0);
}

SEC("tp_btf/kfree_skb")
int flt_tr_kfree_skb_btf(__u64 *ctx)
{
	return on_kfree_skb((struct sk_buff *)ctx[0], (__u32)ctx[2]);
}

SEC("raw_tp/kfree_skb")
int flt_tr_kfree_skb_raw(struct bpf_raw_tracepoint_args *ctx)
{
	return on_kfree_skb((struct sk_buff *)ctx->args[0], (__u32)ctx->args[2]);
}

char LICENSE[] SEC("license") = "GPL";
