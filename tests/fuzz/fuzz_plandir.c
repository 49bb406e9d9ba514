// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's plan directory (agent/plandir.c) on any entries: the input is a list of
 * NAME\0CONTENT\0 pairs (a NAME "@X" is a symlink to its sibling X) written
 * into a fresh folder; plandir_list() must list exactly the plan files, sorted, each with the key
 * of its name and what it holds, and every listed content must go through the plan parser.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/plandir.h"
#include "fuzz.h"
#include "plan/plan.h"

static char dir[PATH_MAX];

static void empty_dir(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	fuzz_assert(d != NULL);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fuzz_assert(unlinkat(dirfd(d), e->d_name, 0) == 0 ||
				    unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) == 0);
	closedir(d);
}

static void remove_dir(void)
{
	empty_dir();
	rmdir(dir);
}

/* One entry; false when the name is not one a folder can hold (it is skipped). */
static bool make_entry(int dfd, const char *name, const char *text, size_t len)
{
	int fd;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) > NAME_MAX)
		return false;
	if (name[0] == '@') /* to a sibling only: nothing outside the folder is read */
		return name[1] && !strchr(name + 1, '/') && symlinkat(name + 1, dfd, name) == 0;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return false;
	fuzz_assert(write(fd, text, len) == (ssize_t)len);
	close(fd);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_text(data, size), *p = in, *end = in + size;
	struct plandir_list list;
	struct flt_error err;
	size_t i;
	int dfd;

	if (!*dir) {
		snprintf(dir, sizeof(dir), "/tmp/faultline-fuzz-plandir.XXXXXX");
		fuzz_assert(mkdtemp(dir) != NULL);
		atexit(remove_dir);
	}
	empty_dir();
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	fuzz_assert(dfd >= 0);
	while (p < end) {
		char *name = p, *text = name + strlen(name) + 1;

		if (text > end)
			text = end;
		p = text + strlen(text) + 1;
		make_entry(dfd, name, text, strlen(text));
	}
	close(dfd);

	fuzz_assert(plandir_list(dir, &list, &err) == 0);
	for (i = 0; i < list.n; i++) {
		const struct plandir_file *f = &list.files[i];
		struct plan plan;

		fuzz_assert(plandir_is_plan_name(f->name));
		fuzz_assert(i == 0 || strcmp(list.files[i - 1].name, f->name) < 0);
		if (!f->text) {
			fuzz_assert(f->read_errno > 0);
			continue;
		}
		fuzz_assert(f->key == plandir_key(f->name, f->text, f->len));
		fuzz_check_result(plan_parse_string(f->name, f->text, f->len,
						    PLAN_DEFAULT_MAX_DURATION_MS, &plan, &err),
				  &err, f->name);
		plan_free(&plan);
	}
	plandir_list_free(&list);
	free(in);
	return 0;
}
