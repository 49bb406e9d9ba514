// SPDX-License-Identifier: GPL-2.0-only
/* Listing and reading the agent's plan directory (agent/plandir.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/plandir.h"

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

bool plandir_is_plan_name(const char *name)
{
	if (name[0] == '.')
		return false;
	return ends_with(name, ".yaml") || ends_with(name, ".yml") || ends_with(name, ".json");
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

uint64_t plandir_key(const char *name, const char *text, size_t len)
{
	/* the name's NUL is hashed too: "a.yaml" + "b" differs from "a.yamlb" + "" */
	return fnv1a(fnv1a(FNV64_OFFSET, name, strlen(name) + 1), text, len);
}

/*
 * One entry: opened through its symlinks (O_NONBLOCK: a FIFO named x.yaml must not block the
 * agent), kept only when it is a regular file. 1 when kept, 0 when skipped, -ENOMEM.
 */
static int read_entry(int dirfd, const char *name, struct plandir_file *f)
{
	struct stat st;
	size_t cap = 0;
	ssize_t got;
	int fd;

	memset(f, 0, sizeof(*f));
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		/* gone in between, or a dangling link (a swap half-seen): not a plan now */
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return 0;
		f->read_errno = errno;
		goto done;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	cap = st.st_size > 0 && st.st_size <= PLANDIR_MAX_BYTES ? (size_t)st.st_size : 4096;
	f->text = malloc(cap + 1);
	if (!f->text) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		char *grown;

		got = read(fd, f->text + f->len, cap - f->len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			f->read_errno = errno;
			break;
		}
		if (!got)
			break;
		f->len += (size_t)got;
		if (f->len > PLANDIR_MAX_BYTES) {
			f->read_errno = EFBIG;
			break;
		}
		if (f->len < cap)
			continue;
		cap = cap * 2 > PLANDIR_MAX_BYTES + 1 ? PLANDIR_MAX_BYTES + 1 : cap * 2;
		grown = realloc(f->text, cap + 1);
		if (!grown) {
			close(fd);
			return -ENOMEM;
		}
		f->text = grown;
	}
	close(fd);
	f->text[f->len] = '\0';
done:
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (f->read_errno) {
		/* what was read still tells a change from the last scan */
		f->key = plandir_key(name, f->text ? f->text : "", f->text ? f->len : 0) ^
			 (uint64_t)f->read_errno;
		free(f->text);
		f->text = NULL;
		f->len = 0;
	} else {
		f->key = plandir_key(name, f->text, f->len);
	}
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct plandir_file *)a)->name, ((const struct plandir_file *)b)->name);
}

int plandir_list(const char *dir, struct plandir_list *out, struct flt_error *err)
{
	struct plandir_file *grown;
	struct dirent *de;
	size_t cap = 0;
	int ret = 0;
	DIR *d;

	memset(out, 0, sizeof(*out));
	d = opendir(dir);
	if (!d)
		return flt_fail(err, FLT_ERR_INPUT, errno, "plans directory %s: %s", dir,
				strerror(errno));
	while ((errno = 0, de = readdir(d))) {
		if (!plandir_is_plan_name(de->d_name) || strlen(de->d_name) > NAME_MAX)
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(out->files, cap * sizeof(*grown));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			out->files = grown;
		}
		ret = read_entry(dirfd(d), de->d_name, &out->files[out->n]);
		if (ret < 0)
			break;
		out->n += (size_t)ret;
		ret = 0;
	}
	if (!ret && errno)
		ret = -errno;
	closedir(d);
	if (ret) {
		plandir_list_free(out);
		return flt_fail(err, ret == -ENOMEM ? FLT_ERR_SYSTEM : FLT_ERR_INPUT, -ret,
				"plans directory %s: %s", dir, strerror(-ret));
	}
	if (out->n)
		qsort(out->files, out->n, sizeof(*out->files), by_name);
	return 0;
}

void plandir_list_free(struct plandir_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->files[i].text);
	free(l->files);
	memset(l, 0, sizeof(*l));
}
