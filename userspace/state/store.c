// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/clock.h"
#include "common/log.h"
#include "state/store.h"

#define STATE_DEFAULT_ROOT "/sys/fs/bpf/faultline"
#define META_PIN "flt_meta"
#define META_TMP_PIN "flt_meta_new" /* bpffs refuses names with a dot */
#define META_MAX_BYTES (4U << 20)
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define FROZEN_DIR "frozen"
#define SEEN_PIN "agent_seen"

static void plan_fd_forget(struct state_store *st);

const char *state_root(void)
{
	const char *root = getenv("FAULTLINE_PIN_DIR");

	return root && *root ? root : STATE_DEFAULT_ROOT;
}

int state_check_name(const char *name, struct flt_error *err)
{
	size_t i, len = name ? strlen(name) : 0;

	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			break;
	if (len >= 1 && len < STATE_NAME_MAX && i == len)
		return 0;
	return flt_fail(err, FLT_ERR_INPUT, EINVAL,
			"plan name \"%.80s\": invalid plan name: use a-z, 0-9 and '-', 1 to %d "
			"characters",
			name ? name : "", STATE_NAME_MAX - 1);
}

/* The root's parent, which must be on bpffs (mounted here at /sys/fs/bpf if it is not). */
static int mount_bpffs(const char *parent, struct flt_error *err)
{
	struct statfs sfs;

	if (statfs(parent, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	/* bpffs is not mounted on every system (kernel-facts.md): mount it where pins are expected */
	if (strcmp(parent, "/sys/fs/bpf"))
		return flt_fail(err, FLT_ERR_SYSTEM, ENOTSUP, "%s is not on a bpf filesystem",
				parent);
	if (mount("bpf", parent, "bpf", 0, "mode=0700"))
		return flt_fail(err, FLT_ERR_SYSTEM, errno, "cannot mount bpffs at %s: %s", parent,
				strerror(errno));
	pr_debug("mounted bpffs at %s\n", parent);
	return 0;
}

static int open_plans(struct state_store *st, bool create)
{
	if (st->plans_fd >= 0)
		return 0;
	if (st->root_fd < 0)
		return -ENOENT;
	if (create && mkdirat(st->root_fd, "plans", 0700) && errno != EEXIST)
		return -errno;
	st->plans_fd = openat(st->root_fd, "plans", DIR_FLAGS);
	return st->plans_fd < 0 ? -errno : 0;
}

int state_open(struct state_store *st, bool create, struct flt_error *err)
{
	char parent[PATH_MAX], *slash;
	const char *base;
	int parent_fd, ret;

	memset(st, 0, sizeof(*st));
	st->root_fd = st->plans_fd = st->lock_fd = st->plan_fd = -1;
	snprintf(st->root, sizeof(st->root), "%s", state_root());
	snprintf(parent, sizeof(parent), "%s", st->root);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent || !slash[1])
		return flt_fail(err, FLT_ERR_INPUT, EINVAL,
				"state folder %s: must be an absolute path below a bpffs mount", st->root);
	*slash = '\0';
	base = slash + 1;
	ret = mount_bpffs(parent, err);
	if (ret)
		return ret;
	parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0)
		return flt_fail(err, FLT_ERR_SYSTEM, errno, "cannot open %s: %s", parent,
				strerror(errno));
	if (flock(parent_fd, LOCK_EX)) {
		ret = flt_fail(err, FLT_ERR_SYSTEM, errno, "cannot lock %s: %s", parent,
			       strerror(errno));
		close(parent_fd);
		return ret;
	}
	st->lock_fd = parent_fd;
	if (create && mkdirat(parent_fd, base, 0700) && errno != EEXIST)
		goto fail;
	st->root_fd = openat(parent_fd, base, DIR_FLAGS);
	if (st->root_fd < 0 && (errno != ENOENT || create))
		goto fail;
	ret = open_plans(st, create);
	if (ret && (ret != -ENOENT || create)) {
		errno = -ret;
		goto fail;
	}
	return 0;
fail:
	ret = flt_fail(err, FLT_ERR_SYSTEM, errno, "cannot open faultline's state in %s: %s",
		       st->root, strerror(errno));
	state_close(st);
	return ret;
}

void state_close(struct state_store *st)
{
	plan_fd_forget(st);
	if (st->plans_fd >= 0)
		close(st->plans_fd);
	if (st->root_fd >= 0)
		close(st->root_fd);
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* releases the flock */
	st->plans_fd = st->root_fd = st->lock_fd = -1;
}

void state_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_plan_names(struct state_store *st, char ***names, size_t *n)
{
	char **list = NULL, **grown;
	struct dirent *de;
	size_t count = 0;
	int fd;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (st->plans_fd < 0)
		return 0;
	fd = dup(st->plans_fd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		/* only folders with a valid plan name are plans: anything else is not ours */
		if (de->d_type != DT_DIR || state_check_name(de->d_name, NULL))
			continue;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown)
			break;
		list = grown;
		list[count] = strdup(de->d_name);
		if (list[count])
			count++;
	}
	closedir(d);
	if (count)
		qsort(list, count, sizeof(*list), name_cmp);
	*names = list;
	*n = count;
	return 0;
}

int state_plan_create(struct state_store *st, const char *name)
{
	int ret;

	if (state_check_name(name, NULL))
		return -EINVAL;
	ret = open_plans(st, true);
	if (ret)
		return ret;
	return mkdirat(st->plans_fd, name, 0700) ? -errno : 0;
}

bool state_plan_exists(struct state_store *st, const char *name)
{
	struct stat sb;

	return st->plans_fd >= 0 && !state_check_name(name, NULL) &&
	       !fstatat(st->plans_fd, name, &sb, AT_SYMLINK_NOFOLLOW) && S_ISDIR(sb.st_mode);
}

/* An fd on plans/<name>, kept in the store so that pin paths through it stay valid. */
static int plan_fd(struct state_store *st, const char *name)
{
	int fd;

	if (state_check_name(name, NULL) || st->plans_fd < 0)
		return -EINVAL;
	if (st->plan_fd >= 0 && !strcmp(st->plan_name, name))
		return st->plan_fd;
	fd = openat(st->plans_fd, name, DIR_FLAGS);
	if (fd < 0)
		return -errno;
	if (st->plan_fd >= 0)
		close(st->plan_fd);
	st->plan_fd = fd;
	snprintf(st->plan_name, sizeof(st->plan_name), "%s", name);
	return fd;
}

static void plan_fd_forget(struct state_store *st)
{
	if (st->plan_fd >= 0)
		close(st->plan_fd);
	st->plan_fd = -1;
	st->plan_name[0] = '\0';
}

static int fd_path(int fd, const char *file, char *buf, size_t len)
{
	int n;

	if (fd < 0)
		return fd;
	if (strchr(file, '/') || !strcmp(file, ".") || !strcmp(file, ".."))
		return -EINVAL;
	n = snprintf(buf, len, "/proc/self/fd/%d/%s", fd, file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int state_pin_path(struct state_store *st, const char *name, const char *file, char *buf,
		   size_t len)
{
	return fd_path(plan_fd(st, name), file, buf, len);
}

int state_root_path(struct state_store *st, const char *file, char *buf, size_t len)
{
	return fd_path(st->root_fd, file, buf, len);
}

int state_map_create_pinned(int type, const char *name, uint32_t key_size, uint32_t value_size,
			    uint32_t max_entries, const char *pin)
{
	int fd, err;

	fd = bpf_map_create((enum bpf_map_type)type, name, key_size, value_size, max_entries, NULL);
	if (fd < 0)
		return fd;
	err = bpf_obj_pin(fd, pin);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int state_desc_write(struct state_store *st, const struct state_desc *d)
{
	char pin[PATH_MAX], *text, *buf;
	uint32_t key = 0, size;
	size_t need;
	int fd, dfd, err;

	dfd = plan_fd(st, d->name);
	if (dfd < 0)
		return dfd;
	text = desc_to_json(d);
	if (!text)
		return -ENOMEM;
	need = strlen(text) + 1;
	if (need > META_MAX_BYTES) {
		free(text);
		return -E2BIG;
	}
	size = (uint32_t)((need + 4095) & ~4095UL);
	buf = calloc(1, size);
	if (!buf) {
		free(text);
		return -ENOMEM;
	}
	memcpy(buf, text, need);
	free(text);
	unlinkat(dfd, META_TMP_PIN, 0);
	err = state_pin_path(st, d->name, META_TMP_PIN, pin, sizeof(pin));
	/* the description: a one-element array map whose value is the JSON text */
	fd = err ?: state_map_create_pinned(BPF_MAP_TYPE_ARRAY, "flt_meta", sizeof(uint32_t), size,
					    1, pin);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	err = bpf_map_update_elem(fd, &key, buf, BPF_ANY);
	close(fd);
	free(buf);
	/* bpffs renames like any filesystem: a reader sees the old description or the new one */
	if (!err && renameat(dfd, META_TMP_PIN, dfd, META_PIN))
		err = -errno;
	if (err)
		unlinkat(dfd, META_TMP_PIN, 0);
	return err;
}

int state_desc_read(struct state_store *st, const char *name, struct state_desc *d)
{
	struct bpf_map_info info = {};
	uint32_t info_len = sizeof(info), key = 0;
	char pin[PATH_MAX], *buf = NULL;
	int fd, err;

	memset(d, 0, sizeof(*d));
	err = state_pin_path(st, name, META_PIN, pin, sizeof(pin));
	if (err)
		return err;
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return fd;
	err = bpf_map_get_info_by_fd(fd, &info, &info_len);
	if (!err && (info.type != BPF_MAP_TYPE_ARRAY || info.value_size > META_MAX_BYTES))
		err = -EBADMSG;
	buf = err ? NULL : calloc(1, (size_t)info.value_size + 1);
	if (!err && !buf)
		err = -ENOMEM;
	err = err ?: bpf_map_lookup_elem(fd, &key, buf);
	err = err ?: desc_from_json(buf, d);
	if (!err && strcmp(d->name, name))
		err = -EBADMSG; /* a description of another plan: not this folder's */
	if (err)
		state_desc_free(d);
	free(buf);
	close(fd);
	return err;
}

/* Unlink every entry of a plan's folder; pinned links detach when their pin goes. */
int state_plan_remove(struct state_store *st, const char *name)
{
	struct dirent *de;
	int fd, err = 0;
	DIR *d;

	if (state_check_name(name, NULL) || st->plans_fd < 0)
		return -EINVAL;
	plan_fd_forget(st);
	fd = openat(st->plans_fd, name, DIR_FLAGS);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, de->d_type == DT_DIR ? AT_REMOVEDIR : 0) &&
		    errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (unlinkat(st->plans_fd, name, AT_REMOVEDIR) && errno != ENOENT)
		err = -errno;
	return err;
}

static bool root_entry_exists(struct state_store *st, const char *name)
{
	struct stat sb;

	return st->root_fd >= 0 && !fstatat(st->root_fd, name, &sb, AT_SYMLINK_NOFOLLOW);
}

void state_tidy(struct state_store *st)
{
	char path[PATH_MAX], *slash;
	uint8_t key[64];
	int fd;

	if (st->root_fd < 0)
		return;
	plan_fd_forget(st);
	if (st->plans_fd >= 0) {
		if (unlinkat(st->root_fd, "plans", AT_REMOVEDIR))
			return; /* plans left (or not ours to remove) */
		close(st->plans_fd);
		st->plans_fd = -1;
	}
	if (!state_root_path(st, "clsact", path, sizeof(path))) {
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (bpf_map_get_next_key(fd, NULL, key) == -ENOENT)
				unlinkat(st->root_fd, "clsact", 0);
			close(fd);
		}
	}
	/* the frozen marker and the agent's memory outlive the plans: the root stays for them */
	if (state_frozen(st) || root_entry_exists(st, SEEN_PIN))
		return;
	snprintf(path, sizeof(path), "%s", st->root);
	slash = strrchr(path, '/');
	if (slash && st->lock_fd >= 0 && !unlinkat(st->lock_fd, slash + 1, AT_REMOVEDIR)) {
		close(st->root_fd);
		st->root_fd = -1;
	}
}

int state_frozen_set(struct state_store *st, bool frozen)
{
	if (!frozen) {
		if (st->root_fd >= 0 && unlinkat(st->root_fd, FROZEN_DIR, AT_REMOVEDIR) &&
		    errno != ENOENT)
			return -errno;
		return 0;
	}
	if (st->root_fd < 0)
		return -ENOENT;
	if (mkdirat(st->root_fd, FROZEN_DIR, 0700) && errno != EEXIST)
		return -errno;
	/* a pin of that name (not ours) would leave the node unfrozen: say so */
	return state_frozen(st) ? 0 : -ENOTDIR;
}

bool state_frozen(struct state_store *st)
{
	struct stat sb;

	return st->root_fd >= 0 && !fstatat(st->root_fd, FROZEN_DIR, &sb, AT_SYMLINK_NOFOLLOW) &&
	       S_ISDIR(sb.st_mode);
}

int state_seen_open(struct state_store *st, bool create)
{
	struct bpf_map_info info = {};
	uint32_t info_len = sizeof(info);
	char pin[PATH_MAX];
	struct stat sb;
	int fd, err;

	if (st->root_fd < 0)
		return -ENOENT;
	err = state_root_path(st, SEEN_PIN, pin, sizeof(pin));
	if (err)
		return err;
	/* bpf_obj_get() follows symlinks (bpffs has them): only a pin itself is ours */
	if (!fstatat(st->root_fd, SEEN_PIN, &sb, AT_SYMLINK_NOFOLLOW)) {
		if (!S_ISREG(sb.st_mode))
			return -EBADMSG;
		fd = bpf_obj_get(pin);
	} else if (errno == ENOENT && create) {
		fd = state_map_create_pinned(BPF_MAP_TYPE_LRU_HASH, "flt_agent_seen",
					     sizeof(uint64_t), sizeof(uint64_t), STATE_SEEN_MAX,
					     pin);
	} else {
		return -errno;
	}
	if (fd < 0)
		return fd;
	err = bpf_map_get_info_by_fd(fd, &info, &info_len);
	if (!err && (info.type != BPF_MAP_TYPE_LRU_HASH || info.key_size != sizeof(uint64_t) ||
		     info.value_size != sizeof(uint64_t)))
		err = -EBADMSG;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}
