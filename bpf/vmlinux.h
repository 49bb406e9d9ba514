/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel types bpf/trace.bpf.c reads, and only the fields it reads. Generated from Linux
 * 6.18's BTF with
 *     bpftool btf dump file /sys/kernel/btf/vmlinux format c
 * then cut by hand to these fields (a full dump is 135,000 lines and would clash with the UAPI
 * headers the tc side uses). Every struct carries preserve_access_index, so each access is a
 * CO-RE relocation that libbpf resolves against the running kernel's BTF: offsets here are never
 * used, only names and types. Fields that moved between kernels have a ___flavor beside them.
 * Regenerate by dumping again and copying the same fields over.
 */
#ifndef FAULTLINE_VMLINUX_H
#define FAULTLINE_VMLINUX_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct kernfs_node {
	__u64 id; /* the cgroup2 directory's inode number, what userspace compares */
};

struct cgroup {
	struct kernfs_node *kn;
	int level; /* the root is 0 */
	struct cgroup *ancestors[]; /* [level] is the cgroup itself; since 6.0 */
};

/* Before 6.0 (commit 7f203bc89eb6 "cgroup: Replace cgroup->ancestor_ids[] with ->ancestors[]"). */
struct cgroup___ancestor_ids {
	struct kernfs_node *kn;
	int level;
	__u64 ancestor_ids[];
};

struct sock_cgroup_data {
	struct cgroup *cgroup; /* the creating task's cgroup2 cgroup, since 5.15 */
};

struct sock_common {
	unsigned short skc_family;
	volatile unsigned char skc_state;
};

struct sock {
	struct sock_common __sk_common;
	struct sock_cgroup_data sk_cgrp_data;
	__u16 sk_protocol;
};

struct tcp_sock {
	__u32 srtt_us; /* smoothed RTT << 3, in microseconds */
};

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	int ifindex;
	possible_net_t nd_net;
};

struct sk_buff {
	struct net_device *dev;
	struct sock *sk;
	char cb[48]; /* TCP: struct tcp_skb_cb */
};

struct tcp_skb_cb {
	__u16 tcp_gso_segs; /* the segments a (GSO) packet stands for: tcp_skb_pcount() */
};

struct pt_regs {
	unsigned long di; /* x86_64: a syscall's first argument */
};

struct file {
	void *private_data; /* a socket file's struct socket */
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct socket {
	struct sock *sk;
};

struct task_struct {
	struct files_struct *files;
	void *bpf_storage; /* struct bpf_local_storage *: NULL for a task without task storage */
};

#pragma clang attribute pop

#endif /* FAULTLINE_VMLINUX_H */
