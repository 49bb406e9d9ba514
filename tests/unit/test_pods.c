// SPDX-License-Identifier: GPL-2.0-only
/*
 * pod_resolve() and the cgroup helpers against real cgroups holding real processes: one pod per
 * layout of /work/shared/notes/kubelet-layouts.md (systemd and cgroupfs drivers, every QoS class,
 * containerd, CRI-O with conmon and crun, docker, non-default cgroupRoots, cgroup2 and v1), each
 * with a process in its own network namespace whose eth0 is a veth.
 *
 * Needs root. Every cgroup is made under <mount>/faultline-test-<pid>/ (cgroup2 and one v1
 * hierarchy), so nothing meets a real kubelet's pods, and is removed after each test with its
 * processes and veths, on failure too.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "common/error.h"
#include "kernel/cgroup.h"
#include "kernel/pods.h"

#define MAX_KIDS 16
#define MAX_VETHS 16
/* Short enough that paths built on them always fit in PATH_MAX. */
#define MOUNT_MAX 1024
#define BASE_MAX (MOUNT_MAX + 64)

/* Where a pod's process sits, network-wise. */
enum pod_net {
	NET_VETH,     /* its own netns, eth0 a veth whose peer is in the test's netns */
	NET_CALLER,   /* the test's netns: the host network as the caller sees it */
	NET_NODE,     /* pid 1's netns: the node's host network */
	NET_LO_ONLY,  /* its own netns, no eth0 */
	NET_IFB,      /* its own netns, eth0 an ifb device */
	NET_FAR_VETH, /* its own netns, eth0's veth peer in a third netns */
};

enum runtime { CONTAINERD, CRIO, CRIO_CRUN, DOCKER };

struct layout {
	bool systemd;	  /* systemd driver (slices), else cgroupfs */
	const char *qos;  /* "burstable" or "besteffort"; NULL for Guaranteed */
	const char *root; /* cgroupRoot below the test's base; NULL for "/" */
	enum runtime runtime;
	bool v1;	 /* in the v1 hierarchy instead of the cgroup2 tree */
	const char *uid; /* NULL: a fresh UUID */
};

struct test_pod {
	char uid[40];
	char dir[PATH_MAX / 2]; /* the pod's directory; half, so its children's paths fit */
	char leaf[PATH_MAX];	/* the container cgroup holding its process */
	char conmon[PATH_MAX];	/* CRI-O's conmon sibling; "" for other runtimes */
	pid_t pid;
	char veth[IF_NAMESIZE]; /* host end of its eth0 with NET_VETH */
};

static struct {
	char cg2[MOUNT_MAX];	 /* the cgroup2 mount */
	char cg2_base[BASE_MAX]; /* the tests' cgroupRoot in it */
	char v1[MOUNT_MAX];	 /* a v1 hierarchy, pids preferred; "" on a pure v2 node */
	char v1_base[BASE_MAX];
	pid_t kids[MAX_KIDS];
	int nkids;
	char veths[MAX_VETHS][IF_NAMESIZE];
	int nveths;
	unsigned int seq;
} t;

/* The test's own reading of mountinfo, independent of cgroup.c's. */
static void find_cgroup_mounts(void)
{
	char line[4096], mnt[MOUNT_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		if (strstr(line, " - cgroup2 ") && !t.cg2[0])
			snprintf(t.cg2, sizeof(t.cg2), "%s", mnt);
		else if (strstr(line, " - cgroup ") && (!t.v1[0] || strstr(line, ",pids")))
			snprintf(t.v1, sizeof(t.v1), "%s", mnt);
	}
	if (f)
		fclose(f);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(!mkdir(buf, 0755) || errno == EEXIST);
		*p = '/';
	}
	assert_true(!mkdir(buf, 0755) || errno == EEXIST);
}

/* Remove a cgroup tree deepest first; a cgroup whose last process just died can be busy briefly. */
static int rm_tree(const char *path, bool keep_top)
{
	char child[PATH_MAX];
	struct dirent *e;
	int i, ret = 0;
	DIR *d;

	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		if (rm_tree(child, false))
			ret = -EBUSY;
	}
	closedir(d);
	if (keep_top)
		return ret;
	for (i = 0; i < 300; i++) {
		if (!rmdir(path) || errno == ENOENT)
			return ret;
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	fprintf(stderr, "cleanup: cannot remove %s: %s\n", path, strerror(errno));
	return -errno;
}

static void run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	if (status)
		fprintf(stderr, "command failed (status %d): %s\n", status, cmd);
	assert_int_equal(status, 0);
}

static void cleanup_all(void)
{
	char cmd[64];
	int i;

	for (i = 0; i < t.nveths; i++) {
		if (!if_nametoindex(t.veths[i]))
			continue; /* moved away or gone with its peer's netns */
		snprintf(cmd, sizeof(cmd), "ip link del %s", t.veths[i]);
		if (system(cmd))
			fprintf(stderr, "cleanup: cannot delete %s\n", t.veths[i]);
	}
	t.nveths = 0;
	for (i = 0; i < t.nkids; i++) {
		kill(t.kids[i], SIGKILL);
		waitpid(t.kids[i], NULL, 0);
	}
	t.nkids = 0;
	rm_tree(t.cg2_base, true);
	if (t.v1[0])
		rm_tree(t.v1_base, true);
}

/*
 * A process that joins cgroup (when not NULL) through its cgroup.procs, takes the network
 * namespace net asks for, and waits to be killed; its parent's death kills it too.
 */
static pid_t spawn(const char *cgroup, enum pod_net net)
{
	char status = 0, procs[PATH_MAX];
	int ready[2];
	pid_t pid;

	assert_true(t.nkids < MAX_KIDS);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		if (cgroup) {
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
			if (write_file(procs, "0"))
				status = 1;
		}
		if (!status && net != NET_CALLER && net != NET_NODE && unshare(CLONE_NEWNET))
			status = 2;
		if (!status && net == NET_NODE) {
			fd = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWNET))
				status = 3;
		}
		if (write(ready[1], &status, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	t.kids[t.nkids++] = pid;
	close(ready[1]);
	assert_int_equal(read(ready[0], &status, 1), 1);
	close(ready[0]);
	if (status)
		fprintf(stderr, "child of %s failed at step %d\n", cgroup ? cgroup : "(none)",
			status);
	assert_int_equal(status, 0);
	return pid;
}

static void add_veth_name(char *name)
{
	assert_true(t.nveths < MAX_VETHS);
	snprintf(name, IF_NAMESIZE, "flt%u", t.seq++);
	snprintf(t.veths[t.nveths++], IF_NAMESIZE, "%s", name);
}

/* Gives pid's netns what net asks for; name gets the veth's host end with NET_VETH. */
static void give_netns(pid_t pid, enum pod_net net, char *name)
{
	pid_t far;

	name[0] = '\0';
	switch (net) {
	case NET_VETH:
		add_veth_name(name);
		run("ip link add name %s type veth peer name eth0 netns %d", name, pid);
		break;
	case NET_IFB:
		run("nsenter --net=/proc/%d/ns/net ip link add name eth0 type ifb", pid);
		break;
	case NET_FAR_VETH:
		far = spawn(NULL, NET_LO_ONLY);
		add_veth_name(name);
		run("ip link add name %s type veth peer name eth0 netns %d", name, pid);
		run("ip link set %s netns %d", name, far);
		name[0] = '\0';
		break;
	default:
		break;
	}
}

static void fresh_uid(char *uid, size_t len)
{
	unsigned int seq = t.seq++;

	snprintf(uid, len, "%08x-%04x-4%03x-8%03x-%012x", (unsigned int)getpid(), seq & 0xffff,
		 seq & 0xfff, (seq * 7) & 0xfff, 0xfa017000u + seq);
}

static void container_id(char *id, size_t len)
{
	unsigned int seq = t.seq++;

	snprintf(id, len, "%016llx%016llx%016llx%016llx", (unsigned long long)getpid(),
		 (unsigned long long)seq, 0xfa0171e5c0ffee00ULL, (unsigned long long)seq * 31);
}

/* Makes the pod's cgroups as kubelet and the runtime would; no process yet. */
static void build_pod(const struct layout *l, struct test_pod *p)
{
	const char *comps[4];
	char slice[256] = "", id[65], name[300], uid_escaped[40];
	size_t n = 0, i, len;

	memset(p, 0, sizeof(*p));
	if (l->uid)
		snprintf(p->uid, sizeof(p->uid), "%s", l->uid);
	else
		fresh_uid(p->uid, sizeof(p->uid));
	for (i = 0; i <= strlen(p->uid); i++)
		uid_escaped[i] = p->uid[i] == '-' ? '_' : p->uid[i];

	if (l->root)
		comps[n++] = l->root;
	comps[n++] = "kubepods";
	if (l->qos)
		comps[n++] = l->qos;
	snprintf(p->dir, sizeof(p->dir), "%s", l->v1 ? t.v1_base : t.cg2_base);
	for (i = 0; i <= n; i++) {
		const char *comp = i < n ? comps[i] : NULL;

		if (!l->systemd) {
			/* cgroupfs: plain components, kubepods/<qos>/pod<UID> */
			snprintf(name, sizeof(name), comp ? "%s" : "pod%s", comp ? comp : p->uid);
		} else {
			/* systemd: each slice named after all its ancestors, joined with '-' */
			len = strlen(slice);
			if (comp)
				snprintf(slice + len, sizeof(slice) - len, "%s%s", len ? "-" : "",
					 comp);
			else
				snprintf(slice + len, sizeof(slice) - len, "-pod%s", uid_escaped);
			snprintf(name, sizeof(name), "%s.slice", slice);
		}
		len = strlen(p->dir);
		snprintf(p->dir + len, sizeof(p->dir) - len, "/%s", name);
	}

	container_id(id, sizeof(id));
	switch (l->runtime) {
	case CONTAINERD:
		snprintf(p->leaf, sizeof(p->leaf), "%s/%s%s%s", p->dir,
			 l->systemd ? "cri-containerd-" : "", id, l->systemd ? ".scope" : "");
		break;
	case CRIO:
	case CRIO_CRUN:
		snprintf(p->leaf, sizeof(p->leaf), "%s/crio-%s%s%s", p->dir, id,
			 l->systemd ? ".scope" : "", l->runtime == CRIO_CRUN ? "/container" : "");
		snprintf(p->conmon, sizeof(p->conmon), "%s/crio-conmon-%s%s", p->dir, id,
			 l->systemd ? ".scope" : "");
		mkdir_p(p->conmon);
		break;
	case DOCKER:
		snprintf(p->leaf, sizeof(p->leaf), "%s/docker-%s.scope", p->dir, id);
		break;
	}
	mkdir_p(p->leaf);
}

/* build_pod, then a container process with net, and conmon's process beside it for CRI-O. */
static void start_pod(const struct layout *l, struct test_pod *p, enum pod_net net)
{
	build_pod(l, p);
	/* conmon first, so that a reader taking the first process it meets would take conmon's */
	if (p->conmon[0])
		spawn(p->conmon, NET_CALLER);
	p->pid = spawn(p->leaf, net);
	give_netns(p->pid, net, p->veth);
}

static uint64_t inode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* pod_resolve must find exactly what start_pod made. */
static void expect_resolved(const struct layout *l, const struct test_pod *p, const char *uid)
{
	struct flt_error err = {};
	struct pod pod;
	struct stat st;
	char nspath[64];
	int ret;

	ret = pod_resolve(uid ? uid : p->uid, &pod, &err);
	if (ret)
		print_error("pod_resolve: %s\n", err.message);
	assert_int_equal(ret, 0);
	assert_int_equal(err.kind, FLT_ERR_NONE);
	if (l->v1) {
		assert_string_equal(pod.cgroup_dir, "");
		assert_int_equal(pod.cgroup_id, 0);
	} else {
		assert_string_equal(pod.cgroup_dir, p->dir);
		assert_int_equal(pod.cgroup_id, inode_of(p->dir));
	}
	assert_int_equal(pod.pid, p->pid);
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)p->pid);
	assert_int_equal(pod.netns_ino, inode_of(nspath));
	assert_true(pod.netns_fd >= 0);
	assert_int_equal(fstat(pod.netns_fd, &st), 0);
	assert_int_equal(st.st_ino, pod.netns_ino);
	assert_int_equal(pod.host_ifindex, if_nametoindex(p->veth));
	assert_string_equal(pod.host_ifname, p->veth);
	pod_release(&pod);
	assert_int_equal(pod.netns_fd, -1);
}

static void expect_pod_layout(const struct layout *l)
{
	struct test_pod p;

	if (l->v1 && !t.v1[0])
		skip(); /* a pure cgroup2 node has no v1 hierarchy */
	start_pod(l, &p, NET_VETH);
	expect_resolved(l, &p, NULL);
}

/* pod_resolve fails with want, an error of kind and a message naming the pod and holding what. */
static void expect_failure(const char *uid, int want, enum flt_err_kind kind, const char *what)
{
	struct flt_error err = {};
	struct pod pod;
	int ret;

	ret = pod_resolve(uid, &pod, &err);
	if (ret != want || err.kind != kind)
		print_error("pod_resolve(%s) = %d, kind %d: %s\n", uid, ret, err.kind, err.message);
	assert_int_equal(ret, want);
	assert_int_equal(err.kind, kind);
	assert_int_equal(err.errnum, -want);
	assert_int_equal(pod.netns_fd, -1);
	if (strlen(uid) == 36 && !strstr(err.message, uid))
		fail_msg("message does not name the pod: %s", err.message);
	if (!strstr(err.message, what))
		fail_msg("message lacks \"%s\": %s", what, err.message);
}

static int teardown(void **state)
{
	(void)state;
	cleanup_all();
	return 0;
}

/* cgroup.c */

static void test_cgroup2_mount_is_the_cgroup2_filesystem(void **state)
{
	char mnt[PATH_MAX];
	struct statfs sfs;

	(void)state;
	assert_int_equal(cgroup2_mount(mnt, sizeof(mnt)), 0);
	assert_string_equal(mnt, t.cg2);
	assert_int_equal(statfs(mnt, &sfs), 0);
	assert_int_equal(sfs.f_type, CGROUP2_SUPER_MAGIC);
	assert_int_equal(cgroup2_mount(mnt, 4), -ENAMETOOLONG);
}

static void test_cgroup2_is_unified_only_iff_no_v1_mount(void **state)
{
	(void)state;
	assert_int_equal(cgroup2_is_unified_only(), t.v1[0] == '\0');
}

static void test_cgroup_resolve_gives_dir_and_inode(void **state)
{
	char dir[PATH_MAX], want[PATH_MAX], rel[PATH_MAX];
	const char *base = t.cg2_base + strlen(t.cg2) + 1;
	struct flt_error err = {};
	uint64_t id = 0;

	(void)state;
	snprintf(want, sizeof(want), "%s/app/web", t.cg2_base);
	mkdir_p(want);
	snprintf(rel, sizeof(rel), "%s/app/web", base);
	assert_int_equal(cgroup_resolve(rel, dir, sizeof(dir), &id, &err), 0);
	assert_int_equal(err.kind, FLT_ERR_NONE);
	assert_string_equal(dir, want);
	assert_int_equal(id, inode_of(want));

	/* a leading '/' and trailing ones change nothing */
	snprintf(rel, sizeof(rel), "/%s/app/web//", base);
	id = 0;
	assert_int_equal(cgroup_resolve(rel, dir, sizeof(dir), &id, &err), 0);
	assert_string_equal(dir, want);
	assert_int_equal(id, inode_of(want));

	/* a cgroup that is there, but longer than the caller's buffer */
	assert_int_equal(cgroup_resolve(rel, dir, 8, &id, &err), -ENAMETOOLONG);
	assert_int_equal(err.kind, FLT_ERR_SYSTEM);
	assert_non_null(strstr(err.message, "path too long"));
}

/* cgroup_resolve fails with want, an error of kind and a message holding what. */
static void expect_cgroup_failure(const char *rel, int want, enum flt_err_kind kind,
				  const char *what)
{
	struct flt_error err = {};
	char dir[PATH_MAX];
	uint64_t id;

	assert_int_equal(cgroup_resolve(rel, dir, sizeof(dir), &id, &err), want);
	assert_int_equal(err.kind, kind);
	assert_int_equal(err.errnum, -want);
	if (!strstr(err.message, what))
		fail_msg("message lacks \"%s\": %s", what, err.message);
}

static void test_cgroup_resolve_refuses_dotdot_files_and_missing(void **state)
{
	const char *base = t.cg2_base + strlen(t.cg2) + 1;
	char rel[PATH_MAX + 16];

	(void)state;
	snprintf(rel, sizeof(rel), "%s/../%s", base, base);
	expect_cgroup_failure(rel, -EINVAL, FLT_ERR_INPUT, "\"..\"");
	expect_cgroup_failure("..", -EINVAL, FLT_ERR_INPUT, "\"..\"");

	snprintf(rel, sizeof(rel), "%s/cgroup.procs", base);
	expect_cgroup_failure(rel, -ENOTDIR, FLT_ERR_INPUT, "not a directory");

	snprintf(rel, sizeof(rel), "%s/no-such-group", base);
	expect_cgroup_failure(rel, -ENOENT, FLT_ERR_TARGET, "no-such-group");
	expect_cgroup_failure(rel, -ENOENT, FLT_ERR_TARGET, "no such cgroup");

	/* a path that could name no cgroup: the plan's fault, not the system's */
	memset(rel, 'a', PATH_MAX);
	rel[PATH_MAX] = '\0';
	expect_cgroup_failure(rel, -ENAMETOOLONG, FLT_ERR_INPUT, "path too long");
}

static void test_cgroup_first_pid_walks_descendants(void **state)
{
	char top[BASE_MAX + 16], leaf[BASE_MAX + 32], empty[PATH_MAX];
	pid_t kid;
	int pid = 0;

	(void)state;
	snprintf(top, sizeof(top), "%s/walk", t.cg2_base);
	snprintf(leaf, sizeof(leaf), "%s/a/b/c", top);
	snprintf(empty, sizeof(empty), "%s/empty/x", t.cg2_base);
	mkdir_p(leaf);
	mkdir_p(empty);
	assert_int_equal(cgroup_first_pid(top, &pid), -ESRCH);

	kid = spawn(leaf, NET_CALLER);
	assert_int_equal(cgroup_first_pid(top, &pid), 0);
	assert_int_equal(pid, kid);
	assert_int_equal(cgroup_procs_first(top, &pid), -ESRCH);
	assert_int_equal(cgroup_procs_first(leaf, &pid), 0);
	assert_int_equal(pid, kid);
	assert_int_equal(cgroup_first_pid(empty, &pid), -ESRCH);
}

/* every layout */

static void test_pod_systemd_containerd_besteffort(void **state)
{
	const struct layout l = {.systemd = true, .qos = "besteffort", .runtime = CONTAINERD};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_systemd_containerd_burstable(void **state)
{
	const struct layout l = {.systemd = true, .qos = "burstable", .runtime = CONTAINERD};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_systemd_containerd_guaranteed(void **state)
{
	const struct layout l = {.systemd = true, .runtime = CONTAINERD};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_cgroupfs_containerd_besteffort(void **state)
{
	const struct layout l = {.qos = "besteffort", .runtime = CONTAINERD};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_cgroupfs_containerd_burstable(void **state)
{
	const struct layout l = {.qos = "burstable", .runtime = CONTAINERD};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_cgroupfs_containerd_guaranteed_any_uid_case(void **state)
{
	const struct layout l = {.runtime = CONTAINERD};
	char upper[40];
	struct test_pod p;
	size_t i;

	(void)state;
	start_pod(&l, &p, NET_VETH);
	expect_resolved(&l, &p, NULL);
	for (i = 0; i <= strlen(p.uid); i++)
		upper[i] = (char)toupper((unsigned char)p.uid[i]);
	expect_resolved(&l, &p, upper);
}

static void test_pod_systemd_crio_skips_conmon(void **state)
{
	const struct layout l = {.systemd = true, .qos = "burstable", .runtime = CRIO};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_systemd_crio_crun_container_child(void **state)
{
	const struct layout l = {.systemd = true, .qos = "besteffort", .runtime = CRIO_CRUN};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_cgroupfs_crio_skips_conmon(void **state)
{
	const struct layout l = {.qos = "burstable", .runtime = CRIO};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_systemd_docker(void **state)
{
	const struct layout l = {.systemd = true, .qos = "burstable", .runtime = DOCKER};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_systemd_cgroup_root_kubelet_slice(void **state)
{
	/* kind: kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/... */
	const struct layout l = {
		.systemd = true, .root = "kubelet", .qos = "besteffort", .runtime = CONTAINERD};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_cgroupfs_cgroup_root_kubelet(void **state)
{
	const struct layout l = {.root = "kubelet", .qos = "burstable", .runtime = CONTAINERD};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_cgroupfs_static_pod_hash_uid(void **state)
{
	/* static pods are named by the 32 hex digits of their manifest's hash, no dashes */
	char uid[40];
	const struct layout l = {.qos = "burstable", .runtime = CONTAINERD, .uid = uid};

	(void)state;
	snprintf(uid, sizeof(uid), "%08x5d41402abc4b2a76b971%04x", (unsigned int)getpid(),
		 t.seq++ & 0xffff);
	expect_pod_layout(&l);
}

static void test_pod_v1_cgroupfs_containerd_burstable(void **state)
{
	const struct layout l = {.v1 = true, .qos = "burstable", .runtime = CONTAINERD};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_v1_cgroupfs_crio_guaranteed_cgroup_root(void **state)
{
	const struct layout l = {.v1 = true, .root = "kubelet", .runtime = CRIO};

	(void)state;
	expect_pod_layout(&l);
}

static void test_pod_v1_when_cgroup2_mirror_is_empty(void **state)
{
	/* hybrid: the pod's directory exists in the cgroup2 tree but its processes are in v1 only
	 */
	const struct layout l1 = {.v1 = true, .qos = "besteffort", .runtime = CONTAINERD};
	struct layout l2 = {.qos = "besteffort", .runtime = CONTAINERD};
	struct test_pod p, mirror;

	(void)state;
	if (!t.v1[0])
		skip();
	start_pod(&l1, &p, NET_VETH);
	l2.uid = p.uid;
	build_pod(&l2, &mirror);
	expect_resolved(&l1, &p, NULL);
}

/* failures */

static void test_pod_host_network_in_callers_netns_is_einval(void **state)
{
	const struct layout l = {.systemd = true, .qos = "burstable", .runtime = CONTAINERD};
	struct test_pod p;

	(void)state;
	start_pod(&l, &p, NET_CALLER);
	expect_failure(p.uid, -EINVAL, FLT_ERR_INPUT,
		       "uses the host network: it has no interface of its own");
}

static void test_pod_host_network_in_node_netns_is_einval(void **state)
{
	const struct layout l = {.qos = "besteffort", .runtime = CONTAINERD};
	struct test_pod p;
	struct stat st;

	(void)state;
	if (stat("/proc/1/ns/net", &st)) {
		print_message("cannot read /proc/1/ns/net here (%s)\n", strerror(errno));
		skip();
	}
	start_pod(&l, &p, NET_NODE);
	expect_failure(p.uid, -EINVAL, FLT_ERR_INPUT, "uses the host network");
}

static void test_pod_unknown_uid_is_enoent(void **state)
{
	char uid[40], where[PATH_MAX + 32];

	(void)state;
	fresh_uid(uid, sizeof(uid));
	snprintf(where, sizeof(where), "searched the cgroup tree under %s", t.cg2);
	expect_failure(uid, -ENOENT, FLT_ERR_TARGET, "no such pod on this node");
	expect_failure(uid, -ENOENT, FLT_ERR_TARGET, where);
}

static void test_pod_malformed_uid_is_einval(void **state)
{
	static const char *const bad[] = {
		"",
		"nginx-7d9c",
		"9ac48755_3968_48e4_b9dc_6d4b69f3bb42", /* the systemd escaping, not a UID */
		"9ac48755-3968-48e4-b9dc-6d4b69f3bb4",	/* one digit short */
		"9ac48755-3968-48e4-b9dc-6d4b69f3bb42a",
		"9ac48755-3968-48e4-b9dc-6d4b69f3bb4g",
		"../../../../etc/passwd",
		"9ac48755-3968-48e4-b9dc/6d4b69f3bb42",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_failure(bad[i], -EINVAL, FLT_ERR_INPUT, "is malformed");
}

static void test_pod_without_process_is_esrch(void **state)
{
	const struct layout l = {.systemd = true, .qos = "burstable", .runtime = CONTAINERD};
	struct test_pod p;

	(void)state;
	build_pod(&l, &p);
	expect_failure(p.uid, -ESRCH, FLT_ERR_TARGET, "no process in its cgroup");
}

static void test_pod_with_only_conmon_is_esrch(void **state)
{
	/* conmon is not in the pod's netns: its process must never stand for the pod */
	const struct layout l = {.systemd = true, .qos = "besteffort", .runtime = CRIO};
	struct test_pod p;

	(void)state;
	build_pod(&l, &p);
	spawn(p.conmon, NET_CALLER);
	expect_failure(p.uid, -ESRCH, FLT_ERR_TARGET, "no process in its cgroup");
}

static void test_pod_without_eth0_is_enodev(void **state)
{
	const struct layout l = {.qos = "burstable", .runtime = CONTAINERD};
	struct test_pod p;

	(void)state;
	start_pod(&l, &p, NET_LO_ONLY);
	expect_failure(p.uid, -ENODEV, FLT_ERR_TARGET, "no eth0 in its network namespace");
}

static void test_pod_eth0_not_veth_is_einval(void **state)
{
	const struct layout l = {.qos = "burstable", .runtime = CONTAINERD};
	struct test_pod p;

	(void)state;
	start_pod(&l, &p, NET_IFB);
	expect_failure(p.uid, -EINVAL, FLT_ERR_INPUT,
		       "eth0 in its network namespace is not a veth");
}

static void test_pod_eth0_peer_in_other_netns_is_enodev(void **state)
{
	const struct layout l = {.systemd = true, .qos = "burstable", .runtime = CONTAINERD};
	struct test_pod p;

	(void)state;
	start_pod(&l, &p, NET_FAR_VETH);
	expect_failure(p.uid, -ENODEV, FLT_ERR_TARGET, "is not in this network namespace");
}

/* pod_each */

#define EACH_MAX 64

struct each_seen {
	char uid[EACH_MAX][40];
	char dir[EACH_MAX][PATH_MAX];
	int n;	     /* pods under the test's base */
	int calls;   /* every pod, the node's own (or simpod's) too */
	int dups;    /* UIDs given twice */
	int stop_at; /* return 42 at this call; 0: never */
	char all[4 * EACH_MAX][40];
};

static int collect_pod(const char *uid, const char *cgroup_dir, void *arg)
{
	struct each_seen *s = arg;
	size_t base = strlen(t.cg2_base);
	int i;

	for (i = 0; i < s->calls && i < 4 * EACH_MAX; i++)
		if (!strcmp(s->all[i], uid))
			s->dups++;
	if (s->calls < 4 * EACH_MAX)
		snprintf(s->all[s->calls], sizeof(s->all[0]), "%s", uid);
	s->calls++;
	if (!strncmp(cgroup_dir, t.cg2_base, base) && cgroup_dir[base] == '/' && s->n < EACH_MAX) {
		snprintf(s->uid[s->n], sizeof(s->uid[0]), "%s", uid);
		snprintf(s->dir[s->n], sizeof(s->dir[0]), "%s", cgroup_dir);
		s->n++;
	}
	return s->calls == s->stop_at ? 42 : 0;
}

/* How often pod_each gave uid for the test's base, and where (the last one). */
static int seen_times(const struct each_seen *s, const char *uid, const char **dir)
{
	int i, times = 0;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->uid[i], uid))
			continue;
		times++;
		*dir = s->dir[i];
	}
	return times;
}

static void test_pod_each_lists_every_layout_once(void **state)
{
	static const struct layout layouts[] = {
		{.systemd = true, .qos = "besteffort", .runtime = CONTAINERD},
		{.systemd = true, .qos = "burstable", .runtime = CRIO},
		{.systemd = true, .runtime = DOCKER},
		{.systemd = true, .root = "kubelet", .qos = "besteffort", .runtime = CONTAINERD},
		{.qos = "besteffort", .runtime = CONTAINERD},
		{.qos = "burstable", .runtime = CRIO_CRUN},
		{.runtime = CONTAINERD},
		{.root = "kubelet", .qos = "burstable", .runtime = CONTAINERD},
	};
	enum { NLAYOUTS = sizeof(layouts) / sizeof(layouts[0]) };
	static struct test_pod pods[NLAYOUTS + 3], dup, nested;
	static struct each_seen seen;
	struct layout l, static_sd = {.systemd = true, .qos = "burstable", .runtime = CONTAINERD};
	char uids[3][40], outside[40], path[PATH_MAX];
	struct flt_error err = {};
	const char *dir = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < NLAYOUTS; i++)
		build_pod(&layouts[i], &pods[i]);
	/* static pods, 32 hex digits, under both drivers */
	snprintf(uids[0], sizeof(uids[0]), "%08x5d41402abc4b2a76b971%04x", (unsigned int)getpid(),
		 t.seq++ & 0xffff);
	snprintf(uids[1], sizeof(uids[1]), "%08x5d41402abc4b2a76b971%04x", (unsigned int)getpid(),
		 t.seq++ & 0xffff);
	l = (struct layout){.qos = "besteffort", .runtime = CONTAINERD, .uid = uids[0]};
	build_pod(&l, &pods[NLAYOUTS]);
	static_sd.uid = uids[1];
	build_pod(&static_sd, &pods[NLAYOUTS + 1]);
	/* a UUID written in capitals (kubelet never does): given back in lower case */
	fresh_uid(uids[2], sizeof(uids[2]));
	for (i = 0; uids[2][i]; i++)
		uids[2][i] = (char)toupper((unsigned char)uids[2][i]);
	l = (struct layout){.systemd = true, .runtime = CONTAINERD, .uid = uids[2]};
	build_pod(&l, &pods[NLAYOUTS + 2]);
	for (i = 0; uids[2][i]; i++)
		pods[NLAYOUTS + 2].uid[i] = (char)tolower((unsigned char)uids[2][i]);

	/* the first pod again under the other driver: one UID, listed once */
	l = layouts[0];
	l.systemd = false;
	l.uid = pods[0].uid;
	build_pod(&l, &dup);
	/*
	 * Look-alikes: a pod name outside kubepods, a pod below a directory named like one
	 * (kubepods/podcast/kubepods/pod<UID>: pods hold containers, never pods), names that
	 * are no UID.
	 */
	fresh_uid(outside, sizeof(outside));
	snprintf(path, sizeof(path), "%s/pod%s", t.cg2_base, outside);
	mkdir_p(path);
	l = (struct layout){.root = "kubepods/podcast", .runtime = CONTAINERD};
	build_pod(&l, &nested);
	snprintf(path, sizeof(path), "%s/kubepods.slice/kubepods-pod%s.slice", t.cg2_base,
		 "not-a-uid");
	mkdir_p(path);

	assert_int_equal(pod_each(collect_pod, &seen, &err), 0);
	assert_int_equal(err.kind, FLT_ERR_NONE);
	assert_int_equal(seen.dups, 0);
	for (i = 0; i < NLAYOUTS + 3; i++) {
		if (seen_times(&seen, pods[i].uid, &dir) != 1)
			fail_msg("pod %s (%s): listed %d times", pods[i].uid, pods[i].dir,
				 seen_times(&seen, pods[i].uid, &dir));
		if (i == 0 && !strcmp(dir, dup.dir))
			continue; /* either of its two directories */
		assert_string_equal(dir, pods[i].dir);
	}
	assert_int_equal(seen.n, NLAYOUTS + 3);
	assert_int_equal(seen_times(&seen, nested.uid, &dir), 0);
	assert_int_equal(seen_times(&seen, outside, &dir), 0);
}

static void test_pod_each_stops_at_nonzero(void **state)
{
	static const struct layout l = {.qos = "burstable", .runtime = CONTAINERD};
	static struct each_seen seen;
	struct flt_error err = {};
	struct test_pod a, b;

	(void)state;
	build_pod(&l, &a);
	build_pod(&l, &b);
	seen.stop_at = 1;
	assert_int_equal(pod_each(collect_pod, &seen, &err), 42);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(err.kind, FLT_ERR_NONE);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(t.cg2_base, sizeof(t.cg2_base), "%s/faultline-test-%d", t.cg2, (int)getpid());
	if (mkdir(t.cg2_base, 0755)) {
		fprintf(stderr, "cannot create %s: %s\n", t.cg2_base, strerror(errno));
		return -1;
	}
	if (t.v1[0]) {
		snprintf(t.v1_base, sizeof(t.v1_base), "%s/faultline-test-%d", t.v1, (int)getpid());
		if (mkdir(t.v1_base, 0755)) {
			fprintf(stderr, "cannot create %s: %s\n", t.v1_base, strerror(errno));
			rmdir(t.cg2_base);
			return -1;
		}
	}
	return 0;
}

static int group_teardown(void **state)
{
	struct stat st;
	int ret = 0;

	(void)state;
	cleanup_all();
	rm_tree(t.cg2_base, false);
	if (t.v1[0])
		rm_tree(t.v1_base, false);
	if (!stat(t.cg2_base, &st) || (t.v1[0] && !stat(t.v1_base, &st))) {
		fprintf(stderr, "cleanup: test cgroups remain under %s or %s\n", t.cg2_base,
			t.v1_base);
		ret = -1;
	}
	return ret;
}

#define POD_TEST(fn) cmocka_unit_test_teardown(fn, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		POD_TEST(test_cgroup2_mount_is_the_cgroup2_filesystem),
		POD_TEST(test_cgroup2_is_unified_only_iff_no_v1_mount),
		POD_TEST(test_cgroup_resolve_gives_dir_and_inode),
		POD_TEST(test_cgroup_resolve_refuses_dotdot_files_and_missing),
		POD_TEST(test_cgroup_first_pid_walks_descendants),
		POD_TEST(test_pod_systemd_containerd_besteffort),
		POD_TEST(test_pod_systemd_containerd_burstable),
		POD_TEST(test_pod_systemd_containerd_guaranteed),
		POD_TEST(test_pod_cgroupfs_containerd_besteffort),
		POD_TEST(test_pod_cgroupfs_containerd_burstable),
		POD_TEST(test_pod_cgroupfs_containerd_guaranteed_any_uid_case),
		POD_TEST(test_pod_systemd_crio_skips_conmon),
		POD_TEST(test_pod_systemd_crio_crun_container_child),
		POD_TEST(test_pod_cgroupfs_crio_skips_conmon),
		POD_TEST(test_pod_systemd_docker),
		POD_TEST(test_pod_systemd_cgroup_root_kubelet_slice),
		POD_TEST(test_pod_cgroupfs_cgroup_root_kubelet),
		POD_TEST(test_pod_cgroupfs_static_pod_hash_uid),
		POD_TEST(test_pod_v1_cgroupfs_containerd_burstable),
		POD_TEST(test_pod_v1_cgroupfs_crio_guaranteed_cgroup_root),
		POD_TEST(test_pod_v1_when_cgroup2_mirror_is_empty),
		POD_TEST(test_pod_host_network_in_callers_netns_is_einval),
		POD_TEST(test_pod_host_network_in_node_netns_is_einval),
		POD_TEST(test_pod_unknown_uid_is_enoent),
		POD_TEST(test_pod_malformed_uid_is_einval),
		POD_TEST(test_pod_without_process_is_esrch),
		POD_TEST(test_pod_with_only_conmon_is_esrch),
		POD_TEST(test_pod_without_eth0_is_enodev),
		POD_TEST(test_pod_eth0_not_veth_is_einval),
		POD_TEST(test_pod_eth0_peer_in_other_netns_is_enodev),
		POD_TEST(test_pod_each_lists_every_layout_once),
		POD_TEST(test_pod_each_stops_at_nonzero),
	};

	if (geteuid() != 0) {
		printf("SKIP: needs root to create cgroups and namespaces\n");
		return 77;
	}
	/*
	 * The whole test runs in a network namespace of its own: the veths it makes, and the
	 * pods' namespaces (its children's), hang off it, so the host's interfaces are never
	 * touched and anything a crash leaves behind goes away with the namespace.
	 */
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP: cannot create a network namespace: %s\n", strerror(errno));
		return 77;
	}
	find_cgroup_mounts();
	if (!t.cg2[0]) {
		printf("SKIP: no cgroup2 filesystem is mounted\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
