// SPDX-License-Identifier: GPL-2.0-only
/*
 * A pod on this node from its UID alone, without the Kubernetes API: its directory in the cgroup
 * tree as kubelet lays it out (both cgroup drivers, every QoS class, any cgroupRoot), a process
 * of one of its containers, that process's network namespace and the host end of its eth0 veth.
 * The layouts follow kubelet's pkg/kubelet/cm (cgroup_manager_linux.go and the QoS and pod
 * container managers), containerd's and CRI-O's cgroup paths and runc's systemd unit names.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "kernel/cgroup.h"
#include "kernel/netdev.h"
#include "kernel/pods.h"

/* Pod directories sit 1-5 levels deep under usual cgroupRoots; 8 leaves room, bounds the walk. */
#define POD_WALK_MAX_DEPTH 8
/* The pod's interface: CNI plugins name the pod end of the veth eth0. */
#define POD_IFNAME "eth0"
/* RFC 4122 UUID text: 8-4-4-4-12 hex digits. */
#define POD_UID_LEN 36
/* A static pod's UID: 32 hex digits, an MD5 hash of its manifest (kubelet config/common.go). */
#define POD_STATIC_UID_LEN 32
/* Container ids of containerd, CRI-O and docker: 64 hex digits. */
#define CONTAINER_ID_LEN 64
/* A process can exit between being listed and having its netns opened: look again this often. */
#define POD_PID_ATTEMPTS 3

struct pod_search {
	char cgroupfs_name[sizeof("pod") + POD_UID_LEN];	 /* pod<UID> */
	char systemd_suffix[sizeof("-pod.slice") + POD_UID_LEN]; /* -pod<UID_>.slice */
	char dir[PATH_MAX];	  /* the pod's directory, once found */
	char empty_dir[PATH_MAX]; /* a pod directory found without any process */
	pid_t pid;
	unsigned int v1_hierarchies; /* v1 hierarchies searched */
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * A UID as kubelet names cgroups after it: a UUID, or a static pod's 32 hex digits. Kubernetes
 * writes hex in lower case, so upper-case input is folded rather than refused.
 */
static int uid_parse(const char *uid, char *out)
{
	size_t i, n = strlen(uid);

	if (n == POD_UID_LEN) {
		for (i = 0; i < n; i++) {
			bool dash = i == 8 || i == 13 || i == 18 || i == 23;

			if (dash ? uid[i] != '-' : !isxdigit((unsigned char)uid[i]))
				return -EINVAL;
		}
	} else if (n != POD_STATIC_UID_LEN || !is_hex(uid, n)) {
		return -EINVAL;
	}
	for (i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)uid[i]);
	return 0;
}

/*
 * The root of kubelet's pod tree: kubepods (cgroupfs), kubepods.slice (systemd), or
 * <root>-kubepods.slice (systemd under a cgroupRoot such as kind's kubelet.slice).
 */
static bool is_kubepods(const char *name)
{
	return !strcmp(name, "kubepods") || !strcmp(name, "kubepods.slice") ||
	       has_suffix(name, "-kubepods.slice");
}

static bool is_this_pod(const struct pod_search *s, const char *name)
{
	return !strcmp(name, s->cgroupfs_name) || has_suffix(name, s->systemd_suffix);
}

/* Any pod's directory: below it are containers, never another pod. */
static bool is_some_pod(const char *name)
{
	return !strncmp(name, "pod", 3) || (strstr(name, "-pod") && has_suffix(name, ".slice"));
}

/* Called with each pod directory the walk meets (parent/name); nonzero stops the walk. */
typedef int (*pod_dir_fn)(const char *parent, const char *name, void *arg);

/*
 * Depth-first walk below path (a buffer of PATH_MAX) calling fn for every pod directory under a
 * kubepods ancestor; kube says whether path is one or lies below one. Returns fn's nonzero
 * return, else 0. Unreadable directories are passed over: they cannot be kubelet's.
 */
static int pod_walk(char *path, unsigned int depth, bool kube, pod_dir_fn fn, void *arg)
{
	size_t n = strlen(path);
	struct dirent *e;
	int ret = 0;
	DIR *d;

	d = opendir(path);
	if (!d)
		return 0;
	while (!ret && (e = readdir(d))) {
		if (!cgroup_is_subdir(d, e))
			continue;
		if (kube && is_some_pod(e->d_name))
			ret = fn(path, e->d_name, arg);
		else if (depth + 1 >= POD_WALK_MAX_DEPTH)
			continue;
		else if (snprintf(path + n, PATH_MAX - n, "/%s", e->d_name) < (int)(PATH_MAX - n)) {
			ret = pod_walk(path, depth + 1, kube || is_kubepods(e->d_name), fn, arg);
			path[n] = '\0';
		}
	}
	closedir(d);
	return ret;
}

/* 1 when name is the searched pod's directory (s->dir set). */
static int pod_match(const char *parent, const char *name, void *arg)
{
	struct pod_search *s = arg;

	if (!is_this_pod(s, name))
		return 0;
	snprintf(s->dir, sizeof(s->dir), "%s/%s", parent, name);
	return 1;
}

static int pod_walk_from(const char *root, pod_dir_fn fn, void *arg)
{
	char path[PATH_MAX];

	if (strlen(root) >= sizeof(path))
		return 0;
	strcpy(path, root);
	return pod_walk(path, 0, false, fn, arg);
}

/* 1 when the pod's directory is found below root (s->dir set). */
static int pod_find_in(struct pod_search *s, const char *root)
{
	return pod_walk_from(root, pod_match, s);
}

/* cri-containerd-<ID>.scope or <ID>, crio-<ID>.scope or crio-<ID>, docker-<ID>.scope */
static bool is_container_dir(const char *name)
{
	static const struct {
		const char *prefix, *suffix;
	} forms[] = {
		{"cri-containerd-", ".scope"},
		{"crio-", ".scope"},
		{"crio-", ""},
		{"docker-", ".scope"},
		{"", ""},
	};
	size_t i, n = strlen(name);

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t p = strlen(forms[i].prefix), q = strlen(forms[i].suffix);

		if (n == p + CONTAINER_ID_LEN + q && !strncmp(name, forms[i].prefix, p) &&
		    has_suffix(name, forms[i].suffix) && is_hex(name + p, CONTAINER_ID_LEN))
			return true;
	}
	return false;
}

/* CRI-O's conmon monitors a container from outside the pod's network namespace. */
static bool is_conmon_dir(const char *name)
{
	return !strncmp(name, "crio-conmon-", strlen("crio-conmon-"));
}

/*
 * A process of the pod in dir: from a container's cgroup first (or its children, where crun
 * puts the processes in a "container" child), then any other child but conmon's, then the pod
 * directory itself. Every container of a pod shares its netns, the sandbox's included.
 */
static int pod_find_pid(const char *dir, pid_t *pid)
{
	char path[PATH_MAX];
	struct dirent *e;
	int pass, err;
	DIR *d;

	for (pass = 0; pass < 2; pass++) {
		d = opendir(dir);
		if (!d)
			return errno == ENOENT ? -ESRCH : -errno;
		err = -ESRCH;
		while (err == -ESRCH && (e = readdir(d))) {
			if (!cgroup_is_subdir(d, e) || is_conmon_dir(e->d_name) ||
			    is_container_dir(e->d_name) != (pass == 0))
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
			    (int)sizeof(path))
				continue;
			err = cgroup_first_pid(path, pid);
		}
		closedir(d);
		if (err != -ESRCH)
			return err;
	}
	return cgroup_procs_first(dir, pid);
}

/* v1 hierarchies repeat the pod's path under each controller: the first with a process wins. */
static int pod_search_v1(const char *mount, const char *options, void *arg)
{
	struct pod_search *s = arg;

	(void)options;
	s->v1_hierarchies++;
	if (!pod_find_in(s, mount))
		return 0;
	if (!pod_find_pid(s->dir, &s->pid))
		return 1;
	snprintf(s->empty_dir, sizeof(s->empty_dir), "%s", s->dir);
	s->dir[0] = '\0';
	return 0;
}

static bool same_netns(const struct stat *a, const char *path)
{
	struct stat b;

	return !stat(path, &b) && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

/* Locate the pod's cgroup and a process in it: 0, or -errno with err set (see pod_resolve). */
static int pod_locate(struct pod_search *s, const char *uid, struct pod *pod, struct flt_error *err)
{
	char cg2[PATH_MAX] = "";
	struct stat st;
	int ret;

	s->dir[0] = s->empty_dir[0] = '\0';
	s->v1_hierarchies = 0;
	pod->cgroup_dir[0] = '\0';
	pod->cgroup_id = 0;

	ret = cgroup2_mount(cg2, sizeof(cg2));
	if (ret && ret != -ENOENT)
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"pod %s: cannot find the cgroup2 mount: %s", uid, strerror(-ret));
	if (cg2[0] && pod_find_in(s, cg2)) {
		ret = pod_find_pid(s->dir, &s->pid);
		if (!ret) {
			if (stat(s->dir, &st)) {
				ret = -errno;
				return flt_fail(err, FLT_ERR_SYSTEM, ret, "pod %s: %s: %s", uid,
						s->dir, strerror(-ret));
			}
			snprintf(pod->cgroup_dir, sizeof(pod->cgroup_dir), "%s", s->dir);
			pod->cgroup_id = st.st_ino; /* see cgroup_resolve() */
			return 0;
		}
		if (ret != -ESRCH)
			return flt_fail(err, FLT_ERR_SYSTEM, ret,
					"pod %s: cannot list the processes of %s: %s", uid, s->dir,
					strerror(-ret));
		/*
		 * An empty pod directory in a hybrid node's cgroup2 tree: the processes live in
		 * the v1 hierarchies only, where cgroup2 hooks cannot see them.
		 */
		snprintf(s->empty_dir, sizeof(s->empty_dir), "%s", s->dir);
		s->dir[0] = '\0';
	}

	/* Not in the cgroup2 tree: a hybrid node with the cgroupfs driver keeps pods in v1 only. */
	ret = cgroup_v1_each(pod_search_v1, s);
	if (ret < 0)
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"pod %s: cannot read the cgroup v1 mounts: %s", uid,
				strerror(-ret));
	if (ret > 0)
		return 0;
	if (s->empty_dir[0])
		return flt_fail(err, FLT_ERR_TARGET, ESRCH,
				"pod %s: no process in its cgroup %s (conmon does not count)", uid,
				s->empty_dir);
	if (!cg2[0] && !s->v1_hierarchies)
		return flt_fail(err, FLT_ERR_TARGET, ENOENT,
				"pod %s: no cgroup filesystem is mounted", uid);
	return flt_fail(err, FLT_ERR_TARGET, ENOENT,
			"pod %s: no such pod on this node (searched the cgroup tree under %s%s%s)",
			uid, cg2[0] ? cg2 : "", cg2[0] && s->v1_hierarchies ? " and " : "",
			s->v1_hierarchies ? "the cgroup v1 hierarchies" : "");
}

/*
 * The pod's netns (in pod) from one of its processes: 0; -ESRCH, err untouched, when that process
 * is gone (the caller looks again); or -errno with err set.
 */
static int pod_open_netns(struct pod *pod, const char *uid, struct flt_error *err)
{
	char path[64];
	struct stat st;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pod->pid);
	pod->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pod->netns_fd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ESRCH)
			return -ESRCH;
		return flt_fail(err, FLT_ERR_SYSTEM, ret, "pod %s: cannot open %s: %s", uid, path,
				strerror(-ret));
	}
	if (fstat(pod->netns_fd, &st)) {
		ret = -errno;
		return flt_fail(err, FLT_ERR_SYSTEM, ret, "pod %s: %s: %s", uid, path,
				strerror(-ret));
	}
	pod->netns_ino = st.st_ino;
	/*
	 * The node's namespace is pid 1's (visible with hostPID); the caller's own counts too:
	 * a pod there has no veth whose host end the caller could reach.
	 */
	if (same_netns(&st, "/proc/1/ns/net") || same_netns(&st, "/proc/thread-self/ns/net"))
		return flt_fail(
			err, FLT_ERR_INPUT, EINVAL,
			"pod %s uses the host network: it has no interface of its own to fault",
			uid);
	return 0;
}

/* The host end of the pod's eth0: its veth peer, confirmed to be in the caller's namespace. */
static int pod_host_end(struct pod *pod, const char *uid, struct flt_error *err)
{
	int ret, peer, eth0;

	ret = netdev_veth_peer(pod->netns_fd, POD_IFNAME, &peer);
	if (!ret)
		ret = netdev_ifindex(pod->netns_fd, POD_IFNAME, &eth0);
	if (ret == -ENODEV)
		return flt_fail(err, FLT_ERR_TARGET, ENODEV,
				"pod %s: no %s in its network namespace (process %d)", uid,
				POD_IFNAME, (int)pod->pid);
	if (ret == -EINVAL)
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"pod %s: %s in its network namespace is not a veth (process %d)",
				uid, POD_IFNAME, (int)pod->pid);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"pod %s: cannot query %s in its network namespace: %s", uid,
				POD_IFNAME, strerror(-ret));
	ret = netdev_is_veth_peer_in(peer, pod->netns_fd, eth0, pod->host_ifname);
	if (ret < 0)
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"pod %s: cannot query the host end of its %s (ifindex %d): %s", uid,
				POD_IFNAME, peer, strerror(-ret));
	if (!ret)
		return flt_fail(
			err, FLT_ERR_TARGET, ENODEV,
			"pod %s: the veth peer of its %s (ifindex %d) is not in this network "
			"namespace",
			uid, POD_IFNAME, peer);
	pod->host_ifindex = peer;
	return 0;
}

int pod_resolve(const char *uid_in, struct pod *pod, struct flt_error *err)
{
	char uid[POD_UID_LEN + 1], uid_escaped[POD_UID_LEN + 1];
	struct pod_search s = {};
	int ret, attempt;
	size_t i;

	memset(pod, 0, sizeof(*pod));
	pod->netns_fd = -1;
	if (!uid_in || uid_parse(uid_in, uid))
		return flt_fail(
			err, FLT_ERR_INPUT, EINVAL,
			"pod uid \"%.64s\" is malformed: want a UUID such as "
			"9ac48755-3968-48e4-b9dc-6d4b69f3bb42 (or a static pod's 32 hex digits)",
			uid_in ? uid_in : "");
	/* systemd's driver escapes the UID's dashes as underscores, nothing else. */
	for (i = 0; i <= strlen(uid); i++)
		uid_escaped[i] = uid[i] == '-' ? '_' : uid[i];
	snprintf(s.cgroupfs_name, sizeof(s.cgroupfs_name), "pod%s", uid);
	snprintf(s.systemd_suffix, sizeof(s.systemd_suffix), "-pod%s.slice", uid_escaped);

	for (attempt = 0; attempt < POD_PID_ATTEMPTS; attempt++) {
		ret = pod_locate(&s, uid, pod, err);
		if (ret)
			return ret;
		pod->pid = s.pid;
		ret = pod_open_netns(pod, uid, err);
		if (ret != -ESRCH)
			break;
		pod_release(pod);
	}
	if (ret == -ESRCH)
		ret = flt_fail(
			err, FLT_ERR_TARGET, ESRCH,
			"pod %s: its processes keep exiting before their netns can be opened", uid);
	if (!ret)
		ret = pod_host_end(pod, uid, err);
	if (ret)
		pod_release(pod);
	return ret;
}

void pod_release(struct pod *pod)
{
	if (pod->netns_fd >= 0)
		close(pod->netns_fd);
	pod->netns_fd = -1;
}

/*
 * The UID a pod directory is named after, in the form pod_resolve() takes: pod<UID> (cgroupfs)
 * or ...-pod<UID_>.slice (systemd, the UID's dashes escaped as underscores). 0, or -EINVAL for a
 * name that only looks like a pod's.
 */
static int pod_dir_uid(const char *name, char *uid)
{
	char raw[POD_UID_LEN + 1];
	const char *start, *p;
	size_t n, i;

	if (!strncmp(name, "pod", 3) && !uid_parse(name + 3, uid))
		return 0;
	if (!has_suffix(name, ".slice"))
		return -EINVAL;
	for (start = NULL, p = name; (p = strstr(p, "-pod")); p++)
		start = p + strlen("-pod");
	if (!start)
		return -EINVAL;
	n = strlen(start) - strlen(".slice");
	/* a dash there would be a further slice level, not part of the UID */
	if (n >= sizeof(raw) || memchr(start, '-', n))
		return -EINVAL;
	for (i = 0; i < n; i++)
		raw[i] = start[i] == '_' ? '-' : start[i];
	raw[n] = '\0';
	return uid_parse(raw, uid);
}

struct pod_each_walk {
	pod_each_fn fn;
	void *arg;
	char (*seen)[POD_UID_LEN + 1]; /* UIDs already given to fn */
	size_t nseen, cap;
	bool oom;
};

static int pod_each_dir(const char *parent, const char *name, void *arg)
{
	struct pod_each_walk *w = arg;
	char uid[POD_UID_LEN + 1], dir[PATH_MAX];
	size_t i;

	if (pod_dir_uid(name, uid) ||
	    snprintf(dir, sizeof(dir), "%s/%s", parent, name) >= (int)sizeof(dir))
		return 0;
	/* the first directory of a UID is the one pod_resolve() takes: report that one only */
	for (i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i], uid))
			return 0;
	if (w->nseen == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		void *seen = realloc(w->seen, cap * sizeof(*w->seen));

		if (!seen) {
			w->oom = true;
			return -ENOMEM;
		}
		w->seen = seen;
		w->cap = cap;
	}
	strcpy(w->seen[w->nseen++], uid);
	return w->fn(uid, dir, w->arg);
}

int pod_each(pod_each_fn fn, void *arg, struct flt_error *err)
{
	struct pod_each_walk w = {.fn = fn, .arg = arg};
	char cg2[PATH_MAX];
	int ret;
	DIR *d;

	ret = cgroup2_mount(cg2, sizeof(cg2));
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, ret, "pods: cannot find the cgroup2 mount: %s",
				strerror(-ret));
	/* below the top, unreadable directories are passed over; the top itself must be read */
	d = opendir(cg2);
	if (!d) {
		ret = -errno;
		return flt_fail(err, FLT_ERR_SYSTEM, ret,
				"pods: cannot read the cgroup2 mount %s: %s", cg2, strerror(-ret));
	}
	closedir(d);
	ret = pod_walk_from(cg2, pod_each_dir, &w);
	free(w.seen);
	if (w.oom)
		return flt_fail(err, FLT_ERR_SYSTEM, ENOMEM,
				"pods: cannot list the pods under %s: %s", cg2, strerror(ENOMEM));
	return ret;
}
