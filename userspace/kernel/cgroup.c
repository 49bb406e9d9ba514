// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cgroup hierarchies of this node, found from /proc/self/mountinfo: the cgroup2 mount
 * (/sys/fs/cgroup on a pure v2 node, /sys/fs/cgroup/unified on a hybrid one, elsewhere inside
 * a DaemonSet that mounts the host's) and the v1 hierarchies beside it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/error.h"
#include "kernel/cgroup.h"

/* Deep enough for any kubelet layout below any cgroupRoot; bounds the walk on odd trees. */
#define CGROUP_WALK_MAX_DEPTH 8
/* Distinct v1 hierarchies remembered while skipping repeated mounts of one hierarchy. */
#define CGROUP_V1_MAX_HIERARCHIES 64

struct mount_entry {
	const char *devno; /* major:minor, one per hierarchy */
	const char *root;  /* the directory of the filesystem mounted here, "/" for all of it */
	const char *mount;
	const char *fstype;
	const char *options; /* super options */
};

typedef int (*mount_fn)(const struct mount_entry *m, void *arg);

/* mountinfo escapes space, tab, newline and backslash as \ooo (proc(5), fs/proc_namespace.c). */
static void mountinfo_unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* A mountinfo line: "id parent maj:min root mount opts [optional...] - fstype source superopts" */
static int mountinfo_split(char *line, struct mount_entry *m)
{
	char *fields[6], *save = NULL, *tok;
	int i;

	line[strcspn(line, "\n")] = '\0';
	for (i = 0; i < 6; i++) {
		fields[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!fields[i])
			return -EINVAL;
	}
	while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-"))
		; /* optional fields (shared:N, master:N) */
	if (!tok)
		return -EINVAL;
	m->fstype = strtok_r(NULL, " ", &save);
	if (!m->fstype || !strtok_r(NULL, " ", &save)) /* source */
		return -EINVAL;
	m->options = strtok_r(NULL, " ", &save);
	if (!m->options)
		m->options = "";
	m->devno = fields[2];
	mountinfo_unescape(fields[3]);
	mountinfo_unescape(fields[4]);
	m->root = fields[3];
	m->mount = fields[4];
	return 0;
}

static int mountinfo_each(mount_fn fn, void *arg)
{
	struct mount_entry m;
	char *line = NULL;
	size_t cap = 0;
	int err = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (mountinfo_split(line, &m))
			continue;
		err = fn(&m, arg);
		if (err)
			break;
	}
	free(line);
	fclose(f);
	return err;
}

struct cgroup2_search {
	char best[PATH_MAX]; /* a mount of the whole hierarchy (root "/") */
	char any[PATH_MAX];  /* a mount of a subtree, when nothing better exists */
};

static int cgroup2_pick(const struct mount_entry *m, void *arg)
{
	struct cgroup2_search *s = arg;

	if (strcmp(m->fstype, "cgroup2"))
		return 0;
	if (!strcmp(m->root, "/")) {
		snprintf(s->best, sizeof(s->best), "%s", m->mount);
		return 1;
	}
	if (!s->any[0])
		snprintf(s->any, sizeof(s->any), "%s", m->mount);
	return 0;
}

int cgroup2_mount(char *path, size_t len)
{
	struct cgroup2_search s = {};
	const char *found;
	int err;

	err = mountinfo_each(cgroup2_pick, &s);
	if (err < 0)
		return err;
	found = s.best[0] ? s.best : s.any;
	if (!found[0])
		return -ENOENT;
	if (strlen(found) >= len)
		return -ENAMETOOLONG;
	strcpy(path, found);
	return 0;
}

struct cgroup_mount_count {
	unsigned int v1;
	unsigned int v2;
};

static int cgroup_count(const struct mount_entry *m, void *arg)
{
	struct cgroup_mount_count *c = arg;

	if (!strcmp(m->fstype, "cgroup"))
		c->v1++;
	else if (!strcmp(m->fstype, "cgroup2"))
		c->v2++;
	return 0;
}

int cgroup2_is_unified_only(void)
{
	struct cgroup_mount_count c = {};

	if (mountinfo_each(cgroup_count, &c) < 0)
		return 0;
	return c.v2 > 0 && c.v1 == 0;
}

struct cgroup_v1_walk {
	cgroup_v1_fn fn;
	void *arg;
	char seen[CGROUP_V1_MAX_HIERARCHIES][32];
	unsigned int nseen;
};

static int cgroup_v1_visit(const struct mount_entry *m, void *arg)
{
	struct cgroup_v1_walk *w = arg;
	unsigned int i;

	if (strcmp(m->fstype, "cgroup"))
		return 0;
	/* A hierarchy bind-mounted twice shows one device number: walk it once. */
	for (i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i], m->devno))
			return 0;
	if (w->nseen < CGROUP_V1_MAX_HIERARCHIES)
		snprintf(w->seen[w->nseen++], sizeof(w->seen[0]), "%s", m->devno);
	return w->fn(m->mount, m->options, w->arg);
}

int cgroup_v1_each(cgroup_v1_fn fn, void *arg)
{
	struct cgroup_v1_walk *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->arg = arg;
	err = mountinfo_each(cgroup_v1_visit, w);
	free(w);
	return err;
}

/* A ".." component would leave the cgroup2 mount: plans name cgroups inside it only. */
static bool path_has_dotdot(const char *rel)
{
	const char *p = rel;

	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		p += strspn(p, "/");
	}
	return false;
}

int cgroup_resolve(const char *rel, char *dir, size_t dirlen, uint64_t *id, struct flt_error *err)
{
	char mnt[PATH_MAX], path[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	size_t n;
	int ret;

	if (path_has_dotdot(rel))
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"cgroup %s: \"..\" is not allowed in a cgroup path", rel);
	ret = cgroup2_mount(mnt, sizeof(mnt));
	if (ret == -ENOENT) /* no cgroup is on this node */
		return flt_fail(err, FLT_ERR_TARGET, ret,
				"cgroup %s: no cgroup2 filesystem is mounted", rel);
	if (ret)
		return flt_fail(err, FLT_ERR_SYSTEM, ret, "cgroup %s: %s", rel, strerror(-ret));
	rel += strspn(rel, "/");
	/* a path over PATH_MAX names no cgroup; the message shows its start */
	if (snprintf(path, sizeof(path), "%s/%s", mnt, rel) >= (int)sizeof(path))
		return flt_fail(err, FLT_ERR_INPUT, ENAMETOOLONG, "cgroup %.64s...: path too long",
				rel);
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';

	if (stat(path, &st)) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENOTDIR)
			return flt_fail(err, FLT_ERR_TARGET, ENOENT,
					"cgroup %s: no such cgroup (%s does not exist)", rel, path);
		return flt_fail(err, FLT_ERR_SYSTEM, ret, "cgroup %s: %s", rel, strerror(-ret));
	}
	if (!S_ISDIR(st.st_mode))
		return flt_fail(err, FLT_ERR_INPUT, ENOTDIR,
				"cgroup %s: %s is not a directory, so not a cgroup", rel, path);
	if (statfs(path, &sfs)) {
		ret = -errno;
		return flt_fail(err, FLT_ERR_SYSTEM, ret, "cgroup %s: %s: %s", rel, path,
				strerror(-ret));
	}
	/* A path that left the cgroup2 filesystem (a mount on top of it) is no cgroup. */
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"cgroup %s: %s is not in the cgroup2 filesystem", rel, path);
	if (n >= dirlen)
		return flt_fail(err, FLT_ERR_SYSTEM, ENAMETOOLONG, "cgroup %s: path too long", rel);
	strcpy(dir, path);
	/*
	 * The kernel's cgroup id (bpf_skb_cgroup_id, bpf_get_current_cgroup_id) is the kernfs
	 * node id, which st_ino equals on 64-bit kernels since 5.5 ("kernfs: use 64bit inos if
	 * ino_t is 64bit").
	 */
	*id = st.st_ino;
	return 0;
}

int cgroup_procs_first(const char *dir, int *pid)
{
	char path[PATH_MAX];
	int ret = -ESRCH;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno; /* removed meanwhile: empty */
	if (fscanf(f, "%d", pid) == 1 && *pid > 0)
		ret = 0;
	fclose(f);
	return ret;
}

bool cgroup_is_subdir(DIR *d, const struct dirent *e)
{
	struct stat st;

	if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
		return false;
	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	return !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
}

static int first_pid_walk(char *path, size_t len, unsigned int depth, int *pid)
{
	size_t n = strlen(path);
	struct dirent *e;
	int ret;
	DIR *d;

	ret = cgroup_procs_first(path, pid);
	if (ret != -ESRCH || depth >= CGROUP_WALK_MAX_DEPTH)
		return ret;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	ret = -ESRCH;
	while ((e = readdir(d))) {
		if (!cgroup_is_subdir(d, e))
			continue;
		if (snprintf(path + n, len - n, "/%s", e->d_name) >= (int)(len - n))
			continue;
		ret = first_pid_walk(path, len, depth + 1, pid);
		path[n] = '\0';
		if (ret != -ESRCH)
			break;
	}
	closedir(d);
	return ret;
}

int cgroup_first_pid(const char *dir, int *pid)
{
	char path[PATH_MAX];

	if (strlen(dir) >= sizeof(path))
		return -ENAMETOOLONG;
	strcpy(path, dir);
	return first_pid_walk(path, sizeof(path), 0, pid);
}
