/* SPDX-License-Identifier: GPL-2.0-only */
/* The cgroup2 hierarchy: where it is mounted, and cgroup directories in it. */
#ifndef FAULTLINE_CGROUP_H
#define FAULTLINE_CGROUP_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/*
 * The cgroup2 mount point from /proc/self/mountinfo (/sys/fs/cgroup, or .../unified in hybrid
 * mode); a mount of the whole hierarchy is preferred over a subtree's. -ENOENT if none.
 */
int cgroup2_mount(char *path, size_t len);

/* True when the cgroup2 mount is the only cgroup mount (pure v2), false for hybrid. */
int cgroup2_is_unified_only(void);

/*
 * A plan's cgroup path (relative to the cgroup2 mount, with or without a leading '/'): its
 * absolute directory and its id (the directory's inode number, which the kernel's cgroup id
 * equals). On failure -errno with err saying why, naming the cgroup:
 *   FLT_ERR_TARGET (-ENOENT): no such cgroup, or no cgroup2 filesystem is mounted;
 *   FLT_ERR_INPUT: a ".." component or a path outside the cgroup2 filesystem (-EINVAL), a file
 *     that is no cgroup (-ENOTDIR), a path longer than PATH_MAX (-ENAMETOOLONG);
 *   FLT_ERR_SYSTEM: the mounts or the path could not be read, or dir is too short for it.
 */
int cgroup_resolve(const char *rel, char *dir, size_t dirlen, uint64_t *id, struct flt_error *err);

/* The first pid listed in dir's cgroup.procs or in any descendant's; -ESRCH when none. */
int cgroup_first_pid(const char *dir, int *pid);

/* The first pid listed in dir's own cgroup.procs, descendants ignored; -ESRCH when none. */
int cgroup_procs_first(const char *dir, int *pid);

/*
 * Call fn for each cgroup v1 hierarchy in /proc/self/mountinfo (each mounted hierarchy once):
 * its mount point and its super options ("rw,pids", "rw,name=systemd"). A nonzero return from
 * fn stops the walk and is returned. 0 when there is no v1 hierarchy.
 */
typedef int (*cgroup_v1_fn)(const char *mount, const char *options, void *arg);
int cgroup_v1_each(cgroup_v1_fn fn, void *arg);

/* Is e, an entry of d, a directory (a child cgroup)? "." and ".." are not. */
bool cgroup_is_subdir(DIR *d, const struct dirent *e);

#endif /* FAULTLINE_CGROUP_H */
