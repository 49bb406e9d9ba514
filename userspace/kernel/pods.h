/* SPDX-License-Identifier: GPL-2.0-only */
/* A Kubernetes pod on this node, found from its UID in the cgroup tree as kubelet lays it out. */
#ifndef FAULTLINE_PODS_H
#define FAULTLINE_PODS_H

#include <limits.h>
#include <net/if.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct pod {
	char cgroup_dir[PATH_MAX]; /* the pod directory in the cgroup2 mount; "" when only in cgroup v1 */
	uint64_t cgroup_id; /* that directory's id; 0 when none */
	pid_t pid; /* a process of the pod */
	int netns_fd; /* open on /proc/<pid>/ns/net; -1 when released */
	uint64_t netns_ino;
	int host_ifindex; /* host end of the pod's eth0 veth, in the caller's network namespace */
	char host_ifname[IF_NAMESIZE];
};

/*
 * Find pod uid: its cgroup (systemd or cgroupfs driver, every QoS class, any cgroupRoot,
 * cgroup v2 or v1/hybrid), a process in it, its netns, and the host end of its eth0.
 * Returns 0, or -errno with err saying which and why, naming the pod:
 *   FLT_ERR_TARGET: no such pod on this node (-ENOENT); the pod has no process (-ESRCH; CRI-O's
 *     conmon does not count); its netns has no eth0, or eth0's peer is not in the caller's netns
 *     (-ENODEV);
 *   FLT_ERR_INPUT (-EINVAL): a malformed UID, a hostNetwork pod (its netns is pid 1's or the
 *     caller's), an eth0 that is no veth;
 *   FLT_ERR_SYSTEM: the cgroup tree, /proc or the pod's netns could not be read.
 * A pod found in cgroup v1 hierarchies only gets cgroup_dir "" and cgroup_id 0.
 * On success pod->netns_fd is open: pod_release() closes it.
 */
int pod_resolve(const char *uid, struct pod *pod, struct flt_error *err);

void pod_release(struct pod *pod);

/*
 * Call fn for every pod directory in the cgroup2 tree under a kubepods ancestor (both cgroup
 * drivers, every QoS class, any cgroupRoot), with or without processes: uid in the form
 * pod_resolve() takes (lower case, with dashes, for the systemd driver's escaped names too) and
 * the directory's absolute path. Each UID once: the first directory named after it, which is
 * the one pod_resolve() looks in.
 * A nonzero return from fn stops the walk and is returned, err untouched. Else 0, or -errno with
 * err set: FLT_ERR_SYSTEM when the cgroup2 mount cannot be found or read (or memory runs out).
 */
typedef int (*pod_each_fn)(const char *uid, const char *cgroup_dir, void *arg);
int pod_each(pod_each_fn fn, void *arg, struct flt_error *err);

#endif /* FAULTLINE_PODS_H */
