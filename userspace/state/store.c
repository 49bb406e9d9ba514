// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "kernel/attach.h"
#include "common/log.h"
#include "cli/commands.h"
#include "common/out.h"
#include "state/store.h"

#define STATE_DEFAULT_ROOT "/sys/fs/bpf/faultline"
#define META_MAX_BYTES (1U << 20)

const char *state_root(void)
{
	const char *root = getenv("FAULTLINE_PIN_DIR");

	return root && *root ? root : STATE_DEFAULT_ROOT;
}

uint64_t mono_now_ns(void)
{
	struct timespec ts;

	/* the clock of bpf_ktime_get_ns(), which the programs compare deadlines with */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int state_path(char *buf, size_t len, const char *name, const char *file)
{
	int n;

	if (file)
		n = snprintf(buf, len, "%s/plans/%s/%s", state_root(), name, file);
	else if (name)
		n = snprintf(buf, len, "%s/plans/%s", state_root(), name);
	else
		n = snprintf(buf, len, "%s/plans", state_root());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int state_init(void)
{
	char parent[PATH_MAX], *slash;
	struct statfs sfs;

	snprintf(parent, sizeof(parent), "%s", state_root());
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	if (statfs(parent, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	/* bpffs is not mounted on every system (kernel-facts.md): mount it where pins are expected */
	if (strcmp(parent, "/sys/fs/bpf")) {
		pr_warn("%s is not on a bpf filesystem\n", parent);
		return -ENOTSUP;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
		pr_warn("cannot mount bpffs at %s: %s\n", parent, strerror(errno));
		return -errno;
	}
	pr_debug("mounted bpffs at %s\n", parent);
	return 0;
}

int state_lock(void)
{
	char parent[PATH_MAX], *slash;
	int fd;

	/* the root itself goes away with the last plan: lock the folder that holds it */
	snprintf(parent, sizeof(parent), "%s", state_root());
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return -errno;
	}
	return fd; /* held until exit */
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

int state_plan_names(char ***names, size_t *n)
{
	char path[PATH_MAX], **list = NULL, **grown;
	struct dirent *de;
	size_t count = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (state_path(path, sizeof(path), NULL, NULL))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
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
	qsort(list, count, sizeof(*list), name_cmp);
	*names = list;
	*n = count;
	return 0;
}

int state_map_create_pinned(enum bpf_map_type type, const char *name, uint32_t key_size,
			    uint32_t value_size, uint32_t max_entries, const char *pin)
{
	int fd, err;

	fd = bpf_map_create(type, name, key_size, value_size, max_entries, NULL);
	if (fd < 0)
		return fd;
	err = bpf_obj_pin(fd, pin);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int state_meta_write(const char *name, struct json_object *meta)
{
	const char *text = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN);
	size_t need = strlen(text) + 1;
	struct bpf_map_info info = {};
	uint32_t info_len = sizeof(info), key = 0, size;
	char pin[PATH_MAX], *buf;
	int fd, err;

	if (need > META_MAX_BYTES)
		return -E2BIG;
	err = state_path(pin, sizeof(pin), name, "flt_meta");
	if (err)
		return err;
	fd = bpf_obj_get(pin);
	if (fd >= 0 && (bpf_map_get_info_by_fd(fd, &info, &info_len) || info.value_size < need)) {
		close(fd);
		unlink(pin);
		fd = -ENOENT;
	}
	if (fd < 0) {
		size = (uint32_t)((need * 2 + 4095) & ~4095UL);
		/* the metadata: a one-element array map whose value is the JSON text */
		fd = state_map_create_pinned(BPF_MAP_TYPE_ARRAY, "flt_meta", sizeof(uint32_t), size,
					     1, pin);
		if (fd < 0)
			return fd;
		info.value_size = size;
	}
	buf = calloc(1, info.value_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	memcpy(buf, text, need);
	err = bpf_map_update_elem(fd, &key, buf, BPF_ANY);
	free(buf);
	close(fd);
	return err;
}

int state_meta_read(const char *name, struct json_object **meta)
{
	struct bpf_map_info info = {};
	uint32_t info_len = sizeof(info), key = 0;
	char pin[PATH_MAX], *buf = NULL;
	int fd, err;

	*meta = NULL;
	err = state_path(pin, sizeof(pin), name, "flt_meta");
	if (err)
		return err;
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return fd;
	err = bpf_map_get_info_by_fd(fd, &info, &info_len);
	if (err)
		goto out;
	buf = calloc(1, (size_t)info.value_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	err = bpf_map_lookup_elem(fd, &key, buf);
	if (err)
		goto out;
	*meta = json_tokener_parse(buf);
	if (!*meta)
		err = -EBADMSG;
out:
	free(buf);
	close(fd);
	return err;
}

/* Unpin everything in a plan's folder; pinned links detach when their pin goes. */
static int remove_pins(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int err = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		err = -errno;
	return err;
}

/* With no plan left, remove the root too, and the clsact registry if it counts nobody. */
void state_tidy(void)
{
	char path[PATH_MAX];
	uint8_t key[64];
	int fd;

	if (state_path(path, sizeof(path), NULL, NULL) || (rmdir(path) && errno != ENOENT))
		return;
	snprintf(path, sizeof(path), "%s/clsact", state_root());
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (bpf_map_get_next_key(fd, NULL, key) == -ENOENT)
			unlink(path);
		close(fd);
	}
	rmdir(state_root());
}

int state_revert(const char *name)
{
	struct json_object *meta = NULL, *list;
	char dir[PATH_MAX];
	struct stat st;
	size_t i;
	int err, first_err = 0;

	err = state_path(dir, sizeof(dir), name, NULL);
	if (err)
		return err;
	if (stat(dir, &st))
		return -ENOENT;
	err = state_meta_read(name, &meta);
	if (err)
		pr_warn("plan %s: its description is unreadable (%s); removing its pins only\n", name,
			strerror(-err));
	if (meta && json_object_object_get_ex(meta, "attachments", &list)) {
		/* detach in reverse order of attachment */
		for (i = json_object_array_length(list); i-- > 0;) {
			err = attach_remove(json_object_array_get_idx(list, i));
			if (err && !first_err)
				first_err = err;
			if (err)
				pr_warn("plan %s: cannot detach %s: %s\n", name,
					json_object_to_json_string(json_object_array_get_idx(list, i)),
					strerror(-err));
		}
	}
	json_object_put(meta);
	err = remove_pins(dir);
	if (err && !first_err)
		first_err = err;
	state_tidy();
	return first_err;
}

int state_sweep(int *swept)
{
	struct json_object *meta, *v;
	char **names;
	size_t n, i;
	uint64_t now = mono_now_ns();
	int err;

	*swept = 0;
	err = state_plan_names(&names, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (state_meta_read(names[i], &meta))
			continue; /* being written, or broken: revert NAME removes it */
		if (json_object_object_get_ex(meta, "deadline_mono_ns", &v) &&
		    (uint64_t)json_object_get_uint64(v) <= now) {
			pr_debug("plan %s: its deadline passed, reverting\n", names[i]);
			err = state_revert(names[i]);
			if (err)
				pr_warn("plan %s: expired, but reverting it failed: %s\n", names[i],
					strerror(-err));
			else
				(*swept)++;
		}
		json_object_put(meta);
	}
	state_names_free(names, n);
	return 0;
}

int state_begin(void)
{
	int swept, err;

	err = state_init();
	if (err) {
		out_error("cannot prepare %s: %s", state_root(), strerror(-err));
		return err;
	}
	err = state_lock();
	if (err < 0) {
		out_error("cannot lock %s: %s", state_root(), strerror(-err));
		return err;
	}
	err = state_sweep(&swept);
	if (swept)
		pr_info("swept %d expired plan(s)\n", swept);
	state_tidy();
	return 0;
}

int state_plan_create(const char *name)
{
	char dir[PATH_MAX];
	int err;

	err = state_path(dir, sizeof(dir), NULL, NULL);
	err = err ?: mkdir_p(dir);
	err = err ?: state_path(dir, sizeof(dir), name, NULL);
	if (err)
		return err;
	return mkdir(dir, 0700) ? -errno : 0;
}
